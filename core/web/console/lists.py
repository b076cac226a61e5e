"""The console's list kit, for any list page (the kernel's and a scene's): the filter read from the query string,
options with their counts, paging, saved views, bulk actions with a confirmation and spreadsheets (CSV with
a BOM, .xlsx) of what the list shows. Public through ``meihao``; see docs/plugins.md, "Lists".

A list page reads its query with :meth:`ListQuery.read` (only the keys it knows, whole numbers checked, a
bad value an :class:`~meihao.InvalidInput` naming the field), builds :class:`Facet` s from counts its
service made in SQL (scoped like the list itself), a :class:`Pager`, and renders them with the macros
of ``_lists.html``. Every link keeps the rest of the filter; changing the filter goes back to page 1.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, post
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body
from litestar.response import Redirect, Stream

from meihao.access import saved_views
from meihao.db.paging import MAX_PAGE
from meihao.errors import InvalidInput
from meihao.privacy import csv_cell, csv_line
from meihao.web.console.session import page_requires
from meihao.web.params import PathId
from meihao.web.safety import MAX_INTEGER

#: Excel on Chinese Windows reads a CSV as GBK unless it starts with a UTF-8 byte-order mark.
BOM = "\ufeff".encode()


@dataclass
class ListQuery:
    """A list page's filter (only the keys the page knows, as given) and its page number."""

    keys: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)
    page: int = 1

    @classmethod
    def read(cls, request: Request[Any, Any, Any], keys: Iterable[str]) -> ListQuery:
        return cls.parse(dict(request.query_params), keys)

    @classmethod
    def parse(cls, params: dict[str, Any], keys: Iterable[str]) -> ListQuery:
        keys = tuple(keys)
        values = {k: str(params[k]).strip() for k in keys if str(params.get(k) or "").strip()}
        query = cls(keys, values)
        query.page = query.number("page", str(params.get("page") or "1"), low=1, high=MAX_PAGE)
        return query

    @staticmethod
    def number(name: str, raw: str, low: int = 0, high: int | None = None) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise InvalidInput(f"{name}: must be a whole number", field=name) from None
        if value < low or (high is not None and value > high):
            raise InvalidInput(f"{name}: must be between {low} and {high}" if high is not None else f"{name}: must be at least {low}", field=name)
        return value

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def integer(self, key: str, low: int = 0, high: int | None = None) -> int | None:
        """The value of ``key`` as a whole number, or None when absent; InvalidInput naming ``key`` when it is not one."""
        raw = self.values.get(key)
        return None if raw is None else self.number(key, raw, low, high)

    def encode(self, *, page: int | None = None, **changes: str | int | None) -> str:
        """The query string of this filter with ``changes`` (None removes a key), and a page other than the first."""
        values = {**self.values, **{k: (None if v is None or v == "" else str(v)) for k, v in changes.items()}}
        pairs = [(k, values[k]) for k in self.keys if values.get(k) is not None]
        if page and page > 1:
            pairs.append(("page", str(page)))
        return urlencode(pairs)

    def href(self, path: str, *, page: int | None = None, **changes: str | int | None) -> str:
        query = self.encode(page=page, **changes)
        return f"{path}?{query}" if query else path

    @property
    def filter_string(self) -> str:
        """The filter alone (no page): what a saved view, an export or a bulk action carries."""
        return self.encode()

    @property
    def active(self) -> bool:
        return bool(self.values)


@dataclass
class Option:
    """One value of a facet: its label, how many rows choosing it gives, whether it is chosen, the link that chooses it."""

    value: str
    label: str
    count: int
    selected: bool
    href: str


@dataclass
class Facet:
    """A filter shown as its values with their counts; ``title`` is an English message id (translated when shown)."""

    name: str
    title: str
    options: list[Option]
    clear_href: str
    #: the labels are message ids (translated when shown), not data such as a grid's name
    translate: bool = False

    @property
    def selected(self) -> Option | None:
        return next((o for o in self.options if o.selected), None)


def facet(query: ListQuery, path: str, name: str, title: str, values: Iterable[tuple[Any, str, int]], *, keep_empty: bool = False,
          resets: Iterable[str] = (), translate: bool = False) -> Facet:
    """A facet of ``values`` (value, label, count); choosing one keeps the rest of the filter (but ``resets`` those keys,
    e.g. the building when the grid changes). Values counting 0 are left out unless chosen or ``keep_empty``."""
    cleared = dict.fromkeys(resets)
    chosen = query.get(name)
    options = [
        Option(str(value), label, count, str(value) == chosen, query.href(path, **{**cleared, name: value}))
        for value, label, count in values
        if count or keep_empty or str(value) == chosen
    ]
    return Facet(name, title, options, query.href(path, **{**cleared, name: None}), translate)


@dataclass
class Pager:
    page: int
    page_size: int
    total: int
    previous_href: str
    next_href: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.page_size)


