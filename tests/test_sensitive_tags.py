"""Sensitive resident tags (PIPL art. 28, issue 11 #17): health, disability, low income and political status.

Holders of ``meihao.resident.sensitive.read`` (street and community admins) see them in lists,
details and exports, and their detail and export reads are audited; everyone else gets them
omitted, cannot filter on them, and cannot set them (their tag changes keep the sensitive ones).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
import pytest_asyncio

from meihao.access.tables import AuditLog
from meihao.testing import SceneWorld

#: 王秀英: living_alone (not sensitive), chronic_disease, low_income, party_member; 张伟: volunteer only.
RESIDENTS = {
    "王秀英": {"grid": "A", "birth_date": date(1950, 3, 15), "tags": ["living_alone", "chronic_disease", "low_income", "party_member"]},
    "张伟": {"grid": "A", "birth_date": date(1956, 7, 1), "tags": ["volunteer"]},
}

HOLDERS = ("street_admin", "community_admin")
OTHERS = ("grid_worker", "leader")


def _detail(row):
    return json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"]


@pytest_asyncio.fixture
async def hepan(meihao) -> SceneWorld:
    return await SceneWorld.build(meihao, None, grids={"A": "一网格"}, residents=RESIDENTS, staff={"leader": ("grid_leader", "A", "孙网格长")})


async def _reads():
    return await AuditLog.select(AuditLog.actor, AuditLog.target_id, AuditLog.detail).where(
        AuditLog.action == "resident.sensitive.read").order_by(AuditLog.id)


@pytest.mark.parametrize("role", HOLDERS)
async def test_holders_see_sensitive_tags_and_a_detail_read_is_audited(hepan, role):
    wang = hepan.residents["王秀英"]["id"]
    async with hepan.client(role) as client:
        listed = await client.get("/api/residents", params={"community": "hepan"})
        assert listed.status_code == 200, listed.text
        assert {r["name"]: r["tags"] for r in listed.json()["items"]} == {
            "王秀英": ["chronic_disease", "living_alone", "low_income", "party_member"], "张伟": ["volunteer"]}
        assert await _reads() == []  # lists show them, unaudited (as masked numbers are)
        detail = await client.get(f"/api/residents/{wang}")
        assert detail.json()["tags"] == ["chronic_disease", "living_alone", "low_income", "party_member"]
        filtered = await client.get("/api/residents", params={"tag": "low_income"})
        assert [r["name"] for r in filtered.json()["items"]] == ["王秀英"]
        # 张伟 has no sensitive tag: reading him reads nothing sensitive
        assert (await client.get(f"/api/residents/{hepan.residents['张伟']['id']}")).json()["tags"] == ["volunteer"]
    reads = await _reads()
    assert [(r["target_id"], _detail(r)) for r in reads] == [
        (str(wang), {"via": "detail", "tags": ["chronic_disease", "low_income", "party_member"]})]
    assert reads[0]["actor"] == {"street_admin": "街道管理员", "community_admin": "郑主任"}[role]


@pytest.mark.parametrize("role", OTHERS)
async def test_others_get_sensitive_tags_omitted_and_cannot_filter_or_set_them(hepan, role):
    wang = hepan.residents["王秀英"]["id"]
    async with hepan.client(role) as client:
        listed = await client.get("/api/residents")
        assert {r["name"]: r["tags"] for r in listed.json()["items"]} == {"王秀英": ["living_alone"], "张伟": ["volunteer"]}
        for word in ("chronic_disease", "low_income", "party_member"):
            assert word not in listed.text
        detail = await client.get(f"/api/residents/{wang}")
        assert detail.status_code == 200 and detail.json()["tags"] == ["living_alone"]
        refused = await client.get("/api/residents", params={"tag": "low_income"})
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"] == "tag: low_income is sensitive; you need the permission 'meihao.resident.sensitive.read'"
        assert refused.json()["field"] == "tag"
        # a tag that is not sensitive filters as before
        assert [r["name"] for r in (await client.get("/api/residents", params={"tag": "living_alone"})).json()["items"]] == ["王秀英"]
        set_one = await client.patch(f"/api/residents/{wang}", json={"tags": ["living_alone", "disabled"]})
        assert set_one.status_code == 403
        assert set_one.json()["detail"] == "tags: disabled is sensitive; you need the permission 'meihao.resident.sensitive.read'"
        created = await client.post("/api/residents", json={
            "household_id": hepan.residents["张伟"]["household_id"], "name": "李秀兰", "gender": "female", "birth_date": "1960-05-17",
            "id_card": hepan.factories.id_card(date(1960, 5, 17), "female"), "tags": ["low_income", "volunteer"],
        })
        assert created.status_code == 403 and created.json()["field"] == "tags"
        assert created.json()["detail"] == "tags: low_income is sensitive; you need the permission 'meihao.resident.sensitive.read'"
        # replacing the tags one can see keeps the ones one cannot
        changed = await client.patch(f"/api/residents/{wang}", json={"tags": ["volunteer"]})
        assert changed.status_code == 200 and changed.json()["tags"] == ["volunteer"]
        export = await client.get("/api/residents/export")
        assert export.status_code == 403  # the export is the community admin's
    assert await _reads() == []
    async with hepan.client("community_admin") as client:
        kept = (await client.get(f"/api/residents/{wang}")).json()["tags"]
    assert kept == ["chronic_disease", "low_income", "party_member", "volunteer"]


async def test_a_holder_export_shows_sensitive_tags_and_is_audited_once(hepan):
    async with hepan.client("community_admin") as client:
        response = await client.get("/api/residents/export", params={"community": "hepan"})
        assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (rows[0][0], rows[0][10], rows[0][13]) == ("姓名", "标签", "救助类别")
    # 低保 has its own column (救助类别), not the tags'
    assert [(r[0], r[10], r[13]) for r in rows[1:]] == [("王秀英", "chronic_disease living_alone party_member", "低保"), ("张伟", "volunteer", "")]
    reads = await _reads()
    assert [(r["actor"], r["target_id"], _detail(r)) for r in reads] == [("郑主任", "", {"via": "export", "community": "hepan"})]
    assert await AuditLog.count().where(AuditLog.action == "resident.export") == 1


async def test_an_export_without_the_permission_omits_sensitive_tags_and_reads_nothing(hepan):
    from meihao import Principal
    from meihao.register.residents import ResidentFilter, export_rows

    exporter = Principal(staff_id=None, name="导出员", permissions={"meihao.resident.read", "meihao.resident.export"}, street=True)
    rows = [row async for row in export_rows(hepan.mh, ResidentFilter(community="hepan"), exporter)]
    assert rows[0] == ["姓名", "性别", "出生日期", "身份证号", "联系电话", "社区", "网格", "楼栋", "单元", "房号", "标签", "与户主关系", "人口类型"]
    assert [(r[0], r[10]) for r in rows[1:]] == [("王秀英", "living_alone"), ("张伟", "volunteer")]
    with pytest.raises(Exception, match="^tag: party_member is sensitive"):
        [row async for row in export_rows(hepan.mh, ResidentFilter(tag="party_member"), exporter)]


async def test_the_sensitive_tags_are_a_setting(make_meihao):
    """``sensitive_tags`` decides: with only ``living_alone`` sensitive, low_income shows to everyone."""
    mh = await make_meihao(sensitive_tags=["living_alone"])
    world = await SceneWorld.build(mh, None, grids={"A": "一网格"}, residents=RESIDENTS)
    async with world.client("grid_worker") as client:
        listed = (await client.get("/api/residents")).json()
    assert {r["name"]: r["tags"] for r in listed["items"]} == {"王秀英": ["chronic_disease", "low_income", "party_member"], "张伟": ["volunteer"]}


def test_the_default_list_names_health_disability_low_income_and_political_tags():
    from meihao.config import Settings

    assert Settings().sensitive_tags == ["chronic_disease", "disabled", "extreme_poverty", "low_income", "low_income_edge", "party_member"]
