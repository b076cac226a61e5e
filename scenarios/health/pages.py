"""health's console pages (``meihao_console_pages``): follow-ups due, a patient and the follow-up form, family-doctor
contracts (sign, renew, end), referrals (from follow-ups and handed over by other scenes).

Every page reads and writes through the same services as the API, with the same permissions: a grid worker sees their
grids' patients by status and due date only (never a reading, a condition, a package or a referral's concern), the
doctor team and holders of ``health.reading.read`` the health data; another grid's record is the 404 page, as a
missing one. Every read is audited by the services.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from meihao import (
    Caller,
    CommunityInfo,
    Conflict,
    ConsolePages,
    CurrentCommunity,
    InvalidInput,
    NavLink,
    NotFound,
    PathId,
    Principal,
    Runtime,
    community_today,
    page_requires,
    render_page,
)
from meihao.tables import Resident

from .schemas import (
    DECISIONS,
    DIASTOLIC_RANGE,
    GLUCOSE_RANGE,
    PACKAGES,
    PRIORITY_GROUPS,
    SYSTOLIC_RANGE,
    ContractEnd,
    ContractIn,
    FollowUpIn,
    ReferralClose,
)
from .services import contracts, patients, referrals, teams, tracing
from .services.common import CONTRACT_MANAGE, FOLLOW_UP_RECORD, PATIENT_READ, settings_of

HERE = Path(__file__).parent


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it when shown."""
    return message


STATUS_LABELS = {"due": N_("Follow-up due"), "overdue": N_("Follow-up overdue"), "referred": N_("Referred")}
CONDITION_LABELS = {"hypertension": N_("Hypertension"), "diabetes": N_("Type-2 diabetes")}
TRACING_LABELS = {"open": N_("To remind"), "reminded": N_("Reminded"), "visited": N_("Visited"), "cancelled": N_("Tracing cancelled")}
DECISION_LABELS = {"controlled": N_("Controlled"), "recheck": N_("Recheck within two weeks"), "referral": N_("Referral"),
                   "emergency": N_("Emergency referral")}
#: What each decision asks of the doctor team next, shown with the outcome.
DECISION_NEXT = {"controlled": N_("Next routine follow-up on %(day)s."), "recheck": N_("Recheck by %(day)s."),
                 "referral": N_("Refer the patient, and follow up by %(day)s."),
                 "emergency": N_("Refer the patient at once; the doctor team is told. Follow up by %(day)s.")}
PACKAGE_LABELS = {"basic": N_("Basic package"), "chronic": N_("Chronic-disease package"), "elderly": N_("Elderly package"),
                  "rehab": N_("Rehabilitation package"), "home": N_("Home-visit package")}
GROUP_LABELS = {"elderly": N_("Elderly"), "maternal": N_("Pregnant and new mothers"), "child": N_("Children"), "disabled": N_("People with disabilities"),
                "hypertension": N_("Hypertension patients"), "diabetes": N_("Diabetes patients"), "tuberculosis": N_("Tuberculosis patients"),
                "mental": N_("Severe mental disorders")}
CONTRACT_STATES = {"running": N_("Signed"), "renewal_due": N_("Renewal due"), "renewed": N_("Renewed"), "future": N_("Starts later"),
                   "ended": N_("Ended")}
REFERRAL_STATES = {"open": N_("Open"), "closed": N_("Handled")}
SOURCE_LABELS = {"elder_care": N_("Elder visit"), "service": N_("Service desk"), "governance": N_("Grid governance")}
SOURCE_OTHER = N_("Other work")
assert set(DECISION_LABELS) == set(DECISIONS) and set(PACKAGE_LABELS) == set(PACKAGES) and set(GROUP_LABELS) == set(PRIORITY_GROUPS)


def _base(community: CommunityInfo) -> str:
    return f"/c/{community.slug}/health"


def _labels() -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "condition_labels": CONDITION_LABELS, "tracing_labels": TRACING_LABELS,
            "decision_labels": DECISION_LABELS, "decision_next": DECISION_NEXT, "package_labels": PACKAGE_LABELS,
            "group_labels": GROUP_LABELS, "contract_states": CONTRACT_STATES, "referral_states": REFERRAL_STATES,
            "source_labels": SOURCE_LABELS, "source_other": SOURCE_OTHER}


