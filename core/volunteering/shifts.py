"""Volunteer teams and shifts: members with skills and availability, shifts with the number needed, sign-ups, check-in and
check-out with a QR code at the venue, no-shows.

A resident signs up (herself through her inbox link, or staff for her); at the venue staff scan the
code her page shows, which checks her in and, scanned again, out. Checking out records a spell of
service (``ledger.record_service``: state ``recorded``, counted once staff verify it) of the minutes
between the later of check-in and the shift's start and the earlier of check-out and its end. After the
shift staff record the no-shows: every sign-up never checked in, each losing
``volunteer_no_show_penalty_points`` points (never more than her balance).

The code carries a signed, expiring token (:func:`checkin_code`): the sign-up's number, the moment it
stops working and an HMAC under the data key; never the resident. Teams, shifts and sign-ups of a
community the caller does not reach, and residents out of their scope, are the 404 of a missing one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.db.transactions import transaction
from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.register.tables import Community, Resident
from meihao.runtime import Meihao
from meihao.volunteering import ledger
from meihao.volunteering.tables import VolunteerMember, VolunteerShift, VolunteerSignup, VolunteerTeam

#: The kinds of team (code: Chinese and English names).
TEAM_KINDS: dict[str, tuple[str, str]] = {
    "community": ("社区志愿服务队", "the community's team"),
    "civilization_practice": ("新时代文明实践所志愿服务队", "a civilisation practice station team"),
    "social_work_station": ("社工站", "the social work station"),
    "partner": ("合作单位", "a partner organisation"),
}
#: Sign-up states; the first three take a place.
SIGNUP_STATES = ("signed_up", "checked_in", "served", "no_show", "cancelled")
TAKING = ("signed_up", "checked_in", "served")
MANAGE = "meihao.volunteer.manage"
RECORD = "meihao.volunteer.record"
#: What a resident acting through her own link holds (never given to a staff role).
SELF = "meihao.volunteer.sign_up_self"

_fallback_key = secrets.token_bytes(32)


def _text(value: str, field: str, *, low: int, high: int) -> str:
    value = (value or "").strip()
    if not low <= len(value) <= high:
        raise InvalidInput(f"{field}: {low} to {high} characters, got {len(value)}", field=field)
    return value


def _community_reached(principal: Principal, community_id: int, noun: str, record_id: int) -> None:
    if not principal.reaches_community(community_id):
        raise NotFound(f"{noun} {record_id} not found")


# -- teams ------------------------------------------------------------------------------------


async def create_team(mh: Meihao, principal: Principal, community: Any, *, name: str, kind: str, partner: str = "",
                      note: str = "") -> dict[str, Any]:
    """A new team of ``community`` (one the caller reaches, with ``meihao.volunteer.manage``); names are unique in a community."""
    principal.require(MANAGE)
    community_id = int(getattr(community, "id", community))
    _community_reached(principal, community_id, "community", community_id)
    name = _text(name, "name", low=1, high=100)
    if kind not in TEAM_KINDS:
        raise InvalidInput(f"kind: one of {', '.join(TEAM_KINDS)}, got {kind!r}", field="kind")
    partner = _text(partner, "partner", low=1 if kind == "partner" else 0, high=200)
    async with transaction(mh, lock=("meihao.volunteer.team", community_id)):
        if await VolunteerTeam.exists().where(VolunteerTeam.community == community_id, VolunteerTeam.name == name):
            raise Conflict(f"name: a team named {name} already exists", field="name")
        team = VolunteerTeam(community=community_id, name=name, kind=kind, partner=partner, note=(note or "").strip()[:2000],
                             created_at=mh.clock.now())
        await team.save()
        await audit(principal, "meihao.volunteer.team", "volunteer_team", team.id, community_id=community_id, detail={"kind": kind})
    return await get_team(principal, team.id)


async def list_teams(principal: Principal, community_id: int) -> list[dict[str, Any]]:
    """The community's teams, each with its number of members (everyone's)."""
    if not principal.reaches_community(community_id):
        raise NotFound(f"community {community_id} not found")
    teams = await VolunteerTeam.select().where(VolunteerTeam.community == community_id).order_by(VolunteerTeam.name)
    counts = {r["team"]: r["n"] for r in await VolunteerMember.select(VolunteerMember.team, Count(VolunteerMember.id).as_alias("n")).where(
        VolunteerMember.team.is_in([t["id"] for t in teams] or [0])).group_by(VolunteerMember.team)}
    return [{**t, "members": counts.get(t["id"], 0)} for t in teams]


async def get_team(principal: Principal, team_id: int) -> dict[str, Any]:
    """A team of a community the caller reaches, with its members in the caller's scope (by name)."""
    team = await VolunteerTeam.select().where(VolunteerTeam.id == team_id).first()
    if team is None:
        raise NotFound(f"volunteer team {team_id} not found")
    _community_reached(principal, team["community"], "volunteer team", team_id)
    members = await VolunteerMember.select(
        VolunteerMember.id, VolunteerMember.resident, VolunteerMember.resident.name.as_alias("name"), VolunteerMember.skills,
        VolunteerMember.availability, VolunteerMember.joined_on,
    ).where(VolunteerMember.team == team_id, VolunteerMember.resident.is_in(principal.resident_ids())).order_by(VolunteerMember.id)
    total = await VolunteerMember.count().where(VolunteerMember.team == team_id)
    return {**team, "member_list": members, "members": total}


