"""What staff do to an activity (``meihao.reminders.commands``), called directly: the caller's reach, the audience's
checks before anything is written, the audit entry of each change, and a cancellation's reason at its limits.

The street of ``tests/reminders/conftest.py`` (荷畔社区: grid A with three residents, grid B with two) and a
second community, 华阳, outside the grid worker's scope.
"""

from __future__ import annotations

import json

import pytest

from meihao.access.principals import Principal, principal_for
from meihao.access.tables import AuditLog
from meihao.errors import Forbidden, InvalidInput, NotFound
from meihao.reminders.activities import ActivityPatch
from meihao.reminders.commands import call_off_activity, call_off_occurrence, community_in_reach, plan_activity, reschedule_activity
from meihao.reminders.tables import Activity
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import market

SAT_7 = "2026-03-07T01:00:00Z"


async def _audit() -> list[tuple]:
    """The audit entries of activities (the factories record the places they make)."""
    rows = await AuditLog.select(
        AuditLog.staff, AuditLog.actor, AuditLog.action, AuditLog.target_type, AuditLog.target_id, AuditLog.community,
        AuditLog.reason, AuditLog.detail,
    ).where(AuditLog.action.like("meihao.activity.%")).order_by(AuditLog.id)
    return [(r["staff"], r["actor"], r["action"], r["target_type"], r["target_id"], r["community"], r["reason"],
             json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]) for r in rows]


async def _grid_worker(street):
    staff = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    return staff, await principal_for(street.mh, staff)


async def test_a_community_outside_the_callers_reach_is_forbidden_naming_it(meihao):
    street = await build_street(meihao)
    await street.factories.community("huayang")
    _, worker = await _grid_worker(street)
    assert (await community_in_reach("hepan", worker))["id"] == street.community["id"]
    with pytest.raises(Forbidden) as refused:
        await community_in_reach("huayang", worker)
    assert str(refused.value) == "community 'huayang' is outside your scope"
    assert (await community_in_reach("huayang", Principal(staff_id=None, name="街道", street=True)))["slug"] == "huayang"
    with pytest.raises(NotFound):
        await community_in_reach("nowhere", worker)


async def test_planning_checks_reach_audience_and_cap_before_saving_then_audits(make_meihao):
    mh = await make_meihao(max_audience_for_grid_staff=3)
    street = await build_street(mh)
    await street.factories.community("huayang")
    staff, worker = await _grid_worker(street)
    hepan = street.community["id"]
    for slug, audience, error, message in [
        ("huayang", {"grids": [street.grid_a]}, Forbidden, "community 'huayang' is outside your scope"),
        ("hepan", {}, InvalidInput, "audience: selects nobody; give everyone, a filter, residents or staff"),
        ("hepan", {"everyone": True}, Forbidden, "audience.grids: name your grids (or buildings); reminding the whole community "
         "needs the permission 'meihao.activity.audience.community'"),
        ("hepan", {"grids": [street.grid_a], "residents": [street.residents["王秀英"]["id"], street.residents["Anna"]["id"]],
                   "staff": [staff["id"]]}, InvalidInput, None),
    ]:
        with pytest.raises(error) as refused:
            await plan_activity(mh, worker, slug, market(audience=audience))
        if message is not None:
            assert str(refused.value) == message
    # the grid's three residents and the worker: four, one over the cap
    assert str(refused.value).startswith("audience: reaches 4 people; one activity of grid staff may remind at most 3 ")
    assert await Activity.count() == 0
    assert await _audit() == []
    row = await plan_activity(mh, worker, "hepan", market(audience={"grids": [street.grid_a]}))  # exactly three
    assert (row["title"], row["community"], row["status"]) == ("睦邻善市公益市集", hepan, "scheduled")
    assert await Activity.count() == 1
    assert await _audit() == [(staff["id"], staff["name"], "meihao.activity.create", "activity", str(row["id"]), hepan, "", {})]


