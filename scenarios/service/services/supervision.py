"""三强化's other two legs (济北街道): 强化信息互通 — the quarterly joint meeting with the departments (住建, 民政, 残联 …) on the
monitored households, its minutes and decisions (a decision that needs doing is a work item) — and 强化督导检查 — the
discipline office's (纪工委) problem list (问题清单), each problem rectified by the community and closed (销号) by the
supervisor, with its deadline and overdue flag.

Meetings and the problem list are the community's leaders' and the street's: the routes' permissions say who; a
community out of reach is a 404 like a missing one.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from meihao import (
    ActivityIn,
    CommunityInfo,
    Conflict,
    DeadlineClock,
    Duration,
    InvalidInput,
    NotFound,
    NoticeIn,
    Principal,
    Transition,
    Workflow,
    audit,
    community_today,
    create_activity,
    get_work_item,
    notify,
    open_item,
    scoped_staff,
    transaction,
    transition_item,
    working_calendar,
)
from meihao.tables import Staff, StaffAssignment

from ..schemas import (
    DecisionIn,
    DecisionOut,
    InspectionProblemIn,
    InspectionProblemOut,
    JointMeetingIn,
    JointMeetingOut,
    JointMeetingPlanIn,
    PlannedMeetingOut,
    QuarterOut,
)
from ..tables import AssistedHousehold, InspectionProblem, JointMeeting, MeetingPlan
from .requests import SCENARIO, settings_of

#: Who may be given a meeting's decision to carry out: the community's team.
ACTION_ROLES = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")

#: A decision of a joint meeting that needs doing: open until done, saying what was done.
ACTIONS = Workflow(
    scenario=SCENARIO,
    name="meeting_action",
    initial="open",
    transitions=(Transition("open", "done", reason=True),),
    final=("done",),
    clocks=(DeadlineClock("resolution", Duration(working_days=10, by_close=True)),),
)

#: A problem on the discipline office's list: the community rectifies it (整改, what was done), the supervisor closes it
#: (销号) or sends it back (退回, why). The deadline's clock pauses while the supervisor checks the rectification.
INSPECTION = Workflow(
    scenario=SCENARIO,
    name="inspection_problem",
    initial="open",
    transitions=(
        Transition("open", "rectified", permission="service.inspection.rectify", reason=True),
        Transition("rectified", "closed", permission="service.inspection.record"),
        Transition("rectified", "open", permission="service.inspection.record", reason=True),
    ),
    pause=("rectified",),
    final=("closed",),
    clocks=(DeadlineClock("rectification", Duration(working_days=15, by_close=True)),),
)
INSPECTION_STATES = {"open": "待整改", "rectified": "已整改待销号", "closed": "已销号"}


# -- quarters ----------------------------------------------------------------------------


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """The first and last day of ``2026-Q4``; InvalidInput for anything else."""
    try:
        year, q = quarter.split("-Q")
        first = date(int(year), 3 * (int(q) - 1) + 1, 1)
    except ValueError as err:
        raise InvalidInput(f"quarter: a quarter as 2026-Q4, not {quarter!r}", field="quarter") from err
    if not 2000 <= first.year <= 2100:
        raise InvalidInput(f"quarter: a quarter as 2026-Q4, not {quarter!r}", field="quarter")
    last = (first.replace(day=28) + timedelta(days=70)).replace(day=1) - timedelta(days=1)
    return first, last


# -- joint meetings ----------------------------------------------------------------------


def _clean(text: str, name: str, most: int, *, required: bool = True) -> str:
    text = text.strip()
    if required and not text:
        raise InvalidInput(f"{name}: must not be empty", field=name)
    if len(text) > most:
        raise InvalidInput(f"{name}: at most {most} characters", field=name)
    return text


def _departments(raw: list[str]) -> list[str]:
    departments = [d.strip() for d in raw if d.strip()]
    if not departments:
        raise InvalidInput("departments: name at least one department", field="departments")
    if len(departments) > 20 or any(len(d) > 32 for d in departments) or len(set(departments)) != len(departments):
        raise InvalidInput("departments: at most 20 different departments, each at most 32 characters", field="departments")
    return departments


async def _community_admins(community: CommunityInfo) -> list[int]:
    rows = await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community.id, StaffAssignment.role == "community_admin",
        StaffAssignment.staff.is_in(Staff.select(Staff.id).where(Staff.active.eq(True))))
    return sorted({r["staff"] for r in rows})


async def plan_meeting(mh: Any, principal: Principal, community: CommunityInfo, data: JointMeetingPlanIn) -> PlannedMeetingOut:
    """Plan a joint meeting ahead: a kernel activity (scene ``service``) whose audience is the community's admins, the
    planner and the staff invited — the departments' staff (``department_staff``) or the community's own team — reminded
    ``joint_meeting_reminder_offsets`` minutes before it starts. Recording the meeting later names the activity."""
    settings = await settings_of(mh, community)
    now = mh.clock.now()
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise InvalidInput("starts_at: a time with its offset, e.g. 2026-12-10T09:00:00+08:00", field="starts_at")
    if data.starts_at <= now:
        raise InvalidInput("starts_at: a meeting planned ahead starts in the future", field="starts_at")
    if not data.starts_at < data.ends_at <= data.starts_at + timedelta(hours=12):
        raise InvalidInput("ends_at: after the start, at most 12 hours later", field="ends_at")
    departments = _departments(data.departments)
    venue = _clean(data.venue, "venue", 200)
    which = quarter_of(data.starts_at.astimezone(community.tz).date())
    title = _clean(data.title, "title", 100, required=False) or f"{which[:4]}年第{which[-1]}季度帮扶工作专题会议"
    invited = sorted(set(data.staff))
    if len(invited) > 50:
        raise InvalidInput("staff: at most 50 people invited", field="staff")
    if invited:
        found = await StaffAssignment.select(StaffAssignment.staff).where(
            StaffAssignment.staff.is_in(invited),
            (StaffAssignment.community == community.id) | (StaffAssignment.role == "department_staff"),
            StaffAssignment.staff.is_in(Staff.select(Staff.id).where(Staff.active.eq(True))))
        missing = sorted(set(invited) - {r["staff"] for r in found})
        if missing:
            raise NotFound(f"staff: staff member {missing[0]} not found among the community's team and the departments' staff",
                           field="staff")
    planner = {principal.staff_id} if principal.staff_id else set()  # whoever plans it is reminded too (a street admin)
    people = sorted(set(invited) | set(await _community_admins(community)) | planner)
    if not people:
        raise Conflict("staff: the community has no admin and nobody is invited: invite the departments' staff", field="staff")
    async with transaction(mh):
        activity = await create_activity(mh, community.slug, ActivityIn(
            scene="service", title=title, starts_at=data.starts_at, ends_at=data.ends_at, venue=venue,
            description=f"参会部门：{'、'.join(departments)}", audience={"staff": people},
            reminder_offsets=list(settings.joint_meeting_reminder_offsets), channels=list(settings.channels),
            source="service.joint_meeting"), scenario=SCENARIO)
        plan = MeetingPlan(community=community.id, activity=int(activity["id"]), title=title, starts_at=data.starts_at,
                           ends_at=data.ends_at, venue=venue, departments=departments, staff=people, planned_by=principal.staff_id)
        await plan.save()
        await audit(principal, "service.meeting.plan", "service_meeting_plan", plan.id, community_id=community.id)
    return PlannedMeetingOut(activity=int(activity["id"]), title=title, starts_at=data.starts_at, ends_at=data.ends_at, venue=venue,
                             departments=departments, staff=people, meeting=None)


async def invitees(community: CommunityInfo) -> list[dict[str, Any]]:
    """Whom a joint meeting may invite besides the community's admins: the departments' active staff, by department."""
    rows = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.staff.name, StaffAssignment.department.name).where(
        StaffAssignment.role == "department_staff", StaffAssignment.staff.is_in(Staff.select(Staff.id).where(Staff.active.eq(True))))
    seen: dict[int, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["staff"], {"id": r["staff"], "name": r["staff.name"], "department": r["department.name"] or ""})
    return sorted(seen.values(), key=lambda p: (p["department"], p["name"], p["id"]))


async def planned_meetings(community: CommunityInfo, first: date | None = None, last: date | None = None, *,
                           activity: int | None = None) -> list[PlannedMeetingOut]:
    """The joint meetings planned as activities (starting between ``first`` and ``last``, the community's days; or the one
    of ``activity``), soonest first, each with its record's id once recorded."""
    where = [MeetingPlan.community == community.id] + ([MeetingPlan.activity == activity] if activity is not None else [])
    rows = await MeetingPlan.select().where(*where).order_by(MeetingPlan.starts_at).output(load_json=True)
    recorded = {r["activity"]: r["id"] for r in await JointMeeting.select(JointMeeting.id, JointMeeting.activity).where(
        JointMeeting.community == community.id, JointMeeting.activity.is_not_null())}
    zone = community.tz
    out = []
    for r in rows:
        day = r["starts_at"].astimezone(zone).date()
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        out.append(PlannedMeetingOut(activity=r["activity"], title=r["title"], starts_at=r["starts_at"], ends_at=r["ends_at"],
                                     venue=r["venue"], departments=list(r["departments"]), staff=list(r["staff"]),
                                     meeting=recorded.get(r["activity"])))
    return out


