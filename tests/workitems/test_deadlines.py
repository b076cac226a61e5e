"""Clocks on the working calendar: sign-off, first response and resolution across a weekend and the 2026 National Day.

The calendar's configured hours are 08:30–12:00 and 13:30–17:30, Monday to Friday, with the
official 2026 schedule (National Day 1–7 October off, Saturday 10 October worked). Every
expected moment below was counted by hand on that calendar.
"""

from __future__ import annotations

import pytest

from meihao import Duration, InvalidInput, get_work_item, item_deadlines, open_item

from .conftest import REQUESTS, at


def due(item: dict, clock: str):
    return next(c for c in item["clocks"] if c["name"] == clock)


async def test_a_request_received_on_friday_at_five_is_due_on_monday(make_desk):
    desk = await make_desk(at(2026, 11, 27, 17, 0))  # Friday
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint", title="楼道漏水")
    # 17:00–17:30 is half an hour; Monday 08:30 + 1.5 hours
    assert due(item, "sign_off")["due_at"] == at(2026, 11, 30, 10, 0)
    # one working day: the same point of the next working day
    assert due(item, "first_response")["due_at"] == at(2026, 11, 30, 17, 0)
    # five working days to the close: Mon 30 Nov … Fri 4 Dec
    assert due(item, "resolution")["due_at"] == at(2026, 12, 4, 17, 30)
    assert due(item, "resolution")["yellow_at"] == at(2026, 12, 3, 17, 30)
    # a two-hour sign-off and a one-day first response have no yellow moment before they started
    assert due(item, "sign_off")["yellow_at"] is None
    assert due(item, "first_response")["yellow_at"] is None
    assert [c["flag"] for c in item["clocks"]] == ["green", "green", "green"]
    assert item["flag"] == "green"


async def test_a_request_received_before_national_day_is_due_after_it(make_desk):
    desk = await make_desk(at(2026, 9, 30, 16, 0))  # Wednesday, the last working day before 1–7 October
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint")
    assert due(item, "sign_off")["due_at"] == at(2026, 10, 8, 9, 0)  # 1.5 h on the 30th, 0.5 h on the 8th
    assert due(item, "first_response")["due_at"] == at(2026, 10, 8, 16, 0)
    # 8 Oct (Thu), 9 (Fri), 10 (the make-up Saturday), 12 (Mon), 13 (Tue)
    assert due(item, "resolution")["due_at"] == at(2026, 10, 13, 17, 30)
    assert due(item, "resolution")["yellow_at"] == at(2026, 10, 12, 17, 30)


async def test_the_make_up_saturday_is_a_working_day_for_every_clock(make_desk):
    desk = await make_desk(at(2026, 10, 9, 17, 0))  # Friday before the make-up Saturday
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="consultation")
    assert due(item, "sign_off")["due_at"] == at(2026, 10, 10, 10, 0)
    assert due(item, "first_response")["due_at"] == at(2026, 10, 10, 17, 0)
    assert due(item, "resolution")["due_at"] == at(2026, 10, 10, 17, 30)  # 咨询: one working day, to the close


async def test_a_deadline_given_for_one_item_overrides_the_workflow(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint",
                           durations={"resolution": Duration(working_days=10, by_close=True)})
    # ten working days after Monday 30 November, the day itself not counted: 1–4, 7–11 and 14 December
    assert due(item, "resolution")["due_at"] == at(2026, 12, 14, 17, 30)
    assert due(item, "resolution")["working_days"] == 10
    with pytest.raises(InvalidInput) as err:
        await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", durations={"reply": Duration(working_days=1)})
    assert err.value.field == "durations"
    assert str(err.value) == "durations: 'reply' is not a clock of desk.request"


@pytest.mark.parametrize(("moment", "flag"), [
    (at(2026, 12, 3, 17, 29), "green"),   # a minute before the yellow moment
    (at(2026, 12, 3, 17, 30), "yellow"),  # the yellow moment itself
    (at(2026, 12, 4, 17, 29), "yellow"),  # a minute before the deadline
    (at(2026, 12, 4, 17, 30), "red"),     # the deadline
])
async def test_the_flag_at_each_threshold(make_desk, moment, flag):
    desk = await make_desk(at(2026, 11, 27, 17, 0))
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", kind="complaint")
    desk.clock.set(moment)
    clocks = {c["name"]: c["flag"] for c in await item_deadlines(desk.mh, desk.principals["admin"], "hepan", item["id"])}
    assert clocks["resolution"] == flag
    # the sign-off and first response were due on Monday 30 November: red by now
    assert clocks["sign_off"] == "red" and clocks["first_response"] == "red"
    assert (await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"]))["flag"] == "red"
