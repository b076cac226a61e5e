"""Errors on console pages: a page that says what happened, in the visitor's language, never JSON or a traceback."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException, ValidationException
from litestar.response import Redirect

from meihao.errors import MeihaoError
from meihao.web.console.rendering import render_page
from meihao.web.console.session import LoginRequired, is_console_path
from meihao.web.safety import request_id_of

logger = logging.getLogger("meihao.web")

#: Litestar's words when a form's CSRF token is missing or wrong.
CSRF_FAILED = "CSRF token verification failed"


def login_redirect(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    """To the login page, coming back here after it (an htmx request is told to load the page itself)."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "") if request.method == "GET" else "/"
    target = f"/login?next={quote(back)}" + ("&expired=1" if exc.expired else "")
    if request.headers.get("hx-request") == "true":
        return Response("", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error of a console page, as a page with the right status."""
    if isinstance(exc, LoginRequired):
        return login_redirect(request, exc)
    status, detail = 500, ""
    if isinstance(exc, MeihaoError) and exc.status_code < 500:
        status, detail = exc.status_code, exc.message
    elif isinstance(exc, HTTPException) and exc.status_code < 500:
        status, detail = exc.status_code, str(exc.detail)
    kind = {404: "not_found", 403: "forbidden", 401: "forbidden", 405: "not_found"}.get(status, "bad_request" if status < 500 else "error")
    if isinstance(exc, PermissionDeniedException) and exc.detail == CSRF_FAILED:
        kind = "csrf"
    if isinstance(exc, (NotFoundException,)) or status == 404:
        detail = ""  # a missing page and a page outside one's scope read the same
    if isinstance(exc, ValidationException):
        detail = str(exc.detail)
    if status >= 500:
        logger.error(
            "unhandled error in page %s: %s %s", request_id_of(request.scope), request.method,
            request.scope.get("path_template") or "(no route)", exc_info=exc,
        )
    return render_page(request, "error.html", status_code=status, kind=kind, detail=detail if kind in ("bad_request",) else "")


def console_or(api_handler):
    """The app's handler for an error, answered with a page on console paths (an unknown address, say)."""

    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if is_console_path(request.url.path):
            return error_page(request, exc)
        return api_handler(request, exc)

    return handler