async def record_meeting(mh: Any, principal: Principal, community: CommunityInfo, data: JointMeetingIn) -> JointMeetingOut:
    """Record a joint meeting held: at least one department, the monitored households discussed (of the community), the
    minutes, the decisions; each decision with an assignee opens a work item due in ``meeting_action_working_days``."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    if not today - timedelta(days=92) <= data.held_on <= today:
        raise InvalidInput("held_on: a day within the last three months, not in the future", field="held_on")
    departments = [d.strip() for d in data.departments if d.strip()]
    if not departments:
        raise InvalidInput("departments: name at least one department that came", field="departments")
    departments = _departments(departments)
    if data.activity is not None:
        plan = await MeetingPlan.select(MeetingPlan.id).where(
            MeetingPlan.activity == data.activity, MeetingPlan.community == community.id).first()
        if plan is None:
            raise NotFound(f"activity: planned joint meeting {data.activity} not found", field="activity")
    minutes = _clean(data.minutes, "minutes", 10000)
    title = _clean(data.title, "title", 100, required=False) or f"{quarter_of(data.held_on)[:4]}年第{quarter_of(data.held_on)[-1]}季度帮扶工作专题会议"
    households = sorted(set(data.households))
    if households:
        found = await AssistedHousehold.select(AssistedHousehold.id).where(
            AssistedHousehold.id.is_in(households), AssistedHousehold.community == community.id)
        missing = sorted(set(households) - {r["id"] for r in found})
        if missing:
            raise NotFound(f"households: monitored household {missing[0]} not found", field="households")
    if len(data.decisions) > 30:
        raise InvalidInput("decisions: at most 30", field="decisions")
    decisions: list[DecisionIn] = []
    for n, d in enumerate(data.decisions):
        text = d.text.strip()
        if not text:
            if d.assignee is not None:
                raise InvalidInput(f"decisions.{n}.text: say what was decided", field=f"decisions.{n}.text")
            continue
        if len(text) > 500:
            raise InvalidInput(f"decisions.{n}.text: at most 500 characters", field=f"decisions.{n}.text")
        if d.assignee is not None:
            await scoped_staff(principal, community, d.assignee, field=f"decisions.{n}.assignee", roles=ACTION_ROLES)
        decisions.append(DecisionIn(text=text, assignee=d.assignee))
    # one record per planned meeting: two recording it at once take turns, and the second finds the first's
    async with transaction(mh, lock=("service.joint_meeting", data.activity if data.activity is not None else "unplanned")):
        if data.activity is not None and await JointMeeting.exists().where(JointMeeting.activity == data.activity):
            raise Conflict(f"activity: the planned joint meeting {data.activity} is recorded already", field="activity")
        meeting = JointMeeting(community=community.id, quarter=quarter_of(data.held_on), title=title, held_on=data.held_on,
                               departments=departments, households=households, minutes=minutes, decisions=[], activity=data.activity,
                               recorded_by=principal.staff_id, recorded_at=mh.clock.now())
        await meeting.save()
        stored = []
        for d in decisions:
            item = None
            if d.assignee is not None:
                opened = await open_item(
                    mh, principal, ACTIONS, community, kind="meeting", title=f"联席会议决定：{d.text}"[:200],
                    subject=("service_joint_meeting", meeting.id), assignee=d.assignee, reason=d.text,
                    durations={"resolution": Duration(working_days=settings.meeting_action_working_days, by_close=True)})
                item = int(opened["id"])
            stored.append({"text": d.text, "assignee": d.assignee, "item": item})
        await JointMeeting.update({JointMeeting.decisions: stored}).where(JointMeeting.id == meeting.id)
        await audit(principal, "service.meeting.record", "service_joint_meeting", meeting.id, community_id=community.id)
    return await get_meeting(mh, principal, community, meeting.id)


async def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {r["id"]: r["name"] for r in await Staff.select(Staff.id, Staff.name).where(Staff.id.is_in(sorted(ids)))}


async def _meeting_out(mh: Any, principal: Principal, community: CommunityInfo, row: dict[str, Any], names: dict[int, str]) -> JointMeetingOut:
    decisions = []
    for d in row["decisions"]:
        state, due_at, flag = "", None, ""
        if d.get("item"):
            item = await get_work_item(mh, Principal.system(SCENARIO), community, d["item"], workflow=ACTIONS)
            clock = next((c for c in item["clocks"] if c["name"] == "resolution"), None)
            state, due_at, flag = item["state"], clock["due_at"] if clock else None, clock["flag"] if clock else ""
        decisions.append(DecisionOut(text=d["text"], assignee=d.get("assignee"), assignee_name=names.get(d.get("assignee") or 0, ""),
                                     item=d.get("item"), state=state, due_at=due_at, flag=flag))
    return JointMeetingOut(id=row["id"], quarter=row["quarter"], title=row["title"], held_on=row["held_on"],
                           departments=list(row["departments"]), households=list(row["households"]), minutes=row["minutes"],
                           decisions=decisions, recorded_by_name=names.get(row["recorded_by"] or 0, ""), activity=row["activity"])


def _people(rows: list[dict[str, Any]]) -> set[int]:
    return {r["recorded_by"] for r in rows if r["recorded_by"]} | {d["assignee"] for r in rows for d in r["decisions"] if d.get("assignee")}


async def get_meeting(mh: Any, principal: Principal, community: CommunityInfo, meeting_id: int) -> JointMeetingOut:
    row = await JointMeeting.select().where(JointMeeting.id == meeting_id, JointMeeting.community == community.id).output(
        load_json=True).first()
    if row is None:
        raise NotFound(f"meeting {meeting_id} not found")
    return await _meeting_out(mh, principal, community, row, await _names(_people([row])))


async def quarter(mh: Any, principal: Principal, community: CommunityInfo, which: str | None = None) -> QuarterOut:
    """The quarter's plan (``joint_meetings_per_quarter``) and its meetings, and every meeting of the community, newest first."""
    settings = await settings_of(mh, community)
    which = which or quarter_of(community_today(mh, community))
    first, last = quarter_bounds(which)
    rows = await JointMeeting.select().where(JointMeeting.community == community.id).order_by(
        JointMeeting.held_on, ascending=False).order_by(JointMeeting.id, ascending=False).output(load_json=True)
    names = await _names(_people(rows))
    meetings = [await _meeting_out(mh, principal, community, r, names) for r in rows]
    held = sum(1 for r in rows if first <= r["held_on"] <= last)
    return QuarterOut(quarter=which, planned=settings.joint_meetings_per_quarter, held=held, ends_on=last, meetings=meetings,
                      planned_meetings=await planned_meetings(community, first, last))