async def _form(request: Request[Any, Any, Any]) -> Any:
    return await request.form()


# -- follow-ups due -------------------------------------------------------------------------------------------


@get(["/", "/follow-ups"], guards=[page_requires(PATIENT_READ)])
async def follow_ups_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
) -> Response[str]:
    """The patients the viewer reaches, soonest due first, filtered by status; the open tracing tasks."""
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUS_LABELS:
        raise InvalidInput(f"status: choose due, overdue or referred, not {status!r}", field="status")
    page = await patients.list_patients(meihao, principal, community, status=status, page_size=200)
    tasks = await tracing.list_tracing(meihao, principal, community)
    return render_page(request, "health/follow_ups.html", community=community, base=_base(community), here_page="follow-ups",
                       patients=page.items, total=page.total, status=status, tasks=tasks,
                       list_path=f"{_base(community)}/follow-ups", **_labels())


# -- a patient and the follow-up form -------------------------------------------------------------------------

#: The form's fields as typed (strings) and its check boxes.
FOLLOW_UP_FIELDS = ("visited_on", "systolic", "diastolic", "glucose", "symptoms", "medication_change")
FOLLOW_UP_CHECKS = ("side_effects", "new_complication", "emergency_signs")
Problem = tuple[str, dict[str, Any]]


def _empty_follow_up() -> dict[str, Any]:
    return {**{f: "" for f in FOLLOW_UP_FIELDS}, **{c: False for c in FOLLOW_UP_CHECKS}}


def _whole(form: dict[str, Any], errors: dict[str, Problem], name: str, bounds: tuple[int, int]) -> int | None:
    text = form[name]
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        errors[name] = (N_("Enter a whole number of mmHg."), {})
        return None
    value = int(text)
    if not bounds[0] <= value <= bounds[1]:
        errors[name] = (N_("Enter a value from %(low)s to %(high)s mmHg."), {"low": bounds[0], "high": bounds[1]})
        return None
    return value


def _read_follow_up(raw: Any) -> tuple[dict[str, Any], dict[str, Problem], FollowUpIn | None]:
    """The form as typed (to show again), the problems the page finds itself, and the body for the service."""
    form = _empty_follow_up()
    for name in FOLLOW_UP_FIELDS:
        form[name] = str(raw.get(name, "")).strip()
    for name in FOLLOW_UP_CHECKS:
        form[name] = raw.get(name, "") == "yes"
    errors: dict[str, Problem] = {}
    visited_on = None
    if form["visited_on"]:
        try:
            visited_on = date.fromisoformat(form["visited_on"])
        except ValueError:
            errors["visited_on"] = (N_("Enter a date such as 2026-03-10."), {})
    systolic = _whole(form, errors, "systolic", SYSTOLIC_RANGE)
    diastolic = _whole(form, errors, "diastolic", DIASTOLIC_RANGE)
    if bool(form["systolic"]) != bool(form["diastolic"]):
        missing = "diastolic" if form["systolic"] else "systolic"
        errors.setdefault(missing, (N_("Enter both the systolic and the diastolic pressure."), {}))
    glucose = None
    if form["glucose"]:
        try:
            glucose = float(form["glucose"].replace("，", ".").replace(",", "."))
        except ValueError:
            errors["glucose"] = (N_("Enter the fasting glucose in mmol/L, such as 6.8."), {})
        else:
            if not GLUCOSE_RANGE[0] <= glucose <= GLUCOSE_RANGE[1]:
                errors["glucose"] = (N_("Enter a value from %(low)s to %(high)s mmol/L."), {"low": GLUCOSE_RANGE[0], "high": GLUCOSE_RANGE[1]})
    for name in ("symptoms", "medication_change"):
        if len(form[name]) > 2000:
            errors[name] = (N_("At most 2000 characters."), {})
    if errors:
        return form, errors, None
    return form, errors, FollowUpIn(visited_on=visited_on, systolic=systolic, diastolic=diastolic, glucose=glucose,
                                    symptoms=form["symptoms"], medication_change=form["medication_change"],
                                    **{c: form[c] for c in FOLLOW_UP_CHECKS})


