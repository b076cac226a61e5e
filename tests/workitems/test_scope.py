"""Who sees which work items: lists and counts per role, and the same 404 outside the scope as for a missing item."""

from __future__ import annotations

import pytest

from meihao import NotFound, count_work_items, get_work_item, list_work_items, open_item, transition_item

from .conftest import FOLLOW_UPS, REQUESTS, at


async def _items(desk) -> dict[str, int]:
    """Three requests in grid A (one assigned to the part-time worker), two in grid B, one without a grid
    sent to the law-enforcement department, and a follow-up in grid A."""
    admin = desk.principals["admin"]
    made = {}
    for key, grid, extra in (
        ("a1", desk.grid_a, {}), ("a2", desk.grid_a, {}), ("a3", desk.grid_a, {"assignee": desk.staff["worker_a2"]["id"]}),
        ("b1", desk.grid_b, {}), ("b2", desk.grid_b, {}), ("dept", None, {"department": "zhifa"}),
    ):
        made[key] = (await open_item(desk.mh, admin, REQUESTS, "hepan", grid=grid, kind="complaint", **extra))["id"]
    made["follow_up"] = (await open_item(desk.mh, admin, FOLLOW_UPS, "hepan", grid=desk.grid_a))["id"]
    return made


@pytest.mark.parametrize(("who", "total", "grid_a_requests"), [
    ("street", 7, 3),
    ("admin", 7, 3),
    ("leader_a", 4, 3),
    ("worker_a", 4, 3),
    ("leader_b", 2, 0),
    ("worker_b", 2, 0),
    ("department", 1, 0),
    ("other_admin", 0, 0),
])
async def test_counts_and_lists_per_role(make_desk, who, total, grid_a_requests):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    made = await _items(desk)
    principal = desk.principals[who]
    counts = await count_work_items(desk.mh, principal, "hepan")
    assert (counts["total"], counts["open"]) == (total, total)
    listed = await list_work_items(desk.mh, principal, "hepan", workflow="request")
    assert listed.total == total - (1 if who in ("street", "admin", "leader_a", "worker_a") else 0)
    grid_a = [r for r in listed.rows if r["grid"] == desk.grid_a]
    assert len(grid_a) == grid_a_requests
    if who == "worker_b":
        with pytest.raises(NotFound) as err:
            await get_work_item(desk.mh, principal, "hepan", made["a1"])
        assert str(err.value) == f"work item {made['a1']} not found"
        with pytest.raises(NotFound) as missing:
            await get_work_item(desk.mh, principal, "hepan", 999_999)
        assert str(missing.value) == "work item 999999 not found"


async def test_an_item_assigned_to_someone_outside_its_grid_is_theirs_to_see(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", grid=desk.grid_a,
                           assignee=desk.staff["worker_b"]["id"])
    assert (await get_work_item(desk.mh, desk.principals["worker_b"], "hepan", item["id"]))["id"] == item["id"]
    assert (await count_work_items(desk.mh, desk.principals["worker_b"], "hepan"))["total"] == 1


async def test_a_grid_worker_cannot_move_an_item_of_another_grid(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    made = await _items(desk)
    with pytest.raises(NotFound):
        await transition_item(desk.mh, desk.principals["worker_b"], REQUESTS, "hepan", made["a1"], "dispatched")
    with pytest.raises(NotFound) as err:
        await open_item(desk.mh, desk.principals["worker_b"], REQUESTS, "hepan", grid=desk.grid_a)
    assert err.value.field == "grid"


async def test_counts_by_state_and_flag_with_time(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    made = await _items(desk)
    admin = desk.principals["admin"]
    for key in ("a1", "a2", "b1"):
        await transition_item(desk.mh, admin, REQUESTS, "hepan", made[key], "dispatched")
    for state in ("signed", "in_progress", "waiting"):
        await transition_item(desk.mh, admin, REQUESTS, "hepan", made["a2"], state)
    await transition_item(desk.mh, admin, REQUESTS, "hepan", made["b2"], "closed")
    counts = await count_work_items(desk.mh, admin, "hepan", workflow="request")
    assert counts == {"total": 6, "open": 5, "by_state": {"closed": 1, "dispatched": 2, "received": 2, "waiting": 1},
                      "yellow": 0, "red": 0, "paused": 1}
    # Monday 11:00: the 2-hour sign-off of the five open requests is past (the paused one's sign-off was met)
    desk.clock.set(at(2026, 11, 30, 11, 0))
    counts = await count_work_items(desk.mh, admin, "hepan", workflow="request")
    assert (counts["red"], counts["yellow"]) == (4, 0)
    worker_a = await count_work_items(desk.mh, desk.principals["worker_a"], "hepan", workflow="request")
    assert (worker_a["total"], worker_a["red"], worker_a["paused"]) == (3, 2, 1)
    red = await list_work_items(desk.mh, admin, "hepan", flag="red")
    assert sorted(r["id"] for r in red.rows) == sorted([made["a1"], made["a3"], made["b1"], made["dept"]])
    # Friday 4 December 09:00: the follow-up (due Monday 7 December 17:30) has its yellow flag; it is in grid A
    desk.clock.set(at(2026, 12, 4, 9, 0))
    follow_ups = await count_work_items(desk.mh, desk.principals["worker_a"], "hepan", workflow="follow_up")
    assert (follow_ups["yellow"], follow_ups["red"]) == (0, 0)
    desk.clock.set(at(2026, 12, 7, 8, 30))
    follow_ups = await count_work_items(desk.mh, desk.principals["worker_a"], "hepan", workflow="follow_up")
    assert (follow_ups["yellow"], follow_ups["red"]) == (1, 0)
    assert (await count_work_items(desk.mh, desk.principals["worker_b"], "hepan", workflow="follow_up"))["yellow"] == 0
