"""The register (居民台账) in the console, in process: scoped rows and counts, the resident's page, reveal with a reason,
household and building views, saved views, bulk tagging with its confirmation, CSV/Excel export (masked, BOM), CSRF."""

from __future__ import annotations

import html as htmllib
import io
import re
from datetime import date
from urllib.parse import quote

import pytest

from meihao.access.tables import AuditLog
from meihao.register.tables import ResidentTag
from meihao.testing import Factories, form_token, make_page_client


def h1(page: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", page)


def names(page: str) -> list[str]:
    """The residents listed, in order (each row's name is the link to the resident)."""
    return re.findall(r'<th scope="row" data-label="[^"]*"><a href="/register/residents/\d+">(.*?)</a>', page)


def facet(page: str, name: str) -> dict[str, int]:
    """A facet's values with their counts."""
    found = re.search(rf'<nav class="facet" aria-labelledby="facet-{name}">(.*?)</nav>', page, re.S)
    if found is None:
        return {}
    return {label: int(n) for label, n in re.findall(r'>([^<>]+?) <span class="count">(\d+)</span>', found.group(1))}


def cell_texts(page: str, label: str) -> list[str]:
    return re.findall(rf'<td data-label="{label}"[^>]*>(.*?)</td>', page)


@pytest.fixture
async def hepan(meihao):
    """荷畔社区 with two grids: 一网格 (1号楼: rooms 101, 102) and 二网格 (2号楼: room 201); five residents;
    its community admin, and the grid worker of 一网格."""
    f = Factories(meihao)
    await f.community("hepan", name="荷畔社区")
    grid_a = await f.grid("hepan", "G01", "一网格")
    grid_b = await f.grid("hepan", "G02", "二网格")
    building_a = await f.building(grid_a["id"], "1号楼")
    building_b = await f.building(grid_b["id"], "2号楼")
    h101 = await f.household(building_a["id"], "101")
    h102 = await f.household(building_a["id"], "102")
    h201 = await f.household(building_b["id"], "201")
    people = [
        await f.resident(h101["id"], name="王秀英", birth_date=date(1950, 3, 1), tags=["living_alone"], phone="13800138001"),
        await f.resident(h101["id"], name="李建国", gender="male", birth_date=date(1948, 7, 2), tags=["party_member", "veteran"],
                         phone="13900139002"),
        await f.resident(h102["id"], name="张伟", gender="male", birth_date=date(1990, 1, 10), tags=["volunteer"], phone="13700137003"),
        await f.resident(h102["id"], name="赵敏", birth_date=date(2015, 6, 1), phone=""),
        await f.resident(h201["id"], name="陈芳", birth_date=date(1940, 2, 2), tags=["living_alone"], phone="13600136005"),
    ]
    admin = await f.staff("community_admin", community="hepan", name="社区管理员")
    worker = await f.staff("grid_worker", grid_id=grid_a["id"], name="网格员")
    return {
        "f": f, "admin": admin["id"], "worker": worker["id"], "grid_a": grid_a["id"], "grid_b": grid_b["id"],
        "building_a": building_a["id"], "building_b": building_b["id"], "h101": h101["id"], "h201": h201["id"],
        "people": {p["name"]: p for p in people},
    }


async def test_a_community_admin_sees_every_resident_with_counts_per_filter_value(meihao, hepan):
    async with make_page_client(meihao, hepan["admin"]) as client:
        page = await client.get("/register")
        assert (page.status_code, h1(page.text)) == (200, ["居民台账"])
        assert names(page.text) == ["王秀英", "李建国", "张伟", "赵敏", "陈芳"]
        assert '<h2 id="results-h">5 位居民' in page.text
        assert facet(page.text, "grid") == {"一网格": 4, "二网格": 1}
        # sensitive tags are counted for holders of meihao.resident.sensitive.read
        assert facet(page.text, "tag") == {"独居": 2, "党员": 1, "退役军人": 1, "志愿者": 1}
        assert facet(page.text, "age") == {"未满 18 岁": 1, "18–59 岁": 1, "60–79 岁": 2, "80 岁及以上": 1}
        assert cell_texts(page.text, "电话")[:2] == ["138****8001", "139****9002"]
        assert all(re.fullmatch(r"\*{14}\d{3}[\dX]", c) for c in cell_texts(page.text, "身份证号"))

        # a filter narrows the rows, and every other facet counts within it
        aged = await client.get("/register?min_age=60&max_age=79")
        assert names(aged.text) == ["王秀英", "李建国"]
        assert facet(aged.text, "grid") == {"一网格": 2}
        assert facet(aged.text, "tag") == {"独居": 1, "党员": 1, "退役军人": 1}
        # ...while the facet of the filter itself still offers its other values
        assert facet(aged.text, "age") == {"未满 18 岁": 1, "18–59 岁": 1, "60–79 岁": 2, "80 岁及以上": 1}
        by_grid = await client.get(f"/register?grid={hepan['grid_b']}")
        assert names(by_grid.text) == ["陈芳"]
        assert facet(by_grid.text, "grid") == {"一网格": 4, "二网格": 1}
        assert facet(by_grid.text, "building") == {"2号楼": 1}
        assert names((await client.get("/register?name=王")).text) == ["王秀英"]
        assert names((await client.get("/register?tag=party_member")).text) == ["李建国"]
        # the phone number is not searchable as text (the API does not allow it either)
        assert names((await client.get("/register?name=8001")).text) == []


async def test_a_grid_worker_sees_only_their_grid_and_counts_only_it(meihao, hepan):
    async with make_page_client(meihao, hepan["worker"]) as client:
        page = await client.get("/register")
        assert page.status_code == 200
        assert names(page.text) == ["王秀英", "李建国", "张伟", "赵敏"]
        assert '<h2 id="results-h">4 位居民' in page.text
        assert facet(page.text, "grid") == {"一网格": 4}
        # no sensitive tag counted or shown without the permission
        assert facet(page.text, "tag") == {"独居": 1, "退役军人": 1, "志愿者": 1}
        assert "党员" not in page.text
        assert facet(page.text, "age") == {"未满 18 岁": 1, "18–59 岁": 1, "60–79 岁": 2}
        assert "二网格" not in page.text and "陈芳" not in page.text
        # the other grid as a filter gives nothing, counts included
        other = await client.get(f"/register?grid={hepan['grid_b']}")
        assert (other.status_code, names(other.text)) == (200, [])
        assert '<h2 id="results-h">0 位居民' in other.text
        # filtering on a sensitive tag needs the permission, as in the API
        refused = await client.get("/register?tag=party_member")
        assert (refused.status_code, h1(refused.text)) == (403, ["无权访问"])
        # neither export nor reveal for a grid worker
        assert "/register/export" not in page.text and "完整显示" not in page.text
        assert (await client.get("/register/export.csv")).status_code == 403


@pytest.mark.parametrize(("query", "message"), [
    ("min_age=abc", "min_age: must be a whole number"),
    ("min_age=90&max_age=10", "min_age: must not be greater than max_age"),
    ("grid=x", "grid: must be a whole number"),
    ("page=0", "page: must be between 1 and 1000000000"),
    ("grid=2147483648", "grid: must be between 1 and 2147483647"),
    ("max_age=151", "max_age: must be between 0 and 150"),
])
async def test_a_bad_filter_is_a_400_page_naming_the_field(meihao, hepan, query, message):
    async with make_page_client(meihao, hepan["admin"]) as client:
        page = await client.get(f"/register?{query}")
        assert page.status_code == 400
        assert f'<p class="alert">{message}</p>' in page.text


async def test_another_grids_resident_household_and_building_are_the_404_page_of_a_missing_one(meihao, hepan):
    other = hepan["people"]["陈芳"]["id"]
    missing = other + 1000
    async with make_page_client(meihao, hepan["worker"]) as client:
        for path in ("/register/residents/{}", "/register/households/{}", "/register/buildings/{}"):
            target = {"/register/residents/{}": other, "/register/households/{}": hepan["h201"], "/register/buildings/{}": hepan["building_b"]}[path]
            hidden = await client.get(path.format(target))
            absent = await client.get(path.format(missing))
            assert (hidden.status_code, absent.status_code) == (404, 404)
            # byte for byte the same page, but for its own address (in the language switch's link)
            assert hidden.content.replace(quote(path.format(target)).encode(), b"HERE") == absent.content.replace(
                quote(path.format(missing)).encode(), b"HERE")
            assert h1(hidden.text) == ["找不到页面"]
        mine = await client.get(f"/register/residents/{hepan['people']['王秀英']['id']}")
        assert (mine.status_code, h1(mine.text)) == (200, ["王秀英"])


async def test_the_resident_page_shows_masked_details_household_building_tags_and_reminders(meihao, hepan):
    wang = hepan["people"]["王秀英"]
    async with make_page_client(meihao, hepan["worker"]) as client:
        page = await client.get(f"/register/residents/{wang['id']}")
        text = page.text
        assert page.status_code == 200
        assert f'<span class="masked">{wang["id_card"]}</span>' in text and '<span class="masked">138****8001</span>' in text
        assert "+8613800138001" not in text
        # the household member in scope, the building and room, the tag, the reminder channels
        assert re.findall(r'<li><a href="/register/residents/\d+">(.*?)</a>', text) == ["李建国"]
        assert f'<a href="/register/buildings/{hepan["building_a"]}">1号楼</a>' in text
        assert f'<a href="/register/households/{hepan["h101"]}">1-101</a>' in text
        assert '<a class="tag" href="/register?tag=living_alone">独居</a>' in text
        assert "只通过站内信提醒（未登记其他联系方式）。" in text and "没有关闭任何提醒。" in text
        # a grid worker may not reveal: no link, and the form is refused
        assert "完整显示" not in text
        assert (await client.get(f"/register/residents/{wang['id']}/reveal?field=phone")).status_code == 403

        household = await client.get(f"/register/households/{hepan['h101']}")
        assert (household.status_code, names(household.text)) == (200, ["王秀英", "李建国"])
        building = await client.get(f"/register/buildings/{hepan['building_a']}")
        assert building.status_code == 200
        assert re.findall(r'<th scope="row"><a href="/register/households/\d+">(.*?)</a></th><td>(\d+)</td>', building.text) == [
            ("1-101", "2"), ("1-102", "2")]


async def test_reveal_needs_a_reason_writes_the_audit_row_and_is_not_cached(meihao, hepan):
    wang = hepan["people"]["王秀英"]
    async with make_page_client(meihao, hepan["admin"]) as client:
        resident = await client.get(f"/register/residents/{wang['id']}")
        assert f'href="/register/residents/{wang["id"]}/reveal?field=phone">完整显示</a>' in resident.text
        form = await client.get(f"/register/residents/{wang['id']}/reveal?field=phone")
        assert (form.status_code, h1(form.text)) == (200, ["显示完整的电话"])
        token = await form_token(client, f"/register/residents/{wang['id']}/reveal?field=phone")
        short = await client.post(f"/register/residents/{wang['id']}/reveal", data={"field": "phone", "reason": "看", "_csrf_token": token})
        assert short.status_code == 400
        assert re.search(r'<p class="error" id="f-reason-note">请说明原因，至少 \d+ 个字。</p>', short.text)
        assert "+8613800138001" not in short.text
        assert await AuditLog.count().where(AuditLog.action == "resident.reveal") == 0
        no_token = await client.post(f"/register/residents/{wang['id']}/reveal", data={"field": "phone", "reason": "电话核实周五上门探访"})
        assert (no_token.status_code, h1(no_token.text)) == (403, ["表单已过期"])

        shown = await client.post(f"/register/residents/{wang['id']}/reveal",
                                  data={"field": "phone", "reason": "电话核实周五上门探访", "_csrf_token": token})
        assert shown.status_code == 200
        assert shown.headers["cache-control"] == "no-store"
        assert '<p class="revealed" aria-live="polite"><strong>+8613800138001</strong></p>' in shown.text
        rows = await AuditLog.select(AuditLog.action, AuditLog.target_id, AuditLog.reason, AuditLog.detail).where(
            AuditLog.action == "resident.reveal")
        assert [(r["action"], r["target_id"], r["reason"]) for r in rows] == [("resident.reveal", str(wang["id"]), "电话核实周五上门探访")]
        # the resident's page stays masked afterwards
        again = await client.get(f"/register/residents/{wang['id']}")
        assert "+8613800138001" not in again.text and "138****8001" in again.text


async def test_a_bulk_tag_changes_exactly_what_the_confirmation_said(meihao, hepan):
    async with make_page_client(meihao, hepan["worker"]) as client:
        confirm = await client.get("/register/bulk?min_age=60&op=add&bulk_tag=elder")
        assert confirm.status_code == 200
        assert "<p>2 位居民符合筛选条件。</p>" in confirm.text
        assert '<p class="confirm-count"><strong>将为 2 位居民加上标签“老年人 (elder)”。</strong></p>' in confirm.text
        assert await ResidentTag.count().where(ResidentTag.tag == "elder") == 0  # nothing changed yet
        token = await form_token(client, "/register/bulk?min_age=60&op=add&bulk_tag=elder")
        stale = await client.post("/register/bulk", data={"min_age": "60", "op": "add", "bulk_tag": "elder", "expected": "3", "_csrf_token": token})
        assert stale.status_code == 409
        assert await ResidentTag.count().where(ResidentTag.tag == "elder") == 0
        done = await client.post("/register/bulk", data={"min_age": "60", "op": "add", "bulk_tag": "elder", "expected": "2", "_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, "/register?min_age=60&changed=2&op=add&bulk_tag=elder")
        # the other grid's elder (陈芳, 86) is outside the worker's scope: untouched
        tagged = await ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == "elder").order_by(ResidentTag.resident)
        assert [r["resident"] for r in tagged] == [hepan["people"]["王秀英"]["id"], hepan["people"]["李建国"]["id"]]
        listed = await client.get(done.headers["location"])
        assert '<p class="notice" role="status">已为 2 位居民加上标签“老年人”。</p>' in listed.text
        audit = await AuditLog.select(AuditLog.detail).where(AuditLog.action == "resident.bulk_tag")
        assert len(audit) == 1
        # again: nobody left to change
        again = await client.get("/register/bulk?min_age=60&op=add&bulk_tag=elder")
        assert "将为 0 位居民加上标签" in again.text and "没有需要修改的居民。" in again.text
        # remove it from the tag's own filter
        removal = await client.get("/register/bulk?tag=elder&op=remove&bulk_tag=elder")
        assert "将从 2 位居民去掉标签“老年人 (elder)”。" in removal.text
        removed = await client.post("/register/bulk", data={"tag": "elder", "op": "remove", "bulk_tag": "elder", "expected": "2", "_csrf_token": token})
        assert removed.status_code == 303
        assert await ResidentTag.count().where(ResidentTag.tag == "elder") == 0
        # a sensitive tag needs the permission; a malformed one is a 400 at the field
        assert (await client.get("/register/bulk?op=add&bulk_tag=party_member")).status_code == 403
        bad = await client.get("/register/bulk?op=add&bulk_tag=Bad Tag")
        assert bad.status_code == 400 and "标签只能由小写字母、数字和 _ 组成" in bad.text


async def test_export_has_exactly_the_rows_shown_masked_with_a_bom(meihao, hepan):
    await hepan["f"].resident(hepan["h101"], name="=HYPERLINK(1)", birth_date=date(1980, 1, 1), phone="")
    async with make_page_client(meihao, hepan["admin"]) as client:
        page = await client.get(f"/register?grid={hepan['grid_a']}")
        assert names(page.text) == ["王秀英", "李建国", "张伟", "赵敏", htmllib.escape("=HYPERLINK(1)")]
        assert f'href="/register/export.csv?grid={hepan["grid_a"]}"' in page.text
        exported = await client.get(f"/register/export.csv?grid={hepan['grid_a']}")
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "text/csv; charset=utf-8"
        assert exported.headers["cache-control"] == "no-store"
        assert exported.content.startswith(b"\xef\xbb\xbf")
        lines = exported.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "姓名,性别,出生日期,身份证号,联系电话,社区,网格,楼栋,单元,房号,标签,与户主关系,人口类型,救助类别,特殊人群"  # the import template's
        rows = [line.split(",") for line in lines[1:]]
        assert [r[0] for r in rows] == ["王秀英", "李建国", "张伟", "赵敏", "'=HYPERLINK(1)"]
        assert [r[4] for r in rows] == ["138****8001", "139****9002", "137****7003", "", ""]
        assert all(re.fullmatch(r"\*{14}\d{3}[\dX]", r[3]) for r in rows)
        assert [r[10] for r in rows] == ["living_alone", "party_member veteran", "volunteer", "", ""]

        from openpyxl import load_workbook

        book = await client.get(f"/register/export.xlsx?grid={hepan['grid_a']}")
        assert book.status_code == 200
        sheet = load_workbook(io.BytesIO(book.content)).active
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        assert cells[0][:3] == ["姓名", "性别", "出生日期"]
        assert [r[0] for r in cells[1:]] == ["王秀英", "李建国", "张伟", "赵敏", "'=HYPERLINK(1)"]
        assert [r[4] or "" for r in cells[1:]] == ["138****8001", "139****9002", "137****7003", "", ""]
        assert all(sheet.cell(row=i, column=1).data_type == "s" for i in range(1, 7))
        audits = await AuditLog.select(AuditLog.action, AuditLog.detail).where(AuditLog.action == "resident.export").order_by(AuditLog.id)
        assert [a["detail"] for a in audits] in (
            [{"grid_id": hepan["grid_a"], "format": "csv"}, {"grid_id": hepan["grid_a"], "format": "xlsx"}],
            ['{"grid_id": %d, "format": "csv"}' % hepan["grid_a"], '{"grid_id": %d, "format": "xlsx"}' % hepan["grid_a"]],
        )


async def test_a_saved_view_round_trip_is_the_staff_members_own(meihao, hepan):
    async with make_page_client(meihao, hepan["worker"]) as client:
        token = await form_token(client, "/register?tag=living_alone")
        saved = await client.post("/register/views", data={"view_name": "  独居老人 ", "tag": "living_alone", "page": "3", "evil": "x",
                                                           "_csrf_token": token})
        assert (saved.status_code, saved.headers["location"]) == (303, "/register?tag=living_alone")
        page = await client.get("/register")
        listed = re.search(r'<ul class="view-list">(.*?)</ul>', page.text, re.S).group(1)
        views = re.findall(r'<a href="(/register[^"]*)">(.*?)</a>', listed)
        assert views == [("/register?tag=living_alone", "独居老人")]
        assert names((await client.get(views[0][0])).text) == ["王秀英"]
        view_id = int(re.search(r'action="/register/views/(\d+)/delete"', page.text).group(1))
        empty = await client.post("/register/views", data={"view_name": " ", "tag": "living_alone", "_csrf_token": token})
        assert empty.status_code == 400
    async with make_page_client(meihao, hepan["admin"]) as other:
        assert "独居老人" not in (await other.get("/register")).text
        token = await form_token(other, "/register")
        stolen = await other.post(f"/register/views/{view_id}/delete", data={"_csrf_token": token})
        assert (stolen.status_code, h1(stolen.text)) == (404, ["找不到页面"])
    async with make_page_client(meihao, hepan["worker"]) as client:
        token = await form_token(client, "/register")
        unsigned = await client.post(f"/register/views/{view_id}/delete", data={})
        assert (unsigned.status_code, h1(unsigned.text)) == (403, ["表单已过期"])
        deleted = await client.post(f"/register/views/{view_id}/delete", data={"_csrf_token": token})
        assert (deleted.status_code, deleted.headers["location"]) == (303, "/register")
        assert "独居老人" not in (await client.get("/register")).text


async def test_paging_keeps_the_filter_and_the_community_facet_counts_per_community(meihao, hepan):
    f = hepan["f"]
    await f.community("yinshan", name="银山社区")
    place = await f.place("yinshan")
    for i in range(26):
        await f.resident(place["household_id"], name=f"居民{i:02d}", birth_date=date(1970, 1, 1 + i % 28), tags=["volunteer"])
    async with make_page_client(meihao) as client:  # a street admin
        page = await client.get("/register?tag=volunteer")
        assert facet(page.text, "community") == {"荷畔社区": 1, "银山社区": 26}
        assert '<h2 id="results-h">27 位居民' in page.text
        assert len(names(page.text)) == 25
        assert '<a class="button" href="/register?tag=volunteer&amp;page=2" rel="next">下一页</a>' in page.text
        second = await client.get("/register?tag=volunteer&page=2")
        assert names(second.text) == ["居民24", "居民25"]
        assert "第 26–27 条" in second.text and "第 2 页，共 2 页" in second.text
        assert '<a class="button" href="/register?tag=volunteer" rel="prev">上一页</a>' in second.text
        # choosing a community keeps the tag and goes back to page 1
        assert 'href="/register?community=yinshan&amp;tag=volunteer"' in second.text
    async with make_page_client(meihao, hepan["admin"]) as client:  # one community: no community facet
        page = await client.get("/register?tag=volunteer")
        assert facet(page.text, "community") == {} and names(page.text) == ["张伟"]


async def test_the_register_in_english(meihao, hepan):
    wang = hepan["people"]["王秀英"]
    async with make_page_client(meihao, hepan["admin"]) as client:
        client.cookies.set("meihao_lang", "en")
        page = await client.get("/register?min_age=60")
        assert (page.status_code, h1(page.text)) == (200, ["Register of residents"])
        assert '<h2 id="results-h">3 residents' in page.text
        assert facet(page.text, "tag") == {"Living alone": 2, "Party member": 1, "Veteran": 1}
        resident = await client.get(f"/register/residents/{wang['id']}")
        assert "Show in full" in resident.text and "Household members" in resident.text
        confirm = await client.get("/register/bulk?min_age=60&op=add&bulk_tag=elder")
        assert "The tag Elder (elder) will be added to 3 residents." in confirm.text
