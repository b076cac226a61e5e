"""Moving an item through its workflow: allowed and refused moves, pauses rebuilt from the history, extensions at their caps."""

from __future__ import annotations

import asyncio

import pytest

from meihao import (
    Conflict,
    Duration,
    Forbidden,
    InvalidInput,
    NotFound,
    assign_item,
    extend_item,
    get_work_item,
    open_item,
    transition_item,
)
from meihao.workitems.deadlines import recompute
from meihao.workitems.tables import WorkItemClock

from .conftest import FOLLOW_UPS, REQUESTS, at


def clock(item: dict, name: str) -> dict:
    return next(c for c in item["clocks"] if c["name"] == name)


async def _walk(desk, item_id: int, *states: str, who: str = "admin") -> dict:
    item = None
    for state in states:
        item = await transition_item(desk.mh, desk.principals[who], REQUESTS, "hepan", item_id, state)
    return item


# -- the state machine -------------------------------------------------------------------


async def test_every_step_is_recorded_with_who_when_and_why(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint", subject=("desk_request", 7),
                           grid=desk.grid_a, reason="来电")
    desk.clock.set(at(2026, 11, 30, 9, 30))
    await transition_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "dispatched")
    desk.clock.set(at(2026, 11, 30, 10, 0))
    await transition_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "returned", reason="不属本网格")
    await assign_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], desk.staff["worker_a"]["id"], reason="改派")
    done = await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"])
    assert (done["subject_table"], done["subject_id"], done["state"], done["assignee"]) == ("desk_request", 7, "returned",
                                                                                            desk.staff["worker_a"]["id"])
    assert [(e["action"], e["from_state"], e["to_state"], e["actor"], e["reason"], e["at"]) for e in done["history"]] == [
        ("open", "", "received", "社区书记", "来电", at(2026, 11, 30, 9, 0)),
        ("transition", "received", "dispatched", "社区书记", "", at(2026, 11, 30, 9, 30)),
        ("transition", "dispatched", "returned", "社区书记", "不属本网格", at(2026, 11, 30, 10, 0)),
        ("assign", "returned", "returned", "社区书记", "改派", at(2026, 11, 30, 10, 0)),
    ]
    assert done["history"][-1]["detail"] == {"from": None, "to": desk.staff["worker_a"]["id"]}
    assert {e["staff"] for e in done["history"]} == {desk.staff["admin"]["id"]}


async def test_a_move_the_workflow_does_not_have_is_refused_with_the_moves_there_are(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan")
    with pytest.raises(InvalidInput) as err:
        await transition_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "signed")
    assert str(err.value) == f"state: work item {item['id']} cannot go from 'received' to 'signed'; from 'received' it may go to 'closed', 'dispatched'"
    assert err.value.field == "state"
    with pytest.raises(InvalidInput) as err:
        await transition_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "no_such_state")
    assert err.value.field == "state"
    assert (await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"]))["state"] == "received"


async def test_a_return_needs_a_reason_and_a_closed_item_stays_closed(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan")
    await _walk(desk, item["id"], "dispatched")
    with pytest.raises(InvalidInput) as err:
        await transition_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "returned", reason="  ")
    assert str(err.value) == "reason: going from 'dispatched' to 'returned' needs a reason"
    closed = await _walk(desk, item["id"], "signed", "in_progress", "replied", "closed")
    assert (closed["state"], closed["final"], closed["closed_at"]) == ("closed", True, at(2026, 11, 30, 9, 0))
    assert [c["flag"] for c in closed["clocks"]] == ["met", "met", "met"]
    with pytest.raises(Conflict) as err:
        await transition_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "received")
    assert str(err.value) == f"state: work item {item['id']} is closed ('closed'); it cannot change any more"
    with pytest.raises(Conflict):
        await assign_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], desk.staff["worker_a"]["id"])


