"""``GET /health``: the database answers and, where this node runs the scheduler, it runs."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, get

from meihao.errors import DatabaseUnavailable
from meihao.register.tables import Community
from meihao.web.auth import PUBLIC


@get("/health", tags=["kernel"], opt={PUBLIC: True})
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Liveness: the database answers, and where this node runs the scheduler, it runs. 503 otherwise.

    Says which node answered and its role, so that a check through the proxy shows where it went.
    """
    try:
        await Community.count()
    except Exception as err:  # drivers raise their own types (sqlite3, asyncpg, OSError)
        # /health is public: the driver's words (addresses, file paths) go to the log, not the answer
        logging.getLogger("meihao.web").warning("health: the database does not answer: %s: %s", type(err).__name__, err)
        raise DatabaseUnavailable("the database does not answer") from err
    state = request.app.state
    node = state.get("node")
    worker = state.get("worker")
    body: dict[str, Any] = {"status": "ok", "role": state["meihao"].settings.role}
    if node is not None:
        body["node"] = node.node_id
    if worker is not None:
        body["scheduler"] = "running" if worker.running else "stopped"
        if not worker.running:
            body["status"] = "scheduler stopped"
            return Response(body, status_code=503)
    return Response(body, status_code=200)


HANDLERS = [
    health,
]
