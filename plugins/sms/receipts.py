"""Delivery receipts: the providers' status pushes (Alibaba ``SmsReport``, Tencent 短信下发状态回调) at
``POST /api/sms/receipts/{provider}/{token}``.

Neither push is signed by the provider, so the address is: ``token`` is the ``receipt_token`` setting,
compared in constant time; a wrong one is refused (403) and changes nothing. A receipt moves a recorded
message (found by the provider's id and the provider) from ``sent`` to ``delivered`` or ``undelivered``
once: a receipt for a message meihao did not send, or one that comes again, changes nothing.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import post
from litestar.params import FromPath, JSONBody

from meihao import Forbidden, InvalidInput, NotFound, Runtime

#: What each provider calls its message id and the outcome in its push, and what it expects as the answer.
ANSWER = {"aliyun": {"code": 0, "msg": "成功"}, "tencent": {"result": 0, "errmsg": "OK"}}


def outcome(provider: str, item: dict[str, Any]) -> tuple[str, str]:
    """(provider's message id, ``delivered`` or ``undelivered``) of one item of a push."""
    if provider == "aliyun":  # {"biz_id", "success": true, "err_code": "DELIVERED", "out_id", "phone_number", …}
        return str(item.get("biz_id", "")), "delivered" if item.get("success") is True else "undelivered"
    # tencent: {"sid", "report_status": "SUCCESS" | "FAIL", "errmsg": "DELIVRD", "mobile", …}
    return str(item.get("sid", "")), "delivered" if item.get("report_status") == "SUCCESS" else "undelivered"


async def record_receipts(provider: str, items: list[dict[str, Any]]) -> int:
    """Apply a push's items; how many recorded messages changed."""
    from meihao.plugins.sms.tables import SmsSent

    changed = 0
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput("body: a list of receipt objects", field="body")
        provider_id, status = outcome(provider, item)
        if not provider_id:
            continue
        rows = await SmsSent.update({SmsSent.status: status}).where(
            (SmsSent.provider == provider) & (SmsSent.provider_id == provider_id) & (SmsSent.status == "sent")
        ).returning(SmsSent.id)
        changed += len(rows)
    return changed


@post("/sms/receipts/{provider:str}/{token:str}", tags=["public"], status_code=200, opt={"exclude_from_auth": True})
async def sms_receipts(meihao: Runtime, provider: FromPath[str], token: FromPath[str], data: JSONBody[list[dict[str, Any]]]) -> dict[str, Any]:
    """A provider's delivery receipts (no login: the secret in the address is checked)."""
    settings = meihao.settings.channels.get("sms") or {}
    expected = str(settings.get("receipt_token", ""))
    if provider not in ANSWER or not expected or settings.get("provider", "aliyun") != provider:
        raise NotFound("no SMS receipts are taken at this address")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise Forbidden("this receipt address's secret is wrong")
    await record_receipts(provider, data)
    return ANSWER[provider]
