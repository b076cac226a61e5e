"""Call-backs (回访) and the 三率 report: a hand-built month with every number worked out below."""

from __future__ import annotations

import pytest

from meihao import (
    Conflict,
    DeadlineClock,
    Duration,
    InvalidInput,
    NotFound,
    Transition,
    Workflow,
    item_callbacks,
    open_item,
    record_callback,
    transition_item,
    work_item_rates,
)

from .conftest import at

#: A request answered, called back, then closed (or reopened after an unsatisfied call-back: 重办).
ANSWERED = Workflow(
    scenario="desk",
    name="answered",
    initial="open",
    transitions=(
        Transition("open", "answered"),
        Transition("answered", "closed"),
        Transition("answered", "open", reason=True),
    ),
    final=("closed",),
    callback_in=("answered",),
    clocks=(DeadlineClock("resolution", Duration(working_days=5, by_close=True)),),
)


async def _open(desk, grid: int) -> int:
    return (await open_item(desk.mh, desk.principals["admin"], ANSWERED, "hepan", grid=grid, kind="complaint"))["id"]


async def _move(desk, item: int, *states: str, reason: str = "") -> None:
    for state in states:
        await transition_item(desk.mh, desk.principals["admin"], ANSWERED, "hepan", item, state, reason=reason)


async def _call(desk, item: int, result: str, contacted: bool | None = None, resolved: bool | None = None) -> dict:
    return await record_callback(desk.mh, desk.principals["admin"], ANSWERED, "hepan", item, result=result,
                                 contacted=contacted, resolved=resolved)


async def _month(desk) -> dict[str, int]:
    """October: one item in grid A, closed and satisfied. November, grid A: items 1–6; grid B: items 7–9.

    1 satisfied, contacted, resolved · 2 basically satisfied, contacted, resolved · 3 unsatisfied,
    contacted, not resolved · 4 closed one minute late, unreachable · 5 still open and overdue ·
    6 unsatisfied, reopened (重办), then satisfied, contacted, resolved (only that one counts) ·
    7 closed exactly at its deadline, satisfied, contacted, resolved · 8 basically satisfied,
    contacted, not resolved · 9 open, not yet due."""
    a, b = desk.grid_a, desk.grid_b
    desk.clock.set(at(2026, 10, 20, 9, 0))
    ids = {"oct": await _open(desk, a)}
    desk.clock.set(at(2026, 10, 21, 10, 0))
    await _move(desk, ids["oct"], "answered")
    await _call(desk, ids["oct"], "satisfied", True, True)
    await _move(desk, ids["oct"], "closed")

    desk.clock.set(at(2026, 11, 2, 9, 0))  # Monday: due Monday 9 Nov 17:30 (the 5 working days start on the 3rd)
    for n in range(1, 7):
        ids[str(n)] = await _open(desk, a)
    desk.clock.set(at(2026, 11, 3, 10, 0))
    await _move(desk, ids["1"], "answered")
    await _call(desk, ids["1"], "satisfied", True, True)
    await _move(desk, ids["1"], "closed")
    await _move(desk, ids["2"], "answered")
    await _call(desk, ids["2"], "basically_satisfied", True, True)
    await _move(desk, ids["2"], "closed")
    await _move(desk, ids["3"], "answered")
    await _call(desk, ids["3"], "unsatisfied", True, False)
    await _move(desk, ids["3"], "closed")
    await _move(desk, ids["6"], "answered")
    await _call(desk, ids["6"], "unsatisfied", True, False)
    await _move(desk, ids["6"], "open", reason="回访不满意，重办")
    desk.clock.set(at(2026, 11, 4, 10, 0))
    await _move(desk, ids["6"], "answered")
    await _call(desk, ids["6"], "satisfied", True, True)
    await _move(desk, ids["6"], "closed")
    desk.clock.set(at(2026, 11, 9, 17, 31))  # one minute past item 4's deadline
    await _move(desk, ids["4"], "answered", "closed")
    await _call(desk, ids["4"], "unreachable")  # on the closed item

    desk.clock.set(at(2026, 11, 10, 9, 0))  # Tuesday: due Tuesday 17 Nov 17:30
    ids["7"], ids["8"] = await _open(desk, b), await _open(desk, b)
    desk.clock.set(at(2026, 11, 12, 10, 0))
    await _move(desk, ids["8"], "answered")
    await _call(desk, ids["8"], "basically_satisfied", True, False)
    await _move(desk, ids["8"], "closed")
    desk.clock.set(at(2026, 11, 17, 17, 30))  # exactly at item 7's deadline: on time
    await _move(desk, ids["7"], "answered", "closed")
    await _call(desk, ids["7"], "satisfied", True, True)
    desk.clock.set(at(2026, 11, 25, 9, 0))  # Wednesday: due Wednesday 2 Dec 17:30
    ids["9"] = await _open(desk, b)
    desk.clock.set(at(2026, 11, 30, 10, 0))
    return ids


