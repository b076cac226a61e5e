"""Attachments (附件, issue 13): a scene declares an AttachmentOwner and mounts ``attachment_routes``; files are
kept on disk by content hash, their type read from the bytes, at most ``attachment_max_bytes``, served only to
whoever may read the owning row (out of scope: the same 404 as a missing row), uploads and deletes audited.

The scene here is a test-only plugin, ``snapshots``, whose rows are the register's households (checked with
``scoped_household``): the kernel mechanism, with no table of its own.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import pytest_asyncio

from meihao import AttachmentOwner, Permission, Scenario, attachment_routes, hookimpl, scoped_household
from meihao.access.tables import AuditLog
from meihao.attachments.store import sniff
from meihao.attachments.tables import Attachment
from meihao.testing import SceneWorld

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
#: how a client sends a file as the body (as the register import takes one)
OCTET = {"content-type": "application/octet-stream"}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


async def _household(principal, community, row_id):
    return await scoped_household(principal, community, row_id)


OWNER = AttachmentOwner("snapshots", "households", _household, read="snapshots.read", write="snapshots.write", noun="household")


class Snapshots:
    """A throwaway scene: photos of households (门牌照片), to exercise the kernel's attachments."""

    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="snapshots", title_zh="入户照片", title_en="Household photos", scene="neighbourhood", version="1.0")

    @hookimpl
    def meihao_permissions(self) -> list[Permission]:
        return [
            Permission("snapshots.read", "See households' photos", ("community_admin", "grid_worker", "grid_part_time")),
            Permission("snapshots.write", "Add and remove households' photos", ("community_admin", "grid_worker")),
        ]

    @hookimpl
    def meihao_route_handlers(self) -> list:
        return [attachment_routes(OWNER)]


@pytest_asyncio.fixture
async def world(make_meihao, tmp_path) -> SceneWorld:
    mh = await make_meihao(plugins=[("snapshots", Snapshots())], attachments_dir=str(tmp_path / "files"), attachment_max_bytes=100)
    return await SceneWorld.build(mh, "snapshots")


def _base(world, household_id: int) -> str:
    return f"/api/communities/hepan/snapshots/households/{household_id}/attachments"


async def _audit(action: str):
    rows = await AuditLog.select(AuditLog.actor, AuditLog.target_id, AuditLog.detail).where(AuditLog.action == action).order_by(AuditLog.id)
    return [(r["actor"], r["target_id"], json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]) for r in rows]


