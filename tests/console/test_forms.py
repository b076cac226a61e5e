"""meihao.FormFields, the kernel's reader of a scene's setting-up form: each kind of field on each side of each boundary.

Literal inputs and literal answers: the value read and the problem recorded (``errors[field] = field``, the key of the
page's message). The scenes' pages show those messages (tests/scenarios/{markets,culture}/test_manage_pages.py).
"""

from __future__ import annotations

from datetime import date, time

import pytest
from litestar import Litestar, Request, post
from litestar.testing import AsyncTestClient

from meihao import FormError, FormFields

ALLOWED = {"keep": "Hold it", "skip": "Skip it"}


def read(kind: str, text: str | None, **options) -> tuple[object, dict[str, str]]:
    """What the field ``f`` typed as ``text`` (None: not sent) reads as, and the problems recorded."""
    form = FormFields({} if text is None else {"f": text})
    value = form.choice("f", ALLOWED) if kind == "choice" else getattr(form, kind)("f", **options)
    return value, form.errors


PROBLEM = {"f": "f"}


@pytest.mark.parametrize(("text", "options", "expected"), [
    # blank: nothing typed (or not sent) is None, a problem only when required
    (None, {}, (None, {})),
    ("", {}, (None, {})),
    ("", {"required": True}, (None, PROBLEM)),
    (None, {"required": True}, (None, PROBLEM)),
    # the smallest and the largest: one digit, nine digits; ten is too large
    ("0", {}, (0, {})),
    ("007", {}, (7, {})),
    ("999999999", {}, (999_999_999, {})),
    ("1000000000", {}, (None, PROBLEM)),
    # minus: only where negative numbers are allowed, with the same nine digits
    ("-1", {}, (None, PROBLEM)),
    ("-1", {"negative": True}, (-1, {})),
    ("-0", {"negative": True}, (0, {})),
    ("-999999999", {"negative": True}, (-999_999_999, {})),
    ("-1000000000", {"negative": True}, (None, PROBLEM)),
    ("--1", {"negative": True}, (None, PROBLEM)),
    ("-", {"negative": True}, (None, PROBLEM)),
    # not a whole number
    ("+1", {}, (None, PROBLEM)),
    ("2.5", {}, (None, PROBLEM)),
    ("1e3", {}, (None, PROBLEM)),
    ("二十", {}, (None, PROBLEM)),
    ("１２", {}, (None, PROBLEM)),  # full-width digits are not read as 12
    ("1 2", {}, (None, PROBLEM)),
    ("abc", {"required": True, "negative": True}, (None, PROBLEM)),
])
def test_a_whole_number(text, options, expected):
    assert read("whole", text, **options) == expected


@pytest.mark.parametrize(("text", "options", "expected"), [
    ("", {}, (None, {})),
    ("", {"required": True}, (None, PROBLEM)),
    ("2026-03-14", {}, (date(2026, 3, 14), {})),
    ("2026-02-28", {"required": True}, (date(2026, 2, 28), {})),
    ("2026-02-29", {}, (None, PROBLEM)),  # not a leap year
    ("2028-02-29", {}, (date(2028, 2, 29), {})),
    ("2026-02-30", {"required": True}, (None, PROBLEM)),
    ("2026-13-01", {}, (None, PROBLEM)),
    ("14/03/2026", {}, (None, PROBLEM)),
    ("明天", {}, (None, PROBLEM)),
])
def test_a_date(text, options, expected):
    assert read("day", text, **options) == expected


@pytest.mark.parametrize(("text", "options", "expected"), [
    ("", {}, (None, {})),
    ("", {"required": True}, (None, PROBLEM)),
    ("00:00", {}, (time(0, 0), {})),
    ("23:59", {"required": True}, (time(23, 59), {})),
    ("24:00", {}, (None, PROBLEM)),
    ("12:60", {}, (None, PROBLEM)),
    ("9:00", {}, (None, PROBLEM)),
    ("19:00:00", {}, (None, PROBLEM)),
    ("7pm", {}, (None, PROBLEM)),
])
def test_a_time_of_day(text, options, expected):
    assert read("clock", text, **options) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("", (None, {})),
    ("keep", ("keep", {})),
    ("skip", ("skip", {})),
    ("Keep", (None, PROBLEM)),
    ("sometimes", (None, PROBLEM)),
])
def test_a_choice(text, expected):
    assert read("choice", text) == expected


def test_problems_gather_at_their_fields_and_check_raises_them_all():
    form = FormFields({"capacity": "-3", "first_day": "2026-02-30", "opens_at": "09:00", "until": ""})
    assert (form.whole("capacity"), form.day("first_day"), form.clock("opens_at"), form.day("until")) == (None, None, time(9, 0), None)
    assert form.text("opens_at") == "09:00" and form.text("missing") == ""
    with pytest.raises(FormError) as raised:
        form.check()
    assert raised.value.errors == {"capacity": "capacity", "first_day": "first_day"}
    assert FormFields({"capacity": "3"}).check() is None  # no problem: nothing raised


async def test_reading_a_posted_form_trims_each_field_and_leaves_out_the_form_token():
    @post("/form")
    async def echo(request: Request) -> dict:
        form = await FormFields.read(request)
        return {"values": form.values, "capacity": form.whole("capacity"), "errors": form.errors}

    async with AsyncTestClient(app=Litestar([echo])) as client:
        answer = await client.post("/form", data={"name": "  睦邻善市 ", "capacity": " 12 ", "_csrf_token": "x" * 8, "note": ""})
    assert answer.json() == {"values": {"name": "睦邻善市", "capacity": "12", "note": ""}, "capacity": 12, "errors": {}}
