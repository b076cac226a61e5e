"""What the governance services share: the workflows, the settings, who sees what (scope), clocks copied from the kernel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao import (
    CommunityInfo,
    DeadlineClock,
    Duration,
    Principal,
    Transition,
    Workflow,
    scenario_settings,
)
from meihao.tables import Department, StaffAssignment

from ..schemas import GovernanceSettings
from ..tables import Event, Order, Whistle, WhistleCall

SCENARIO = "governance"
#: The grid's own team (2+1+N+X): who may take an order inside the grid (小事不出网格).
TEAM_ROLES = ("grid_leader", "grid_worker", "grid_part_time", "dispatched")

#: The grid's closed loop (数字城管 7 steps, domain-rules §2): 发现 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案.
#: The moves from ``dispatched`` on follow the event's current order (签收, 退单, 反馈, 返工).
EVENTS = Workflow(
    scenario=SCENARIO, name="event", initial="reported",
    transitions=(
        Transition("reported", "registered"),                 # 立案
        Transition("reported", "dismissed", reason=True),     # 不予立案
        Transition("registered", "dispatched"),               # 派遣
        Transition("dispatched", "processing"),               # 处置: the order was signed
        Transition("dispatched", "registered", reason=True),  # 退单: back to be dispatched again
        Transition("processing", "registered", reason=True),  # 退单 after signing
        Transition("processing", "fed_back"),                 # 反馈
        Transition("fed_back", "processing", reason=True),    # 核查 failed: 返工
        Transition("fed_back", "checked"),                    # 核查
        Transition("checked", "closed"),                      # 结案
        Transition("reported", "withdrawn", reason=True),     # 撤回: filed by mistake, before any order (services/events.py)
        Transition("registered", "withdrawn", reason=True),
    ),
    final=("closed", "dismissed", "withdrawn"),
    clocks=(
        DeadlineClock("dispatch", Duration(working_hours=1), stops_in=("dispatched",)),
        DeadlineClock("check", Duration(working_days=1, by_close=True), starts_in=("fed_back",), stops_in=("checked",)),
    ),
)

#: One order (派单) to a department or a member of the grid's team.
ORDERS = Workflow(
    scenario=SCENARIO, name="order", initial="dispatched",
    transitions=(
        Transition("dispatched", "signed"),                  # 签收
        Transition("dispatched", "returned", reason=True),   # 退单
        Transition("signed", "returned", reason=True),
        Transition("signed", "fed_back"),                    # 反馈
        Transition("fed_back", "signed", reason=True),       # 返工 (the check failed)
        Transition("fed_back", "accepted"),                  # 核查通过
    ),
    final=("accepted", "returned"),
    clocks=(
        DeadlineClock("sign_off", Duration(working_hours=1), stops_in=("signed",)),
        DeadlineClock("resolution", Duration(working_days=5, by_close=True), stops_in=("fed_back",)),
    ),
)

#: One department summoned by a whistle (吹哨报到, 南京鼓楼 [V][L]): 签收, 联系, 报到/答复, then rated.
CALLS = Workflow(
    scenario=SCENARIO, name="whistle_call", initial="summoned",
    transitions=(
        Transition("summoned", "signed"),
        Transition("signed", "contacted"),
        Transition("signed", "reported"),      # on site at once: the report is the contact
        Transition("contacted", "reported"),
        Transition("reported", "rated"),
    ),
    final=("rated",),
    clocks=(
        DeadlineClock("sign_off", Duration(working_hours=1), stops_in=("signed",)),
        DeadlineClock("contact", Duration(working_days=1), stops_in=("contacted", "reported")),
        DeadlineClock("report", Duration(working_days=3, by_close=True), stops_in=("reported",)),
    ),
)


async def settings_of(mh: Any, community: CommunityInfo) -> GovernanceSettings:
    return await scenario_settings(mh, community.id, SCENARIO)  # type: ignore[return-value]


def event_durations(settings: GovernanceSettings) -> dict[str, Duration]:
    return {"dispatch": Duration(working_hours=settings.event_dispatch_working_hours),
            "check": Duration(working_days=settings.event_check_working_days, by_close=True)}


def order_durations(settings: GovernanceSettings) -> dict[str, Duration]:
    return {"sign_off": Duration(working_hours=settings.order_sign_working_hours),
            "resolution": Duration(working_days=settings.order_resolution_working_days, by_close=True)}


def call_durations(settings: GovernanceSettings, level: str) -> dict[str, Duration]:
    days = settings.whistle_advance_working_days if level == "advance" else settings.whistle_tackle_working_days
    return {"sign_off": Duration(working_hours=settings.whistle_sign_working_hours),
            "contact": Duration(working_days=settings.whistle_contact_working_days),
            "report": Duration(working_days=days, by_close=True)}


def due(item: dict[str, Any], clock: str) -> datetime | None:
    """A clock's due time as the kernel computed it (None before it starts)."""
    return next((c["due_at"] for c in item["clocks"] if c["name"] == clock), None)


