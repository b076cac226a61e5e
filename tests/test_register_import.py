"""The register in and out (人口台账): the template, an import's dry-run report row by row, all-or-nothing writes,
GBK CSV, the .xlsx/CSV export under the same Chinese headers and its round trip, and the scope of both."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from meihao.access.tables import AuditLog
from meihao.register.tables import Building, Grid, Household, Resident, ResidentTag
from meihao.testing import Factories, make_client

HEADER = "姓名,性别,出生日期,身份证号,联系电话,社区,网格,楼栋,单元,房号,标签,与户主关系,人口类型,救助类别,特殊人群"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Every kind of bad row, one per row, after a good one (row 2).
BAD_ROWS = "\r\n".join([
    HEADER,
    "李建国,男,1948-07-02,370125194807020016,13900139002,荷畔社区,一网格,1号楼,,102,veteran",
    "张伟,男,,370125199001100037,13700137003,,一网格,1号楼,,102,",
    "赵敏,女,,370125201506010044,12345,,一网格,1号楼,,102,",
    "陈芳,未知,,37012519400202006X,,,一网格,2号楼,,201,",
    ",男,,370125198505150075,,,一网格,2号楼,,202,",
    "李建民,男,,370125194807020016,,,一网格,1号楼,,103,",
    "王秀英,女,,370125195003010028,,,一网格,1号楼,,101,",
    "孙丽,女,,370125197008120081,,,柳荫网格,3号楼,,301,",
]) + "\r\n"

GOOD_ROWS = "\r\n".join([
    HEADER,
    "李建国,男,1948-07-02,370125194807020016,13900139002,荷畔社区,一网格,1号楼,,101,veteran party_member",
    "张伟,男,,370125199001100036,13700137003,,一网格,1号楼,2单元,102,volunteer",
    "赵敏,女,,370125201506010044,,,二网格,5号楼,,501,",
    "陈芳,女,1940/2/2,37012519400202006X,0531-84221234,,二网格,5号楼,,501,",
]) + "\r\n"


@pytest.fixture
async def places(meihao):
    return await make_places(meihao)


async def make_places(meihao):
    """荷畔社区 (hepan: 一网格, 1号楼, room 101 with 王秀英) and 柳荫社区 (liuyin: 柳荫网格), each with its community admin,
    and the grid worker of 一网格."""
    f = Factories(meihao)
    await f.community("hepan", name="荷畔社区")
    await f.community("liuyin", name="柳荫社区")
    grid = await f.grid("hepan", "G01", "一网格")
    building = await f.building(grid["id"], "1号楼")
    household = await f.household(building["id"], "101", unit="")
    await f.resident(household["id"], name="王秀英", gender="female", birth_date=date(1950, 3, 1), id_card="370125195003010028",
                     phone="13800138001", tags=["living_alone"])
    await f.grid("liuyin", "G01", "柳荫网格")
    admin = await f.staff("community_admin", community="hepan", name="郑主任")
    other = await f.staff("community_admin", community="liuyin", name="柳主任")
    worker = await f.staff("grid_worker", grid_id=grid["id"], name="网格员")
    return {"admin": admin["id"], "other": other["id"], "worker": worker["id"], "grid": grid["id"], "household": household["id"]}


async def _post(client, slug: str, content: bytes, filename: str, dry_run: bool):
    return await client.post(f"/api/communities/{slug}/residents/import", content=content,
                             params={"dry_run": str(dry_run).lower(), "format": filename.rsplit(".", 1)[1]},
                             headers={"Content-Type": "application/octet-stream"})


async def _counts() -> tuple[int, int, int, int, int]:
    return await Resident.count(), await Grid.count(), await Building.count(), await Household.count(), await ResidentTag.count()


async def test_the_template_has_the_chinese_headers_and_how_to_fill_each(meihao, places):
    async with make_client(meihao, places["admin"]) as client:
        book = await client.get("/api/residents/import-template")
        flat = await client.get("/api/residents/import-template", params={"format": "csv"})
        bad = await client.get("/api/residents/import-template", params={"format": "ods"})
    assert (book.status_code, book.headers["content-type"]) == (200, XLSX)
    assert book.headers["content-disposition"] == 'attachment; filename="register-template.xlsx"'
    workbook = load_workbook(io.BytesIO(book.content))
    assert workbook.sheetnames == ["居民台账", "填写说明"]
    assert [c.value for c in workbook["居民台账"][1]] == HEADER.split(",")
    assert workbook["居民台账"].max_row == 1 or all(c.value is None for row in workbook["居民台账"].iter_rows(min_row=2) for c in row)
    notes = [[c.value for c in row] for row in workbook["填写说明"].iter_rows()]
    assert notes[0] == ["列", "是否必填", "填写说明"]
    assert [(n[0], n[1]) for n in notes[1:]] == [
        ("姓名", "必填"), ("性别", "必填"), ("出生日期", "选填"), ("身份证号", "必填"), ("联系电话", "选填"), ("社区", "选填"),
        ("网格", "必填"), ("楼栋", "必填"), ("单元", "选填"), ("房号", "必填"), ("标签", "选填"),
        ("与户主关系", "选填"), ("人口类型", "选填"), ("救助类别", "选填"), ("特殊人群", "选填"),
    ]
    assert flat.status_code == 200 and flat.content == ("\ufeff" + HEADER + "\r\n").encode()
    assert bad.status_code == 400


async def test_a_dry_run_reports_every_bad_row_by_row_and_column_and_writes_nothing(meihao, places):
    before = await _counts()
    async with make_client(meihao, places["admin"]) as client:
        response = await _post(client, "hepan", BAD_ROWS.encode(), "台账.csv", dry_run=True)
    assert response.status_code == 422, response.text
    report = response.json()
    assert (report["rows"], report["dry_run"], report["written"], report["residents"]) == (8, True, False, 1)
    assert [(p["row"], p["column"], p["header"], p["code"], p["message"], p["message_zh"]) for p in report["problems"]] == [
        (3, "D", "身份证号", "bad_id_card", "id_card: the check digit (GB 11643) does not match", "身份证号校验位不对，请核对"),
        (4, "E", "联系电话", "bad_phone", "phone: '12345' is not a valid phone number", "电话号码“12345”不对；手机写 11 位，固话带区号"),
        (5, "B", "性别", "unknown_gender", "gender: '未知' is neither 男 nor 女", "性别应填“男”或“女”，不能是“未知”"),
        (6, "A", "姓名", "missing_name", "name: must not be blank", "姓名不能为空"),
        (7, "D", "身份证号", "duplicate_in_file", "id_card: the same number as row 2", "身份证号与第 2 行重复"),
        (8, "D", "身份证号", "duplicate_in_register", "id_card: a resident with this number is already registered", "身份证号已在台账中（这位居民已登记）"),
        (9, "G", "网格", "grid_of_another_community",
         "grid: '柳荫网格' is a grid of another community; create it in this one first if it is really here too",
         "网格“柳荫网格”是别的社区的网格；如果本社区也有同名网格，请先在本社区建好再导入"),
    ]
    assert await _counts() == before == (1, 2, 1, 1, 1)


async def test_one_bad_row_and_nothing_is_written(meihao, places):
    one_bad = GOOD_ROWS + "孙丽,女,,370125197008120082,,,一网格,1号楼,,101,\r\n"
    async with make_client(meihao, places["admin"]) as client:
        response = await _post(client, "hepan", one_bad.encode(), "台账.csv", dry_run=False)
        assert response.status_code == 422
        assert [(p["row"], p["code"]) for p in response.json()["problems"]] == [(6, "bad_id_card")]
        assert response.json()["written"] is False
        assert await _counts() == (1, 2, 1, 1, 1)
        assert await AuditLog.count().where(AuditLog.action == "resident.import") == 0
        # the same file without it goes in whole
        good = await _post(client, "hepan", GOOD_ROWS.encode(), "台账.csv", dry_run=False)
    assert good.status_code == 200, good.text
    assert {k: good.json()[k] for k in ("rows", "written", "residents", "grids", "buildings", "households")} == {
        "rows": 4, "written": True, "residents": 4, "grids": 1, "buildings": 1, "households": 2,
    }
    assert await _counts() == (5, 3, 2, 3, 4)  # tags: living_alone, veteran, party_member, volunteer


async def test_an_import_matches_places_by_name_and_stores_numbers_as_the_register_does(meihao, places):
    async with make_client(meihao, places["admin"]) as client:
        dry = await _post(client, "hepan", GOOD_ROWS.encode(), "台账.csv", dry_run=True)
        assert dry.status_code == 200 and dry.json()["problems"] == []
        assert (dry.json()["residents"], dry.json()["grids"], dry.json()["buildings"], dry.json()["households"]) == (4, 1, 1, 2)
        assert await Resident.count() == 1  # a dry run writes nothing
        done = await _post(client, "hepan", GOOD_ROWS.encode(), "台账.csv", dry_run=False)
    assert done.status_code == 200
    rows = await Resident.select(
        Resident.name, Resident.gender, Resident.birth_date, Resident.phone, Resident.id_card_last4, Resident.id_card_cipher,
        Resident.id_card_hash, Resident.grid.name, Resident.building.name, Resident.household.unit, Resident.household.room,
        Resident.household,
    ).order_by(Resident.id)
    assert [(r["name"], r["gender"], r["birth_date"], r["phone"], r["id_card_last4"], r["grid.name"], r["building.name"],
             r["household.unit"], r["household.room"]) for r in rows] == [
        ("王秀英", "female", date(1950, 3, 1), "+8613800138001", "0028", "一网格", "1号楼", "", "101"),
        ("李建国", "male", date(1948, 7, 2), "+8613900139002", "0016", "一网格", "1号楼", "", "101"),
        ("张伟", "male", date(1990, 1, 10), "+8613700137003", "0036", "一网格", "1号楼", "2单元", "102"),
        ("赵敏", "female", date(2015, 6, 1), "", "0044", "二网格", "5号楼", "", "501"),
        ("陈芳", "female", date(1940, 2, 2), "+8653184221234", "006X", "二网格", "5号楼", "", "501"),
    ]
    assert rows[1]["household"] == places["household"]  # room 101 of 1号楼 matched, not made again
    assert rows[3]["household"] == rows[4]["household"]  # one new household for both of 501
    assert meihao.codec.decrypt(rows[1]["id_card_cipher"]) == "370125194807020016"
    assert "370125194807020016" not in rows[1]["id_card_cipher"]
    assert rows[1]["id_card_hash"] == meihao.codec.lookup_hash("370125194807020016")
    tags = await ResidentTag.select(ResidentTag.resident.name, ResidentTag.tag).order_by(ResidentTag.resident, ResidentTag.tag)
    assert [(t["resident.name"], t["tag"]) for t in tags] == [
        ("王秀英", "living_alone"), ("李建国", "party_member"), ("李建国", "veteran"), ("张伟", "volunteer"),
    ]
    assert await Grid.select(Grid.code, Grid.name).where(Grid.name == "二网格") == [{"code": "G02", "name": "二网格"}]
    audits = await AuditLog.select(AuditLog.actor, AuditLog.detail).where(AuditLog.action == "resident.import")
    assert len(audits) == 1 and audits[0]["actor"] == "郑主任"
    assert '"residents": 4' in str(audits[0]["detail"]).replace("'", '"')
    # the same file again: every number is a duplicate now
    async with make_client(meihao, places["admin"]) as client:
        again = await _post(client, "hepan", GOOD_ROWS.encode(), "台账.csv", dry_run=True)
    assert [(p["row"], p["code"]) for p in again.json()["problems"]] == [(r, "duplicate_in_register") for r in (2, 3, 4, 5)]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
async def test_csv_as_excel_on_chinese_windows_saves_it(meihao, places, encoding):
    async with make_client(meihao, places["admin"]) as client:
        response = await _post(client, "hepan", GOOD_ROWS.encode(encoding), "台账.csv", dry_run=False)
    assert response.status_code == 200, response.text
    names = [r["name"] for r in await Resident.select(Resident.name).order_by(Resident.id)]
    assert names == ["王秀英", "李建国", "张伟", "赵敏", "陈芳"]
    assert [g["name"] for g in await Grid.select(Grid.name).where(Grid.community.slug == "hepan").order_by(Grid.id)] == ["一网格", "二网格"]


async def test_an_xlsx_with_numbers_typed_as_numbers_and_dates_as_dates(meihao, places):
    """Excel keeps a phone typed as a number as a number, a date as a date: both read as the text they show."""
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["李建国", "男", datetime(1948, 7, 2), "370125194807020016", 13900139002, None, "一网格", "1号楼", None, 101, None])
    buffer = io.BytesIO()
    book.save(buffer)
    async with make_client(meihao, places["admin"]) as client:
        response = await _post(client, "hepan", buffer.getvalue(), "台账.xlsx", dry_run=False)
    assert response.status_code == 200, response.text
    assert await Resident.select(Resident.name, Resident.phone, Resident.household).where(Resident.name == "李建国") == [
        {"name": "李建国", "phone": "+8613900139002", "household": places["household"]},
    ]


@pytest.mark.parametrize(
    ("content", "filename", "problems"),
    [
        ("姓名,性别,身份证号,网格,楼栋,门牌\r\n".encode(), "a.csv", [
            (1, "F", "门牌", "unknown_column"), (1, "", "房号", "missing_column"),
        ]),
        (b"", "a.csv", [(1, "", "", "empty_file")]),
    ],
)
async def test_a_file_with_wrong_columns_is_reported_at_the_header(meihao, places, content, filename, problems):
    async with make_client(meihao, places["admin"]) as client:
        response = await _post(client, "hepan", content, filename, dry_run=True)
    assert response.status_code == 422
    assert [(p["row"], p["column"], p["header"], p["code"]) for p in response.json()["problems"]] == problems


@pytest.mark.parametrize(
    ("content", "filename", "detail"),
    [
        (b"not a zip", "a.xlsx", "file: not an .xlsx workbook that can be read; save it again from Excel or WPS"),
        (b"\xff\xfe\x00\x81", "a.csv", "file: the CSV is neither UTF-8 nor GBK/GB18030; save it again as CSV UTF-8 or as .xlsx"),
    ],
)
async def test_a_file_that_cannot_be_read_is_a_400_that_says_why(meihao, places, content, filename, detail):
    async with make_client(meihao, places["admin"]) as client:
        response = await _post(client, "hepan", content, filename, dry_run=True)
    assert (response.status_code, response.json()["detail"], response.json()["field"]) == (400, detail, "file")


async def test_an_import_reaches_only_a_community_the_caller_manages(meihao, places):
    async with make_client(meihao, places["other"]) as client:  # liuyin's admin
        hidden = await _post(client, "hepan", GOOD_ROWS.encode(), "台账.csv", dry_run=False)
        missing = await _post(client, "nowhere", GOOD_ROWS.encode(), "台账.csv", dry_run=False)
    assert (hidden.status_code, hidden.json()["detail"]) == (403, "community 'hepan' is outside your scope")
    assert (missing.status_code, missing.json()["detail"]) == (404, "community 'nowhere' not found")
    async with make_client(meihao, places["worker"]) as client:  # a grid worker holds no import permission
        refused = await _post(client, "hepan", GOOD_ROWS.encode(), "台账.csv", dry_run=True)
    assert refused.status_code == 403
    assert await _counts() == (1, 2, 1, 1, 1)


async def test_a_sensitive_tag_needs_its_permission(meihao, places):
    from meihao import Principal
    from meihao.register.importing import import_register

    text = HEADER + "\r\n李建国,男,,370125194807020016,,,一网格,1号楼,,101,party_member\r\n"
    importer = Principal(staff_id=None, name="导入员", permissions={"meihao.resident.import"}, street=True)
    report = await import_register(meihao, "hepan", text.encode(), "a.csv", importer, dry_run=False)
    assert [(p.row, p.column, p.code, p.message_zh) for p in report.problems] == [(2, "K", "sensitive_tag", "标签“party_member”是敏感信息，你没有设置它的权限")]
    assert await Resident.count() == 1


# -- the export -----------------------------------------------------------------


async def test_the_export_has_the_templates_headers_masked_as_elsewhere(meihao, places):
    f = Factories(meihao)
    await f.resident(places["household"], name="=HYPERLINK(1)", gender="male", birth_date=date(1955, 5, 5), id_card="370125195505050097", phone="")
    async with make_client(meihao, places["admin"]) as client:
        flat = await client.get("/api/residents/export", params={"community": "hepan"})
        book = await client.get("/api/residents/export.xlsx", params={"community": "hepan"})
    assert flat.status_code == 200 and flat.content.startswith(b"\xef\xbb\xbf")
    assert flat.content.decode("utf-8-sig").splitlines() == [
        HEADER,
        "王秀英,女,1950-03-01,**************0028,138****8001,荷畔社区,一网格,1号楼,,101,living_alone,,,,",
        "'=HYPERLINK(1),男,1955-05-05,**************0097,,荷畔社区,一网格,1号楼,,101,,,,,",
    ]
    assert (book.status_code, book.headers["content-type"]) == (200, XLSX)
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert [[c.value or "" for c in row] for row in sheet.iter_rows()] == [
        HEADER.split(","),
        ["王秀英", "女", "1950-03-01", "**************0028", "138****8001", "荷畔社区", "一网格", "1号楼", "", "101", "living_alone", "", "", "", ""],
        ["'=HYPERLINK(1)", "男", "1955-05-05", "**************0097", "", "荷畔社区", "一网格", "1号楼", "", "101", "", "", "", "", ""],
    ]
    assert sheet.cell(row=3, column=1).data_type == "s"
    assert [a["detail"] for a in await AuditLog.select(AuditLog.detail).where(AuditLog.action == "resident.export").order_by(AuditLog.id)] in (
        [{"community": "hepan"}, {"community": "hepan", "format": "xlsx"}],
        ['{"community": "hepan"}', '{"community": "hepan", "format": "xlsx"}'],
    )
    async with make_client(meihao, places["other"]) as client:  # another community's admin exports none of hepan's
        theirs = await client.get("/api/residents/export.xlsx")
    assert [[c.value for c in row] for row in load_workbook(io.BytesIO(theirs.content)).active.iter_rows()] == [HEADER.split(",")]


async def test_an_export_goes_back_in_once_its_masked_numbers_are_filled_in(meihao, places):
    """Round trip: import, export (.xlsx), empty the register, fill in the masked numbers, import the export again."""
    async with make_client(meihao, places["admin"]) as client:
        assert (await _post(client, "hepan", GOOD_ROWS.encode(), "台账.csv", dry_run=False)).status_code == 200
        before = await Resident.select(Resident.name, Resident.gender, Resident.birth_date, Resident.phone, Resident.id_card_hash,
                                       Resident.household, Resident.grid, Resident.building).order_by(Resident.name)
        tags_before = sorted((t["resident.name"], t["tag"]) for t in await ResidentTag.select(ResidentTag.resident.name, ResidentTag.tag))
        exported = await client.get("/api/residents/export.xlsx", params={"community": "hepan"})
        book = load_workbook(io.BytesIO(exported.content))
        sheet = book.active
        full = {"王秀英": ("370125195003010028", "13800138001"), "李建国": ("370125194807020016", "13900139002"),
                "张伟": ("370125199001100036", "13700137003"), "赵敏": ("370125201506010044", ""), "陈芳": ("37012519400202006X", "053184221234")}
        masked = await _post(client, "hepan", exported.content, "export.xlsx", dry_run=True)
        assert [(p["row"], p["code"]) for p in masked.json()["problems"]][:3] == [(2, "masked_id_card"), (2, "masked_phone"), (3, "masked_id_card")]
        for row in sheet.iter_rows(min_row=2):
            row[3].value, row[4].value = full[row[0].value]
        buffer = io.BytesIO()
        book.save(buffer)
        await ResidentTag.delete(force=True)
        await Resident.delete(force=True)
        again = await _post(client, "hepan", buffer.getvalue(), "export.xlsx", dry_run=False)
    assert again.status_code == 200, again.text
    assert (again.json()["residents"], again.json()["grids"], again.json()["buildings"], again.json()["households"]) == (5, 0, 0, 0)
    after = await Resident.select(Resident.name, Resident.gender, Resident.birth_date, Resident.phone, Resident.id_card_hash,
                                  Resident.household, Resident.grid, Resident.building).order_by(Resident.name)
    assert after == before
    assert sorted((t["resident.name"], t["tag"]) for t in await ResidentTag.select(ResidentTag.resident.name, ResidentTag.tag)) == tags_before


def test_the_csv_export_reads_back_with_the_import_reader():
    from meihao.register.importing import HEADERS, read_table

    text = "\ufeff" + HEADER + "\r\n'=1,女\r\n"
    assert read_table(text.encode(), "x.csv") == [list(HEADERS), ["=1", "女"]]
    assert list(csv.reader(io.StringIO(HEADER))) == [list(HEADERS)]
