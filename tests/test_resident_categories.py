"""Resident categories (issue 16): 人口类型 and 与户主关系 columns with filters, 低保 / 低保边缘 / 特困 kept apart (at most
one), and the special groups (特殊人群) behind ``meihao.resident.special.read``: omitted for others, every read audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
import pytest_asyncio

from meihao import Principal
from meihao.access.tables import AuditLog
from meihao.register.importing import import_register
from meihao.register.residents import ResidentFilter, export_rows, get_resident, list_residents
from meihao.register.tables import Resident, ResidentTag
from meihao.testing import SceneWorld

#: 王秀英 (grid A): 社区矫正 and 低保; 张伟 (grid A): nothing; 李强 (grid B, outside the grid worker's scope): 刑满释放.
RESIDENTS = {
    "王秀英": {"grid": "A", "birth_date": date(1950, 3, 15), "tags": ["community_correction", "low_income"]},
    "张伟": {"grid": "A", "birth_date": date(1956, 7, 1)},
    "李强": {"grid": "B", "birth_date": date(1970, 1, 1), "gender": "male", "tags": ["released_prisoner"]},
}


def _detail(row):
    return json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"]


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    return await SceneWorld.build(meihao, None, residents=RESIDENTS)


async def _special_reads():
    rows = await AuditLog.select(AuditLog.actor, AuditLog.target_id, AuditLog.detail).where(
        AuditLog.action == "resident.special.read").order_by(AuditLog.id)
    return [(r["actor"], r["target_id"], _detail(r)) for r in rows]


# -- residence status and relation to the head -----------------------------------


async def test_residence_status_and_relation_are_kept_filtered_and_one_head_per_household(world):
    wang, zhang = world.residents["王秀英"], world.residents["张伟"]
    async with world.client("community_admin") as client:
        set_wang = await client.patch(f"/api/residents/{wang['id']}", json={"residence_status": "floating", "relation_to_head": "head"})
        assert set_wang.status_code == 200, set_wang.text
        assert (set_wang.json()["residence_status"], set_wang.json()["relation_to_head"]) == ("floating", "head")
        # the same head again is no second head
        again = await client.patch(f"/api/residents/{wang['id']}", json={"relation_to_head": "head"})
        assert again.status_code == 200
        # 张伟 moves into 王秀英's household: fine as her spouse, refused as a second head
        move = await client.post(f"/api/residents/{zhang['id']}/move", json={"household_id": wang["household_id"]})
        assert move.status_code == 200, move.text
        second = await client.patch(f"/api/residents/{zhang['id']}", json={"relation_to_head": "head"})
        assert (second.status_code, second.json()["field"]) == (409, "relation_to_head")
        spouse = await client.patch(f"/api/residents/{zhang['id']}", json={"relation_to_head": "spouse", "residence_status": "registered"})
        assert spouse.status_code == 200
        bad = await client.patch(f"/api/residents/{zhang['id']}", json={"residence_status": "tourist"})
        assert bad.status_code == 400
        floating = await client.get("/api/residents", params={"community": "hepan", "residence_status": "floating"})
        assert [r["name"] for r in floating.json()["items"]] == ["王秀英"]
        unrecorded = await client.get("/api/residents", params={"community": "hepan", "residence_status": "none"})
        assert [r["name"] for r in unrecorded.json()["items"]] == ["李强"]
        spouses = await client.get("/api/residents", params={"relation_to_head": "spouse"})
        assert [r["name"] for r in spouses.json()["items"]] == ["张伟"]
        wrong = await client.get("/api/residents", params={"relation_to_head": "cousin"})
        assert wrong.status_code == 400
    assert await Resident.select(Resident.name, Resident.residence_status, Resident.relation_to_head).where(
        Resident.community == world.community.id).order_by(Resident.name) == [
        {"name": "张伟", "residence_status": "registered", "relation_to_head": "spouse"},
        {"name": "李强", "residence_status": "", "relation_to_head": ""},
        {"name": "王秀英", "residence_status": "floating", "relation_to_head": "head"},
    ]


async def test_a_head_cannot_move_into_a_household_with_a_head(world):
    wang, zhang = world.residents["王秀英"], world.residents["张伟"]
    async with world.client("community_admin") as client:
        assert (await client.patch(f"/api/residents/{wang['id']}", json={"relation_to_head": "head"})).status_code == 200
        assert (await client.patch(f"/api/residents/{zhang['id']}", json={"relation_to_head": "head"})).status_code == 200
        move = await client.post(f"/api/residents/{zhang['id']}/move", json={"household_id": wang["household_id"]})
    assert (move.status_code, move.json()["field"]) == (409, "relation_to_head")
    assert (await Resident.select(Resident.household).where(Resident.id == zhang["id"]).first())["household"] == zhang["household_id"]


# -- 低保 / 低保边缘 / 特困 kept apart ---------------------------------------------


@pytest.mark.parametrize(("tags", "status"), [
    (["low_income"], 200), (["low_income_edge"], 200), (["extreme_poverty"], 200),
    (["low_income", "low_income_edge"], 400), (["low_income", "extreme_poverty"], 400), (["low_income_edge", "extreme_poverty"], 400),
])
async def test_a_resident_has_at_most_one_kind_of_assistance(world, tags, status):
    zhang = world.residents["张伟"]
    async with world.client("community_admin") as client:
        response = await client.patch(f"/api/residents/{zhang['id']}", json={"tags": tags})
    assert response.status_code == status, response.text
    stored = sorted(r["tag"] for r in await ResidentTag.select(ResidentTag.tag).where(ResidentTag.resident == zhang["id"]))
    assert stored == (sorted(tags) if status == 200 else [])


async def test_a_non_holder_cannot_add_a_second_assistance_beside_a_hidden_one(world):
    """王秀英's 低保 is hidden from a grid worker, but still counts: adding 特困 is refused, not a second kind."""
    wang = world.residents["王秀英"]
    async with world.client("grid_worker") as client:
        response = await client.patch(f"/api/residents/{wang['id']}", json={"tags": ["living_alone"]})
        assert response.status_code == 200
    stored = sorted(r["tag"] for r in await ResidentTag.select(ResidentTag.tag).where(ResidentTag.resident == wang["id"]))
    assert stored == ["community_correction", "living_alone", "low_income"]


