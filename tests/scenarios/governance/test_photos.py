"""Photos of grid events (现场照片) through the kernel's attachments: attached when reporting (the report form on a
phone), handling and checking; shown as thumbnails only through scoped routes (another grid's worker: 404, as a
missing photo); refused with a clear 4xx when not a photo or too large (the kernel's settings); removed."""

from __future__ import annotations

from meihao.attachments.store import digest, path_of
from meihao.attachments.tables import Attachment
from meihao.testing import form_token, make_page_client

from .test_events import E, _report

C = "/c/yinshan/governance"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 60 + "北门".encode()  # bytes of this file only (the files are shared on PostgreSQL)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32 + "处置后".encode()
GIF = b"GIF89a" + b"\x00" * 32
OCTET = {"content-type": "application/octet-stream"}


def _kept(w, data: bytes) -> bool:
    """The bytes are on disk under the attachments directory."""
    return path_of(w.mh.settings.attachments_path, digest(data)).exists()


async def test_photos_through_the_api_are_scoped_to_the_event(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    event = await _report(w)
    base = f"{E}/events/{event['id']}/attachments"
    async with w.client("grid_worker") as c:
        r = await c.post(f"{base}?filename=北门.jpg", content=JPEG, headers=OCTET)
        assert r.status_code == 201, r.text
        photo = r.json()
        assert (photo["filename"], photo["media_type"], photo["size"], photo["uploaded_by"]) == ("北门.jpg", "image/jpeg", len(JPEG), "陈网格")
        got = await c.get(f"{base}/{photo['id']}")
        assert (got.status_code, got.content, got.headers["content-type"]) == (200, JPEG, "image/jpeg")
    # another grid's worker: the same 404 as a missing event, for the list, the photo and an upload
    async with w.client("grid_worker_out") as c:
        assert (await c.get(f"{base}/{photo['id']}")).json() == {"status_code": 404, "detail": f"event {event['id']} not found"}
        assert (await c.get(f"{E}/events/999999/attachments/{photo['id']}")).json() == {"status_code": 404, "detail": "event 999999 not found"}
        assert (await c.get(base)).status_code == 404
        assert (await c.post(f"{base}?filename=x.jpg", content=PNG, headers=OCTET)).status_code == 404
        assert (await c.delete(f"{base}/{photo['id']}")).status_code == 404
    # a department with no order for the event does not reach it either; once dispatched to it, it does
    async with w.client("chengguan") as c:
        assert (await c.get(f"{base}/{photo['id']}")).status_code == 404
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{event['id']}/register", json={})
        await c.post(f"{E}/events/{event['id']}/dispatch", json={"department": "chengguan"})
    async with w.client("chengguan") as c:
        assert (await c.get(f"{base}/{photo['id']}")).status_code == 200
        r = await c.post(f"{base}?filename=done.png", content=PNG, headers=OCTET)  # the handler's photo of the work done
        assert (r.status_code, r.json()["uploaded_by"]) == (201, "钱城管")
    async with w.client("zhujian") as c:
        assert (await c.get(base)).status_code == 404
    # not a photo, an empty body: a clear 4xx, nothing kept
    async with w.client("grid_worker") as c:
        bad = await c.post(f"{base}?filename=a.gif", content=GIF, headers=OCTET)
        assert bad.status_code == 415 and "image/jpeg, image/png, image/webp, application/pdf" in bad.json()["detail"]
        empty = await c.post(f"{base}?filename=a.jpg", content=b"", headers=OCTET)
        assert (empty.status_code, empty.json()["detail"]) == (400, "file: the file is empty")
        assert [a["filename"] for a in (await c.get(base)).json()] == ["北门.jpg", "done.png"]
        # removed: the row and (no other attachment shares the bytes) the file
        assert (await c.delete(f"{base}/{photo['id']}")).status_code == 204
        assert [a["filename"] for a in (await c.get(base)).json()] == ["done.png"]
        assert (await c.get(f"{base}/{photo['id']}")).status_code == 404
    assert await Attachment.count() == 1
    assert (_kept(w, JPEG), _kept(w, PNG)) == (False, True)


async def test_a_photo_larger_than_the_kernel_setting_is_a_413(yinshan):
    w = yinshan
    w.mh.settings.attachment_max_bytes = 100
    event = await _report(w)
    async with w.client("grid_worker") as c:
        base = f"{E}/events/{event['id']}/attachments"
        assert (await c.post(f"{base}?filename=ok.jpg", content=(JPEG * 2)[:100], headers=OCTET)).status_code == 201  # exactly the limit
        big = await c.post(f"{base}?filename=big.jpg", content=(JPEG * 2)[:101], headers=OCTET)
        assert (big.status_code, big.json()["detail"]) == (413, "file: more than 100 bytes (attachment_max_bytes)")
    assert await Attachment.count() == 1


async def test_photos_on_the_console_pages(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        form = (await worker.get(f"{C}/events/new")).text
        assert 'enctype="multipart/form-data"' in form and 'type="file" name="photo" accept="image/*"' in form
        token = await form_token(worker, f"{C}/events/new")
        sent = await worker.post(f"{C}/events/new", data={"_csrf_token": token, "grid": str(w.grids["A"]), "category": "street_order",
                                                            "place": "北门", "text": "北门早市摊贩占道"},
                                 files={"photo": ("现场.jpg", JPEG, "image/jpeg")})
        assert sent.status_code == 303, sent.text
        event_id = int(sent.headers["location"].rsplit("/", 1)[1])
        photo_id = (await Attachment.select(Attachment.id).first())["id"]
        page = (await worker.get(f"{C}/events/{event_id}")).text
        assert f'<img src="{C}/events/{event_id}/photos/{photo_id}"' in page and "照片" in page
        got = await worker.get(f"{C}/events/{event_id}/photos/{photo_id}")
        assert (got.status_code, got.content, got.headers["cache-control"]) == (200, JPEG, "private, no-store")
        token = await form_token(worker, f"{C}/events/{event_id}")
        gif = await worker.post(f"{C}/events/{event_id}/photos", data={"_csrf_token": token}, files={"photo": ("x.gif", GIF, "image/gif")})
        assert gif.status_code == 415 and "这不是照片（JPEG、PNG 或 WebP），没有保存。" in gif.text
        w.mh.settings.attachment_max_bytes = 50
        big = await worker.post(f"{C}/events/{event_id}/photos", data={"_csrf_token": token}, files={"photo": ("b.jpg", JPEG, "image/jpeg")})
        assert big.status_code == 413 and "照片太大" in big.text
        w.mh.settings.attachment_max_bytes = 8 * 1024 * 1024
        none = await worker.post(f"{C}/events/{event_id}/photos", data={"_csrf_token": token})
        assert none.status_code == 400 and "请先选择照片。" in none.text
        added = await worker.post(f"{C}/events/{event_id}/photos", data={"_csrf_token": token}, files={"photo": ("b.png", PNG, "image/png")})
        assert added.status_code == 303
        assert await Attachment.count() == 2
        removed = await worker.post(f"{C}/events/{event_id}/photos/{photo_id}/remove", data={"_csrf_token": token})
        assert removed.status_code == 303
        assert [r["filename"] for r in await Attachment.select(Attachment.filename)] == ["b.png"]
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as other:
        missing = await other.get(f"{C}/events/{event_id}/photos/{photo_id + 1}")
        assert missing.status_code == 404
