"""Demo data for neighbourhood (``meihao demo``), for the communities whose brand it is (source: 济阳街道 "1169").

荷畔 (美好社区): its 家门口议事厅 and 美好生活设计委员会 with members for this term, motions at each
stage, two past meetings with votes and minutes, next month's 闻韶夜话, and the 邻里节's events.
城关 ("老街坊" volunteer service): a 议事厅 and a volunteer corps with a year of verified service
records and points, some spent at the points market. Other communities get a 议事厅 and one motion.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    Principal,
    community_now,
    record_volunteer_service,
    spend_points,
    verify_volunteer_service,
)
from meihao.tables import Resident

from .schemas import BodyIn, FestivalEventIn, MeetingIn, MemberIn, MotionIn, NeighbourhoodSettings
from .services import council, festival
from .tables import Attendance, Ballot, Body, Meeting, Member, Motion

#: Motions residents bring to a 议事厅, in their words.
MOTIONS = [
    ("小区南门增设非机动车充电棚", "电动车进楼充电隐患大，建议在南门空地建充电棚，费用由物业维修资金列支"),
    ("3号楼加装电梯意见征集", "3号楼住户多为老人，申请加装电梯，需征求全体住户意见"),
    ("荷花池周边步道夜间照明", "夜间散步的居民多，步道路灯损坏半年，建议更换为太阳能路灯"),
    ("楼道堆物集中清理日", "每月第一个周六组织楼道堆物清理，党员、志愿者带头"),
    ("社区活动室周末开放", "周末开放活动室给孩子写作业，由退休教师志愿者值守"),
    ("垃圾分类督导岗轮值", "早晚投放高峰设督导岗，居民志愿者轮流值守，记志愿服务时长"),
]
FESTIVAL_EVENTS = [("百家宴", 120, 12), ("才艺展示", 200, 6), ("跳蚤市场", 80, 8), ("亲子运动会", 60, 10)]
TEAM_ACTIVITIES = ["敬老院助老服务", "楼道清理", "垃圾分类督导", "文明交通劝导", "助老理发", "防诈宣传", "邻里节帮厨"]


async def fill(mh: Any, community: CommunityInfo, settings: NeighbourhoodSettings, seed: int) -> None:
    if await Body.exists().where(Body.community == community.id):
        return  # a demo run again: everything is there already
    rng = random.Random(seed * 7919 + community.id)
    system = Principal.system("neighbourhood")
    residents = await Resident.select(Resident.id, Resident.birth_date).where(Resident.community == community.id).order_by(Resident.id).limit(400)
    today = (community_now(mh, community)).date()
    adults = [r["id"] for r in residents if (today - r["birth_date"]).days >= 18 * 366]
    if len(adults) < 60:  # the motions' seconders and 城关's volunteer corps take the first 60 (a tiny demo has none)
        return
    rng.shuffle(adults)
    term = (date(today.year - 1, 1, 1), date(today.year + 3, 12, 31))
    council_body = await council.create_body(mh, system, community, BodyIn(kind="council", name="家门口议事厅"))
    roles = ["party_member", "party_member", "representative", "representative", "representative", "representative", "owners_committee"]
    members = []
    for i, role in enumerate(roles):
        members.append(await council.add_member(mh, system, community, council_body.id, MemberIn(
            role=role, term_start=term[0], term_end=term[1], resident_id=adults[i])))
    members.append(await council.add_member(mh, system, community, council_body.id, MemberIn(
        role="property", term_start=term[0], term_end=term[1], name="物业公司项目经理")))
    proposers = adults[10:]
    brand = community.slug
    motions = MOTIONS if brand == "hepan" else MOTIONS[:2]
    created = []
    for i, (title, text) in enumerate(motions):
        created.append(await council.propose(mh, system, community, MotionIn(body_id=council_body.id, title=title, text=text,
                                                                              proposer_id=proposers[i])))
    # seconds: every motion but the last gets its seconders; the first three are approved
    for i, motion in enumerate(created[:-1]):
        for k in range(settings.seconders_required):
            await council.second(mh, system, community, motion.id, proposers[20 + i * 5 + k])
    for motion in created[:min(3, len(created) - 1)]:
        from .schemas import ReviewIn

        await council.review(mh, system, community, motion.id, ReviewIn(approve=True, note="符合议事范围，同意提交议事会"))
    if brand == "hepan":
        await _past_meetings(mh, community, council_body.id, members, created[:2], rng)
        await _design_committee(mh, community, adults[7:10], term)
        start = datetime.combine((today.replace(day=1) + timedelta(days=40)).replace(day=15), time(19, 0), community.tz)
        await council.schedule_meeting(mh, system, community, MeetingIn(
            kind="evening_talk", title="闻韶夜话·老旧小区改造怎么改", starts_at=start, ends_at=start + timedelta(hours=2),
            venue="荷畔社区党群服务中心", rules="每人发言不超过2分钟，每个议题最多发言2次（南塘议事规则）"))
        fest = datetime.combine(today + timedelta(days=20), time(9, 0), community.tz)
        for n, (title, capacity, needed) in enumerate(FESTIVAL_EVENTS):
            event = await festival.create_event(mh, system, community, FestivalEventIn(
                festival="第三届荷畔邻里节", title=title, starts_at=fest + timedelta(days=n // 2, hours=(n % 2) * 5),
                ends_at=fest + timedelta(days=n // 2, hours=(n % 2) * 5 + 3), capacity=capacity, volunteers_needed=needed))
            for k in range(min(10, capacity)):
                resident = adults[(30 + n * 15 + k) % len(adults)]
                await festival.sign_up(mh, system, community, event.id, _signup(resident, "participant"))
    if brand == "chengguan":
        await _volunteer_corps(mh, community, adults[40:60], today, rng)


def _signup(resident: int, role: str) -> Any:
    from .schemas import SignupIn

    return SignupIn(resident_id=resident, role=role)


async def _past_meetings(mh: Any, community: CommunityInfo, body_id: int, members: list[Any], motions: list[Any], rng: random.Random) -> None:
    """Two meetings held last month and the month before, one approved motion each, votes and minutes (written as they were)."""
    now = mh.clock.now()
    voters = [m for m in members]
    for back, motion in zip((60, 30), motions):
        starts = datetime.combine((now - timedelta(days=back)).astimezone(community.tz).date(), time(19, 0), community.tz)
        meeting = Meeting(community=community.id, body=body_id, kind="council", title=f"家门口议事厅·{motion.title}", venue="荷畔社区议事厅",
                          starts_at=starts, ends_at=starts + timedelta(hours=2), state="held",
                          rules="举手发言，每人每次不超过2分钟，每个议题最多2次",
                          minutes=f"应到{len(voters)}人，实到{len(voters) - 1}人，符合三分之二到会要求。就“{motion.title}”充分讨论后举手表决。")
        await meeting.save()
        present = voters[:-1]
        await Attendance.insert(*[Attendance(meeting=meeting.id, member=m.id, at=starts) for m in present])
        choices = ["yes"] * (len(present) - 2) + ["no", "abstain"]
        await Ballot.insert(*[Ballot(motion=motion.id, member=m.id, choice=c) for m, c in zip(present, choices)])
        await Motion.update({
            Motion.state: "resolved" if back == 60 else "passed", Motion.meeting: meeting.id, Motion.eligible: len(voters),
            Motion.present: len(present), Motion.ayes: choices.count("yes"), Motion.noes: 1, Motion.abstentions: 1,
            Motion.quorum_met: True, Motion.decided_at: starts + timedelta(hours=2),
            Motion.notice_until: starts + timedelta(hours=2, days=5),
        }).where(Motion.id == motion.id)


async def _design_committee(mh: Any, community: CommunityInfo, residents: list[int], term: tuple[date, date]) -> None:
    body = Body(community=community.id, kind="design_committee", name="美好生活设计委员会", vote_by="member")
    await body.save()
    await Member.insert(*[Member(body=body.id, resident=r, role=role, term_start=term[0], term_end=term[1])
                          for r, role in zip(residents, ("party_member", "representative", "resident"))])


async def _volunteer_corps(mh: Any, community: CommunityInfo, volunteers: list[int], today: date, rng: random.Random) -> None:
    """老街坊: a year of service, each record verified, and some points spent at the points market (积分超市)."""
    system = Principal.system("neighbourhood")
    for resident in volunteers:
        for _ in range(rng.randint(2, 5)):
            day = today - timedelta(days=rng.randint(1, 360))
            record = await record_volunteer_service(mh, system, community, resident, hours=rng.choice([1.0, 1.5, 2.0, 2.5, 3.0, 4.0]),
                                                    activity=rng.choice(TEAM_ACTIVITIES), served_on=day, scenario="neighbourhood")
            await verify_volunteer_service(mh, system, record["id"])
        if rng.random() < 0.4:
            await spend_points(mh, system, community, resident, 3, reason="积分超市兑换：洗衣液一瓶", scenario="neighbourhood")
