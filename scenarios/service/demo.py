"""Demo data for service (``meihao demo``): a month of residents' requests as the desk would have them —
noise, leaking pipes, parking, lifts, 12345 transfers — handled, answered and called back, so the 三率 are not empty;
a few still open, one or two late; and the 首席接访员 roster for this month and the next."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    FakeClock,
    Principal,
    assign_item,
    community_now,
    record_callback,
    transition_item,
    working_calendar,
)
from meihao.tables import Grid, Household, Resident, Staff, StaffAssignment

from .schemas import AssistanceVisitIn, AssistedHouseholdIn, CheckIn, RequestIn, ServiceSettings
from .services import assistance
from .services.requests import REQUESTS, receive
from .tables import DutyShift, ServiceRequest

#: (type, channel, text): what residents bring to a community desk, in their words.
MATTERS = [
    ("complaint", "phone", "楼上住户每天夜里十一点以后还在装修打电钻，严重影响休息"),
    ("complaint", "hotline", "小区东门外烧烤摊油烟和噪音扰民，持续到凌晨"),
    ("help", "visit", "卫生间顶部漏水，楼上家里没人，联系不上房主"),
    ("help", "grid", "3号楼地下室水管爆裂，积水已漫到楼道"),
    ("help", "phone", "家里暖气不热，室温只有十四五度，老人受不了"),
    ("complaint", "online", "消防通道被私家车长期占用，救护车进不来"),
    ("suggestion", "visit", "建议在小区南门增设非机动车充电桩，避免电动车进楼充电"),
    ("complaint", "hotline", "电梯一周内停运三次，物业只说在等配件"),
    ("help", "visit", "独居老人家中电梯停运，无法下楼取药，请求帮助"),
    ("consultation", "phone", "孩子上小学需要开居住证明，咨询需要带哪些材料"),
    ("consultation", "visit", "咨询高龄津贴怎么申请，父亲今年刚满八十岁"),
    ("report", "grid", "小区绿化带被个别住户圈占种菜，并堆放杂物"),
    ("complaint", "hotline", "地下车库车位被外来车辆占用，物业不管"),
    ("suggestion", "online", "希望周末开放社区活动室给孩子们写作业"),
    ("help", "phone", "楼道声控灯坏了半个月，晚上上下楼很不安全"),
    ("report", "hotline", "有人在楼顶违规搭建彩钢板房"),
    ("consultation", "online", "咨询老旧小区加装电梯的补贴政策和申请流程"),
    ("complaint", "visit", "楼下饭店排风口正对卧室窗户，油烟很大"),
]
#: What the handler told the resident.
REPLIES = {
    "complaint": "已联系相关单位上门核实处理，并约定后续整改时间",
    "help": "已联系物业维修人员上门处理，问题已解决",
    "suggestion": "建议已转社区居委会研究，纳入下季度议事会议题",
    "consultation": "已电话告知办理所需材料和办理地点",
    "report": "已会同执法队员现场核查，责令限期整改",
}


async def fill(mh: Any, community: CommunityInfo, settings: ServiceSettings, seed: int) -> None:
    rng = random.Random(seed * 104729 + community.id)
    calendar = await working_calendar(mh, community)
    now = community_now(mh, community)
    team = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.role, StaffAssignment.grid,
                                        StaffAssignment.staff.name.as_alias("name")).where(
        StaffAssignment.community == community.id, StaffAssignment.staff.is_in(Staff.select(Staff.id).where(Staff.active.eq(True)))).order_by(StaffAssignment.id)
    grid_team = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.role, StaffAssignment.grid,
                                             StaffAssignment.staff.name.as_alias("name")).where(
        StaffAssignment.grid.is_in(Grid.select(Grid.id).where(Grid.community == community.id)),
        StaffAssignment.staff.is_in(Staff.select(Staff.id).where(Staff.active.eq(True)))).order_by(StaffAssignment.id)
    admins = [m for m in team if m["role"] == "community_admin"]
    residents = await Resident.select(Resident.id, Resident.grid).where(Resident.community == community.id).order_by(Resident.id).limit(400)
    if not residents or not admins:
        return
    by_grid: dict[int, list[dict[str, Any]]] = {}
    for member in grid_team:
        if member["role"] in ("grid_worker", "grid_leader"):
            by_grid.setdefault(member["grid"], []).append(member)

    def as_staff(member: dict[str, Any]) -> Principal:
        # Each step is recorded as the staff member who took it (the kernel, acting with their name).
        return Principal(staff_id=member["staff"], name=member["name"], street=True, permissions={"*"})

    real_clock = mh.clock
    try:
        count = 36
        for n in range(count):
            day = calendar.add_working_days(now.date() - timedelta(days=31), 1 + (n * 21) // count)
            received = datetime.combine(day, time(rng.choice([8, 9, 10, 14, 15, 16]), rng.choice([0, 15, 30, 45])), tzinfo=community.tz)
            if received >= now - timedelta(hours=1):
                break
            kind, channel, text = MATTERS[n % len(MATTERS)]
            resident = rng.choice(residents)
            handlers = by_grid.get(resident["grid"]) or admins
            receiver, handler = rng.choice(admins), rng.choice(handlers)
            clock = FakeClock(received)
            mh.clock = clock
            request = await receive(mh, as_staff(receiver), community, RequestIn(
                channel=channel, type=kind, text=text, requester=None if channel == "hotline" else resident["id"],
                grid=resident["grid"]), external_id=f"12345-{received:%Y%m%d}-{n:04d}" if channel == "hotline" else None)
            item = request.item

            async def step(who: dict[str, Any], state: str, at: datetime, reason: str = "") -> bool:
                if at >= now:
                    return False
                clock.set(at)
                await transition_item(mh, as_staff(who), REQUESTS, community, item, state, reason=reason)
                return True

            at = calendar.add_working_hours(received, 0.5)
            if not await step(receiver, "dispatched", at):
                continue
            await assign_item(mh, as_staff(receiver), REQUESTS, community, item, handler["staff"], reason="分办")
            at = calendar.add_working_hours(at, rng.choice([0.5, 1, 1.5, 3]))  # mostly signed within 2 working hours
            if not await step(handler, "signed", at) or not await step(handler, "in_progress", at + timedelta(minutes=10)):
                continue
            limit = settings.working_days_for(kind, channel)
            at = calendar.add_working_days(at, max(1, min(limit + 2, round(rng.triangular(1, limit + 2, limit * 0.6)))))
            if not await step(handler, "replied", at):
                continue
            await ServiceRequest.update({ServiceRequest.reply: REPLIES[kind]}).where(ServiceRequest.id == request.id)
            at = calendar.add_working_days(at, 1)
            if at >= now:
                continue
            clock.set(at)
            result = rng.choices(["satisfied", "basically_satisfied", "unsatisfied", "unreachable"], [70, 18, 7, 5])[0]
            await record_callback(mh, as_staff(receiver), REQUESTS, community, item, result=result,
                                  contacted=result != "unreachable" and rng.random() < 0.97,
                                  resolved=result in ("satisfied", "basically_satisfied") and rng.random() < 0.95)
            await step(receiver, "visited", at)
            if result == "unsatisfied":
                await step(receiver, "reopened", at + timedelta(minutes=5), reason="回访不满意，重新办理")
                continue
            await step(receiver, "closed", at + timedelta(minutes=10))
        await _assistance(mh, community, settings, rng, now, by_grid, admins, as_staff)
    finally:
        mh.clock = real_clock
    # 首席接访员: the community's leaders in turn, every working day of this month and the next.
    first = now.date().replace(day=1)
    turn = 0
    for offset in range(62):
        day = first + timedelta(days=offset)
        if calendar.is_workday(day) and not await DutyShift.exists().where(DutyShift.community == community.id, DutyShift.day == day):
            await DutyShift.insert(DutyShift(community=community.id, day=day, staff=admins[turn % len(admins)]["staff"]))
            turn += 1


#: 三强化 (济北街道): households under monitoring and what their visits found, as a helper writes it.
#: (category, last month's visit: {item: problem note}, housing grade, litres; this month's the same, or None: not yet visited)
MONITORED = [
    ("脱贫不稳定户", {}, "B", 60, {}, "B", 60),
    ("边缘易致贫户", {"medical": "老伴慢性病长期用药，医保报销后自付仍较高"}, "B", 50, {}, "B", 50),
    ("突发严重困难户", {"housing": "西屋后墙有裂缝，雨季渗水"}, "C", 45, None, None, None),
    ("脱贫不稳定户", {}, "A", 40, {"water": "早晚用水高峰水压不足，二楼以上经常停水"}, "A", 30),
    ("边缘易致贫户", {}, "B", 55, None, None, None),
    ("突发严重困难户", {"schooling": "孙子初二，因父亲住院多日未到校"}, "B", 50, {}, "B", 50),
]
RECTIFIED = {"medical": "已协助申请大病救助和医疗救助，自付部分减半", "schooling": "已联系学校老师家访，孩子已返校上课"}


async def _assistance(mh: Any, community: CommunityInfo, settings: ServiceSettings, rng: random.Random, now: datetime,
                      by_grid: dict[int, list[dict[str, Any]]], admins: list[dict[str, Any]], as_staff: Any) -> None:
    """Six monitored households of the eldest residents' homes, each with its helper (the grid's worker), a visit last month
    (a few problems found, two of them since rectified) and most visited this month already; the rest still due."""
    if await assistance.AssistedHousehold.exists().where(assistance.AssistedHousehold.community == community.id):
        return
    eldest = await Resident.select(Resident.household, Resident.grid).where(
        Resident.community == community.id, Resident.grid.is_in(list(by_grid) or [0])).order_by(Resident.birth_date).limit(200)
    households: list[dict[str, Any]] = []
    for person in eldest:
        if person["household"] not in [h["household"] for h in households]:
            households.append(person)
    households = households[:: max(1, len(households) // 12)][:len(MONITORED)]
    today = now.date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    for (category, found_before, grade_before, litres_before, found_now, grade_now, litres_now), home in zip(MONITORED, households):
        helper = rng.choice(by_grid.get(home["grid"]) or admins)
        who = as_staff(helper)
        mh.clock = FakeClock(datetime.combine(last_month, time(9), tzinfo=community.tz))
        if not await Household.exists().where(Household.id == home["household"]):
            continue
        monitored = await assistance.add_household(mh, who, community, AssistedHouseholdIn(
            household=home["household"], category=category if category in settings.household_categories else settings.household_categories[0],
            helper=helper["staff"], since=last_month))
        for day, found, grade, litres in ((last_month + timedelta(days=rng.randint(4, 20)), found_before, grade_before, litres_before),
                                          (today.replace(day=1) + timedelta(days=rng.randint(0, max(0, today.day - 1))), found_now, grade_now, litres_now)):
            if found is None or day > today:
                continue
            mh.clock = FakeClock(datetime.combine(day, time(rng.choice([9, 10, 14, 15]), rng.choice([0, 30])), tzinfo=community.tz))
            checks = {k: CheckIn(status="problem", note=found[k]) if k in found else CheckIn(status="ok") for k in assistance.CHECKS}
            visit = await assistance.record_visit(mh, who, community, monitored.id, AssistanceVisitIn(
                checks=checks, housing_grade=grade, water_litres=litres, water_trip_minutes=rng.choice([5, 10]), water_outage_days=rng.choice([0, 3, 8]),
                note="入户走访，与户主面对面核实两不愁三保障和饮水情况"))
            for kind, item in zip([k for k in assistance.CHECKS if visit.checks[k]["status"] == "problem"], visit.problems):
                if kind in RECTIFIED and day < today.replace(day=1):
                    mh.clock = FakeClock(datetime.combine(day + timedelta(days=7), time(16), tzinfo=community.tz))
                    await assistance.rectify(mh, who, community, item, RECTIFIED[kind])
