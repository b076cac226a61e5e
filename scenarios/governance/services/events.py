"""Grid events and their orders: the closed loop 发现 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案, with 退单 and 返工.

An event is a kernel work item (``EVENTS``); each dispatch is an order (``ORDERS``), a work item
of its own sent to a department or handed to someone of the grid's team, so that every
dispatch has its own sign-off and resolution clocks and a department's figures count its own
orders. Every change takes the event's lock (``governance.event``): two people signing one
order at once take turns, and the second is told who signed it first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao import (
    AttachmentOwner,
    CommunityInfo,
    Conflict,
    Forbidden,
    InvalidInput,
    Meihao,
    NotFound,
    Page,
    Principal,
    audit,
    item_callbacks,
    open_item,
    paginate,
    record_callback,
    remove_attachments,
    transaction,
    transition_item,
)
from meihao.tables import Building, Department, Grid, StaffAssignment

from ..schemas import (
    CATEGORIES,
    CallbackIn,
    CallbackOut,
    CheckIn,
    DispatchIn,
    EventIn,
    EventOut,
    FeedbackIn,
    OrderOut,
    ReasonIn,
    RegisterIn,
)
from ..tables import Event, Order, Whistle
from .common import (
    EVENTS,
    ORDERS,
    TEAM_ROLES,
    department_id,
    due,
    event_durations,
    event_scope,
    on_behalf,
    order_durations,
    order_scope,
    settings_of,
)

ORDER_COLUMNS = (
    Order.all_columns(),
    Order.department.code.as_alias("department_code"),
    Order.department.name.as_alias("department_name"),
    Order.signed_by.name.as_alias("signed_by_name"),
)
#: Sources of events another scene handed over (intake ``governance.event``): the sender links to the event.
HANDED_OVER = ("service_desk", "handed_over")
EVENT_COLUMNS = (Event.all_columns(), Event.reported_by.name.as_alias("reported_by_name"))


def _flag(now: datetime, final: bool, *clocks: tuple[datetime | None, datetime | None]) -> str:
    """``closed`` when done, ``red`` when a running clock (due, stopped) is past due, else ``open``."""
    if final:
        return "closed"
    return "red" if any(due_at is not None and stopped is None and due_at <= now for due_at, stopped in clocks) else "open"


def _order_out(row: dict[str, Any], now: datetime) -> OrderOut:
    return OrderOut(
        id=row["id"], event_id=row["event"], state=row["state"], department=row["department_code"], department_name=row["department_name"],
        assignee_id=row["assignee"], dispatched_at=row["dispatched_at"], sign_due_at=row["sign_due_at"], signed_at=row["signed_at"],
        signed_by=row["signed_by_name"], resolve_due_at=row["resolve_due_at"], fed_back_at=row["fed_back_at"], feedback=row["feedback"],
        returned_at=row["returned_at"], return_reason=row["return_reason"], reworks=row["reworks"],
        flag=_flag(now, row["state"] in ORDERS.final, (row["sign_due_at"], row["signed_at"]), (row["resolve_due_at"], row["fed_back_at"])),
    )


def _event_out(row: dict[str, Any], orders: list[OrderOut], now: datetime) -> EventOut:
    category = CATEGORIES.get(row["category"], {"zh": row["category"]})
    return EventOut(
        id=row["id"], grid_id=row["grid"], building_id=row["building"], source=row["source"], category=row["category"],
        category_name=category["zh"], place=row["place"], text=row["text"], external_id=row["external_id"], state=row["state"],
        reported_at=row["reported_at"], reported_by=row["reported_by_name"], checker_id=row["checker"],
        dispatch_due_at=row["dispatch_due_at"], check_due_at=row["check_due_at"], dismiss_reason=row["dismiss_reason"],
        closed_at=row["closed_at"], handled_in_grid=row["handled_in_grid"], closed_on_time=row["closed_on_time"],
        flag=_flag(now, row["state"] in EVENTS.final,
                   (row["dispatch_due_at"], None if row["state"] in ("reported", "registered") else row["reported_at"]),
                   (row["check_due_at"], None if row["state"] == "fed_back" else row["reported_at"])),
        orders=orders,
    )


async def _event_row(principal: Principal, community: CommunityInfo, event_id: int) -> dict[str, Any]:
    row = await Event.select(*EVENT_COLUMNS).where(Event.id == event_id, *event_scope(principal, community)).first()
    if row is None:
        raise NotFound(f"event {event_id} not found")
    return row


async def _orders_of(principal: Principal, community: CommunityInfo, event_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {e: [] for e in event_ids}
    if event_ids:
        for row in await Order.select(*ORDER_COLUMNS).where(Order.event.is_in(event_ids), *order_scope(principal, community)).order_by(Order.id):
            found[row["event"]].append(row)
    return found


async def get_event(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int) -> EventOut:
    row = await _event_row(principal, community, event_id)
    now = mh.clock.now()
    orders = (await _orders_of(principal, community, [event_id]))[event_id]
    return _event_out(row, [_order_out(o, now) for o in orders], now)


async def list_events(
    mh: Meihao, principal: Principal, community: CommunityInfo, *, state: str | None = None, grid_id: int | None = None,
    category: str | None = None, open_only: bool = False, page: int = 1, page_size: int | None = None,
) -> Page[EventOut]:
    clauses = event_scope(principal, community)
    if state is not None:
        clauses.append(Event.state == state)
    if grid_id is not None:
        clauses.append(Event.grid == grid_id)
    if category is not None:
        clauses.append(Event.category == category)
    if open_only:
        clauses.append(Event.state.not_in(list(EVENTS.final)))
    query = Event.select(*EVENT_COLUMNS).where(*clauses).order_by(Event.reported_at, ascending=False).order_by(Event.id, ascending=False)
    result = await paginate(mh, query, page=page, page_size=page_size)
    now = mh.clock.now()
    orders = await _orders_of(principal, community, [r["id"] for r in result.rows])
    return result.page_of([_event_out(r, [_order_out(o, now) for o in orders[r["id"]]], now) for r in result.rows])


def _category(code: str, field: str = "category") -> str:
    if code not in CATEGORIES:
        raise InvalidInput(f"{field}: {code!r} is not a category; choose one of {', '.join(CATEGORIES)}", field=field)
    return code


async def _checker(principal: Principal, grid_id: int) -> int | None:
    """The reporter when they are of the grid's team; else the grid's full-time grid worker; else nobody (the admins check)."""
    if principal.staff_id is not None and grid_id in principal.grid_ids:
        return principal.staff_id
    row = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.grid == grid_id, StaffAssignment.role == "grid_worker", StaffAssignment.staff.active.eq(True)).first()
    return row["staff"] if row else None


async def report_event(mh: Meihao, principal: Principal, community: CommunityInfo, data: EventIn) -> EventOut:
    """发现/上报: a grid event in one of the caller's grids (the community's, for its admins)."""
    category = _category(data.category)
    if not await Grid.exists().where(Grid.id == data.grid_id, Grid.community == community.id, *principal.where(Grid.community, Grid.id)):
        raise NotFound(f"grid_id: grid {data.grid_id} not found", field="grid_id")
    if data.building_id is not None and not await Building.exists().where(Building.id == data.building_id, Building.grid == data.grid_id):
        raise NotFound(f"building_id: building {data.building_id} not found", field="building_id")
    settings = await settings_of(mh, community)
    now = mh.clock.now()
    async with transaction(mh):
        event = Event(community=community.id, grid=data.grid_id, building=data.building_id, source=data.source, category=category,
                      place=data.place, text=data.text, external_id=data.external_id, state=EVENTS.initial, item=0,
                      reported_by=principal.staff_id, checker=await _checker(principal, data.grid_id), reported_at=now)
        await event.save()
        item = await open_item(mh, principal, EVENTS, community, kind=category, title=data.text[:60], subject=("governance_event", event.id),
                               grid=data.grid_id, durations=event_durations(settings))
        await Event.update({Event.item: item["id"], Event.dispatch_due_at: due(item, "dispatch")}).where(Event.id == event.id)
        await audit(principal, "governance.event.report", "governance_event", event.id, community_id=community.id)
    return await get_event(mh, principal, community, event.id)


async def _move_event(mh: Meihao, principal: Principal, community: CommunityInfo, event: dict[str, Any], target: str, *,
                      reason: str = "", expected: str | None = None, acting: Principal | None = None) -> dict[str, Any]:
    item = await transition_item(mh, acting or principal, EVENTS, community, event["item"], target, reason=reason,
                                 expected=expected if expected is not None else event["state"])
    changes: dict[Any, Any] = {Event.state: target}
    if target == "fed_back":
        changes[Event.check_due_at] = due(item, "check")
    await Event.update(changes).where(Event.id == event["id"])
    return item


async def register_event(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int, data: RegisterIn) -> EventOut:
    """立案: the event is confirmed (the category corrected if need be)."""
    category = _category(data.category) if data.category is not None else None
    async with transaction(mh, lock=("governance.event", event_id)):
        event = await _event_row(principal, community, event_id)
        await _move_event(mh, principal, community, event, "registered", expected="reported")
        if category is not None:
            await Event.update({Event.category: category}).where(Event.id == event_id)
        await audit(principal, "governance.event.register", "governance_event", event_id, community_id=community.id)
    return await get_event(mh, principal, community, event_id)


async def dismiss_event(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int, data: ReasonIn) -> EventOut:
    """不予立案: not a case (a duplicate, not real, not the grid's), with a reason."""
    async with transaction(mh, lock=("governance.event", event_id)):
        event = await _event_row(principal, community, event_id)
        await _move_event(mh, principal, community, event, "dismissed", reason=data.reason, expected="reported")
        await Event.update({Event.dismiss_reason: data.reason.strip(), Event.closed_at: mh.clock.now()}).where(Event.id == event_id)
        await audit(principal, "governance.event.dismiss", "governance_event", event_id, community_id=community.id, reason=data.reason)
    return await get_event(mh, principal, community, event_id)


#: What an event withdrawn (撤回) still is: closed or dismissed events are records of work done (or refused) and stay.
WITHDRAWABLE = ("reported", "registered")


async def withdraw_event(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int, data: ReasonIn) -> None:
    """撤回: an event filed by mistake (twice, in the wrong grid, a slip of the finger) is taken back, with the reason.

    Who: the person who reported it, while it is not yet registered (立案); the community's command (its admins,
    the grid's leaders: ``governance.event.dispatch``) while it is reported or registered. Never once an order went
    out (a department or the grid's team has it: return the order first, 退单, and the order stays on record), never
    when closed or dismissed (those are kept), and never an event another scene handed over (the sender keeps a link
    to it: dismiss it, 不予立案, instead). The row and its photos (the kernel's ``remove_attachments``) go; the audit
    log keeps who, when, why and what the event said, and the kernel's work item keeps its history, now ``withdrawn``.
    """

    async with transaction(mh, lock=("governance.event", event_id)):
        event = await _event_row(principal, community, event_id)
        dispatcher = principal.can("governance.event.dispatch")
        if not dispatcher and principal.staff_id != event["reported_by"]:
            raise Forbidden(f"event {event_id} is withdrawn by the person who reported it or by the community's command")
        if event["state"] in EVENTS.final:
            raise Conflict(f"state: event {event_id} is {event['state']!r}; only a reported or registered event is withdrawn, "
                           "a closed or dismissed one is kept", field="state")
        if event["state"] not in WITHDRAWABLE or await Order.exists().where(Order.event == event_id):
            raise Conflict(f"state: event {event_id} was dispatched; its orders stay on record, so it is not withdrawn", field="state")
        if not dispatcher and event["state"] != "reported":
            raise Forbidden(f"event {event_id} is registered already; the community's command withdraws it now")
        if event["source"] in HANDED_OVER:
            raise Conflict(f"source: event {event_id} was handed over by another scene ({event['external_id']}), which keeps a link "
                           "to it; dismiss it (不予立案) instead", field="source")
        await transition_item(mh, principal, EVENTS, community, event["item"], "withdrawn", reason=data.reason, expected=event["state"])
        await Whistle.update({Whistle.event: None}).where(Whistle.event == event_id)
        await Event.delete().where(Event.id == event_id)
        photos = await remove_attachments(mh, EVENT_PHOTOS, principal, community, event_id)
        await audit(principal, "governance.event.withdraw", "governance_event", event_id, community_id=community.id, reason=data.reason,
                    detail={"state": event["state"], "grid": event["grid"], "category": event["category"], "source": event["source"],
                            "place": event["place"], "text": event["text"], "reported_by": event["reported_by"],
                            "reported_at": event["reported_at"].isoformat(), "photos": photos, "item": event["item"]})


async def dispatch_event(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int, data: DispatchIn) -> EventOut:
    """派遣: an order to a department, or to someone of the grid's team (小事不出网格)."""
    if (data.department is None) == (data.assignee_id is None):
        raise InvalidInput("department: give a department or an assignee_id, one of the two", field="department")
    department = await department_id(data.department) if data.department is not None else None
    settings = await settings_of(mh, community)
    now = mh.clock.now()
    async with transaction(mh, lock=("governance.event", event_id)):
        event = await _event_row(principal, community, event_id)
        if data.assignee_id is not None and not await StaffAssignment.exists().where(
            StaffAssignment.staff == data.assignee_id, StaffAssignment.grid == event["grid"],
            StaffAssignment.role.is_in(list(TEAM_ROLES)), StaffAssignment.staff.active.eq(True),
        ):
            raise NotFound(f"assignee_id: staff {data.assignee_id} of the event's grid team not found", field="assignee_id")
        await _move_event(mh, principal, community, event, "dispatched", expected="registered")
        order = Order(event=event_id, community=community.id, grid=event["grid"], department=department, assignee=data.assignee_id,
                      item=0, state=ORDERS.initial, dispatched_at=now, dispatched_by=principal.staff_id)
        await order.save()
        item = await open_item(mh, principal, ORDERS, community, kind=event["category"], title=event["text"][:60],
                               subject=("governance_order", order.id), grid=event["grid"], department=data.department,
                               assignee=data.assignee_id, durations=order_durations(settings))
        await Order.update({Order.item: item["id"], Order.sign_due_at: due(item, "sign_off"),
                            Order.resolve_due_at: due(item, "resolution")}).where(Order.id == order.id)
        await audit(principal, "governance.event.dispatch", "governance_event", event_id, community_id=community.id,
                    detail={"order": order.id, "department": data.department, "assignee": data.assignee_id})
    return await get_event(mh, principal, community, event_id)


async def _current_order(event_id: int) -> dict[str, Any]:
    row = await Order.select().where(Order.event == event_id, Order.state.not_in(list(ORDERS.final))).first()
    if row is None:
        raise Conflict(f"state: event {event_id} has no order open", field="state")
    return row


async def check_event(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int, data: CheckIn) -> EventOut:
    """核查 by the grid worker who reported the event (the community's admins where the grid has none):
    passed, the order is accepted; failed, it goes back to its handler (返工) with the reason."""
    if not data.passed and not data.reason.strip():
        raise InvalidInput("reason: a failed check needs a reason (返工原因)", field="reason")
    async with transaction(mh, lock=("governance.event", event_id)):
        event = await _event_row(principal, community, event_id)
        allowed = principal.staff_id == event["checker"] if event["checker"] is not None else principal.manages_community(community.id)
        if not allowed:
            raise Forbidden("the check (核查) is done by the grid worker who reported the event")
        order = await _current_order(event_id) if event["state"] == "fed_back" else None
        if data.passed:
            await _move_event(mh, principal, community, event, "checked", expected="fed_back")
            await transition_item(mh, on_behalf(principal), ORDERS, community, order["item"], "accepted", expected="fed_back")
            await Order.update({Order.state: "accepted"}).where(Order.id == order["id"])
        else:
            await _move_event(mh, principal, community, event, "processing", reason=data.reason, expected="fed_back")
            await transition_item(mh, on_behalf(principal), ORDERS, community, order["item"], "signed", reason=data.reason, expected="fed_back")
            await Order.update({Order.state: "signed", Order.reworks: Order.reworks + 1}).where(Order.id == order["id"])
        await audit(principal, "governance.event.check", "governance_event", event_id, community_id=community.id,
                    reason=data.reason, detail={"passed": data.passed})
    return await get_event(mh, principal, community, event_id)


async def close_event(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int) -> EventOut:
    """结案: after a passed check. Records whether the grid handled it itself and whether its order was fed back on time."""
    now = mh.clock.now()
    async with transaction(mh, lock=("governance.event", event_id)):
        event = await _event_row(principal, community, event_id)
        await _move_event(mh, principal, community, event, "closed", expected="checked")
        order = await Order.select().where(Order.event == event_id, Order.state == "accepted").order_by(Order.id, ascending=False).first()
        on_time = order is not None and order["fed_back_at"] is not None and order["fed_back_at"] <= order["resolve_due_at"]
        await Event.update({Event.closed_at: now, Event.handled_in_grid: order is not None and order["department"] is None,
                            Event.closed_on_time: on_time}).where(Event.id == event_id)
        await audit(principal, "governance.event.close", "governance_event", event_id, community_id=community.id)
    return await get_event(mh, principal, community, event_id)


# -- orders, from the handler's side -------------------------------------------------------------


async def _order_row(principal: Principal, community: CommunityInfo, order_id: int) -> dict[str, Any]:
    row = await Order.select(*ORDER_COLUMNS).where(Order.id == order_id, *order_scope(principal, community)).first()
    if row is None:
        raise NotFound(f"order {order_id} not found")
    return row


def _require_handler(principal: Principal, order: dict[str, Any]) -> None:
    """An order to a department is the department's staff's to sign and handle; an order in the grid, its assignee's."""
    if order["department"] is not None:
        if not (principal.department_staff() and order["department"] in principal.department_ids):
            raise Forbidden(f"order {order['id']} is for the department {order['department_name']}; its staff sign and handle it")
    elif principal.staff_id != order["assignee"]:
        raise Forbidden(f"order {order['id']} is handed to someone else of the grid's team")


async def get_order(mh: Meihao, principal: Principal, community: CommunityInfo, order_id: int) -> OrderOut:
    return _order_out(await _order_row(principal, community, order_id), mh.clock.now())


async def list_orders(
    mh: Meihao, principal: Principal, community: CommunityInfo, *, state: str | None = None, department: str | None = None,
    open_only: bool = False, page: int = 1, page_size: int | None = None,
) -> Page[OrderOut]:
    clauses = order_scope(principal, community)
    if state is not None:
        clauses.append(Order.state == state)
    if department is not None:
        clauses.append(Order.department.is_in(Department.select(Department.id).where(Department.code == department)))
    if open_only:
        clauses.append(Order.state.not_in(list(ORDERS.final)))
    query = Order.select(*ORDER_COLUMNS).where(*clauses).order_by(Order.dispatched_at, ascending=False).order_by(Order.id, ascending=False)
    result = await paginate(mh, query, page=page, page_size=page_size)
    now = mh.clock.now()
    return result.page_of([_order_out(r, now) for r in result.rows])


async def _order_step(mh: Meihao, principal: Principal, community: CommunityInfo, order_id: int, target: str, event_target: str, *,
                      expected: str | tuple[str, ...], reason: str = "", changes: dict[Any, Any] | None = None) -> OrderOut:
    event_id = (await _order_row(principal, community, order_id))["event"]
    async with transaction(mh, lock=("governance.event", event_id)):
        order = await _order_row(principal, community, order_id)
        _require_handler(principal, order)
        seen = (expected,) if isinstance(expected, str) else expected
        if order["state"] not in seen:
            who = f" by {order['signed_by_name']}" if order["signed_by_name"] and order["state"] != "dispatched" else ""
            raise Conflict(f"state: order {order_id} is {order['state']!r} now{who}, not {seen[0]!r}", field="state")
        await transition_item(mh, principal, ORDERS, community, order["item"], target, reason=reason, expected=order["state"])
        event = await Event.select().where(Event.id == event_id).first()
        await _move_event(mh, principal, community, event, event_target, reason=reason, acting=on_behalf(principal))
        await Order.update({Order.state: target, **(changes or {})}).where(Order.id == order_id)
        await audit(principal, f"governance.order.{target}", "governance_order", order_id, community_id=community.id, reason=reason)
    return await get_order(mh, principal, community, order_id)


async def sign_order(mh: Meihao, principal: Principal, community: CommunityInfo, order_id: int) -> OrderOut:
    """签收: the first of the department's staff (or the assignee) to sign takes it; a second is told who signed."""
    return await _order_step(mh, principal, community, order_id, "signed", "processing", expected="dispatched",
                             changes={Order.signed_at: mh.clock.now(), Order.signed_by: principal.staff_id})


async def return_order(mh: Meihao, principal: Principal, community: CommunityInfo, order_id: int, data: ReasonIn) -> OrderOut:
    """退单: not this department's (or person's) matter, with the reason; the event goes back to be dispatched again."""
    return await _order_step(mh, principal, community, order_id, "returned", "registered", expected=("dispatched", "signed"),
                             reason=data.reason, changes={Order.returned_at: mh.clock.now(), Order.return_reason: data.reason.strip()})


async def feedback_order(mh: Meihao, principal: Principal, community: CommunityInfo, order_id: int, data: FeedbackIn) -> OrderOut:
    """反馈: what was done; the reporter checks it next. The first feedback's time counts for the deadline."""
    order = await _order_row(principal, community, order_id)
    changes: dict[Any, Any] = {Order.feedback: data.text}
    if order["fed_back_at"] is None:
        changes[Order.fed_back_at] = mh.clock.now()
    return await _order_step(mh, principal, community, order_id, "fed_back", "fed_back", expected="signed", changes=changes)


# -- call-backs (回访) -------------------------------------------------------------------------


async def _resolving_order(event: dict[str, Any]) -> dict[str, Any]:
    """The accepted order that resolved a closed event: the call-back is recorded on its work item."""
    order = None
    if event["state"] == "closed":
        order = await Order.select().where(Order.event == event["id"], Order.state == "accepted").order_by(Order.id, ascending=False).first()
    if order is None:
        raise Conflict(f"state: event {event['id']} is {event['state']!r}; it is called back once it is closed", field="state")
    return order


def _callback_out(event_id: int, order_id: int, row: dict[str, Any]) -> CallbackOut:
    return CallbackOut(id=row["id"], event_id=event_id, order_id=order_id, at=row["at"], by=row["actor"], result=row["result"],
                       contacted=row["contacted"], resolved=row["resolved"], note=row["note"])


async def record_event_callback(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int, data: CallbackIn) -> CallbackOut:
    """回访 of a closed event: the kernel's call-back on the order that resolved it (its department's and grid's 三率)."""
    async with transaction(mh, lock=("governance.event", event_id)):
        event = await _event_row(principal, community, event_id)
        order = await _resolving_order(event)
        row = await record_callback(mh, principal, ORDERS, community, order["item"], result=data.result, contacted=data.contacted,
                                    resolved=data.resolved, note=data.note)
        await audit(principal, "governance.event.callback", "governance_event", event_id, community_id=community.id,
                    detail={"result": data.result, "order": order["id"]})
    return _callback_out(event_id, order["id"], row)


async def event_callbacks(mh: Meihao, principal: Principal, community: CommunityInfo, event_id: int) -> list[CallbackOut]:
    """The call-backs of an event in the caller's scope, oldest first (none before it is closed)."""
    event = await _event_row(principal, community, event_id)
    order = await Order.select(Order.id, Order.item).where(Order.event == event_id, Order.state == "accepted").order_by(
        Order.id, ascending=False).first()
    if event["state"] != "closed" or order is None:
        return []
    return [_callback_out(event_id, order["id"], r) for r in await item_callbacks(mh, Principal.system(principal.name), community, order["item"],
                                                                                   workflow=ORDERS)]


# -- photos (现场照片): the kernel's attachments on events, through the event's scope (services/photos.py says more) --

EVENT_PHOTO = "governance.event.photo"


async def _event_in_scope(principal: Principal, community: CommunityInfo, row_id: int) -> Any:
    return await _event_row(principal, community, row_id)


#: ``/api/communities/{slug}/governance/events/{id}/attachments``: read with the events, written with ``governance.event.photo``.
EVENT_PHOTOS = AttachmentOwner("governance", "events", _event_in_scope, read="governance.event.read", write=EVENT_PHOTO, noun="event")
