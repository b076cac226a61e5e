"""The chronic-disease register (慢病管理): patients, their follow-ups and the decisions; every read audited.

Health data is sensitive personal information (PIPL art. 28). A patient's condition, readings, symptoms and
the visits' decisions are read by the patient's doctor team and holders of ``health.reading.read``; the rest of
the team in scope (grid staff) see whether a follow-up is due, overdue or referred, and nothing of why.
Every read of a patient record writes one audit row (``health.patient.read``, with ``readings`` true when
health data was shown).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    Forbidden,
    InvalidInput,
    NoticeIn,
    Page,
    Principal,
    audit,
    community_today,
    notify,
    paginate,
    scope_where,
    scoped_resident,
    scoped_row,
    transaction,
    working_calendar,
    zh_date,
)

from ..schemas import CONDITIONS, DECISIONS, STATUS_ZH, FollowUpIn, FollowUpOut, PatientIn, PatientOut
from ..tables import FollowUp, Patient, TeamMember
from . import rules, tracing
from .common import age_on, my_teams, reads_health, settings_of, team_in

COLUMNS = (
    Patient.id, Patient.resident, Patient.resident.name.as_alias("name"), Patient.resident.grid.as_alias("grid_id"),
    Patient.condition, Patient.team, Patient.next_due, Patient.status, Patient.uncontrolled, Patient.tracing_item,
)
#: A patient's status as a decision left it.
STATUS_OF = {"controlled": "routine", "recheck": "recheck", "referral": "referred", "emergency": "emergency"}


def grid_status(row: dict[str, Any], today: date) -> str:
    """What grid staff see: referred (a referral or an emergency referral stands), overdue (the due date passed), or due."""
    if row["status"] in ("referred", "emergency"):
        return "referred"
    return "overdue" if row["next_due"] < today else "due"


def present(row: dict[str, Any], today: date, health: bool) -> PatientOut:
    status = grid_status(row, today)
    out = PatientOut(id=row["id"], resident_id=row["resident"], name=row["name"], grid_id=row["grid_id"], status=status,
                     status_zh=STATUS_ZH[status], next_due=row["next_due"], tracing_item=row["tracing_item"])
    if health:
        out.condition, out.condition_zh, out.team_id = row["condition"], CONDITIONS[row["condition"]], row["team"]
        out.decision = {"routine": "controlled", "recheck": "recheck", "referred": "referral", "emergency": "emergency"}[row["status"]]
        out.uncontrolled = row["uncontrolled"]
    return out


async def _read(principal: Principal, community: CommunityInfo, rows: list[dict[str, Any]], teams: set[int], *, listing: bool) -> None:
    """One audit row per read: whose records, and whether health data was shown."""
    if not rows:
        return
    ids = [r["id"] for r in rows]
    shown = [r["id"] for r in rows if reads_health(principal, teams, r["team"])]
    await audit(principal, "health.patient.read", "health_patient", "" if listing else ids[0], community_id=community.id,
                detail={"patient_ids": ids, "readings": shown})


async def scoped_patient(principal: Principal, community: CommunityInfo, patient_id: int) -> dict[str, Any]:
    return await scoped_row(Patient, patient_id, principal, community, via=Patient.resident, columns=COLUMNS, noun="patient")


async def register(mh: Any, principal: Principal, community: CommunityInfo, data: PatientIn) -> PatientOut:
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    resident = await scoped_resident(principal, community, data.resident_id, "resident_id")
    age = age_on(resident["birth_date"], today)
    if age < settings.min_age:
        raise InvalidInput(f"resident_id: {resident['name']} is {age}; the register is for residents of {settings.min_age} "
                           "or older (setting min_age)", field="resident_id")
    await team_in(community, data.team_id)
    calendar = await working_calendar(mh, community)
    first = rules.on_or_after(data.first_due or today, calendar)
    if first < today:
        raise InvalidInput("first_due: not before today", field="first_due")
    async with transaction(mh, lock=("health.patient", f"{data.resident_id}:{data.condition}")):
        known = await Patient.select(Patient.id).where(
            Patient.resident == data.resident_id, Patient.condition == data.condition, Patient.active.eq(True)).first()
        if known is not None:
            raise Conflict(f"resident_id: already on the register for {CONDITIONS[data.condition]} as patient {known['id']}",
                           field="resident_id")
        row = Patient(community=community.id, resident=data.resident_id, condition=data.condition, team=data.team_id,
                      registered_on=today, next_due=first, status="routine")
        await row.save()
        await audit(principal, "health.patient.register", "health_patient", row.id, community_id=community.id,
                    detail={"resident_id": data.resident_id, "team_id": data.team_id})
        found = await Patient.select(*COLUMNS).where(Patient.id == row.id).first()
        teams = await my_teams(principal, community)
        await _read(principal, community, [found], teams, listing=False)
    return present(found, today, reads_health(principal, teams, data.team_id))


async def get_patient(mh: Any, principal: Principal, community: CommunityInfo, patient_id: int) -> PatientOut:
    row = await scoped_patient(principal, community, patient_id)
    teams = await my_teams(principal, community)
    async with transaction(mh):
        await _read(principal, community, [row], teams, listing=False)
    return present(row, community_today(mh, community), reads_health(principal, teams, row["team"]))


async def list_patients(
    mh: Any, principal: Principal, community: CommunityInfo, *, status: str | None = None, page: int = 1, page_size: int | None = None,
) -> Page[PatientOut]:
    """The patients in the caller's scope, soonest due first; ``status`` ``due``, ``overdue`` or ``referred``."""
    if status is not None and status not in STATUS_ZH:
        raise InvalidInput(f"status: choose due, overdue or referred, not {status!r}", field="status")
    today = community_today(mh, community)
    query = Patient.select(*COLUMNS).where(Patient.active.eq(True), *scope_where(principal, community, Patient.resident))
    if status == "referred":
        query = query.where(Patient.status.is_in(["referred", "emergency"]))
    elif status is not None:
        query = query.where(Patient.status.not_in(["referred", "emergency"]))
        query = query.where(Patient.next_due < today) if status == "overdue" else query.where(Patient.next_due >= today)
    result = await paginate(mh, query.order_by(Patient.next_due).order_by(Patient.id), page=page, page_size=page_size)
    teams = await my_teams(principal, community)
    async with transaction(mh):
        await _read(principal, community, result.rows, teams, listing=True)
    return result.page_of([present(r, today, reads_health(principal, teams, r["team"])) for r in result.rows])


