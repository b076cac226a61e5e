"""The two providers' documented HTTP APIs, signed as they document: Alibaba Cloud SMS (dysmsapi, RPC style,
``SendSms`` of version 2017-05-25, HMAC-SHA1 signature) and Tencent Cloud SMS (``SendSms`` of version
2021-01-11, TC3-HMAC-SHA256 signature).

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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tencent_authorization(secret_id: str, secret_key: str, host: str, body: bytes, timestamp: int) -> str:
    day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = f"POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:{host}\n\ncontent-type;host\n{_sha256(body)}"
    scope = f"{day}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256(canonical.encode())}"
    key = _hmac256(_hmac256(_hmac256(("TC3" + secret_key).encode(), day), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


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


async def send_tencent(
    client: httpx.AsyncClient, endpoint: str, region: str, secret_id: str, secret_key: str, app_id: str, out: Outgoing, now: datetime
) -> str:
    body = json.dumps(
        {
            "PhoneNumberSet": [out.phone],
            "SmsSdkAppId": app_id,
            "SignName": out.sign_name,
            "TemplateId": out.template_id,
            # Tencent's parameters are positional: in the order the template names them (the settings' order)
            "TemplateParamSet": list(out.params.values()),
            "SessionContext": out.delivery_id,
        },
        ensure_ascii=False,
    ).encode()
    host = urlsplit(endpoint).netloc
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Host": host,
        "X-TC-Action": "SendSms",
        "X-TC-Version": "2021-01-11",
        "X-TC-Region": region,
        "X-TC-Timestamp": str(timestamp),
        "Authorization": tencent_authorization(secret_id, secret_key, host, body, timestamp),
    }
    response = await client.post(endpoint.rstrip("/") + "/", content=body, headers=headers)
    if response.status_code >= 500:
        raise RuntimeError(f"tencent: HTTP {response.status_code}")
    answer = _json(response, "tencent").get("Response") or {}
    error = answer.get("Error")
    if error:
        code = str(error.get("Code", ""))
        raise ProviderRefusal("tencent", code, str(error.get("Message", "")), permanent=not code.startswith(TENCENT_RETRYABLE))
    statuses = answer.get("SendStatusSet") or []
    if not statuses:
        raise RuntimeError("tencent: an answer without SendStatusSet")
    status = statuses[0]
    code = str(status.get("Code", ""))
    if code == "Ok":
        return str(status.get("SerialNo", ""))
    raise ProviderRefusal("tencent", code, str(status.get("Message", "")), permanent=not code.startswith(TENCENT_RETRYABLE))