async def finish_action(mh: Any, principal: Principal, community: CommunityInfo, item_id: int, note: str) -> dict[str, Any]:
    """A meeting's decision carried out, saying what was done."""
    note = _clean(note, "note", 2000)
    await get_work_item(mh, principal, community, item_id, workflow=ACTIONS)  # not a decision of this community: 404
    return await transition_item(mh, principal, ACTIONS, community, item_id, "done", reason=note)


async def meeting_reminder(mh: Any, community: CommunityInfo) -> dict[str, Any] | None:
    """On working days, from ``joint_meeting_remind_days`` before the quarter's end, tell the community's admins once a
    quarter that its joint meeting(s) have not been held yet."""
    today = community_today(mh, community)
    calendar = await working_calendar(mh, community)
    if not calendar.is_workday(today):
        return None
    settings = await settings_of(mh, community)
    which = quarter_of(today)
    first, last = quarter_bounds(which)
    if (last - today).days > settings.joint_meeting_remind_days:
        return None
    held = await JointMeeting.count().where(JointMeeting.community == community.id, JointMeeting.held_on >= first,
                                            JointMeeting.held_on <= last)
    if held >= settings.joint_meetings_per_quarter:
        return None
    people = await _community_admins(community)
    if not people:
        return None
    q = int(which[-1])
    body = (f"第{q}季度帮扶工作专题会议（{'、'.join(settings.joint_meeting_departments)}等）应开{settings.joint_meetings_per_quarter}次，"
            f"已开{held}次，{last.month}月{last.day}日前召开。")
    sent = await notify(mh, community.slug, NoticeIn(
        key=f"service.joint_meeting:{which}", title="联席会议待召开", body=body, staff=people, channels=list(settings.channels),
        useful_for=timedelta(days=(last - today).days + 1)), scenario=SCENARIO)
    return {"quarter": which, "held": held, "staff": people, "sent": sent is not None}