def _follow_up_out(row: dict[str, Any]) -> FollowUpOut:
    return FollowUpOut(
        id=row["id"], patient_id=row["patient"], visited_on=row["visited_on"], systolic=row["systolic"], diastolic=row["diastolic"],
        glucose=None if row["glucose_tenths"] is None else row["glucose_tenths"] / 10, symptoms=row["symptoms"],
        side_effects=row["side_effects"], new_complication=row["new_complication"], medication_change=row["medication_change"],
        decision=row["decision"], decision_zh=DECISIONS[row["decision"]], next_due=row["next_due"])


async def _health_reader(principal: Principal, community: CommunityInfo, patient_id: int) -> tuple[dict[str, Any], set[int]]:
    row = await scoped_patient(principal, community, patient_id)
    teams = await my_teams(principal, community)
    if not reads_health(principal, teams, row["team"]):
        raise Forbidden("health data: only the patient's doctor team and holders of health.reading.read read or record follow-ups")
    return row, teams


async def follow_ups(mh: Any, principal: Principal, community: CommunityInfo, patient_id: int) -> list[FollowUpOut]:
    """The patient's follow-ups, newest first (the doctor team and health.reading.read only; audited)."""
    row, teams = await _health_reader(principal, community, patient_id)
    visits = await FollowUp.select().where(FollowUp.patient == patient_id).order_by(FollowUp.visited_on, ascending=False).order_by(
        FollowUp.id, ascending=False)
    async with transaction(mh):
        await _read(principal, community, [row], teams, listing=False)
    return [_follow_up_out(v) for v in visits]


async def record_follow_up(mh: Any, principal: Principal, community: CommunityInfo, patient_id: int, data: FollowUpIn) -> FollowUpOut:
    """随访: record the readings; the rules decide the next step and the next due date (a working day); a tracing
    task still open is closed (the patient came); an emergency or a referral tells the doctor team at once."""
    row, _ = await _health_reader(principal, community, patient_id)
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    visited_on = data.visited_on or today
    if visited_on > today:
        raise InvalidInput("visited_on: not after today", field="visited_on")
    calendar = await working_calendar(mh, community)
    async with transaction(mh, lock=("health.patient", str(patient_id))):
        current = await Patient.select(Patient.uncontrolled, Patient.tracing_item).where(Patient.id == patient_id).first()
        decision, in_a_row = rules.decide(row["condition"], data, current["uncontrolled"], settings)
        due = rules.next_due(decision, visited_on, settings, calendar)
        visit = FollowUp(
            patient=patient_id, visited_on=visited_on, systolic=data.systolic, diastolic=data.diastolic,
            glucose_tenths=None if data.glucose is None else rules.tenths(data.glucose), symptoms=data.symptoms.strip(),
            side_effects=data.side_effects, new_complication=data.new_complication, medication_change=data.medication_change.strip(),
            decision=decision, next_due=due, staff=principal.staff_id, recorded_at=mh.clock.now())
        await visit.save()
        await Patient.update({Patient.next_due: due, Patient.status: STATUS_OF[decision], Patient.uncontrolled: in_a_row,
                              Patient.tracing_item: None}).where(Patient.id == patient_id)
        if current["tracing_item"] is not None:
            await tracing.close_visited(mh, community, current["tracing_item"])
        # no readings in the audit detail: the log is read more widely than the record
        await audit(principal, "health.follow_up.record", "health_patient", patient_id, community_id=community.id,
                    detail={"follow_up_id": visit.id, "decision": decision, "next_due": due.isoformat()})
        if decision in ("referral", "emergency"):
            await _tell_team(mh, community, row, decision, visit.id, due, settings.channels)
    saved = await FollowUp.select().where(FollowUp.id == visit.id).first()
    return _follow_up_out(saved)


async def _tell_team(mh: Any, community: CommunityInfo, row: dict[str, Any], decision: str, visit_id: int, due: date,
                     channels: list[str]) -> None:
    """The doctor team learns of a referral at once (the flag; no readings in the notice)."""
    members = [r["staff"] for r in await TeamMember.select(TeamMember.staff).where(TeamMember.team == row["team"])]
    if not members:
        return
    word = "紧急转诊" if decision == "emergency" else "转诊"
    await notify(mh, community.slug, NoticeIn(
        key=f"health.referral:{visit_id}", title=f"{word}提醒",
        body=f"慢病管理对象（档案 {row['id']}）随访结果为{word}，请及时办理转诊，并于{zh_date(due)}前随访。",
        staff=members, channels=list(channels)), scenario="health")
