"""Console pages: an activity's sign-ups (报名) for staff — who signed up for each date (names masked), places
taken against the capacity, a CSV or Excel sheet of it, and cancelling a sign-up on a resident's behalf.

The same scope as ``GET /api/activities/{id}/signups``: an activity outside the visitor's communities is the
404 page, and a grid worker sees (and may cancel) the sign-ups of their grids' residents only. The places
taken count everyone's sign-ups, as residents see them on their own page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Stream

from meihao.access.audit import audit
from meihao.errors import InvalidInput, NotFound
from meihao.reminders import signups
from meihao.reminders.activities import activity_in_scope
from meihao.reminders.audiences import mask_name
from meihao.runtime import Meihao
from meihao.web.console.i18n import N_
from meihao.web.console.lists import csv_download, xlsx_download
from meihao.web.console.pages.activities import READ, WRITE, translator
from meihao.web.console.rendering import page_user, render_page

#: The columns of the spreadsheet (English message ids, translated for the visitor).
COLUMNS = (N_("Date"), N_("Still a date of the activity"), N_("Resident"), N_("Grid"), N_("Signed up at"))


async def _sheet(request: Request[Any, Any, Any], activity_id: int) -> tuple[dict[str, Any], list[dict[str, Any]], ZoneInfo]:
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    activity = await activity_in_scope(activity_id, principal)
    if not activity["signups_open"] and not await signups.has_signups(activity_id):
        raise NotFound(f"activity {activity_id} takes no sign-ups")
    zone = ZoneInfo(activity["timezone"])
    sheet = await signups.signup_sheet(mh, principal, activity)
    for o in sheet:
        o["starts"] = o["starts_at"].astimezone(zone)
        o["full"] = activity["signup_capacity"] is not None and o["taken"] >= activity["signup_capacity"]
        for s in o["signups"]:
            s["masked"] = mask_name(s["resident_name"])
            s["created_local"] = s["created_at"].astimezone(zone)
    return activity, sheet, zone


async def _page(request: Request[Any, Any, Any], activity_id: int, *, errors: dict[int, str] | None = None, reason: str = "",
                status_code: int = 200) -> Response[Any]:
    activity, sheet, _zone = await _sheet(request, activity_id)
    principal = page_user(request)
    mine = sum(len(o["signups"]) for o in sheet)
    return render_page(
        request, "activities/signups.html", status_code=status_code, activity=activity, sheet=sheet, total_in_scope=mine,
        whole_street=principal.street, can_write=principal.can("meihao.activity.write"), errors=errors or {}, reason=reason,
        done=request.query_params.get("done", ""),
    )


@get("/activities/{activity_id:int}/signups", guards=[READ], include_in_schema=False)
async def signups_page(request: Request[Any, Any, Any], activity_id: FromPath[int]) -> Response[Any]:
    return await _page(request, activity_id)


async def _rows(request: Request[Any, Any, Any], activity_id: int, kind: str) -> tuple[AsyncIterator[list[Any]], str]:
    activity, sheet, _zone = await _sheet(request, activity_id)
    t = translator(request)
    principal = page_user(request)
    await audit(principal, "meihao.activity.signups_export", "activity", activity_id, community_id=activity["community"],
                detail={"format": kind, "rows": sum(len(o["signups"]) for o in sheet)})

    async def rows() -> AsyncIterator[list[Any]]:
        yield [t.gettext(c) for c in COLUMNS]
        for o in sheet:
            for s in o["signups"]:
                yield [o["starts"].strftime("%Y-%m-%d %H:%M"), t.gettext(N_("yes")) if o["current"] else t.gettext(N_("no")), s["masked"],
                       s["grid_name"], s["created_local"].strftime("%Y-%m-%d %H:%M")]

    return rows(), f"signups-{activity_id}.{kind}"


@get("/activities/{activity_id:int}/signups.csv", guards=[READ], include_in_schema=False)
async def signups_csv(request: Request[Any, Any, Any], activity_id: FromPath[int]) -> Stream:
    rows, filename = await _rows(request, activity_id, "csv")
    return csv_download(rows, filename)


@get("/activities/{activity_id:int}/signups.xlsx", guards=[READ], include_in_schema=False)
async def signups_xlsx(request: Request[Any, Any, Any], activity_id: FromPath[int]) -> Response[Any]:
    rows, filename = await _rows(request, activity_id, "xlsx")
    return await xlsx_download(rows, filename, sheet="signups")


@post("/activities/{activity_id:int}/signups/{signup_id:int}/cancel", guards=[WRITE], include_in_schema=False)
async def cancel_signup(request: Request[Any, Any, Any], activity_id: FromPath[int], signup_id: FromPath[int]) -> Response[Any]:
    """Cancel a resident's sign-up on their behalf, with a reason (audited); outside the visitor's scope, the 404 page."""
    mh: Meihao = request.app.state.meihao
    principal = page_user(request)
    activity = await activity_in_scope(activity_id, principal)
    reason = str((await request.form()).get("reason", "") or "")
    try:
        row = await signups.cancel_signup_for(mh, principal, activity, signup_id, reason)
    except InvalidInput as err:
        if err.field != "reason":
            raise
        t = translator(request)
        message = t.gettext("Say why the sign-up is cancelled.") if not reason.strip() else t.gettext("At most %(n)s characters.") % {"n": 200}
        return await _page(request, activity_id, errors={signup_id: message}, reason=reason, status_code=400)
    when = signups_occurrence_label(row["occurrence"], activity["timezone"])
    return Redirect(f"/activities/{activity_id}/signups?{urlencode({'done': when})}", status_code=303)


def signups_occurrence_label(key: str, tz: str) -> str:
    return datetime.fromisoformat(key.replace("Z", "+00:00")).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


HANDLERS = [signups_page, signups_csv, signups_xlsx, cancel_signup]
