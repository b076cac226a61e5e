"""Real receivers for delivery tests: an SMTP server (aiosmtpd) and an HTTP server, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

#: The webhook plugin posts to public addresses only; the test receivers listen on 127.0.0.1, which the
#: operator's allow-list admits (set it in the environment of every process that saves or sends).
ALLOW_LOCAL = {"MEIHAO_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpReceiver:
    """Collects mail; ``refuse`` maps an address to an SMTP reply for it (e.g. ``"451 try later"``), ``times`` of them;
    ``delay`` seconds pass between a message's arrival (recorded) and the server's ``250`` (a slow server keeps
    sends in flight: a sender killed meanwhile never learns that the message was accepted)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, tuple[str, int]] = {}
        self.delay = delay
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        reply = self.refuse.get(address)
        if reply is not None:
            text, times = reply
            if times > 0:
                self.refuse[address] = (text, times - 1)
                return text
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    signature_ok: bool | None


@dataclass
class HttpReceiver:
    """Answers POSTs; ``fail_next`` requests get ``fail_status``; checks webhook signatures with ``secret``."""

    secret: bytes = b""
    fail_next: int = 0
    fail_status: int = 500
    always_status: int | None = None
    #: Seconds each request takes before it is answered (a slow receiver keeps deliveries in flight).
    delay: float = 0.0
    #: When set, every POST is answered ``302 Found`` with this ``Location`` (and not recorded).
    redirect_to: str | None = None
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.redirect_to is not None:
                    with receiver.lock:
                        receiver.redirected += 1
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with receiver.lock:
                    if receiver.always_status is not None:
                        status = receiver.always_status
                    elif receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        status = receiver.fail_status
                    else:
                        status = 200
                    if status == 200:
                        ok = None
                        if "X-Meihao-Signature" in self.headers and receiver.secret:
                            expected = "sha256=" + hmac.new(
                                receiver.secret, self.headers["X-Meihao-Timestamp"].encode() + b"." + raw, hashlib.sha256
                            ).hexdigest()
                            ok = hmac.compare_digest(expected, self.headers["X-Meihao-Signature"])
                        receiver.received.append(Received(self.path, dict(self.headers), json.loads(raw), ok))
                answer = b'{"errcode": 0, "errmsg": "ok"}' if status == 200 else b"{}"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender died (the cluster tests kill it); what arrived is recorded

            def log_message(self, *args: Any) -> None:
                pass

        self.lock = threading.Lock()
        self.redirected = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HttpReceiver:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivery_ids(self) -> list[str]:
        return [r.headers.get("X-Meihao-Delivery", "") for r in self.received]