# -- special groups ------------------------------------------------------------------


async def test_holders_see_special_groups_and_every_read_is_audited(world):
    wang, li = world.residents["王秀英"], world.residents["李强"]
    async with world.client("community_admin") as client:
        listed = await client.get("/api/residents", params={"community": "hepan"})
        assert {r["name"]: r["tags"] for r in listed.json()["items"]} == {
            "王秀英": ["community_correction", "low_income"], "张伟": [], "李强": ["released_prisoner"]}
        detail = await client.get(f"/api/residents/{wang['id']}")
        assert detail.json()["tags"] == ["community_correction", "low_income"]
        filtered = await client.get("/api/residents", params={"tag": "released_prisoner"})
        assert [r["name"] for r in filtered.json()["items"]] == ["李强"]
        # a page without any special tag reads none: no row
        plain = await client.get("/api/residents", params={"name": "张伟"})
        assert [r["name"] for r in plain.json()["items"]] == ["张伟"]
    assert await _special_reads() == [
        ("郑主任", "", {"via": "list", "residents": sorted([wang["id"], li["id"]]), "tags": ["community_correction", "released_prisoner"]}),
        ("郑主任", str(wang["id"]), {"via": "detail", "tags": ["community_correction"]}),
        ("郑主任", "", {"via": "list", "residents": [li["id"]], "tags": ["released_prisoner"]}),
    ]


@pytest.mark.parametrize("role", ["grid_worker", "grid_worker_out"])
async def test_others_never_see_filter_or_set_special_groups(world, role):
    wang, li = world.residents["王秀英"], world.residents["李强"]
    async with world.client(role) as client:
        listed = await client.get("/api/residents")
        assert all(not set(r["tags"]) & {"community_correction", "released_prisoner", "low_income"} for r in listed.json()["items"])
        filtered = await client.get("/api/residents", params={"tag": "community_correction"})
        assert filtered.status_code == 403
        assert "meihao.resident.special.read" in filtered.json()["detail"]
        own = wang if role == "grid_worker" else li
        setting = await client.patch(f"/api/residents/{own['id']}", json={"tags": ["severe_mental_disorder"]})
        assert setting.status_code == 403
        # out of scope: the same 404 as a resident that does not exist
        other = li if role == "grid_worker" else wang
        outside = await client.get(f"/api/residents/{other['id']}")
        missing = await client.get("/api/residents/999999")
        assert (outside.status_code, outside.json()["detail"].replace(str(other["id"]), "N")) == (
            missing.status_code, missing.json()["detail"].replace("999999", "N"))
        assert outside.status_code == 404
    assert await _special_reads() == []
    stored = sorted(r["tag"] for r in await ResidentTag.select(ResidentTag.tag).where(ResidentTag.tag == "severe_mental_disorder"))
    assert stored == []