async def add_member(mh: Meihao, principal: Principal, team_id: int, resident_id: int, *, skills: str = "",
                     availability: str = "") -> dict[str, Any]:
    """Put a resident of the team's community in the caller's scope into the team (once: 409 for a second time)."""
    principal.require(RECORD)
    team = await get_team(principal, team_id)
    skills = _text(skills, "skills", low=0, high=200)
    availability = _text(availability, "availability", low=0, high=200)
    async with transaction(mh, lock=("meihao.volunteer.team_member", team_id)):
        await ledger._resident_in_scope(principal, resident_id, team["community"], "resident_id")
        if await VolunteerMember.exists().where(VolunteerMember.team == team_id, VolunteerMember.resident == resident_id):
            raise Conflict(f"resident_id: resident {resident_id} is already in the team", field="resident_id")
        member = VolunteerMember(team=team_id, resident=resident_id, skills=skills, availability=availability,
                                 joined_on=await ledger._today(mh, team["community"]))
        await member.save()
        await audit(principal, "meihao.volunteer.member", "volunteer_team", team_id, community_id=team["community"],
                    detail={"resident": resident_id})
    return {"id": member.id, "team": team_id, "resident": resident_id, "skills": skills, "availability": availability}


async def remove_member(mh: Meihao, principal: Principal, team_id: int, member_id: int) -> None:
    """Take a member (in the caller's scope) out of the team; their service records stay."""
    principal.require(RECORD)
    team = await get_team(principal, team_id)
    if not any(m["id"] == member_id for m in team["member_list"]):
        raise NotFound(f"team member {member_id} not found")
    async with transaction(mh):
        await VolunteerMember.delete().where(VolunteerMember.id == member_id)
        await audit(principal, "meihao.volunteer.member_remove", "volunteer_team", team_id, community_id=team["community"],
                    detail={"member": member_id})


# -- shifts -----------------------------------------------------------------------------------


