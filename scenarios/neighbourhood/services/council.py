"""Bodies and members, motions (议题: 附议, 党组织审核), meetings (agenda sent ahead, reminders, attendance, votes, minutes)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from meihao import (
    ActivityIn,
    CommunityInfo,
    Conflict,
    InvalidInput,
    Meihao,
    NotFound,
    Principal,
    audit,
    cancel_activity,
    community_now,
    create_activity,
    scenario_settings,
    scope_where,
    scoped_resident,
    transaction,
)

from ..schemas import (
    BODY_KINDS,
    CHOICES,
    MEETING_KINDS,
    MEMBER_ROLES,
    BodyIn,
    BodyOut,
    MeetingIn,
    MeetingOut,
    MemberIn,
    MemberOut,
    MotionIn,
    MotionOut,
    NeighbourhoodSettings,
    RaisedIn,
    RaisedOut,
    ReviewIn,
    SecondCallIn,
    VoteIn,
)
from ..tables import Attendance, Ballot, Body, Meeting, Member, Motion, Raised, Second
from . import tally
from .scope import SCENARIO
from .scope import scoped_motion as _scoped_motion


async def settings_of(mh: Meihao, community: CommunityInfo) -> NeighbourhoodSettings:
    return await scenario_settings(mh, community.id, SCENARIO)


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    value = value.strip()
    if (required and not value) or len(value) > limit:
        raise InvalidInput(f"{field}: {'1' if required else '0'} to {limit} characters", field=field)
    return value


# -- bodies and members ---------------------------------------------------------------


async def _body(community: CommunityInfo, body_id: int, field: str | None = None) -> dict[str, Any]:
    row = await Body.select().where(Body.id == body_id, Body.community == community.id).first()
    if row is None:
        detail = f"body {body_id} not found"
        raise NotFound(f"{field}: {detail}" if field else detail, field=field)
    return row


async def list_bodies(community: CommunityInfo) -> list[BodyOut]:
    bodies = await Body.select().where(Body.community == community.id).order_by(Body.id)
    counts = {r["body"]: r["n"] for r in await Member.select(Member.body, Count(Member.id).as_alias("n")).where(
        Member.body.community == community.id).group_by(Member.body)}
    return [BodyOut(id=b["id"], kind=b["kind"], name=b["name"], vote_by=b["vote_by"], members=counts.get(b["id"], 0)) for b in bodies]


async def create_body(mh: Meihao, principal: Principal, community: CommunityInfo, data: BodyIn) -> BodyOut:
    if data.kind not in BODY_KINDS:
        raise InvalidInput(f"kind: one of {', '.join(BODY_KINDS)}", field="kind")
    if data.vote_by not in ("member", "household"):
        raise InvalidInput("vote_by: member or household", field="vote_by")
    name = _text(data.name, "name", 100)
    async with transaction(mh):
        body = Body(community=community.id, kind=data.kind, name=name, vote_by=data.vote_by)
        await body.save()
        await audit(principal, "neighbourhood.body.create", "body", body.id, community_id=community.id, detail={"kind": data.kind})
    return BodyOut(id=body.id, kind=data.kind, name=name, vote_by=data.vote_by, members=0)


def _member_out(r: dict[str, Any]) -> MemberOut:
    return MemberOut(id=r["id"], body=r["body"], resident=r["resident"], household=r["household"], name=r["name"], role=r["role"],
                     term_start=r["term_start"], term_end=r["term_end"])


async def list_members(community: CommunityInfo, body_id: int) -> list[MemberOut]:
    await _body(community, body_id)
    return [_member_out(r) for r in await Member.select().where(Member.body == body_id).order_by(Member.id)]


async def add_member(mh: Meihao, principal: Principal, community: CommunityInfo, body_id: int, data: MemberIn) -> MemberOut:
    """A member for a term: a resident in the caller's scope (``resident_id``) or a delegate by ``name`` (物业、业委会)."""
    if data.role not in MEMBER_ROLES:
        raise InvalidInput(f"role: one of {', '.join(MEMBER_ROLES)}", field="role")
    if data.term_end < data.term_start or (data.term_end - data.term_start).days > 5 * 366:
        raise InvalidInput("term_end: on or after term_start, at most five years later (居委会 term)", field="term_end")
    if (data.resident_id is None) == (not data.name.strip()):
        raise InvalidInput("resident_id: give a resident or a delegate's name, one of the two", field="resident_id")
    await _body(community, body_id)
    household = None
    if data.resident_id is not None:
        resident = await scoped_resident(principal, community, data.resident_id, "resident_id")
        household = resident["household"]
    async with transaction(mh, lock=("neighbourhood.body", body_id)):
        if data.resident_id is not None and await Member.exists().where(
                Member.body == body_id, Member.resident == data.resident_id, Member.term_end >= data.term_start,
                Member.term_start <= data.term_end):
            raise Conflict(f"resident_id: resident {data.resident_id} is already a member for these days", field="resident_id")
        member = Member(body=body_id, resident=data.resident_id, household=household, name=data.name.strip() if data.resident_id is None else "",
                        role=data.role, term_start=data.term_start, term_end=data.term_end)
        await member.save()
        await audit(principal, "neighbourhood.member.add", "member", member.id, community_id=community.id,
                    detail={"body": body_id, "role": data.role})
    return _member_out((await Member.select().where(Member.id == member.id).first()))


