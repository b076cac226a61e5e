"""Console pages of volunteering (志愿服务) for staff: a community's teams and shifts, a shift's sign-ups and no-shows, scanning a
volunteer's code at the venue, the service records to verify, and a volunteer's certificate (PDF).

A community the viewer does not reach, and a team, shift or record of one, is the 404 page, as if missing; a
grid worker sees the members and sign-ups of their grids' residents only (the places taken count everyone).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao.access.principals import Principal
from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.register.tables import Community, Resident
from meihao.runtime import Meihao
from meihao.volunteering import certificate, ledger, shifts
from meihao.web.console.i18n import N_
from meihao.web.console.rendering import page_user, render_page
from meihao.web.console.session import page_requires

READ = page_requires("meihao.volunteer.read")
RECORD = page_requires("meihao.volunteer.record")
MANAGE = page_requires("meihao.volunteer.manage")
VERIFY = page_requires("meihao.volunteer.verify")

#: What a form's field says when the service refuses it (English message ids, translated on the page).
MESSAGES = {
    "name": N_("Give the team a name (at most 100 characters)."),
    "name_taken": N_("A team of this name already exists."),
    "kind": N_("Choose the kind of team."),
    "partner": N_("Name the partner organisation (at most 200 characters)."),
    "title": N_("Say what the shift is (at most 200 characters)."),
    "place": N_("At most 200 characters."),
    "starts_at": N_("Enter the date and time the shift starts."),
    "ends_at": N_("The shift ends after it starts, on the same day, and lasts at most %(hours)s hours."),
    "needed": N_("Enter how many volunteers are needed: 1 to %(max)s."),
    "team_id": N_("Choose a team of this community."),
    "resident": N_("Enter the resident's name as registered (or her number): nobody in your area has it."),
    "resident_many": N_("Several residents in your area have this name: enter her number instead."),
    "already": N_("This resident is already in the team."),
    "already_signed": N_("This resident is already signed up."),
    "full": N_("The shift is full."),
    "started": N_("The shift has started: sign-ups are closed."),
    "skills": N_("At most 200 characters."),
    "availability": N_("At most 200 characters."),
}


def _mh(request: Request[Any, Any, Any]) -> Meihao:
    return request.app.state.meihao


async def _community(principal: Principal, slug: str) -> dict[str, Any]:
    row = await Community.select(Community.id, Community.slug, Community.name, Community.timezone).where(Community.slug == slug).first()
    if row is None or not principal.reaches_community(row["id"]):
        raise NotFound(f"community {slug!r} not found")
    return row


async def find_resident(principal: Principal, community_id: int, text: str) -> int:
    """A resident of the community in the viewer's area by her number or her exact registered name."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("resident", field="resident")
    match = Resident.id == int(text) if text.isdigit() else Resident.name == text
    rows = await Resident.select(Resident.id).where(match, Resident.community == community_id, *principal.residents_where()).limit(2)
    if not rows:
        raise InvalidInput("resident", field="resident")
    if len(rows) > 1:
        raise InvalidInput("resident_many", field="resident")
    return rows[0]["id"]


def _local(rows: list[dict[str, Any]], zone: ZoneInfo, *keys: str) -> None:
    for row in rows:
        for key in keys:
            if row.get(key) is not None:
                row[f"{key}_local"] = row[key].astimezone(zone)


# -- the community's volunteering --------------------------------------------------------------------


@get("/volunteering", guards=[READ])
async def choose(request: Request[Any, Any, Any]) -> Response[Any]:
    """The communities the viewer reaches (one: straight to it)."""
    principal = page_user(request)
    rows = [r for r in await Community.select(Community.slug, Community.name, Community.id).order_by(Community.id)
            if principal.reaches_community(r["id"])]
    if len(rows) == 1:
        return Redirect(f"/volunteering/{rows[0]['slug']}", status_code=303)
    return render_page(request, "volunteering/choose.html", messages=MESSAGES, communities=rows)


async def _community_page(request: Request[Any, Any, Any], slug: str, *, errors: dict[str, str] | None = None,
                          values: dict[str, str] | None = None, status_code: int = 200) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    community = await _community(principal, slug)
    zone = ZoneInfo(community["timezone"])
    coming = await shifts.list_shifts(mh, principal, community["id"])
    past = await shifts.list_shifts(mh, principal, community["id"], past=True, limit=20)
    _local(coming, zone, "starts_at", "ends_at")
    _local(past, zone, "starts_at", "ends_at")
    to_verify = await ledger.services_to_verify(principal, community["id"]) if principal.can("meihao.volunteer.verify") else []
    return render_page(
        request, "volunteering/community.html", messages=MESSAGES, status_code=status_code, community=community,
        teams=await shifts.list_teams(principal, community["id"]), coming=coming, past=past, to_verify=len(to_verify),
        kinds=shifts.TEAM_KINDS, errors=errors or {}, values=values or {}, can_manage=principal.can("meihao.volunteer.manage"),
        max_hours=f"{mh.settings.volunteer_max_hours_per_record:g}", max_needed=mh.settings.volunteer_shift_max_needed,
        done=request.query_params.get("done", ""),
    )


