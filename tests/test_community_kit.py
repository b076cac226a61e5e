"""The community as plugins receive it (CommunityInfo), time in the community, paging, and the route dependency aliases."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from litestar import get
from litestar.di import NamedDependency

from meihao import (
    Caller,
    CommunityInfo,
    CurrentCommunity,
    FakeClock,
    InvalidInput,
    Job,
    Meihao,
    Metric,
    NotFound,
    Page,
    PageNumber,
    PageSize,
    Runtime,
    Scenario,
    community_now,
    community_today,
    get_community,
    hookimpl,
    paginate,
)
from meihao.scheduling.scheduler import Scheduler
from meihao.tables import Community, Grid
from meihao.testing import Factories, make_client

# -- CommunityInfo ---------------------------------------------------------------------------


async def test_get_community_answers_a_community_info(factories):
    await factories.community("hepan", name="荷畔社区", brand_name="美好社区", brand_slogan="美好生活", timezone="Asia/Urumqi")
    community = await get_community("hepan")
    assert isinstance(community, CommunityInfo)
    assert (community.slug, community.name, community.brand_name, community.brand_slogan, community.timezone) == (
        "hepan", "荷畔社区", "美好社区", "美好生活", "Asia/Urumqi",
    )
    assert community.id == (await Community.select(Community.id).where(Community.slug == "hepan").first())["id"]
    assert community.tz == ZoneInfo("Asia/Urumqi")
    with pytest.raises(NotFound, match="community 'nowhere' not found"):
        await get_community("nowhere")


def test_community_info_is_frozen_and_still_reads_like_the_old_dict_for_one_release():
    community = CommunityInfo(id=7, slug="hepan", name="荷畔社区")
    assert (community.brand_name, community.brand_slogan, community.timezone) == ("", "", "Asia/Shanghai")
    with pytest.raises(AttributeError):
        community.slug = "other"  # type: ignore[misc]
    assert (community["id"], community["slug"], community.get("brand_name"), community.get("settings", "-")) == (7, "hepan", "", "-")
    with pytest.raises(KeyError):
        community["settings"]
    assert dict(community) == {"id": 7, "slug": "hepan", "name": "荷畔社区", "brand_name": "", "brand_slogan": "", "timezone": "Asia/Shanghai"}
    assert msgspec.json.decode(msgspec.json.encode(community), type=CommunityInfo) == community


# -- time in the community -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "zone", "today", "local"),
    [
        # Shanghai is UTC+8: its day begins at 16:00 UTC the day before
        (datetime(2026, 3, 1, 15, 59, 59), "Asia/Shanghai", date(2026, 3, 1), "2026-03-01T23:59:59+08:00"),
        (datetime(2026, 3, 1, 16, 0, 0), "Asia/Shanghai", date(2026, 3, 2), "2026-03-02T00:00:00+08:00"),
        # New York in winter is UTC-5: its day begins at 05:00 UTC
        (datetime(2026, 3, 2, 4, 59, 59), "America/New_York", date(2026, 3, 1), "2026-03-01T23:59:59-05:00"),
        (datetime(2026, 3, 2, 5, 0, 0), "America/New_York", date(2026, 3, 2), "2026-03-02T00:00:00-05:00"),
    ],
)
async def test_community_now_and_today_follow_the_clock_in_the_communitys_zone(meihao, utc, zone, today, local):
    meihao.clock = FakeClock(utc.replace(tzinfo=timezone.utc))
    community = CommunityInfo(id=1, slug="x", name="X", timezone=zone)
    now = community_now(meihao, community)
    assert (now.isoformat(), now.tzinfo) == (local, ZoneInfo(zone))
    assert community_today(meihao, community) == today


# -- paging ----------------------------------------------------------------------------------


@pytest.fixture
async def paged(make_meihao):
    mh = await make_meihao(max_page_size=4, default_page_size=3)
    f = Factories(mh)
    for n in range(1, 11):
        await f.community(f"c{n:02d}")
    return mh


async def test_paginate_pages_a_query_within_the_kernels_limits(paged):
    query = lambda: Community.select(Community.slug).order_by(Community.id)  # noqa: E731 (paginate changes the query it runs)
    first = await paginate(paged, query())
    assert ([r["slug"] for r in first.rows], first.total, first.page, first.page_size) == (["c01", "c02", "c03"], 10, 1, 3)
    capped = await paginate(paged, query(), page=2, page_size=1000)
    assert ([r["slug"] for r in capped.rows], capped.total, capped.page_size) == (["c05", "c06", "c07", "c08"], 10, 4)
    last = await paginate(paged, query(), page=3, page_size=4)
    assert [r["slug"] for r in last.rows] == ["c09", "c10"]
    beyond = await paginate(paged, query(), page=4, page_size=4)
    assert (beyond.rows, beyond.total) == ([], 10)
    one = await paginate(paged, query(), page=10, page_size=1)
    assert [r["slug"] for r in one.rows] == ["c10"]
    assert await paginate(paged, query(), page=10**9) is not None
    answer = first.page_of([r["slug"].upper() for r in first.rows])
    assert msgspec.to_builtins(answer) == {"items": ["C01", "C02", "C03"], "total": 10, "page": 1, "page_size": 3}


async def test_paginate_counts_what_the_query_selects_joins_and_filters_included(paged):
    f = Factories(paged)
    for code in ("A", "B", "C"):
        await f.grid("c02", code=code)
    await f.grid("c03", code="A")
    query = Grid.select(Grid.code).where(Grid.community.slug == "c02").order_by(Grid.id)
    result = await paginate(paged, query, page=2, page_size=2)
    assert ([r["code"] for r in result.rows], result.total) == (["C"], 3)


@pytest.mark.parametrize(("page", "page_size", "field"), [(0, None, "page"), (-1, 3, "page"), (10**9 + 1, 3, "page"), (1, 0, "page_size"), (1, -5, "page_size")])
async def test_paginate_refuses_pages_outside_the_limits_naming_the_field(paged, page, page_size, field):
    with pytest.raises(InvalidInput) as caught:
        await paginate(paged, Community.select().order_by(Community.id), page=page, page_size=page_size)
    assert caught.value.field == field and caught.value.message.startswith(f"{field}: ")


# -- what plugins receive ---------------------------------------------------------------------

#: (where, type of the community received)
SEEN: list[tuple[str, str]] = []


class RiddleOut(msgspec.Struct):
    slug: str


@get("/probe")
async def probe_route(community: CurrentCommunity, principal: Caller, meihao: Runtime) -> dict[str, Any]:
    SEEN.append(("route", type(community).__name__))
    return {"slug": community.slug, "principal": principal.name, "runtime": type(meihao).__name__}


@get("/legacy")
async def legacy_route(community: NamedDependency[dict[str, Any]]) -> dict[str, Any]:
    """A route written before CommunityInfo: annotated as the row's dict, it still gets one."""
    return {"type": type(community).__name__, "slug": community["slug"]}


