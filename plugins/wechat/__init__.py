"""The WeChat delivery channel (``wechat``): reminders as WeChat Official Account template messages (公众号模板消息 / 订阅通知).

A resident is reached on WeChat once she follows the account from her own page: the page behind
her inbox link (``/r/{token}/wechat``) shows a QR code carrying a signed scene value; WeChat tells
the callback (``/api/wechat/callback``, signature-checked) that an openid followed or scanned with
that scene, and the openid becomes her ``wechat`` contact. Unfollowing unbinds her. One WeChat
user may be bound for several residents (a daughter for both parents).

A reminder goes as the template mapped to its scene (``[channels.wechat.templates.<scene>]``,
notices ``<scene>.notice``), its fields filled from the activity, with a link to the resident's
own page. WeChat's access token is shared by every node through the database
(:mod:`meihao.plugins.wechat.client`). The openid is personal data: logs and errors show it masked.

Settings: ``[channels.wechat]`` in meihao.toml (docs/reminders.md, "WeChat"); the secrets can come
from ``MEIHAO_WECHAT_APP_SECRET`` and ``MEIHAO_WECHAT_CALLBACK_TOKEN``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import weakref
from pathlib import Path
from typing import Any

import httpx

from meihao import Channel, ConsolePages, DoctorCheck, InvalidInput, Message, NavLink, PermanentFailure, hookimpl
from meihao.plugins.wechat.client import (
    OPENID,
    THING_MAX,
    Template,
    WechatRefusal,
    WechatSettings,
    call,
    mask_openid,
    openid_digest,
    wechat_settings,
)

__version__ = "1.0"

log = logging.getLogger("meihao.wechat")

HERE = Path(__file__).parent
#: The prefix of a binding scene (``b12.3f9a…``): the resident's id and a signature only meihao can make.
SCENE_PREFIX = "b"

_clients: weakref.WeakKeyDictionary[Any, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def client(timeout: float) -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None or found.is_closed:
        found = _clients[loop] = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
    return found


def template_key(message: Message) -> str:
    """``culture`` for a reminder of a culture activity, ``culture.notice`` for a culture notice (a cancellation)."""
    scene = str(message.activity.get("scene", ""))
    return f"{scene}.notice" if str(message.activity.get("source", "")).startswith("notice:") else scene


def fill(template: Template, activity: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The template's ``data``: ``{"thing1": {"value": "戏曲进社区"}, …}``; a ``thing`` value cut to WeChat's 20 characters."""
    data = {}
    for key, source in template.data.items():
        value = str(activity.get(source, ""))
        if key.startswith("thing") and len(value) > THING_MAX:
            value = value[: THING_MAX - 1] + "…"
        data[key] = {"value": value}
    return data


async def send_wechat(message: Message) -> None:
    settings = wechat_settings(message.settings or None)
    key = template_key(message)
    template = settings.templates.get(key)
    if template is None:
        raise PermanentFailure(f"no WeChat template for {key!r}: map one in [channels.wechat.templates.{key}]")
    openid = message.address
    if settings.kind == "template":
        # client_msg_id: WeChat sends one message per openid and id (within 10 minutes): a retry after a crash is not sent twice
        path = "/cgi-bin/message/template/send"
        body: dict[str, Any] = {"touser": openid, "template_id": template.id, "url": message.page_url, "client_msg_id": message.delivery_id}
    else:
        path = "/cgi-bin/message/subscribe/bizsend"
        body = {"touser": openid, "template_id": template.id, "page": message.page_url}
    body["data"] = fill(template, message.activity)
    try:
        await call(settings, client(settings.timeout_seconds), path, body)
    except WechatRefusal as err:
        text = f"to {mask_openid(openid)}: {err}"
        if err.permanent:
            raise PermanentFailure(text) from None
        raise RuntimeError(text) from None
    except httpx.HTTPError as err:
        raise RuntimeError(f"to {mask_openid(openid)}: WeChat did not answer ({type(err).__name__})") from None


async def check_address(address: str) -> None:
    """Save-time check: the shape of an openid (bindings normally come from the follow callback)."""
    if not OPENID.match(address):
        raise InvalidInput("address: not a WeChat openid (28 letters, digits, - and _); residents bind theirs by following the account", field="address")


# -- binding: a signed scene value in the QR code ----------------------------------------------


def _bind_key(settings: WechatSettings) -> bytes:
    return hashlib.sha256(b"meihao wechat bind\0" + settings.app_secret.encode()).digest()


def scene_for(settings: WechatSettings, resident_id: int) -> str:
    """The QR code's scene for one resident: ``b{id}.{signature}`` (at most 64 characters, as WeChat allows)."""
    body = f"{SCENE_PREFIX}{resident_id}"
    return f"{body}.{hmac.new(_bind_key(settings), body.encode(), hashlib.sha256).hexdigest()[:24]}"


def resident_of_scene(settings: WechatSettings, scene: str) -> int | None:
    """The resident a scene names, if meihao signed it; None for anything else."""
    body, _, signature = scene.partition(".")
    if not body.startswith(SCENE_PREFIX) or not body[1:].isdigit():
        return None
    if not hmac.compare_digest(scene, scene_for(settings, int(body[1:]))):
        return None
    return int(body[1:])