async def _members_on(body_id: int, day: date) -> list[dict[str, Any]]:
    return await Member.select().where(Member.body == body_id, Member.term_start <= day, Member.term_end >= day)


# -- motions ---------------------------------------------------------------------------


async def _seconds(motion_ids: list[int]) -> dict[int, int]:
    if not motion_ids:
        return {}
    rows = await Second.select(Second.motion, Count(Second.id).as_alias("n")).where(Second.motion.is_in(motion_ids)).group_by(Second.motion)
    return {r["motion"]: r["n"] for r in rows}


def _motion_out(r: dict[str, Any], seconds: int, required: int) -> MotionOut:
    return MotionOut(
        id=r["id"], body=r["body"], grid=r["grid"], title=r["title"], text=r["text"], proposer=r["proposer"], ballot=r["ballot"],
        state=r["state"], seconds=seconds, seconds_required=required, review_note=r["review_note"], meeting=r["meeting"],
        eligible=r["eligible"], present=r["present"], ayes=r["ayes"], noes=r["noes"], abstentions=r["abstentions"],
        quorum_met=r["quorum_met"], decided_at=r["decided_at"], notice_until=r["notice_until"],
    )


async def get_motion(mh: Meihao, principal: Principal, community: CommunityInfo, motion_id: int) -> MotionOut:
    await _scoped_motion(principal, community, motion_id)
    row = await Motion.select().where(Motion.id == motion_id).first()
    required = (await settings_of(mh, community)).seconders_required
    out = _motion_out(row, (await _seconds([motion_id])).get(motion_id, 0), required)
    if row["state"] == "resolved":
        from .follow_up import list_tasks

        out.tasks = await list_tasks(mh, principal, community, motion_id)
    return out


async def list_motions(mh: Meihao, principal: Principal, community: CommunityInfo, state: str | None = None) -> list[MotionOut]:
    where = scope_where(principal, community, (Motion.community, Motion.grid))
    if state is not None:
        where.append(Motion.state == state)
    rows = await Motion.select().where(*where).order_by(Motion.id, ascending=False).limit(500)
    seconds = await _seconds([r["id"] for r in rows])
    required = (await settings_of(mh, community)).seconders_required
    return [_motion_out(r, seconds.get(r["id"], 0), required) for r in rows]


async def propose(mh: Meihao, principal: Principal, community: CommunityInfo, data: MotionIn) -> MotionOut:
    """议题 a motion to a body, by a resident in the caller's scope (its grid is the motion's) or by the committee itself."""
    title = _text(data.title, "title", 200)
    text = _text(data.text, "text", 4000, required=False)
    if data.ballot not in ("open", "secret"):
        raise InvalidInput("ballot: open or secret", field="ballot")
    await _body(community, data.body_id, "body_id")
    grid = None
    if data.proposer_id is not None:
        grid = (await scoped_resident(principal, community, data.proposer_id, "proposer_id"))["grid"]
    settings = await settings_of(mh, community)
    async with transaction(mh):
        motion = Motion(community=community.id, grid=grid, body=data.body_id, title=title, text=text, proposer=data.proposer_id,
                        ballot=data.ballot, state="seconded" if settings.seconders_required == 0 else "proposed",
                        created_at=mh.clock.now())
        await motion.save()
        await audit(principal, "neighbourhood.motion.propose", "motion", motion.id, community_id=community.id)
    return await get_motion(mh, principal, community, motion.id)


