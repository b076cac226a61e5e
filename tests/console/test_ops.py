"""Operations (/ops) in process: jobs and their runs, nodes, the audit log with filters and pages; street admins only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
import pytest_asyncio

from meihao.access.tables import AuditLog
from meihao.scheduling.tables import JobRun, Node
from meihao.testing import SceneWorld, make_page_client


def h1(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html)


def html_text(fragment: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip())


def cells(html: str, table: str = "") -> list[list[str]]:
    """The body rows of the page's tables (or the one whose class is ``table``), as texts."""
    bodies = re.findall(r"<table" + (f' class="{table}"' if table else "") + r">.*?<tbody>(.*?)</tbody>", html, re.S)
    rows = []
    for body in bodies:
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            rows.append([html_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)])
    return rows


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    return await SceneWorld.build(meihao)


async def test_jobs_with_their_runs_and_the_nodes(world):
    now = datetime.now(timezone.utc)
    await JobRun.insert(
        JobRun(schedule_id="meihao:meihao.reminders.digest", job_id="meihao.reminders.digest", started_at=datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc),
               finished_at=datetime(2026, 3, 2, 1, 0, 2, tzinfo=timezone.utc), outcome="success"),
        JobRun(schedule_id="meihao:meihao.reminders.digest", job_id="meihao.reminders.digest", started_at=datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc),
               finished_at=datetime(2026, 3, 2, 2, 0, 1, tzinfo=timezone.utc), outcome="error", error="OperationalError: database is locked"),
    )
    await Node.insert(
        Node(node_id="web-1", role="web", host="elsewhere.example", pid=4242, version="1.0", boot="a", started_at=now, last_seen=now),
        Node(node_id="old-worker", role="scheduler", host="elsewhere.example", pid=4343, version="1.0", boot="b",
             started_at=now - timedelta(days=2), last_seen=now - timedelta(days=1)),
    )
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        page = await client.get("/ops")
    assert (page.status_code, h1(page.text)) == (200, ["运维"])
    rows = cells(page.text)
    jobs = [r for r in rows if len(r) == 5]
    assert [r[0].split(" ")[0] for r in jobs] == ["meihao.forget_old_job_runs", "meihao.reminders.digest", "meihao.workitems.check",
                                                     "service.hotline_replies"]
    assert [r[1:3] for r in jobs] == [["全街道", "每天 03:17"], ["全街道", "每小时整点"], ["全街道", "每 5 分钟"],
                                      ["全街道", "每 1 分钟"]]
    # the newest run first, in Shanghai time, its error beside it
    assert jobs[1][4] == "2026-03-02 10:00 · 失败 OperationalError: database is locked 2026-03-02 09:00 · 成功"
    assert jobs[0][4] == "尚未运行"
    nodes = [r for r in rows if len(r) == 6]
    assert [(r[0], r[1], r[2], r[5]) for r in nodes] == [
        ("web-1", "网页", "elsewhere.example · 4242", "在线"),
        ("old-worker", "调度", "elsewhere.example · 4343", "无心跳"),
    ]
    assert '<span class="value">1</span><span class="label">上次运行失败的任务</span>' in page.text
    # no live node runs the scheduler: said in red
    assert re.findall(r'class="alert" role="alert">(.*?)</p>', page.text) == [
        "没有在线节点运行调度器：定时任务和提醒都在等待（请启动 meihao worker，或以 both 角色运行 meihao serve）。"]


@pytest.mark.parametrize("who", ["community_admin", "grid_worker"])
async def test_staff_of_a_community_or_grid_get_the_403_page(world, who):
    async with make_page_client(world.mh, world.staff[who]["id"]) as client:
        for path in ("/ops", "/ops/audit", "/ops/audit?action=meihao.resident.reveal"):
            page = await client.get(path)
            assert (page.status_code, h1(page.text)) == (403, ["无权访问"]), path
        # nor is it in their menu
        assert 'href="/ops"' not in (await client.get("/")).text


async def test_the_street_admin_sees_operations_in_the_menu(world):
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        assert '<a href="/ops">运维</a>' in (await client.get("/")).text


async def _log(world, when: datetime, action: str, who: str, target: str = "", **fields) -> None:
    staff = world.staff[who]
    await AuditLog.insert(AuditLog(at=when, staff=staff["id"], actor=staff["name"], action=action, target_type="resident",
                                   target_id=target, community=world.community.id, **fields))


