"""The register (居民台账) in the console: residents scoped like ``GET /api/residents``, a resident's page with the
reveal of one masked field (with a reason, audited), household and building views, saved views, bulk tagging of
everything a filter matches (after a confirmation that says how many) and spreadsheets of what the list shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Stream

from meihao.errors import InvalidInput
from meihao.register import residents
from meihao.register.communities import get_building, get_household, list_households
from meihao.register.tables import Building, Community, Grid, Household
from meihao.reminders import recipients
from meihao.runtime import Meihao
from meihao.web.console.i18n import N_
from meihao.web.console.lists import (
    BulkAction,
    Facet,
    Form,
    ListQuery,
    Option,
    bulk_action,
    csv_download,
    facet,
    list_views,
    pager,
    saved_view_handlers,
    xlsx_download,
)
from meihao.web.console.rendering import page_user, render_page
from meihao.web.console.session import page_requires
from meihao.web.params import PathId
from meihao.web.safety import MAX_INTEGER

PATH = "/register"
#: The saved views of this list are kept under this name.
AREA = "register"
#: The filter's keys, named as in ``GET /api/residents``.
KEYS = ("community", "grid", "building", "tag", "min_age", "max_age", "name", "residence_status", "relation_to_head")
PAGE_SIZE = 25
#: The age bands offered with their counts (老年人 from 60, as the register counts elders).
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 17, N_("Under 18")), (18, 59, N_("18 to 59")), (60, 79, N_("60 to 79")), (80, None, N_("80 and over")),
)
#: Tags the register knows, shown by these names (others by their own).
TAG_LABELS: dict[str, str] = {
    "elder": N_("Elder"),
    "living_alone": N_("Living alone"),
    "chronic_disease": N_("Chronic disease"),
    "disabled": N_("Disabled"),
    "low_income": N_("Low income"),
    "low_income_edge": N_("Near low income"),
    "extreme_poverty": N_("Extreme poverty"),
    "community_correction": N_("Community correction"),
    "released_prisoner": N_("Released from prison"),
    "severe_mental_disorder": N_("Severe mental disorder"),
    "drug_rehabilitation": N_("Drug rehabilitation"),
    "party_member": N_("Party member"),
    "veteran": N_("Veteran"),
    "volunteer": N_("Volunteer"),
}
FIELDS = {"id_card": N_("ID-card number"), "phone": N_("Phone")}
#: 人口类型 residence status and 与户主关系 relation to the head, as the register shows them.
RESIDENCE_LABELS: dict[str, str] = {
    "registered": N_("Registered here"), "permanent": N_("Permanent, registered elsewhere"), "floating": N_("Floating"),
    "separated": N_("Registered here, living elsewhere"), "none": N_("Not recorded"),
}
RELATION_LABELS: dict[str, str] = {
    "head": N_("Head of household"), "spouse": N_("Spouse"), "child": N_("Child"), "child_in_law": N_("Son- or daughter-in-law"),
    "grandchild": N_("Grandchild"), "parent": N_("Parent"), "parent_in_law": N_("Parent-in-law"), "grandparent": N_("Grandparent"),
    "sibling": N_("Sibling"), "other_relative": N_("Other relative"), "non_relative": N_("Not related"), "none": N_("Not recorded"),
}


def _mh(request: Request[Any, Any, Any]) -> Meihao:
    return request.app.state.meihao


def _filters(query: ListQuery) -> residents.ResidentFilter:
    """The API's filter from the page's query; a value that is not a number is a 400 naming its field."""
    return residents.ResidentFilter(
        community=query.get("community"),
        grid_id=query.integer("grid", 1, MAX_INTEGER),
        building_id=query.integer("building", 1, MAX_INTEGER),
        tag=query.get("tag"),
        min_age=query.integer("min_age", 0, residents.MAX_AGE),
        max_age=query.integer("max_age", 0, residents.MAX_AGE),
        name=query.get("name"),
        residence_status=query.get("residence_status"),
        relation_to_head=query.get("relation_to_head"),
    )


async def _names(table: Any, ids: Any, *columns: Any) -> dict[int, dict[str, Any]]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return {r["id"]: r for r in await table.select(table.id, *columns).where(table.id.is_in(ids))}


async def _facets(mh: Meihao, query: ListQuery, filters: residents.ResidentFilter, principal: Any) -> list[Facet]:
    """The filter's values with their counts, counted in SQL within the viewer's scope."""
    facets = []
    by_community = await residents.facet_counts(mh, filters, principal, "community")
    if len(by_community) > 1 or query.get("community"):
        communities = await _names(Community, by_community, Community.slug, Community.name)
        values = sorted(((c["slug"], c["name"], by_community.get(i, 0)) for i, c in communities.items()), key=lambda v: v[0])
        facets.append(facet(query, PATH, "community", N_("Community"), values, resets=("grid", "building")))
    by_grid = await residents.facet_counts(mh, filters, principal, "grid")
    grids = await _names(Grid, by_grid, Grid.code, Grid.name)
    values = sorted(((i, f"{g['name']}", by_grid[i]) for i, g in grids.items()), key=lambda v: grids[v[0]]["code"])
    facets.append(facet(query, PATH, "grid", N_("Grid"), values, resets=("building",)))
    if filters.grid_id is not None or filters.building_id is not None:
        by_building = await residents.facet_counts(mh, filters, principal, "building")
        buildings = await _names(Building, by_building, Building.name)
        values = sorted(((i, b["name"], by_building[i]) for i, b in buildings.items()), key=lambda v: v[0])
        facets.append(facet(query, PATH, "building", N_("Building"), values))
    by_tag = await residents.facet_counts(mh, filters, principal, "tag")
    facets.append(facet(query, PATH, "tag", N_("Tag"), [(t, TAG_LABELS.get(t, t), n) for t, n in sorted(by_tag.items())],
                        translate=True))
    for key, title, labels in (("residence_status", N_("Residence status"), RESIDENCE_LABELS),
                               ("relation_to_head", N_("Relation to the head"), RELATION_LABELS)):
        counts_of = await residents.facet_counts(mh, filters, principal, key)
        values = [(code or "none", labels[code or "none"], counts_of[code]) for code in ("", *labels) if code in counts_of]
        if [v[0] for v in values] != ["none"] or query.get(key):  # nothing recorded yet: no facet
            facets.append(facet(query, PATH, key, title, values, translate=True))
    counts = await residents.age_band_counts(mh, filters, principal, [(low, high) for low, high, _ in AGE_BANDS])
    chosen = (query.get("min_age"), query.get("max_age"))
    options = [
        Option(f"{low}-{high if high is not None else ''}", label, count, chosen == (str(low), str(high) if high is not None else None),
               query.href(PATH, min_age=low, max_age=high))
        for (low, high, label), count in zip(AGE_BANDS, counts, strict=True)
    ]
    options = [o for o in options if o.count or o.selected]
    facets.append(Facet("age", N_("Age"), options, query.href(PATH, min_age=None, max_age=None), translate=True))
    return facets


async def _describe(query: ListQuery) -> list[tuple[str, str]]:
    """The filter in words: (English message id of the key, value), with names for ids and tags (a confirmation shows it)."""
    labels = {"community": N_("Community"), "grid": N_("Grid"), "building": N_("Building"), "tag": N_("Tag"),
              "min_age": N_("Age from"), "max_age": N_("Age to"), "name": N_("Name"),
              "residence_status": N_("Residence status"), "relation_to_head": N_("Relation to the head")}
    described = []
    for key, value in query.values.items():
        if key in ("grid", "building") and value.isdigit():
            table = Grid if key == "grid" else Building
            value = (await _names(table, [int(value)], table.name)).get(int(value), {}).get("name", value)
        described.append((labels[key], value))
    return described


def _rows(items: list[dict[str, Any]], grids: dict[int, dict[str, Any]], buildings: dict[int, dict[str, Any]],
          households: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in items:
        household = households.get(r["household_id"])
        rows.append({
            **r,
            "grid_name": grids.get(r["grid_id"], {}).get("name", ""),
            "building_name": buildings.get(r["building_id"], {}).get("name", ""),
            "room": f"{household['unit']}-{household['room']}".lstrip("-") if household else "",
        })
    return rows


async def _present(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the list with the names of their grid and building and their room (the residents are in scope, so are these)."""
    grids = await _names(Grid, (r["grid_id"] for r in items), Grid.name)
    buildings = await _names(Building, (r["building_id"] for r in items), Building.name)
    households = await _names(Household, (r["household_id"] for r in items), Household.unit, Household.room)
    return _rows(items, grids, buildings, households)


