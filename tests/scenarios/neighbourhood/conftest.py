"""A 荷畔 community with the neighbourhood scene for its tests, a meihao.testing.SceneWorld, on a fake clock.

Grid A (荷畔一网格): 王秀英, 李明, 赵芳, 刘洋, 陈静; grid B (荷畔二网格): 张伟, 周强. 陈网格 (``grid_worker``)
works grid A, 吴网格 (``grid_worker_out``) grid B; 郑主任 (``community_admin``) is the party
organisation and the 居委会. ``beiyuan`` has no neighbourhood scene. The clock starts Monday 2 March 2026, 09:00.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest_asyncio

from meihao.testing import SceneWorld

SH = ZoneInfo("Asia/Shanghai")
BASE = "/api/communities/hepan/neighbourhood"
TERM = {"term_start": "2026-01-01", "term_end": "2028-12-31"}


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest_asyncio.fixture
async def hepan(meihao) -> SceneWorld:
    return await SceneWorld.build(
        meihao,
        "neighbourhood",
        residents={"王秀英": "A", "李明": "A", "赵芳": "A", "刘洋": "A", "陈静": "A", "张伟": "B", "周强": "B"},
        start=at(2026, 3, 2, 9, 0),
    )


async def post(client, path: str, body: dict, status: int = 201) -> dict:
    response = await client.post(f"{BASE}{path}", json=body)
    assert response.status_code == status, response.text
    return response.json()


async def body_with_members(w: SceneWorld, client, kind: str, names: list[str], vote_by: str = "member") -> tuple[dict, list[dict]]:
    body = await post(client, "/bodies", {"kind": kind, "name": {"council": "家门口议事厅"}.get(kind, kind), "vote_by": vote_by})
    members = [await post(client, f"/bodies/{body['id']}/members",
                          {"role": "representative", "resident_id": w.residents[n]["id"], **TERM}) for n in names]
    return body, members


def day(y: int, m: int, d: int) -> date:
    return date(y, m, d)