async def test_a_sensitive_holder_without_the_special_permission_sees_low_income_but_not_the_special_group(world):
    reader = Principal(staff_id=None, name="民政专干", street=True,
                       permissions={"meihao.resident.read", "meihao.resident.export", "meihao.resident.sensitive.read"})
    wang = world.residents["王秀英"]
    shown = await get_resident(wang["id"], reader, world.mh, audit_read=True)
    assert shown["tags"] == ["low_income"]
    page = await list_residents(world.mh, ResidentFilter(community="hepan"), 1, 10, reader)
    assert {r["name"]: r["tags"] for r in page["items"]} == {"王秀英": ["low_income"], "张伟": [], "李强": []}
    rows = [row async for row in export_rows(world.mh, ResidentFilter(community="hepan"), reader)]
    assert rows[0][10:] == ["标签", "与户主关系", "人口类型", "救助类别"]
    assert [r[13] for r in rows[1:]] == ["低保", "", ""]
    assert await _special_reads() == []


async def test_the_holders_export_has_the_special_column_and_is_audited(world):
    async with world.client("community_admin") as client:
        response = await client.get("/api/residents/export", params={"community": "hepan"})
        assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][10:] == ["标签", "与户主关系", "人口类型", "救助类别", "特殊人群"]
    assert {r[0]: (r[10], r[13], r[14]) for r in rows[1:]} == {
        "王秀英": ("", "低保", "社区矫正"), "张伟": ("", "", ""), "李强": ("", "", "刑满释放")}
    assert await _special_reads() == [("郑主任", "", {"via": "export", "community": "hepan"})]


async def test_the_special_tags_are_a_setting(make_meihao):
    """``special_tags`` decides: with only ``veteran`` special, 社区矫正 is an ordinary tag a grid worker sees."""
    mh = await make_meihao(special_tags=["veteran"])
    world = await SceneWorld.build(mh, None, residents={"王秀英": {"grid": "A", "tags": ["community_correction", "veteran"]}})
    async with world.client("grid_worker") as client:
        listed = (await client.get("/api/residents")).json()
    assert {r["name"]: r["tags"] for r in listed["items"]} == {"王秀英": ["community_correction"]}


def test_the_default_special_groups():
    from meihao.config import Settings

    assert Settings().special_tags == ["community_correction", "drug_rehabilitation", "released_prisoner", "severe_mental_disorder"]


# -- the import ------------------------------------------------------------------

HEADER = "姓名,性别,身份证号,网格,楼栋,房号,与户主关系,人口类型,救助类别,特殊人群,标签"


async def test_an_import_reads_the_categories_and_reports_each_wrong_cell(world):
    admin = Principal(staff_id=None, name="郑主任", street=True, permissions={"*"})
    bad = "\r\n".join([
        HEADER,
        "陈芳,女,37012519400202006X,一网格,9号楼,901,户主,户籍,低保,,",
        "陈明,男,370125196501010017,一网格,9号楼,901,户主,流动人口,,,",
        "陈亮,男,370125199001100036,一网格,9号楼,901,表哥,游客,低保边缘,社区矫正,low_income",
        "陈静,女,370125201506010044,一网格,9号楼,902,女儿,人户分离,低保,坐过牢,",
    ]) + "\r\n"
    report = await import_register(world.mh, "hepan", bad.encode(), "a.csv", admin, dry_run=True)
    assert [(p.row, p.column, p.code) for p in report.problems] == [
        (3, "G", "second_head"),
        (4, "G", "unknown_relation_to_head"),
        (4, "H", "unknown_residence_status"),
        (4, "I", "assistance_conflict"),
        (5, "J", "unknown_special_groups"),
    ]
    assert report.problems[0].message_zh == "第 2 行已是这一户的户主，一户只有一个户主"
    good = "\r\n".join([
        HEADER,
        "陈芳,女,37012519400202006X,一网格,9号楼,901,户主,户籍,低保,,",
        "陈明,男,370125196501010017,一网格,9号楼,901,儿子,流动人口,,刑满释放、社区矫正,volunteer",
        "陈静,女,370125201506010044,一网格,9号楼,902,孙女,人户分离,低保边缘,,",
    ]) + "\r\n"
    written = await import_register(world.mh, "hepan", good.encode(), "a.csv", admin, dry_run=False)
    assert (written.problems, written.residents) == ([], 3)
    rows = await Resident.select(Resident.name, Resident.relation_to_head, Resident.residence_status).where(
        Resident.name.like("陈%")).order_by(Resident.name)
    assert rows == [{"name": "陈明", "relation_to_head": "child", "residence_status": "floating"},
                    {"name": "陈芳", "relation_to_head": "head", "residence_status": "registered"},
                    {"name": "陈静", "relation_to_head": "grandchild", "residence_status": "separated"}]
    tags = sorted((t["resident.name"], t["tag"]) for t in await ResidentTag.select(ResidentTag.resident.name, ResidentTag.tag).where(
        ResidentTag.resident.name.like("陈%")))
    assert tags == [("陈明", "community_correction"), ("陈明", "released_prisoner"), ("陈明", "volunteer"),
                    ("陈芳", "low_income"), ("陈静", "low_income_edge")]
    # the household's head is in the register now: a second file naming another head there is refused
    more = HEADER + "\r\n陈刚,男,370125194807020016,一网格,9号楼,901,户主,,,,\r\n"
    again = await import_register(world.mh, "hepan", more.encode(), "b.csv", admin, dry_run=True)
    assert [(p.row, p.code) for p in again.problems] == [(2, "household_has_head")]


