"""12345 replies: a work order's answer (答复) and closing (办结) posted back to the platform's webhook.

The kernel's ``meihao.post_webhook`` does the sending (the address checked against internal targets before every
POST, the body signed with ``MEIHAO_WEBHOOK_SECRET``: ``X-Meihao-Signature``, ``X-Meihao-Delivery``); this module
keeps the outbox: one row per answer or closing, its delivery id built from the platform's number (the same on
every retry, so the platform takes it once), retried 1, 2, 4 … minutes apart up to ``hotline_reply_attempts``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, WebhookFailed, post_webhook, scenario_settings
from meihao.tables import Community

from ..tables import HotlineReply, ServiceRequest

SCENARIO = "service"
EVENTS = {"reply": "答复", "close": "办结"}
#: How many replies one run of the job sends at most (the rest wait for the next minute).
BATCH = 50


async def enqueue(mh: Any, community: CommunityInfo, request_id: int, event: str, text: str) -> str | None:
    """Queue the answer or closing of a 12345 request for the platform (nothing for other requests, or without a URL).

    The n-th answer of a request (after 重办) is its own delivery: ``12345:<number>:reply:<n>``."""
    row = await ServiceRequest.select(ServiceRequest.external_id).where(ServiceRequest.id == request_id).first()
    if row is None or not row["external_id"]:
        return None
    settings = await scenario_settings(mh, community.id, SCENARIO)
    if not settings.hotline_reply_url:
        return None
    turn = await HotlineReply.count().where(HotlineReply.request == request_id, HotlineReply.event == event) + 1
    delivery = f"12345:{row['external_id']}:{event}:{turn}"
    await HotlineReply.insert(HotlineReply(
        community=community.id, request=request_id, external_id=row["external_id"], event=event, delivery_id=delivery, text=text,
        next_attempt_at=mh.clock.now()))
    return delivery


def payload(reply: dict[str, Any], community: CommunityInfo) -> dict[str, Any]:
    """What the platform receives: the delivery id, the community, a subject, the answer, and the order it answers."""
    return {
        "delivery_id": reply["delivery_id"], "community": community.slug,
        "subject": f"12345工单{reply['external_id']}{EVENTS[reply['event']]}", "text": reply["text"],
        "activity": {"external_id": reply["external_id"], "event": reply["event"], "request": reply["request"]},
    }


async def deliver(mh: Any) -> dict[str, int]:
    """Send the replies due now (``meihao.post_webhook``); a refusal fails at once, a retryable failure is tried again later."""
    now = mh.clock.now()
    due = await HotlineReply.select().where(HotlineReply.state == "pending", HotlineReply.next_attempt_at <= now).order_by(
        HotlineReply.id).limit(BATCH)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for reply in due:
        community = CommunityInfo.from_row(await Community.select().where(Community.id == reply["community"]).first())
        settings = await scenario_settings(mh, community.id, SCENARIO)
        attempts = reply["attempts"] + 1
        try:
            if not settings.hotline_reply_url:
                raise WebhookFailed("hotline_reply_url is empty: the community no longer posts replies back", retryable=False)
            await post_webhook(settings.hotline_reply_url, payload(reply, community), delivery_id=reply["delivery_id"])
        except WebhookFailed as err:
            if not err.retryable:
                await HotlineReply.update({HotlineReply.state: "failed", HotlineReply.attempts: attempts,
                                           HotlineReply.last_error: str(err)[:500]}).where(HotlineReply.id == reply["id"])
                counts["failed"] += 1
                continue
            # a failure that may pass: 5xx, 429, a refused connection, a timeout
            gave_up = attempts >= settings.hotline_reply_attempts
            await HotlineReply.update({
                HotlineReply.state: "failed" if gave_up else "pending", HotlineReply.attempts: attempts,
                HotlineReply.next_attempt_at: now + timedelta(minutes=2 ** (attempts - 1)), HotlineReply.last_error: str(err)[:500],
            }).where(HotlineReply.id == reply["id"])
            counts["failed" if gave_up else "retry"] += 1
        else:
            await HotlineReply.update({HotlineReply.state: "sent", HotlineReply.attempts: attempts, HotlineReply.sent_at: now,
                                       HotlineReply.last_error: ""}).where(HotlineReply.id == reply["id"])
            counts["sent"] += 1
    return counts


async def replies(request_id: int) -> list[dict[str, Any]]:
    return await HotlineReply.select(
        HotlineReply.delivery_id, HotlineReply.event, HotlineReply.state, HotlineReply.attempts, HotlineReply.sent_at,
        HotlineReply.last_error).where(HotlineReply.request == request_id).order_by(HotlineReply.id)