async def second(mh: Meihao, principal: Principal, community: CommunityInfo, motion_id: int, resident_id: int) -> MotionOut:
    """附议: a resident (not the proposer) seconds a proposed motion once; at the threshold it goes to the party organisation."""
    await _scoped_motion(principal, community, motion_id)
    await scoped_resident(principal, community, resident_id, "resident_id")
    settings = await settings_of(mh, community)
    async with transaction(mh, lock=("neighbourhood.motion", motion_id)):
        motion = await Motion.select(Motion.state, Motion.proposer).where(Motion.id == motion_id).first()
        if motion["state"] not in ("proposed", "seconded"):
            raise Conflict(f"motion {motion_id} is {motion['state']}: seconds are taken before the review")
        if motion["proposer"] == resident_id:
            raise Conflict("resident_id: the proposer cannot second their own motion", field="resident_id")
        if await Second.exists().where(Second.motion == motion_id, Second.resident == resident_id):
            raise Conflict(f"resident_id: resident {resident_id} has seconded this motion already", field="resident_id")
        await Second.insert(Second(motion=motion_id, resident=resident_id, at=mh.clock.now()))
        count = await Second.count().where(Second.motion == motion_id)
        if motion["state"] == "proposed" and count >= settings.seconders_required:
            await Motion.update({Motion.state: "seconded"}).where(Motion.id == motion_id)
        await audit(principal, "neighbourhood.motion.second", "motion", motion_id, community_id=community.id,
                    detail={"resident": resident_id, "seconds": count})
    return await get_motion(mh, principal, community, motion_id)


async def review(mh: Meihao, principal: Principal, community: CommunityInfo, motion_id: int, data: ReviewIn) -> MotionOut:
    """党组织审核: a seconded motion is approved (it may go on an agenda) or declined, with a note."""
    await _scoped_motion(principal, community, motion_id)
    note = _text(data.note, "note", 1000, required=not data.approve)
    settings = await settings_of(mh, community)
    async with transaction(mh, lock=("neighbourhood.motion", motion_id)):
        state = (await Motion.select(Motion.state).where(Motion.id == motion_id).first())["state"]
        if state == "proposed":
            count = await Second.count().where(Second.motion == motion_id)
            raise Conflict(f"motion {motion_id} has {count} of the {settings.seconders_required} seconders it needs")
        if state != "seconded":
            raise Conflict(f"motion {motion_id} is {state}, not waiting for review")
        new = "approved" if data.approve else "declined"
        await Motion.update({Motion.state: new, Motion.review_note: note}).where(Motion.id == motion_id)
        await audit(principal, f"neighbourhood.motion.{'approve' if data.approve else 'decline'}", "motion", motion_id,
                    community_id=community.id, reason=note)
    return await get_motion(mh, principal, community, motion_id)


# -- meetings ----------------------------------------------------------------------------


async def _meeting(community: CommunityInfo, meeting_id: int) -> dict[str, Any]:
    row = await Meeting.select().where(Meeting.id == meeting_id, Meeting.community == community.id).first()
    if row is None:
        raise NotFound(f"meeting {meeting_id} not found")
    return row


async def get_meeting(community: CommunityInfo, meeting_id: int) -> MeetingOut:
    m = await _meeting(community, meeting_id)
    agenda = [r["id"] for r in await Motion.select(Motion.id).where(Motion.meeting == meeting_id).order_by(Motion.id)]
    present = await Attendance.count().where(Attendance.meeting == meeting_id)
    return MeetingOut(id=m["id"], kind=m["kind"], body=m["body"], title=m["title"], venue=m["venue"], starts_at=m["starts_at"],
                      ends_at=m["ends_at"], activity=m["activity"], rules=m["rules"], minutes=m["minutes"], state=m["state"],
                      agenda=agenda, attendance=present, second_call_of=m["second_call_of"])


async def signed_in(meeting_id: int) -> list[int]:
    """The members signed in at a meeting."""
    return [r["member"] for r in await Attendance.select(Attendance.member).where(Attendance.meeting == meeting_id)]


async def list_meetings(community: CommunityInfo) -> list[MeetingOut]:
    ids = [r["id"] for r in await Meeting.select(Meeting.id).where(Meeting.community == community.id).order_by(
        Meeting.starts_at, ascending=False).limit(200)]
    return [await get_meeting(community, i) for i in ids]


