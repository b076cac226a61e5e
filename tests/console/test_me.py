"""Me (/me) in process: my own inbox (mark read in place, others' messages are missing) and my digest setting."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import pytest_asyncio

from meihao.reminders.recipients import digest_of
from meihao.reminders.tables import InboxMessage
from meihao.testing import SceneWorld, form_token, make_page_client


def h1(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html)


def field_errors(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<p class="error" id="f-(\w+)-note">(.*?)</p>', html)


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    return await SceneWorld.build(meihao)


async def _messages(world) -> dict[str, int]:
    worker, other = world.staff["grid_worker"]["id"], world.staff["grid_worker_out"]["id"]
    rows = await InboxMessage.insert(
        InboxMessage(recipient_kind="staff", recipient_id=worker, body="明天上午九点邻里议事会，请提前到场。",
                     created_at=datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)),
        InboxMessage(recipient_kind="staff", recipient_id=worker, body="王秀英已超过十天未探访。",
                     created_at=datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)),
        InboxMessage(recipient_kind="staff", recipient_id=other, body="别人的消息",
                     created_at=datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)),
        InboxMessage(recipient_kind="resident", recipient_id=worker, body="居民的消息"),
    ).returning(InboxMessage.id)
    return dict(zip(("meeting", "visit", "other", "resident"), (r["id"] for r in rows)))


def inbox(html: str) -> list[tuple[str, str]]:
    """(body, read state) of each message shown, newest first."""
    return re.findall(r'<p class="message-body" id="m-\d+-b">(.*?)</p>.*?<span class="badge tone-\w+">(.*?)</span>', html, re.S)


async def test_my_inbox_shows_only_my_messages_newest_first(world):
    await _messages(world)
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        page = await client.get("/me")
        assert (page.status_code, h1(page.text)) == (200, ["陈网格"])
        assert inbox(page.text) == [("王秀英已超过十天未探访。", "未读"), ("明天上午九点邻里议事会，请提前到场。", "未读")]
        assert '<span class="badge tone-warn">未读 2 条</span>' in page.text
        assert '<a href="/me/password">修改我的密码</a>' in page.text
        assert "别人的消息" not in page.text and "居民的消息" not in page.text
        assert re.findall(r'<p class="message-meta">\s*<span>(.*?)</span>', page.text) == ["2026-03-02 09:00", "2026-03-01 09:00"]  # Shanghai


async def test_marking_a_message_read_in_place_with_htmx(world):
    ids = await _messages(world)
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        token = await form_token(client, "/me")
        # htmx sends the token in its header and gets the message back, now read
        fragment = await client.post(f"/me/inbox/{ids['visit']}/read", headers={"HX-Request": "true", "X-CSRFToken": token})
        assert fragment.status_code == 200
        assert fragment.text.startswith(f'<li class="message" id="m-{ids["visit"]}">')
        assert inbox(fragment.text) == [("王秀英已超过十天未探访。", "已读")]
        assert "<html" not in fragment.text
        # a plain form goes back to the page
        plain = await client.post(f"/me/inbox/{ids['meeting']}/read", data={"_csrf_token": token})
        assert (plain.status_code, plain.headers["location"]) == (303, "/me")
        page = await client.get("/me")
        assert inbox(page.text) == [("王秀英已超过十天未探访。", "已读"), ("明天上午九点邻里议事会，请提前到场。", "已读")]
        assert "未读 " not in page.text
        assert re.findall(r"<li class=\"message[^\"]*\"", (await client.get("/me?unread=true")).text) == []
        # another's message, or a resident's, is missing: the 404 page
        for key in ("other", "resident"):
            missing = await client.post(f"/me/inbox/{ids[key]}/read", headers={"HX-Request": "true", "X-CSRFToken": token})
            assert (missing.status_code, h1(missing.text)) == (404, ["找不到页面"])
    assert await InboxMessage.count().where(InboxMessage.read_at.is_null()) == 2


async def test_marking_read_needs_the_form_token(world):
    ids = await _messages(world)
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        await client.get("/me")
        refused = await client.post(f"/me/inbox/{ids['visit']}/read", headers={"HX-Request": "true"})
        assert (refused.status_code, h1(refused.text)) == (403, ["表单已过期"])
        refused = await client.post("/me/digest", data={"digest": "on", "hour": "8", "channel": "inbox"})
        assert refused.status_code == 403
    assert await InboxMessage.count().where(InboxMessage.read_at.is_not_null()) == 0
    assert await digest_of(world.staff["grid_worker"]["id"]) == {"digest": False}


async def test_choosing_a_daily_digest_and_back(world):
    worker = world.staff["grid_worker"]["id"]
    async with make_page_client(world.mh, worker) as client:
        page = await client.get("/me")
        assert 'id="f-digest" name="digest" type="checkbox" value="on">' in page.text  # not chosen
        assert '<option value="7" selected>07:00</option>' in page.text
        token = await form_token(client, "/me")
        saved = await client.post("/me/digest", data={"digest": "on", "hour": "18", "channel": "inbox", "_csrf_token": token})
        assert (saved.status_code, saved.headers["location"]) == (303, "/me?saved=true#digest")
        assert await digest_of(worker) == {"digest": True, "hour": 18, "channel": "inbox"}
        page = await client.get("/me?saved=true")
        assert 'value="on" checked>' in page.text and '<option value="18" selected>18:00</option>' in page.text
        assert re.findall(r'class="notice" role="status">(.*?)</p>', page.text) == ["已保存。"]
        off = await client.post("/me/digest", data={"hour": "18", "channel": "inbox", "_csrf_token": token})
        assert off.status_code == 303
        assert await digest_of(worker) == {"digest": False}


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"hour": "24", "channel": "inbox"}, "hour", "请选择 0 到 23 点之间的整点。"),
    ({"hour": "-1", "channel": "inbox"}, "hour", "请选择 0 到 23 点之间的整点。"),
    ({"hour": "seven", "channel": "inbox"}, "hour", "请选择 0 到 23 点之间的整点。"),
    ({"hour": "", "channel": "inbox"}, "hour", "请选择 0 到 23 点之间的整点。"),
    ({"hour": "8", "channel": "pigeon"}, "channel", "请从列表中选择发送方式。"),
])
async def test_a_bad_digest_value_is_a_400_with_the_message_at_its_field(world, form, field, message):
    worker = world.staff["grid_worker"]["id"]
    async with make_page_client(world.mh, worker) as client:
        token = await form_token(client, "/me")
        page = await client.post("/me/digest", data={"digest": "on", **form, "_csrf_token": token})
    assert page.status_code == 400
    assert field_errors(page.text) == [(field, message)]
    assert f'id="f-{field}" name="{field}" aria-' in page.text and 'aria-invalid="true"' in page.text
    assert 'value="on" checked>' in page.text  # what was chosen is kept
    assert await digest_of(worker) == {"digest": False}


async def test_me_in_english(world):
    await _messages(world)
    async with make_page_client(world.mh, world.staff["grid_worker"]["id"]) as client:
        client.cookies.set("meihao_lang", "en")
        page = await client.get("/me")
    assert re.findall(r'<h2 id="\w+-h">(.*?)</h2>', page.text, re.S)[0].startswith("My inbox")
    assert "Mark read" in page.text and "Unread: 2" in page.text
