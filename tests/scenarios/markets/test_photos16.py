"""Photos of a market day (市集现场照片, issue 16) through the kernel's attachments: attached by who records at the stalls, read
by the community's staff who read markets; another community's day is the same 404 as a missing one; part-time staff (who do
not record) get 403."""

from __future__ import annotations

from meihao.attachments.tables import Attachment
from meihao.testing import make_client

P = "/api/communities/huayang/markets"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32 + "市集摊位".encode()  # bytes of this file only (the files are shared on PostgreSQL)
OCTET = {"content-type": "application/octet-stream"}
MONTHLY = {"venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-01", "opens_at": "09:00",
           "closes_at": "11:30"}


async def test_photos_of_a_market_day(huayang):
    w = huayang
    async with w.client("community_admin") as admin:
        day_id = (await admin.post(f"{P}/markets", json=MONTHLY)).json()["next_days"][0]["id"]
    base = f"{P}/days/{day_id}/attachments"
    async with w.client("grid_worker") as worker:
        r = await worker.post(f"{base}?filename=摊位.png", content=PNG, headers=OCTET)
        assert r.status_code == 201, r.text
        photo = r.json()
        assert (photo["filename"], photo["media_type"], photo["uploaded_by"]) == ("摊位.png", "image/png", "陈网格")
    # the day is the community's: the other grid's worker reads it too
    async with w.client("grid_worker_out") as other_grid:
        got = await other_grid.get(f"{base}/{photo['id']}")
        assert (got.status_code, got.content) == (200, PNG)
        assert (await other_grid.get(f"{P}/days/999999/attachments")).json() == {"status_code": 404, "detail": "market day 999999 not found"}
    part_timer = (await w.factories.staff("grid_part_time", grid_id=w.grids["A"]))["id"]
    async with make_client(w.mh, part_timer) as c:
        assert [a["filename"] for a in (await c.get(base)).json()] == ["摊位.png"]
        assert (await c.post(f"{base}?filename=x.png", content=PNG, headers=OCTET)).status_code == 403
    # another community's admin: the kernel's 403 on this community; in their own community the day does not exist (404)
    other_admin = (await w.factories.staff("community_admin", community=w.other_slug))["id"]
    from meihao.register.community_scenarios import enable

    await enable(w.mh, w.other_slug, "markets")
    async with make_client(w.mh, other_admin) as c:
        assert (await c.get(base)).status_code == 403
        answer = await c.get(f"/api/communities/{w.other_slug}/markets/days/{day_id}/attachments")
        assert answer.json() == {"status_code": 404, "detail": f"market day {day_id} not found"}
    async with w.client("grid_worker") as worker:
        assert (await worker.delete(f"{base}/{photo['id']}")).status_code == 204
    assert await Attachment.count() == 0