def on_behalf(principal: Principal) -> Principal:
    """The caller, for moving the event's item when their order moves it (签收, 退单, 反馈).

    The scene has already found the order in the caller's scope (a department's staff reach the
    event only through their order, which the kernel's item scope does not know); the kernel
    records the move under the caller's name and id, as if they had made it on the event."""
    return Principal(staff_id=principal.staff_id, name=principal.name, street=True)


# -- scope -------------------------------------------------------------------------------
# Who sees what (the rules of issue 13): the street and the community's admins everything of the
# community; grid staff (the grid leaders and workers, and the X sent down to the grid) the events,
# orders and whistles of their grids; department staff only what was sent to their department.
# Outside it a record is a 404 exactly like a missing one.


def _department_ids(principal: Principal) -> list[int]:
    return sorted(principal.department_ids) if principal.department_staff() else []


def _none(column: Any) -> Any:
    return column.is_null() & column.is_not_null()


def _any(*clauses: Any) -> Any:
    found = [c for c in clauses if c is not None]
    if not found:
        return None
    result = found[0]
    for clause in found[1:]:
        result = result | clause
    return result


def order_scope(principal: Principal, community: CommunityInfo) -> list[Any]:
    clauses: list[Any] = [Order.community == community.id]
    if principal.manages_community(community.id):
        return clauses
    departments = _department_ids(principal)
    reach = _any(Order.grid.is_in(sorted(principal.grid_ids)) if principal.grid_ids else None,
                 Order.department.is_in(departments) if departments else None)
    return [*clauses, reach if reach is not None else _none(Order.id)]


def event_scope(principal: Principal, community: CommunityInfo) -> list[Any]:
    clauses: list[Any] = [Event.community == community.id]
    if principal.manages_community(community.id):
        return clauses
    departments = _department_ids(principal)
    reach = _any(
        Event.grid.is_in(sorted(principal.grid_ids)) if principal.grid_ids else None,
        Event.id.is_in(Order.select(Order.event).where(Order.community == community.id, Order.department.is_in(departments)))
        if departments else None,
    )
    return [*clauses, reach if reach is not None else _none(Event.id)]


def whistle_scope(principal: Principal, community: CommunityInfo) -> list[Any]:
    clauses: list[Any] = [Whistle.community == community.id]
    if principal.manages_community(community.id):
        return clauses
    departments = _department_ids(principal)
    reach = _any(
        Whistle.grid.is_in(sorted(principal.grid_ids)) if principal.grid_ids else None,
        Whistle.id.is_in(WhistleCall.select(WhistleCall.whistle).where(WhistleCall.community == community.id,
                                                                        WhistleCall.department.is_in(departments)))
        if departments else None,
    )
    return [*clauses, reach if reach is not None else _none(Whistle.id)]


async def department_id(code: str, field: str = "department") -> int:
    from meihao import NotFound

    row = await Department.select(Department.id).where(Department.code == code).first()
    if row is None:
        raise NotFound(f"{field}: department {code!r} not found", field=field)
    return row["id"]


async def grid_team(grid_id: int, roles: tuple[str, ...] = TEAM_ROLES) -> list[int]:
    """Active staff of the grid's team in ``roles``."""
    rows = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.grid == grid_id, StaffAssignment.role.is_in(list(roles)), StaffAssignment.staff.active.eq(True))
    return sorted({r["staff"] for r in rows})


async def department_staff(department: int) -> list[int]:
    rows = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.department == department, StaffAssignment.role == "department_staff", StaffAssignment.staff.active.eq(True))
    return sorted({r["staff"] for r in rows})