def _numbers(row: dict) -> tuple:
    return (row["items"], row["closed"], row["closed_on_time"], row["overdue_open"], row["callbacks"], row["valid"],
            row["contacted"], row["resolved"], row["satisfied"], row["basically_satisfied"], row["unsatisfied"], row["unreachable"],
            row["response_rate"], row["resolution_rate"], row["satisfaction_rate"], row["on_time_rate"], row["score"])


NOVEMBER = (at(2026, 11, 1), at(2026, 12, 1))


async def test_the_three_rates_of_a_hand_built_month(make_desk):
    desk = await make_desk(at(2026, 10, 20, 9, 0))
    await _month(desk)
    street = desk.principals["street"]
    rows = await work_item_rates(desk.mh, street, since=NOVEMBER[0], until=NOVEMBER[1], scenario="desk", workflow="answered")
    # 9 items; closed 1,2,3,4,6,7,8 = 7, on time all but 4 = 6; open and overdue: 5.
    # Valid call-backs (latest, not unreachable): 1,2,3,6,7,8 = 6; contacted 6; resolved 1,2,6,7 = 4;
    # satisfied 1,6,7 = 3; basically 2,8 = 2; unsatisfied 3; unreachable 4.
    # 响应率 6/6 = 1; 解决率 4/6 = 0.6667; 满意率 (3 + 0.9 × 2) / 6 = 4.8 / 6 = 0.8; 按期 6 / (7 + 1) = 0.75;
    # 综合 100 × (0.1 × 1 + 0.5 × 4/6 + 0.4 × 0.8) = 10 + 33.333 + 32 = 75.33.
    assert [(r["key"], _numbers(r)) for r in rows] == [("", (9, 7, 6, 1, 7, 6, 6, 4, 3, 2, 1, 1, 1.0, 0.6667, 0.8, 0.75, 75.33))]

    by_grid = await work_item_rates(desk.mh, street, since=NOVEMBER[0], until=NOVEMBER[1], scenario="desk", by="grid")
    # Grid A (1–6): closed 5, on time 4, overdue open 1 → 4/6; valid 1,2,3,6 = 4, contacted 4, resolved 3,
    # satisfied 2, basically 1 → 满意率 2.9/4 = 0.725; 综合 10 + 37.5 + 29 = 76.5.
    # Grid B (7–9): closed 2, on time 2 → 1; valid 2, contacted 2, resolved 1 → 0.5; 满意率 1.9/2 = 0.95;
    # 综合 10 + 25 + 38 = 73.
    assert [(r["key"], r["label"], _numbers(r)) for r in by_grid] == [
        (desk.grid_a, "第2网格", (6, 5, 4, 1, 5, 4, 4, 3, 2, 1, 1, 1, 1.0, 0.75, 0.725, 0.6667, 76.5)),
        (desk.grid_b, "第3网格", (3, 2, 2, 0, 2, 2, 2, 1, 1, 1, 0, 0, 1.0, 0.5, 0.95, 1.0, 73.0)),
    ]


async def test_rates_by_month_by_community_and_with_other_weights(make_desk):
    desk = await make_desk(at(2026, 10, 20, 9, 0))
    await _month(desk)
    street = desk.principals["street"]
    by_month = await work_item_rates(desk.mh, street, since=at(2026, 10, 1), until=at(2026, 12, 1), by="month")
    assert [(r["key"], _numbers(r)) for r in by_month] == [
        ("2026-10", (1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1.0, 1.0, 1.0, 1.0, 100.0)),
        ("2026-11", (9, 7, 6, 1, 7, 6, 6, 4, 3, 2, 1, 1, 1.0, 0.6667, 0.8, 0.75, 75.33)),
    ]
    by_community = await work_item_rates(desk.mh, street, since=at(2026, 10, 1), until=at(2026, 12, 1), by="community")
    assert [(r["label"], r["items"], r["valid"]) for r in by_community] == [("荷畔社区", 10, 7)]
    # 准格尔旗's weights (0.3 / 0.35 / 0.35) and 基本满意 counted as 0.8:
    # 满意率 (3 + 0.8 × 2) / 6 = 0.7667; 综合 100 × (0.3 + 0.35 × 4/6 + 0.35 × 4.6/6) = 30 + 23.333 + 26.833 = 80.17.
    other = await work_item_rates(desk.mh, street, since=NOVEMBER[0], until=NOVEMBER[1], weights=(0.3, 0.35, 0.35),
                                  basically_satisfied_weight=0.8)
    assert (other[0]["satisfaction_rate"], other[0]["score"]) == (0.7667, 80.17)


async def test_the_settings_give_the_weights(make_desk):
    desk = await make_desk(at(2026, 10, 20, 9, 0), workitem_response_weight=0.2, workitem_resolution_weight=0.4,
                           workitem_satisfaction_weight=0.4, workitem_basically_satisfied_weight=1.0)
    await _month(desk)
    rows = await work_item_rates(desk.mh, desk.principals["street"], since=NOVEMBER[0], until=NOVEMBER[1])
    # 满意率 (3 + 2) / 6 = 0.8333; 综合 100 × (0.2 + 0.4 × 4/6 + 0.4 × 5/6) = 20 + 26.667 + 33.333 = 80.
    assert (rows[0]["satisfaction_rate"], rows[0]["score"]) == (0.8333, 80.0)


