"""Requests (诉求): receive, dispatch, sign, handle, reply, call back and close, on the kernel's work items.

The state, the deadlines, the history and the call-backs are the kernel work item's (workflow
``service.request``); the request row keeps what only the desk knows (channel, type, requester,
place, text, reply, the 12345 number). Every read and change goes through the work-item API with
the caller's principal, so a request outside the caller's scope is the same 404 as a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    DeadlineClock,
    Duration,
    HandOver,
    InvalidInput,
    NotFound,
    Page,
    Principal,
    Transition,
    Workflow,
    assign_item,
    can_hand_over,
    extend_item,
    get_work_item,
    hand_over,
    item_callbacks,
    list_work_items,
    open_item,
    record_callback,
    scenario_settings,
    scoped_resident,
    transaction,
    transition_item,
    working_calendar,
)
from meihao.tables import Building, Grid, Staff, StaffAssignment

from ..schemas import (
    CHANNELS,
    STATES,
    TYPES,
    ActionIn,
    CallbackIn,
    CallbackOut,
    ClockOut,
    ExtensionIn,
    HandOverIn,
    RequestIn,
    RequestOut,
    ServiceSettings,
)
from ..tables import ServiceRequest
from . import hotline

SCENARIO = "service"
#: The kernel, to answer with a request the caller has just handed out of their own sight.
SYSTEM = Principal.system(SCENARIO)

#: 受理 → 分办 → 签收 → 办理 → 答复 → 回访 → 办结, with 退回 (reason) and 重办 (reason, after 不满意).
#: The lengths here are the defaults; each request gets its community's (settings) at opening.
REQUESTS = Workflow(
    scenario=SCENARIO,
    name="request",
    initial="received",
    transitions=(
        Transition("received", "dispatched"),               # 分办
        Transition("received", "closed"),                   # 简单事项当场办结
        Transition("dispatched", "signed"),                 # 签收
        Transition("dispatched", "returned", reason=True),  # 退回: wrong owner
        Transition("returned", "dispatched"),               # 再分办
        Transition("signed", "in_progress"),                # 办理
        Transition("in_progress", "replied"),               # 答复
        Transition("replied", "visited"),                   # 回访 (with the call-back)
        Transition("visited", "closed"),                    # 办结
        Transition("visited", "reopened", reason=True),     # 重办 after an unsatisfied call-back
        Transition("reopened", "replied"),
        # 转为网格事件/吹哨: beyond the community; answered (答复) once governance has dealt with it.
        Transition("received", "handed_over", reason=True),
        Transition("signed", "handed_over", reason=True),
        Transition("in_progress", "handed_over", reason=True),
        Transition("reopened", "handed_over", reason=True),
        Transition("handed_over", "replied"),
    ),
    final=("closed",),
    callback_in=("replied",),
    clocks=(
        DeadlineClock("sign_off", Duration(working_hours=2), starts_in=("dispatched",), stops_in=("signed",)),
        DeadlineClock("resolution", Duration(working_days=5, by_close=True), stops_in=("replied",)),
        DeadlineClock("reopen", Duration(working_days=5, by_close=True), starts_in=("reopened",), stops_in=("replied",)),
    ),
)

#: action -> (the states it leaves from, the state it goes to)
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "dispatch": (("received",), "dispatched"),
    "redispatch": (("returned",), "dispatched"),
    "sign": (("dispatched",), "signed"),
    "start": (("signed",), "in_progress"),
    "reply": (("in_progress", "reopened", "handed_over"), "replied"),
    "close": (("visited",), "closed"),
    "return": (("dispatched",), "returned"),
    "reopen": (("visited",), "reopened"),
}

COLUMNS = (
    ServiceRequest.id, ServiceRequest.item, ServiceRequest.channel, ServiceRequest.type, ServiceRequest.requester,
    ServiceRequest.requester.name.as_alias("requester_name"), ServiceRequest.grid, ServiceRequest.building, ServiceRequest.text,
    ServiceRequest.received_by, ServiceRequest.received_at, ServiceRequest.external_id, ServiceRequest.reply,
    ServiceRequest.handed_to, ServiceRequest.handed_path,
)
#: The intake of governance a request is handed to (转为网格事件/吹哨), and the states it may leave from.
EVENT_INTAKE = "governance.event"
HAND_OVER_FROM = ("received", "signed", "in_progress", "reopened")


async def settings_of(mh: Any, community: CommunityInfo) -> ServiceSettings:
    return await scenario_settings(mh, community.id, SCENARIO)  # type: ignore[return-value]


def _clean(text: str, field: str, most: int = 2000) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{field}: must not be empty", field=field)
    if len(text) > most:
        raise InvalidInput(f"{field}: at most {most} characters, got {len(text)}", field=field)
    return text


def _out(row: dict[str, Any], item: dict[str, Any]) -> RequestOut:
    started = [c for c in item["clocks"] if c["flag"] != "waiting"]
    order = ("met", "met_late", "paused", "green", "yellow", "red")
    worst = max((c["flag"] for c in started), key=order.index, default="met")
    return RequestOut(
        id=row["id"], item=row["item"], channel=row["channel"], channel_zh=CHANNELS[row["channel"]], type=row["type"],
        type_zh=TYPES[row["type"]], state=item["state"], state_zh=STATES[item["state"]], flag=worst, text=row["text"],
        requester=row["requester"], requester_name=row["requester_name"] or "", anonymous=row["requester"] is None,
        grid=row["grid"], building=row["building"], received_by=row["received_by"], assignee=item["assignee"],
        received_at=row["received_at"], closed_at=item["closed_at"], external_id=row["external_id"], reply=row["reply"],
        clocks=[ClockOut(name=c["name"], due_at=c["due_at"], stopped_at=c["stopped_at"], flag=c["flag"], extensions=c["extensions"])
                for c in item["clocks"]],
        handed_to=row["handed_to"] or "", handed_path=row["handed_path"] or "",
    )


async def _row(community: CommunityInfo, request_id: int) -> dict[str, Any]:
    row = await ServiceRequest.select(*COLUMNS).where(ServiceRequest.id == request_id, ServiceRequest.community == community.id).first()
    if row is None:
        raise NotFound(f"request {request_id} not found")
    return row


async def _scoped(mh: Any, principal: Principal, community: CommunityInfo, request_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request and its work item, if the caller's scope reaches the item; else the 404 of a missing request."""
    row = await _row(community, request_id)
    try:
        item = await get_work_item(mh, principal, community, row["item"], workflow=REQUESTS)
    except NotFound as err:
        raise NotFound(f"request {request_id} not found") from err
    return row, item


