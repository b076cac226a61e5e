"""Reading a scene's setting-up form (``meihao.FormFields``): the text typed into each field, made into the API body's values, each problem kept at its field.

A scene's form page maps its fields to the body of the API route that does the same; what the
form itself can tell is wrong (a number that is not one, a date the browser did not send as
one) is recorded at the field as ``errors[field] = field`` (the key of the page's message for
it) and the value read is None. The page then raises :class:`FormError` (see
:meth:`FormFields.check`) and shows the form again with the messages; the kernel's
``_form.html`` macros show each one under its field.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import date, time
from typing import Any

from litestar import Request

#: The most digits a whole number typed into a form may have: nine (999,999,999 fits every integer column).
WHOLE_DIGITS = 9
_WHOLE = re.compile(rf"[0-9]{{1,{WHOLE_DIGITS}}}")
_SIGNED_WHOLE = re.compile(rf"-?[0-9]{{1,{WHOLE_DIGITS}}}")
#: A time of day as the browser's time field sends it: hours and minutes, 00:00 to 23:59.
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


class FormError(Exception):
    """The form's own check failed: ``errors`` maps a field to the key of the page's message for it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class FormFields:
    """The fields of a posted form (``values``: the text of each, spaces around it removed, the CSRF token left out) and the
    problems found reading them (``errors``: field → message key).

    ``await FormFields.read(request)`` reads the request's form; ``FormFields(values)`` wraps fields already read.
    """

    def __init__(self, values: dict[str, str], errors: dict[str, str] | None = None) -> None:
        self.values = values
        self.errors: dict[str, str] = {} if errors is None else errors

    @classmethod
    async def read(cls, request: Request[Any, Any, Any]) -> FormFields:
        return cls({k: str(v).strip() for k, v in (await request.form()).items() if k != "_csrf_token"})

    def text(self, name: str) -> str:
        """The field's text as typed (empty when it was not sent)."""
        return self.values.get(name, "")

    def _problem(self, name: str) -> None:
        self.errors[name] = name
        return None

    def whole(self, name: str, *, required: bool = False, negative: bool = False) -> int | None:
        """A whole number: ASCII digits, at most :data:`WHOLE_DIGITS` of them, after a minus sign where ``negative``
        allows one. Empty is None (a problem when ``required``); anything else is a problem."""
        text = self.text(name)
        if not text and not required:
            return None
        if not (_SIGNED_WHOLE if negative else _WHOLE).fullmatch(text):
            return self._problem(name)
        return int(text)

    def day(self, name: str, *, required: bool = False) -> date | None:
        """A date as the browser's date field sends it (``2026-03-14``). Empty is None (a problem when ``required``)."""
        text = self.text(name)
        if not text and not required:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            return self._problem(name)

    def clock(self, name: str, *, required: bool = False) -> time | None:
        """A time of day as hours and minutes (``19:00``), 00:00 to 23:59. Empty is None (a problem when ``required``)."""
        text = self.text(name)
        if not text and not required:
            return None
        if not _CLOCK.fullmatch(text):
            return self._problem(name)
        return time.fromisoformat(text)

    def choice(self, name: str, allowed: Container[str]) -> str | None:
        """One of ``allowed`` (a choice list's values). Empty is None; anything not allowed is a problem."""
        text = self.text(name)
        if not text:
            return None
        if text not in allowed:
            return self._problem(name)
        return text

    def check(self) -> None:
        """Raise :class:`FormError` with the problems found so far, if any."""
        if self.errors:
            raise FormError(self.errors)
