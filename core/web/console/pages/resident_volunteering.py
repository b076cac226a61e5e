"""A resident's volunteer shifts behind her inbox link (``/r/inbox/{token}/volunteering``): her community's coming shifts,
signing up and cancelling, and the QR code staff scan at the venue to check her in and out.

The resident is the one the link names, never one from a form; a wrong or revoked link is the residents' "link not
valid" page. The code carries a signed, expiring token of her sign-up (never her id).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from meihao.access.principals import Principal
from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.register.tables import Resident
from meihao.volunteering import shifts
from meihao.web.console.pages.residents import INVALID, _mh, _resident
from meihao.web.console.rendering import render_page


async def _who(request: Request[Any, Any, Any], resident_id: int) -> Principal:
    """She, acting through her link: only sign-ups for herself, in her own grid."""
    row = await Resident.select(Resident.grid, Resident.community).where(Resident.id == resident_id).first()
    return Principal(staff_id=None, name=f"resident {resident_id} (inbox link)", permissions={shifts.SELF},
                     grid_ids={row["grid"]} if row["grid"] else set(), grid_community_ids={row["community"]},
                     address=request.client.host if request.client else "")


async def _page(request: Request[Any, Any, Any], token: str, resident: dict[str, Any], *, done: str = "",
                problem: dict[str, Any] | None = None, status_code: int = 200) -> Response[Any]:
    mh = _mh(request)
    zone = ZoneInfo(resident["timezone"])
    found = await shifts.shifts_for_resident(mh, resident["id"])
    for s in found["shifts"]:
        s["local"], s["ends_local"] = s["starts_at"].astimezone(zone), s["ends_at"].astimezone(zone)
        s["svg"] = shifts.qr_svg(f"{mh.settings.base_url}/volunteering/scan/{quote(s['code'])}", scale=5) if s["code"] else ""
    return render_page(request, "residents/volunteering.html", status_code=status_code, resident=resident, token=token,
                       shifts=found["shifts"], done=done, problem=problem or {})


@get("/r/inbox/{token:str}/volunteering", exception_handlers=INVALID)
async def shifts_page(request: Request[Any, Any, Any], token: FromPath[str], done: FromQuery[str] = "") -> Response[Any]:
    resident = await _resident(request, token, "inbox")
    return await _page(request, token, resident, done=done if done in ("signed", "cancelled") else "")


async def _shift_id(request: Request[Any, Any, Any]) -> int:
    value = str((await request.form()).get("shift", ""))
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput("shift: must be a number", field="shift")
    return int(value)


@post("/r/inbox/{token:str}/volunteering/signup", exception_handlers=INVALID)
async def sign_up(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    resident = await _resident(request, token, "inbox")
    shift_id = await _shift_id(request)
    try:
        await shifts.sign_up(_mh(request), await _who(request, resident["id"]), shift_id, resident["id"])
    except Conflict as err:
        kind = "already" if err.field == "resident_id" else "full"
        return await _page(request, token, resident, problem={"shift": shift_id, "kind": kind}, status_code=409)
    except (InvalidInput, NotFound) as err:
        return await _page(request, token, resident, problem={"shift": shift_id, "kind": "gone"}, status_code=err.status_code)
    return Redirect(f"/r/inbox/{quote(token)}/volunteering?done=signed#s{shift_id}", status_code=303)


@post("/r/inbox/{token:str}/volunteering/cancel", exception_handlers=INVALID)
async def cancel(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    resident = await _resident(request, token, "inbox")
    shift_id = await _shift_id(request)
    from meihao.volunteering.tables import VolunteerSignup

    row = await VolunteerSignup.select(VolunteerSignup.id).where(
        VolunteerSignup.shift == shift_id, VolunteerSignup.resident == resident["id"], VolunteerSignup.state == "signed_up").first()
    if row is not None:
        try:
            await shifts.cancel_signup(_mh(request), await _who(request, resident["id"]), row["id"])
        except InvalidInput:
            return await _page(request, token, resident, problem={"shift": shift_id, "kind": "started"}, status_code=400)
    return Redirect(f"/r/inbox/{quote(token)}/volunteering?done=cancelled#s{shift_id}", status_code=303)


HANDLERS: list = [shifts_page, sign_up, cancel]
