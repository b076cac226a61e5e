"""12345 replies: a work order's answer and closing posted back to the platform's webhook, signed, retried and once per
number, against a real HTTP server on 127.0.0.1 (tests/receivers.py), as the kernel's webhook tests do.

荷畔 (conftest), the clock on Monday 30 Nov 2026 09:00; the platform pushes order 12345-20261130-0001.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from meihao.scenarios.service.jobs import hotline_replies
from meihao.scenarios.service.services import hotline
from meihao.scenarios.service.tables import HotlineReply
from meihao.testing import SceneWorld
from tests.receivers import HttpReceiver

from .conftest import BASE, at

SECRET = "platform-shared-secret"
ORDER = "12345-20261130-0001"


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("MEIHAO_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("MEIHAO_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")  # the platform's stand-in is local
    with HttpReceiver(secret=SECRET.encode()) as server:
        yield server


async def world(meihao, url: str, **settings) -> SceneWorld:
    return await SceneWorld.build(meihao, "service", grids={"A": "荷畔一网格", "B": "荷畔二网格"},
                                  staff={"leader": ("grid_leader", "A", "孙网格长")}, start=at(2026, 11, 30, 9, 0),
                                  settings={"hotline_reply_url": url, **settings})


async def answered(w: SceneWorld) -> int:
    async with w.client("community_admin") as admin:
        made = await admin.post(f"{BASE}/hotline-orders", json={"external_id": ORDER, "type": "complaint", "text": "夜间施工噪音扰民",
                                                                "grid": w.grids["A"]})
        rid = made.json()["id"]
        await admin.post(f"{BASE}/requests/{rid}/actions", json={"action": "dispatch", "assignee": w.staff["leader"]["id"]})
        for action in ("sign", "start"):
            await admin.post(f"{BASE}/requests/{rid}/actions", json={"action": action})
        done = await admin.post(f"{BASE}/requests/{rid}/actions", json={"action": "reply", "reply": "已责令施工方22点后停工"})
        assert done.status_code == 201, done.text
    return rid


async def test_the_answer_and_the_closing_reach_the_platform_signed_once(meihao, receiver):
    w = await world(meihao, f"{receiver.url}/12345/replies")
    rid = await answered(w)
    assert await hotline_replies(w.mh) == {"sent": 1, "retry": 0, "failed": 0}
    assert await hotline_replies(w.mh) == {"sent": 0, "retry": 0, "failed": 0}  # sent once: nothing left
    async with w.client("community_admin") as admin:
        await admin.post(f"{BASE}/requests/{rid}/callbacks", json={"result": "satisfied", "contacted": True, "resolved": True})
        closed = await admin.post(f"{BASE}/requests/{rid}/actions", json={"action": "close"})
        assert closed.status_code == 201
    assert await hotline_replies(w.mh) == {"sent": 1, "retry": 0, "failed": 0}
    assert [r.path for r in receiver.received] == ["/12345/replies", "/12345/replies"]
    assert receiver.delivery_ids() == [f"12345:{ORDER}:reply:1", f"12345:{ORDER}:close:1"]
    assert [r.signature_ok for r in receiver.received] == [True, True]
    first = receiver.received[0].body
    assert (first["subject"], first["text"], first["activity"]) == (
        f"12345工单{ORDER}答复", "已责令施工方22点后停工", {"external_id": ORDER, "event": "reply", "request": rid})
    assert receiver.received[1].body["subject"] == f"12345工单{ORDER}办结"
    assert [(r["event"], r["state"], r["attempts"]) for r in await hotline.replies(rid)] == [("reply", "sent", 1), ("close", "sent", 1)]


async def test_a_failing_platform_is_tried_again_with_the_same_delivery_id(meihao, receiver):
    w = await world(meihao, receiver.url, hotline_reply_attempts=3)
    receiver.fail_next = 2  # two 500s, then 200
    rid = await answered(w)
    assert await hotline_replies(w.mh) == {"sent": 0, "retry": 1, "failed": 0}
    # the next try is 1 minute later: not before
    w.clock.advance(timedelta(seconds=59))
    assert await hotline_replies(w.mh) == {"sent": 0, "retry": 0, "failed": 0}
    w.clock.advance(timedelta(seconds=1))
    assert await hotline_replies(w.mh) == {"sent": 0, "retry": 1, "failed": 0}
    w.clock.advance(timedelta(minutes=2))
    assert await hotline_replies(w.mh) == {"sent": 1, "retry": 0, "failed": 0}
    assert receiver.delivery_ids() == [f"12345:{ORDER}:reply:1"]  # the 500s were not recorded: one answer arrived
    assert [(r["state"], r["attempts"], r["last_error"]) for r in await hotline.replies(rid)] == [("sent", 3, "")]


async def test_the_platform_is_given_up_after_the_last_try_or_at_once_on_a_refusal(meihao, receiver):
    w = await world(meihao, receiver.url, hotline_reply_attempts=2)
    receiver.always_status = 503
    rid = await answered(w)
    assert await hotline_replies(w.mh) == {"sent": 0, "retry": 1, "failed": 0}
    w.clock.advance(timedelta(minutes=1))
    assert await hotline_replies(w.mh) == {"sent": 0, "retry": 0, "failed": 1}
    [reply] = await hotline.replies(rid)
    assert (reply["state"], reply["attempts"], reply["last_error"]) == ("failed", 2, "HTTP 503 from 127.0.0.1:" + receiver.url.rsplit(":", 1)[1])

    # a 404 is a refusal: no second try
    receiver.always_status = 404
    async with w.client("community_admin") as admin:
        await admin.post(f"{BASE}/requests/{rid}/callbacks", json={"result": "satisfied", "contacted": True, "resolved": True})
        await admin.post(f"{BASE}/requests/{rid}/actions", json={"action": "close"})
    assert await hotline_replies(w.mh) == {"sent": 0, "retry": 0, "failed": 1}


async def test_an_internal_address_is_refused_and_requests_not_from_12345_send_nothing(meihao, monkeypatch):
    monkeypatch.setenv("MEIHAO_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv("MEIHAO_WEBHOOK_ALLOWED_HOSTS", raising=False)
    w = await world(meihao, "http://127.0.0.1:9/replies")
    rid = await answered(w)
    async with w.client("community_admin") as admin:
        desk = (await admin.post(f"{BASE}/requests", json={"channel": "visit", "type": "help", "text": "楼道灯坏了"})).json()
        await admin.post(f"{BASE}/requests/{desk['id']}/actions", json={"action": "dispatch", "assignee": w.staff["leader"]["id"]})
        for action in ("sign", "start"):
            await admin.post(f"{BASE}/requests/{desk['id']}/actions", json={"action": action})
        await admin.post(f"{BASE}/requests/{desk['id']}/actions", json={"action": "reply", "reply": "已更换灯泡"})
    assert await HotlineReply.count() == 1  # the desk's request has no 12345 number
    assert await hotline_replies(w.mh) == {"sent": 0, "retry": 0, "failed": 1}
    [reply] = await hotline.replies(rid)
    assert reply["state"] == "failed" and reply["last_error"].startswith("webhook address refused")


async def test_without_a_url_nothing_is_queued(meihao):
    w = await world(meihao, "")
    await answered(w)
    assert await HotlineReply.count() == 0