async def bind(mh: Any, settings: WechatSettings, resident_id: int, openid: str) -> None:
    """Reach the resident at this openid (her ``wechat`` contact) and remember its digest for the unfollow."""
    from meihao.plugins.wechat.tables import WechatBinding

    await set_contact_checked(mh, resident_id, openid)
    digest = openid_digest(settings.app_id, openid)
    # WeChat repeats a callback it got no answer to in 5 seconds: the second one replaces the first, never fails on it
    await WechatBinding.insert(WechatBinding(resident_id=resident_id, openid_digest=digest)).on_conflict(
        target=WechatBinding.resident_id, action="DO UPDATE", values=[WechatBinding.openid_digest, WechatBinding.bound_at])
    log.info("wechat: resident %d bound to %s", resident_id, mask_openid(openid))


async def set_contact_checked(mh: Any, resident_id: int, openid: str) -> None:
    from meihao import set_contact

    await set_contact(mh, "resident", resident_id, "wechat", openid)


async def unbind_openid(settings: WechatSettings, openid: str) -> list[int]:
    """Every resident bound to this openid loses the binding and the contact; their ids."""
    from meihao import remove_contact
    from meihao.plugins.wechat.tables import WechatBinding

    digest = openid_digest(settings.app_id, openid)
    rows = await WechatBinding.delete().where(WechatBinding.openid_digest == digest).returning(WechatBinding.resident_id)
    for row in rows:
        await remove_contact("resident", row["resident_id"], "wechat")
    if rows:
        log.info("wechat: %s unfollowed; %d residents unbound", mask_openid(openid), len(rows))
    return [row["resident_id"] for row in rows]


async def unbind_resident(resident_id: int) -> bool:
    from meihao import remove_contact
    from meihao.plugins.wechat.tables import WechatBinding

    rows = await WechatBinding.delete().where(WechatBinding.resident_id == resident_id).returning(WechatBinding.id)
    await remove_contact("resident", resident_id, "wechat")
    return bool(rows)


# -- hooks ---------------------------------------------------------------------------------------


@hookimpl
def meihao_channels() -> list[Channel]:
    return [Channel("wechat", "微信", "WeChat", send_wechat, for_residents=True, needs_address=True, check_address=check_address)]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    from meihao.plugins.wechat.callback import HANDLERS

    return list(HANDLERS)


@hookimpl
def meihao_console_pages() -> ConsolePages:
    from meihao.plugins.wechat.pages import HANDLERS

    return ConsolePages(
        templates=HERE / "templates", locale=HERE / "locale", resident_handlers=list(HANDLERS),
        resident_nav=[NavLink("用微信接收提醒", "Reminders on WeChat", "")],
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.plugins.wechat.piccolo_app"]


@hookimpl
async def meihao_doctor(meihao: Any) -> list[DoctorCheck]:
    """The channel's settings, the shared token's state and how many residents are bound."""
    from meihao.plugins.wechat.tables import WechatBinding, WechatToken

    raw = meihao.settings.channels.get("wechat")
    if raw is None:
        return [DoctorCheck("wechat", "ok", "not set up ([channels.wechat] is missing): reminders on the wechat channel fail at once, saying so")]
    try:
        settings = wechat_settings(raw)
    except PermanentFailure as err:
        return [DoctorCheck("wechat", "error", str(err), "fix [channels.wechat] in meihao.toml (docs/reminders.md, \"WeChat\")")]
    bound = await WechatBinding.count()
    token = await WechatToken.select(WechatToken.expires_at, WechatToken.refreshes).where(WechatToken.app_id == settings.app_id).first()
    state = "no access token fetched yet" if not token or token["expires_at"] is None else (
        f"access token until {token['expires_at'].isoformat(timespec='minutes')} ({token['refreshes']} fetches)")
    summary = f"{settings.kind} messages, AppID {settings.app_id}, {len(settings.templates)} templates; {bound} residents bound; {state}"
    if not settings.callback_token:
        return [DoctorCheck("wechat", "warning", summary + "; no callback_token: nobody can bind",
                            "set callback_token (or MEIHAO_WECHAT_CALLBACK_TOKEN) to the 令牌 registered in the account's server settings")]
    return [DoctorCheck("wechat", "ok", summary)]


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    """Whether the resident is bound to a WeChat user, and since when (the openid itself is her contact, listed with them)."""
    from meihao.plugins.wechat.tables import WechatBinding

    row = await WechatBinding.select(WechatBinding.bound_at).where(WechatBinding.resident_id == resident_id).first()
    return {"bound_at": row["bound_at"].isoformat()} if row else None


@hookimpl
async def meihao_erase_resident(resident_id: int) -> dict[str, int] | None:
    from meihao.plugins.wechat.tables import WechatBinding

    rows = await WechatBinding.delete().where(WechatBinding.resident_id == resident_id).returning(WechatBinding.id)
    return {"wechat_binding": len(rows)} if rows else None
