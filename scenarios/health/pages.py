"""health's console page (``meihao_console_pages``): the follow-ups due, overdue and referred, and the tracing tasks.

It reads through the same services as the API (``patients.list_patients``, audited; ``tracing.list_tracing``), so a
grid worker sees their grids' patients by status and due date only, and the doctor team its patients' condition too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get

from meihao import Caller, ConsolePages, CurrentCommunity, InvalidInput, NavLink, Runtime, page_requires, render_page

from .services import patients, tracing
from .services.common import PATIENT_READ

HERE = Path(__file__).parent


def N_(message: str) -> str:
    """Marks a message for the catalogue; the template translates it when shown."""
    return message


STATUS_LABELS = {"due": N_("Follow-up due"), "overdue": N_("Follow-up overdue"), "referred": N_("Referred")}
CONDITION_LABELS = {"hypertension": N_("Hypertension"), "diabetes": N_("Type-2 diabetes")}
TRACING_LABELS = {"open": N_("To remind"), "reminded": N_("Reminded"), "visited": N_("Visited"), "cancelled": N_("Tracing cancelled")}


@get(["/", "/follow-ups"], guards=[page_requires(PATIENT_READ)])
async def follow_ups_page(
    request: Request[Any, Any, Any], community: CurrentCommunity, principal: Caller, meihao: Runtime,
) -> Response[str]:
    """The patients the viewer reaches, soonest due first, filtered by status; the open tracing tasks."""
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUS_LABELS:
        raise InvalidInput(f"status: choose due, overdue or referred, not {status!r}", field="status")
    page = await patients.list_patients(meihao, principal, community, status=status, page_size=200)
    tasks = await tracing.list_tracing(meihao, principal, community)
    return render_page(request, "health/follow_ups.html", community=community, patients=page.items, total=page.total, status=status,
                       tasks=tasks, status_labels=STATUS_LABELS, condition_labels=CONDITION_LABELS, tracing_labels=TRACING_LABELS,
                       list_path=f"/c/{community.slug}/health/follow-ups")


PAGES = ConsolePages(
    handlers=[follow_ups_page],
    templates=HERE / "templates",
    locale=HERE / "locale",
    nav=[NavLink("慢病随访", "Follow-ups", "follow-ups", permission=PATIENT_READ)],
)
