"""The audit log's list tools (/ops/audit) in process: counts per action, staff member and date range (the street's local days,
at their boundaries), CSV/Excel export of the whole filter, bad filters, street admins only."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
import pytest_asyncio
from openpyxl import load_workbook

from meihao.access.tables import AuditLog
from meihao.testing import SceneWorld, make_page_client


def facet(page: str, name: str) -> dict[str, int]:
    found = re.search(rf'<nav class="facet" aria-labelledby="facet-{name}">(.*?)</nav>', page, re.S)
    if found is None:
        return {}
    return {label: int(n) for label, n in re.findall(r'>([^<>]+?) <span class="count">(\d+)</span>', found.group(1))}


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    """The clock stands on Monday 2 March 2026, 08:00 in Shanghai; seven audit rows around the date ranges' edges."""
    world = await SceneWorld.build(meihao)
    await AuditLog.delete(force=True)  # only the rows below
    tz = world.tz
    for when, action, who, target in (
        (datetime(2026, 1, 31, 23, 59, tzinfo=tz), "meihao.resident.update", "grid_worker", "1"),  # the day before the last 30 days
        (datetime(2026, 2, 1, 0, 0, tzinfo=tz), "meihao.resident.update", "grid_worker", "2"),  # the first of the last 30 days
        (datetime(2026, 2, 23, 23, 59, tzinfo=tz), "meihao.resident.reveal", "community_admin", "3"),  # the day before the last 7 days
        (datetime(2026, 2, 24, 0, 0, tzinfo=tz), "meihao.resident.reveal", "community_admin", "4"),  # the first of the last 7 days
        (datetime(2026, 3, 1, 23, 59, tzinfo=tz), "meihao.resident.reveal", "community_admin", "5"),  # yesterday
        (datetime(2026, 3, 2, 0, 0, tzinfo=tz), "meihao.resident.update", "grid_worker", "6"),  # today
        (datetime(2026, 3, 2, 7, 59, tzinfo=tz), "meihao.resident.reveal", "street_admin", "=cmd|' /C calc'!A0"),  # today
    ):
        staff = world.staff[who]
        await AuditLog.insert(AuditLog(at=when, staff=staff["id"], actor=staff["name"], action=action, target_type="resident",
                                       target_id=target, community=world.community.id))
    return world


async def test_counts_per_action_staff_member_and_date_range(world):
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        page = await client.get("/ops/audit")
        assert page.status_code == 200
        assert facet(page.text, "action") == {"meihao.resident.reveal": 4, "meihao.resident.update": 3}
        assert facet(page.text, "staff") == {"街道管理员": 1, "郑主任": 3, "陈网格": 3}
        assert facet(page.text, "days") == {"今天": 2, "近 7 天": 4, "近 30 天": 6}
        reveals = await client.get("/ops/audit?action=meihao.resident.reveal")
        assert facet(reveals.text, "staff") == {"街道管理员": 1, "郑主任": 3}
        assert facet(reveals.text, "days") == {"今天": 1, "近 7 天": 3, "近 30 天": 4}
        assert facet(reveals.text, "action") == {"meihao.resident.reveal": 4, "meihao.resident.update": 3}
        week = await client.get("/ops/audit?since=2026-02-24&until=2026-03-02")
        assert facet(week.text, "action") == {"meihao.resident.reveal": 3, "meihao.resident.update": 1}
        assert re.findall(r'<a href="(/ops/audit\?since=[^"]+)" aria-current="true"', week.text) == [
            "/ops/audit?since=2026-02-24&amp;until=2026-03-02"]
        worker = world.staff["grid_worker"]["id"]
        mine = await client.get(f"/ops/audit?staff={worker}&since=2026-02-01&until=2026-03-02")
        assert re.findall(r'<p role="status">共 (\d+) 条', mine.text) == ["2"]


async def test_export_is_the_whole_filter_newest_first(world):
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        page = await client.get("/ops/audit?action=meihao.resident.reveal")
        assert 'href="/ops/audit/export.csv?action=meihao.resident.reveal"' in page.text
        exported = await client.get("/ops/audit/export.csv?action=meihao.resident.reveal")
        assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
        lines = exported.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "id,at,actor,action,target_type,target_id,community,address,reason,detail"
        assert [line.split(",")[1:6] for line in lines[1:]] == [
            ["2026-03-02 07:59:00", "街道管理员", "meihao.resident.reveal", "resident", "'=cmd|' /C calc'!A0"],
            ["2026-03-01 23:59:00", "郑主任", "meihao.resident.reveal", "resident", "5"],
            ["2026-02-24 00:00:00", "郑主任", "meihao.resident.reveal", "resident", "4"],
            ["2026-02-23 23:59:00", "郑主任", "meihao.resident.reveal", "resident", "3"],
        ]
        book = await client.get("/ops/audit/export.xlsx?since=2026-03-02&until=2026-03-02")
        sheet = load_workbook(io.BytesIO(book.content)).active
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        assert cells[0][:3] == ["id", "at", "actor"]
        assert [r[5] for r in cells[1:]] == ["'=cmd|' /C calc'!A0", "6"]
    exports = await AuditLog.select(AuditLog.action).where(AuditLog.action == "meihao.audit.export")
    assert len(exports) == 2


@pytest.mark.parametrize(("query", "message"), [
    ("since=2026-13-01", "since: a date as YYYY-MM-DD"),
    ("staff=abc", "staff: a staff member&#39;s id"),
    ("since=2026-03-05&until=2026-03-04", "until: not before since"),
])
async def test_a_bad_export_filter_is_a_400_naming_the_field(world, query, message):
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        page = await client.get(f"/ops/audit/export.csv?{query}")
    assert page.status_code == 400
    assert f'<p class="alert">{message}</p>' in page.text


@pytest.mark.parametrize("who", ["community_admin", "grid_worker"])
async def test_only_street_admins_export_the_audit_log(world, who):
    async with make_page_client(world.mh, world.staff[who]["id"]) as client:
        assert (await client.get("/ops/audit/export.csv")).status_code == 403
        assert (await client.get("/ops/audit/export.xlsx")).status_code == 403
