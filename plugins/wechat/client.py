"""WeChat Official Account's HTTP API (公众号 接口), as documented, over httpx: the shared access token, messages, QR codes.

Every call carries ``access_token``. The token is fetched with ``GET /cgi-bin/token`` (AppID and
AppSecret) and lasts ``expires_in`` seconds (7200); fetching a new one ends the old one after a
few minutes' overlap, so nodes must not fetch it each on their own. It lives in the database
(``wechat_token``), and one node at a time refreshes it (:func:`access_token`). A call answered
``errcode`` 40001 (invalid credential) or 42001 (access_token expired) refreshes the token, unless
another node did meanwhile, and is made once more.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import httpx
import msgspec

from meihao import PermanentFailure

log = logging.getLogger("meihao.wechat")

API_ENDPOINT = "https://api.weixin.qq.com"
#: Where a QR code's image is shown from its ticket (``/cgi-bin/showqrcode?ticket=…``).
QR_IMAGE_ENDPOINT = "https://mp.weixin.qq.com"
#: Answers that mean the token the call carried is no longer good: refresh it and call once more.
TOKEN_EXPIRED = {40001, 40014, 42001}
#: Answers that retrying cannot fix (WeChat's 全局返回码): the message fails at once.
PERMANENT = {
    40003: "invalid openid (the resident's binding is not of this account)",
    40013: "invalid AppID",
    40037: "invalid template_id",
    40125: "invalid AppSecret",
    40164: "this server's address is not on the account's IP whitelist",
    43004: "the user no longer follows the account",
    43101: "the user refused subscription messages",
    47003: "a template's data does not fit the template",
}
#: WeChat keeps the old token working for 5 minutes after a new one is fetched (公众号文档, 获取 Access token):
#: a token closer than this to its expiry is refreshed before use.
EXPIRY_MARGIN_SECONDS = 300
#: How long a waiting node sleeps between looks at the row while another node refreshes.
POLL_SECONDS = 0.05
#: WeChat's QR codes with a scene (生成带参数的二维码): a temporary one lasts at most 30 days.
QR_EXPIRE_SECONDS = 2_592_000
#: The most of a QR code's image that is taken (WeChat's is a JPEG of about 30 KB, 430 × 430).
QR_IMAGE_MAX_BYTES = 512 * 1024
#: A template message's ``thing`` value holds at most 20 characters (模板消息 / 订阅通知 参数规则).
THING_MAX = 20
#: An openid: 28 characters of letters, digits, ``-`` and ``_`` (WeChat's own); a little room either side.
OPENID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Template(msgspec.Struct, forbid_unknown_fields=True):
    #: The template's id in the account (公众号后台 模板消息 / 订阅通知).
    id: str
    #: Template key → activity field (title, venue, when, starts_at, ends_at, description, community_name).
    data: dict[str, str] = {}


ACTIVITY_FIELDS = ("title", "venue", "when", "starts_at", "ends_at", "description")


class WechatSettings(msgspec.Struct, forbid_unknown_fields=True):
    app_id: str = ""
    app_secret: str = ""
    #: The token registered as the server's 令牌 (Token) for the callback's signatures.
    callback_token: str = ""
    #: ``template``: 模板消息 (``/cgi-bin/message/template/send``, link in ``url``); ``subscribe``:
    #: 订阅通知 (``/cgi-bin/message/subscribe/bizsend``, link in ``page``).
    kind: Literal["template", "subscribe"] = "template"
    #: The account's name as residents search for it in WeChat (the binding page says it).
    account_name: str = ""
    #: Default: WeChat's public API; tests point it at their stub.
    endpoint: str = ""
    qr_endpoint: str = ""
    templates: dict[str, Template] = {}
    #: A callback whose ``timestamp`` is further than this from now is refused (a replayed one).
    callback_max_age_seconds: int = 300
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        for key, template in self.templates.items():
            for name, source in template.data.items():
                if source not in ACTIVITY_FIELDS:
                    raise ValueError(f"templates.{key}.data.{name}: {source!r} is not one of {', '.join(ACTIVITY_FIELDS)}")
        if self.callback_max_age_seconds <= 0 or self.timeout_seconds <= 0:
            raise ValueError("callback_max_age_seconds and timeout_seconds must be above 0")

    @property
    def api(self) -> str:
        return (self.endpoint or API_ENDPOINT).rstrip("/")

    @property
    def qr_api(self) -> str:
        return (self.qr_endpoint or QR_IMAGE_ENDPOINT).rstrip("/")


def wechat_settings(raw: dict[str, Any] | None) -> WechatSettings:
    """``[channels.wechat]`` with ``MEIHAO_WECHAT_APP_SECRET`` / ``MEIHAO_WECHAT_CALLBACK_TOKEN`` (which win); PermanentFailure if unusable."""
    if raw is None:
        raise PermanentFailure("[channels.wechat] is not set up in meihao.toml (docs/reminders.md, \"WeChat\")")
    values = dict(raw)
    for key in ("app_secret", "callback_token"):
        if os.environ.get(f"MEIHAO_WECHAT_{key.upper()}"):
            values[key] = os.environ[f"MEIHAO_WECHAT_{key.upper()}"]
    try:
        settings = msgspec.convert(values, WechatSettings)
    except (msgspec.ValidationError, ValueError) as err:
        raise PermanentFailure(f"[channels.wechat] settings: {err}") from err
    if not settings.app_id or not settings.app_secret:
        raise PermanentFailure("[channels.wechat] settings: app_id and app_secret (or MEIHAO_WECHAT_APP_SECRET) are not set")
    return settings


def mask_openid(openid: str) -> str:
    """An openid as logs and errors may show it: ``oAbC…xyz9`` is not enough to address anyone."""
    return f"{openid[:4]}…{openid[-4:]}" if len(openid) > 8 else "…"


def openid_digest(app_id: str, openid: str) -> str:
    return hashlib.sha256(f"{app_id}:{openid}".encode()).hexdigest()


class WechatRefusal(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat errcode {errcode}: {PERMANENT.get(errcode, errmsg)}")
        self.errcode = errcode
        self.permanent = errcode in PERMANENT


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise RuntimeError(f"WeChat answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise RuntimeError("WeChat's answer is not JSON") from None
    if not isinstance(body, dict):
        raise RuntimeError("WeChat's answer is not a JSON object")
    errcode = int(body.get("errcode") or 0)
    if errcode:
        raise WechatRefusal(errcode, str(body.get("errmsg", "")))
    return body


async def fetch_token(settings: WechatSettings, http: httpx.AsyncClient) -> tuple[str, int]:
    """A new token from WeChat: (token, seconds it lasts)."""
    response = await http.get(
        f"{settings.api}/cgi-bin/token", params={"grant_type": "client_credential", "appid": settings.app_id, "secret": settings.app_secret}
    )
    body = _answer(response)
    return str(body["access_token"]), int(body.get("expires_in", 7200))


async def access_token(settings: WechatSettings, http: httpx.AsyncClient, *, stale: str = "") -> str:
    """The account's current token, from the database; refreshed by this node only if no other is at it.

    ``stale``: a token WeChat just refused (40001/42001): not to be handed out again. A node
    that finds another refreshing waits (up to twice ``timeout_seconds``) for the row to change.
    """
    from meihao.plugins.wechat.tables import WechatToken

    await WechatToken.insert(WechatToken(app_id=settings.app_id)).on_conflict(action="DO NOTHING")
    where = WechatToken.app_id == settings.app_id
    lease = timedelta(seconds=settings.timeout_seconds * 2)
    give_up = _now() + lease + lease
    while True:
        row = await WechatToken.select(WechatToken.access_token, WechatToken.expires_at, WechatToken.refreshing_until).where(where).first()
        now = _now()
        token = row["access_token"]
        if token and token != stale and row["expires_at"] is not None and row["expires_at"] > now + timedelta(seconds=EXPIRY_MARGIN_SECONDS):
            return token
        # Claim the refresh: nobody at it (or their lease is over), and the token still the one read here.
        claimed = await WechatToken.update({WechatToken.refreshing_until: now + lease}).where(
            where & (WechatToken.access_token == token) & (WechatToken.refreshing_until.is_null() | (WechatToken.refreshing_until < now))
        ).returning(WechatToken.id)
        if claimed:
            try:
                fresh, lasts = await fetch_token(settings, http)
            except BaseException:
                await WechatToken.update({WechatToken.refreshing_until: None}).where(where)
                raise
            await WechatToken.update({
                WechatToken.access_token: fresh, WechatToken.expires_at: _now() + timedelta(seconds=lasts),
                WechatToken.refreshing_until: None, WechatToken.refreshes: WechatToken.refreshes + 1,
            }).where(where)
            log.info("wechat: access token refreshed for %s (lasts %d s)", settings.app_id, lasts)
            return fresh
        if _now() > give_up:
            raise RuntimeError("WeChat's access token is being refreshed by another node, which has not finished")
        await asyncio.sleep(POLL_SECONDS)


async def call(settings: WechatSettings, http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to ``path`` with the shared token; on 40001/42001 once more with a refreshed one."""
    token = await access_token(settings, http)
    for attempt in (1, 2):
        try:
            return _answer(await http.post(f"{settings.api}{path}", params={"access_token": token}, json=body))
        except WechatRefusal as err:
            if err.errcode not in TOKEN_EXPIRED or attempt == 2:
                raise
            log.info("wechat: token refused (errcode %d), refreshing", err.errcode)
            token = await access_token(settings, http, stale=token)
    raise AssertionError("unreachable")


