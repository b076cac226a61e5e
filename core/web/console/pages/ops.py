"""Operations (``/ops``), for street admins: scheduled jobs and their recent runs, the nodes, the audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.response import Stream

from meihao.access.audit import audit, audit_counts, audit_rows, audit_where, count_audit, read_audit_log
from meihao.access.staff import list_staff
from meihao.errors import Forbidden, InvalidInput
from meihao.register.communities import list_communities
from meihao.runtime import Meihao
from meihao.scheduling.nodes import list_nodes
from meihao.web.console.i18n import N_
from meihao.web.console.lists import Facet, ListQuery, Option, csv_download, facet, xlsx_download
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


AUDIT_PATH = "/ops/audit"
#: The audit log's filter keys (as in ``GET /api/audit``: action, staff member, local days from and to).
AUDIT_KEYS = ("action", "staff", "since", "until")
#: Date ranges offered with their counts: (message id, days back from today; 0 is today alone).
DATE_RANGES = ((N_("Today"), 0), (N_("Last 7 days"), 6), (N_("Last 30 days"), 29))


@dataclass
class AuditFilter:
    """The audit log's filter read from the query; ``errors`` holds the fields that were not understood (field → problem)."""

    query: ListQuery
    staff_id: int | None = None
    since: date | None = None
    until: date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def action(self) -> str | None:
        return self.query.get("action")

    def clauses(self, tz: ZoneInfo, *, skip: str = "") -> list[Any]:
        since = datetime.combine(self.since, time(), tz) if self.since and skip != "days" else None
        until = datetime.combine(self.until + timedelta(days=1), time(), tz) if self.until and skip != "days" else None
        return audit_where(staff_id=self.staff_id if skip != "staff" else None, action=self.action if skip != "action" else None,
                           since=since, until=until)


def _audit_filter(params: Any) -> AuditFilter:
    query = ListQuery.parse(dict(params), AUDIT_KEYS)
    found = AuditFilter(query)
    raw = query.get("staff")
    if raw:
        if raw.isdigit() and 0 < int(raw) <= 2_147_483_647:
            found.staff_id = int(raw)
        else:
            found.errors["staff"] = "staff"
    for name in ("since", "until"):
        try:
            setattr(found, name, _day(query.get(name) or "", name))
        except InvalidInput:
            found.errors[name] = "date"
    if found.since and found.until and found.until < found.since:
        found.errors["until"] = "order"
    return found


async def _audit_facets(mh: Meihao, found: AuditFilter, staff: list[dict[str, Any]], tz: ZoneInfo) -> list[Facet]:
    """The actions, staff members and date ranges with their counts under the rest of the filter, counted in SQL."""
    query = found.query
    by_action = await audit_counts("action", found.clauses(tz, skip="action"))
    by_staff = await audit_counts("staff", found.clauses(tz, skip="staff"))
    names = {s["id"]: s["name"] for s in staff}
    today = mh.clock.now().astimezone(tz).date()
    ranges = []
    for label, back in DATE_RANGES:
        since, until = today - timedelta(days=back), today
        within = AuditFilter(query, found.staff_id, since, until)
        ranges.append(Option(f"{since}/{until}", label, await count_audit(within.clauses(tz)), (found.since, found.until) == (since, until),
                             query.href(AUDIT_PATH, since=since.isoformat(), until=until.isoformat())))
    return [
        facet(query, AUDIT_PATH, "action", N_("Action"), [(a, a, n) for a, n in sorted(by_action.items())]),
        facet(query, AUDIT_PATH, "staff", N_("Who"),
              sorted(((i, names.get(i, f"#{i}"), n) for i, n in by_staff.items() if i is not None), key=lambda v: (v[1], v[0]))),
        Facet("days", N_("When"), [o for o in ranges if o.count or o.selected], query.href(AUDIT_PATH, since=None, until=None), translate=True),
    ]


