"""Demo data for elder_care (``meihao demo``): a register drawn from the community's elders, a season of visits,
volunteers as visitors, a nursing-home visit, and the first run of the overdue check, so reminders appear at once."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

import msgspec

from meihao import CommunityInfo, Principal, community_today, scope_where, surname_of
from meihao.tables import Resident, ResidentTag

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

    now = mh.clock.now()
    rows: list[Elder] = []
    last_visits: dict[int, tuple[Any, int | None]] = {}
    for person in elders:
        own = tags.get(person["id"], set())
        age = common.age_on(person["birth_date"], today)
        living_alone = "living_alone" in own
        disability = rng.choice(["partial", "full"]) if "disabled" in own else "none"
        care_level = register.suggest_care_level(age, living_alone, disability, settings)
        interval = settings.interval_for(care_level)
        draw = rng.random()
        # Most are visited on time; some slip once, a few twice (the demo's reminders and escalations).
        if draw < 0.80:
            elapsed = rng.randint(0, interval - 1)
        elif draw < 0.93:
            elapsed = interval + rng.randint(1, max(1, interval - 1))
        else:
            elapsed = 2 * interval + rng.randint(1, max(1, interval - 1))
        last = today - timedelta(days=elapsed)
        volunteers = [v for v in volunteers_by_grid.get(person["grid"], []) if v != person["id"]]
        visitor = rng.choice(volunteers) if volunteers else None
        phone = f"+86{rng.choice(['139', '138', '158', '186', '151'])}{rng.randint(0, 99_999_999):08d}"
        rng.randrange(10), rng.randrange(7)  # the two draws the contact once took: the demo's visits and overdue elders stay as they were
        rows.append(
            Elder(
                resident=person["id"],
                care_level=care_level,
                living_alone=living_alone,
                disability=disability,
                **emergency_contact(contacts, person["name"], person["gender"]),
                emergency_contact_phone=phone,
                visitor_staff=None,
                visitor_resident=visitor,
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
        last_visits[person["id"]] = (last, visitor)
    for start in range(0, len(rows), BATCH):
        await Elder.insert(*rows[start : start + BATCH])

    ids = {
        r["resident"]: r["id"]
        for r in await Elder.select(Elder.id, Elder.resident).where(*scope_where(common.EVERYONE, community, Elder.resident))
    }
    tz = community.tz
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
                visitor_staff=None,
                visitor_resident=visitor,
                visited_at=visit_service._aware(when, tz, now),
                method=rng.choices(["home", "phone", "video"], weights=[60, 35, 5])[0],
                findings=msgspec.json.encode(findings).decode(),
                concerns=len(concerns),
                follow_up_needed=bool(concerns),
                follow_up_note="；".join(CONCERNS[a] for a in concerns),
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
