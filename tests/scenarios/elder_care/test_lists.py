"""The elders list (visits due) with the console's list kit, in process: counts per visit state, grid, care level, age band and
living alone scoped like the API (literal numbers per role), saved views, CSV/Excel export of what is shown (nothing sensitive),
naming the responsible visitor of every elder a filter matches (confirmation count, stale count, scope), bad filters.

The world is test_pages' (Monday 2 March 2026): 王秀英 (A, 85, lives alone, high risk, overdue), 陈淑珍 (A, 77, general, overdue
by a day), 张伟 (A, 69, general, due today), 孙玉兰 (A, 81, key, due 5 Mar: the last day of "soon"), 周德明 (A, 75, general,
due 6 Mar: not due yet) and 赵桂兰 (B, 81, lives alone, high risk, due 3 Mar)."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from meihao.access.tables import AuditLog
from meihao.scenarios.elder_care.tables import Elder
from meihao.testing import form_token, make_page_client
from tests.scenarios.elder_care import test_pages

BASE = "/c/yajuyuan/elder_care"
LIST = f"{BASE}/due"
y = test_pages.y


def facet(page: str, name: str) -> dict[str, int]:
    found = re.search(rf'<nav class="facet" aria-labelledby="facet-{name}">(.*?)</nav>', page, re.S)
    if found is None:
        return {}
    return {label: int(n) for label, n in re.findall(r'>([^<>]+?) <span class="count">(\d+)</span>', found.group(1))}


def listed(page: str) -> list[str]:
    return re.findall(r'class="ec-name" href="[^"]+">([^<]+)</a>', page)


async def visitors() -> dict[str, str | None]:
    rows = await Elder.select(Elder.resident.name.as_alias("name"), Elder.visitor_staff.name.as_alias("visitor")).order_by(Elder.id)
    return {r["name"]: r["visitor"] for r in rows}


async def test_counts_per_facet_are_scoped_like_the_api(y):
    expected = {
        "community_admin": {
            "status": {"已逾期": 2, "今天应访": 1, "即将到期": 2, "未到探访时间": 1},
            "grid": {"雅居园一区": 4, "松龄苑": 1},
            "care_level": {"高风险": 2, "重点": 1, "一般": 2},
            "age": {"70岁以下": 1, "70至79岁": 1, "80至89岁": 3},
            "living_alone": {"独居": 2, "非独居": 3},
        },
        "grid_worker": {
            "status": {"已逾期": 2, "今天应访": 1, "即将到期": 1, "未到探访时间": 1},
            "grid": {"雅居园一区": 4},
            "care_level": {"高风险": 1, "重点": 1, "一般": 2},
            "age": {"70岁以下": 1, "70至79岁": 1, "80至89岁": 2},
            "living_alone": {"独居": 1, "非独居": 3},
        },
        "grid_worker_out": {
            "status": {"即将到期": 1}, "grid": {"松龄苑": 1}, "care_level": {"高风险": 1}, "age": {"80至89岁": 1}, "living_alone": {"独居": 1},
        },
    }
    for who, facets in expected.items():
        async with make_page_client(y.mh, y.staff[who]["id"]) as client:
            page = await client.get(LIST)
            assert page.status_code == 200
            assert {name: facet(page.text, name) for name in facets} == facets, who
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as client:
        later = await client.get(f"{LIST}?status=later")
        assert listed(later.text) == ["周德明"]
        assert facet(later.text, "care_level") == {"一般": 1}
        soon = await client.get(f"{LIST}?status=soon")  # 5 March is the last day of "soon", 6 March the first after it
        assert listed(soon.text) == ["孙玉兰"]
        old = await client.get(f"{LIST}?age=80-89&living_alone=no")
        assert listed(old.text) == ["孙玉兰"]
        assert facet(old.text, "status") == {"即将到期": 1}
        assert listed((await client.get(f"{LIST}?care_level=general")).text) == ["陈淑珍", "张伟"]


@pytest.mark.parametrize(("query", "message"), [
    ("status=done", "status: one of overdue, due_today, soon, later"),
    ("grid=x", "grid: must be a whole number"),
    ("living_alone=maybe", "living_alone: yes or no"),
    ("age=5-9", "age: one of 0-69, 70-79, 80-89, 90-"),
    ("care_level=vip", "care_level: one of high_risk, key, general"),
])
async def test_a_bad_filter_is_a_400_page_naming_the_field(y, query, message):
    async with make_page_client(y.mh, y.staff["community_admin"]["id"]) as client:
        for path in (LIST, f"{LIST}/export.xlsx"):
            page = await client.get(f"{path}?{query}")
            assert page.status_code == 400, path
            assert f'<p class="alert">{message}</p>' in page.text


async def test_naming_the_visitor_of_every_matching_elder(y):
    worker = y.staff["grid_worker"]["id"]
    async with make_page_client(y.mh, y.staff["community_admin"]["id"]) as client:
        page = await client.get(f"{LIST}?care_level=general")
        assert f'<option value="{worker}">陈网格</option>' in page.text
        missing = await client.get(f"{LIST}/bulk?care_level=general&action=assign")
        assert missing.status_code == 400 and "visitor_staff_id: choose the visitor" in missing.text
        confirm = await client.get(f"{LIST}/bulk?care_level=general&action=assign&visitor_staff_id={worker}")
        assert confirm.status_code == 200
        assert "有 2 位老人符合筛选条件。指定 陈网格 为他们的探访责任人吗？" in confirm.text
        token = await form_token(client, LIST)
        form = {"care_level": "general", "action": "assign", "visitor_staff_id": str(worker), "_csrf_token": token}
        stale = await client.post(f"{LIST}/bulk", data={**form, "expected": "3"})
        assert stale.status_code == 409 and "现在是 2 条，不是 3 条" in stale.text
        assert await visitors() == {"王秀英": "陈网格", "陈淑珍": "周兼职", "张伟": None, "孙玉兰": None, "周德明": None, "赵桂兰": None}
        done = await client.post(f"{LIST}/bulk", data={**form, "expected": "2"})
        assert done.status_code == 200
        assert "已将 陈网格 指定为 2 位老人的探访责任人。" in done.text
        # 周德明 (general, not due yet) is outside the filter's default (due now and soon): untouched
        assert await visitors() == {"王秀英": "陈网格", "陈淑珍": "陈网格", "张伟": "陈网格", "孙玉兰": None, "周德明": None, "赵桂兰": None}
        assert await AuditLog.count().where(AuditLog.action == "elder_care.elder.update") == 2
        again = await client.post(f"{LIST}/bulk", data={**form, "expected": "2"})
        assert re.findall(r"</a>: (.*?)</li>", again.text) == ["原本就是其责任人", "原本就是其责任人"]
    async with make_page_client(y.mh, y.staff["grid_worker_out"]["id"]) as other:
        # grid B's worker: every elder of theirs is one (赵桂兰), never grid A's
        confirm = await other.get(f"{LIST}/bulk?action=assign&visitor_staff_id={y.staff['grid_worker_out']['id']}")
        assert "有 1 位老人符合筛选条件。" in confirm.text
    async with make_page_client(y.mh, y.staff["part_time"]["id"]) as part_time:  # may record visits, not change the register
        assert (await part_time.get(f"{LIST}/bulk?action=assign&visitor_staff_id={worker}")).status_code == 403
        assert f'action="{LIST}/bulk"' not in (await part_time.get(LIST)).text


async def test_export_is_what_the_list_shows_and_nothing_sensitive(y):
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as client:
        page = await client.get(LIST)
        assert f'href="{LIST}/export.csv"' in page.text
        exported = await client.get(f"{LIST}/export.csv")
        assert exported.status_code == 200
        assert exported.content.startswith(b"\xef\xbb\xbf")
        lines = exported.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "id,name,gender,age,grid,care_level,living_alone,next_due_on,status,last_contact_on,visitor"
        rows = [line.split(",") for line in lines[1:]]
        assert [[r[1], *r[3:]] for r in rows] == [
            ["王秀英", "85", "雅居园一区", "high_risk", "yes", "2026-02-27", "overdue", "", "陈网格"],
            ["陈淑珍", "77", "雅居园一区", "general", "no", "2026-03-01", "overdue", "", "周兼职"],
            ["张伟", "69", "雅居园一区", "general", "no", "2026-03-02", "due_today", "", ""],
            ["孙玉兰", "81", "雅居园一区", "key", "no", "2026-03-05", "ok", "", ""],
        ]
        book = await client.get(f"{LIST}/export.xlsx?status=later")
        sheet = load_workbook(io.BytesIO(book.content)).active
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        assert cells[0][:2] == ["id", "name"] and [r[1] for r in cells[1:]] == ["周德明"]
    async with make_page_client(y.mh, y.staff["grid_worker_out"]["id"]) as other:
        lines = (await other.get(f"{LIST}/export.csv")).content.decode("utf-8-sig").splitlines()
        assert [line.split(",")[1] for line in lines[1:]] == ["赵桂兰"]
    assert await AuditLog.count().where(AuditLog.action == "elder_care.elder.export") == 3


async def test_a_saved_view_of_the_elders_list(y):
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as client:
        token = await form_token(client, LIST)
        saved = await client.post(f"{LIST}/views", data={"view_name": "独居超期", "living_alone": "yes", "status": "overdue", "_csrf_token": token})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{LIST}?living_alone=yes&status=overdue")
        page = await client.get(LIST)
        assert f'<a href="{LIST}?living_alone=yes&amp;status=overdue">独居超期</a>' in page.text
        assert listed((await client.get(f"{LIST}?living_alone=yes&status=overdue")).text) == ["王秀英"]
        assert (await client.post(f"{LIST}/views", data={"view_name": "坏", "age": "1-2", "_csrf_token": token})).status_code == 400
