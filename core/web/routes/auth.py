"""Logging in and out, and who the caller is (``/api/auth``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from meihao.access import logins
from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.access.schemas import LoginIn, LoginOut, PasswordChangeIn
from meihao.runtime import Meihao
from meihao.web.auth import PUBLIC
from meihao.web.params import Caller
from meihao.web.responses import error_response


@post("/api/auth/login", tags=["auth"], opt={PUBLIC: True}, status_code=200, responses={401: error_response(401, "The username or password is wrong"), 429: error_response(429)})
async def login(data: JSONBody[LoginIn], request: Request[Any, Any, Any], meihao: NamedDependency[Meihao]) -> LoginOut:
    """Exchange username and password for a bearer token (failures are rate-limited)."""
    address = request.client.host if request.client else ""
    return LoginOut(**await logins.login(meihao, data.username, data.password, address))


@post("/api/auth/logout", tags=["auth"], status_code=204)
async def logout(request: Request[Principal, str, Any], principal: Caller) -> None:
    await logins.logout(request.auth)
    await audit(principal, "auth.logout", "staff", principal.staff_id)


@post("/api/auth/password", tags=["auth"], status_code=204)
async def change_password(
    data: JSONBody[PasswordChangeIn], request: Request[Principal, str, Any], meihao: NamedDependency[Meihao], principal: Caller
) -> None:
    """Change one's own password (the current one is asked for); one's other sessions end."""
    await logins.change_password(meihao, principal, data.current_password, data.new_password, request.auth)


@get("/api/auth/me", tags=["auth"])
async def me(principal: Caller) -> dict[str, Any]:
    """Who the token belongs to, their roles and permissions."""
    return {"staff_id": principal.staff_id, "name": principal.name, "roles": sorted(principal.roles), "permissions": sorted(principal.permissions)}


HANDLERS = [
    login,
    logout,
    change_password,
    me,
]