@pytest.mark.parametrize(("data", "expected"), [
    (JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp"), (PDF, "application/pdf"),
    (b"GIF89a" + b"\x00" * 10, None), (b"RIFF\x24\x00\x00\x00WAVEfmt ", None), (b"\xff\xd8", None), (b"", None),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
])
def test_the_type_is_read_from_the_bytes(data, expected):
    assert sniff(data) == expected


async def test_upload_list_download_delete_with_the_file_kept_by_its_hash(world, tmp_path):
    wang = world.residents["王秀英"]
    base = _base(world, wang["household_id"])
    async with world.client("grid_worker") as client:
        # named .png, but its bytes are a JPEG: the bytes decide
        uploaded = await client.post(base, params={"filename": "../门牌 1.png"}, headers=OCTET, content=JPEG)
        assert uploaded.status_code == 201, uploaded.text
        body = uploaded.json()
        sha = hashlib.sha256(JPEG).hexdigest()
        assert (body["filename"], body["media_type"], body["size"], body["sha256"], body["uploaded_by"], body["row_id"]) == (
            "门牌 1.png", "image/jpeg", 76, sha, "陈网格", wang["household_id"])
        assert (tmp_path / "files" / sha[:2] / sha[2:4] / sha).read_bytes() == JPEG
        second = await client.post(base, params={"filename": "scan.pdf"}, headers=OCTET, content=PDF)
        assert second.status_code == 201
        listed = await client.get(base)
        assert [(a["filename"], a["media_type"]) for a in listed.json()] == [("门牌 1.png", "image/jpeg"), ("scan.pdf", "application/pdf")]
        got = await client.get(f"{base}/{body['id']}")
        assert (got.status_code, got.content, got.headers["content-type"]) == (200, JPEG, "image/jpeg")
        assert got.headers["content-disposition"] == "inline; filename*=UTF-8''%E9%97%A8%E7%89%8C%201.png"
        assert got.headers["x-content-type-options"] == "nosniff"
        pdf = await client.get(f"{base}/{second.json()['id']}")
        assert pdf.headers["content-disposition"] == "attachment; filename*=UTF-8''scan.pdf"
        # the same bytes again: a second attachment, one file
        again = await client.post(base, params={"filename": "again.jpg"}, headers=OCTET, content=JPEG)
        assert again.status_code == 201
        gone = await client.delete(f"{base}/{body['id']}")
        assert gone.status_code == 204
        assert (tmp_path / "files" / sha[:2] / sha[2:4] / sha).exists()  # still held by "again.jpg"
        assert (await client.delete(f"{base}/{again.json()['id']}")).status_code == 204
        assert not (tmp_path / "files" / sha[:2] / sha[2:4] / sha).exists()
        assert (await client.get(f"{base}/{body['id']}")).status_code == 404
    assert [(a, d["sha256"][:8], d["size"], d["media_type"]) for a, _, d in await _audit("attachment.upload")] == [
        ("陈网格", sha[:8], 76, "image/jpeg"), ("陈网格", hashlib.sha256(PDF).hexdigest()[:8], len(PDF), "application/pdf"),
        ("陈网格", sha[:8], 76, "image/jpeg")]
    assert [(t, d["filename"]) for _, t, d in await _audit("attachment.delete")] == [
        (str(body["id"]), "门牌 1.png"), (str(again.json()["id"]), "again.jpg")]


@pytest.mark.parametrize(("size", "status"), [(99, 201), (100, 201), (101, 413)])
async def test_the_size_limit_is_a_setting_with_its_boundary(world, size, status):
    base = _base(world, world.residents["王秀英"]["household_id"])
    async with world.client("community_admin") as client:
        response = await client.post(base, headers=OCTET, content=PNG + b"\x00" * (size - len(PNG)))
    assert response.status_code == status, response.text
    assert await Attachment.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(("data", "status"), [(b"", 400), (b"GIF89a" + b"\x00" * 10, 415), (b"<html><script>", 415), (WEBP, 201)])
async def test_only_the_allowed_types_are_taken(world, data, status):
    base = _base(world, world.residents["王秀英"]["household_id"])
    async with world.client("community_admin") as client:
        response = await client.post(base, params={"filename": "photo.jpg"}, headers=OCTET, content=data)
    assert response.status_code == status, response.text
    if status != 201:
        assert response.json()["field"] == "file"


async def test_the_allowed_types_are_a_setting(make_meihao, tmp_path):
    mh = await make_meihao(plugins=[("snapshots", Snapshots())], attachments_dir=str(tmp_path / "f"), attachment_types=["application/pdf"])
    world = await SceneWorld.build(mh, "snapshots")
    base = _base(world, world.residents["王秀英"]["household_id"])
    async with world.client("community_admin") as client:
        assert (await client.post(base, headers=OCTET, content=JPEG)).status_code == 415
        assert (await client.post(base, headers=OCTET, content=PDF)).status_code == 201


def test_an_unknown_type_in_the_setting_stops_start_up():
    from meihao.config import Settings
    from meihao.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="^MEIHAO_ATTACHMENT_TYPES: image/gif cannot be recognised from the bytes"):
        Settings(attachment_types=["image/jpeg", "image/gif"])