async def get_request(mh: Any, principal: Principal, community: CommunityInfo, request_id: int) -> RequestOut:
    row, item = await _scoped(mh, principal, community, request_id)
    return _out(row, item)


async def _place(principal: Principal, community: CommunityInfo, data: Any) -> tuple[int | None, int | None]:
    """The request's grid: given, else the building's, else the requester's."""
    grid, building = data.grid, getattr(data, "building", None)
    if building is not None:
        found = await Building.select(Building.id, Building.grid).where(Building.id == building, Building.community == community.id).first()
        if found is None:
            raise NotFound(f"building: building {building} not found", field="building")
        if grid is not None and grid != found["grid"]:
            raise InvalidInput(f"building: building {building} is not in grid {grid}", field="building")
        grid = found["grid"]
    return grid, building


async def receive(
    mh: Any, principal: Principal, community: CommunityInfo, data: RequestIn, *, external_id: str | None = None,
    working_days: int | None = None,
) -> RequestOut:
    """受理: the caller receives the request and owns it (首接负责制) until it is handed over; a matter
    settled on the spot (``settled_on_the_spot``) is closed at once with that as the reply."""
    settings = await settings_of(mh, community)
    text = _clean(data.text, "text")
    grid, building = await _place(principal, community, data)
    requester = None
    if data.requester is not None:
        resident = await scoped_resident(principal, community, data.requester, field="requester")
        requester = resident["id"]
        grid = grid if grid is not None else resident["grid"]
    days = working_days or settings.working_days_for(data.type, data.channel)
    durations = {
        "sign_off": Duration(working_hours=settings.sign_off_working_hours),
        "resolution": Duration(working_days=days, by_close=True),
        "reopen": Duration(working_days=settings.reopen_working_days, by_close=True),
    }
    # 首接负责制: the receiver owns it, when they work in the community (the street's staff hand it on).
    works_here = community.id in principal.community_ids or community.id in principal.grid_community_ids
    item = await open_item(
        mh, principal, REQUESTS, community, kind=data.type, title=text[:60], grid=grid,
        assignee=principal.staff_id if works_here else None,
        durations=durations, reason=f"{CHANNELS[data.channel]}受理",
    )
    row = ServiceRequest(
        community=community.id, item=item["id"], channel=data.channel, type=data.type, requester=requester, grid=grid,
        building=building, text=text, received_by=principal.staff_id, received_at=mh.clock.now(), external_id=external_id,
    )
    await row.save()
    settled = (data.settled_on_the_spot or "").strip()
    if settled:
        await ServiceRequest.update({ServiceRequest.reply: settled}).where(ServiceRequest.id == row.id)
        await transition_item(mh, principal, REQUESTS, community, item["id"], "closed", reason=f"当场办结：{settled}")
    return await get_request(mh, principal, community, row.id)


