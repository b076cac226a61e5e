"""Named audiences that depend on the activity being fanned out (the stallholders of one market day)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from meihao import Audience, hookimpl
from meihao.config import load_settings
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.audiences import named_select
from meihao.reminders.tables import Reminder
from meihao.tables import Resident
from meihao.testing import drain

from .conftest import build_street

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: activity id -> resident ids; the throwaway plugin's "own records", changed after the activity exists
CHOSEN: dict[int, list[int]] = {}
SEEN: list[tuple[int | None, str | None]] = []


class PerActivity:
    @hookimpl
    def meihao_audiences(self):
        def select(community_id, activity_id, occurrence):
            SEEN.append((activity_id, occurrence))
            return Resident.select(Resident.id).where(Resident.community == community_id, Resident.id.is_in(CHOSEN.get(activity_id, [0])))

        return [Audience("perday.chosen", "当天选中", "Chosen for the day", select)]


async def test_a_named_audience_is_resolved_per_activity_and_occurrence_at_fan_out(make_meihao):
    CHOSEN.clear()
    SEEN.clear()
    street = await build_street(await make_meihao(plugins=[("perday", PerActivity())]))
    common = dict(scene="markets", venue="荷畔广场", audience={"named": ["perday.chosen"]}, reminder_offsets=[120], channels=["inbox"])
    first = await create_activity(street.mh, "hepan", ActivityIn(
        title="摊主布展 3月7日", starts_at=datetime(2026, 3, 7, 8, 0), ends_at=datetime(2026, 3, 7, 11, 0), **common))
    second = await create_activity(street.mh, "hepan", ActivityIn(
        title="摊主布展 3月14日", starts_at=datetime(2026, 3, 14, 8, 0), ends_at=datetime(2026, 3, 14, 11, 0), **common))
    await drain(street.engine)
    # who they are is decided after the activities exist, without changing them
    CHOSEN[first["id"]] = [street.residents["王秀英"]["id"], street.residents["张伟"]["id"]]
    CHOSEN[second["id"]] = [street.residents["Anna"]["id"]]

    street.clock.set(datetime(2026, 3, 7, 6, 0, tzinfo=SHANGHAI))
    result = await drain(street.engine)
    assert result.recipients == 2
    rows = await Reminder.select(Reminder.activity, Reminder.recipient_id).order_by(Reminder.recipient_id)
    assert {(r["activity"], r["recipient_id"]) for r in rows} == {(first["id"], street.residents["王秀英"]["id"]), (first["id"], street.residents["张伟"]["id"])}
    assert (first["id"], "2026-03-07T00:00:00Z") in SEEN

    street.clock.set(datetime(2026, 3, 14, 6, 0, tzinfo=SHANGHAI))
    await drain(street.engine)
    assert await Reminder.count().where(Reminder.activity == second["id"]) == 1


async def test_the_elders_audience_counts_ages_on_the_fan_out_date_with_the_configured_age(make_meihao):
    street = await build_street(await make_meihao())
    # turns 60 on 1 June 2026: not yet elderly for a reminder sent in March, whatever today's date is
    household = await street.factories.household((await street.factories.building(street.grid_a))["id"])
    june = await street.factories.resident(household["id"], name="周敏", birth_date=date(1966, 6, 1))
    march = await street.factories.resident(household["id"], name="吴兰", birth_date=date(1966, 3, 10))
    await create_activity(street.mh, "hepan", ActivityIn(
        scene="health", title="老年人体检", starts_at=datetime(2026, 3, 14, 8, 0), ends_at=datetime(2026, 3, 14, 11, 0),
        audience={"named": ["meihao.elders"]}, reminder_offsets=[120], channels=["inbox"]))
    street.clock.set(datetime(2026, 3, 14, 6, 0, tzinfo=SHANGHAI))
    await drain(street.engine)
    reached = {r["recipient_id"] for r in await Reminder.select(Reminder.recipient_id)}
    assert reached == {street.residents["王秀英"]["id"], street.residents["张伟"]["id"], march["id"]}
    assert june["id"] not in reached

    elders = next(a for _, a in street.mh.plugins.audiences() if a.name == "meihao.elders")
    community = street.community["id"]
    later = {r["id"] for r in await named_select(elders, community, today=date(2026, 6, 1), mh=street.mh)}
    assert june["id"] in later and march["id"] in later
    street.mh.settings = load_settings(environ={"MEIHAO_ELDER_AGE": "77"}, database_url=street.mh.settings.database_url,
                                       data_key=street.mh.settings.data_key)  # the 1950-born are 76 in 2026
    older = {r["id"] for r in await named_select(elders, community, today=date(2026, 3, 14), mh=street.mh)}
    assert older == set()
