"""Whistles (吹哨): the community summons departments; each signs, contacts, reports on site or replies, and is rated.

Each department summoned is a call (``CALLS``), a kernel work item sent to that department with
three clocks (sign-off, contact, report), so each department's lateness is its own. Every change of
a call takes its lock: two of a department's staff signing at once take turns, one signs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    Forbidden,
    Meihao,
    NotFound,
    Page,
    Principal,
    audit,
    open_item,
    paginate,
    transaction,
    transition_item,
)
from meihao.tables import Grid

from ..schemas import CallOut as CallOut
from ..schemas import RatingIn, ReportIn, WhistleIn, WhistleOut
from ..tables import Event, Supervision, Whistle, WhistleCall
from .common import CALLS, call_durations, department_id, due, event_scope, settings_of, whistle_scope

CALL_COLUMNS = (
    WhistleCall.all_columns(),
    WhistleCall.department.code.as_alias("department_code"),
    WhistleCall.department.name.as_alias("department_name"),
    WhistleCall.signed_by.name.as_alias("signed_by_name"),
)


def _flag(row: dict[str, Any], now: datetime) -> str:
    if row["state"] in CALLS.final:
        return "closed"
    clocks = ((row["sign_due_at"], row["signed_at"]), (row["contact_due_at"], row["contacted_at"] or row["reported_at"]),
              (row["report_due_at"], row["reported_at"]))
    return "red" if any(d is not None and stop is None and d <= now for d, stop in clocks) else "open"


def _call_out(row: dict[str, Any], now: datetime, supervised: int) -> CallOut:
    return CallOut(
        id=row["id"], whistle_id=row["whistle"], department=row["department_code"], department_name=row["department_name"], state=row["state"],
        sign_due_at=row["sign_due_at"], signed_at=row["signed_at"], signed_by=row["signed_by_name"], contact_due_at=row["contact_due_at"],
        contacted_at=row["contacted_at"], report_due_at=row["report_due_at"], reported_at=row["reported_at"], report_kind=row["report_kind"],
        report_text=row["report_text"], speed_rating=row["speed_rating"], quality_rating=row["quality_rating"],
        rating_comment=row["rating_comment"], supervised=supervised, flag=_flag(row, now),
    )


def _call_scope(principal: Principal, community: CommunityInfo) -> list[Any]:
    """The calls a caller sees: all of a whistle they see, except that department staff see their own department's only."""
    clauses = [WhistleCall.community == community.id, WhistleCall.whistle.is_in(Whistle.select(Whistle.id).where(*whistle_scope(principal, community)))]
    if not principal.manages_community(community.id) and principal.department_staff() and not principal.grid_ids:
        clauses.append(WhistleCall.department.is_in(sorted(principal.department_ids)))
    return clauses


async def _whistles_out(mh: Meihao, principal: Principal, community: CommunityInfo, rows: list[dict[str, Any]]) -> list[WhistleOut]:
    now = mh.clock.now()
    ids = [r["id"] for r in rows]
    calls: dict[int, list[CallOut]] = {i: [] for i in ids}
    if ids:
        found = await WhistleCall.select(*CALL_COLUMNS).where(WhistleCall.whistle.is_in(ids), *_call_scope(principal, community)).order_by(
            WhistleCall.id)
        supervised: dict[int, int] = {}
        if found:
            for s in await Supervision.select(Supervision.record).where(Supervision.kind == "call",
                                                                        Supervision.record.is_in([c["id"] for c in found])):
                supervised[s["record"]] = supervised.get(s["record"], 0) + 1
        for c in found:
            calls[c["whistle"]].append(_call_out(c, now, supervised.get(c["id"], 0)))
    return [WhistleOut(id=r["id"], level=r["level"], reason=r["reason"], title=r["title"], text=r["text"], grid_id=r["grid"], event_id=r["event"],
                       blown_by=r["blown_by_name"], blown_at=r["blown_at"], closed_at=r["closed_at"], calls=calls[r["id"]]) for r in rows]


WHISTLE_COLUMNS = (Whistle.all_columns(), Whistle.blown_by.name.as_alias("blown_by_name"))


async def get_whistle(mh: Meihao, principal: Principal, community: CommunityInfo, whistle_id: int) -> WhistleOut:
    row = await Whistle.select(*WHISTLE_COLUMNS).where(Whistle.id == whistle_id, *whistle_scope(principal, community)).first()
    if row is None:
        raise NotFound(f"whistle {whistle_id} not found")
    return (await _whistles_out(mh, principal, community, [row]))[0]


async def list_whistles(mh: Meihao, principal: Principal, community: CommunityInfo, *, open_only: bool = False, page: int = 1,
                        page_size: int | None = None) -> Page[WhistleOut]:
    clauses = whistle_scope(principal, community)
    if open_only:
        clauses.append(Whistle.closed_at.is_null())
    query = Whistle.select(*WHISTLE_COLUMNS).where(*clauses).order_by(Whistle.blown_at, ascending=False).order_by(Whistle.id, ascending=False)
    result = await paginate(mh, query, page=page, page_size=page_size)
    return result.page_of(await _whistles_out(mh, principal, community, result.rows))


