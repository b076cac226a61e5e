"""Importing a register in the console, in process: the template, the dry run's report row by row (in Chinese),
the confirmation with its count, all-or-nothing, the scope and permission of ``POST /api/.../residents/import``, CSRF."""

from __future__ import annotations

import base64
import re

import pytest
from openpyxl import load_workbook

from meihao.access.tables import AuditLog
from meihao.register.tables import Resident
from meihao.testing import form_token, make_page_client
from tests.test_register_import import BAD_ROWS, GOOD_ROWS, HEADER, make_places

PAGE = "/register/import"


@pytest.fixture
async def places(meihao):
    return await make_places(meihao)


def problems(page: str) -> list[tuple[str, str, str]]:
    """The report's rows: (row, column, what is wrong)."""
    rows = re.findall(r'<tr><td data-label="[^"]*">(\d+)</td><td data-label="[^"]*">(.*?)</td><td data-label="[^"]*">(.*?)</td></tr>', page)
    return [(r, c, w) for r, c, w in rows]


async def _upload(client, community: str, content: bytes, filename: str = "台账.csv"):
    token = await form_token(client, PAGE)
    return await client.post(PAGE, data={"_csrf_token": token, "action": "check", "community": community},
                             files={"file": (filename, content, "text/csv")})


async def test_the_page_offers_the_managed_community_and_the_templates(meihao, places):
    async with make_page_client(meihao, places["admin"]) as client:
        page = await client.get(PAGE)
        book = await client.get(f"{PAGE}/template.xlsx")
        flat = await client.get(f"{PAGE}/template.csv")
    assert page.status_code == 200
    assert re.findall(r"<h1>(.*?)</h1>", page.text) == ["导入人口台账"]
    assert re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', page.text) == [("hepan", "荷畔社区")]  # not liuyin
    assert 'href="/register/import/template.xlsx"' in page.text and 'href="/register/import/template.csv"' in page.text
    assert [c.value for c in load_workbook(__import__("io").BytesIO(book.content))["居民台账"][1]] == HEADER.split(",")
    assert flat.content == ("\ufeff" + HEADER + "\r\n").encode()


async def test_a_bad_file_shows_every_problem_in_chinese_and_offers_no_import(meihao, places):
    async with make_page_client(meihao, places["admin"]) as client:
        page = await _upload(client, "hepan", BAD_ROWS.encode("gbk"))
    assert page.status_code == 400
    assert "发现 7 处问题：请改好文件再检查，改好之前一行也不会导入。" in page.text
    assert problems(page.text) == [
        ("3", "D 身份证号", "身份证号校验位不对，请核对"),
        ("4", "E 联系电话", "电话号码“12345”不对；手机写 11 位，固话带区号"),
        ("5", "B 性别", "性别应填“男”或“女”，不能是“未知”"),
        ("6", "A 姓名", "姓名不能为空"),
        ("7", "D 身份证号", "身份证号与第 2 行重复"),
        ("8", "D 身份证号", "身份证号已在台账中（这位居民已登记）"),
        ("9", "G 网格", "网格“柳荫网格”是别的社区的网格；如果本社区也有同名网格，请先在本社区建好再导入"),
    ]
    assert 'value="import"' not in page.text
    assert await Resident.count() == 1


async def test_a_good_file_is_confirmed_with_its_count_then_imported_whole(meihao, places):
    async with make_page_client(meihao, places["admin"]) as client:
        page = await _upload(client, "hepan", GOOD_ROWS.encode())
        assert page.status_code == 200
        assert "每一行都没有问题。" in page.text
        assert "将导入居民：4 位" in page.text and "新建网格：1 个" in page.text and "新建住户：2 户" in page.text
        assert "确认导入 4 位居民" in page.text
        assert await Resident.count() == 1  # checked, not written
        payload = re.search(r'name="payload" value="([^"]+)"', page.text).group(1)
        assert base64.b64decode(payload) == GOOD_ROWS.encode()
        token = await form_token(client, PAGE)
        form = {"_csrf_token": token, "action": "import", "community": "hepan", "filename": "台账.csv", "payload": payload}
        stale = await client.post(PAGE, data={**form, "expected": "5"}, files={"none": ("", b"", "text/plain")})
        assert stale.status_code == 409 and "文件现在是 4 位居民，不是您确认的 5 位。" in stale.text
        assert await Resident.count() == 1
        done = await client.post(PAGE, data={**form, "expected": "4"}, files={"none": ("", b"", "text/plain")})
        assert (done.status_code, done.headers["location"]) == (303, "/register/import?imported=4&community=hepan")
        after = await client.get(done.headers["location"])
    assert "已导入 4 位居民。" in after.text
    assert await Resident.count() == 5
    assert await AuditLog.count().where(AuditLog.action == "resident.import") == 1


async def test_scope_permission_and_csrf_as_the_api(meihao, places):
    async with make_page_client(meihao, places["other"]) as client:  # liuyin's admin
        page = await _upload(client, "hepan", GOOD_ROWS.encode())
        assert page.status_code == 403 and "请选择您管理的社区。" in page.text
    async with make_page_client(meihao, places["worker"]) as client:  # no import permission
        assert (await client.get(PAGE)).status_code == 403
        assert (await client.get(f"{PAGE}/template.xlsx")).status_code == 403
    async with make_page_client(meihao, places["admin"]) as client:
        forged = await client.post(PAGE, data={"action": "check", "community": "hepan"}, files={"file": ("a.csv", GOOD_ROWS.encode(), "text/csv")})
        assert forged.status_code == 403
        missing = await _upload(client, "hepan", b"", filename="")
        assert missing.status_code == 400 and "请选择要检查的文件。" in missing.text
        unreadable = await _upload(client, "hepan", b"abc", filename="a.xlsx")
        assert unreadable.status_code == 400
        assert "文件读不了：这个 .xlsx 文件打不开，请用 Excel 或 WPS 重新保存一次" in unreadable.text
    assert await Resident.count() == 1
