"""Demo data for elder_care (``meihao demo``): a register drawn from the community's elders, a season of visits,
grid and community staff as visitors with volunteers assisting, a nursing-home visit, and the first run of the overdue check, so reminders appear at once."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

import msgspec

from meihao import CommunityInfo, Principal, community_today, scope_where, surname_of
from meihao.tables import Grid, Resident, ResidentTag, StaffAssignment

from .schemas import ElderCareSettings, Finding, Findings, NursingHomeVisitIn, RosterIn
from .services import alerts, common, nursing_home, register
from .services import visits as visit_service  # not `visits`: fill() has a list of that name
from .tables import Elder, Visit

GIVEN = {"male": ["建国", "志强", "国庆", "立新", "伟", "海涛", "军"], "female": ["秀兰", "丽娟", "海燕", "红梅", "静", "晓燕", "玉梅"]}
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱"]
#: An emergency contact's gender, and whose surname they carry: the elder's own (a man's children, anyone's 侄子:
#: a brother's son), or another family's (a woman's children carry their father's; in-laws, 老伴, 外甥女, neighbours).
RELATIONS = {
    "儿子": ("male", "children"), "女儿": ("female", "children"), "儿媳": ("female", "other"), "女婿": ("male", "other"),
    "侄子": ("male", "own"), "外甥女": ("female", "other"), "老伴": ("spouse", "other"), "邻居": ("any", "other"),
}
CONCERNS = {
    "health": "血压偏高，近期头晕，已提醒按时服药并联系家庭医生",
    "finances": "高龄津贴尚未到账，已转街道民政办核实",
    "carers": "子女在外地工作，近两月未回家探望",
    "housing_safety": "卫生间地面湿滑无扶手，存在跌倒隐患",
    "needs": "希望有人每周上门陪同买菜、打扫卫生",
}
TASKS = ["打扫卫生", "整理房间", "理发", "陪老人聊天", "量血压", "表演节目"]
BATCH = 500
#: The most elders a demo visitor is responsible for: staff of the grid team and the community take the elders in
#: special difficulty first (高风险, then 重点), volunteers assist with a few; the rest have no named visitor and the
#: grid worker is reminded for them (issue 16: no one carrying 18 elders).
STAFF_LOAD = 15
VOLUNTEER_LOAD = 2
#: The grid roles that visit, in the order they take elders (the full-time grid worker first).
VISITING_ROLES = ("grid_worker", "grid_part_time", "grid_leader")


def emergency_contact(rng: random.Random, elder_name: str, elder_gender: str) -> dict[str, str]:
    """A relation and a name that fit it: 儿子 is a man, carrying his father's surname (so the elder's, when the
    elder is the father); 女儿 a woman; 老伴 of the other gender with her or his own surname; and so on."""
    relation = rng.choice(list(RELATIONS))
    gender, surname_from = RELATIONS[relation]
    if gender == "spouse":
        gender = "female" if elder_gender == "male" else "male"
    elif gender == "any":
        gender = rng.choice(["male", "female"])
    own = surname_of(elder_name)
    if surname_from == "own" or (surname_from == "children" and elder_gender == "male"):
        surname = own
    else:
        surname = rng.choice([s for s in SURNAMES if s != own])
    return {"emergency_contact_name": surname + rng.choice(GIVEN[gender]), "emergency_contact_relation": relation}


async def _visiting_staff(community: CommunityInfo) -> dict[int, list[int]]:
    """Per grid, the active staff who visit: its grid worker, part-time workers and leaders, then the community's admins."""
    rows = await StaffAssignment.select(StaffAssignment.staff, StaffAssignment.grid, StaffAssignment.role).where(
        StaffAssignment.grid.is_in(Grid.select(Grid.id).where(Grid.community == community.id)),
        StaffAssignment.role.is_in(list(VISITING_ROLES)), StaffAssignment.staff.active.eq(True),
    ).order_by(StaffAssignment.staff)
    admins = [r["staff"] for r in await StaffAssignment.select(StaffAssignment.staff).where(
        StaffAssignment.community == community.id, StaffAssignment.role == "community_admin", StaffAssignment.staff.active.eq(True),
    ).order_by(StaffAssignment.staff)]
    grids: dict[int, list[int]] = {}
    for role in VISITING_ROLES:
        for r in rows:
            if r["role"] == role and r["staff"] not in grids.setdefault(r["grid"], []):
                grids[r["grid"]].append(r["staff"])
    for grid in await Grid.select(Grid.id).where(Grid.community == community.id).order_by(Grid.id):
        grids.setdefault(grid["id"], [])
    # the community's admins help in every grid, after its own team
    return {grid: [*team, *(a for a in admins if a not in team)] for grid, team in grids.items()}