async def test_rescheduling_checks_a_new_audience_only_and_audits(meihao):
    street = await build_street(meihao)
    staff, worker = await _grid_worker(street)
    hepan = street.community["id"]
    row = await plan_activity(meihao, worker, "hepan", market(audience={"grids": [street.grid_a]}))
    with pytest.raises(Forbidden) as refused:
        await reschedule_activity(meihao, worker, row["id"], ActivityPatch(audience={"everyone": True}))
    assert refused.value.field == "audience.grids"
    updated = await reschedule_activity(meihao, worker, row["id"], ActivityPatch(title="周六市集"))
    assert (updated["id"], updated["title"]) == (row["id"], "周六市集")
    assert (await _audit())[1:] == [(staff["id"], staff["name"], "meihao.activity.update", "activity", str(row["id"]), hepan, "", {})]
    # an activity of a community outside the caller's reach is missing to them
    other = await street.factories.community("huayang")
    theirs = await plan_activity(meihao, Principal.system(), "huayang", market())
    for call in (
        reschedule_activity(meihao, worker, theirs["id"], ActivityPatch(title="x")),
        call_off_activity(meihao, worker, theirs["id"]),
        call_off_occurrence(meihao, worker, theirs["id"], SAT_7),
    ):
        with pytest.raises(NotFound) as missing:
            await call
        assert str(missing.value) == f"activity {theirs['id']} not found"
    assert (await Activity.select(Activity.title, Activity.status, Activity.exdates).where(Activity.community == other["id"]).first()) == {
        "title": "睦邻善市公益市集", "status": "scheduled", "exdates": "[]"}


async def test_a_cancellations_reason_is_trimmed_and_at_most_200_characters(meihao):
    street = await build_street(meihao)
    staff, worker = await _grid_worker(street)
    hepan = street.community["id"]
    row = await plan_activity(meihao, worker, "hepan", market(audience={"grids": [street.grid_a]}))
    for reason, message in [
        ("雨" * 201, "reason: at most 200 characters, got 201"),
        ("广场\x00维修", "reason: must not contain the NUL character"),
    ]:
        for call in (call_off_occurrence(meihao, worker, row["id"], SAT_7, reason), call_off_activity(meihao, worker, row["id"], reason)):
            with pytest.raises(InvalidInput) as refused:
                await call
            assert (str(refused.value), refused.value.field) == (message, "reason")
    assert (await Activity.select(Activity.status, Activity.exdates).where(Activity.id == row["id"]).first()) == {
        "status": "scheduled", "exdates": "[]"}
    exactly = "雨" * 200
    updated = await call_off_occurrence(meihao, worker, row["id"], SAT_7, f"  {exactly}  ")
    assert updated["exdates"] == [SAT_7]
    cancelled = await call_off_activity(meihao, worker, row["id"], " 广场维修\n")
    assert cancelled["status"] == "cancelled"
    assert (await _audit())[1:] == [
        (staff["id"], staff["name"], "meihao.activity.cancel_occurrence", "activity", str(row["id"]), hepan, exactly, {"occurrence": SAT_7}),
        (staff["id"], staff["name"], "meihao.activity.cancel", "activity", str(row["id"]), hepan, "广场维修", {}),
    ]
    # no reason is an empty one
    second = await plan_activity(meihao, worker, "hepan", market(audience={"grids": [street.grid_a]}))
    await call_off_occurrence(meihao, worker, second["id"], SAT_7)
    await call_off_activity(meihao, worker, second["id"])
    assert [(a[2], a[6], a[7]) for a in (await _audit())[4:]] == [
        ("meihao.activity.cancel_occurrence", "", {"occurrence": SAT_7}), ("meihao.activity.cancel", "", {})]


async def test_grid_staff_holding_the_whole_community_permission_plan_beyond_their_grids_and_the_cap(make_meihao):
    mh = await make_meihao(max_audience_for_grid_staff=3)
    street = await build_street(mh)
    staff = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    hepan = street.community["id"]
    trusted = Principal(staff_id=staff["id"], name=staff["name"], roles={"grid_worker"}, permissions={"meihao.activity.audience.community"},
                        grid_ids={street.grid_a}, grid_community_ids={hepan})
    row = await plan_activity(mh, trusted, "hepan", market(audience={"everyone": True}))  # five residents, over the cap of three
    assert row["audience"] == {"everyone": True}
    updated = await reschedule_activity(mh, trusted, row["id"], ActivityPatch(audience={"grids": [street.grid_b]}))
    assert updated["audience"] == {"grids": [street.grid_b]}


async def test_calling_off_an_activity_tells_those_reminded_the_reason(meihao):
    from datetime import timedelta

    from meihao.testing import drain
    from tests.reminders.conftest import START

    street = await build_street(meihao)
    _, worker = await _grid_worker(street)
    row = await plan_activity(meihao, worker, "hepan", market(audience={"grids": [street.grid_a]}))
    street.clock.set(START + timedelta(days=4, hours=2))  # Friday 6 March 10:00: the day-before reminders went out
    await drain(street.engine)
    await call_off_activity(meihao, worker, row["id"], " 广场维修 ")
    notice = await Activity.select(Activity.description).where(Activity.source == f"notice:cancelled:{row['id']}:inbox").first()
    assert "原因：广场维修。Reason: 广场维修." in notice["description"]
