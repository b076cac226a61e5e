"""Operations (``/ops``), for street admins: scheduled jobs and their recent runs, the nodes, the audit log."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from meihao.access.audit import read_audit_log
from meihao.access.staff import list_staff
from meihao.errors import Forbidden, InvalidInput
from meihao.register.communities import list_communities
from meihao.runtime import Meihao
from meihao.scheduling.nodes import list_nodes
from meihao.web.console.i18n import N_
from meihao.web.console.rendering import page_user, render_page
from meihao.web.console.session import page_requires
from meihao.web.job_overview import current_job_overview

#: Audit rows on one page of the Operations page.
AUDIT_PAGE_SIZE = 50


def street_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Operations concern the whole installation: street staff only (the 403 page otherwise)."""
    principal = connection.scope.get("user")
    if principal is not None and not principal.street:
        raise Forbidden("Operations are for street admins")


def _local(mh: Meihao, value: datetime | None) -> datetime | None:
    return value.astimezone(ZoneInfo(mh.settings.default_timezone)) if value else None


def when_it_runs(trigger: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """A job's trigger in words (a message id and its values) for the common shapes; None for the others (shown as they are)."""
    kind, args = trigger
    if kind == "cron" and set(args) == {"hour", "minute"} and all(isinstance(v, int) for v in args.values()):
        return N_("every day at %(time)s"), {"time": f"{args['hour']:02d}:{args['minute']:02d}"}
    if kind == "cron" and args == {"minute": 0}:
        return N_("every hour on the hour"), {}
    if kind == "cron" and set(args) == {"minute"} and isinstance(args["minute"], int):
        return N_("every hour at minute %(minute)s"), {"minute": args["minute"]}
    if kind == "interval" and len(args) == 1:
        unit, value = next(iter(args.items()))
        words = {"minutes": N_("every %(n)s minutes"), "hours": N_("every %(n)s hours"), "days": N_("every %(n)s days")}
        if unit in words:
            return words[unit], {"n": value}
    return None


@get("/ops", include_in_schema=False, guards=[page_requires("meihao.jobs.read"), street_only])
async def ops_page(request: Request[Any, Any, Any]) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    declared = {job.id: job for _, job in mh.plugins.jobs()}
    names = {c["slug"]: c["name"] for c in await list_communities()}
    jobs = []
    for row in await current_job_overview(mh):
        runs = [{**run, "started_at": _local(mh, run["started_at"])} for run in row["recent_runs"]]
        job = declared.get(row["job"])
        jobs.append({
            **row, "next_fire_time": _local(mh, row["next_fire_time"]), "recent_runs": runs,
            "community_name": names.get(row["community"] or "", row["community"]), "words": when_it_runs(job.trigger) if job else None,
        })
    nodes = [{**n, "last_seen": _local(mh, n["last_seen"]), "started_at": _local(mh, n["started_at"])} for n in await list_nodes(mh)]
    failing = sum(1 for job in jobs if job["recent_runs"] and job["recent_runs"][0]["outcome"] == "error")
    return render_page(
        request, "ops/ops.html", jobs=jobs, nodes=nodes, failing=failing, alive=sum(1 for n in nodes if n["alive"]),
        scheduler_alive=any(n["alive"] and n["runs_scheduler"] for n in nodes), timezone=mh.settings.default_timezone,
        can_audit=page_user(request).can("meihao.audit.read"),
    )


def _day(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field}: a date as YYYY-MM-DD", field=field) from None


@get("/ops/audit", include_in_schema=False, guards=[page_requires("meihao.jobs.read", "meihao.audit.read"), street_only])
async def audit_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """The audit log, newest first, filtered by action, staff member and days (the street's local days), paged."""
    mh: Meihao = request.app.state.meihao
    query = request.query_params
    filters = {key: (query.get(key) or "").strip() for key in ("action", "staff", "since", "until", "page")}
    errors: dict[str, str] = {}
    staff_id: int | None = None
    if filters["staff"]:
        if filters["staff"].isdigit() and 0 < int(filters["staff"]) <= 2_147_483_647:
            staff_id = int(filters["staff"])
        else:
            errors["staff"] = "staff"
    days: dict[str, date | None] = {}
    for field in ("since", "until"):
        try:
            days[field] = _day(filters[field], field)
        except InvalidInput:
            errors[field] = "date"
            days[field] = None
    if days["since"] and days["until"] and days["until"] < days["since"]:
        errors["until"] = "order"
    page = int(filters["page"]) if filters["page"].isdigit() and 0 < int(filters["page"]) <= 1_000_000 else 1
    tz = ZoneInfo(mh.settings.default_timezone)
    result = None
    if not errors:
        since = datetime.combine(days["since"], time(), tz) if days["since"] else None
        until = datetime.combine(days["until"] + timedelta(days=1), time(), tz) if days["until"] else None
        result = await read_audit_log(mh, staff_id=staff_id, action=filters["action"] or None, since=since, until=until,
                                      page=page, page_size=AUDIT_PAGE_SIZE)
    rows = [
        {**r, "at": _local(mh, r["at"]), "detail_text": json.dumps(r["detail"], ensure_ascii=False, default=str) if r["detail"] else ""}
        for r in result.rows
    ] if result else []
    staff = sorted(await list_staff(page_user(request)), key=lambda s: (s["name"], s["id"]))
    kept = {k: v for k, v in filters.items() if v and k != "page"}
    return render_page(
        request, "ops/audit.html", status_code=400 if errors else 200, rows=rows, result=result, filters=filters, errors=errors,
        staff=staff, kept=kept, page=page, pages=max(1, -(-result.total // result.page_size)) if result else 1, timezone=str(tz),
    )


HANDLERS = [ops_page, audit_page]