async def create_shift(mh: Meihao, principal: Principal, community: Any, *, title: str, starts_at: datetime, ends_at: datetime,
                       needed: int, place: str = "", team_id: int | None = None, scenario: str = "", subject_table: str = "",
                       subject_id: int | None = None) -> dict[str, Any]:
    """A shift of ``community`` needing ``needed`` volunteers (1 to ``volunteer_shift_max_needed``).

    It ends after it starts and lasts at most ``volunteer_max_hours_per_record`` hours; ``team_id``,
    when given, is a team of the same community.
    """
    principal.require(MANAGE)
    community_id = int(getattr(community, "id", community))
    _community_reached(principal, community_id, "community", community_id)
    title = _text(title, "title", low=1, high=200)
    place = _text(place, "place", low=0, high=200)
    limit = mh.settings.volunteer_shift_max_needed
    if not 1 <= needed <= limit:
        raise InvalidInput(f"needed: 1 to {limit} volunteers, got {needed}", field="needed")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("starts_at: a moment with its time zone", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidInput("ends_at: after the start", field="ends_at")
    hours = mh.settings.volunteer_max_hours_per_record
    if ends_at - starts_at > timedelta(hours=hours):
        raise InvalidInput(f"ends_at: a shift lasts at most {hours:g} hours", field="ends_at")
    if team_id is not None and not await VolunteerTeam.exists().where(VolunteerTeam.id == team_id, VolunteerTeam.community == community_id):
        raise InvalidInput(f"team_id: team {team_id} not found in this community", field="team_id")
    async with transaction(mh):
        shift = VolunteerShift(community=community_id, team=team_id, title=title, place=place, starts_at=starts_at.astimezone(UTC),
                               ends_at=ends_at.astimezone(UTC), needed=needed, scenario=scenario, subject_table=subject_table,
                               subject_id=subject_id, created_by=principal.staff_id, created_at=mh.clock.now())
        await shift.save()
        await audit(principal, "meihao.volunteer.shift", "volunteer_shift", shift.id, community_id=community_id,
                    detail={"needed": needed, "scenario": scenario})
    return await get_shift(principal, shift.id)


async def _taken(shift_ids: list[int]) -> dict[int, int]:
    rows = await VolunteerSignup.select(VolunteerSignup.shift, Count(VolunteerSignup.id).as_alias("n")).where(
        VolunteerSignup.shift.is_in(shift_ids or [0]), VolunteerSignup.state.is_in(list(TAKING))).group_by(VolunteerSignup.shift)
    return {r["shift"]: r["n"] for r in rows}


async def list_shifts(mh: Meihao, principal: Principal, community_id: int, *, past: bool = False, limit: int = 100) -> list[dict[str, Any]]:
    """The community's coming shifts (not yet ended; ``past``: those ended, latest first), each with its places taken."""
    if not principal.reaches_community(community_id):
        raise NotFound(f"community {community_id} not found")
    now = mh.clock.now()
    where = [VolunteerShift.community == community_id, VolunteerShift.ends_at <= now if past else VolunteerShift.ends_at > now]
    shifts = await VolunteerShift.select(*VolunteerShift.all_columns(), VolunteerShift.team.name.as_alias("team_name")).where(
        *where).order_by(VolunteerShift.starts_at, ascending=not past).limit(limit)
    taken = await _taken([s["id"] for s in shifts])
    return [{**s, "taken": taken.get(s["id"], 0)} for s in shifts]


async def get_shift(principal: Principal, shift_id: int) -> dict[str, Any]:
    """A shift of a community the caller reaches, its places taken (everyone's) and the sign-ups of residents in their scope."""
    shift = await VolunteerShift.select(*VolunteerShift.all_columns(), VolunteerShift.team.name.as_alias("team_name")).where(
        VolunteerShift.id == shift_id).first()
    if shift is None:
        raise NotFound(f"volunteer shift {shift_id} not found")
    _community_reached(principal, shift["community"], "volunteer shift", shift_id)
    signups = await VolunteerSignup.select(
        *VolunteerSignup.all_columns(), VolunteerSignup.resident.name.as_alias("name"),
        VolunteerSignup.service.state.as_alias("service_state"),
    ).where(VolunteerSignup.shift == shift_id, VolunteerSignup.resident.is_in(principal.resident_ids())).order_by(VolunteerSignup.id)
    return {**shift, "taken": (await _taken([shift_id])).get(shift_id, 0), "signups": signups}


async def sign_up(mh: Meihao, principal: Principal, shift_id: int, resident_id: int) -> dict[str, Any]:
    """Sign a resident up for a shift of her community, before it starts: staff (``meihao.volunteer.record``, the resident
    in scope) or the resident herself through her link (a principal holding :data:`SELF`).

    409 when the shift is full (``needed`` places taken) or she is already signed up; 400 once it has started.
    """
    if not (principal.can(RECORD) or principal.can(SELF)):
        principal.require(RECORD)
    async with transaction(mh, lock=("meihao.volunteer.shift", shift_id)):
        shift = await VolunteerShift.select().where(VolunteerShift.id == shift_id).first()
        if shift is None or (principal.staff_id is not None and not principal.reaches_community(shift["community"])):
            raise NotFound(f"volunteer shift {shift_id} not found")
        await ledger._resident_in_scope(principal, resident_id, shift["community"], "resident_id")
        if mh.clock.now() >= shift["starts_at"]:
            raise InvalidInput(f"shift_id: shift {shift_id} has started, sign-ups are closed", field="shift_id")
        mine = await VolunteerSignup.select(VolunteerSignup.id, VolunteerSignup.state).where(
            VolunteerSignup.shift == shift_id, VolunteerSignup.resident == resident_id).first()
        if mine is not None and mine["state"] != "cancelled":
            raise Conflict(f"resident_id: resident {resident_id} is already signed up", field="resident_id")
        taken = (await _taken([shift_id])).get(shift_id, 0)
        if taken >= shift["needed"]:
            raise Conflict(f"shift_id: the shift is full ({taken} of {shift['needed']} places taken)", field="shift_id")
        now = mh.clock.now()
        if mine is not None:
            await VolunteerSignup.update({VolunteerSignup.state: "signed_up", VolunteerSignup.signed_up_by: principal.staff_id,
                                          VolunteerSignup.signed_up_at: now}).where(VolunteerSignup.id == mine["id"])
            signup_id = mine["id"]
        else:
            row = VolunteerSignup(shift=shift_id, resident=resident_id, signed_up_by=principal.staff_id, signed_up_at=now)
            await row.save()
            signup_id = row.id
        await audit(principal, "meihao.volunteer.sign_up", "volunteer_signup", signup_id, community_id=shift["community"],
                    detail={"shift": shift_id, "resident": resident_id})
    return {"id": signup_id, "shift": shift_id, "resident": resident_id, "state": "signed_up", "taken": taken + 1}


async def cancel_signup(mh: Meihao, principal: Principal, signup_id: int) -> None:
    """Cancel a sign-up (of a resident in scope, or one's own through the link) before the shift starts; the place frees."""
    if not (principal.can(RECORD) or principal.can(SELF)):
        principal.require(RECORD)
    row = await _signup_in_scope(principal, signup_id)
    async with transaction(mh, lock=("meihao.volunteer.shift", row["shift"])):
        if row["state"] != "signed_up":
            raise Conflict(f"sign-up {signup_id} is {row['state']}, not cancellable")
        if mh.clock.now() >= row["starts_at"]:
            raise InvalidInput(f"signup_id: the shift has started, sign-up {signup_id} cannot be cancelled", field="signup_id")
        await VolunteerSignup.update({VolunteerSignup.state: "cancelled"}).where(VolunteerSignup.id == signup_id)
        await audit(principal, "meihao.volunteer.cancel", "volunteer_signup", signup_id, community_id=row["community"],
                    detail={"shift": row["shift"], "resident": row["resident"]})


async def _signup_in_scope(principal: Principal, signup_id: int) -> dict[str, Any]:
    row = await VolunteerSignup.select(
        *VolunteerSignup.all_columns(), VolunteerSignup.shift.community.as_alias("community"), VolunteerSignup.shift.starts_at.as_alias("starts_at"),
        VolunteerSignup.shift.ends_at.as_alias("ends_at"), VolunteerSignup.shift.title.as_alias("title"),
        VolunteerSignup.shift.scenario.as_alias("scenario"), VolunteerSignup.shift.subject_table.as_alias("subject_table"),
        VolunteerSignup.shift.subject_id.as_alias("subject_id"), VolunteerSignup.resident.name.as_alias("name"),
    ).where(VolunteerSignup.id == signup_id, VolunteerSignup.resident.is_in(principal.resident_ids())).first()
    if row is None or (principal.staff_id is not None and not principal.reaches_community(row["community"])):
        raise NotFound(f"sign-up {signup_id} not found")
    return row


# -- the QR code: a signed, expiring token ----------------------------------------------------------


def _key(mh: Meihao) -> bytes:
    secret = mh.settings.data_key.encode() if mh.settings.data_key else _fallback_key
    return hashlib.sha256(b"meihao volunteer check-in\0" + secret).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def checkin_code(mh: Meihao, signup_id: int) -> str:
    """The token of a sign-up's QR code: ``<sign-up>.<expiry, unix seconds>.<HMAC>``, valid until the shift's end plus
    ``volunteer_checkin_minutes``. It names the sign-up, never the resident."""
    row = await VolunteerSignup.select(VolunteerSignup.shift.ends_at.as_alias("ends_at")).where(VolunteerSignup.id == signup_id).first()
    if row is None:
        raise NotFound(f"sign-up {signup_id} not found")
    return make_code(mh, signup_id, row["ends_at"])


def make_code(mh: Meihao, signup_id: int, ends_at: datetime) -> str:
    """The code of sign-up ``signup_id`` of a shift ending at ``ends_at`` (see :func:`checkin_code`)."""
    expires = int((ends_at + timedelta(minutes=mh.settings.volunteer_checkin_minutes)).timestamp())
    body = f"{signup_id}.{expires}"
    return f"{body}.{_b64(hmac.new(_key(mh), body.encode(), hashlib.sha256).digest()[:16])}"


def read_code(mh: Meihao, token: str) -> int:
    """The sign-up a code names; an InvalidInput ``code: …`` for a forged, damaged or expired code."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise InvalidInput("code: not a volunteer check-in code", field="code")
    expected = _b64(hmac.new(_key(mh), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()[:16])
    if not hmac.compare_digest(expected, parts[2]):
        raise InvalidInput("code: not a volunteer check-in code", field="code")
    if mh.clock.now().timestamp() >= int(parts[1]):
        raise InvalidInput("code: the code has expired (the shift is over)", field="code")
    return int(parts[0])


def qr_svg(data: str, *, scale: int = 6) -> str:
    """``data`` as an inline SVG QR code (segno), for a page."""
    import segno

    return segno.make_qr(data, error="m").svg_inline(scale=scale, dark="#000", light="#fff")


async def scan(mh: Meihao, principal: Principal, token: str) -> dict[str, Any]:
    """What a code names, for staff in scope (``meihao.volunteer.record``): the sign-up, its shift and the next step."""
    principal.require(RECORD)
    row = await _signup_in_scope(principal, read_code(mh, token))
    row["next"] = {"signed_up": "check_in", "checked_in": "check_out"}.get(row["state"], "")
    row["opens_at"] = row["starts_at"] - timedelta(minutes=mh.settings.volunteer_checkin_minutes)
    row["too_early"] = mh.clock.now() < row["opens_at"]
    return row


async def check_in_out(mh: Meihao, principal: Principal, token: str) -> dict[str, Any]:
    """Staff at the venue scanned a code: check the volunteer in (from ``volunteer_checkin_minutes`` before the start), or,
    checked in, out. Checking out records the service (state ``recorded``) of the minutes counted within the shift."""
    principal.require(RECORD)
    signup_id = read_code(mh, token)
    row = await _signup_in_scope(principal, signup_id)
    now = mh.clock.now()
    async with transaction(mh, lock=("meihao.volunteer.signup", signup_id)):
        state = (await VolunteerSignup.select(VolunteerSignup.state).where(VolunteerSignup.id == signup_id).first())["state"]
        if state == "signed_up":
            opens = row["starts_at"] - timedelta(minutes=mh.settings.volunteer_checkin_minutes)
            if now < opens:
                raise InvalidInput(f"code: check-in opens {mh.settings.volunteer_checkin_minutes} minutes before the shift", field="code")
            await VolunteerSignup.update({VolunteerSignup.state: "checked_in", VolunteerSignup.checked_in_at: now}).where(
                VolunteerSignup.id == signup_id)
            await audit(principal, "meihao.volunteer.check_in", "volunteer_signup", signup_id, community_id=row["community"],
                        detail={"shift": row["shift"]})
            return {**row, "state": "checked_in", "checked_in_at": now}
        if state != "checked_in":
            raise Conflict(f"sign-up {signup_id} is {state}: nothing to check")
        start = max(row["checked_in_at"], row["starts_at"])
        end = min(now, row["ends_at"])
        if end <= start:
            raise InvalidInput("code: check-out before the shift begins counts nothing", field="code")
        minutes = max(1, round((end - start).total_seconds() / 60))
        zone = ZoneInfo((await Community.select(Community.timezone).where(Community.id == row["community"]).first())["timezone"])
        service = await ledger.record_service(
            mh, principal, row["community"], row["resident"], hours=minutes / 60, activity=row["title"][:200],
            served_on=start.astimezone(zone).date(), scenario=row["scenario"] or "volunteering",
            subject_table=row["subject_table"] or "meihao_volunteer_shift", subject_id=row["subject_id"] or row["shift"])
        await VolunteerSignup.update({VolunteerSignup.state: "served", VolunteerSignup.checked_out_at: now,
                                      VolunteerSignup.service: service["id"]}).where(VolunteerSignup.id == signup_id)
        await audit(principal, "meihao.volunteer.check_out", "volunteer_signup", signup_id, community_id=row["community"],
                    detail={"shift": row["shift"], "minutes": minutes})
    return {**row, "state": "served", "checked_out_at": now, "service": service["id"], "minutes": minutes}


async def record_no_shows(mh: Meihao, principal: Principal, shift_id: int) -> dict[str, Any]:
    """After the shift (its codes expired), mark every sign-up never checked in a no-show, once per shift (409 after that).

    Each loses ``volunteer_no_show_penalty_points`` points, at most her balance (it never goes below zero).
    Needs ``meihao.volunteer.verify``; the whole shift's sign-ups count, as the places did.
    """
    principal.require(ledger._VERIFIERS)
    shift = await get_shift(principal, shift_id)
    after = shift["ends_at"] + timedelta(minutes=mh.settings.volunteer_checkin_minutes)
    if mh.clock.now() < after:
        raise InvalidInput(f"shift_id: no-shows are recorded once the check-in codes expire ({mh.settings.volunteer_checkin_minutes} "
                           "minutes after the end)", field="shift_id")
    penalty = mh.settings.volunteer_no_show_penalty_points
    taken_points = 0
    async with transaction(mh, lock=("meihao.volunteer.shift", shift_id)):
        if (await VolunteerShift.select(VolunteerShift.closed_at).where(VolunteerShift.id == shift_id).first())["closed_at"] is not None:
            raise Conflict(f"volunteer shift {shift_id}: no-shows already recorded")
        absent = await VolunteerSignup.select(VolunteerSignup.id, VolunteerSignup.resident).where(
            VolunteerSignup.shift == shift_id, VolunteerSignup.state == "signed_up")
        await VolunteerShift.update({VolunteerShift.closed_at: mh.clock.now()}).where(VolunteerShift.id == shift_id)
        for row in absent:
            await VolunteerSignup.update({VolunteerSignup.state: "no_show"}).where(VolunteerSignup.id == row["id"])
            await audit(principal, "meihao.volunteer.no_show", "volunteer_signup", row["id"], community_id=shift["community"],
                        detail={"shift": shift_id, "resident": row["resident"]})
            if penalty:
                async with transaction(mh, lock=("meihao.points", row["resident"])):
                    take = min(penalty, await ledger._balance(row["resident"]))
                    if take > 0:
                        await ledger._transfer(principal, shift["community"], row["resident"], "penalty", take, scenario="volunteering",
                                               reason=f"未到岗：{shift['title']}"[:200], signed=-take, other="issued")
                        taken_points += take
    return {"shift": shift_id, "no_shows": len(absent), "points_taken": taken_points}


# -- the resident's own page -------------------------------------------------------------------


async def shifts_for_resident(mh: Meihao, resident_id: int) -> dict[str, Any]:
    """For her link page: her community's coming shifts (places taken, her own sign-up) and her sign-ups still to serve, with codes."""
    resident = await Resident.select(Resident.community).where(Resident.id == resident_id).first()
    if resident is None:
        raise NotFound("link not found")
    now = mh.clock.now()
    shifts = await VolunteerShift.select(*VolunteerShift.all_columns(), VolunteerShift.team.name.as_alias("team_name")).where(
        VolunteerShift.community == resident["community"], VolunteerShift.ends_at > now).order_by(VolunteerShift.starts_at).limit(50)
    taken = await _taken([s["id"] for s in shifts])
    mine = {r["shift"]: r for r in await VolunteerSignup.select().where(
        VolunteerSignup.resident == resident_id, VolunteerSignup.shift.is_in([s["id"] for s in shifts] or [0]))}
    out = []
    for s in shifts:
        signup = mine.get(s["id"])
        if signup is not None and signup["state"] == "cancelled":
            signup = None
        code = await checkin_code(mh, signup["id"]) if signup and signup["state"] in ("signed_up", "checked_in") else ""
        out.append({**s, "taken": taken.get(s["id"], 0), "signup": signup, "code": code, "started": now >= s["starts_at"]})
    return {"shifts": out}