def _assign_visitors(rows: list[Elder], grid_of: dict[int, int], staff_by_grid: dict[int, list[int]],
                     volunteers_by_grid: dict[int, list[int]]) -> None:
    """Name responsible visitors: the most urgent elders first, staff up to ``STAFF_LOAD`` each, then volunteers up to
    ``VOLUNTEER_LOAD`` (never themselves); 一般 elders left over have none (the grid worker is reminded)."""
    load: dict[tuple[str, int], int] = {}
    order = {"high_risk": 0, "key": 1, "general": 2}
    for row in sorted(rows, key=lambda r: (order[r.care_level], r.resident)):
        grid = grid_of[row.resident]
        staff = next((s for s in staff_by_grid.get(grid, []) if load.get(("staff", s), 0) < STAFF_LOAD), None)
        if staff is not None:
            row.visitor_staff = staff
            load[("staff", staff)] = load.get(("staff", staff), 0) + 1
            continue
        volunteer = next((v for v in volunteers_by_grid.get(grid, [])
                          if v != row.resident and load.get(("resident", v), 0) < VOLUNTEER_LOAD), None)
        if volunteer is not None:
            row.visitor_resident = volunteer
            load[("resident", volunteer)] = load.get(("resident", volunteer), 0) + 1


async def fill(mh: Any, community: CommunityInfo, settings: ElderCareSettings, seed: int) -> None:
    rng = random.Random(seed * 7919 + community.id)
    contacts = random.Random(seed * 7919 + community.id + 1)
    today = community_today(mh, community)
    elders = await Resident.select(Resident.id, Resident.name, Resident.gender, Resident.birth_date, Resident.grid).where(
        Resident.community == community.id, Resident.birth_date <= common.years_before(today, settings.elder_age)
    ).order_by(Resident.id)
    if not elders:
        return
    tags: dict[int, set[str]] = {}
    for row in await ResidentTag.select(ResidentTag.resident, ResidentTag.tag).where(
        *scope_where(common.EVERYONE, community, ResidentTag.resident), ResidentTag.tag.is_in(["living_alone", "disabled", "volunteer"])
    ):
        tags.setdefault(row["resident"], set()).add(row["tag"])
    volunteers_by_grid: dict[int, list[int]] = {}
    for row in await Resident.select(Resident.id, Resident.grid).where(
        Resident.id.is_in(ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == "volunteer")),
        Resident.community == community.id,
    ).order_by(Resident.id):
        volunteers_by_grid.setdefault(row["grid"], []).append(row["id"])

    for row in await ResidentTag.select(ResidentTag.resident, ResidentTag.tag).where(
        *scope_where(common.EVERYONE, community, ResidentTag.resident), ResidentTag.tag.is_in(["low_income", "extreme_poverty"])
    ):
        tags.setdefault(row["resident"], set()).add(row["tag"])
    staff_by_grid = await _visiting_staff(community)
    flags = random.Random(seed * 7919 + community.id + 2)  # its own stream: the draws below stay as they were

    now = mh.clock.now()
    rows: list[Elder] = []
    last_visits: dict[int, tuple[Any, int | None]] = {}
    for person in elders:
        own = tags.get(person["id"], set())
        age = common.age_on(person["birth_date"], today)
        living_alone = "living_alone" in own
        disability = rng.choice(["partial", "full"]) if "disabled" in own else "none"
        empty_nest = not living_alone and flags.random() < 0.25
        left_behind = not living_alone and not empty_nest and flags.random() < 0.05
        grade = flags.choice([1, 2, 2, 3, 3, 4]) if "disabled" in own else None
        categories = [c for c, share in (("dementia", 0.03 if age >= 75 else 0.005), ("family_planning_special", 0.01)) if flags.random() < share]
        categories += [c for c, tag in (("subsistence_allowance", "low_income"), ("dispersed_extreme_poverty", "extreme_poverty")) if tag in own]
        care_level = register.suggest_care_level(
            age, settings, living_alone=living_alone, empty_nest=empty_nest, left_behind=left_behind, self_care_loss=disability,
            disability_grade=grade, categories=categories,
        )
        interval = settings.interval_for(care_level)
        draw = rng.random()
        # Most are visited on time; some slip once, a few twice (the demo's reminders and escalations).
        escalate = settings.escalate_after_days(care_level)
        if draw < 0.80:
            elapsed = rng.randint(0, interval - 1)
        elif draw < 0.93:  # a little late: the visitor is reminded
            elapsed = interval + rng.randint(1, max(1, escalate - 1))
        else:  # late enough for the grid leader (escalation is by days overdue per care level)
            elapsed = interval + escalate + rng.randint(0, max(0, interval - 1))
        last = today - timedelta(days=elapsed)
        volunteers = [v for v in volunteers_by_grid.get(person["grid"], []) if v != person["id"]]
        rng.choice(volunteers) if volunteers else None  # the draw the volunteer visitor once took (see above)
        phone = f"+86{rng.choice(['139', '138', '158', '186', '151'])}{rng.randint(0, 99_999_999):08d}"
        rng.randrange(10), rng.randrange(7)  # the two draws the contact once took: the demo's visits and overdue elders stay as they were
        rows.append(
            Elder(
                resident=person["id"],
                care_level=care_level,
                living_alone=living_alone,
                empty_nest=empty_nest,
                left_behind=left_behind,
                disability=disability,
                disability_grade=grade,
                categories=common.encode_categories(categories),
                **emergency_contact(contacts, person["name"], person["gender"]),
                emergency_contact_phone=phone,
                visitor_staff=None,
                visitor_resident=None,
                interval_days=None,
                plan_starts_on=today - timedelta(days=3 * 91),
                last_contact_on=last,
                next_due_on=last + timedelta(days=interval),
                notes="",
                active=True,
                ended_reason="",
                created_at=now,
                updated_at=now,
            )
        )
        last_visits[person["id"]] = (last, None)
    _assign_visitors(rows, {p["id"]: p["grid"] for p in elders}, staff_by_grid, volunteers_by_grid)
    for row in rows:
        last_visits[row.resident] = (last_visits[row.resident][0], (row.visitor_staff, row.visitor_resident))
    for start in range(0, len(rows), BATCH):
        await Elder.insert(*rows[start : start + BATCH])

    ids = {
        r["resident"]: r["id"]
        for r in await Elder.select(Elder.id, Elder.resident).where(*scope_where(common.EVERYONE, community, Elder.resident))
    }
    tz = community.tz
    grid_of = {p["id"]: p["grid"] for p in elders}
    visits: list[Visit] = []
    for resident_id, (day, visitor) in last_visits.items():
        concerns = [area for area in CONCERNS if rng.random() < 0.06]
        findings = Findings(**{area: Finding(status="concern", note=CONCERNS[area]) for area in concerns})
        if "needs" in concerns:
            findings.needs_list = [rng.choice(["care", "companionship", "home_adaptation", "meals"])]
        when = datetime.combine(day, time(rng.randint(9, 17), rng.choice([0, 15, 30, 45])))
        visits.append(
            Visit(
                elder=ids[resident_id],
                # no named visitor: the grid's own team made the visit
                visitor_staff=visitor[0] if any(visitor) else next(iter(staff_by_grid.get(grid_of[resident_id], [])), None),
                visitor_resident=visitor[1],
                visited_at=visit_service._aware(when, tz, now),
                method=rng.choices(["home", "phone", "video"], weights=[60, 35, 5])[0],
                findings=msgspec.json.encode(findings).decode(),
                concerns=len(concerns),
                # the demo's old visits: their follow-ups are settled (no open work item)
                follow_up_needed=False,
                follow_up_note="",
                recorded_by=None,
                created_at=now,
            )
        )
    for start in range(0, len(visits), BATCH):
        await Visit.insert(*visits[start : start + BATCH])

    # Volunteers from the 老街坊-style teams visit the nursing home next Saturday morning.
    all_volunteers = sorted({v for vs in volunteers_by_grid.values() for v in vs})
    if all_volunteers:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        chosen = rng.sample(all_volunteers, min(6, len(all_volunteers)))
        await nursing_home.create_nursing_home_visit(
            mh,
            Principal.system("meihao demo"),
            community,
            NursingHomeVisitIn(
                starts_at=datetime.combine(saturday, time(9, 0)),
                ends_at=datetime.combine(saturday, time(11, 0)),
                nursing_home=settings.nursing_home,
                volunteers=[RosterIn(resident_id=v, task=TASKS[i % len(TASKS)]) for i, v in enumerate(chosen)],
            ),
        )
    # The first daily check now, so the demo shows overdue reminders (and escalations) straight away.
    await alerts.check_visits(mh, community)