async def blow_whistle(mh: Meihao, principal: Principal, community: CommunityInfo, data: WhistleIn) -> WhistleOut:
    """吹哨: summon the departments; each gets a call with its clocks (sign 1 working hour, contact, report by level)."""
    codes = list(dict.fromkeys(data.departments))
    departments = [(code, await department_id(code, "departments")) for code in codes]
    if data.grid_id is not None and not await Grid.exists().where(Grid.id == data.grid_id, Grid.community == community.id):
        raise NotFound(f"grid_id: grid {data.grid_id} not found", field="grid_id")
    grid = data.grid_id
    if data.event_id is not None:
        event = await Event.select(Event.grid).where(Event.id == data.event_id, *event_scope(principal, community)).first()
        if event is None:
            raise NotFound(f"event_id: event {data.event_id} not found", field="event_id")
        grid = grid or event["grid"]
    settings = await settings_of(mh, community)
    now = mh.clock.now()
    async with transaction(mh):
        whistle = Whistle(community=community.id, grid=grid, event=data.event_id, level=data.level, reason=data.reason, title=data.title,
                          text=data.text, blown_by=principal.staff_id, blown_at=now)
        await whistle.save()
        for code, dept in departments:
            call = WhistleCall(whistle=whistle.id, community=community.id, department=dept, item=0, state=CALLS.initial)
            await call.save()
            item = await open_item(mh, principal, CALLS, community, kind=data.level, title=data.title, subject=("governance_whistle_call", call.id),
                                   grid=grid, department=code, durations=call_durations(settings, data.level))
            await WhistleCall.update({WhistleCall.item: item["id"], WhistleCall.sign_due_at: due(item, "sign_off"),
                                      WhistleCall.contact_due_at: due(item, "contact"),
                                      WhistleCall.report_due_at: due(item, "report")}).where(WhistleCall.id == call.id)
        await audit(principal, "governance.whistle.blow", "governance_whistle", whistle.id, community_id=community.id,
                    detail={"level": data.level, "departments": codes})
    return await get_whistle(mh, principal, community, whistle.id)


async def _call_row(principal: Principal, community: CommunityInfo, call_id: int) -> dict[str, Any]:
    row = await WhistleCall.select(*CALL_COLUMNS).where(WhistleCall.id == call_id, *_call_scope(principal, community)).first()
    if row is None:
        raise NotFound(f"call {call_id} not found")
    return row


async def _step(mh: Meihao, principal: Principal, community: CommunityInfo, call_id: int, target: str, expected: tuple[str, ...],
                changes: dict[Any, Any], *, department: bool = True) -> WhistleOut:
    await _call_row(principal, community, call_id)
    async with transaction(mh, lock=("governance.call", call_id)):
        call = await _call_row(principal, community, call_id)
        if department and not (principal.department_staff() and call["department"] in principal.department_ids):
            raise Forbidden(f"call {call_id} summons the department {call['department_name']}; its staff answer it")
        if call["state"] not in expected:
            who = f" (signed by {call['signed_by_name']})" if call["signed_by_name"] else ""
            raise Conflict(f"state: call {call_id} is {call['state']!r} now{who}, not {expected[0]!r}", field="state")
        await transition_item(mh, principal, CALLS, community, call["item"], target, expected=call["state"])
        await WhistleCall.update({WhistleCall.state: target, **changes}).where(WhistleCall.id == call_id)
        if target == "rated" and not await WhistleCall.exists().where(WhistleCall.whistle == call["whistle"], WhistleCall.state != "rated"):
            await Whistle.update({Whistle.closed_at: mh.clock.now()}).where(Whistle.id == call["whistle"])
        await audit(principal, f"governance.call.{target}", "governance_whistle_call", call_id, community_id=community.id)
    return await get_whistle(mh, principal, community, call["whistle"])


async def sign_call(mh: Meihao, principal: Principal, community: CommunityInfo, call_id: int) -> WhistleOut:
    """签收 by one of the department's staff: the first to sign takes it, a second is told who signed."""
    now = mh.clock.now()
    return await _step(mh, principal, community, call_id, "signed", ("summoned",), {WhistleCall.signed_at: now, WhistleCall.signed_by: principal.staff_id})


async def contact_call(mh: Meihao, principal: Principal, community: CommunityInfo, call_id: int) -> WhistleOut:
    """联系: the department has contacted the street/community."""
    return await _step(mh, principal, community, call_id, "contacted", ("signed",), {WhistleCall.contacted_at: mh.clock.now()})


async def report_call(mh: Meihao, principal: Principal, community: CommunityInfo, call_id: int, data: ReportIn) -> WhistleOut:
    """报到 on site, or a written reply (答复)."""
    return await _step(mh, principal, community, call_id, "reported", ("contacted", "signed"),
                       {WhistleCall.reported_at: mh.clock.now(), WhistleCall.report_kind: data.kind, WhistleCall.report_text: data.text})


async def rate_call(mh: Meihao, principal: Principal, community: CommunityInfo, call_id: int, data: RatingIn) -> WhistleOut:
    """The community rates the department's response (评价权); the whistle closes when every department is rated."""
    if not principal.manages_community(community.id):
        raise Forbidden("the community's admins rate the departments")
    return await _step(mh, principal, community, call_id, "rated", ("reported",), {
        WhistleCall.speed_rating: data.speed, WhistleCall.quality_rating: data.quality, WhistleCall.rating_comment: data.comment,
        WhistleCall.rated_by: principal.staff_id, WhistleCall.rated_at: mh.clock.now()}, department=False)
