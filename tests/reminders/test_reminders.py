"""Activities, audiences, fan-out and inbox delivery, driven by a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from meihao import Audience, hookimpl
from meihao.errors import InvalidInput, NotFound
from meihao.reminders.activities import (
    ActivityIn,
    ActivityPatch,
    cancel_activity,
    cancel_occurrence,
    create_activity,
    update_activity,
)
from meihao.reminders.audiences import parse_audience, preview
from meihao.reminders.policy import set_quiet_hours
from meihao.reminders.recipients import inbox, mark_read, opt_out
from meihao.reminders.tables import DueReminder, InboxMessage, Reminder
from meihao.testing import drain
from tests.reminders.conftest import START

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def market(**fields) -> ActivityIn:
    values = dict(
        scene="markets",
        title="睦邻善市公益市集",
        venue="荷畔广场",
        starts_at=datetime(2026, 3, 7, 9, 0),  # local time of the community
        ends_at=datetime(2026, 3, 7, 11, 0),
        rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=2",
        audience={"everyone": True},
        reminder_offsets=[1440, 120],
        channels=["inbox"],
    )
    values.update(fields)
    return ActivityIn(**values)


async def statuses() -> dict[str, int]:
    rows = await Reminder.select(Reminder.status)
    result: dict[str, int] = {}
    for row in rows:
        result[row["status"]] = result.get(row["status"], 0) + 1
    return result


async def test_reminders_fan_out_at_their_time_and_land_in_inboxes_once(street):
    activity = await create_activity(street.mh, "hepan", market())
    assert activity["starts_at"] == at(2026, 3, 7, 9, 0).astimezone(timezone.utc)

    # creating it planned the first Saturday × two offsets; the second is planned a week ahead
    assert await DueReminder.count() == 2
    assert (await drain(street.engine)).planned == 0
    assert await Reminder.count() == 0  # nothing is due yet

    street.clock.set(at(2026, 3, 6, 9, 0))  # a day before the first market
    result = await drain(street.engine)
    assert result.fanned_out == 1 and result.recipients == 5 and result.sent == 5
    assert await statuses() == {"sent": 5}
    anna = await inbox("resident", street.residents["Anna"]["id"])
    wang = await inbox("resident", street.residents["王秀英"]["id"])
    assert anna[0]["body"] == "Reminder: 睦邻善市公益市集 at 2026-03-07 09:00, 荷畔广场"
    assert wang[0]["body"] == "尊敬的王奶奶：\n睦邻善市公益市集将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会"

    again = await drain(street.engine)
    assert (again.fanned_out, again.sent) == (0, 0)
    due = await DueReminder.select().where(DueReminder.offset_minutes == 1440).order_by(DueReminder.due_at).first()
    assert await street.engine.fan_out_one({**due, "status": "pending", "fanout_stage": 0, "fanout_cursor": 0}, street.clock.now()) == 5
    assert await Reminder.count() == 5 and await InboxMessage.count() == 5


async def test_quiet_hours_defer_and_then_deliver(street):
    await create_activity(street.mh, "hepan", market(reminder_offsets=[120]))
    await drain(street.engine)
    street.clock.set(at(2026, 3, 7, 7, 0))  # due 07:00, quiet until 07:30
    result = await drain(street.engine)
    assert result.deferred == 5 and result.sent == 0
    assert await statuses() == {"pending": 5}
    pending = await Reminder.select(Reminder.next_attempt_at, Reminder.attempts).first()
    assert pending["next_attempt_at"] == at(2026, 3, 7, 7, 30).astimezone(timezone.utc)
    assert pending["attempts"] == 0  # a deferral is not an attempt
    street.clock.set(at(2026, 3, 7, 7, 30))
    assert (await drain(street.engine)).sent == 5

    await set_quiet_hours(street.community["id"], "22:00", "06:00")
    street.clock.set(at(2026, 3, 14, 7, 0))  # the second Saturday, outside the new quiet hours
    assert (await drain(street.engine)).sent == 5


async def test_audience_filters_opt_outs_and_other_communities(street):
    r = street.residents
    await opt_out(street.mh, "resident", r["李建国"]["id"], scene="markets")
    await opt_out(street.mh, "resident", r["张伟"]["id"], scene="health")  # another scene: still reminded
    await create_activity(street.mh, "hepan", market(audience={"grids": [street.grid_a, street.grid_b], "min_age": 60}))
    await create_activity(street.mh, "hepan", market(title="grid A", audience={"grids": [street.grid_a]}))
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    names = {v["id"]: k for k, v in r.items()}
    rows = await Reminder.select(Reminder.activity.title.as_alias("title"), Reminder.recipient_id)
    reached = {(row["title"], names[row["recipient_id"]]) for row in rows}
    assert reached == {
        ("睦邻善市公益市集", "王秀英"),
        ("睦邻善市公益市集", "张伟"),
        ("grid A", "王秀英"),
        ("grid A", "Anna"),
    }


async def test_reschedule_invalidates_unsent_reminders_and_plans_new_ones(street):
    activity = await create_activity(street.mh, "hepan", market(reminder_offsets=[1440]))
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    assert await statuses() == {"sent": 5}

    # the second Saturday moves to Sunday 10:00; the first (already reminded) is over
    street.clock.set(at(2026, 3, 10, 9, 0))
    await drain(street.engine)
    moved = await update_activity(
        street.mh,
        activity["id"],
        ActivityPatch(starts_at=datetime(2026, 3, 15, 10, 0), ends_at=datetime(2026, 3, 15, 12, 0), rrule="FREQ=WEEKLY;COUNT=1"),
    )
    assert moved["version"] == 2
    assert await DueReminder.count().where(DueReminder.status == "cancelled") == 1
    street.clock.set(at(2026, 3, 13, 9, 0))  # when the old reminder would have been due
    assert (await drain(street.engine)).sent == 0
    street.clock.set(at(2026, 3, 14, 10, 0))
    assert (await drain(street.engine)).sent == 5
    bodies = [m["body"] for m in await inbox("resident", street.residents["王秀英"]["id"])]
    assert "睦邻善市公益市集将于3月15日（周日）上午10点在荷畔广场举行" in bodies[0]

    await cancel_activity(street.mh, activity["id"])
    street.clock.set(at(2026, 3, 20, 9, 0))
    assert (await drain(street.engine)).planned == 0


async def test_cancelled_occurrence_and_cancelled_activity_send_nothing(street):
    activity = await create_activity(street.mh, "hepan", market(reminder_offsets=[1440]))
    await drain(street.engine)
    street.clock.set(at(2026, 3, 6, 9, 0))
    await street.engine.fan_out()  # outbox written, not yet delivered
    await cancel_occurrence(street.mh, activity["id"], "2026-03-07T01:00:00Z")
    assert (await drain(street.engine)).sent == 0
    assert await statuses() == {"cancelled": 5}
    with pytest.raises(NotFound, match="no occurrence '2026-03-08T01:00:00Z'"):
        await cancel_occurrence(street.mh, activity["id"], "2026-03-08T01:00:00Z")


async def test_reminders_that_fell_due_during_downtime(street):
    await create_activity(street.mh, "hepan", market(reminder_offsets=[1440, 120]))
    await drain(street.engine)
    # down from Friday morning until Saturday 08:00: both reminders of the first market fell due;
    # the market has not begun yet, so they are still useful and are sent, once each
    street.clock.set(at(2026, 3, 7, 8, 0))
    result = await drain(street.engine)
    assert (result.sent, result.missed) == (10, 0)
    # down again across the whole second Saturday: too late, marked missed
    street.clock.set(at(2026, 3, 14, 12, 0))
    result = await drain(street.engine)
    assert (result.sent, result.missed) == (0, 2)
    assert await DueReminder.count().where(DueReminder.status == "missed") == 2


async def test_inbox_read_state_belongs_to_its_owner(street):
    await create_activity(street.mh, "hepan", market(reminder_offsets=[1440]))
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    wang, anna = street.residents["王秀英"]["id"], street.residents["Anna"]["id"]
    message = (await inbox("resident", wang))[0]
    with pytest.raises(NotFound, match="not found"):
        await mark_read(street.mh, "resident", anna, message["id"])
    await mark_read(street.mh, "resident", wang, message["id"])
    assert await inbox("resident", wang, unread_only=True) == []


class Living:
    @hookimpl
    def meihao_audiences(self):
        from meihao.tables import ResidentTag

        return [Audience("living.elders", "长者", "Elders", lambda community_id: ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == "elder"))]


async def test_named_audience_from_a_plugin_and_a_masked_preview(make_meihao):
    from tests.reminders.conftest import build_street

    mh = await make_meihao(plugins=[("living", Living())])
    street = await build_street(mh)
    spec = parse_audience(mh, {"named": ["living.elders"]})
    result = await preview(mh, spec, street.community, street.clock.now().date())
    assert result["residents"] == 2  # the elder in the other community is not counted
    assert {s["name"] for s in result["sample"]} == {"王*英", "张*"}
    assert all(s["phone"] == "139****5678" for s in result["sample"])
    assert all(set(s) == {"id", "name", "phone", "grid_id", "language"} for s in result["sample"])  # no ID-card number
    with pytest.raises(InvalidInput, match="no plugin declares"):
        parse_audience(mh, {"named": ["living.nobody"]})
    with pytest.raises(InvalidInput) as caught:
        parse_audience(mh, {"min_age": "old"})
    assert caught.value.field == "audience.min_age"
    with pytest.raises(InvalidInput, match="selects nobody"):
        parse_audience(mh, {})


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scene": "astrology"}, "scene"),
        ({"ends_at": datetime(2026, 3, 7, 8, 0)}, "ends_at"),
        ({"channels": ["carrier_pigeon"]}, "channels"),
        ({"reminder_offsets": [60, 60]}, "reminder_offsets"),
        ({"rrule": "FREQ=FORTNIGHTLY"}, "rrule"),
        ({"title": " "}, "title"),
    ],
)
async def test_invalid_activities_are_refused_naming_the_field(street, fields, field):
    with pytest.raises(InvalidInput) as caught:
        await create_activity(street.mh, "hepan", market(**fields))
    assert caught.value.field == field


class Pigeons:
    """A throwaway channel plugin."""

    def __init__(self) -> None:
        self.sent: list = []

    @hookimpl
    def meihao_channels(self):
        from meihao import Channel

        async def send(message):
            self.sent.append(message)

        return [Channel("pigeon", "信鸽", "Carrier pigeon", send, needs_address=False)]


class Opera:
    """A throwaway scenario whose renderer has no guard: it is asked only for the activities it owns."""

    @hookimpl
    def meihao_scenario(self):
        from meihao import Scenario

        return Scenario(name="opera", title_zh="戏曲", title_en="Opera", scene="culture", version="1.0")

    @hookimpl
    def meihao_render_reminder(self, reminder, recipient, language):
        greeting = "Dear" if language == "en" else "亲爱的"
        return f"{greeting} {recipient['name']}: {reminder['activity']['title']} @ {reminder['activity']['starts_at']}"


async def test_a_plugin_channel_and_renderer(make_meihao):
    from tests.reminders.conftest import build_street

    pigeons = Pigeons()
    mh = await make_meihao(plugins=[("pigeons", pigeons), ("opera", Opera())])
    street = await build_street(mh)
    await create_activity(mh, "hepan", market(channels=["pigeon"], reminder_offsets=[1440], audience={"grids": [street.grid_b]}))
    await create_activity(
        mh, "hepan", market(scene="culture", title="吕剧", channels=["pigeon"], reminder_offsets=[1440], audience={"residents": [street.residents["Anna"]["id"]]}),
        scenario="opera",
    )
    street.clock.set(at(2026, 3, 6, 9, 0))
    assert (await drain(street.engine)).sent == 3
    texts = sorted(m.body for m in pigeons.sent)
    assert texts == [
        "Dear Anna: 吕剧 @ 2026-03-07 09:00",
        "尊敬的刘女士：\n睦邻善市公益市集将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会",
        "尊敬的张爷爷：\n睦邻善市公益市集将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会",
    ]
    assert {m.delivery_id for m in pigeons.sent} == {f"meihao-reminder-{m.reminder_id}" for m in pigeons.sent}


async def test_the_periodic_plan_extends_an_activity_only_when_half_its_lookahead_is_used(street):
    from meihao.reminders.tables import Activity, DueReminder

    created = await create_activity(street.mh, "hepan", market(rrule="FREQ=WEEKLY;BYDAY=SA", reminder_offsets=[1440]))  # every Saturday
    planned = (await Activity.select(Activity.planned_until).where(Activity.id == created["id"]).first())["planned_until"]
    points = await DueReminder.count()
    lookahead = street.engine.policy.lookahead
    for hours in (1, 24, 72):  # the pump's round every 30 s leaves it alone: nothing is written
        street.clock.set(START + timedelta(hours=hours))
        assert await street.engine.plan() == 0
        assert (await Activity.select(Activity.planned_until).where(Activity.id == created["id"]).first())["planned_until"] == planned
    assert planned - (START + timedelta(hours=72)) > lookahead / 2 + timedelta(days=1)  # more than half was left
    street.clock.set(START + timedelta(days=5))  # now less than half is left: extended, next Saturday planned
    assert await street.engine.plan() == 1
    extended = (await Activity.select(Activity.planned_until).where(Activity.id == created["id"]).first())["planned_until"]
    assert extended > planned and await DueReminder.count() > points


async def test_a_node_too_slow_for_its_lease_does_not_send_what_another_node_took_over(make_meihao):
    from datetime import timedelta

    from meihao.reminders.engine import ReminderEngine
    from meihao.reminders.policy import DeliveryPolicy
    from tests.reminders.conftest import build_street

    pigeons = Pigeons()
    mh = await make_meihao(plugins=[("pigeons", pigeons)])
    street = await build_street(mh)
    await create_activity(mh, "hepan", market(channels=["pigeon"], reminder_offsets=[1440], audience={"everyone": True}))
    street.clock.set(at(2026, 3, 6, 9, 0))
    await street.engine.fan_out()
    slow, quick = (ReminderEngine(mh, DeliveryPolicy(lease=timedelta(seconds=60))) for _ in range(2))
    claimed_at = mh.clock.now()
    ids = await slow.claim(claimed_at)
    assert len(ids) == 5
    # the slow node stalls past its lease; another node takes the rows over and sends them
    street.clock.set(at(2026, 3, 6, 9, 2))
    assert (await quick.deliver()).sent == 5
    # the slow node wakes up and goes on with what it had claimed: nothing is sent twice
    late = await slow.send_claimed(ids, claimed_at)
    assert (late.sent, late.details.get("taken_over")) == (0, 5)
    assert len(pigeons.sent) == 5 and len({m.reminder_id for m in pigeons.sent}) == 5
    assert await statuses() == {"sent": 5}
    # a claim still within its lease sends what it holds (each send renews the row's lease first)
    await create_activity(mh, "hepan", market(title="第二场", channels=["pigeon"], reminder_offsets=[1440], audience={"everyone": True}))
    await street.engine.fan_out()
    ids = await slow.claim(mh.clock.now())
    assert (await slow.send_claimed(ids, mh.clock.now())).sent == 5 == len(ids)
    assert len(pigeons.sent) == 10


async def test_staff_digest_collects_reminders_into_one_daily_message(street):
    from meihao.reminders.digests import send_digests
    from meihao.reminders.recipients import clear_digest, set_digest

    staff = await street.factories.staff("grid_worker", community="hepan", grid_id=street.grid_a)
    await set_digest(street.mh, staff["id"], hour=7)
    for title, day in (("周六市集", 7), ("周日讲座", 8)):
        await create_activity(
            street.mh,
            "hepan",
            market(title=title, rrule="", starts_at=datetime(2026, 3, day, 15, 0), ends_at=datetime(2026, 3, day, 17, 0), audience={"staff": [staff["id"]]}, reminder_offsets=[2880]),
        )
    # an activity starting before the next digest is not held: it is sent at once
    await create_activity(
        street.mh,
        "hepan",
        market(title="紧急会议", rrule="", starts_at=datetime(2026, 3, 5, 18, 0), ends_at=datetime(2026, 3, 5, 19, 0), audience={"staff": [staff["id"]]}, reminder_offsets=[120]),
    )
    street.clock.set(at(2026, 3, 5, 16, 0))
    result = await drain(street.engine)
    assert (result.held, result.sent) == (1, 1)  # 周六市集 held; 紧急会议 sent
    street.clock.set(at(2026, 3, 6, 15, 0))
    result = await drain(street.engine)
    assert (result.held, result.sent) == (1, 0)  # 周日讲座 held too
    assert await send_digests(street.mh, at(2026, 3, 6, 15, 0)) == 0  # not the digest hour
    assert await send_digests(street.mh, at(2026, 3, 7, 7, 0)) == 1
    [digest, single] = await inbox("staff", staff["id"])
    assert digest["body"] == "今日活动提醒（2项）\n- 3月7日（周六）下午3点 周六市集（荷畔广场）\n- 3月8日（周日）下午3点 周日讲座（荷畔广场）"
    assert "紧急会议" in single["body"]
    assert await statuses() == {"sent": 3}
    assert await send_digests(street.mh, at(2026, 3, 8, 7, 0)) == 0  # nothing left: sent once
    await clear_digest(staff["id"])
