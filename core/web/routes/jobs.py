"""``GET /api/jobs``: every schedule, its next fire time and its recent runs."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.di import NamedDependency

from meihao.runtime import Meihao
from meihao.web.auth import requires
from meihao.web.job_overview import current_job_overview


@get("/api/jobs", tags=["jobs"], guards=[requires("meihao.jobs.read")])
async def list_jobs(meihao: NamedDependency[Meihao]) -> list[dict[str, Any]]:
    """Every schedule: its next fire time and its recent runs with their outcome."""
    return await current_job_overview(meihao)


HANDLERS = [
    list_jobs,
]