#: The services' problems (they speak to API callers, in English) as the form's messages, by the words they contain.
FOLLOW_UP_PROBLEMS = (
    ("is not below the systolic", "diastolic", N_("The diastolic pressure must be below the systolic.")),
    ("together", "diastolic", N_("Enter both the systolic and the diastolic pressure.")),
    ("records the blood pressure", "systolic", N_("A hypertension follow-up records the blood pressure.")),
    ("records the fasting glucose", "glucose", N_("A diabetes follow-up records the fasting glucose.")),
    ("not after today", "visited_on", N_("The day of the visit must not be after today.")),
)


def _service_problem(err: InvalidInput, problems: tuple[tuple[str, str, str], ...]) -> tuple[str, Problem]:
    for words, field, message in problems:
        if words in err.message:
            return field, (message, {})
    return err.field or "form", (err.message, {})


async def _patient_view(
    request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, patient_id: int, *,
    form: dict[str, Any], errors: dict[str, Problem], recorded: int | None = None, status_code: int = 200,
) -> Response[str]:
    patient = await patients.get_patient(meihao, principal, community, patient_id)  # 404 out of scope; audited
    health = patient.condition is not None  # the doctor team and health.reading.read only
    visits = await patients.follow_ups(meihao, principal, community, patient_id) if health else []
    outcome = next((v for v in visits if v.id == recorded), None) if recorded is not None else None
    return render_page(
        request, "health/patient.html", status_code=status_code, community=community, base=_base(community), here_page="follow-ups",
        patient=patient, visits=visits, outcome=outcome, can_record=health and principal.can(FOLLOW_UP_RECORD), form=form,
        errors=defaultdict(lambda: None, errors), today=community_today(meihao, community), **_labels())


@get("/patients/{patient_id:int}", guards=[page_requires(PATIENT_READ)])
async def patient_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, patient_id: PathId,
    recorded: FromQuery[int | None] = None,
) -> Response[str]:
    """A patient: status and due date for everyone in scope; condition, the follow-ups and their readings, and the form to
    record one, for the doctor team. ``recorded`` names the follow-up just saved (its outcome and the next date shown)."""
    return await _patient_view(request, meihao, principal, community, patient_id, form=_empty_follow_up(), errors={},
                               recorded=recorded if recorded is not None and 0 < recorded < 2**63 else None)


@post("/patients/{patient_id:int}/follow-ups", guards=[page_requires(FOLLOW_UP_RECORD)])
async def record_follow_up(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, patient_id: PathId,
) -> Response[Any]:
    """Record a follow-up through the API's service (the doctor team's; 403 for anyone else in scope, 404 outside it);
    problems are shown at their fields (400, nothing saved), success shows the decision and the next due date."""
    form, errors, body = _read_follow_up(await _form(request))
    if body is not None:
        try:
            visit = await patients.record_follow_up(meihao, principal, community, patient_id, body)
        except InvalidInput as err:
            field, problem = _service_problem(err, FOLLOW_UP_PROBLEMS)
            errors[field] = problem
        else:
            return Redirect(f"{_base(community)}/patients/{patient_id}?recorded={visit.id}", status_code=303)
    return await _patient_view(request, meihao, principal, community, patient_id, form=form, errors=errors, status_code=400)


# -- family-doctor contracts ----------------------------------------------------------------------------------

CONTRACT_VIEWS = {"active": N_("Running and coming"), "all": N_("All")}


def _year_from(day: date) -> date:
    """The last day of a year's contract starting on ``day`` (29 February: to 28 February next year)."""
    try:
        following = day.replace(year=day.year + 1)
    except ValueError:
        following = day.replace(year=day.year + 1, month=3, day=1)
    return following - timedelta(days=1)