# -- the discipline office's problem list (问题清单) ---------------------------------------


async def record_problem(mh: Any, principal: Principal, community: CommunityInfo, data: InspectionProblemIn) -> InspectionProblemOut:
    """A problem the supervisors found (纪工委 督导检查): category (the settings'), what, the household (a monitored one of
    the community, if any), the day; it opens a work item due in ``inspection_rectify_working_days``."""
    settings = await settings_of(mh, community)
    if data.category not in settings.inspection_categories:
        raise InvalidInput(f"category: one of {', '.join(settings.inspection_categories)}", field="category")
    text = _clean(data.text, "text", 2000)
    today = community_today(mh, community)
    found_on = data.found_on or today
    if not today - timedelta(days=31) <= found_on <= today:
        raise InvalidInput("found_on: today or within the last month, not in the future", field="found_on")
    if data.household is not None and not await AssistedHousehold.exists().where(
            AssistedHousehold.id == data.household, AssistedHousehold.community == community.id):
        raise NotFound(f"household: monitored household {data.household} not found", field="household")
    async with transaction(mh):
        row = InspectionProblem(community=community.id, item=None, category=data.category, text=text,
                                household=data.household, found_on=found_on, found_by=principal.staff_id, recorded_at=mh.clock.now())
        await row.save()
        # No grid and no assignee: the item is the leaders' (the kernel's item scope), not in grid staff's work items.
        item = await open_item(
            mh, principal, INSPECTION, community, kind=data.category, title=f"督导检查问题：{text}"[:200], reason=text,
            subject=("service_inspection_problem", row.id),
            durations={"rectification": Duration(working_days=settings.inspection_rectify_working_days, by_close=True)})
        await InspectionProblem.update({InspectionProblem.item: int(item["id"])}).where(InspectionProblem.id == row.id)
        await audit(principal, "service.inspection.record", "service_inspection_problem", row.id, community_id=community.id)
    return await get_problem(mh, principal, community, row.id)