async def test_a_move_with_a_permission_is_checked_on_the_caller(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", grid=desk.grid_a)
    await _walk(desk, item["id"], "dispatched", "signed", "in_progress", "replied", who="worker_a")
    with pytest.raises(Forbidden):
        await transition_item(desk.mh, desk.principals["worker_a"], REQUESTS, "hepan", item["id"], "closed")
    assert (await _walk(desk, item["id"], "closed"))["state"] == "closed"


async def test_an_item_of_another_workflow_is_not_found_as_if_missing(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan")
    calls = [
        transition_item(desk.mh, desk.principals["admin"], FOLLOW_UPS, "hepan", item["id"], "done"),
        assign_item(desk.mh, desk.principals["admin"], FOLLOW_UPS, "hepan", item["id"], None),
        extend_item(desk.mh, desk.principals["admin"], FOLLOW_UPS, "hepan", item["id"], "resolution", Duration(working_days=1),
                    reason="x"),
        get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"], workflow=FOLLOW_UPS),
    ]
    for call in calls:
        with pytest.raises(NotFound) as err:
            await call
        assert str(err.value) == f"work item {item['id']} not found"
    assert (await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"], workflow=REQUESTS))["state"] == "received"


# -- pauses ------------------------------------------------------------------------------


async def test_waiting_for_the_resident_stops_the_clock_and_the_paused_time_comes_from_the_history(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))  # Monday
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint")
    assert clock(item, "resolution")["due_at"] == at(2026, 12, 7, 17, 30)
    await _walk(desk, item["id"], "dispatched", "signed", "in_progress")
    desk.clock.set(at(2026, 12, 1, 10, 0))
    paused = await _walk(desk, item["id"], "waiting")
    assert (clock(paused, "resolution")["due_at"], clock(paused, "resolution")["flag"], paused["paused"]) == (None, "paused", True)
    desk.clock.set(at(2026, 12, 7, 18, 0))  # past the old deadline: still paused, not red
    assert (await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"]))["flag"] == "paused"
    desk.clock.set(at(2026, 12, 3, 10, 0))
    resumed = await _walk(desk, item["id"], "in_progress")
    # paused Tue 10:00–12:00, 13:30–17:30, all Wednesday, Thu 08:30–10:00: 15 working hours, two working days
    assert clock(resumed, "resolution")["paused_seconds"] == 15 * 3600
    assert clock(resumed, "resolution")["due_at"] == at(2026, 12, 9, 17, 30)
    desk.clock.set(at(2026, 12, 4, 16, 30))  # Friday
    await _walk(desk, item["id"], "waiting")
    desk.clock.set(at(2026, 12, 7, 8, 30))  # Monday: one more working hour paused, the weekend none
    again = await _walk(desk, item["id"], "in_progress")
    assert clock(again, "resolution")["paused_seconds"] == 16 * 3600
    assert clock(again, "resolution")["due_at"] == at(2026, 12, 10, 9, 30)

    # The cached figures are not a counter: wiped, they come back from the history alone.
    await WorkItemClock.update({WorkItemClock.paused_seconds: 0, WorkItemClock.due_at: None}).where(WorkItemClock.item == item["id"])
    row = {"id": item["id"], "community": desk.community.id, "final": False}
    rebuilt = {c["name"]: c for c in await recompute(desk.mh, REQUESTS, row, desk.clock.now())}
    assert (rebuilt["resolution"]["paused_seconds"], rebuilt["resolution"]["due_at"]) == (16 * 3600, at(2026, 12, 10, 9, 30))


async def test_a_pause_before_a_clock_started_does_not_count_for_it(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint")
    await _walk(desk, item["id"], "dispatched", "signed", "in_progress")
    # the sign-off clock stopped at 09:00 when it was signed: a later pause leaves it alone
    desk.clock.set(at(2026, 11, 30, 10, 0))
    await _walk(desk, item["id"], "waiting")
    desk.clock.set(at(2026, 11, 30, 11, 0))
    item = await _walk(desk, item["id"], "in_progress")
    assert (clock(item, "sign_off")["paused_seconds"], clock(item, "sign_off")["stopped_at"]) == (0, at(2026, 11, 30, 9, 0))
    assert clock(item, "resolution")["paused_seconds"] == 3600


# -- extensions --------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "ok"), [(9, True), (10, True), (11, False), (0, False)])
async def test_an_extension_is_at_most_ten_working_days(make_desk, days, ok):
    desk = await make_desk(at(2026, 11, 27, 17, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint")
    if not ok:
        with pytest.raises(InvalidInput) as err:
            await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "resolution",
                              Duration(working_days=days), reason="需协调住建部门")
        assert str(err.value) == f"length: an extension is more than 0 and at most 10 working days, got {days}"
        return
    extended = await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "resolution",
                                 Duration(working_days=days), reason="需协调住建部门")
    # 5 + 9 or 5 + 10 working days after Friday 27 November, to the close
    assert clock(extended, "resolution")["due_at"] == {9: at(2026, 12, 17, 17, 30), 10: at(2026, 12, 18, 17, 30)}[days]
    assert clock(extended, "resolution")["extensions"] == 1
    assert extended["history"][-1]["detail"] == {"clock": "resolution", "working_days": days}
    assert extended["history"][-1]["reason"] == "需协调住建部门"


async def test_one_extension_by_default_and_the_second_is_refused(make_desk):
    desk = await make_desk(at(2026, 11, 27, 17, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint")
    with pytest.raises(InvalidInput) as err:
        await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "resolution", Duration(working_days=2),
                          reason=" ")
    assert err.value.field == "reason"
    await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "resolution", Duration(working_days=2),
                      reason="等待检测报告")
    with pytest.raises(Conflict) as err:
        await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "resolution", Duration(working_days=1),
                          reason="再等一天")
    assert str(err.value) == f"clock: the resolution clock of work item {item['id']} was extended 1 time(s), the most allowed (1)"
    after = await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"])
    assert clock(after, "resolution")["due_at"] == at(2026, 12, 8, 17, 30)


async def test_the_cap_on_extensions_is_a_setting(make_desk):
    desk = await make_desk(at(2026, 11, 27, 17, 0), workitem_max_extensions=2)
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint")
    for n in (1, 2):
        extended = await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "resolution",
                                     Duration(working_days=1), reason=f"第{n}次延期")
    assert (clock(extended, "resolution")["extensions"], clock(extended, "resolution")["due_at"]) == (2, at(2026, 12, 8, 17, 30))
    with pytest.raises(Conflict):
        await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "resolution", Duration(working_days=1),
                          reason="第3次延期")


@pytest.mark.parametrize(("hours", "ok"), [(7.5, True), (8, False)])
async def test_an_hour_clock_is_extended_in_hours_up_to_a_working_day(make_desk, hours, ok):
    desk = await make_desk(at(2026, 11, 27, 17, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan")
    with pytest.raises(InvalidInput) as err:
        await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "sign_off", Duration(working_days=1),
                          reason="x")
    assert str(err.value) == "length: the sign_off clock counts working hours; give the extension in working_hours"
    call = extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "sign_off", Duration(working_hours=hours),
                       reason="联系不上")
    if ok:
        assert clock(await call, "sign_off")["due_at"] == at(2026, 12, 1, 10, 0)  # Monday 10:00 + 7.5 working hours
    else:
        with pytest.raises(InvalidInput):
            await call


async def test_a_stopped_or_paused_clock_cannot_be_extended(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan")
    await _walk(desk, item["id"], "dispatched", "signed", "in_progress", "waiting")
    for name in ("sign_off", "resolution"):
        with pytest.raises(Conflict) as err:
            await extend_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], name, Duration(working_hours=1)
                              if name == "sign_off" else Duration(working_days=1), reason="x")
        assert err.value.field == "clock"