@get("/paged")
async def paged_route(meihao: Runtime, page: PageNumber = 1, page_size: PageSize = None) -> Page[RiddleOut]:
    result = await paginate(meihao, Community.select(Community.slug).order_by(Community.id), page=page, page_size=page_size)
    return result.page_of([RiddleOut(**r) for r in result.rows])


def record(where: str, community: Any) -> None:
    SEEN.append((where, type(community).__name__))


async def probe_job(meihao: Meihao, community: CommunityInfo) -> None:
    record("job", community)


class Probe:
    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="probe", title_zh="探针", title_en="Probe", scene="neighbourhood", version="1.0")

    @hookimpl
    def meihao_route_handlers(self) -> list[Any]:
        return [probe_route, legacy_route, paged_route]

    @hookimpl
    def meihao_jobs(self) -> list[Job]:
        return [Job("probe.tick", probe_job, ("interval", {"minutes": 5}), per_community=True)]

    @hookimpl
    def meihao_community_enabled(self, community: CommunityInfo, scenario: str) -> None:
        if scenario == "probe":
            record("enabled", community)

    @hookimpl
    def meihao_community_disabled(self, community: CommunityInfo, scenario: str) -> None:
        if scenario == "probe":
            record("disabled", community)

    @hookimpl
    def meihao_metrics(self, community: CommunityInfo) -> list[Metric]:
        record("metrics", community)
        return [Metric("slug_length", "长度", "Length", len(community.slug))]


async def test_hooks_jobs_and_routes_receive_a_community_info(make_meihao):
    SEEN.clear()
    mh = await make_meihao(plugins=[("probe", Probe())])
    await Factories(mh).community("hepan")
    async with make_client(mh) as client:
        assert (await client.put("/api/communities/hepan/scenarios/probe", json={"settings": {}})).status_code == 200
        routed = await client.get("/api/communities/hepan/probe/probe")
        assert routed.json() == {"slug": "hepan", "principal": "街道管理员", "runtime": "Meihao"}
        assert (await client.get("/api/communities/hepan/probe/legacy")).json() == {"type": "dict", "slug": "hepan"}
        dashboard = await client.get("/api/communities/hepan/dashboard")
        assert [(m["key"], m["value"]) for m in dashboard.json()] == [("slug_length", 5)]
        scheduler = Scheduler(mh)
        scheduler._jobs = {job.id: (plugin, job) for plugin, job in mh.plugins.jobs()}  # as _open() registers them
        await scheduler.execute("probe.tick", "hepan")
        assert (await client.delete("/api/communities/hepan/scenarios/probe")).status_code == 200
    assert SEEN == [
        ("enabled", "CommunityInfo"), ("route", "CommunityInfo"), ("metrics", "CommunityInfo"), ("job", "CommunityInfo"),
        ("disabled", "CommunityInfo"),
    ]


async def test_a_generic_page_is_documented_as_its_own_schema_and_pages_like_the_kernels_lists(make_meihao):
    mh = await make_meihao(plugins=[("probe", Probe())], max_page_size=4, default_page_size=3)
    f = Factories(mh)
    for n in range(1, 6):
        await f.community(f"c{n}")
    async with make_client(mh) as client:
        await client.put("/api/communities/c1/scenarios/probe", json={"settings": {}})
        page = await client.get("/api/communities/c1/probe/paged", params={"page": 2, "page_size": 2})
        assert page.json() == {"items": [{"slug": "c3"}, {"slug": "c4"}], "total": 5, "page": 2, "page_size": 2}
        assert (await client.get("/api/communities/c1/probe/paged")).json()["page_size"] == 3
        assert (await client.get("/api/communities/c1/probe/paged", params={"page_size": 99})).json()["page_size"] == 4
        for params, field in (({"page": 0}, "page"), ({"page_size": 0}, "page_size"), ({"page": 10**9 + 1}, "page")):
            refused = await client.get("/api/communities/c1/probe/paged", params=params)
            assert (refused.status_code, refused.json()["field"]) == (400, field)
        schema = (await client.get("/schema")).json()
    ref = schema["paths"]["/api/communities/{slug}/probe/paged"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert component["title"] == "Page[RiddleOut]"
    assert set(component["required"]) == {"items", "total", "page", "page_size"}
    assert component["properties"]["items"]["items"]["$ref"].endswith("RiddleOut")
    residents = schema["paths"]["/api/residents"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schema["components"]["schemas"][residents.rsplit("/", 1)[1]]["title"] == "Page[ResidentOut]"
