"""toolshelf's test world: meihao.testing.SceneWorld with the shelf in 荷畔社区 (``hepan``) and three tools.

王秀英 lives in grid A (陈网格's, ``grid_worker``), 张伟 in grid B (吴网格's, ``grid_worker_out``);
郑主任 is the community admin; ``beiyuan`` has no shelf. The fake clock starts on Monday
2 March 2026, 08:00 in Shanghai.
"""

from __future__ import annotations

import pytest
import toolshelf

from meihao.testing import SceneWorld

BASE = "/api/communities/hepan/toolshelf"


@pytest.fixture
async def world(make_meihao) -> SceneWorld:
    mh = await make_meihao(plugins=[("toolshelf", toolshelf)])
    world = await SceneWorld.build(mh, "toolshelf")
    world.tools = {}
    async with world.client("community_admin") as admin:
        for name in ("电钻", "人字梯", "缝纫机"):
            made = await admin.post(f"{BASE}/tools/", json={"name": name})
            assert made.status_code == 201, made.text
            world.tools[name] = made.json()["id"]
    return world
