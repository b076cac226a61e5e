"""The two providers: Alibaba Cloud SMS over its documented HTTP API, signed as documented (dysmsapi, RPC style,
``SendSms`` of version 2017-05-25, HMAC-SHA1 signature: Alibaba's SDK cannot be installed beside meihao, see
docs/reminders.md), and Tencent Cloud SMS through its SDK (``SendSms`` of version 2021-01-11, which signs with
TC3-HMAC-SHA256).

Each ``send`` returns the provider's id of the message or raises: :class:`ProviderRefusal` with the
provider's code and message (``permanent`` when retrying cannot help), or httpx's errors for a provider
that cannot be reached (retried by the kernel).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com"
TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com"

#: Alibaba codes that pass (flow control, an account to top up, the provider's own trouble): retried.
ALIYUN_RETRYABLE = {"isv.BUSINESS_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH", "isp.SYSTEM_ERROR", "Throttling.User", "ServiceUnavailable"}
#: Tencent code prefixes that pass: frequency limits, the provider's trouble, an account to top up.
TENCENT_RETRYABLE = ("LimitExceeded.", "InternalError", "RequestLimitExceeded", "FailedOperation.InsufficientBalanceInSmsPackage")


class ProviderRefusal(Exception):
    def __init__(self, provider: str, code: str, message: str, *, permanent: bool) -> None:
        super().__init__(f"{provider} {code}: {message}")
        self.code = code
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One message for one number: ``phone`` in E.164 (+8613912345678)."""

    phone: str
    sign_name: str
    template_id: str
    params: dict[str, str]
    delivery_id: str


def _pe(value: str) -> str:
    """Alibaba's percent-encoding: RFC 3986, only A-Z a-z 0-9 - _ . ~ left as they are."""
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{_pe(k)}={_pe(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_pe('/')}&{_pe(canonical)}"
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def _json(response: httpx.Response, provider: str) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise RuntimeError(f"{provider}: HTTP {response.status_code} without a JSON answer")
    return answer


async def send_aliyun(client: httpx.AsyncClient, endpoint: str, key_id: str, secret: str, out: Outgoing, now: datetime) -> str:
    params = {
        "AccessKeyId": key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "Timestamp": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
        # mainland numbers without +86; others with their country code (Alibaba's format)
        "PhoneNumbers": out.phone.removeprefix("+86") if out.phone.startswith("+86") else out.phone.lstrip("+"),
        "SignName": out.sign_name,
        "TemplateCode": out.template_id,
        "TemplateParam": json.dumps(out.params, ensure_ascii=False, separators=(",", ":")),
        "OutId": out.delivery_id,
    }
    params["Signature"] = aliyun_signature(params, secret)
    response = await client.post(endpoint.rstrip("/") + "/", data=params)
    if response.status_code >= 500:
        raise RuntimeError(f"aliyun: HTTP {response.status_code}")
    answer = _json(response, "aliyun")
    code = str(answer.get("Code", ""))
    if code == "OK":
        return str(answer.get("BizId", ""))
    raise ProviderRefusal("aliyun", code or f"HTTP {response.status_code}", str(answer.get("Message", "")), permanent=code not in ALIYUN_RETRYABLE)


async def send_tencent(endpoint: str, region: str, secret_id: str, secret_key: str, app_id: str, out: Outgoing, timeout: float) -> str:
    """Through Tencent's own SDK (``tencentcloud-sdk-python-sms``, its asynchronous client on httpx), pointed at ``endpoint``."""
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import models
    from tencentcloud.sms.v20210111.sms_client_async import SmsClient

    parts = urlsplit(endpoint)
    profile = ClientProfile(httpProfile=HttpProfile(protocol=parts.scheme, endpoint=parts.netloc, reqTimeout=int(timeout)))
    client = SmsClient(Credential(secret_id, secret_key), region, profile)
    request = models.SendSmsRequest()
    request.PhoneNumberSet = [out.phone]
    request.SmsSdkAppId = app_id
    request.SignName = out.sign_name
    request.TemplateId = out.template_id
    # Tencent's parameters are positional: in the order the template names them (the settings' order)
    request.TemplateParamSet = list(out.params.values())
    request.SessionContext = out.delivery_id
    try:
        response = await client.SendSms(request)
    except TencentCloudSDKException as err:
        code = str(err.code or "")
        if code in ("ClientNetworkError", "ServerNetworkError") or not code:
            raise RuntimeError(f"tencent: {code or 'no answer'}") from None
        raise ProviderRefusal("tencent", code, str(err.message or ""), permanent=not code.startswith(TENCENT_RETRYABLE)) from None
    statuses = response.SendStatusSet or []
    if not statuses:
        raise RuntimeError("tencent: an answer without SendStatusSet")
    status = statuses[0]
    if status.Code == "Ok":
        return str(status.SerialNo or "")
    code = str(status.Code or "")
    raise ProviderRefusal("tencent", code, str(status.Message or ""), permanent=not code.startswith(TENCENT_RETRYABLE))
