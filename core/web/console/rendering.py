"""Rendering a console page: one Jinja2 environment per language, the layout's context, ``render_page``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.utils.scope.state import ScopeState

from meihao.time.wording import zh_time, zh_when
from meihao.web.console.i18n import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, LANGUAGES, N_, language_of, load_translations, locale_folders
from meihao.web.safety import request_id_of

if TYPE_CHECKING:
    from meihao.access.principals import Principal
    from meihao.runtime import Meihao

HTML = "text/html"  # Litestar adds "; charset=utf-8"
KERNEL_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class MenuItem:
    """A link in the console's main menu (English message id, translated when shown)."""

    title: str
    href: str
    permission: str = ""
    street_only: bool = False


#: The console's main menu; each entry is shown to who holds its permission.
MENU: tuple[MenuItem, ...] = (
    MenuItem(N_("Overview"), "/"),
    MenuItem(N_("My queue"), "/queue"),
    MenuItem(N_("Register"), "/register", "meihao.resident.read"),
    MenuItem(N_("Activities"), "/activities", "meihao.activity.read"),
    MenuItem(N_("Volunteers"), "/volunteering", "meihao.volunteer.read"),
    MenuItem(N_("Operations"), "/ops", "meihao.jobs.read", street_only=True),
    MenuItem(N_("Me"), "/me"),
)


def environment(mh: Meihao, language: str, template: str) -> Environment:
    """The environment for a template in a language: the kernel's, or the plugin's whose template it is
    (``"<plugin>/…"``: its catalogue wins on its own pages). Built once per running instance."""
    cached: dict[tuple[str, str | None], Environment] = vars(mh).setdefault("_console_environments", {})
    owner = template.split("/", 1)[0] if "/" in template else None
    if owner not in {name for name, pages in mh.plugins.console_pages() if pages.templates}:
        owner = None
    env = cached.get((language, owner))
    if env is None:
        env = cached[(language, owner)] = _environment(mh, language, owner)
    return env


def _environment(mh: Meihao, language: str, owner: str | None) -> Environment:
    plugin_templates = {name: FileSystemLoader(pages.templates) for name, pages in mh.plugins.console_pages() if pages.templates}
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(KERNEL_TEMPLATES), PrefixLoader(plugin_templates)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(load_translations(locale_folders(mh, owner), language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    env.globals["languages"] = LANGUAGES
    env.globals["both"] = (lambda zh, en: zh) if language == DEFAULT_LANGUAGE else (lambda zh, en: en or zh)
    env.globals["chart_bars"] = chart_bars
    env.filters["day"] = _day
    env.filters["when"] = _when
    env.filters["zh_when"] = zh_when  # residents' pages: 3月7日（周六）上午9点
    env.filters["zh_time"] = zh_time
    return env


def chart_bars(bars: list[Any], width: float, height: float, show_values: bool) -> list[dict[str, Any]]:
    """The geometry of each bar of ``_macros.html``'s ``bar_chart`` (``bars``: (label, value) or (label, value, tooltip)),
    worked out here rather than by the template's filters: the overview draws some hundred bars, which cost more CPU in
    Jinja's expressions than the rest of the page. The numbers are Jinja's ``round(1)`` of the same expressions."""
    top = max(bar[1] for bar in bars) if bars else 0
    step = (width / len(bars)) if bars else width
    room = 14 if show_values else 0
    result = []
    for i, bar in enumerate(bars):
        label, value = bar[0], bar[1]
        h = ((value / top) * (height - room)) if top else 0
        result.append({
            "label": label, "value": value, "tip": bar[2] if len(bar) > 2 else label,
            "x": round(i * step + 2, 1), "y": round(height - h, 1), "w": round(step - 4, 1), "h": round(h, 1),
            "mid": round(i * step + step / 2, 1), "top": round(height - h - 3, 1),
            "labelled": len(bars) <= 16 or i % (len(bars) // 8) == 0,
        })
    return result


def _day(value: date | datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d")


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def request_language(request: Request[Any, Any, Any]) -> str:
    mh: Meihao = request.app.state.meihao
    return language_of(request.cookies.get(LANGUAGE_COOKIE), mh.settings.console_language)


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The form token Litestar's CSRF middleware set for this request (sent back as ``_csrf_token`` or ``X-CSRFToken``)."""
    return ScopeState.from_scope(request.scope).csrf_token or ""


def page_user(request: Request[Any, Any, Any]) -> Principal | None:
    return request.scope.get("user")


def menu(user: Principal | None) -> list[MenuItem]:
    if user is None:
        return []
    return [item for item in MENU if (not item.permission or user.can(item.permission)) and (not item.street_only or user.street)]


def render_page(request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any) -> Response[str]:
    """Render ``template`` (a kernel template, or ``"<plugin>/<file>"``) in the visitor's language, inside the layout.

    The layout gets the visitor (``user``, a :class:`meihao.Principal`, or ``None`` on public
    pages), the form token (``csrf_token``), the menu and the path; ``_()`` translates.
    A request made by htmx for a fragment renders the same way: a template that extends the
    layout's ``base.html`` only when ``not partial`` keeps to its block.

    A boosted navigation (``hx-boost`` on the layout: a menu link, a list's page, a calendar's
    month, a form) gets the page without its frame: the title, the ``<main>`` region and the header
    and footer swapped out of band, with ``HX-Retarget``/``HX-Reswap`` so that htmx replaces only
    those (see :func:`is_boosted`). Every other request gets the whole page.
    """
    mh: Meihao = request.app.state.meihao
    language = request_language(request)
    user = page_user(request)
    boosted = is_boosted(request)
    html = environment(mh, language, template).get_template(template).render(
        user=user,
        csrf_token=csrf_token(request),
        menu=menu(user),
        path=request.url.path,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        partial=request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true",
        boosted=boosted,
        request_id=request_id_of(request.scope),
        **context,
    )
    headers = {"Vary": "HX-Request, HX-Boosted"}
    if boosted:
        headers.update({"HX-Retarget": "#main", "HX-Reswap": "outerHTML show:window:top"})
    return Response(html, status_code=status_code, media_type=HTML, headers=headers)


def is_boosted(request: Request[Any, Any, Any]) -> bool:
    """A navigation htmx made for a boosted link or form (not a fragment a widget asks for, and not the
    whole page htmx asks for when its history cache misses on Back)."""
    headers = request.headers
    return headers.get("hx-boosted") == "true" and headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