async def test_each_caller_counts_only_the_items_in_their_scope(make_desk):
    desk = await make_desk(at(2026, 10, 20, 9, 0))
    await _month(desk)
    worker_b = await work_item_rates(desk.mh, desk.principals["worker_b"], since=NOVEMBER[0], until=NOVEMBER[1])
    assert [_numbers(r) for r in worker_b] == [(3, 2, 2, 0, 2, 2, 2, 1, 1, 1, 0, 0, 1.0, 0.5, 0.95, 1.0, 73.0)]
    by_grid = await work_item_rates(desk.mh, desk.principals["leader_a"], since=NOVEMBER[0], until=NOVEMBER[1], by="grid")
    assert [(r["key"], r["items"]) for r in by_grid] == [(desk.grid_a, 6)]
    assert await work_item_rates(desk.mh, desk.principals["other_admin"], since=NOVEMBER[0], until=NOVEMBER[1]) == []
    assert await work_item_rates(desk.mh, desk.principals["department"], since=NOVEMBER[0], until=NOVEMBER[1]) == []


async def test_only_the_latest_call_back_counts_and_the_history_keeps_all(make_desk):
    desk = await make_desk(at(2026, 10, 20, 9, 0))
    ids = await _month(desk)
    calls = await item_callbacks(desk.mh, desk.principals["admin"], "hepan", ids["6"])
    assert [(c["result"], c["contacted"], c["resolved"], c["latest"], c["actor"], c["at"]) for c in calls] == [
        ("unsatisfied", True, False, False, "社区书记", at(2026, 11, 3, 10, 0)),
        ("satisfied", True, True, True, "社区书记", at(2026, 11, 4, 10, 0)),
    ]
    with pytest.raises(NotFound):
        await item_callbacks(desk.mh, desk.principals["worker_b"], "hepan", ids["6"])


async def test_call_backs_refuse_bad_answers_open_items_and_items_out_of_scope(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await _open(desk, desk.grid_a)
    with pytest.raises(Conflict) as err:
        await _call(desk, item, "satisfied", True, True)
    assert str(err.value) == f"state: work item {item} is 'open'; a call-back is recorded once it is closed or in 'answered'"
    await _move(desk, item, "answered")
    with pytest.raises(InvalidInput) as err:
        await _call(desk, item, "happy", True, True)
    assert err.value.field == "result"
    with pytest.raises(InvalidInput) as err:
        await _call(desk, item, "satisfied", None, True)
    assert err.value.field == "contacted"
    with pytest.raises(InvalidInput) as err:
        await _call(desk, item, "satisfied", True, None)
    assert err.value.field == "resolved"
    with pytest.raises(NotFound):
        await record_callback(desk.mh, desk.principals["worker_b"], ANSWERED, "hepan", item, result="satisfied", contacted=True,
                              resolved=True)
    with pytest.raises(InvalidInput) as err:
        await work_item_rates(desk.mh, desk.principals["street"], since=NOVEMBER[0], until=NOVEMBER[1], by="weekday")
    assert err.value.field == "by"
    unreachable = await _call(desk, item, "unreachable", True, True)
    assert (unreachable["contacted"], unreachable["resolved"]) == (False, False)


def test_the_rate_settings_at_and_past_their_edges():
    from meihao.config import load_settings
    from meihao.errors import ConfigurationError

    edge = load_settings(environ={}, workitem_basically_satisfied_weight=1.0, workitem_response_weight=0.0)
    assert (edge.workitem_basically_satisfied_weight, edge.workitem_response_weight) == (1.0, 0.0)
    assert load_settings(environ={}).workitem_basically_satisfied_weight == 0.9
    for given, field in (({"workitem_basically_satisfied_weight": 1.01}, "workitem_basically_satisfied_weight"),
                         ({"workitem_basically_satisfied_weight": -0.01}, "workitem_basically_satisfied_weight"),
                         ({"workitem_resolution_weight": -0.1}, "workitem_resolution_weight"),
                         ({"workitem_response_weight": 0, "workitem_resolution_weight": 0, "workitem_satisfaction_weight": 0},
                          "workitem_response_weight")):
        with pytest.raises(ConfigurationError) as err:
            load_settings(environ={}, **given)
        assert err.value.field == field


def test_a_callback_state_must_be_a_state_of_the_workflow():
    with pytest.raises(ValueError) as err:
        Workflow(scenario="desk", name="x", initial="open", transitions=(Transition("open", "done"),), final=("done",),
                 callback_in=("replied",))
    assert str(err.value) == "workflow desk.x: 'replied' is in pause/final/callback_in but no transition leads to or from it"
