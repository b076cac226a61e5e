"""Expected client errors (4xx) are answered quietly; an unexpected error (500) is logged with its traceback."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from litestar import get
from litestar.params import FromPath

from meihao import InvalidInput, hookimpl
from meihao.testing import make_client


@get("/boom/{kind:str}", sync_to_thread=False)
def boom(kind: FromPath[str]) -> dict[str, str]:
    if kind == "invalid":
        raise InvalidInput("kind: not a good one", field="kind")
    raise RuntimeError("the server broke")


class Boom:
    @hookimpl
    def meihao_route_handlers(self) -> list:
        return [boom]


@asynccontextmanager
async def watched_client(mh, caplog):
    """A client whose app's log (Litestar's own logger, configured when the app starts and
    not propagating to the root logger) also reaches ``caplog``."""
    logger = logging.getLogger("litestar")
    async with make_client(mh) as client:
        logger.addHandler(caplog.handler)
        try:
            yield client
        finally:
            logger.removeHandler(caplog.handler)


def _uncaught(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "Uncaught exception" in r.getMessage()]


async def test_client_errors_are_not_logged_as_uncaught_exceptions(make_meihao, caplog):
    mh = await make_meihao(plugins=[("boom", Boom())])
    async with watched_client(mh, caplog) as client:
        answers = [
            (await client.get("/api/residents/987654")).status_code,  # the kernel's NotFound
            (await client.get("/api/no/such/route")).status_code,  # Litestar's NotFoundException
            (await client.post("/api/communities", json={"slug": 5})).status_code,  # a body that does not decode
            (await client.get("/api/boom/invalid")).status_code,  # a plugin's InvalidInput
            (await client.get("/api/residents", headers={"Authorization": ""})).status_code,  # no token
        ]
    assert answers == [404, 404, 400, 400, 401]
    assert _uncaught(caplog) == []
    assert [r for r in caplog.records if r.exc_info] == []


async def test_a_server_error_is_still_logged_with_its_traceback(make_meihao, caplog):
    mh = await make_meihao(plugins=[("boom", Boom())])
    async with watched_client(mh, caplog) as client:
        client.raise_server_exceptions = False
        response = await client.get("/api/boom/server")
    assert response.status_code == 500
    logged = _uncaught(caplog)
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert "RuntimeError: the server broke" in logged[0].exc_text or "the server broke" in str(logged[0].exc_info[1])