def _contract_state(row: Any, rows: list[Any], today: date, reminder_days: int) -> str:
    if row.status != "active" or row.ends_on < today:
        return "ended"
    if row.starts_on > today:
        return "future"
    if any(o.resident_id == row.resident_id and o.id != row.id and o.status == "active" and o.starts_on > row.ends_on for o in rows):
        return "renewed"
    return "renewal_due" if today >= row.ends_on - timedelta(days=reminder_days) else "running"


async def find_resident(principal: Principal, community: CommunityInfo, text: str) -> int:
    """A resident of the viewer's area by their number or their exact registered name."""
    if text.isascii() and text.isdigit():
        return int(text)
    if not text:
        raise InvalidInput(N_("Enter the resident's name as registered, or their number."), field="resident")
    rows = await Resident.select(Resident.id).where(Resident.name == text, Resident.community == community.id,
                                                    *principal.residents_where()).limit(2)
    if not rows:
        raise InvalidInput(N_("Nobody in your area has this name or number."), field="resident")
    if len(rows) > 1:
        raise InvalidInput(N_("Several residents in your area have this name: enter the number instead."), field="resident")
    return int(rows[0]["id"])


def _contract_form(today: date, team_ids: list[int]) -> dict[str, Any]:
    return {"resident": "", "team_id": str(team_ids[0]) if team_ids else "", "starts_on": today.isoformat(),
            "ends_on": _year_from(today).isoformat(), "packages": ["basic"], "priority_groups": []}


async def _contracts_view(
    request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, *, show: str = "active",
    form: dict[str, Any] | None = None, errors: dict[str, Problem] | None = None, end_errors: dict[int, dict[str, Problem]] | None = None,
    end_forms: dict[int, dict[str, str]] | None = None, renew: int | None = None, done: tuple[str, int] | None = None,
    status_code: int = 200,
) -> Response[str]:
    if show not in CONTRACT_VIEWS:
        raise InvalidInput(f"show: active or all, not {show!r}", field="show")
    settings = await settings_of(meihao, community)
    today = community_today(meihao, community)
    rows = await contracts.list_contracts(meihao, principal, community, active_only=show == "active")  # audited
    team_list = await teams.list_teams(community)
    team_names = {t.id: t.name for t in team_list}
    can_manage = principal.can(CONTRACT_MANAGE)
    if form is None:
        form = _contract_form(today, [t.id for t in team_list])
        if renew is not None:
            old = next((r for r in rows if r.id == renew), None)
            if old is None:
                raise NotFound(f"contract {renew} not found")
            starts = old.ends_on + timedelta(days=1)
            form.update(resident=str(old.resident_id), team_id=str(old.team_id), starts_on=starts.isoformat(),
                        ends_on=_year_from(starts).isoformat(), packages=old.packages or ["basic"], priority_groups=old.priority_groups or [])
    endable = {r.id for r in rows if r.status == "active" and r.ends_on >= today}
    other_errors = [p for i, errs in (end_errors or {}).items() if i not in endable for p in errs.values()]
    shown = [{"row": r, "state": _contract_state(r, rows, today, settings.renewal_reminder_days),
              "renewal_from": r.ends_on - timedelta(days=settings.renewal_reminder_days)} for r in rows]
    return render_page(
        request, "health/contracts.html", status_code=status_code, community=community, base=_base(community), here_page="contracts",
        contracts=shown, show=show, views=CONTRACT_VIEWS, teams=team_list, team_names=team_names, can_manage=can_manage, form=form,
        errors=defaultdict(lambda: None, errors or {}), end_errors=end_errors or {}, end_forms=end_forms or {}, renew=renew, done=done,
        other_errors=other_errors, today=today, reminder_days=settings.renewal_reminder_days, min_days=settings.contract_min_days, packages=PACKAGES, **_labels())


@get("/contracts", guards=[page_requires(PATIENT_READ)])
async def contracts_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, show: FromQuery[str] = "active",
    renew: FromQuery[int | None] = None, signed: FromQuery[int | None] = None, ended: FromQuery[int | None] = None,
) -> Response[str]:
    """Contracts in the viewer's scope, soonest ending first, each with its renewal date (the reminder goes out
    ``renewal_reminder_days`` before the end); packages and groups for the doctor team only. The form to sign one
    (``renew``: filled in from a contract, starting the day after it ends) and to end one, for health.contract.manage."""
    done = ("signed", signed) if signed else ("ended", ended) if ended else None
    return await _contracts_view(request, meihao, principal, community, show=show,
                                 renew=renew if renew is not None and principal.can(CONTRACT_MANAGE) else None, done=done)


