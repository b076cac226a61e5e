"""A 500 is logged with its traceback and a request id the caller can quote; the body's personal data
is never logged (issue 11, finding 13)."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import post
from litestar.params import FromPath, JSONBody

from meihao import hookimpl
from meihao.testing import make_client


class Boom:
    """A plugin whose route fails the way a bug does."""

    @hookimpl
    def meihao_route_handlers(self) -> list[Any]:
        @post("/boom/{resident_id:int}", status_code=200)
        async def boom(resident_id: FromPath[int], data: JSONBody[dict[str, Any]]) -> None:
            raise RuntimeError("the bug's own message")

        return [boom]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_bug_is_a_500_with_a_request_id_and_a_logged_traceback(make_meihao):
    mh = await make_meihao(plugins=[("boom", Boom())])
    records = Records()
    logging.getLogger("meihao.web").addHandler(records)
    try:
        async with make_client(mh) as client:
            answer = await client.post("/api/boom/4242?name=王秀英", json={"name": "王秀英", "id_card": "370125196005170121"})
            fine = await client.get("/health")
    finally:
        logging.getLogger("meihao.web").removeHandler(records)
    assert answer.status_code == 500
    request_id = answer.json()["request_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert answer.json() == {
        "status_code": 500,
        "detail": f"an internal error occurred; quote request id {request_id} when reporting it",
        "request_id": request_id,
    }
    assert answer.headers["x-request-id"] == request_id
    assert "RuntimeError" not in answer.text and "Traceback" not in answer.text
    assert re.fullmatch(r"[0-9a-f]{32}", fine.headers["x-request-id"]) and fine.headers["x-request-id"] != request_id

    [record] = records.records
    assert record.getMessage() == f"unhandled error in request {request_id}: POST /api/boom/{{resident_id}}"
    logged = records.format(record)
    assert "Traceback (most recent call last)" in logged and "RuntimeError: the bug's own message" in logged
    for personal in ("王秀英", "370125196005170121", "4242"):
        assert personal not in record.getMessage()
    assert "王秀英" not in logged and "370125196005170121" not in logged


async def test_a_callers_request_id_is_not_taken(meihao):
    async with make_client(meihao) as client:
        answer = await client.get("/health", headers={"X-Request-Id": "forged\r\nSet-Cookie: x=1"})
    assert answer.headers.get_list("x-request-id") != ["forged\r\nSet-Cookie: x=1"]
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