async def schedule_meeting(mh: Meihao, principal: Principal, community: CommunityInfo, data: MeetingIn) -> MeetingOut:
    """A meeting with its agenda (approved motions of its body), at least ``agenda_days_ahead`` days ahead; members reminded.

    An evening talk (闻韶夜话) has no body and no motions; its reminders go to every resident.
    """
    if data.kind not in MEETING_KINDS:
        raise InvalidInput(f"kind: one of {', '.join(MEETING_KINDS)}", field="kind")
    title = _text(data.title, "title", 200)
    settings = await settings_of(mh, community)
    starts, ends = data.starts_at, data.ends_at
    if starts.tzinfo is None:
        starts, ends = starts.replace(tzinfo=community.tz), ends.replace(tzinfo=community.tz if ends.tzinfo is None else ends.tzinfo)
    if ends.tzinfo is None:
        ends = ends.replace(tzinfo=community.tz)
    if not starts < ends <= starts + timedelta(hours=12):
        raise InvalidInput("ends_at: after starts_at, at most 12 hours later", field="ends_at")
    now = community_now(mh, community)
    if data.kind == "evening_talk":
        if data.body_id is not None or data.motion_ids:
            raise InvalidInput("body_id: an evening talk has no body and no motions to vote", field="body_id")
        if starts <= now:
            raise InvalidInput("starts_at: in the future", field="starts_at")
        audience: dict[str, Any] = {"everyone": True}
        body = None
    else:
        if data.body_id is None:
            raise InvalidInput("body_id: the body that meets", field="body_id")
        body = await _body(community, data.body_id, "body_id")
        if starts < now + timedelta(days=settings.agenda_days_ahead):
            raise InvalidInput(f"starts_at: at least {settings.agenda_days_ahead} days from now, so the agenda goes out ahead",
                               field="starts_at")
        members = await _members_on(body["id"], starts.astimezone(community.tz).date())
        residents = sorted({m["resident"] for m in members if m["resident"] is not None})
        if not residents:
            raise InvalidInput("body_id: the body has no resident members on that day to invite", field="body_id")
        audience = {"residents": residents}
    async with transaction(mh):
        for motion_id in data.motion_ids:
            row = await Motion.select(Motion.state, Motion.body).where(Motion.id == motion_id, Motion.community == community.id).first()
            if row is None:
                raise NotFound(f"motion_ids: motion {motion_id} not found", field="motion_ids")
            if row["body"] != data.body_id or row["state"] != "approved":
                raise Conflict(f"motion_ids: motion {motion_id} is not an approved motion of this body", field="motion_ids")
        activity = await create_activity(mh, community.slug, ActivityIn(
            scene="neighbourhood", title=title, starts_at=starts, ends_at=ends, venue=data.venue.strip(), audience=audience,
            reminder_offsets=list(settings.reminder_offsets), source="neighbourhood.meeting"), scenario=SCENARIO)
        meeting = Meeting(community=community.id, body=None if body is None else body["id"], kind=data.kind, title=title,
                          venue=data.venue.strip(), starts_at=starts, ends_at=ends, activity=activity["id"],
                          rules=_text(data.rules, "rules", 2000, required=False), created_by=principal.staff_id)
        await meeting.save()
        if data.motion_ids:
            await Motion.update({Motion.state: "scheduled", Motion.meeting: meeting.id}).where(Motion.id.is_in(list(data.motion_ids)))
        await audit(principal, "neighbourhood.meeting.schedule", "meeting", meeting.id, community_id=community.id,
                    detail={"kind": data.kind, "motions": list(data.motion_ids)})
    return await get_meeting(community, meeting.id)


async def cancel_meeting(mh: Meihao, principal: Principal, community: CommunityInfo, meeting_id: int) -> MeetingOut:
    m = await _meeting(community, meeting_id)
    if m["state"] != "planned":
        raise Conflict(f"meeting {meeting_id} is {m['state']}")
    async with transaction(mh):
        await Meeting.update({Meeting.state: "cancelled"}).where(Meeting.id == meeting_id)
        await Motion.update({Motion.state: "approved", Motion.meeting: None}).where(Motion.meeting == meeting_id)
        await audit(principal, "neighbourhood.meeting.cancel", "meeting", meeting_id, community_id=community.id)
    if m["activity"] is not None:
        await cancel_activity(mh, m["activity"])
    return await get_meeting(community, meeting_id)