@get("/volunteering/{slug:str}", guards=[READ])
async def community_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    return await _community_page(request, slug)


def _problem(err: InvalidInput | Conflict, fallback: str) -> tuple[str, str]:
    field = err.field or fallback
    if isinstance(err, Conflict):
        key = {"name": "name_taken", "resident_id": "already_signed", "shift_id": "full"}.get(field, field)
        return ("resident" if field == "resident_id" else field), key
    if field == "resident" and err.message in MESSAGES:
        return field, err.message
    if field == "shift_id":
        return "resident", "started"
    if field == "resident_id":
        return "resident", "resident"
    return field, field


@post("/volunteering/{slug:str}/teams", guards=[MANAGE])
async def add_team(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    community = await _community(principal, slug)
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("name", "kind", "partner", "note")}
    try:
        team = await shifts.create_team(mh, principal, community["id"], name=values["name"], kind=values["kind"],
                                        partner=values["partner"], note=values["note"])
    except (InvalidInput, Conflict) as err:
        field, key = _problem(err, "name")
        return await _community_page(request, slug, errors={field: key}, values=values, status_code=err.status_code)
    return Redirect(f"/volunteering/{slug}/teams/{team['id']}", status_code=303)


def _moment(day: str, clock: str, zone: ZoneInfo) -> datetime | None:
    try:
        return datetime.fromisoformat(f"{day.strip()}T{clock.strip()}").replace(tzinfo=zone)
    except ValueError:
        return None


@post("/volunteering/{slug:str}/shifts", guards=[MANAGE])
async def add_shift(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    community = await _community(principal, slug)
    zone = ZoneInfo(community["timezone"])
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("title", "place", "day", "start", "end", "needed", "team")}
    starts, ends = _moment(values["day"], values["start"], zone), _moment(values["day"], values["end"], zone)
    errors: dict[str, str] = {}
    if starts is None:
        errors["starts_at"] = "starts_at"
    if ends is None:
        errors["ends_at"] = "ends_at"
    needed = int(values["needed"]) if values["needed"].strip().isdigit() and len(values["needed"].strip()) < 7 else None
    if needed is None:
        errors["needed"] = "needed"
    team = int(values["team"]) if values["team"].isdigit() else None
    if not errors:
        try:
            shift = await shifts.create_shift(mh, principal, community["id"], title=values["title"], place=values["place"],
                                              starts_at=starts, ends_at=ends, needed=needed, team_id=team)
        except InvalidInput as err:
            errors[err.field or "title"] = err.field or "title"
        else:
            return Redirect(f"/volunteering/{slug}/shifts/{shift['id']}", status_code=303)
    return await _community_page(request, slug, errors=errors, values=values, status_code=400)


# -- a team ------------------------------------------------------------------------------------


async def _team_page(request: Request[Any, Any, Any], slug: str, team_id: int, *, errors: dict[str, str] | None = None,
                     values: dict[str, str] | None = None, status_code: int = 200) -> Response[Any]:
    principal = page_user(request)
    community = await _community(principal, slug)
    team = await shifts.get_team(principal, team_id)
    if team["community"] != community["id"]:
        raise NotFound(f"volunteer team {team_id} not found")
    return render_page(request, "volunteering/team.html", messages=MESSAGES, status_code=status_code, community=community, team=team,
                       kinds=shifts.TEAM_KINDS, errors=errors or {}, values=values or {},
                       can_record=principal.can("meihao.volunteer.record"))


@get("/volunteering/{slug:str}/teams/{team_id:int}", guards=[READ])
async def team_page(request: Request[Any, Any, Any], slug: FromPath[str], team_id: FromPath[int]) -> Response[Any]:
    return await _team_page(request, slug, team_id)