async def test_out_of_scope_is_the_same_404_as_missing_and_nothing_leaks(world):
    """张伟's household is in grid B: the grid worker of grid A neither lists, downloads, uploads nor deletes there."""
    zhang = world.residents["张伟"]
    async with world.client("community_admin") as admin:
        made = await admin.post(_base(world, zhang["household_id"]), headers=OCTET, content=PNG)
        assert made.status_code == 201
    attachment = made.json()["id"]
    async with world.client("grid_worker") as client:
        answers = {
            "list": await client.get(_base(world, zhang["household_id"])),
            "download": await client.get(f"{_base(world, zhang['household_id'])}/{attachment}"),
            "upload": await client.post(_base(world, zhang["household_id"]), headers=OCTET, content=PNG),
            "delete": await client.delete(f"{_base(world, zhang['household_id'])}/{attachment}"),
        }
        missing = await client.get(_base(world, 999999))
        # the attachment's id through a household the worker may see: not that household's, so 404 too
        wang = world.residents["王秀英"]
        through_own = await client.get(f"{_base(world, wang['household_id'])}/{attachment}")
    for answer in answers.values():
        assert answer.status_code == 404
        assert answer.json()["detail"].replace(str(zhang["household_id"]), "N") == missing.json()["detail"].replace("999999", "N")
    assert missing.json()["detail"] == "household 999999 not found"
    assert (through_own.status_code, through_own.json()["detail"]) == (404, f"attachment {attachment} not found")
    # the other community does not run the scene: 404 at the kernel's guard
    async with world.client("street_admin") as street:
        other = await street.get(f"/api/communities/{world.other_slug}/snapshots/households/1/attachments")
    assert other.status_code == 404
    assert await Attachment.count() == 1
    assert len(await _audit("attachment.delete")) == 0


async def test_reading_and_writing_need_the_scenes_permissions(make_meihao, tmp_path):
    mh = await make_meihao(plugins=[("snapshots", Snapshots())], attachments_dir=str(tmp_path / "f"))
    world = await SceneWorld.build(mh, "snapshots", staff={"part": ("grid_part_time", "A", "钱兼职"), "leader": ("grid_leader", "A", "孙网格长")})
    base = _base(world, world.residents["王秀英"]["household_id"])
    async with world.client("part") as part:
        assert (await part.get(base)).status_code == 200
        assert (await part.post(base, headers=OCTET, content=PNG)).status_code == 403
    async with world.client("leader") as leader:
        assert (await leader.get(base)).status_code == 403


async def test_a_missing_file_says_which_setting_to_check(world, tmp_path):
    import shutil

    base = _base(world, world.residents["王秀英"]["household_id"])
    async with world.client("community_admin") as client:
        made = await client.post(base, headers=OCTET, content=PNG)
        shutil.rmtree(tmp_path / "files")
        response = await client.get(f"{base}/{made.json()['id']}")
    assert response.status_code == 500


def test_an_owner_name_must_be_a_plain_word():
    with pytest.raises(ValueError, match="AttachmentOwner.table: 'Shows/..' must be lower-case letters, digits and _"):
        AttachmentOwner("culture", "Shows/..", _household, read="culture.read", write="culture.manage")


async def test_a_rows_attachments_are_removed_with_it(world):
    """gov3: ``remove_attachments`` (the scene deleting a row): every attachment of the row goes, audited once, and
    their files (no other attachment has their bytes); another row's attachments and shared files stay."""
    from meihao import remove_attachments
    from meihao.access.principals import principal_for
    from meihao.attachments.store import digest, path_of

    w = world
    one, other = w.residents["王秀英"]["household_id"], w.residents["张伟"]["household_id"]
    assert one != other
    shared, own = JPEG + b"shared", PNG + b"own"
    async with w.client("community_admin") as c:
        for row, data in ((one, shared), (one, own), (other, shared)):
            assert (await c.post(f"{_base(w, row)}?filename=x", content=data, headers=OCTET)).status_code == 201
    admin = await principal_for(w.mh, w.staff["community_admin"])
    root = w.mh.settings.attachments_path
    assert await remove_attachments(w.mh, OWNER, admin, w.community, one) == 2
    assert await remove_attachments(w.mh, OWNER, admin, w.community, one) == 0
    assert [r["row_id"] for r in await Attachment.select(Attachment.row_id)] == [other]
    assert (path_of(root, digest(shared)).exists(), path_of(root, digest(own)).exists()) == (True, False)
    assert [(d["removed"], d["row_id"]) for (_, _, d) in await _audit("attachment.delete")] == [(2, one)]
