"""Staff sessions in the console: the login token in an HttpOnly, SameSite cookie, and the guards of pages.

A console session is a login token of :mod:`meihao.access.logins` (the same table as the API's
bearer tokens), so that logging out, a password change and a deactivated account end it too.
The token travels only in the cookie, which scripts cannot read; forms carry a CSRF token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from meihao.access.logins import principal_from_token
from meihao.errors import Forbidden, MeihaoError

if TYPE_CHECKING:
    from meihao.access.principals import Principal
    from meihao.runtime import Meihao

SESSION_COOKIE = "meihao_session"
#: Paths that are not the console's: the API (bearer tokens), its documents, health and metrics.
NOT_CONSOLE = ("/api/", "/schema", "/health", "/metrics")
#: The same, as the pattern Litestar's middlewares exclude.
NOT_CONSOLE_PATTERN = r"^/(api/|schema|health|metrics)"


def is_console_path(path: str) -> bool:
    return not (path.startswith(NOT_CONSOLE) or path == "/api")


class LoginRequired(MeihaoError):
    """The page needs a logged-in staff member; the console answers with the login page's address."""

    status_code = 401

    def __init__(self, message: str = "log in first", *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


class ConsoleSessionMiddleware(ASGIMiddleware):
    """On console paths, ``scope["user"]`` is the staff member the session cookie belongs to, or ``None``."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not is_console_path(scope["path"]):
            await next_app(scope, receive, send)
            return
        token = _cookie(scope, SESSION_COOKIE)
        principal = None
        if token:
            mh: Meihao = scope["app"].state.meihao
            client = scope.get("client")
            principal = await principal_from_token(mh, token, client[0] if client else "")
            scope.setdefault("state", {})["session_expired"] = principal is None
        scope["user"] = principal
        scope["auth"] = token if principal is not None else None
        await next_app(scope, receive, send)


def _cookie(scope: Scope, name: str) -> str:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return ""


def login_required(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of staff pages: a visitor without a (live) session goes to the login page."""
    if connection.scope.get("user") is None:
        raise LoginRequired(expired=bool(connection.scope.get("state", {}).get("session_expired")))


def page_requires(*permissions: str):
    """Guard of a console page: the staff member must hold every permission named (a 403 page otherwise).

    Use it where the same data's API route has ``meihao.requires``; place it after the login guard
    the console adds to every staff page.
    """

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal | None = connection.scope.get("user")
        if principal is None:
            raise LoginRequired(expired=bool(connection.scope.get("state", {}).get("session_expired")))
        for permission in permissions:
            if not principal.can(permission):
                raise Forbidden(f"this page needs the permission {permission}")

    guard.__qualname__ = f"page_requires({', '.join(permissions)})"
    guard.permissions = permissions  # type: ignore[attr-defined]
    return guard


def cookie_is_secure(scope: Scope, mh: Meihao) -> bool:
    """Secure cookies behind TLS: the request came over https, or the public address is https."""
    return scope.get("scheme") == "https" or mh.settings.public_url.startswith("https://")