async def test_the_audit_log_filtered_by_action_staff_and_days(world):
    shanghai = world.tz
    await _log(world, datetime(2026, 3, 1, 23, 59, tzinfo=shanghai), "meihao.resident.reveal", "community_admin", "7", reason="核实低保申请",
               detail='{"field": "phone"}')
    await _log(world, datetime(2026, 3, 2, 0, 0, tzinfo=shanghai), "meihao.resident.update", "grid_worker", "7")
    await _log(world, datetime(2026, 3, 2, 9, 30, tzinfo=shanghai), "meihao.resident.reveal", "street_admin", "8", reason="走访核对")
    await _log(world, datetime(2026, 3, 3, 0, 0, tzinfo=shanghai), "meihao.resident.reveal", "community_admin", "9", reason="家属来电")
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        page = await client.get("/ops/audit?action=meihao.resident.reveal")
        assert (page.status_code, h1(page.text)) == (200, ["操作日志"])
        assert cells(page.text, "audit") == [
            ["2026-03-03 00:00", "郑主任", "meihao.resident.reveal", "resident #9", "hepan", "家属来电"],
            ["2026-03-02 09:30", "街道管理员", "meihao.resident.reveal", "resident #8", "hepan", "走访核对"],
            ["2026-03-01 23:59", "郑主任", "meihao.resident.reveal", "resident #7", "hepan", '核实低保申请 {"field": "phone"}'],
        ]
        assert re.findall(r'<p role="status">共 (\d+) 条', page.text) == ["3"]
        # one local day: 2 March from midnight to midnight in Shanghai
        day = await client.get("/ops/audit?since=2026-03-02&until=2026-03-02")
        assert [r[2] for r in cells(day.text, "audit")] == ["meihao.resident.reveal", "meihao.resident.update"]
        mine = await client.get(f"/ops/audit?staff={world.staff['community_admin']['id']}&action=meihao.resident.reveal&since=2026-03-02")
        assert [r[3] for r in cells(mine.text, "audit")] == ["resident #9"]
        assert f'<option value="{world.staff["community_admin"]["id"]}" selected>郑主任' in mine.text
        nothing = await client.get("/ops/audit?action=meihao.nothing")
        assert cells(nothing.text, "audit") == [["没有符合筛选条件的记录。"]]


@pytest.mark.parametrize(("query", "field", "message"), [
    ("since=2026-13-01", "since", "请按 年-月-日（YYYY-MM-DD）填写日期。"),
    ("until=yesterday", "until", "请按 年-月-日（YYYY-MM-DD）填写日期。"),
    ("since=2026-03-05&until=2026-03-04", "until", "结束日期不能早于开始日期。"),
    ("staff=abc", "staff", "请从列表中选择工作人员。"),
])
async def test_a_bad_audit_filter_is_a_400_with_the_message_at_its_field(world, query, field, message):
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        page = await client.get(f"/ops/audit?{query}")
    assert page.status_code == 400
    assert re.findall(r'<p class="error" id="f-(\w+)-note">(.*?)</p>', page.text) == [(field, message)]
    assert 'class="audit"' not in page.text


async def test_the_audit_log_in_pages_of_fifty_keeping_the_filters(world):
    start = datetime(2026, 3, 2, 8, 0, tzinfo=world.tz)
    await AuditLog.insert(*[
        AuditLog(at=start + timedelta(minutes=i), staff=world.staff["grid_worker"]["id"], actor="陈网格", action="meihao.resident.read",
                 target_type="resident", target_id=str(i), community=world.community.id)
        for i in range(53)
    ])
    async with make_page_client(world.mh, world.staff["street_admin"]["id"]) as client:
        first = await client.get("/ops/audit?action=meihao.resident.read")
        assert len(cells(first.text, "audit")) == 50
        assert "第 1 页，共 2 页" in first.text
        assert 'href="/ops/audit?action=meihao.resident.read&amp;page=2"' in first.text
        second = await client.get("/ops/audit?action=meihao.resident.read&page=2")
        assert [r[3] for r in cells(second.text, "audit")] == ["resident #2", "resident #1", "resident #0"]
        assert 'href="/ops/audit?action=meihao.resident.read&amp;page=1"' in second.text
