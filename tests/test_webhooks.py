"""``meihao.post_webhook``: a scene's own signed POST, against a real HTTP server on 127.0.0.1 (tests/receivers.py).

The address is checked before every try (127.0.0.1 is internal: the operator's allow-list admits it here),
the body is signed as the webhook channel signs, 2xx is success, 408/425/429/5xx and timeouts are retryable
(tried again within the call up to ``attempts``), any other answer fails at once with the status.
"""

from __future__ import annotations

import pytest

from meihao import WebhookFailed, WebhookReply, post_webhook, sign_webhook
from tests.receivers import HttpReceiver, free_port

SECRET = "scene-webhook-secret"
PAYLOAD = {"subject": "12345工单答复", "text": "已责令施工方22点后停工", "n": 1}


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("MEIHAO_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("MEIHAO_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    with HttpReceiver(secret=SECRET.encode()) as server:
        yield server


async def test_a_signed_post_arrives_once_with_its_delivery_id(receiver):
    reply = await post_webhook(f"{receiver.url}/in", PAYLOAD, delivery_id="scene:1", headers={"X-Scene": "service"})
    assert reply == WebhookReply(200, '{"errcode": 0, "errmsg": "ok"}', 1)
    [got] = receiver.received
    assert (got.path, got.body, got.signature_ok) == ("/in", PAYLOAD, True)
    assert (got.headers["X-Meihao-Delivery"], got.headers["X-Scene"], got.headers["Content-Type"]) == (
        "scene:1", "service", "application/json; charset=utf-8")
    # the signature is the one documented: HMAC-SHA256 of "{timestamp}.{body}", the body UTF-8 JSON with sorted keys
    body = '{"n": 1, "subject": "12345工单答复", "text": "已责令施工方22点后停工"}'.encode()
    assert got.headers["X-Meihao-Signature"] == sign_webhook(SECRET.encode(), got.headers["X-Meihao-Timestamp"], body)


@pytest.mark.parametrize("status", [408, 425, 429, 500, 503])
async def test_a_retryable_answer_is_tried_again_within_the_call_up_to_attempts(receiver, status):
    receiver.fail_status, receiver.fail_next = status, 2
    reply = await post_webhook(receiver.url, PAYLOAD, delivery_id="scene:2", attempts=3, backoff=0.01)
    assert (reply.status, reply.attempts, receiver.delivery_ids()) == (200, 3, ["scene:2"])


async def test_the_last_retryable_failure_says_so(receiver):
    receiver.always_status = 503
    port = receiver.url.rsplit(":", 1)[1]
    with pytest.raises(WebhookFailed) as failed:
        await post_webhook(receiver.url, PAYLOAD, delivery_id="scene:3", attempts=2, backoff=0.01)
    assert (str(failed.value), failed.value.retryable, failed.value.status) == (f"HTTP 503 from 127.0.0.1:{port}", True, 503)


@pytest.mark.parametrize("status", [400, 404, 410, 302])
async def test_another_answer_fails_at_once_not_retryable(receiver, status):
    receiver.always_status = status
    with pytest.raises(WebhookFailed) as failed:
        await post_webhook(receiver.url, PAYLOAD, delivery_id="scene:4", attempts=5, backoff=5)  # no wait: one try
    assert (failed.value.retryable, failed.value.status) == (False, status)


async def test_a_timeout_and_a_closed_port_are_retryable(receiver, monkeypatch):
    receiver.delay = 0.5
    with pytest.raises(WebhookFailed) as slow:
        await post_webhook(receiver.url, PAYLOAD, delivery_id="scene:5", timeout=0.2)
    port = receiver.url.rsplit(":", 1)[1]
    assert (str(slow.value), slow.value.retryable, slow.value.status) == (f"no answer from 127.0.0.1:{port} within 0.2 s", True, None)
    closed = free_port()
    with pytest.raises(WebhookFailed) as nobody:
        await post_webhook(f"http://127.0.0.1:{closed}/in", PAYLOAD, delivery_id="scene:6")
    assert (str(nobody.value), nobody.value.retryable) == (f"cannot reach 127.0.0.1:{closed}: ConnectError", True)


async def test_an_internal_address_and_a_missing_secret_are_refused_before_any_post(receiver, monkeypatch):
    monkeypatch.delenv("MEIHAO_WEBHOOK_ALLOWED_HOSTS")
    with pytest.raises(WebhookFailed) as internal:
        await post_webhook(receiver.url, PAYLOAD, delivery_id="scene:7")
    assert (str(internal.value), internal.value.retryable) == (
        "webhook address refused: host 127.0.0.1 is an internal address (127.0.0.1); webhooks go to public addresses only "
        "(an operator can allow internal receivers with MEIHAO_WEBHOOK_ALLOWED_HOSTS)", False)
    monkeypatch.setenv("MEIHAO_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.delenv("MEIHAO_WEBHOOK_SECRET")
    with pytest.raises(WebhookFailed) as unsigned:
        await post_webhook(receiver.url, PAYLOAD, delivery_id="scene:8")
    assert (str(unsigned.value), unsigned.value.retryable) == (
        "MEIHAO_WEBHOOK_SECRET is not set: webhooks are signed and cannot be sent without it", False)
    assert receiver.received == []


async def test_a_delivery_id_is_required(receiver):
    with pytest.raises(ValueError, match="delivery_id must be a non-empty single line"):
        await post_webhook(receiver.url, PAYLOAD, delivery_id="")
    with pytest.raises(ValueError, match="attempts must be at least 1, not 0"):
        await post_webhook(receiver.url, PAYLOAD, delivery_id="x", attempts=0)