async def act(mh: Any, principal: Principal, community: CommunityInfo, request_id: int, data: ActionIn) -> RequestOut:
    """One step of the workflow, named as the desk names it (分办, 签收, 办理, 答复, 办结, 退回, 再分办, 重办)."""
    row, item = await _scoped(mh, principal, community, request_id)
    settings = await settings_of(mh, community)
    sources, target = ACTIONS[data.action]
    if item["state"] not in sources and not item["final"] and (data.expected is None or data.expected == item["state"]):
        raise InvalidInput(
            f"action: a request that is {STATES[item['state']]} ({item['state']}) cannot be {data.action}ed; "
            f"{data.action} applies to {', '.join(STATES[s] for s in sources)}",
            field="action",
        )
    if data.action in ("dispatch", "redispatch"):
        if data.assignee is None:
            raise InvalidInput("assignee: say to whom the request is handed over (分办)", field="assignee")
    if data.action == "reply":
        reply = _clean(data.reply, "reply")
    if data.action == "return":
        await _check_return_window(mh, community, item, settings)
    item = await transition_item(mh, principal, REQUESTS, community, row["item"], target, reason=data.reason,
                                 expected=data.expected or item["state"])
    if data.action in ("dispatch", "redispatch"):
        await assign_item(mh, principal, REQUESTS, community, row["item"], data.assignee, reason="分办")
    elif data.action == "return" and row["received_by"] is not None:
        # 首接负责制: a returned request goes back to its first receiver until it is dispatched again.
        await assign_item(mh, principal, REQUESTS, community, row["item"], row["received_by"], reason="退回首接人")
    elif data.action == "reply":
        await ServiceRequest.update({ServiceRequest.reply: reply}).where(ServiceRequest.id == row["id"])
    if data.action in ("reply", "close") and row["external_id"]:
        # 12345: the answer and the closing go back to the platform (services/hotline.py, sent by the job)
        await hotline.enqueue(mh, community, row["id"], data.action, reply if data.action == "reply" else row["reply"])
    handed_over = data.action in ("dispatch", "redispatch", "return")
    return await get_request(mh, SYSTEM if handed_over else principal, community, request_id)


