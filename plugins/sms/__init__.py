"""The SMS delivery channel (``sms``): reminders as approved template messages through Alibaba Cloud SMS or Tencent Cloud SMS.

SMS text in China cannot be free-form: the provider sends only templates it approved, under a
signature (签名) it approved. So a reminder is not sent as the kernel renders it: each scene's
reminders map to a template id and its parameters (``[channels.sms.templates.<scene>]`` in
meihao.toml; a scene's notices, such as cancellations, to ``<scene>.notice``), filled from the
activity (title, venue, when, …). A reminder with no mapped template fails at once, saying so.

Settings: the ``[channels.sms]`` table of meihao.toml (docs/reminders.md, "SMS"), read at each
send; the keys can also come from ``MEIHAO_SMS_ACCESS_KEY_ID`` / ``MEIHAO_SMS_ACCESS_KEY_SECRET``
(which win: keep secrets out of the file). ``endpoint`` points the channel at another address
(the tests' local stub).

Limits: at most ``resident_daily_cap`` messages a day to one recipient and ``community_monthly_cap``
a month in one community (0: none); a message over a cap fails at once with the reason. Each
message accepted is recorded (``sms_sent``: no number, the recipient's id) with its segments
(70 characters, signature included, fit one; a longer text goes in segments of 67), counted in
``meihao_sms_messages_total`` and ``meihao_sms_segments_total`` (``/metrics``).

The number is the recipient's ``sms`` contact, taken at send time and normalised to E.164; it is
never logged, and errors name it masked (138****5678).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import weakref
from datetime import datetime, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx
import msgspec
from prometheus_client import Counter

from meihao import Channel, DoctorCheck, InvalidInput, Message, PermanentFailure, hookimpl, mask_phone, normalise_phone
from meihao.plugins.sms.providers import ALIYUN_ENDPOINT, TENCENT_ENDPOINT, Outgoing, ProviderRefusal, send_aliyun, send_tencent

__version__ = "1.0"

#: What a template's parameters may be filled from: the activity's fields as the message carries them.
ACTIVITY_FIELDS = ("title", "venue", "when", "starts_at", "ends_at", "description")
#: GSM/UCS-2 segmenting as both providers count it: one message holds 70 characters; a longer
#: text is sent in parts of 67 each (3 are taken by the header that joins them).
SINGLE_SEGMENT = 70
MULTI_SEGMENT = 67

# Tencent's SDK logs every answer at DEBUG, numbers included: never let it reach meihao's log.
logging.getLogger("tencentcloud_sdk_common").setLevel(logging.WARNING)

MESSAGES = Counter("meihao_sms_messages_total", "SMS messages the provider accepted", ["provider"])
SEGMENTS = Counter("meihao_sms_segments_total", "SMS segments billed (messages × segments)", ["provider"])


class Template(msgspec.Struct, forbid_unknown_fields=True):
    #: The provider's id of the approved template (Alibaba ``SMS_123456789``, Tencent ``1234567``).
    id: str
    #: The approved text with its ``${name}`` (Alibaba) or ``{1}`` (Tencent) placeholders, as registered:
    #: to count segments.
    text: str
    #: Template parameter → activity field (title, venue, when, starts_at, ends_at, description), in
    #: the template's order (Tencent's parameters are positional).
    params: dict[str, str] = {}


class SmsSettings(msgspec.Struct, forbid_unknown_fields=True):
    provider: Literal["aliyun", "tencent"] = "aliyun"
    #: Default: the provider's public endpoint.
    endpoint: str = ""
    access_key_id: str = ""
    access_key_secret: str = ""
    #: Tencent only: the SMS application (SmsSdkAppId) and the region.
    sdk_app_id: str = ""
    region: str = "ap-guangzhou"
    #: The street's approved signature (签名), without 【】.
    sign_name: str = ""
    templates: dict[str, Template] = {}
    #: The secret in the receipts' address (``/api/sms/receipts/<provider>/<receipt_token>``); empty: no receipts taken.
    receipt_token: str = ""
    resident_daily_cap: int = 10
    community_monthly_cap: int = 0
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        for key, template in self.templates.items():
            for name, source in template.params.items():
                if source not in ACTIVITY_FIELDS:
                    raise ValueError(f"templates.{key}.params.{name}: {source!r} is not one of {', '.join(ACTIVITY_FIELDS)}")
        if self.resident_daily_cap < 0 or self.community_monthly_cap < 0:
            raise ValueError("caps cannot be negative (0: no cap)")


def sms_settings(raw: dict[str, Any]) -> SmsSettings:
    values = dict(raw)
    for key in ("access_key_id", "access_key_secret"):
        if os.environ.get(f"MEIHAO_SMS_{key.upper()}"):
            values[key] = os.environ[f"MEIHAO_SMS_{key.upper()}"]
    try:
        settings = msgspec.convert(values, SmsSettings)
    except (msgspec.ValidationError, ValueError) as err:
        raise PermanentFailure(f"[channels.sms] settings: {err}") from err
    if not settings.sign_name:
        raise PermanentFailure("[channels.sms] settings: sign_name (the street's approved signature, 签名) is not set")
    if not settings.access_key_id or not settings.access_key_secret:
        raise PermanentFailure("[channels.sms] settings: access_key_id and access_key_secret (or MEIHAO_SMS_ACCESS_KEY_*) are not set")
    if settings.provider == "tencent" and not settings.sdk_app_id:
        raise PermanentFailure("[channels.sms] settings: sdk_app_id (Tencent's SmsSdkAppId) is not set")
    return settings


def template_key(message: Message) -> str:
    """``culture`` for a reminder of a culture activity, ``culture.notice`` for a culture notice (a cancellation)."""
    scene = str(message.activity.get("scene", ""))
    return f"{scene}.notice" if str(message.activity.get("source", "")).startswith("notice:") else scene


def fill(template: Template, activity: dict[str, Any]) -> dict[str, str]:
    return {name: str(activity.get(source, "")) for name, source in template.params.items()}


def text_of(template: Template, params: dict[str, str], sign_name: str) -> str:
    """The text as the phone shows it: 【signature】 and the template with its parameters filled."""
    text = template.text
    for position, (name, value) in enumerate(params.items(), start=1):
        text = text.replace("${" + name + "}", value).replace("{" + str(position) + "}", value)
    return f"【{sign_name}】{text}"


def segments(text: str) -> int:
    """How many billed messages a text takes: 1 up to 70 characters, else one per 67."""
    return 1 if len(text) <= SINGLE_SEGMENT else math.ceil(len(text) / MULTI_SEGMENT)


def _mask_in(text: str, phone: str) -> str:
    """The provider's words with the number masked wherever they repeat it."""
    masked = mask_phone(phone)
    national = phone.removeprefix("+86")
    return re.sub(re.escape(phone) + "|" + re.escape(national), masked, text)


