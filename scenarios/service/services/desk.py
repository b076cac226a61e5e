"""The front desk: the 首席接访员 duty roster, the morning digest, 12345 intake and the scene's figures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    InvalidInput,
    NoticeIn,
    Principal,
    count_work_items,
    notify,
    scoped_staff,
    transaction,
    work_item_rates,
    working_calendar,
)
from meihao.tables import Staff, StaffAssignment

from ..schemas import TYPES, DutyIn, DutyOut, HotlineOrderIn, RatesOut, RequestIn, RequestOut
from ..tables import DutyShift, ServiceRequest
from .requests import REQUESTS, SCENARIO, get_request, month_start, receive, settings_of

#: Who may be on duty as 首席接访员: the community's leaders (community-level roles).
DUTY_ROLES = ("community_admin",)
#: The kernel, for the jobs and figures over the whole community.
EVERYONE = Principal.system(SCENARIO)


# -- the duty roster ---------------------------------------------------------------------


async def set_duty(mh: Any, principal: Principal, community: CommunityInfo, data: DutyIn) -> DutyOut:
    """Put a community leader on duty for a day (replacing whoever was)."""
    staff = await scoped_staff(principal, community, data.staff, field="staff", roles=DUTY_ROLES)
    await DutyShift.delete().where(DutyShift.community == community.id, DutyShift.day == data.day)
    await DutyShift.insert(DutyShift(community=community.id, day=data.day, staff=staff["id"]))
    return DutyOut(day=data.day, staff=staff["id"], staff_name=staff["name"])


async def rotate_duty(mh: Any, principal: Principal, community: CommunityInfo, start: date, days: int, staff: list[int]) -> list[DutyOut]:
    """Fill the roster for the working days from ``start`` (``days`` calendar days), taking ``staff`` in turn."""
    if not staff:
        raise InvalidInput("staff: name at least one leader to rotate", field="staff")
    if not 1 <= days <= 366:
        raise InvalidInput(f"days: 1 to 366, got {days}", field="days")
    calendar = await working_calendar(mh, community)
    out, turn = [], 0
    for offset in range(days):
        day = start + timedelta(days=offset)
        if calendar.is_workday(day):
            out.append(await set_duty(mh, principal, community, DutyIn(day=day, staff=staff[turn % len(staff)])))
            turn += 1
    return out


async def roster(community: CommunityInfo, since: date, until: date) -> list[DutyOut]:
    rows = await DutyShift.select(DutyShift.day, DutyShift.staff, DutyShift.staff.name.as_alias("staff_name")).where(
        DutyShift.community == community.id, DutyShift.day >= since, DutyShift.day <= until).order_by(DutyShift.day)
    return [DutyOut(**r) for r in rows]


async def leaders(community: CommunityInfo) -> list[dict[str, Any]]:
    """Who may be on duty: the community's active leaders, by name."""
    members = StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community.id, StaffAssignment.role.is_in(list(DUTY_ROLES)))
    return await Staff.select(Staff.id, Staff.name).where(Staff.id.is_in(members), Staff.active.eq(True)).order_by(Staff.name).order_by(Staff.id)


async def on_duty(community: CommunityInfo, day: date) -> list[int]:
    """Today's 首席接访员, or the community's admins when nobody is on the roster."""
    row = await DutyShift.select(DutyShift.staff).where(DutyShift.community == community.id, DutyShift.day == day).first()
    if row is not None:
        return [row["staff"]]
    admins = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community.id, StaffAssignment.role == "community_admin",
        StaffAssignment.staff.is_in(Staff.select(Staff.id).where(Staff.active.eq(True))))
    return sorted({r["staff"] for r in admins})


# -- figures and the morning digest ------------------------------------------------------


async def figures(mh: Any, principal: Principal, community: CommunityInfo) -> dict[str, Any]:
    """Open, due today (later today, not yet late), overdue; this month's 三率 and on-time rate."""
    now = mh.clock.now()
    local = now.astimezone(community.tz)
    end_of_day = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=community.tz)
    counts = await count_work_items(mh, principal, community, scenario=SCENARIO, workflow=REQUESTS.name, due_by=end_of_day)
    start = month_start(now, community)
    rates = await work_item_rates(mh, principal, since=start, until=end_of_day, scenario=SCENARIO, workflow=REQUESTS.name,
                                  communities=[community], clock="resolution")
    month = rates[0] if rates else {}
    return {
        "open": counts["open"], "due_today": counts["due"], "overdue": counts["red"],
        "month_items": month.get("items", 0), "response_rate": month.get("response_rate"),
        "resolution_rate": month.get("resolution_rate"), "satisfaction_rate": month.get("satisfaction_rate"),
        "on_time_rate": month.get("on_time_rate"), "score": month.get("score"),
    }


async def morning_digest(mh: Any, community: CommunityInfo) -> dict[str, Any] | None:
    """On working days, tell the 首席接访员 on duty (else the admins) what is open, due today and overdue; once a day."""
    today = mh.clock.now().astimezone(community.tz).date()
    calendar = await working_calendar(mh, community)
    if not calendar.is_workday(today):
        return None
    people = await on_duty(community, today)
    if not people:
        return None
    settings = await settings_of(mh, community)
    f = await figures(mh, EVERYONE, community)
    body = f"{today.month}月{today.day}日诉求待办：在办{f['open']}件，今日到期{f['due_today']}件，已超期{f['overdue']}件。"
    await notify(mh, community.slug, NoticeIn(
        key=f"service.digest:{today.isoformat()}", title="今日诉求待办", body=body, staff=people, channels=list(settings.channels),
        useful_for=timedelta(hours=10)), scenario=SCENARIO)
    return {"day": today, "staff": people, **f}


async def rates(mh: Any, principal: Principal, community: CommunityInfo, since: date, until: date, by: str | None) -> list[RatesOut]:
    """The 三率 of the requests received on the community's days ``since``..``until``; closure on time by the resolution clock."""
    start = datetime.combine(since, time(0), tzinfo=community.tz)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=community.tz)
    rows = await work_item_rates(mh, principal, since=start, until=end, scenario=SCENARIO, workflow=REQUESTS.name,
                                 communities=[community], by=by, clock="resolution")
    return [RatesOut(key="" if r["key"] is None else str(r["key"]), label=r["label"] or TYPES.get(str(r["key"]), ""),
                     **{k: r[k] for k in RatesOut.__struct_fields__ if k not in ("key", "label")}) for r in rows]


# -- 12345 ---------------------------------------------------------------------------------


async def hotline_intake(mh: Any, principal: Principal, community: CommunityInfo, data: HotlineOrderIn) -> tuple[RequestOut, bool]:
    """Take a 12345 work order; the same ``external_id`` again answers the request already taken (False: not new)."""
    external = data.external_id.strip()
    if not external or len(external) > 64:
        raise InvalidInput("external_id: 1 to 64 characters", field="external_id")
    if data.working_days is not None and not 1 <= data.working_days <= 60:
        raise InvalidInput(f"working_days: 1 to 60, got {data.working_days}", field="working_days")
    # One at a time per number: a platform that pushes the same order twice at once gets one request.
    async with transaction(mh, lock=("service.hotline", f"{community.id}:{external}")):
        known = await ServiceRequest.select(ServiceRequest.id).where(
            ServiceRequest.community == community.id, ServiceRequest.external_id == external).first()
        if known is None:
            request = RequestIn(channel="hotline", type=data.type, text=data.text, grid=data.grid)
            return await receive(mh, principal, community, request, external_id=external, working_days=data.working_days), True
    return await get_request(mh, principal, community, known["id"]), False