async def hand_to_governance(mh: Any, principal: Principal, community: CommunityInfo, request_id: int, data: HandOverIn) -> RequestOut:
    """转为网格事件/吹哨: a request the community cannot solve becomes a grid event in governance, in one step.

    The event (kernel intake ``governance.event``), the request's move to 已转网格事件 and its link are saved in one
    transaction, or nothing is. 409 when governance is not on in the community or the request was handed over already.
    """
    reason = _clean(data.reason, "reason", 500)
    async with transaction(mh, lock=("service.request", request_id)):
        row, item = await _scoped(mh, principal, community, request_id)
        if row["handed_to"]:
            raise Conflict(f"request {request_id} was handed over already ({row['handed_to']})", field="state")
        if item["state"] not in HAND_OVER_FROM:
            raise InvalidInput(
                f"state: a request that is {STATES[item['state']]} ({item['state']}) cannot be handed over; "
                f"hand over one that is {', '.join(STATES[s] for s in HAND_OVER_FROM)}", field="state")
        if not await can_hand_over(mh, EVENT_INTAKE, community.slug):
            raise Conflict(f"governance (治理 · 吹哨派单) is not switched on in {community.name} ({community.slug}): "
                           "the request cannot become a grid event there; handle it at the desk", field="intake")
        data_keys: dict[str, Any] = {"place": data.place.strip()}
        if data.category:
            data_keys["category"] = data.category
        receipt = await hand_over(mh, EVENT_INTAKE, HandOver(
            community=community.slug, source=f"service.request:{request_id}", title=row["text"][:60], body=row["text"],
            resident_id=row["requester"], grid_id=row["grid"], building_id=row["building"], data=data_keys), principal)
        await transition_item(mh, principal, REQUESTS, community, row["item"], "handed_over", reason=f"转为网格事件：{reason}",
                              expected=data.expected or item["state"])
        await ServiceRequest.update({ServiceRequest.handed_to: receipt.reference, ServiceRequest.handed_path: receipt.path}).where(
            ServiceRequest.id == request_id)
    return await get_request(mh, principal, community, request_id)


async def _check_return_window(mh: Any, community: CommunityInfo, item: dict[str, Any], settings: ServiceSettings) -> None:
    """退回 only within ``return_within_working_days`` of the last 分办 (a wrong-owner request goes back quickly)."""
    dispatched = [e["at"] for e in item["history"] if e["action"] == "transition" and e["to_state"] == "dispatched"]
    if not dispatched:
        return
    calendar = await working_calendar(mh, community)
    latest = calendar.add_working_days(dispatched[-1], settings.return_within_working_days)
    if mh.clock.now() > latest:
        raise Conflict(
            f"action: a request may be returned within {settings.return_within_working_days} working days of being dispatched "
            f"(by {latest.astimezone(community.tz):%Y-%m-%d %H:%M}); handle it, or ask for it to be reassigned",
            field="action",
        )


async def extend(mh: Any, principal: Principal, community: CommunityInfo, request_id: int, data: ExtensionIn) -> RequestOut:
    """延期: the running resolution (or 重办) clock, at most ``max_extensions`` times, each ≤ ``max_extension_working_days``."""
    row, item = await _scoped(mh, principal, community, request_id)
    settings = await settings_of(mh, community)
    if not 1 <= data.working_days <= settings.max_extension_working_days:
        raise InvalidInput(f"working_days: an extension is 1 to {settings.max_extension_working_days} working days, "
                           f"got {data.working_days}", field="working_days")
    running = [c for c in item["clocks"] if c["name"] in ("resolution", "reopen") and c["stopped_at"] is None and c["due_at"] is not None]
    if not running:
        raise Conflict("clock: the request has no running deadline to extend", field="clock")
    clock = running[-1]
    if clock["extensions"] >= settings.max_extensions:
        raise Conflict(f"clock: the deadline was extended {clock['extensions']} time(s), the most allowed ({settings.max_extensions})",
                       field="clock")
    await extend_item(mh, principal, REQUESTS, community, row["item"], clock["name"], Duration(working_days=data.working_days),
                      reason=data.reason)
    return await get_request(mh, principal, community, request_id)


