"""The console mounted on the app: kernel pages, every plugin's pages, static files, CSRF, error pages."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import ClientException, HTTPException, NotFoundException, SerializationException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from litestar.static_files import create_static_files_router

from meihao.errors import Forbidden, MeihaoError
from meihao.register.communities import get_community
from meihao.register.community_scenarios import is_enabled
from meihao.register.schemas import CommunityInfo
from meihao.web.console.errors import error_page
from meihao.web.console.pages import (
    activities,
    activity_list,
    activity_signups,
    auth,
    community,
    home,
    me,
    ops,
    queue,
    register,
    register_import,
    resident_volunteering,
    residents,
    street,
    volunteering,
)
from meihao.web.console.resident_links import provide_resident, provide_resident_community, resident_page_guard
from meihao.web.console.session import NOT_CONSOLE_PATTERN, login_required

if TYPE_CHECKING:
    from meihao.runtime import Meihao

STATIC_DIR = Path(__file__).parent / "static"
#: Where the console's own scripts and styles are served (htmx, the stylesheet).
STATIC_PATH = "/static"

#: Every error on a console page renders the error page (these override the API's JSON handlers).
PAGE_ERRORS: dict[Any, Any] = {
    key: error_page
    for key in (Exception, MeihaoError, HTTPException, ClientException, NotFoundException, ValidationException, SerializationException,
                400, 401, 403, 404, 405, 409, 429, 500)
}

#: A scene's resident pages: a wrong link (or anything not found through it) is the residents' "link not valid" page.
RESIDENT_PAGE_ERRORS: dict[Any, Any] = {**PAGE_ERRORS, **residents.INVALID, 404: residents.INVALID[NotFoundException]}


async def provide_community(slug: FromPath[str]) -> CommunityInfo:
    return await get_community(slug)


def scenario_page_guard(scenario: str, departments: bool = False):
    """A scene's pages exist only where the community runs it (404 page otherwise), for viewers its scope reaches (403);
    department staff pass where the scenario serves departments (``Scenario.departments``)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        community = await get_community(connection.path_params.get("slug", ""))
        if not await is_enabled(community.id, scenario):
            raise NotFoundException(f"scenario {scenario!r} is not enabled in community {community.slug!r}")
        viewer = connection.scope["user"]
        if not viewer.reaches_community(community.id) and not (departments and viewer.department_staff()):
            raise Forbidden(f"your scope does not reach community {community.slug!r}")

    return guard


def console_routers(mh: Meihao) -> list[Any]:
    """The console's routes: public pages (login, residents' secret links), staff pages, each scene's pages, static files."""
    routers: list[Any] = [
        create_static_files_router(
            path=STATIC_PATH, directories=[STATIC_DIR], include_in_schema=False,
            cache_control=CacheControlHeader(max_age=3600, public=True),
        ),
        # public: logging in, and residents' pages behind their secret links (/r/...)
        Router(path="/", route_handlers=[*auth.HANDLERS, *residents.HANDLERS, *resident_volunteering.HANDLERS], exception_handlers=PAGE_ERRORS, include_in_schema=False),
        # staff pages: each module's HANDLERS, behind a login
        Router(
            path="/",
            route_handlers=[*home.HANDLERS, *community.HANDLERS, *register.HANDLERS, *register_import.HANDLERS, *activities.HANDLERS,
                            *activity_signups.HANDLERS, *activity_list.HANDLERS, *queue.HANDLERS, *ops.HANDLERS, *me.HANDLERS,
                            *volunteering.HANDLERS, *street.HANDLERS],
            guards=[login_required], exception_handlers=PAGE_ERRORS, include_in_schema=False,
        ),
    ]
    for plugin, pages in mh.plugins.console_pages():
        if pages.handlers:
            routers.append(
                Router(
                    path=f"/c/{{slug:str}}/{plugin}",
                    route_handlers=pages.handlers,
                    guards=[login_required, scenario_page_guard(plugin, mh.plugins.scenarios[plugin].departments)],
                    dependencies={"community": Provide(provide_community)},
                    exception_handlers=PAGE_ERRORS,
                    include_in_schema=False,
                )
            )
        if pages.street_handlers:
            # the street's pages of the scene: street staff (and community staff where a page says so)
            routers.append(
                Router(
                    path=f"/street/{plugin}",
                    route_handlers=pages.street_handlers,
                    guards=[login_required, street.street_page_guard(plugin)],
                    exception_handlers=PAGE_ERRORS,
                    include_in_schema=False,
                )
            )
        if pages.resident_handlers:
            # public: residents reach them through their inbox link (no login); the guard resolves the link
            routers.append(
                Router(
                    path=f"/r/{{token:str}}/{plugin}",
                    route_handlers=pages.resident_handlers,
                    guards=[resident_page_guard(plugin, every_community=plugin not in mh.plugins.scenarios)],
                    dependencies={"resident": Provide(provide_resident), "community": Provide(provide_resident_community)},
                    exception_handlers=RESIDENT_PAGE_ERRORS,
                    include_in_schema=False,
                )
            )
    return routers


def csrf_config(mh: Meihao) -> CSRFConfig:
    """Double-submit CSRF tokens on every console form (the API, with bearer tokens, needs none).

    The secret comes from the data key, so that every node of a cluster accepts the others' tokens.
    """
    key = mh.settings.data_key
    secret = hashlib.sha256(b"meihao console csrf\0" + key.encode()).hexdigest() if key else secrets.token_hex(32)
    return CSRFConfig(
        secret=secret,
        cookie_name="meihao_csrf",
        cookie_httponly=True,
        cookie_samesite="lax",
        cookie_secure=mh.settings.public_url.startswith("https://"),
        header_name="x-csrftoken",
        exclude=[NOT_CONSOLE_PATTERN],
    )
