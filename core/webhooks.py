"""Outbound webhooks a scene posts itself (``meihao.post_webhook``): signed JSON to a checked address, with a time limit,
a few quick tries and one clear failure.

The reminder channels (``webhook``, ``wecom``) deliver messages to people; a scene sometimes has to tell another
system something that is not a message to anyone: the 12345 platform the answer to its work order, a street's
big-data platform an event. ``post_webhook`` does it the way the ``webhook`` channel does:

- the address is checked before every POST (``check_webhook_target``: http(s) to public addresses only;
  ``MEIHAO_WEBHOOK_ALLOWED_HOSTS`` admits an operator's internal receivers) and the POST goes to the address that
  was checked; redirects are not followed;
- the body is the payload as JSON (UTF-8, keys sorted), signed: ``X-Meihao-Timestamp`` and ``X-Meihao-Signature:
  sha256=HEX``, the HMAC-SHA256 of ``"{timestamp}.{body}"`` under ``MEIHAO_WEBHOOK_SECRET``; ``X-Meihao-Delivery`` is
  the caller's delivery id, the same on every retry, so that the receiver takes each delivery once;
- a 2xx answer is success (a :class:`WebhookReply`); 408, 425, 429, 5xx, a timeout or a network error are
  *retryable*, anything else (another 4xx, a 3xx, a refused address, no secret) is not. ``attempts`` > 1 tries
  retryable failures again at once within the call, ``backoff`` seconds apart (doubling); when the last try
  fails, :class:`WebhookFailed` says why (``retryable``, ``status``) so that a caller keeping an outbox can try
  again later.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
import weakref
from dataclasses import dataclass
from typing import Any

import httpx

from meihao.webhook_targets import Target, TargetRefused, check_target

__all__ = ["WebhookFailed", "WebhookReply", "post_webhook", "sign_webhook", "webhook_secret"]

SECRET_VARIABLE = "MEIHAO_WEBHOOK_SECRET"
#: Seconds meihao waits for a receiver's answer, unless the caller says otherwise (as the webhook channel).
DEFAULT_TIMEOUT = 10.0
RETRYABLE = {408, 425, 429}

_clients: weakref.WeakKeyDictionary[Any, httpx.AsyncClient] = weakref.WeakKeyDictionary()


class WebhookFailed(Exception):
    """A webhook POST that did not succeed: the message says why (``HTTP 503 from host:port``, ``webhook address
    refused: …``); ``retryable`` whether trying again later may work; ``status`` the HTTP status, if one came."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


@dataclass(frozen=True)
class WebhookReply:
    """The receiver's 2xx answer: its status, its body as text, and how many tries it took."""

    status: int
    text: str
    attempts: int


def webhook_secret() -> bytes:
    """The signing key (``MEIHAO_WEBHOOK_SECRET``); :class:`WebhookFailed` (not retryable) when it is not set."""
    value = os.environ.get(SECRET_VARIABLE, "")
    if not value:
        raise WebhookFailed(f"{SECRET_VARIABLE} is not set: webhooks are signed and cannot be sent without it", retryable=False)
    return value.encode()


def sign_webhook(key: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=HEX``: the HMAC-SHA256 of ``"{timestamp}.{body}"`` under ``key`` (receivers compute the same)."""
    return "sha256=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _client() -> httpx.AsyncClient:
    """One client per event loop: building one per POST costs more than the POST (TLS set-up)."""
    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None or found.is_closed:
        found = _clients[loop] = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
    return found


async def _post_once(url: str, body: bytes, headers: dict[str, str], timeout: float) -> WebhookReply:
    try:
        target: Target = await check_target(url)
    except TargetRefused as err:
        raise WebhookFailed(f"webhook address refused: {err}", retryable=False) from err
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else None
    try:
        response = await _client().post(target.url, content=body, headers={**headers, "Host": target.host_header},
                                         extensions=extensions, follow_redirects=False, timeout=timeout)
    except httpx.TimeoutException as err:
        raise WebhookFailed(f"no answer from {target.host_header} within {timeout:g} s", retryable=True) from err
    except httpx.HTTPError as err:
        raise WebhookFailed(f"cannot reach {target.host_header}: {type(err).__name__}", retryable=True) from err
    if 200 <= response.status_code < 300:
        return WebhookReply(response.status_code, response.text, 1)
    retryable = response.status_code in RETRYABLE or response.status_code >= 500
    raise WebhookFailed(f"HTTP {response.status_code} from {target.host_header}", retryable=retryable, status=response.status_code)


async def post_webhook(
    url: str, payload: Any, *, delivery_id: str, timeout: float = DEFAULT_TIMEOUT, attempts: int = 1, backoff: float = 1.0,
    headers: dict[str, str] | None = None,
) -> WebhookReply:
    """POST ``payload`` (JSON-ready) to ``url``, signed, as delivery ``delivery_id``; the answer, or :class:`WebhookFailed`.

    ``timeout`` seconds for each try; ``attempts`` tries at most, the retryable failures only, ``backoff``,
    2 × ``backoff`` … seconds apart. ``headers`` are added (they cannot replace the signature's).
    """
    if not delivery_id or any(c in delivery_id for c in "\r\n"):
        raise ValueError("delivery_id must be a non-empty single line: the receiver deduplicates on it")
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    key = webhook_secret()
    for attempt in range(1, attempts + 1):
        timestamp = str(int(time.time()))
        signed = {
            **(headers or {}),
            "Content-Type": "application/json; charset=utf-8",
            "X-Meihao-Delivery": delivery_id,
            "X-Meihao-Timestamp": timestamp,
            "X-Meihao-Signature": sign_webhook(key, timestamp, body),
        }
        try:
            reply = await _post_once(url, body, signed, timeout)
        except WebhookFailed as err:
            if not err.retryable or attempt == attempts:
                raise
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
            continue
        return WebhookReply(reply.status, reply.text, attempt)
    raise AssertionError("unreachable: the last try returns or raises")