async def sign_in(mh: Meihao, principal: Principal, community: CommunityInfo, meeting_id: int, member_ids: list[int]) -> MeetingOut:
    """签到: members of the meeting's body, in their term on the meeting's day; signing in twice changes nothing."""
    m = await _meeting(community, meeting_id)
    if m["body"] is None or m["state"] != "planned":
        raise Conflict(f"meeting {meeting_id} takes no sign-in (an evening talk, or not planned)")
    day = m["starts_at"].astimezone(community.tz).date()
    entitled = {r["id"] for r in await _members_on(m["body"], day)}
    for member_id in member_ids:
        if member_id not in entitled:
            raise NotFound(f"member_ids: member {member_id} not found", field="member_ids")
    async with transaction(mh, lock=("neighbourhood.meeting", meeting_id)):
        present = {r["member"] for r in await Attendance.select(Attendance.member).where(Attendance.meeting == meeting_id)}
        new = [i for i in dict.fromkeys(member_ids) if i not in present]
        if new:
            await Attendance.insert(*[Attendance(meeting=meeting_id, member=i, at=mh.clock.now()) for i in new])
        await audit(principal, "neighbourhood.meeting.sign_in", "meeting", meeting_id, community_id=community.id, detail={"members": new})
    return await get_meeting(community, meeting_id)


async def vote(mh: Meihao, principal: Principal, community: CommunityInfo, meeting_id: int, motion_id: int, data: VoteIn) -> dict[str, Any]:
    """One ballot of a member signed in, on a motion of the meeting's agenda; per household when the body says so."""
    if data.choice not in CHOICES:
        raise InvalidInput("choice: yes, no or abstain", field="choice")
    m = await _meeting(community, meeting_id)
    motion = await Motion.select(Motion.state, Motion.meeting).where(Motion.id == motion_id, Motion.community == community.id).first()
    if motion is None or motion["meeting"] != meeting_id:
        raise NotFound(f"motion {motion_id} not found")
    body = await _body(community, m["body"])
    async with transaction(mh, lock=("neighbourhood.motion", motion_id)):
        if motion["state"] != "scheduled" or m["state"] != "planned":
            raise Conflict(f"motion {motion_id} is not open for votes")
        member = await Member.select().where(Member.id == data.member_id, Member.body == body["id"]).first()
        if member is None or not await Attendance.exists().where(Attendance.meeting == meeting_id, Attendance.member == data.member_id):
            raise Conflict(f"member_id: member {data.member_id} has not signed in at this meeting", field="member_id")
        if await Ballot.exists().where(Ballot.motion == motion_id, Ballot.member == data.member_id):
            raise Conflict(f"member_id: member {data.member_id} has voted on this motion", field="member_id")
        household = member["household"] if body["vote_by"] == "household" else None
        if body["vote_by"] == "household":
            if household is None:
                raise Conflict(f"member_id: member {data.member_id} has no household to vote for", field="member_id")
            if await Ballot.exists().where(Ballot.motion == motion_id, Ballot.household == household):
                raise Conflict(f"member_id: household {household} has voted on this motion (one vote per household)", field="member_id")
        await Ballot.insert(Ballot(motion=motion_id, member=data.member_id, household=household, choice=data.choice))
        # A secret ballot's choice is not written to the audit log: only that the member voted.
        await audit(principal, "neighbourhood.motion.vote", "motion", motion_id, community_id=community.id,
                    detail={"member": data.member_id, **({} if await _is_secret(motion_id) else {"choice": data.choice})})
    return {"motion": motion_id, "member": data.member_id, "recorded": True}


async def _is_secret(motion_id: int) -> bool:
    return (await Motion.select(Motion.ballot).where(Motion.id == motion_id).first())["ballot"] == "secret"


def quorum_of(settings: NeighbourhoodSettings, kind: str, meeting: dict[str, Any]) -> str:
    """The quorum rule of a meeting: the body kind's, or its second-call rule for a meeting called again."""
    return getattr(settings, f"{kind}_second_call") if meeting["second_call_of"] is not None else getattr(settings, f"{kind}_quorum")


