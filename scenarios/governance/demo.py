"""Demo data for governance (``meihao demo``): a month of grid events through their closed loop, orders to the
street's departments (some returned, some signed late), whistles with the departments' answers and ratings, and
the grid workers' patrol logs, so that the figures and the ranking are not empty.

The month is played on a fake clock, step by step through the services (the kernel keeps each item's
history and clocks as it would have), and the instance's clock is put back afterwards.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from meihao import CommunityInfo, FakeClock, Principal, community_today, working_calendar
from meihao.tables import Department, Grid, StaffAssignment

from .schemas import CheckIn, DispatchIn, EventIn, FeedbackIn, RatingIn, ReasonIn, RegisterIn, ReportIn, WhistleIn
from .services import events, whistles
from .tables import PatrolLog

TEXTS = {
    "street_order": ["北门早市摊贩占道经营，影响车辆通行", "小区门口电动车乱停乱放，堵塞消防通道", "沿街商户店外经营，占用人行道"],
    "environment": ["3号楼楼道堆放杂物，存在消防隐患", "垃圾分类投放点满溢，未及时清运", "绿化带内有居民私自种菜"],
    "advertising": ["单元门口张贴小广告，影响环境", "沿街违规设置落地广告牌"],
    "construction": ["5号楼住户装修夜间施工噪音扰民", "外墙维修未设置围挡，有坠物风险"],
    "emergency": ["2号楼地下室管道漏水，积水较深", "小区东侧路面塌陷，已临时围挡"],
    "public_facilities": ["小区路灯损坏，夜间照明不足", "井盖缺失，存在安全隐患"],
    "roads_traffic": ["小区主干道破损坑洼，雨天积水"],
    "greenery": ["行道树枝干断裂，有掉落风险"],
    "other_event": ["居民反映楼上漏水，协调未果", "电梯频繁故障，居民出行不便"],
}
#: Which kind of department takes which category when it leaves the grid.
DEPARTMENT_KINDS = {"street_order": "law_enforcement", "advertising": "law_enforcement", "construction": "housing", "emergency": "housing",
                    "public_facilities": "housing", "roads_traffic": "housing", "environment": "law_enforcement",
                    "greenery": "law_enforcement", "other_event": "housing"}
WHISTLES = [
    ("tackle", "beyond_power", "银山新村老旧管网改造协调", "多栋楼地下管网老化渗漏，需住建、执法等部门联合处置"),
    ("advance", "joint_enforcement", "鑫源小区违建联合整治", "楼顶私搭乱建，居民多次反映，需联合执法"),
    ("advance", "emergency", "龙湾佳苑突发停水抢修", "主供水管爆裂，三栋楼停水，需紧急抢修"),
    ("advance", "joint_enforcement", "开元小区周边占道经营整治", "早晚高峰占道经营反复出现，需执法中队联合治理"),
]
FEEDBACK = ["已到现场处置完毕，拍照留存", "已联系当事人整改到位", "已清理完毕，恢复原状", "已维修，居民确认"]


async def _people(community: CommunityInfo) -> dict[str, Any]:
    team: dict[int, dict[str, list[dict[str, Any]]]] = {}
    rows = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.role, StaffAssignment.grid, StaffAssignment.department,
                                        StaffAssignment.staff.name.as_alias("name")).where(StaffAssignment.community == community.id)
    for row in rows:
        if row["grid"] is not None:
            team.setdefault(row["grid"], {}).setdefault(row["role"], []).append(row)
    departments = {}
    for d in await Department.select(Department.id, Department.code, Department.kind):
        staff = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.staff.name.as_alias("name")).where(
            StaffAssignment.department == d["id"], StaffAssignment.role == "department_staff", StaffAssignment.staff.active.eq(True))
        if staff:
            departments[d["code"]] = {**d, "staff": staff}
    return {"team": team, "departments": departments}


def _grid_person(community: CommunityInfo, row: dict[str, Any]) -> Principal:
    return Principal(staff_id=row["staff"], name=row["name"], roles={row["role"]}, grid_ids={row["grid"]}, grid_community_ids={community.id},
                     permissions={"*"})


def _department_person(department: dict[str, Any], rng: random.Random) -> Principal:
    member = rng.choice(department["staff"])
    return Principal(staff_id=member["staff"], name=member["name"], roles={"department_staff"}, department_ids={department["id"]},
                     permissions={"*"})


async def fill(mh: Any, community: CommunityInfo, settings: Any, seed: int) -> None:
    rng = random.Random(seed * 104729 + community.id)
    people = await _people(community)
    grids = [g["id"] for g in await Grid.select(Grid.id).where(Grid.community == community.id).order_by(Grid.code)]
    if not grids:
        return
    calendar = await working_calendar(mh, community)
    today = community_today(mh, community)
    real_clock = mh.clock
    clock = FakeClock(datetime.combine(today - timedelta(days=31), time(8), tzinfo=community.tz))
    mh.clock = clock
    system = Principal.system("meihao demo")
    admin = Principal(staff_id=None, name="银山社区网格管理中心", street=True, permissions={"*"})

    def at(day: Any, hour: float) -> datetime:
        return datetime.combine(day, time(int(hour), int(hour % 1 * 60)), tzinfo=community.tz)

    try:
        days = [today - timedelta(days=n) for n in range(30, 0, -1)]
        for day in days:
            if not calendar.is_workday(day):
                continue
            for _ in range(rng.choice((1, 2, 2, 3))):
                grid = rng.choice(grids)
                team = people["team"].get(grid, {})
                worker = (team.get("grid_worker") or [None])[0]
                reporter = _grid_person(community, worker) if worker else system
                category = rng.choice(list(TEXTS))
                clock.set(at(day, rng.choice((9, 9.5, 10, 10.5, 14, 15, 15.5))))
                source = rng.choice(("patrol", "patrol", "patrol", "resident", "hotline", "service_desk"))
                event = await events.report_event(mh, reporter, community, EventIn(
                    grid_id=grid, source=source, category=category, text=rng.choice(TEXTS[category]), place=""))
                recent = (today - day).days <= 3
                if recent and rng.random() < 0.5:
                    continue  # still waiting to be registered
                clock.set(clock.now() + timedelta(minutes=rng.choice((15, 25, 40, 80))))
                await events.register_event(mh, admin, community, event.id, RegisterIn())
                kind = DEPARTMENT_KINDS.get(category, "housing")
                departments = [d for d in people["departments"].values() if d["kind"] == kind] or list(people["departments"].values())
                in_grid = rng.random() < 0.6 and team.get("grid_part_time")
                if in_grid:
                    handler_row = rng.choice(team["grid_part_time"])
                    order = (await events.dispatch_event(mh, admin, community, event.id, DispatchIn(assignee_id=handler_row["staff"]))).orders[-1]
                    handler = _grid_person(community, handler_row)
                else:
                    department = rng.choice(departments)
                    order = (await events.dispatch_event(mh, admin, community, event.id, DispatchIn(department=department["code"]))).orders[-1]
                    handler = _department_person(department, rng)
                    if rng.random() < 0.1 and len(people["departments"]) > 1:
                        clock.set(clock.now() + timedelta(minutes=30))
                        await events.return_order(mh, handler, community, order.id, ReasonIn(reason="经核实不属本部门职责，请重新派遣"))
                        other = rng.choice([d for d in people["departments"].values() if d["code"] != department["code"]])
                        order = (await events.dispatch_event(mh, admin, community, event.id, DispatchIn(department=other["code"]))).orders[-1]
                        handler = _department_person(other, rng)
                clock.set(clock.now() + timedelta(minutes=rng.choice((10, 20, 35, 50, 90))))
                await events.sign_order(mh, handler, community, order.id)
                if recent:
                    continue
                clock.set(calendar.add_working_hours(clock.now(), rng.choice((2, 6, 10, 20, 30, 45))))
                await events.feedback_order(mh, handler, community, order.id, FeedbackIn(text=rng.choice(FEEDBACK)))
                clock.set(calendar.add_working_hours(clock.now(), 2))
                checker = _grid_person(community, worker) if worker else admin
                await events.check_event(mh, checker, community, event.id, CheckIn(passed=True))
                await events.close_event(mh, admin, community, event.id)
        for n, (level, reason, title, text) in enumerate(WHISTLES):
            day = days[3 + n * 6]
            clock.set(at(calendar.add_working_days(day, 0), 9))
            chosen = rng.sample(sorted(people["departments"]), k=min(2, len(people["departments"])))
            whistle = await whistles.blow_whistle(mh, admin, community, WhistleIn(
                level=level, reason=reason, title=title, text=text, departments=chosen, grid_id=grids[(n + 1) % len(grids)]))
            for call in whistle.calls:
                answer = _department_person(people["departments"][call.department], rng)
                clock.set(at(calendar.add_working_days(day, 0), 9) + timedelta(minutes=rng.choice((20, 45, 75))))
                await whistles.sign_call(mh, answer, community, call.id)
                clock.set(calendar.add_working_hours(clock.now(), rng.choice((3, 7, 20))))
                await whistles.report_call(mh, answer, community, call.id, ReportIn(kind=rng.choice(("on_site", "reply")), text="已到现场会商，明确整改方案"))
                await whistles.rate_call(mh, admin, community, call.id, RatingIn(speed=rng.choice((3, 4, 5)), quality=rng.choice((3, 4, 5))))
        logs = []
        for grid, team in people["team"].items():
            for worker in team.get("grid_worker", []):
                for day in days:
                    if rng.random() < 0.9:
                        logs.append(PatrolLog(community=community.id, grid=grid, staff=worker["staff"], patrolled_on=day,
                                              notes="日常巡查：环境卫生、公共设施、消防通道", events_found=rng.choice((0, 0, 1)),
                                              recorded_at=at(day, 17)))
        if logs:
            await PatrolLog.insert(*logs)
    finally:
        mh.clock = real_clock

