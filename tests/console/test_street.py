"""The street overview (/) and a community's page (/communities/{slug}), in process, on SQLite and PostgreSQL."""

from __future__ import annotations

from meihao.testing import make_page_client
from meihao.testing.world import SceneWorld


async def test_smoke(meihao):
    world = await SceneWorld.build(meihao, "elder_care", brand_name="美好社区")
    async with make_page_client(meihao, world.staff["street_admin"]["id"]) as client:
        page = await client.get("/")
        print(page.text)
        assert page.status_code == 200
        page = await client.get("/communities/hepan")
        print(page.text)
        assert page.status_code == 200