async def turnout(community: CommunityInfo, body: dict[str, Any], meeting: dict[str, Any]) -> tuple[int, int]:
    """(entitled, present): members (or households) in their term on the meeting's day, and those of them signed in."""
    day = meeting["starts_at"].astimezone(community.tz).date()
    members = await _members_on(body["id"], day)
    signed = {r["member"] for r in await Attendance.select(Attendance.member).where(Attendance.meeting == meeting["id"])}
    if body["vote_by"] == "household":
        return (len({x["household"] for x in members if x["household"] is not None}),
                len({x["household"] for x in members if x["id"] in signed and x["household"] is not None}))
    return len(members), len([x for x in members if x["id"] in signed])


async def call_again(mh: Meihao, principal: Principal, community: CommunityInfo, meeting_id: int, data: SecondCallIn) -> MeetingOut:
    """二次召集: a planned meeting whose members signed in fall short of its quorum is adjourned (流会) and called again.

    Only where the body kind's rules have a second call (setting ``<kind>_second_call``); the new meeting takes the
    agenda, its members are reminded at the offsets still ahead, and its count uses the second-call quorum.
    """
    m = await _meeting(community, meeting_id)
    if m["body"] is None or m["state"] != "planned":
        raise Conflict(f"meeting {meeting_id} cannot be called again (an evening talk, or not planned)")
    if m["second_call_of"] is not None:
        raise Conflict(f"meeting {meeting_id} is already a second call of meeting {m['second_call_of']}")
    body = await _body(community, m["body"])
    settings = await settings_of(mh, community)
    rule = getattr(settings, f"{body['kind']}_second_call")
    if not rule:
        raise Conflict(f"the rules of a {body['kind']} have no second call (setting {body['kind']}_second_call)")
    eligible, present = await turnout(community, body, m)
    if tally.quorum_met(getattr(settings, f"{body['kind']}_quorum"), eligible, present):
        raise Conflict(f"meeting {meeting_id} has its quorum ({present} of {eligible} signed in): count it instead")
    starts, ends = data.starts_at, data.ends_at
    starts = starts if starts.tzinfo else starts.replace(tzinfo=community.tz)
    ends = ends if ends.tzinfo else ends.replace(tzinfo=community.tz)
    now = mh.clock.now()
    if starts <= now:
        raise InvalidInput("starts_at: in the future", field="starts_at")
    if not starts < ends <= starts + timedelta(hours=12):
        raise InvalidInput("ends_at: after starts_at, at most 12 hours later", field="ends_at")
    members = await _members_on(body["id"], starts.astimezone(community.tz).date())
    residents = sorted({x["resident"] for x in members if x["resident"] is not None})
    if not residents:
        raise InvalidInput("starts_at: the body has no resident members on that day to invite", field="starts_at")
    offsets = [o for o in settings.reminder_offsets if starts - timedelta(minutes=o) > now] or [0]
    venue = _text(data.venue, "venue", 200, required=False) or m["venue"]
    title = f"{m['title']}（二次召集）"[:200]
    async with transaction(mh, lock=("neighbourhood.meeting", meeting_id)):
        activity = await create_activity(mh, community.slug, ActivityIn(
            scene="neighbourhood", title=title, starts_at=starts, ends_at=ends, venue=venue, audience={"residents": residents},
            reminder_offsets=offsets, source="neighbourhood.meeting"), scenario=SCENARIO)
        again = Meeting(community=community.id, body=body["id"], kind=m["kind"], title=title, venue=venue, starts_at=starts, ends_at=ends,
                        activity=activity["id"], rules=m["rules"], created_by=principal.staff_id, second_call_of=meeting_id)
        await again.save()
        await Meeting.update({Meeting.state: "adjourned"}).where(Meeting.id == meeting_id)
        await Motion.update({Motion.meeting: again.id}).where(Motion.meeting == meeting_id, Motion.state == "scheduled")
        await audit(principal, "neighbourhood.meeting.second_call", "meeting", again.id, community_id=community.id,
                    detail={"adjourned": meeting_id, "eligible": eligible, "present": present, "quorum": rule})
    return await get_meeting(community, again.id)


