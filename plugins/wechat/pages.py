"""The resident's WeChat page (``/r/{token}/wechat``): how to follow the account, or that she is bound and how to stop."""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from meihao import CurrentResident, PermanentFailure, render_page
from meihao.plugins.wechat.client import wechat_settings

log = logging.getLogger("meihao.wechat")


async def _qr_image(request: Request[Any, Any, Any], resident_id: int) -> tuple[str, str]:
    """(the QR image as a ``data:`` address, the account's name); an empty address where WeChat cannot make one now."""
    from meihao.plugins.wechat import client, scene_for
    from meihao.plugins.wechat.client import qr_image, qr_ticket

    try:
        settings = wechat_settings(request.app.state.meihao.settings.channels.get("wechat"))
    except PermanentFailure:
        return "", ""
    http = client(settings.timeout_seconds)
    try:
        kind, image = await qr_image(settings, http, await qr_ticket(settings, http, scene_for(settings, resident_id)))
    except Exception as err:  # WeChat down or refusing: the page still says how to follow by the account's name
        log.warning("wechat: no QR code for resident %d: %s", resident_id, err)
        return "", settings.account_name
    # inline: the residents' pages load images only from meihao itself (Content-Security-Policy)
    return f"data:{kind};base64,{base64.b64encode(image).decode()}", settings.account_name


@get("/")
async def wechat_page(request: Request[Any, Any, Any], resident: CurrentResident, done: FromQuery[str] = "") -> Response[str]:
    from meihao.plugins.wechat.tables import WechatBinding

    bound = await WechatBinding.exists().where(WechatBinding.resident_id == resident.resident_id)
    image, account = ("", "") if bound else await _qr_image(request, resident.resident_id)
    settings = request.app.state.meihao.settings.channels.get("wechat") or {}
    return render_page(request, "wechat/follow.html", resident=resident, bound=bound, image=image,
                       account=account or settings.get("account_name", ""), done=done if done in ("unbound",) else "")


@post("/unbind")
async def unbind_page(request: Request[Any, Any, Any], resident: CurrentResident) -> Response[Any]:
    """Stop reminders on WeChat for this resident (her own choice, through her link)."""
    from meihao.plugins.wechat import unbind_resident

    await unbind_resident(resident.resident_id)
    log.info("wechat: resident %d unbound through her page", resident.resident_id)
    return Redirect(f"/r/{quote(resident.token)}/wechat?done=unbound", status_code=303)


HANDLERS = [wechat_page, unbind_page]
