"""A local stub of WeChat Official Account's HTTP API, as documented, on 127.0.0.1.

``GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…`` answers
``{"access_token", "expires_in": 7200}`` (or ``{"errcode": 40013, "errmsg": "invalid appid"}``); each
fetch issues a new token and ends the earlier ones (WeChat's overlap is not kept: the stub is
strict). The calls, ``POST /cgi-bin/message/template/send``, ``/cgi-bin/message/subscribe/bizsend``
and ``/cgi-bin/qrcode/create`` with ``?access_token=``, answer ``{"errcode": 0, "errmsg": "ok", …}``,
``40001`` for a token that is not the latest, ``42001`` after :meth:`expire` (the token lapsed),
or what ``refuse`` lists for an openid. ``status_next`` answers the next requests with an HTTP
status and no JSON; ``token_delay`` makes the token fetch slow (two nodes at it at once).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.receivers import free_port

#: What the stub shows for a QR code's image: three finder squares and a pattern, 430 × 430 as WeChat's.
QR_STAND_IN = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="430" height="430" viewBox="0 0 43 43"><rect width="43" height="43" fill="#fff"/>'
    + "".join(f'<rect x="{x}" y="{y}" width="7" height="7" fill="none" stroke="#000" stroke-width="1.4"/>'
              f'<rect x="{x + 2}" y="{y + 2}" width="3" height="3"/>' for x, y in ((4, 4), (32, 4), (4, 32)))
    + "".join(f'<rect x="{x}" y="{y}" width="1" height="1"/>' for x in range(13, 31) for y in range(4, 39) if (x * 7 + y * 3) % 5 < 2)
    + "</svg>"
)


@dataclass
class Call:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    answer: dict[str, Any]


@dataclass
class WechatStub:
    app_id: str
    app_secret: str
    calls: list[Call] = field(default_factory=list)
    token_fetches: int = 0
    tokens: list[str] = field(default_factory=list)
    expired: bool = False
    refuse: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    status_next: list[int] = field(default_factory=list)
    token_delay: float = 0.0

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, answer: dict[str, Any]) -> None:
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _status(self) -> bool:
                with stub.lock:
                    status = stub.status_next.pop(0) if stub.status_next else 0
                if status:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                return bool(status)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self._status():
                    return
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                if parts.path == "/cgi-bin/showqrcode" and query.get("ticket"):
                    # WeChat answers the code's image (a JPEG); the stub draws a stand-in of the same size
                    data = QR_STAND_IN.encode()
                    with stub.lock:
                        stub.calls.append(Call(parts.path, query, {}, {}))
                    self.send_response(200)
                    self.send_header("Content-Type", "image/svg+xml")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if parts.path != "/cgi-bin/token":
                    self.send_response(404)
                    self.end_headers()
                    return
                self._answer(stub.token(query))

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                if self._status():
                    return
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                answer = stub.api(parts.path, query, body)
                with stub.lock:
                    stub.calls.append(Call(parts.path, query, body, answer))
                self._answer(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if self.token_delay:
            time.sleep(self.token_delay)
        with self.lock:
            self.token_fetches += 1
            token = f"ACCESS_TOKEN_{self.token_fetches}"
            self.tokens.append(token)
            self.expired = False
        return {"access_token": token, "expires_in": 7200}

    def expire(self) -> None:
        """The latest token lapses (WeChat answers 42001 until a new one is fetched)."""
        self.expired = True

    def api(self, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        token = query.get("access_token", "")
        if not self.tokens or token != self.tokens[-1]:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if self.expired:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if path == "/cgi-bin/qrcode/create":
            scene = body.get("action_info", {}).get("scene", {}).get("scene_str", "")
            if body.get("action_name") != "QR_STR_SCENE" or not scene or len(scene) > 64:
                return {"errcode": 40097, "errmsg": "invalid args"}
            return {"ticket": f"gQH47joAAAAAAAAAASxodHRwOi8v{len(self.calls) + 1}", "expire_seconds": body.get("expire_seconds", 60),
                    "url": f"http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI{len(self.calls) + 1}"}
        if path not in ("/cgi-bin/message/template/send", "/cgi-bin/message/subscribe/bizsend"):
            return {"errcode": 40066, "errmsg": "invalid url"}
        if not body.get("touser") or not body.get("template_id") or not isinstance(body.get("data"), dict):
            return {"errcode": 47001, "errmsg": "data format error"}
        listed = self.refuse.get(body["touser"])
        if listed:
            code, message = listed.pop(0)
            return {"errcode": code, "errmsg": message}
        return {"errcode": 0, "errmsg": "ok", "msgid": 200228332 + len(self.calls)}

    def sends(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("/cgi-bin/message/") and c.answer.get("errcode") == 0]

    def __enter__(self) -> WechatStub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