async def count(mh: Meihao, principal: Principal, community: CommunityInfo, meeting_id: int) -> MeetingOut:
    """计票: every motion on the agenda is counted against the quorum and the passing rule of the body's kind.

    Entitled and present are members (or households, for a body that votes per household) in
    their term on the meeting's day; the result is published for ``notice_days`` (公示), then a
    passed motion becomes a resolution (the daily job ``neighbourhood.resolve``). The meeting is held.
    """
    m = await _meeting(community, meeting_id)
    if m["body"] is None or m["state"] != "planned":
        raise Conflict(f"meeting {meeting_id} has nothing to count (an evening talk, or not planned)")
    body = await _body(community, m["body"])
    settings = await settings_of(mh, community)
    quorum_rule, pass_rule = quorum_of(settings, body["kind"], m), getattr(settings, f"{body['kind']}_pass")
    eligible, present = await turnout(community, body, m)
    now = mh.clock.now()
    async with transaction(mh, lock=("neighbourhood.meeting", meeting_id)):
        for motion in await Motion.select(Motion.id).where(Motion.meeting == meeting_id, Motion.state == "scheduled"):
            choices = [b["choice"] for b in await Ballot.select(Ballot.choice).where(Ballot.motion == motion["id"])]
            ayes, noes, abstentions = choices.count("yes"), choices.count("no"), choices.count("abstain")
            met = tally.quorum_met(quorum_rule, eligible, present)
            passed = met and tally.carried(pass_rule, present, ayes, noes)
            await Motion.update({
                Motion.state: "passed" if passed else "failed", Motion.eligible: eligible, Motion.present: present, Motion.ayes: ayes,
                Motion.noes: noes, Motion.abstentions: abstentions, Motion.quorum_met: met, Motion.decided_at: now,
                Motion.notice_until: now + timedelta(days=settings.notice_days),
            }).where(Motion.id == motion["id"])
            await audit(principal, "neighbourhood.motion.count", "motion", motion["id"], community_id=community.id,
                        detail={"eligible": eligible, "present": present, "ayes": ayes, "noes": noes, "abstentions": abstentions,
                                "quorum_met": met, "passed": passed})
        await Meeting.update({Meeting.state: "held"}).where(Meeting.id == meeting_id)
    return await get_meeting(community, meeting_id)


async def write_minutes(mh: Meihao, principal: Principal, community: CommunityInfo, meeting_id: int, minutes: str) -> MeetingOut:
    m = await _meeting(community, meeting_id)
    text = _text(minutes, "minutes", 20000)
    if m["state"] == "cancelled":
        raise Conflict(f"meeting {meeting_id} was cancelled")
    async with transaction(mh):
        await Meeting.update({Meeting.minutes: text}).where(Meeting.id == meeting_id)
        await audit(principal, "neighbourhood.meeting.minutes", "meeting", meeting_id, community_id=community.id)
    return await get_meeting(community, meeting_id)


async def resolve_due(mh: Meihao, community: CommunityInfo) -> int:
    """Passed motions whose notice period has ended become resolutions (决议); returns how many."""
    now = mh.clock.now()
    due = [r["id"] for r in await Motion.select(Motion.id).where(
        Motion.community == community.id, Motion.state == "passed", Motion.notice_until <= now)]
    if due:
        async with transaction(mh):
            await Motion.update({Motion.state: "resolved"}).where(Motion.id.is_in(due))
            for motion_id in due:
                await audit(Principal.system(SCENARIO), "neighbourhood.motion.resolve", "motion", motion_id, community_id=community.id)
    return len(due)


# -- evening talks (闻韶夜话) ------------------------------------------------------------


async def note_raised(mh: Meihao, principal: Principal, community: CommunityInfo, meeting_id: int, data: RaisedIn) -> RaisedOut:
    """Note what a resident raised at an evening talk; ``as_motion_of`` (a body) turns it into a motion in the same step."""
    m = await _meeting(community, meeting_id)
    if m["kind"] != "evening_talk":
        raise Conflict(f"meeting {meeting_id} is not an evening talk")
    text = _text(data.text, "text", 2000)
    grid = None
    if data.resident_id is not None:
        grid = (await scoped_resident(principal, community, data.resident_id, "resident_id"))["grid"]
    motion_id = None
    if data.as_motion_of is not None:
        motion_id = (await propose(mh, principal, community, MotionIn(body_id=data.as_motion_of, title=text[:60], text=text,
                                                                      proposer_id=data.resident_id))).id
    async with transaction(mh):
        row = Raised(meeting=meeting_id, community=community.id, grid=grid, resident=data.resident_id, text=text, motion=motion_id)
        await row.save()
        await audit(principal, "neighbourhood.raised.note", "raised", row.id, community_id=community.id, detail={"motion": motion_id})
    return RaisedOut(id=row.id, meeting=meeting_id, resident=data.resident_id, text=text, motion=motion_id)

