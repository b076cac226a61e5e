"""Fan-out at its edges: what mutation testing (bench/mutation.py) found unguarded.

A fan-out stopped between two batches and resumed from its stored cursor, one tick over
reminder points that are cancelled, missed at exactly their start, and fanned out (each with
its own recipient count), channels that need an address (a contact, or a staff member's
e-mail), a staff opt-out, an opt-out under the owning scenario's name, and ages taken on the
community's date when the UTC date is still the day before. Expected values are literal.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from meihao import Channel, Scenario, hookimpl
from meihao.access.tables import Staff
from meihao.reminders import fanout
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.recipients import opt_out, set_contact
from meihao.reminders.tables import Activity, DueReminder, Reminder
from tests.reminders.conftest import build_street

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def activity(title: str, starts: datetime, offset: int, audience=None, channels=("inbox",), scene="markets") -> ActivityIn:
    """One occurrence starting at ``starts`` (local), one reminder ``offset`` minutes before it."""
    return ActivityIn(scene=scene, title=title, venue="荷畔广场", starts_at=starts, ends_at=starts.replace(hour=starts.hour + 1),
                      audience=audience or {"everyone": True}, reminder_offsets=[offset], channels=list(channels))


async def reached(kind: str = "resident") -> set[tuple[int, str]]:
    rows = await Reminder.select(Reminder.recipient_id, Reminder.channel).where(Reminder.recipient_kind == kind)
    return {(r["recipient_id"], r["channel"]) for r in rows}


async def due_of(activity_id: int) -> dict:
    return await DueReminder.select().where(DueReminder.activity == activity_id).first()


# -- a fan-out stopped between two batches resumes from its cursor -------------------------------


async def test_a_fan_out_stopped_between_batches_resumes_from_the_stored_cursor(street, monkeypatch):
    r = street.residents
    created = await create_activity(street.mh, "hepan", activity("睦邻善市", datetime(2026, 3, 7, 9, 0), 1440))
    await street.engine.plan()
    street.clock.set(at(2026, 3, 6, 9, 0))
    real_insert, calls = fanout._insert, []

    def failing_insert(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise RuntimeError("killed between two batches")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(fanout, "_insert", failing_insert)
    with pytest.raises(RuntimeError, match="killed between two batches"):
        await street.engine.fan_out()
    # batch size 2: the first batch (the two lowest resident ids) and its cursor are committed
    assert await reached() == {(r["王秀英"]["id"], "inbox"), (r["李建国"]["id"], "inbox")}
    stopped = await due_of(created["id"])
    assert (stopped["status"], stopped["fanout_stage"], stopped["fanout_cursor"]) == ("fanning", 0, r["李建国"]["id"])

    monkeypatch.setattr(fanout, "_insert", real_insert)
    result = await street.engine.fan_out()
    assert (result.fanned_out, result.recipients, result.missed) == (1, 5, 0)
    assert await reached() == {(r[name]["id"], "inbox") for name in ("王秀英", "李建国", "Anna", "张伟", "刘芳")}
    done = await due_of(created["id"])
    assert (done["status"], done["fanout_stage"], done["fanout_cursor"], done["recipients"]) == ("done", 2, 0, 5)
    rows = await Reminder.select(Reminder.status, Reminder.attempts, Reminder.last_error, Reminder.next_attempt_at)
    assert {(x["status"], x["attempts"], x["last_error"], x["next_attempt_at"]) for x in rows} == {("pending", 0, "", at(2026, 3, 6, 9, 0))}


# -- one tick over points cancelled, missed and fanned out ----------------------------------------


async def test_one_tick_cancels_marks_missed_and_counts_each_point_on_its_own(street):
    mh = street.mh
    # due (local): Fri 09:00, Fri 11:00, Sat 08:00, Sat 08:30, Sat 09:00; the tick runs at Sat 09:00
    everyone = await create_activity(mh, "hepan", activity("全体", datetime(2026, 3, 8, 9, 0), 2880))
    cancelled = await create_activity(mh, "hepan", activity("取消", datetime(2026, 3, 8, 11, 0), 2880))
    starting = await create_activity(mh, "hepan", activity("开始", datetime(2026, 3, 7, 9, 0), 60))
    grid_b = await create_activity(mh, "hepan", activity("B网格", datetime(2026, 3, 8, 13, 0), 1710, {"grids": [street.grid_b]}))
    changed = await create_activity(mh, "hepan", activity("改版", datetime(2026, 3, 8, 12, 0), 1620))
    await street.engine.plan()
    # cancelled with its version unchanged; changed without being cancelled (its points are stale)
    await Activity.update({Activity.status: "cancelled"}).where(Activity.id == cancelled["id"])
    await Activity.update({Activity.version: Activity.version + 1}).where(Activity.id == changed["id"])
    street.clock.set(at(2026, 3, 7, 9, 0))  # exactly when "开始" starts

    result = await street.engine.fan_out()
    assert (result.fanned_out, result.recipients, result.missed) == (2, 7, 1)
    states = {}
    for key, row in (("everyone", everyone), ("cancelled", cancelled), ("starting", starting), ("grid_b", grid_b), ("changed", changed)):
        due = await due_of(row["id"])
        states[key] = (due["status"], due["recipients"])
    assert states == {"everyone": ("done", 5), "cancelled": ("cancelled", 0), "starting": ("missed", 0), "grid_b": ("done", 2),
                      "changed": ("cancelled", 0)}


# -- channels that need an address ------------------------------------------------------------


class Sms:
    """A channel that needs an address (a contact), for residents and staff."""

    @hookimpl
    def meihao_channels(self):
        async def send(message) -> None:
            return None

        return [Channel("sms", "短信", "SMS", send, needs_address=True)]


async def test_a_channel_that_needs_an_address_reaches_only_those_who_have_one(make_meihao):
    # a stand-in for the SMS channel: the built-in one left out
    mh = await make_meihao(plugins=[("sms_stand_in", Sms())], disabled_plugins=["sms"])
    street = await build_street(mh)
    r = street.residents
    f = street.factories
    with_email = await f.staff("community_admin", community="hepan", name="有邮箱")
    with_sms = await f.staff("grid_worker", grid_id=street.grid_a, name="有短信")
    opted = await f.staff("grid_worker", grid_id=street.grid_b, name="退订")
    await Staff.update({Staff.email: "you@example.org"}).where(Staff.id.is_in([with_email["id"], opted["id"]]))
    await set_contact(mh, "staff", with_sms["id"], "sms", "13900000001")  # and no e-mail address
    await opt_out(mh, "staff", opted["id"])
    await set_contact(mh, "resident", r["王秀英"]["id"], "sms", "13900000002")
    await set_contact(mh, "resident", r["张伟"]["id"], "email", "zhang@example.org")
    staff = [with_email["id"], with_sms["id"], opted["id"]]
    await create_activity(mh, "hepan", activity("通知", datetime(2026, 3, 7, 9, 0), 1440, {"everyone": True, "staff": staff},
                                                 channels=("sms", "email")))
    await street.engine.plan()
    street.clock.set(at(2026, 3, 6, 9, 0))
    assert (await street.engine.fan_out()).recipients == 4
    # residents: a contact on the channel; staff: a contact, or on e-mail the account's address
    assert await reached("resident") == {(r["王秀英"]["id"], "sms"), (r["张伟"]["id"], "email")}
    assert await reached("staff") == {(with_sms["id"], "sms"), (with_email["id"], "email")}


# -- an opt-out under the owning scenario's name ------------------------------------------------


class Opera:
    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="opera", title_zh="戏曲", title_en="Opera", scene="culture", version="1.0")


async def test_an_opt_out_of_the_owning_scenarios_name_holds_for_its_activities(make_meihao):
    mh = await make_meihao(plugins=[("opera", Opera())])
    street = await build_street(mh)
    r = street.residents
    await opt_out(mh, "resident", r["王秀英"]["id"], scene="opera")
    await opt_out(mh, "resident", r["李建国"]["id"], scene="culture")
    await create_activity(mh, "hepan", activity("吕剧", datetime(2026, 3, 7, 9, 0), 1440, scene="culture"), scenario="opera")
    await street.engine.plan()
    street.clock.set(at(2026, 3, 6, 9, 0))
    await street.engine.fan_out()
    assert await reached() == {(r[name]["id"], "inbox") for name in ("Anna", "张伟", "刘芳")}


async def test_an_activity_goes_by_its_own_scene_only_when_its_owner_sends_it_in_another(make_meihao):
    mh = await make_meihao(plugins=[("opera", Opera())])
    street = await build_street(mh)
    r = street.residents
    await opt_out(mh, "resident", r["王秀英"]["id"], scene="opera")  # the owner's name: not this activity's
    await opt_out(mh, "resident", r["李建国"]["id"], scene="neighbourhood")
    await create_activity(mh, "hepan", activity("邻里节", datetime(2026, 3, 7, 9, 0), 1440, scene="neighbourhood"), scenario="opera")
    # and one no scenario owns
    await create_activity(mh, "hepan", activity("议事会", datetime(2026, 3, 7, 10, 0), 1440, scene="neighbourhood"))
    await street.engine.plan()
    street.clock.set(at(2026, 3, 6, 10, 0))
    await street.engine.fan_out()
    rows = await Reminder.select(Reminder.activity.title.as_alias("title"), Reminder.recipient_id)
    names = {v["id"]: k for k, v in r.items()}
    assert {(row["title"], names[row["recipient_id"]]) for row in rows} == {
        (title, name) for title in ("邻里节", "议事会") for name in ("王秀英", "Anna", "张伟", "刘芳")}


# -- ages on the community's date --------------------------------------------------------------


async def test_ages_count_on_the_communitys_date_before_the_utc_date_turns(street):
    building = await street.factories.building(street.grid_a)
    born = {}
    for name, birth in (("今天六十", date(1966, 3, 6)), ("明天六十", date(1966, 3, 7))):
        household = await street.factories.household(building["id"])
        born[name] = await street.factories.resident(household["id"], name=name, birth_date=birth)
    # fans out on Friday 6 March 07:00 in Shanghai, still Thursday 5 March in UTC
    await create_activity(street.mh, "hepan", activity("体检", datetime(2026, 3, 7, 9, 0), 1560, {"min_age": 60}))
    await street.engine.plan()
    street.clock.set(at(2026, 3, 6, 7, 0))
    await street.engine.fan_out()
    ids = {street.residents["王秀英"]["id"], street.residents["张伟"]["id"], born["今天六十"]["id"]}
    assert await reached() == {(i, "inbox") for i in ids}