@post("/volunteering/{slug:str}/teams/{team_id:int}/members", guards=[RECORD])
async def add_member(request: Request[Any, Any, Any], slug: FromPath[str], team_id: FromPath[int]) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    community = await _community(principal, slug)
    team = await shifts.get_team(principal, team_id)
    if team["community"] != community["id"]:
        raise NotFound(f"volunteer team {team_id} not found")
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("resident", "skills", "availability")}
    try:
        resident_id = await find_resident(principal, community["id"], values["resident"])
        await shifts.add_member(mh, principal, team_id, resident_id, skills=values["skills"], availability=values["availability"])
    except (InvalidInput, Conflict) as err:
        field, key = _problem(err, "resident")
        if isinstance(err, Conflict):
            key = "already"
        return await _team_page(request, slug, team_id, errors={field: key}, values=values, status_code=err.status_code)
    return Redirect(f"/volunteering/{slug}/teams/{team_id}", status_code=303)


@post("/volunteering/{slug:str}/teams/{team_id:int}/members/{member_id:int}/remove", guards=[RECORD])
async def remove_member(request: Request[Any, Any, Any], slug: FromPath[str], team_id: FromPath[int], member_id: FromPath[int]) -> Response[Any]:
    principal = page_user(request)
    community = await _community(principal, slug)
    team = await shifts.get_team(principal, team_id)
    if team["community"] != community["id"]:
        raise NotFound(f"volunteer team {team_id} not found")
    await shifts.remove_member(_mh(request), principal, team_id, member_id)
    return Redirect(f"/volunteering/{slug}/teams/{team_id}", status_code=303)


# -- a shift -----------------------------------------------------------------------------------