# -- two people at once ------------------------------------------------------------------


async def test_two_people_sign_one_item_at_once_and_one_wins(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", grid=desk.grid_a)
    await _walk(desk, item["id"], "dispatched")

    async def sign(who: str):
        try:
            return await transition_item(desk.mh, desk.principals[who], REQUESTS, "hepan", item["id"], "signed", expected="dispatched")
        except Conflict as err:
            return err

    results = await asyncio.gather(sign("worker_a"), sign("leader_a"))
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert (len(won), len(lost)) == (1, 1)
    winner = won[0]["history"][-1]["actor"]
    assert winner in ("网格员甲", "网格长甲")
    assert str(lost[0]) == f"state: work item {item['id']} is 'signed' now, not 'dispatched' ({winner} changed it at 2026-11-30 09:00)"
    final = await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"])
    assert [e["to_state"] for e in final["history"]] == ["received", "dispatched", "signed"]


@pytest.mark.parametrize(("signed_at", "flag"), [(at(2026, 11, 30, 10, 59), "met"), (at(2026, 11, 30, 11, 0), "met"),
                                                 (at(2026, 11, 30, 11, 1), "met_late")])
async def test_a_clock_stopped_after_its_deadline_was_met_late(make_desk, signed_at, flag):
    desk = await make_desk(at(2026, 11, 30, 9, 0))  # sign-off due 11:00
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan")
    await _walk(desk, item["id"], "dispatched")
    desk.clock.set(signed_at)
    signed = await _walk(desk, item["id"], "signed")
    assert (clock(signed, "sign_off")["flag"], clock(signed, "sign_off")["stopped_at"]) == (flag, signed_at)
    assert signed["flag"] == "green"  # the live clocks decide the item's flag
