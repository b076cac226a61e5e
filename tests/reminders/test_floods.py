"""Reminder floods (issue 11, finding 2): recurrence no finer than daily by default, caps on occurrences
and reminder points per activity and per community per day, and a fan-out limit for grid staff."""

from __future__ import annotations

import pytest

from meihao.testing import make_client
from tests.reminders.conftest import build_street

PLAN = {
    "scene": "health",
    "title": "健康讲座",
    "starts_at": "2026-03-10T09:00:00",
    "ends_at": "2026-03-10T10:00:00",
    "audience": {"everyone": True},
    "reminder_offsets": [60],
}


async def _post(mh, staff_id, **change):
    async with make_client(mh, staff_id) as client:
        return await client.post("/api/communities/hepan/activities", json={**PLAN, **change})


def _refused(answer, field, detail):
    assert answer.status_code == 400, answer.text
    assert (answer.json()["field"], answer.json()["detail"]) == (field, detail)


@pytest.mark.parametrize("freq", ["SECONDLY", "MINUTELY", "HOURLY"])
async def test_recurrence_finer_than_daily_is_refused_by_default(meihao, freq):
    await build_street(meihao)
    answer = await _post(meihao, None, rrule=f"FREQ={freq};COUNT=10", reminder_offsets=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    _refused(answer, "rrule", f"rrule: FREQ={freq} repeats more often than this installation allows (DAILY or less often; MEIHAO_FINEST_RECURRENCE)")
    assert (await _post(meihao, None, rrule="FREQ=DAILY;COUNT=10")).status_code == 201


async def test_the_setting_allows_finer_recurrence(make_meihao):
    mh = await make_meihao(finest_recurrence="hourly", max_occurrences_per_day=24, max_reminder_points_per_activity_per_day=24)
    await build_street(mh)
    assert (await _post(mh, None, rrule="FREQ=HOURLY;COUNT=30")).status_code == 201
    _refused(await _post(mh, None, rrule="FREQ=MINUTELY;COUNT=30"), "rrule",
             "rrule: FREQ=MINUTELY repeats more often than this installation allows (HOURLY or less often; MEIHAO_FINEST_RECURRENCE)")


async def test_occurrences_per_day_are_capped(meihao):
    await build_street(meihao)
    assert (await _post(meihao, None, rrule="FREQ=DAILY;BYHOUR=8,12,16,20;COUNT=8")).status_code == 201
    _refused(await _post(meihao, None, rrule="FREQ=DAILY;BYHOUR=8,12,16,20,22;COUNT=10"), "rrule", "rrule: 5 occurrences a day; at most 4")
    _refused(
        await _post(meihao, None, rrule="FREQ=DAILY;BYHOUR=8,9;BYMINUTE=0,30,45;COUNT=10"), "rrule", "rrule: 6 occurrences a day; at most 4"
    )


async def test_reminder_points_per_activity_per_day_are_capped(meihao):
    await build_street(meihao)
    four_a_day = "FREQ=DAILY;BYHOUR=8,11,14,17;COUNT=8"
    assert (await _post(meihao, None, rrule=four_a_day, reminder_offsets=[0, 10, 20, 30, 40, 50])).status_code == 201  # 24 a day
    _refused(
        await _post(meihao, None, rrule=four_a_day, reminder_offsets=[0, 10, 20, 30, 40, 50, 60]),
        "reminder_offsets",
        "reminder_offsets: 28 reminder points on 2026-03-11; at most 24 a day per activity",  # the 10th starts at 09:00: three that day
    )


async def test_reminder_points_per_community_per_day_are_capped(make_meihao):
    mh = await make_meihao(max_reminder_points_per_community_per_day=5)
    await build_street(mh)
    for n in range(5):
        assert (await _post(mh, None, title=f"讲座{n}")).status_code == 201
    _refused(
        await _post(mh, None, title="第六场"),
        "reminder_offsets",
        "reminder_offsets: the community would have 6 reminder points on 2026-03-10; at most 5 a day",
    )
    # another day is free, and a cancelled activity no longer counts
    assert (await _post(mh, None, title="次日", starts_at="2026-03-11T09:00:00", ends_at="2026-03-11T10:00:00")).status_code == 201
    async with make_client(mh) as client:
        first = (await client.get("/api/communities/hepan/activities")).json()[0]["id"]
        assert (await client.post(f"/api/activities/{first}/cancel")).status_code == 200
    assert (await _post(mh, None, title="第六场")).status_code == 201


async def test_grid_staff_reach_a_limited_audience(make_meihao):
    mh = await make_meihao(max_audience_for_grid_staff=2)
    street = await build_street(mh)
    worker = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    admin = await street.factories.staff("community_admin", community="hepan")
    _refused(
        await _post(mh, worker["id"], audience={"grids": [street.grid_a]}),
        "audience",
        "audience: reaches 3 people; one activity of grid staff may remind at most 2 "
        "(MEIHAO_MAX_AUDIENCE_FOR_GRID_STAFF; the community's admin can plan larger ones)",
    )
    assert (await _post(mh, worker["id"], audience={"grids": [street.grid_a], "tags": ["elder"]})).status_code == 201  # 王秀英 only
    assert (await _post(mh, admin["id"], audience={"everyone": True})).status_code == 201  # the admin is not limited
