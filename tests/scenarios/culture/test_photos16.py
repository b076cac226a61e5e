"""Photos of shows (演出照片, issue 16) through the kernel's attachments: attached by who records the show, read with the
shows, through the show's scope (another grid's worker: the same 404 as a missing show); not a photo, a 415; removed."""

from __future__ import annotations

from meihao.attachments.tables import Attachment

C = "/api/communities/chengguan/culture"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 60 + "戏台".encode()  # bytes of this file only (the files are shared on PostgreSQL)
GIF = b"GIF89a" + b"\x00" * 32
OCTET = {"content-type": "application/octet-stream"}
TROUPE = {"name": "济阳区吕剧团", "level": "district", "repertoire": [{"title": "李二嫂改嫁", "genre": "吕剧", "duration_minutes": 150}]}


async def _held_show(w) -> int:
    async with w.client("community_admin") as admin:
        troupe = (await admin.post(f"{C}/troupes", json=TROUPE)).json()
        plan = (await admin.post(f"{C}/plans", json={"name": "春季", "season_start": "2026-03-01", "season_end": "2026-06-30"})).json()
        venue = (await admin.post(f"{C}/venues", json={"name": "城关老街广场", "grid_id": w.grids["A"]})).json()
        show = (await admin.post(f"{C}/plans/{plan['id']}/shows", json={
            "venue_id": venue["id"], "troupe_id": troupe["id"], "play_id": troupe["repertoire"][0]["id"],
            "starts_at": "2026-03-10T14:30:00"})).json()
    w.at(2026, 3, 11, 9, 0)
    return show["id"]


async def test_photos_of_a_show_are_scoped_to_the_show(chengguan):
    w = chengguan
    show = await _held_show(w)
    base = f"{C}/shows/{show}/attachments"
    async with w.client("grid_worker") as c:
        r = await c.post(f"{base}?filename=戏台.jpg", content=JPEG, headers=OCTET)
        assert r.status_code == 201, r.text
        photo = r.json()
        assert (photo["filename"], photo["media_type"], photo["size"]) == ("戏台.jpg", "image/jpeg", len(JPEG))
        got = await c.get(f"{base}/{photo['id']}")
        assert (got.status_code, got.content, got.headers["content-type"]) == (200, JPEG, "image/jpeg")
        assert [a["filename"] for a in (await c.get(base)).json()] == ["戏台.jpg"]
        bad = await c.post(f"{base}?filename=a.gif", content=GIF, headers=OCTET)
        assert bad.status_code == 415
    # the show is at a venue of grid A: grid B's worker gets the 404 of a missing show, for every route
    async with w.client("grid_worker_out") as c:
        assert (await c.get(f"{base}/{photo['id']}")).json() == {"status_code": 404, "detail": f"show {show} not found"}
        assert (await c.get(f"{C}/shows/999999/attachments")).json() == {"status_code": 404, "detail": "show 999999 not found"}
        assert (await c.get(base)).status_code == 404
        assert (await c.post(f"{base}?filename=x.jpg", content=JPEG, headers=OCTET)).status_code == 404
        assert (await c.delete(f"{base}/{photo['id']}")).status_code == 404
    # another community's staff: 403 (the kernel's scenario guard)
    other = (await w.factories.staff("community_admin", community=w.other_slug))["id"]
    from meihao.testing import make_client

    async with make_client(w.mh, other) as c:
        assert (await c.get(base)).status_code == 403
    async with w.client("community_admin") as c:
        assert (await c.delete(f"{base}/{photo['id']}")).status_code == 204
        assert (await c.get(base)).json() == []
    assert await Attachment.count() == 0