async def _problem_out(mh: Any, community: CommunityInfo, row: dict[str, Any]) -> InspectionProblemOut:
    item = await get_work_item(mh, Principal.system(SCENARIO), community, row["item"], workflow=INSPECTION)
    clock = next((c for c in item["clocks"] if c["name"] == "rectification"), None)
    done = [e for e in item["history"] if e.get("to_state") == "rectified"]
    return InspectionProblemOut(
        id=row["id"], item=row["item"], category=row["category"], text=row["text"], household=row["household"],
        found_on=row["found_on"], found_by_name=row["found_by_name"] or "", state=item["state"],
        due_at=clock["due_at"] if clock else None, flag=clock["flag"] if clock else "",
        rectification=done[-1]["reason"] if done else "")


PROBLEM_COLUMNS = (InspectionProblem.id, InspectionProblem.item, InspectionProblem.category, InspectionProblem.text,
                   InspectionProblem.household, InspectionProblem.found_on, InspectionProblem.found_by.name.as_alias("found_by_name"))


async def _problem_row(community: CommunityInfo, problem_id: int) -> dict[str, Any]:
    row = await InspectionProblem.select(*PROBLEM_COLUMNS).where(
        InspectionProblem.id == problem_id, InspectionProblem.community == community.id).first()
    if row is None:
        raise NotFound(f"problem {problem_id} not found")
    return row


async def get_problem(mh: Any, principal: Principal, community: CommunityInfo, problem_id: int) -> InspectionProblemOut:
    return await _problem_out(mh, community, await _problem_row(community, problem_id))


async def list_problems(mh: Any, principal: Principal, community: CommunityInfo, state: str | None = None) -> list[InspectionProblemOut]:
    """The community's problem list, oldest first; ``state`` ``open``, ``rectified`` or ``closed`` (None: all)."""
    if state is not None and state not in INSPECTION_STATES:
        raise InvalidInput(f"status: one of {', '.join(INSPECTION_STATES)}", field="status")
    rows = await InspectionProblem.select(*PROBLEM_COLUMNS).where(InspectionProblem.community == community.id).order_by(
        InspectionProblem.found_on).order_by(InspectionProblem.id)
    out = [await _problem_out(mh, community, r) for r in rows]
    return [p for p in out if state is None or p.state == state]


async def move_problem(mh: Any, principal: Principal, community: CommunityInfo, problem_id: int, target: str,
                       note: str = "") -> InspectionProblemOut:
    """整改 (``rectified``, what was done), 销号 (``closed``) or 退回 (``open``, why) — each by whom the workflow says."""
    row = await _problem_row(community, problem_id)
    note = note.strip()
    if len(note) > 2000:
        raise InvalidInput("note: at most 2000 characters", field="note")
    if target in ("rectified", "open") and not note:
        raise InvalidInput("note: say what was done" if target == "rectified" else "note: say what is still wrong", field="note")
    await transition_item(mh, principal, INSPECTION, community, row["item"], target, reason=note)
    return await get_problem(mh, principal, community, problem_id)