_clients: weakref.WeakKeyDictionary[Any, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def client(timeout: float) -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None or found.is_closed:
        found = _clients[loop] = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
    return found


async def _check_caps(settings: SmsSettings, message: Message, local_date: Any, month: str) -> None:
    from meihao.plugins.sms.tables import SmsSent

    if settings.resident_daily_cap:
        today = await SmsSent.count().where(
            (SmsSent.recipient_kind == message.recipient_kind)
            & (SmsSent.recipient_id == message.recipient_id)
            & (SmsSent.local_date == local_date)
        )
        if today >= settings.resident_daily_cap:
            raise PermanentFailure(f"SMS daily cap reached: {today} messages to this recipient today (resident_daily_cap = {settings.resident_daily_cap})")
    if settings.community_monthly_cap:
        this_month = await SmsSent.count().where((SmsSent.community == message.community) & (SmsSent.local_month == month))
        if this_month >= settings.community_monthly_cap:
            raise PermanentFailure(
                f"SMS monthly cap reached: {this_month} messages in {message.community} in {month} (community_monthly_cap = {settings.community_monthly_cap})"
            )


async def send_sms(message: Message) -> None:
    from meihao.plugins.sms.tables import SmsSent

    settings = sms_settings(message.settings)
    key = template_key(message)
    template = settings.templates.get(key)
    if template is None:
        raise PermanentFailure(f"no approved SMS template for {key!r}: map one in [channels.sms.templates.{key}] (SMS text cannot be free-form)")
    if await SmsSent.exists().where(SmsSent.delivery_id == message.delivery_id):
        return  # accepted before and recorded: a second try must not send it again
    try:
        phone = normalise_phone(message.address)
    except InvalidInput as err:
        raise PermanentFailure("the recipient's SMS contact is not a valid phone number") from err
    now = message.sent_at or datetime.now(timezone.utc)
    local = now.astimezone(ZoneInfo(str(message.activity.get("timezone") or "Asia/Shanghai")))
    month = local.strftime("%Y-%m")
    await _check_caps(settings, message, local.date(), month)
    params = fill(template, message.activity)
    out = Outgoing(phone=phone, sign_name=settings.sign_name, template_id=template.id, params=params, delivery_id=message.delivery_id)
    http = client(settings.timeout_seconds)
    try:
        if settings.provider == "aliyun":
            provider_id = await send_aliyun(http, settings.endpoint or ALIYUN_ENDPOINT, settings.access_key_id, settings.access_key_secret, out, now)
        else:
            provider_id = await send_tencent(
                settings.endpoint or TENCENT_ENDPOINT, settings.region, settings.access_key_id, settings.access_key_secret,
                settings.sdk_app_id, out, settings.timeout_seconds,
            )
    except ProviderRefusal as err:
        text = f"to {mask_phone(phone)}: {_mask_in(str(err), phone)}"
        if err.permanent:
            raise PermanentFailure(text) from None
        raise RuntimeError(text) from None
    count = segments(text_of(template, params, settings.sign_name))
    await SmsSent.insert(
        SmsSent(
            delivery_id=message.delivery_id,
            recipient_kind=message.recipient_kind,
            recipient_id=message.recipient_id,
            community=message.community,
            local_date=local.date(),
            local_month=month,
            provider=settings.provider,
            template_id=template.id,
            segments=count,
            provider_id=provider_id,
        )
    )
    MESSAGES.labels(settings.provider).inc()
    SEGMENTS.labels(settings.provider).inc(count)


async def check_address(address: str) -> None:
    """Save-time check: a phone number meihao can send to (normalised as the register does)."""
    try:
        normalise_phone(address)
    except InvalidInput as err:
        raise InvalidInput("address: not a valid phone number; write a mainland number as 13912345678", field="address") from err


@hookimpl
def meihao_channels() -> list[Channel]:
    return [Channel("sms", "短信", "SMS", send_sms, for_residents=True, needs_address=True, check_address=check_address)]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    from meihao.plugins.sms.receipts import sms_receipts

    return [sms_receipts]


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.plugins.sms.piccolo_app"]


async def month_figures(month: str) -> list[dict[str, Any]]:
    """Messages and segments per community in one month (``YYYY-MM``, the communities' local months)."""
    from piccolo.query.functions.aggregate import Count, Sum

    from meihao.plugins.sms.tables import SmsSent

    return await (
        SmsSent.select(SmsSent.community, Count(SmsSent.id, alias="messages"), Sum(SmsSent.segments, alias="segments"))
        .where(SmsSent.local_month == month)
        .group_by(SmsSent.community)
        .order_by(SmsSent.community)
    )


@hookimpl
async def meihao_doctor(meihao: Any) -> list[DoctorCheck]:
    """The channel's settings and this month's cost: messages and segments, per community, against the cap."""
    raw = meihao.settings.channels.get("sms")
    if raw is None:
        return [DoctorCheck("sms", "ok", "not set up ([channels.sms] is missing): reminders on the sms channel fail at once, saying so")]
    try:
        settings = sms_settings(raw)
    except PermanentFailure as err:
        return [DoctorCheck("sms", "error", str(err), "fix [channels.sms] in meihao.toml (docs/reminders.md, \"SMS\")")]
    month = meihao.clock.now().astimezone(ZoneInfo(meihao.settings.default_timezone)).strftime("%Y-%m")
    figures = await month_figures(month)
    messages = sum(row["messages"] for row in figures)
    billed = sum(row["segments"] or 0 for row in figures)
    per = ", ".join(f"{row['community']} {row['messages']}/{row['segments']}" for row in figures)
    summary = (
        f"{settings.provider}, signature 【{settings.sign_name}】, {len(settings.templates)} templates; "
        f"{month}: {messages} messages, {billed} segments" + (f" ({per})" if per else "")
    )
    full = [row["community"] for row in figures if settings.community_monthly_cap and row["messages"] >= settings.community_monthly_cap]
    if full:
        return [DoctorCheck("sms", "warning", summary + f"; at the monthly cap ({settings.community_monthly_cap}): {', '.join(full)}",
                            "raise community_monthly_cap in [channels.sms] if the budget allows; until next month their SMS fail")]
    return [DoctorCheck("sms", "ok", summary)]


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    """The SMS sent to the resident: when, which template, segments, status (the number is the contact's, not kept here)."""
    from meihao.plugins.sms.tables import SmsSent

    rows = await SmsSent.select(
        SmsSent.delivery_id, SmsSent.local_date, SmsSent.template_id, SmsSent.segments, SmsSent.status
    ).where((SmsSent.recipient_kind == "resident") & (SmsSent.recipient_id == resident_id)).order_by(SmsSent.id)
    return {"messages": [{**row, "local_date": row["local_date"].isoformat()} for row in rows]} if rows else None
