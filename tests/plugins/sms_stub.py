"""A local stub of the two SMS providers' HTTP APIs, as they document them, on 127.0.0.1.

Alibaba Cloud (dysmsapi 2017-05-25, RPC style): a form POST with ``Action=SendSms``, the common
parameters and an HMAC-SHA1 ``Signature``; answers ``{"Code": "OK", "Message": "OK", "BizId", "RequestId"}``
or an error code and message. Tencent Cloud (sms 2021-01-11): a JSON POST with the ``X-TC-*`` headers
and a TC3-HMAC-SHA256 ``Authorization``; answers ``{"Response": {"SendStatusSet": [...], "RequestId"}}``,
or ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`` for the whole request.

The signatures are checked here with code of the stub's own (written from the providers' documents,
not imported from the plugin). ``refuse`` maps a phone number to ``(code, message)``, answered once each
time it is listed; ``status_next`` answers the next requests with an HTTP status and no JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote

from tests.receivers import free_port


@dataclass
class Hit:
    provider: str
    params: dict[str, Any]
    signature_ok: bool
    headers: dict[str, str]


def aliyun_ok(params: dict[str, str], secret: str) -> bool:
    given = params.pop("Signature", "")
    encode = lambda s: quote(s, safe="~")  # noqa: E731 - as Alibaba's document writes it
    query = "&".join(encode(k) + "=" + encode(v) for k, v in sorted(params.items()))
    digest = hmac.new(f"{secret}&".encode(), ("POST&%2F&" + encode(query)).encode(), hashlib.sha1).digest()
    return hmac.compare_digest(given, base64.b64encode(digest).decode())


def tencent_ok(headers: dict[str, str], body: bytes, secret_id: str, secret_key: str) -> bool:
    timestamp = int(headers["X-TC-Timestamp"])
    day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    host = headers["Host"]
    canonical = "\n".join(
        ["POST", "/", "", f"content-type:{headers['Content-Type']}", f"host:{host}", "", "content-type;host", hashlib.sha256(body).hexdigest()]
    )
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{day}/sms/tc3_request", hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("TC3" + secret_key).encode()
    for part in (day, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    expected = f"TC3-HMAC-SHA256 Credential={secret_id}/{day}/sms/tc3_request, SignedHeaders=content-type;host, Signature={signature}"
    return hmac.compare_digest(headers.get("Authorization", ""), expected)


@dataclass
class SmsStub:
    key_id: str
    secret: str
    hits: list[Hit] = field(default_factory=list)
    refuse: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    status_next: list[int] = field(default_factory=list)
    whole_request_error: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                if stub.status_next:
                    self.send_response(stub.status_next.pop(0))
                    self.end_headers()
                    return
                # each answers with the Content-Type its API sends (Tencent's SDK reads errors only from exactly application/json)
                if "X-TC-Action" in headers:
                    answer, content_type = stub.tencent(headers, body), "application/json"
                else:
                    answer, content_type = stub.aliyun(headers, body), "application/json;charset=utf-8"
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def _refusal(self, number: str) -> tuple[str, str] | None:
        listed = self.refuse.get(number)
        return listed.pop(0) if listed else None

    def aliyun(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        ok = params.get("AccessKeyId") == self.key_id and aliyun_ok(dict(params), self.secret)
        self.hits.append(Hit("aliyun", params, ok, headers))
        if not ok:
            return {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched with our calculation.", "RequestId": "R0"}
        refusal = self._refusal(params["PhoneNumbers"])
        if refusal:
            return {"Code": refusal[0], "Message": refusal[1], "RequestId": f"R{len(self.hits)}"}
        return {"Code": "OK", "Message": "OK", "BizId": f"900619746936498440^{len(self.hits)}", "RequestId": f"R{len(self.hits)}"}

    def tencent(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        params = json.loads(body)
        ok = tencent_ok(headers, body, self.key_id, self.secret) and headers["X-TC-Action"] == "SendSms"
        self.hits.append(Hit("tencent", params, ok, headers))
        if not ok:
            return {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "The provided credentials could not be validated."},
                                 "RequestId": "r0"}}
        if self.whole_request_error:
            code, message = self.whole_request_error.pop(0)
            return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": f"r{len(self.hits)}"}}
        number = params["PhoneNumberSet"][0]
        refusal = self._refusal(number)
        code, message = refusal or ("Ok", "send success")
        status = {"SerialNo": f"2028:{len(self.hits)}" if not refusal else "", "PhoneNumber": number, "Fee": 1 if not refusal else 0,
                  "SessionContext": params.get("SessionContext", ""), "Code": code, "Message": message, "IsoCode": "CN"}
        return {"Response": {"SendStatusSet": [status], "RequestId": f"r{len(self.hits)}"}}

    def __enter__(self) -> SmsStub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