def pager(query: ListQuery, path: str, total: int, page_size: int) -> Pager:
    pages = max(1, -(-total // page_size))
    page = query.page
    previous_href = query.href(path, page=page - 1) if page > 1 else ""
    next_href = query.href(path, page=page + 1) if page < pages else ""
    return Pager(page, page_size, total, previous_href, next_href)


# -- saved views (常用筛选) -----------------------------------------------------


Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def saved_view_handlers(path: str, area: str, keys: Iterable[str], *permissions: str,
                        check: Callable[[ListQuery], Any] | None = None) -> list[HTTPRouteHandler]:
    """The two handlers a list needs for its saved views: ``POST {path}/views`` saves the posted filter under
    ``view_name`` (a view of the same name is replaced) and ``POST {path}/views/{id}/delete`` deletes one of the
    viewer's own (another's is the 404 page). ``area`` names the list (a scene's ``"<scene>.<list>"``); ``check``
    refuses a filter the list itself would refuse (an InvalidInput naming the field), so a view never keeps one.
    Both answer with a redirect to the list (the request's own path without ``/views…``); both need ``permissions``."""
    keys = tuple(keys)

    def _list_path(request: Request[Any, Any, Any]) -> str:
        return request.url.path.rsplit("/views", 1)[0]

    @post(f"{path}/views", guards=[page_requires(*permissions)], name=f"{area}.views.save")
    async def save_view(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        query = ListQuery.parse(dict(data), keys)
        if check is not None:
            check(query)
        await saved_views.save_view(request.scope["user"], area, data.get("view_name", ""), query.filter_string)
        return Redirect(query.href(_list_path(request)), status_code=303)

    @post(f"{path}/views/{{view_id:int}}/delete", guards=[page_requires(*permissions)], name=f"{area}.views.delete")
    async def delete_view(request: Request[Any, Any, Any], view_id: PathId) -> Response[Any]:
        await saved_views.delete_view(request.scope["user"], area, view_id)
        return Redirect(_list_path(request), status_code=303)

    return [save_view, delete_view]


async def list_views(user: Any, area: str) -> list[dict[str, Any]]:
    """The viewer's saved views of the list ``area`` (``id``, ``name``, ``query``), by name: the ``saved_views`` macro shows them."""
    return await saved_views.list_views(user, area)


# -- bulk actions on everything a filter matches ----------------------------------


@dataclass
class BulkAction:
    """One step of a bulk action on every row a filter matches, in the viewer's scope.

    The confirmation (a GET) shows ``count``, the rows the action would touch now, counted by the same
    scoped query the action uses, and posts it back as ``expected`` with the filter and a CSRF token.
    On the POST, :func:`bulk_action` counts again: when the rows matching the filter are no longer the
    number confirmed the page confirms again (``stale``, a 409), else the action applies to exactly the
    rows the scoped filter matches then.
    """

    query: ListQuery
    #: the page's own name of the action (``approve``, ``assign``…), posted back with the filter
    action: str
    count: int
    #: the count the viewer confirmed (on the POST), None on the confirmation itself
    expected: int | None = None

    @property
    def stale(self) -> bool:
        return self.expected is not None and self.expected != self.count

    @property
    def status_code(self) -> int:
        return 409 if self.stale else 200


async def bulk_action(query: ListQuery, action: str, actions: Iterable[str], count: Callable[[], Awaitable[int]],
                      data: Mapping[str, Any] | None = None) -> BulkAction:
    """The step of the action ``action`` (one of ``actions``, else an InvalidInput naming ``action``): ``count`` counts
    what it would touch now; ``data``, the posted form, gives the ``expected`` count (a whole number, else a 400)."""
    if action not in tuple(actions):
        raise InvalidInput(f"action: one of {', '.join(actions)}", field="action")
    expected = None if data is None else ListQuery.number("expected", str(data.get("expected", "")), 0, MAX_INTEGER)
    return BulkAction(query, action, await count(), expected)


# -- spreadsheets of what a list shows ----------------------------------------


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def csv_download(rows: AsyncIterable[list[Any]], filename: str) -> Stream:
    """Rows as a CSV download: UTF-8 with a BOM (Excel on Chinese Windows), every cell neutralised against formulas."""

    async def lines():
        yield BOM
        async for row in rows:
            yield csv_line(row)

    return Stream(lines(), media_type="text/csv; charset=utf-8", headers=_attachment(filename))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def xlsx_download(rows: AsyncIterable[list[Any]], filename: str, sheet: str = "Sheet1") -> Response[bytes]:
    """Rows as an .xlsx workbook (one sheet, the first row the header), cells neutralised like the CSV's."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    async for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(worksheet, value=csv_cell(value) if value is not None else "")
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), media_type=XLSX, headers=_attachment(filename))