#: The contract service's problems as the form's messages.
CONTRACT_PROBLEMS = (
    ("runs at least", "ends_on", N_("A contract runs at least %(days)s days: choose a later last day.")),
    ("packages", "packages", N_("The basic package is always included; choose the others from the list.")),
    ("priority_groups", "priority_groups", N_("Choose the groups from the list.")),
    ("one team at a time", "resident", N_("This resident already has a contract for these days: a renewal starts the day after it ends.")),
    ("resident", "resident", N_("Nobody in your area has this name or number.")),
    ("team", "team_id", N_("Choose one of the community's doctor teams.")),
)


@post("/contracts", guards=[page_requires(CONTRACT_MANAGE)])
async def sign_contract(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
) -> Response[Any]:
    """Sign (or renew) a contract through the API's service; problems at their fields (400), success back to the list."""
    raw = await _form(request)
    form = {"resident": str(raw.get("resident", "")).strip(), "team_id": str(raw.get("team_id", "")).strip(),
            "starts_on": str(raw.get("starts_on", "")).strip(), "ends_on": str(raw.get("ends_on", "")).strip(),
            "packages": sorted({"basic", *[str(p) for p in raw.getall("packages", [])]}),
            "priority_groups": [str(g) for g in raw.getall("priority_groups", [])]}
    errors: dict[str, Problem] = {}
    days: dict[str, date] = {}
    for name in ("starts_on", "ends_on"):
        try:
            days[name] = date.fromisoformat(form[name])
        except ValueError:
            errors[name] = (N_("Enter a date such as 2026-03-10."), {})
    if not (form["team_id"].isascii() and form["team_id"].isdigit()):
        errors["team_id"] = (N_("Choose one of the community's doctor teams."), {})
    resident_id = None
    try:
        resident_id = await find_resident(principal, community, form["resident"])
    except InvalidInput as err:
        errors["resident"] = (err.message, {})
    if not errors and resident_id is not None:
        try:
            row = await contracts.sign(meihao, principal, community, ContractIn(
                resident_id=resident_id, team_id=int(form["team_id"]), starts_on=days["starts_on"], ends_on=days["ends_on"],
                packages=form["packages"], priority_groups=form["priority_groups"]))
        except (InvalidInput, NotFound, Conflict) as err:
            field, problem = _service_problem(err, CONTRACT_PROBLEMS)  # type: ignore[arg-type]
            if "runs at least" in err.message:
                problem = (problem[0], {"days": (await settings_of(meihao, community)).contract_min_days})
            errors[field if field in ("resident", "team_id", "starts_on", "ends_on", "packages", "priority_groups") else "form"] = problem
        else:
            return Redirect(f"{_base(community)}/contracts?signed={row.id}", status_code=303)
    return await _contracts_view(request, meihao, principal, community, form=form, errors=errors, status_code=400)


END_PROBLEMS = (
    ("not before the contract starts", "ends_on", N_("The last day cannot be before the contract starts.")),
    ("not after the contract's end", "ends_on", N_("The last day cannot be after the contract's end.")),
    ("has ended already", "form", N_("This contract has ended already.")),
    ("reason", "reason", N_("Say why the contract ends.")),
)