async def qr_ticket(settings: WechatSettings, http: httpx.AsyncClient, scene: str) -> str:
    """A temporary QR code carrying ``scene`` (QR_STR_SCENE): its ticket, for ``/cgi-bin/showqrcode``."""
    body = {"expire_seconds": QR_EXPIRE_SECONDS, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
    return str((await call(settings, http, "/cgi-bin/qrcode/create", body))["ticket"])


async def qr_image(settings: WechatSettings, http: httpx.AsyncClient, ticket: str) -> tuple[str, bytes]:
    """The code's image (``/cgi-bin/showqrcode?ticket=…``, no token needed): (content type, bytes).

    The resident's page shows it inline: its Content-Security-Policy loads images only from meihao
    itself, and her browser never asks WeChat's server with her page as the referrer.
    """
    response = await http.get(f"{settings.qr_api}/cgi-bin/showqrcode", params={"ticket": ticket})
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    if response.status_code != 200 or not kind.startswith("image/"):
        raise RuntimeError(f"WeChat answered the QR image with HTTP {response.status_code} {kind or 'without a type'}")
    if len(response.content) > QR_IMAGE_MAX_BYTES:
        raise RuntimeError(f"WeChat's QR image is larger than {QR_IMAGE_MAX_BYTES} bytes")
    return kind, response.content