async def test_an_import_by_a_non_holder_cannot_fill_the_restricted_columns(world):
    importer = Principal(staff_id=None, name="导入员", street=True, permissions={"meihao.resident.import"})
    text = HEADER + "\r\n陈芳,女,37012519400202006X,一网格,9号楼,901,户主,户籍,低保,社区矫正,\r\n"
    report = await import_register(world.mh, "hepan", text.encode(), "a.csv", importer, dry_run=False)
    assert [(p.row, p.column, p.code, p.message) for p in report.problems] == [
        (2, "I", "sensitive_tag", "assistance: 低保 is restricted; you need the permission 'meihao.resident.sensitive.read'"),
        (2, "J", "sensitive_tag", "special_groups: 社区矫正 is restricted; you need the permission 'meihao.resident.special.read'"),
    ]
    assert await Resident.count().where(Resident.name == "陈芳") == 0


async def test_the_template_has_the_restricted_columns_only_for_holders(world):
    async with world.client("community_admin") as client:
        full = await client.get("/api/residents/import-template", params={"format": "csv"})
    assert full.content.decode("utf-8-sig").strip().split(",")[-4:] == ["与户主关系", "人口类型", "救助类别", "特殊人群"]
    from meihao.register.importing import columns_for, template_csv

    plain = Principal(staff_id=None, name="导入员", street=True, permissions={"meihao.resident.import"})
    assert template_csv(columns_for(plain)).decode("utf-8-sig").strip().split(",")[-3:] == ["标签", "与户主关系", "人口类型"]


# -- the console's register ---------------------------------------------------------


async def test_the_console_filters_by_category_and_omits_special_groups_for_others(world):
    from meihao.testing import make_page_client
    from tests.console.test_register import facet, names

    wang = world.residents["王秀英"]
    async with world.client("community_admin") as client:
        await client.patch(f"/api/residents/{wang['id']}", json={"residence_status": "floating", "relation_to_head": "head"})
    async with make_page_client(world.mh, world.staff["community_admin"]["id"]) as pages:
        listed = await pages.get("/register", params={"community": "hepan"})
        assert facet(listed.text, "residence_status") == {"流动": 1, "未登记": 2}
        assert facet(listed.text, "relation_to_head") == {"户主": 1, "未登记": 2}
        assert facet(listed.text, "tag") == {"低保": 1, "社区矫正": 1, "刑满释放": 1}
        chosen = await pages.get("/register", params={"residence_status": "floating"})
        assert names(chosen.text) == ["王秀英"]
        page = await pages.get(f"/register/residents/{wang['id']}")
        assert "<dt>人口类型</dt><dd>流动</dd>" in page.text and "<dt>与户主关系</dt><dd>户主</dd>" in page.text
        assert ">社区矫正</a>" in page.text
    reads = await _special_reads()
    # the two lists, the resident's page and its household's members (read with their tags) each a row
    assert [(r[1], r[2]["via"]) for r in reads] == [("", "list"), ("", "list"), (str(wang["id"]), "detail"), ("", "list")]
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as pages:
        listed = await pages.get("/register")
        assert facet(listed.text, "tag") == {}
        page = await pages.get(f"/register/residents/{wang['id']}")
        assert page.status_code == 200
        assert "社区矫正" not in page.text and "低保" not in page.text
        refused = await pages.get("/register", params={"tag": "community_correction"})
        assert refused.status_code == 403
        outside = await pages.get(f"/register/residents/{world.residents['李强']['id']}")
        assert outside.status_code == 404
    assert len(await _special_reads()) == 4


async def test_bulk_tagging_keeps_assistance_apart(world):
    from meihao.errors import InvalidInput
    from meihao.register.residents import tag_matching

    admin = Principal(staff_id=None, name="郑主任", street=True, permissions={"*"})
    everyone = ResidentFilter(community="hepan")
    # the same tag as 王秀英's is no clash: 张伟 and 李强 would take it
    assert await tag_matching(world.mh, everyone, "low_income", add=True, principal=admin, dry_run=True) == 2
    with pytest.raises(InvalidInput, match="^tag: 1 of these residents have another of 低保, 低保边缘 and 特困"):
        await tag_matching(world.mh, everyone, "extreme_poverty", add=True, principal=admin)
    # without 王秀英 (低保) the two others take it
    assert await tag_matching(world.mh, ResidentFilter(community="hepan", grid_id=world.grids["B"]), "extreme_poverty", add=True,
                              principal=admin) == 1
