"""What open_item refuses, the workflow declarations that cannot work, and the settings' checks: each with the field and a sentence."""

from __future__ import annotations

import pytest

from meihao import DeadlineClock, Duration, EscalationLevel, InvalidInput, NotFound, Transition, Workflow, open_item
from meihao.config import load_settings
from meihao.errors import ConfigurationError

from .conftest import REQUESTS, at


async def test_open_item_checks_what_it_is_given(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    admin = desk.principals["admin"]
    lost = Workflow(scenario="lost", name="x", initial="a", transitions=(Transition("a", "b"),))
    cases = [
        (dict(workflow=lost), InvalidInput, "workflow", "workflow: 'lost' is not an installed scenario"),
        (dict(grid=999_999), NotFound, "grid", "grid: grid 999999 not found"),
        (dict(assignee=desk.staff["other_admin"]["id"]), NotFound, "assignee", f"assignee: staff {desk.staff['other_admin']['id']} not found"),
        (dict(department="nope"), NotFound, "department", "department: department 'nope' not found"),
    ]
    for given, error, field, message in cases:
        workflow = given.pop("workflow", REQUESTS)
        with pytest.raises(error) as err:
            await open_item(desk.mh, admin, workflow, "hepan", **given)
        assert (err.value.field, str(err.value)) == (field, message)
    with pytest.raises(NotFound) as err:  # a community the caller does not reach looks missing
        await open_item(desk.mh, desk.principals["other_admin"], REQUESTS, "hepan")
    assert str(err.value) == "community 'hepan' not found"
    from meihao.workitems.tables import WorkItem

    assert await WorkItem.count() == 0


def test_a_workflow_that_cannot_work_is_refused_when_declared():
    with pytest.raises(ValueError, match="'done' is final, so no transition may leave it"):
        Workflow(scenario="s", name="w", initial="a", transitions=(Transition("a", "done"), Transition("done", "a")), final=("done",))
    with pytest.raises(ValueError, match="clock 'c' names the unknown state 'zz'"):
        Workflow(scenario="s", name="w", initial="a", transitions=(Transition("a", "b"),),
                 clocks=(DeadlineClock("c", Duration(working_days=1), stops_in=("zz",)),))
    with pytest.raises(ValueError, match="give exactly one of working_days and working_hours"):
        Duration(working_days=1, working_hours=2)
    with pytest.raises(ValueError, match="reach must be one of assignee, grid_leader, community_admin, street_admin"):
        EscalationLevel("x", "mayor", working_days=1)


@pytest.mark.parametrize(("values", "field"), [
    ({"workitem_yellow_working_days": -1}, "workitem_yellow_working_days"),
    ({"workitem_community_after_working_days": 6}, "workitem_grid_leader_after_working_days"),  # above the street's 5
    ({"workitem_max_extensions": -1}, "workitem_max_extensions"),
    ({"workitem_check_batch": 0}, "workitem_check_batch"),
])
def test_settings_out_of_range_name_the_setting(values, field):
    with pytest.raises(ConfigurationError) as err:
        load_settings(environ={}, **values)
    assert err.value.field == field


def test_settings_at_the_edges_are_accepted():
    settings = load_settings(environ={}, workitem_yellow_working_days=0, workitem_community_after_working_days=5,
                             workitem_max_extensions=0)
    assert (settings.workitem_yellow_working_days, settings.workitem_community_after_working_days) == (0, 5)


def test_the_checks_time_budget_must_be_positive():
    with pytest.raises(ConfigurationError) as err:
        load_settings(environ={}, workitem_check_seconds=0)
    assert err.value.field == "workitem_check_seconds"