@get(AUDIT_PATH, include_in_schema=False, guards=[page_requires("meihao.jobs.read", "meihao.audit.read"), street_only])
async def audit_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """The audit log, newest first, filtered by action, staff member and days (the street's local days), with counts per
    action, staff member and date range, paged, and spreadsheets of the whole filter."""
    mh: Meihao = request.app.state.meihao
    found = _audit_filter(request.query_params)
    filters = {key: found.query.get(key) or "" for key in AUDIT_KEYS}
    errors = found.errors
    raw_page = (request.query_params.get("page") or "").strip()
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) <= 1_000_000 else 1
    tz = ZoneInfo(mh.settings.default_timezone)
    staff = sorted(await list_staff(page_user(request)), key=lambda s: (s["name"], s["id"]))
    result, facets = None, []
    if not errors:
        since = datetime.combine(found.since, time(), tz) if found.since else None
        until = datetime.combine(found.until + timedelta(days=1), time(), tz) if found.until else None
        result = await read_audit_log(mh, staff_id=found.staff_id, action=found.action, since=since, until=until,
                                      page=page, page_size=AUDIT_PAGE_SIZE)
        facets = await _audit_facets(mh, found, staff, tz)
    rows = [
        {**r, "at": _local(mh, r["at"]), "detail_text": json.dumps(r["detail"], ensure_ascii=False, default=str) if r["detail"] else ""}
        for r in result.rows
    ] if result else []
    kept = {k: v for k, v in filters.items() if v}
    return render_page(
        request, "ops/audit.html", status_code=400 if errors else 200, rows=rows, result=result, filters=filters, errors=errors,
        staff=staff, kept=kept, page=page, pages=max(1, -(-result.total // result.page_size)) if result else 1, timezone=str(tz),
        facets=facets, query=found.query, list_path=AUDIT_PATH,
    )


#: What a bad filter of an export says, per problem (the page shows these at the field instead).
EXPORT_PROBLEMS = {"staff": "a staff member's id", "date": "a date as YYYY-MM-DD", "order": "not before since"}


async def _audit_export(request: Request[Any, Any, Any], kind: str) -> Any:
    mh: Meihao = request.app.state.meihao
    found = _audit_filter(request.query_params)
    for name, problem in found.errors.items():
        raise InvalidInput(f"{name}: {EXPORT_PROBLEMS[problem]}", field=name)
    tz = ZoneInfo(mh.settings.default_timezone)
    await audit(page_user(request), "meihao.audit.export", "audit_log", "", detail={**found.query.values, "format": kind})

    async def rows() -> Any:
        yield ["id", "at", "actor", "action", "target_type", "target_id", "community", "address", "reason", "detail"]
        async for r in audit_rows(found.clauses(tz)):
            yield [r["id"], r["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), r["actor"], r["action"], r["target_type"], r["target_id"],
                   r["community"] or "", r["address"], r["reason"], json.dumps(r["detail"], ensure_ascii=False, default=str) if r["detail"] else ""]

    return rows(), f"audit-{mh.clock.now().astimezone(tz):%Y%m%d-%H%M}.{kind}"


@get(f"{AUDIT_PATH}/export.csv", include_in_schema=False, guards=[page_requires("meihao.jobs.read", "meihao.audit.read"), street_only])
async def audit_csv(request: Request[Any, Any, Any]) -> Stream:
    """The whole filter of the audit log as CSV with a BOM (every page), newest first, in the street's local time."""
    rows, filename = await _audit_export(request, "csv")
    return csv_download(rows, filename)


@get(f"{AUDIT_PATH}/export.xlsx", include_in_schema=False, guards=[page_requires("meihao.jobs.read", "meihao.audit.read"), street_only])
async def audit_xlsx(request: Request[Any, Any, Any]) -> Response[Any]:
    rows, filename = await _audit_export(request, "xlsx")
    return await xlsx_download(rows, filename, sheet="audit")


HANDLERS = [ops_page, audit_page, audit_csv, audit_xlsx]
