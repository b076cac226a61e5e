"""Demo data of the education scenario (``meihao demo``): the grid academy of 银山 and a year of its sessions.

银山 has the district's first grid academy (the source): its main classroom and the 9 indoor rooms and 3 outdoor
practice bases of the "1+N" matrix, drawn from the street, departments, party-service centres, a shopping area
and the industrial park (the source gives their numbers and kinds, not their names: these are illustrative).
Another community with the scene gets its own classroom and a lighter timetable. Sessions run from January to
a month ahead: two required sessions a month, an elective and a residents' class; staff attend the required
ones at their own pace (some are behind), check in and out; the coming sessions have enrolments, one a
waiting list. Enrolments are written in bulk (one statement per session).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from meihao import CommunityInfo, Principal, community_now
from meihao.tables import Resident, StaffAssignment

from .schemas import CourseIn, EducationSettings, SessionIn, VenueIn
from .services.catalogue import create_course, create_venue
from .services.sessions import plan_session
from .tables import Enrolment

SYSTEM = Principal.system("meihao demo")

#: (name, kind, host, capacity, facilities)
MATRIX = [
    ("银山社区网格学院主课堂", "main", "community", 80, ["投影", "音响", "电子白板", "录播设备"]),
    ("济阳街道党群服务中心培训室", "indoor", "street", 60, ["投影", "音响"]),
    ("济阳街道综治中心会商室", "indoor", "street", 30, ["大屏", "视频会议"]),
    ("济阳司法所人民调解室", "indoor", "department", 20, ["调解桌", "投影"]),
    ("济阳市场监管所培训室", "indoor", "department", 30, ["投影"]),
    ("济阳消防救援站宣教室", "indoor", "department", 40, ["投影", "消防器材展示"]),
    ("荷畔社区党群服务中心", "indoor", "party_centre", 40, ["投影", "音响"]),
    ("华阳社区党群服务中心", "indoor", "party_centre", 40, ["投影"]),
    ("华阳商居互融综合体商圈党建服务站", "indoor", "business", 25, ["投影", "茶歇区"]),
    ("济北工业园企业服务中心培训室", "indoor", "industrial_park", 50, ["投影", "电脑"]),
    ("济北工业园安全生产实训基地", "outdoor", "industrial_park", 30, ["灭火器实训区", "应急演练场"]),
    ("澄波湖公园网格巡查实践点", "outdoor", "street", 25, ["巡查路线"]),
    ("银山花园小区楼院治理示范点", "outdoor", "community", 20, ["楼道微网格展板"]),
]
#: (title, kind, hours, credits, learners, min_age, description)
COURSES = [
    ("网格员履职基础与“2+1+N+X”联动", "required", 4, 2, "staff", None, "网格职责、吹哨派单流程、首席接访员工作规范"),
    ("矛盾纠纷排查化解", "required", 4, 2, "staff", None, "邻里纠纷、物业矛盾的排查与调解，人民调解员现场授课"),
    ("社区安全与应急处置", "required", 4, 2, "staff", None, "消防、燃气、防汛常识与应急预案"),
    ("政策法规与为民服务", "required", 4, 2, "staff", None, "低保、养老、残疾人等政策解读和办事流程"),
    ("群众工作方法与沟通技巧", "elective", 2, 1, "staff", None, "入户走访、电话沟通、情绪安抚"),
    ("数字化网格平台操作", "elective", 2, 1, "staff", None, "事件上报、工单处理与数据核对"),
    ("消防安全实操演练", "elective", 3, 1, "staff", None, "灭火器使用、疏散演练（户外基地）"),
    ("老年人智能手机课", "elective", 2, 0, "residents", 60, "微信视频、健康码、防诈骗"),
]
TEACHERS = ["街道网格办 刘老师", "司法所 王所长", "消防救援站 张教官", "民政办 赵老师", "区委党校 孙老师", "社区书记 李书记"]


async def fill(mh: Any, community: CommunityInfo, settings: EducationSettings, seed: int) -> None:
    rng = random.Random(f"meihao demo education {seed} {community.slug}")
    academy = community.slug == "yinshan"
    matrix = MATRIX if academy else [(f"{community.name}党群服务中心培训室", "main", "community", 40, ["投影", "音响"])]
    venues = [await create_venue(mh, SYSTEM, community, VenueIn(name=n, kind=k, host=h, capacity=c, facilities=f))  # type: ignore[arg-type]
              for n, k, h, c, f in matrix]
    courses = [await create_course(mh, SYSTEM, community, CourseIn(
        title=t, kind=k, hours=h, credits=c, learners=learners, min_age=age, description=d))  # type: ignore[arg-type]
        for t, k, h, c, learners, age, d in COURSES]
    staff = sorted({r["staff"] for r in await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community.id, StaffAssignment.role.is_in(settings.roles), StaffAssignment.staff.active.eq(True))})
    if not staff:
        return
    elders = [r["id"] for r in await Resident.select(Resident.id).where(
        Resident.community == community.id, Resident.birth_date <= date(community_now(mh, community).year - 60, 1, 1)).limit(200)]
    # each person's pace: most keep up with the 32 学时, some fall behind
    pace = {s: rng.choice([1.2, 1.1, 1.0, 1.0, 0.9, 0.8, 0.6, 0.4]) for s in staff}
    now = community_now(mh, community)
    required, electives, phones = courses[:4], courses[4:7], courses[7]
    indoor = [v for v in venues if v.kind != "outdoor"] or venues
    outdoor = [v for v in venues if v.kind == "outdoor"] or venues
    first = date(now.year, 1, 1)
    last = now.date() + timedelta(days=30)
    months = range(1, 13) if academy else range(1, 13, 2)
    required_runs = 2 * len(months)
    plan: list[tuple[Any, Any, datetime, int]] = []
    for month in months:
        for week, course in ((1, required[(2 * month) % 4]), (3, required[(2 * month + 1) % 4])):
            plan.append((course, venues[0], _saturday(now.year, month, week, time(9, 0)), course.hours))
        if academy:
            elective = electives[month % 3]
            venue = rng.choice(outdoor) if elective.title.startswith("消防") else rng.choice(indoor[1:] or indoor)
            plan.append((elective, venue, _weekday(now.year, month, 2, time(14, 30)), elective.hours))
            plan.append((phones, rng.choice(indoor), _weekday(now.year, month, 4, time(9, 30)), phones.hours))
    for course, venue, starts, hours in sorted(plan, key=lambda p: p[2]):
        starts = starts.replace(tzinfo=community.tz)
        if not first <= starts.date() <= last:
            continue
        coming = starts > now
        # a coming elective in a small group: more ask than it holds, so it has a waiting list
        small = coming and course.kind == "elective" and course.learners == "staff"
        session = await plan_session(mh, SYSTEM, community, SessionIn(
            course_id=course.id, venue_id=venue.id, starts_at=starts, ends_at=starts + timedelta(hours=hours),
            capacity=min(venue.capacity, 8) if small else None, teacher=rng.choice(TEACHERS)), ahead=False, remind=coming)
        held = session.ends_at <= now
        if course.learners == "residents":
            chance = {p: 0.12 for p in elders}
        elif course.kind == "required":
            chance = {s: min(1.0, pace[s] * 9 / required_runs) for s in staff}
        else:
            chance = {s: 0.4 if small else 0.25 for s in staff}
        learners = [p for p in chance if rng.random() < chance[p]]
        rng.shuffle(learners)
        rows = []
        for n, person in enumerate(learners[: session.capacity + 4]):
            status = "enrolled" if n < session.capacity else "waiting"
            asked = session.starts_at - timedelta(days=rng.randint(2, 12), minutes=rng.randint(0, 600))
            row: dict[str, Any] = {"session": session.id, "community": community.id, "status": status, "created_at": min(asked, now)}
            row["resident" if course.learners == "residents" else "staff"] = person
            if held and status == "enrolled":
                if rng.random() < 0.06:
                    row.update(status="cancelled", cancelled_at=asked + timedelta(days=1))
                elif rng.random() < 0.92:
                    row.update(checked_in_at=session.starts_at - timedelta(minutes=rng.randint(0, 25)),
                               checked_out_at=session.ends_at + timedelta(minutes=rng.randint(0, 10)))
            rows.append(Enrolment(**row))
        if rows:
            await Enrolment.insert(*rows)


def _saturday(year: int, month: int, nth: int, at: time) -> datetime:
    """The ``nth`` Saturday of a month (Saturdays: staff courses do not take a working day's desk duty)."""
    day = date(year, month, 1)
    day += timedelta(days=(5 - day.weekday()) % 7 + 7 * (nth - 1))
    return datetime.combine(day, at)


def _weekday(year: int, month: int, nth: int, at: time) -> datetime:
    """The ``nth`` Wednesday of a month."""
    day = date(year, month, 1)
    day += timedelta(days=(2 - day.weekday()) % 7 + 7 * (nth - 1))
    return datetime.combine(day, at)

