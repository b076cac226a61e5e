"""The account's server callback (服务器配置 URL): ``/api/wechat/callback``, signature-checked.

WeChat signs each request's query: ``signature = sha1(sorted(token, timestamp, nonce) joined)``,
``token`` being the 令牌 registered with the URL (``callback_token``). A GET with ``echostr``
is the URL check when it is registered: answered with ``echostr``. A POST carries an event in
XML (plaintext mode): ``subscribe`` with ``EventKey`` ``qrscene_<scene>`` (followed through a QR
code) or ``SCAN`` with ``<scene>`` (already following) binds the resident the scene names;
``unsubscribe`` unbinds every resident bound to that openid. Anything else is answered
``success`` and changes nothing. A wrong signature, or a timestamp further from now than
``callback_max_age_seconds`` (a replayed request: the plaintext signature does not cover the
body), is refused with 403 and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any
from xml.etree import ElementTree

from litestar import Request, Response, get, post
from litestar.params import FromQuery

from meihao import Forbidden, InvalidInput, MeihaoError, NotFound, PermanentFailure, Runtime, error_response
from meihao.plugins.wechat.client import WechatSettings, mask_openid, wechat_settings

log = logging.getLogger("meihao.wechat")

#: What the callback answers besides its success (documented in OpenAPI).
REFUSALS = {
    400: error_response(400, "a query parameter is missing, or the body is not WeChat's XML event"),
    403: error_response(403, "the signature is wrong, or the timestamp is too far from now"),
    404: error_response(404, "the WeChat channel takes no callback here (no [channels.wechat] or no callback_token)"),
}


def signature_of(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature of a callback: SHA-1 of token, timestamp and nonce sorted and joined, hex."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def _checked(mh: Any, signature: str, timestamp: str, nonce: str) -> WechatSettings:
    raw = mh.settings.channels.get("wechat")
    try:
        settings = wechat_settings(raw)
    except PermanentFailure:
        raise NotFound("no WeChat callback is taken here") from None
    if not settings.callback_token:
        raise NotFound("no WeChat callback is taken here")
    if not hmac.compare_digest(signature.lower(), signature_of(settings.callback_token, timestamp, nonce)):
        raise Forbidden("the callback's signature is wrong")
    try:
        sent = int(timestamp)
    except ValueError:
        raise Forbidden("the callback's timestamp is not a number") from None
    if abs(mh.clock.now().timestamp() - sent) > settings.callback_max_age_seconds:
        raise Forbidden(f"the callback's timestamp is more than {settings.callback_max_age_seconds} seconds from now")
    return settings


@get("/wechat/callback", tags=["public"], opt={"exclude_from_auth": True}, media_type="text/plain", responses=REFUSALS)
async def wechat_verify(meihao: Runtime, signature: FromQuery[str], timestamp: FromQuery[str], nonce: FromQuery[str], echostr: FromQuery[str]) -> str:
    """WeChat's check of the callback URL when it is registered: ``echostr`` back if the signature is right."""
    _checked(meihao, signature, timestamp, nonce)
    return echostr


def _event(body: bytes) -> dict[str, str]:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise InvalidInput("body: not WeChat's XML event", field="body") from None
    return {child.tag: (child.text or "") for child in root}


@post("/wechat/callback", tags=["public"], status_code=200, opt={"exclude_from_auth": True}, media_type="text/plain", responses=REFUSALS)
async def wechat_event(request: Request[Any, Any, Any], meihao: Runtime, signature: FromQuery[str], timestamp: FromQuery[str],
                       nonce: FromQuery[str]) -> Response[str]:
    """A follow, a scan or an unfollow: bind or unbind (answered ``success``, as WeChat expects)."""
    from meihao.plugins.wechat import bind, resident_of_scene, unbind_openid

    settings = _checked(meihao, signature, timestamp, nonce)
    event = _event(await request.body())
    openid = event.get("FromUserName", "")
    kind = event.get("Event", "").lower() if event.get("MsgType") == "event" else ""
    if kind == "unsubscribe" and openid:
        await unbind_openid(settings, openid)
    elif kind in ("subscribe", "scan") and openid:
        scene = event.get("EventKey", "").removeprefix("qrscene_")
        resident = resident_of_scene(settings, scene) if scene else None
        if resident is not None:
            try:
                await bind(meihao, settings, resident, openid)
            except MeihaoError as err:  # the resident was erased or removed meanwhile: nothing to bind
                log.info("wechat: %s scanned a code of resident %d, not bound: %s", mask_openid(openid), resident, err)
        elif scene:
            log.info("wechat: %s scanned a code meihao did not sign", mask_openid(openid))
    return Response("success", media_type="text/plain")


HANDLERS = [wechat_verify, wechat_event]