def _settable_tags(mh: Meihao, principal: Any) -> dict[str, str]:
    """The known tags the viewer may set (a sensitive one needs ``meihao.resident.sensitive.read``)."""
    shown = set(residents.visible_tags(list(TAG_LABELS), residents.tag_rules(mh), principal))
    return {t: label for t, label in TAG_LABELS.items() if t in shown}


def _notice(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    """What a bulk action that just ran did (it redirects here with these parameters)."""
    params = request.query_params
    if params.get("changed") is None or params.get("op") not in ("add", "remove"):
        return None
    try:
        changed = int(params["changed"])
    except ValueError:
        return None
    return {"op": params["op"], "changed": changed, "tag": params.get("bulk_tag", "")}


@get(PATH, guards=[page_requires("meihao.resident.read")])
async def register_list(request: Request[Any, Any, Any]) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    query = ListQuery.read(request, KEYS)
    filters = _filters(query)
    result = await residents.list_residents(mh, filters, query.page, PAGE_SIZE, principal)
    return render_page(
        request, "register/list.html",
        query=query, rows=await _present(result["items"]), total=result["total"],
        pager=pager(query, PATH, result["total"], PAGE_SIZE),
        facets=await _facets(mh, query, filters, principal),
        views=await list_views(principal, AREA),
        tag_labels=TAG_LABELS, notice=_notice(request), bulk_tags=_settable_tags(mh, principal),
    )


# -- one resident, their household and building --------------------------------


@get(f"{PATH}/residents/{{resident_id:int}}", guards=[page_requires("meihao.resident.read")])
async def resident_page(request: Request[Any, Any, Any], resident_id: PathId) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    resident = await residents.get_resident(resident_id, principal, mh, audit_read=True)  # 404 outside the scope, as for none
    household = await get_household(resident["household_id"], principal)
    building = await get_building(resident["building_id"], principal)
    grid = (await _names(Grid, [resident["grid_id"]], Grid.name, Grid.code))[resident["grid_id"]]
    community = (await _names(Community, [building["community"]], Community.name))[building["community"]]
    members = await residents.list_residents(mh, residents.ResidentFilter(household_id=household["id"]), 1, 50, principal)
    return render_page(
        request, "register/resident.html",
        resident=resident, household=household, building=building, grid=grid, community=community,
        members=[m for m in members["items"] if m["id"] != resident_id],
        preferences=await recipients.preferences("resident", resident_id),
        tag_labels=TAG_LABELS, fields=FIELDS, residence_labels=RESIDENCE_LABELS, relation_labels=RELATION_LABELS,
    )


async def _reveal_form(request: Request[Any, Any, Any], resident_id: int, field: str, reason: str = "", error: str = "",
                       status_code: int = 200) -> Response[Any]:
    resident = await residents.get_resident(resident_id, page_user(request), _mh(request))
    return render_page(
        request, "register/reveal.html", status_code=status_code, resident=resident, field=field, fields=FIELDS,
        reason=reason, error=error, value=None, min_length=_mh(request).settings.reveal_reason_min_length,
    )


@get(f"{PATH}/residents/{{resident_id:int}}/reveal", guards=[page_requires("meihao.resident.read", "meihao.resident.reveal")])
async def reveal_form(request: Request[Any, Any, Any], resident_id: PathId) -> Response[Any]:
    field = request.query_params.get("field", "phone")
    if field not in residents.REVEALABLE:
        raise InvalidInput("field: must be id_card or phone", field="field")
    return await _reveal_form(request, resident_id, field)


@post(f"{PATH}/residents/{{resident_id:int}}/reveal", guards=[page_requires("meihao.resident.read", "meihao.resident.reveal")])
async def reveal(request: Request[Any, Any, Any], resident_id: PathId, data: Form) -> Response[Any]:
    """The clear value, once, on a page no cache keeps; the same service (and audit row) as ``POST /api/residents/{id}/reveal``."""
    mh, principal = _mh(request), page_user(request)
    field, reason = data.get("field", ""), data.get("reason", "")
    if field not in residents.REVEALABLE:
        raise InvalidInput("field: must be id_card or phone", field="field")
    try:
        value = await residents.reveal(mh, resident_id, field, reason, principal)
    except InvalidInput as err:
        if err.field != "reason":
            raise
        return await _reveal_form(request, resident_id, field, reason, "short", status_code=400)
    resident = await residents.get_resident(resident_id, principal, mh)
    response = render_page(request, "register/reveal.html", resident=resident, field=field, fields=FIELDS, reason=reason.strip(),
                           error="", value=value, min_length=mh.settings.reveal_reason_min_length)
    response.headers["Cache-Control"] = "no-store"
    return response


@get(f"{PATH}/households/{{household_id:int}}", guards=[page_requires("meihao.resident.read", "meihao.register.read")])
async def household_page(request: Request[Any, Any, Any], household_id: PathId) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    household = await get_household(household_id, principal)
    building = await get_building(household["building"], principal)
    members = await residents.list_residents(mh, residents.ResidentFilter(household_id=household_id), 1, 50, principal)
    return render_page(request, "register/household.html", household=household, building=building,
                       members=await _present(members["items"]), tag_labels=TAG_LABELS)


@get(f"{PATH}/buildings/{{building_id:int}}", guards=[page_requires("meihao.resident.read", "meihao.register.read")])
async def building_page(request: Request[Any, Any, Any], building_id: PathId) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    building = await get_building(building_id, principal)
    households = await list_households(building_id, principal)
    in_building = residents.ResidentFilter(building_id=building_id)
    counts = await residents.facet_counts(mh, in_building, principal, "tag")
    per_household = await residents.facet_counts(mh, in_building, principal, "household")
    grid = (await _names(Grid, [building["grid"]], Grid.name))[building["grid"]]
    return render_page(
        request, "register/building.html", building=building, grid=grid, households=households, per_household=per_household,
        total=sum(per_household.values()), tags=sorted(counts.items()), tag_labels=TAG_LABELS,
        list_href=ListQuery(KEYS).href(PATH, grid=building["grid"], building=building_id),
    )


# -- bulk actions on everything the filter matches -----------------------------

BULK = page_requires("meihao.resident.read", "meihao.resident.write")


async def _bulk(mh: Meihao, principal: Any, query: ListQuery, values: Any, posted: bool) -> tuple[BulkAction, str, str]:
    """The bulk step (its count: the residents the tag would change now, in the viewer's scope), the tag, and ``"tag"``
    when the tag is malformed (nothing then changes)."""
    filters = _filters(query)
    tag = str(values.get("bulk_tag", "")).strip()
    op = str(values.get("op", ""))
    error = ""

    async def changing() -> int:
        nonlocal error
        try:
            return await residents.tag_matching(mh, filters, tag, add=op == "add", principal=principal, dry_run=True)
        except InvalidInput as err:
            if err.field != "tag" or posted:
                raise
            error = "tag"
            return 0

    try:
        bulk = await bulk_action(query, op, ("add", "remove"), changing, values if posted else None)
    except InvalidInput as err:
        if err.field == "action":
            raise InvalidInput("op: must be add or remove", field="op") from None
        raise
    return bulk, tag, error


async def _bulk_page(request: Request[Any, Any, Any], query: ListQuery, bulk: BulkAction, tag: str, error: str) -> Response[Any]:
    mh, principal = _mh(request), page_user(request)
    matching = await residents.count_residents(mh, _filters(query), principal)
    status = 400 if error else bulk.status_code
    return render_page(request, "register/bulk.html", status_code=status, query=query, bulk=bulk, tag=tag, error=error,
                       matching=matching, tag_labels=TAG_LABELS, described=await _describe(query))


@get(f"{PATH}/bulk", guards=[BULK])
async def bulk_confirm(request: Request[Any, Any, Any]) -> Response[Any]:
    """How many residents the filter matches and how many the action would change, before anything changes."""
    query = ListQuery.read(request, KEYS)
    bulk, tag, error = await _bulk(_mh(request), page_user(request), query, request.query_params, posted=False)
    return await _bulk_page(request, query, bulk, tag, error)


@post(f"{PATH}/bulk", guards=[BULK])
async def bulk_apply(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    """Apply it to what the filter matches now; when that is no longer the number confirmed, confirm again (409)."""
    mh, principal = _mh(request), page_user(request)
    query = ListQuery.parse(dict(data), KEYS)
    bulk, tag, error = await _bulk(mh, principal, query, data, posted=True)
    if bulk.stale:
        return await _bulk_page(request, query, bulk, tag, error)
    changed = await residents.tag_matching(mh, _filters(query), tag, add=bulk.action == "add", principal=principal)
    back = query.encode()
    notice = f"changed={changed}&op={bulk.action}&bulk_tag={tag}"
    return Redirect(f"{PATH}?{back + '&' if back else ''}{notice}", status_code=303)


# -- spreadsheets of what the list shows ---------------------------------------


async def _export(request: Request[Any, Any, Any], kind: str) -> tuple[Any, str]:
    mh, principal = _mh(request), page_user(request)
    filters = _filters(ListQuery.read(request, KEYS))
    residents.check_sensitive_tags([filters.tag] if filters.tag else None, residents.tag_rules(mh), principal, "tag")
    await filters.where(mh.settings.default_timezone)  # a bad filter fails before anything is written
    await residents.audit_export(mh, filters, principal, format=kind)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return residents.export_rows(mh, filters, principal), f"residents-{stamp}.{kind}"


@get(f"{PATH}/export.csv", guards=[page_requires("meihao.resident.read", "meihao.resident.export")])
async def export_csv(request: Request[Any, Any, Any]) -> Stream:
    rows, filename = await _export(request, "csv")
    return csv_download(rows, filename)


@get(f"{PATH}/export.xlsx", guards=[page_requires("meihao.resident.read", "meihao.resident.export")])
async def export_xlsx(request: Request[Any, Any, Any]) -> Response[Any]:
    rows, filename = await _export(request, "xlsx")
    return await xlsx_download(rows, filename, sheet="residents")


HANDLERS = [
    register_list, resident_page, reveal_form, reveal, household_page, building_page,
    *saved_view_handlers(PATH, AREA, KEYS, "meihao.resident.read", check=_filters),
    bulk_confirm, bulk_apply, export_csv, export_xlsx,
]