async def _shift(request: Request[Any, Any, Any], slug: str, shift_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    principal = page_user(request)
    community = await _community(principal, slug)
    shift = await shifts.get_shift(principal, shift_id)
    if shift["community"] != community["id"]:
        raise NotFound(f"volunteer shift {shift_id} not found")
    return community, shift


async def _shift_page(request: Request[Any, Any, Any], slug: str, shift_id: int, *, errors: dict[str, str] | None = None,
                      values: dict[str, str] | None = None, status_code: int = 200) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    community, shift = await _shift(request, slug, shift_id)
    zone = ZoneInfo(community["timezone"])
    _local([shift], zone, "starts_at", "ends_at", "closed_at")
    _local(shift["signups"], zone, "signed_up_at", "checked_in_at", "checked_out_at")
    now = mh.clock.now()
    from datetime import timedelta

    codes_expire = shift["ends_at"] + timedelta(minutes=mh.settings.volunteer_checkin_minutes)
    return render_page(
        request, "volunteering/shift.html", messages=MESSAGES, status_code=status_code, community=community, shift=shift, errors=errors or {},
        values=values or {}, started=now >= shift["starts_at"], can_record=principal.can("meihao.volunteer.record"),
        can_close=principal.can("meihao.volunteer.verify") and now >= codes_expire and shift["closed_at"] is None,
        codes_expire=codes_expire.astimezone(zone), penalty=mh.settings.volunteer_no_show_penalty_points,
        done=request.query_params.get("done", ""),
    )


@get("/volunteering/{slug:str}/shifts/{shift_id:int}", guards=[READ])
async def shift_page(request: Request[Any, Any, Any], slug: FromPath[str], shift_id: FromPath[int]) -> Response[Any]:
    return await _shift_page(request, slug, shift_id)


@post("/volunteering/{slug:str}/shifts/{shift_id:int}/signups", guards=[RECORD])
async def staff_sign_up(request: Request[Any, Any, Any], slug: FromPath[str], shift_id: FromPath[int]) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    community, _shift_row = await _shift(request, slug, shift_id)
    values = {"resident": str((await request.form()).get("resident", ""))}
    try:
        resident_id = await find_resident(principal, community["id"], values["resident"])
        await shifts.sign_up(mh, principal, shift_id, resident_id)
    except (InvalidInput, Conflict) as err:
        field, key = _problem(err, "resident")
        return await _shift_page(request, slug, shift_id, errors={"resident": key}, values=values, status_code=err.status_code)
    return Redirect(f"/volunteering/{slug}/shifts/{shift_id}?done=signed", status_code=303)


@post("/volunteering/{slug:str}/shifts/{shift_id:int}/signups/{signup_id:int}/cancel", guards=[RECORD])
async def staff_cancel(request: Request[Any, Any, Any], slug: FromPath[str], shift_id: FromPath[int], signup_id: FromPath[int]) -> Response[Any]:
    _community_row, shift = await _shift(request, slug, shift_id)
    if not any(s["id"] == signup_id for s in shift["signups"]):
        raise NotFound(f"sign-up {signup_id} not found")
    await shifts.cancel_signup(_mh(request), page_user(request), signup_id)
    return Redirect(f"/volunteering/{slug}/shifts/{shift_id}?done=cancelled", status_code=303)


@get("/volunteering/{slug:str}/shifts/{shift_id:int}/signups/{signup_id:int}/code", guards=[RECORD])
async def signup_code(request: Request[Any, Any, Any], slug: FromPath[str], shift_id: FromPath[int], signup_id: FromPath[int]) -> Response[Any]:
    """A volunteer's code to print (for one without a phone): the same signed code as on her own page."""
    mh = _mh(request)
    community, shift = await _shift(request, slug, shift_id)
    signup = next((s for s in shift["signups"] if s["id"] == signup_id), None)
    if signup is None or signup["state"] not in ("signed_up", "checked_in"):
        raise NotFound(f"sign-up {signup_id} not found")
    url = f"{mh.settings.base_url}/volunteering/scan/{quote(await shifts.checkin_code(mh, signup_id))}"
    _local([shift], ZoneInfo(community["timezone"]), "starts_at", "ends_at")
    return render_page(request, "volunteering/code.html", messages=MESSAGES, community=community, shift=shift, signup=signup, svg=shifts.qr_svg(url))


@post("/volunteering/{slug:str}/shifts/{shift_id:int}/no-shows", guards=[VERIFY])
async def no_shows(request: Request[Any, Any, Any], slug: FromPath[str], shift_id: FromPath[int]) -> Response[Any]:
    await _shift(request, slug, shift_id)
    await shifts.record_no_shows(_mh(request), page_user(request), shift_id)
    return Redirect(f"/volunteering/{slug}/shifts/{shift_id}?done=closed", status_code=303)


# -- scanning a volunteer's code at the venue -------------------------------------------------------


@get("/volunteering/scan/{code:str}", guards=[RECORD])
async def scan_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    """What the code names and one button: check in, or check out (a GET changes nothing)."""
    mh = _mh(request)
    row = await shifts.scan(mh, page_user(request), code)
    zone = ZoneInfo((await Community.select(Community.timezone).where(Community.id == row["community"]).first())["timezone"])
    _local([row], zone, "starts_at", "ends_at", "checked_in_at", "checked_out_at", "opens_at")
    return render_page(request, "volunteering/scan.html", messages=MESSAGES, row=row, code=code, done=request.query_params.get("done", ""))


@post("/volunteering/scan/{code:str}", guards=[RECORD])
async def scan_post(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    row = await shifts.check_in_out(_mh(request), page_user(request), code)
    return Redirect(f"/volunteering/scan/{quote(code)}?done={row['state']}", status_code=303)


# -- verifying service records, and the certificate ---------------------------------------------------


@get("/volunteering/{slug:str}/records", guards=[VERIFY])
async def records_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    principal = page_user(request)
    community = await _community(principal, slug)
    rows = await ledger.services_to_verify(principal, community["id"])
    return render_page(request, "volunteering/records.html", messages=MESSAGES, community=community, rows=rows, done=request.query_params.get("done", ""))


@post("/volunteering/{slug:str}/records/{service_id:int}", guards=[VERIFY])
async def decide_record(request: Request[Any, Any, Any], slug: FromPath[str], service_id: FromPath[int]) -> Response[Any]:
    principal = page_user(request)
    community = await _community(principal, slug)
    row = await ledger.get_service(principal, service_id)
    if row["community"] != community["id"]:
        raise NotFound(f"volunteer service {service_id} not found")
    approve = str((await request.form()).get("decision", "")) == "verify"
    await ledger.verify_service(_mh(request), principal, service_id, approve=approve)
    return Redirect(f"/volunteering/{slug}/records?done={'verified' if approve else 'rejected'}", status_code=303)


@get("/volunteering/{slug:str}/residents/{resident_id:int}/certificate.pdf", guards=[READ])
async def certificate_download(request: Request[Any, Any, Any], slug: FromPath[str], resident_id: FromPath[int],
                               year: FromQuery[int | None] = None) -> Response[bytes]:
    principal = page_user(request)
    community = await _community(principal, slug)
    if not await Resident.exists().where(Resident.id == resident_id, Resident.community == community["id"]):
        raise NotFound(f"resident {resident_id} not found")
    pdf = await certificate.certificate_pdf(_mh(request), principal, resident_id, year=year)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=certificate-{resident_id}.pdf", "Cache-Control": "no-store"})


HANDLERS = [choose, scan_page, scan_post, community_page, add_team, add_shift, team_page, add_member, remove_member, shift_page,
            staff_sign_up, staff_cancel, signup_code, no_shows, records_page, decide_record, certificate_download]