async def call_back(mh: Any, principal: Principal, community: CommunityInfo, request_id: int, data: CallbackIn) -> RequestOut:
    """回访: record the requester's answers on an answered request and move it to 回访; then 办结 or 重办."""
    row, item = await _scoped(mh, principal, community, request_id)
    await record_callback(mh, principal, REQUESTS, community, row["item"], result=data.result, contacted=data.contacted,
                          resolved=data.resolved, note=data.note)
    await transition_item(mh, principal, REQUESTS, community, row["item"], "visited", reason=data.note)
    return await get_request(mh, principal, community, request_id)


async def callbacks(mh: Any, principal: Principal, community: CommunityInfo, request_id: int) -> list[CallbackOut]:
    row, _ = await _scoped(mh, principal, community, request_id)
    return [CallbackOut(id=c["id"], result=c["result"], contacted=c["contacted"], resolved=c["resolved"], note=c["note"], at=c["at"],
                        actor=c["actor"], latest=c["latest"])
            for c in await item_callbacks(mh, principal, community, row["item"], workflow=REQUESTS)]


async def list_requests(
    mh: Any, principal: Principal, community: CommunityInfo, *, state: str | None = None, flag: str | None = None,
    open_only: bool = False, page: int = 1, page_size: int | None = None,
) -> Page[RequestOut]:
    """The requests the caller may see, newest first (the work items' scope and paging)."""
    if state is not None and state not in STATES:
        raise InvalidInput(f"state: choose one of {', '.join(STATES)}, not {state!r}", field="state")
    result = await list_work_items(mh, principal, community, scenario=SCENARIO, workflow=REQUESTS.name, state=state, flag=flag,
                                   open_only=open_only, page=page, page_size=page_size)
    ids = [r["id"] for r in result.rows]
    rows = {r["item"]: r for r in await ServiceRequest.select(*COLUMNS).where(ServiceRequest.item.is_in(ids))} if ids else {}
    out = []
    for item in result.rows:
        if item["id"] in rows:
            full = await get_work_item(mh, principal, community, item["id"], workflow=REQUESTS)
            out.append(_out(rows[item["id"]], full))
    return result.page_of(out)


def month_start(now: datetime, community: CommunityInfo) -> datetime:
    local = now.astimezone(community.tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def request_detail(mh: Any, principal: Principal, community: CommunityInfo, request_id: int) -> dict[str, Any]:
    """A request for its page: the request, its history oldest first with who did what, its call-backs, newest first."""
    row, item = await _scoped(mh, principal, community, request_id)
    handed = {(e["detail"] or {}).get("to") for e in item["history"] if e["action"] == "assign"}
    people = ({e["staff"] for e in item["history"]} | handed | {row["received_by"], item["assignee"]}) - {None}
    names = {s["id"]: s["name"] for s in await Staff.select(Staff.id, Staff.name).where(Staff.id.is_in(sorted(people)))} if people else {}
    history = [{**e, "staff_name": names.get(e["staff"], "") if e["staff"] else ""} for e in item["history"]]
    called = await item_callbacks(mh, principal, community, row["item"], workflow=REQUESTS)
    return {"request": _out(row, item), "history": history, "names": names, "callbacks": called, "item": item}


async def team(community: CommunityInfo) -> list[dict[str, Any]]:
    """Who a request can be handed to (分办): the community's active admins and grid staff, by name."""
    in_grids = Grid.select(Grid.id).where(Grid.community == community.id)
    members = StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.role.is_in(["community_admin", "grid_leader", "grid_worker", "grid_part_time"]),
        (StaffAssignment.community == community.id) | StaffAssignment.grid.is_in(in_grids))
    return await Staff.select(Staff.id, Staff.name).where(Staff.id.is_in(members), Staff.active.eq(True)).order_by(Staff.name).order_by(Staff.id)
