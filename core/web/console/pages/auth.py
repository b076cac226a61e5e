"""Logging in and out of the console, one's own password, the language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect

from meihao.access import logins
from meihao.access.audit import audit
from meihao.errors import InvalidInput
from meihao.runtime import Meihao
from meihao.web.console.i18n import LANGUAGE_COOKIE, LANGUAGES
from meihao.web.console.rendering import page_user, render_page
from meihao.web.console.session import SESSION_COOKIE, cookie_is_secure, login_required

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//elsewhere`` or ``https://elsewhere`` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@get("/login", include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str] = "/", expired: FromQuery[bool] = False) -> Response[Any]:
    if page_user(request) is not None:
        return Redirect(safe_next(next), status_code=303)
    return render_page(request, "login.html", next=safe_next(next), expired=expired, problem="", username="")


@post("/login", include_in_schema=False)
async def login(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    username, password, target = data.get("username", "").strip(), data.get("password", ""), safe_next(data.get("next"))
    if not username or not password:
        return render_page(request, "login.html", status_code=400, next=target, expired=False, problem="missing", username=username)
    address = request.client.host if request.client else ""
    try:
        session = await logins.login(mh, username, password, address)
    except logins.InvalidCredentials:
        return render_page(request, "login.html", status_code=401, next=target, expired=False, problem="wrong", username=username)
    except logins.TooManyAttempts as err:
        return render_page(
            request, "login.html", status_code=429, next=target, expired=False, problem="wait", username=username,
            retry_after=getattr(err, "retry_after", 60),
        )
    response = Redirect(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, session["token"], httponly=True, samesite="lax", secure=cookie_is_secure(request.scope, mh),
        max_age=mh.settings.token_hours * 3600, path="/",
    )
    return response


@post("/logout", include_in_schema=False, guards=[login_required])
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    await logins.logout(request.auth)
    await audit(page_user(request), "auth.logout", "staff", page_user(request).staff_id)
    response = Redirect("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/me/password", include_in_schema=False, guards=[login_required])
async def password_page(request: Request[Any, Any, Any]) -> Response[Any]:
    return render_page(request, "password.html", errors={}, done=False, min_length=request.app.state.meihao.settings.password_min_length)


@post("/me/password", include_in_schema=False, guards=[login_required])
async def change_password(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    mh: Meihao = request.app.state.meihao
    new, repeated = data.get("new_password", ""), data.get("new_password_again", "")
    if new != repeated:
        return render_page(request, "password.html", status_code=400, errors={"new_password_again": "mismatch"}, done=False,
                           min_length=mh.settings.password_min_length)
    try:
        await logins.change_password(mh, page_user(request), data.get("current_password", ""), new, request.auth)
    except InvalidInput as err:
        problem = "too_short" if "at least" in err.message else "same" if "differ" in err.message else "wrong"
        return render_page(request, "password.html", status_code=400, errors={err.field or "current_password": problem},
                           min_length=mh.settings.password_min_length, done=False)
    return render_page(request, "password.html", errors={}, done=True, min_length=mh.settings.password_min_length)


@get("/lang/{code:str}", include_in_schema=False)
async def choose_language(code: FromPath[str], next: FromQuery[str] = "/") -> Response[Any]:
    """Switch the console's language (a cookie; nothing else changes)."""
    response = Redirect(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, httponly=True, samesite="lax", max_age=365 * 86400, path="/")
    return response


HANDLERS = [login_page, login, logout, password_page, change_password, choose_language]
