"""Webhook delivery channels: a signed JSON POST (``webhook``) and the WeCom group-robot format (``wecom``).

``webhook``: ``POST`` the reminder as JSON to the recipient's address, with headers
``X-Meihao-Delivery`` (the same on every retry: deduplicate on it), ``X-Meihao-Timestamp``
and ``X-Meihao-Signature: sha256=HEX``, the HMAC-SHA256 of ``"{timestamp}.{body}"`` under
``MEIHAO_WEBHOOK_SECRET``. Receivers check the signature and reject old timestamps.

``wecom``: a 企业微信 group robot (群机器人) webhook URL as the address; the text message
format (``{"msgtype": "text", "text": {"content": …}}``), for staff groups only.

A 2xx answer is delivered; 408, 429 and 5xx are retried with backoff; other 4xx fail at
once, as does a WeCom ``errcode`` saying the robot key is invalid. Redirects are not followed
(a 3xx fails at once).

Targets (see ``targets``): http(s) to public addresses only, checked when the address is saved
and again before every send; ``MEIHAO_WEBHOOK_ALLOWED_HOSTS`` names internal receivers an
operator allows.
"""

from __future__ import annotations

import json
import os
import time
import weakref
from typing import Any

import httpx

from meihao import Channel, InvalidInput, Message, PermanentFailure, hookimpl, sign_webhook
from meihao import WebhookTargetRefused as TargetRefused
from meihao import check_webhook_target as check_target

__version__ = "1.0"

RETRYABLE = {408, 425, 429}
#: WeCom errcodes that retrying cannot fix: invalid/removed robot key, bad request.
WECOM_PERMANENT = {93000, 93004, 40008, 44004}


_clients: weakref.WeakKeyDictionary[Any, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def client() -> httpx.AsyncClient:
    """One client per event loop: building one per message costs more than the POST (TLS set-up)."""
    import asyncio

    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None or found.is_closed:
        found = _clients[loop] = httpx.AsyncClient(timeout=10, follow_redirects=False)
    return found


async def check_address(address: str) -> None:
    """Save-time check of a webhook address (the same rules apply again at every send)."""
    try:
        await check_target(address)
    except TargetRefused as err:
        raise InvalidInput(f"address: {err}", field="address") from err


async def post(message: Message, **kwargs: Any) -> httpx.Response:
    """POST to the recipient's address after checking it again, to the very address that was checked."""
    try:
        target = await check_target(message.address)
    except TargetRefused as err:
        raise PermanentFailure(f"webhook address refused: {err}") from err
    headers = {**kwargs.pop("headers", {}), "Host": target.host_header}
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else None
    return await client().post(target.url, headers=headers, extensions=extensions, follow_redirects=False, **kwargs)


def secret() -> bytes:
    value = os.environ.get("MEIHAO_WEBHOOK_SECRET", "")
    if not value:
        raise PermanentFailure("MEIHAO_WEBHOOK_SECRET is not set: webhooks are signed and cannot be sent without it")
    return value.encode()


def payload(message: Message) -> dict:
    return {
        "delivery_id": message.delivery_id,
        "community": message.community,
        "recipient": {"kind": message.recipient_kind, "id": message.recipient_id, "language": message.language},
        "subject": message.subject,
        "text": message.body,
        "activity": message.activity,
        "unsubscribe_url": message.unsubscribe_url,
    }


def _check_status(response: httpx.Response) -> None:
    if 200 <= response.status_code < 300:
        return
    problem = f"HTTP {response.status_code} from {response.request.headers.get('Host', response.request.url.host)}"
    if response.status_code in RETRYABLE or response.status_code >= 500:
        raise RuntimeError(problem)
    raise PermanentFailure(problem)


async def send_webhook(message: Message) -> None:
    body = json.dumps(payload(message), ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Meihao-Delivery": message.delivery_id,
        "X-Meihao-Timestamp": timestamp,
        "X-Meihao-Signature": sign_webhook(secret(), timestamp, body),
    }
    response = await post(message, content=body, headers=headers)
    _check_status(response)


def wecom_text(message: Message) -> dict:
    return {"msgtype": "text", "text": {"content": f"{message.subject}\n{message.body}"}}


async def send_wecom(message: Message) -> None:
    response = await post(message, json=wecom_text(message), headers={"X-Meihao-Delivery": message.delivery_id})
    _check_status(response)
    try:
        answer = response.json()
    except ValueError as err:
        raise RuntimeError("WeCom answered without JSON") from err
    code = answer.get("errcode", 0)
    if code in WECOM_PERMANENT:
        raise PermanentFailure(f"WeCom errcode {code}: {answer.get('errmsg', '')}")
    if code != 0:
        raise RuntimeError(f"WeCom errcode {code}: {answer.get('errmsg', '')}")


@hookimpl
def meihao_channels() -> list[Channel]:
    return [
        Channel("webhook", "Webhook", "Signed webhook", send_webhook, for_residents=True, needs_address=True, check_address=check_address),
        Channel("wecom", "企业微信群机器人", "WeCom group robot", send_wecom, for_residents=False, needs_address=True, check_address=check_address),
    ]