@post("/contracts/{contract_id:int}/end", guards=[page_requires(CONTRACT_MANAGE)])
async def end_contract(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, contract_id: PathId,
) -> Response[Any]:
    """解约 through the API's service (``POST …/contracts/{id}/end``): the last day (empty: today) and why."""
    raw = await _form(request)
    end_form = {"ends_on": str(raw.get("ends_on", "")).strip(), "reason": str(raw.get("reason", "")).strip()}
    errors: dict[str, Problem] = {}
    day = None
    if end_form["ends_on"]:
        try:
            day = date.fromisoformat(end_form["ends_on"])
        except ValueError:
            errors["ends_on"] = (N_("Enter a date such as 2026-03-10."), {})
    if not end_form["reason"]:
        errors["reason"] = (N_("Say why the contract ends."), {})
    if not errors:
        try:
            await contracts.end(meihao, principal, community, contract_id, ContractEnd(ends_on=day, reason=end_form["reason"]))
        except (InvalidInput, Conflict) as err:
            field, problem = _service_problem(err, END_PROBLEMS)  # type: ignore[arg-type]
            errors[field] = problem
        else:
            return Redirect(f"{_base(community)}/contracts?ended={contract_id}", status_code=303)
    else:  # in scope, else the 404 page (as the service answers)
        await contracts.scoped_contract(principal, community, contract_id)
    return await _contracts_view(request, meihao, principal, community, show="all", end_errors={contract_id: errors},
                                 end_forms={contract_id: end_form}, status_code=400)


# -- referrals ------------------------------------------------------------------------------------------------


async def _referrals_view(
    request: Request[Any, Any, Any], meihao: Any, principal: Principal, community: CommunityInfo, *, state: str = "open",
    close_errors: dict[int, Problem] | None = None, close_forms: dict[int, str] | None = None, closed: int | None = None,
    status_code: int = 200,
) -> Response[str]:
    if state not in REFERRAL_STATES:
        raise InvalidInput(f"state: open or closed, not {state!r}", field="state")
    referred = (await patients.list_patients(meihao, principal, community, status="referred", page_size=200)).items if state == "open" else []
    handed = await referrals.list_referrals(meihao, principal, community, open_only=state == "open", page_size=200)
    return render_page(
        request, "health/referrals.html", status_code=status_code, community=community, base=_base(community), here_page="referrals",
        state=state, tz=community.tz, referred=referred, handed=handed.items, handed_total=handed.total, close_errors=close_errors or {},
        # a problem with a referral no longer listed as open (closed meanwhile) is shown above the list
        other_errors=[e for i, e in (close_errors or {}).items() if not any(r.id == i and r.status == "open" for r in handed.items)],
        close_forms=close_forms or {}, closed=closed, **_labels())


@get("/referrals", guards=[page_requires(PATIENT_READ)])
async def referrals_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, closed: FromQuery[int | None] = None,
) -> Response[str]:
    """Referrals by state: the patients a follow-up referred (a 转诊 or an emergency, until the next follow-up), and the
    concerns other scenes handed over (``health_referral``), with the form to close one for the doctor team."""
    state = request.query_params.get("state") or "open"  # ``state`` is a name Litestar keeps for itself
    return await _referrals_view(request, meihao, principal, community, state=state, closed=closed)


@post("/referrals/{referral_id:int}/close", guards=[page_requires(PATIENT_READ)])
async def close_referral(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime, referral_id: PathId,
) -> Response[Any]:
    """Close a referral through the API's service with what the team did (the team's and health.reading.read's: 403 for
    the rest in scope, 404 outside it); an empty outcome or a referral closed meanwhile re-shows the page (400)."""
    outcome = str((await _form(request)).get("outcome", "")).strip()
    problem: Problem | None = None
    if not outcome:
        problem = (N_("Say what the team did."), {})
        await referrals.scoped_referral(principal, community, referral_id)  # 404 outside the scope, as the service
    else:
        try:
            await referrals.close_referral(meihao, principal, community, referral_id, ReferralClose(outcome=outcome[:1000]))
        except Conflict:
            problem = (N_("This referral is closed already."), {})
        else:
            return Redirect(f"{_base(community)}/referrals?closed={referral_id}", status_code=303)
    return await _referrals_view(request, meihao, principal, community, close_errors={referral_id: problem},
                                 close_forms={referral_id: outcome}, status_code=400)


PAGES = ConsolePages(
    handlers=[follow_ups_page, patient_page, record_follow_up, contracts_page, sign_contract, end_contract, referrals_page, close_referral],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("慢病随访", "Follow-ups", "follow-ups", permission=PATIENT_READ)],
)
