"""Authentication and guards for the HTTP API: the bearer-token middleware and ``requires(permission)``.

Every request except the public ones (handlers marked with ``opt={PUBLIC: True}``) carries
``Authorization: Bearer <token>``; see :mod:`meihao.access.logins`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from meihao.access.logins import principal_from_token
from meihao.access.principals import Principal
from meihao.web.console.session import is_console_path

if TYPE_CHECKING:
    from meihao.runtime import Meihao

#: The handler ``opt`` key that makes a route public (health, login, calendar feeds, unsubscribe links).
PUBLIC = "exclude_from_auth"


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Turns ``Authorization: Bearer …`` into ``request.user`` (a Principal); 401 when it is missing or stale."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        if is_console_path(connection.scope["path"]):
            # the console's pages know their visitor by the session cookie (ConsoleSessionMiddleware)
            return AuthenticationResult(user=None, auth=None)
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("log in first: send Authorization: Bearer <token> (POST /api/auth/login)")
        mh: Meihao = connection.app.state.meihao
        address = connection.client.host if connection.client else ""
        principal = await principal_from_token(mh, token.strip(), address)
        if principal is None:
            raise NotAuthorizedException("the token is unknown, expired or revoked; log in again")
        return AuthenticationResult(user=principal, auth=token.strip())


def requires(*permissions: str):
    """Guard: the caller must hold every permission named (403 otherwise)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        for permission in permissions:
            principal.require(permission)

    guard.__qualname__ = f"requires({', '.join(permissions)})"
    guard.permissions = permissions  # type: ignore[attr-defined]  # read by the access-matrix test and docs
    return guard
