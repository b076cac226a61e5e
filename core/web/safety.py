"""Requests checked before a handler sees them, so that bad input is a 400 naming what is wrong, never a 500;
and the 500s that remain logged with a request id.

- integers in the path, the query string or a JSON body beyond the database's integer columns (ids are
  32-bit ``serial`` on PostgreSQL);
- JSON bodies that are not UTF-8 or nest deeper than :data:`MAX_JSON_DEPTH`;
- dates and date-times (a JSON string or a query value written ``YYYY-MM-DD…``) outside the years
  :data:`FIRST_YEAR`–:data:`LAST_YEAR`: no birth, event or record of a community lies outside them, and
  time-zone arithmetic near year 1 or 9999 overflows.

It runs after authentication: an anonymous caller gets 401 first and learns nothing else.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
import weakref
from typing import Any
from urllib.parse import parse_qsl

from litestar.connection import Request
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.response import Response
from litestar.types import ASGIApp, Receive, Scope, Send

from meihao.errors import InvalidInput
from meihao.time import FIRST_YEAR, LAST_YEAR

#: Row ids and counts are ``integer`` columns: 32-bit on PostgreSQL (SQLite's are wider). A path or query
#: integer beyond it cannot name anything; it is a 400 naming the parameter on both databases alike.
MAX_INTEGER = 2**31 - 1
#: No request meihao accepts nests objects and lists this deep; msgspec would recurse until Python stops it.
MAX_JSON_DEPTH = 32


_INTEGER = re.compile(r"[+-]?\d+")
_ISO_DATE = re.compile(r"(\d{4,})-\d\d-\d\d(?:[T ][0-9:.+\-Z]*)?")
_JSON_DATE = re.compile(rb'"((?:[^"\\]|\\.){1,100})"\s*:\s*"(\d{4,})-\d\d-\d\d(?:[T ][0-9:.+\-Z]*)?"')
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def json_depth(body: bytes) -> int:
    """How deep ``[`` and ``{`` nest in ``body``, strings left aside (for a body that is not valid JSON, an estimate)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: the common case costs two counts
    depth = deepest = 0
    for char in _STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _year_problem(key: str, year: str) -> InvalidInput | None:
    if FIRST_YEAR <= int(year) <= LAST_YEAR:
        return None
    return InvalidInput(f"{key}: the year must be between {FIRST_YEAR} and {LAST_YEAR}", field=key)


def check_dates_in_body(body: bytes) -> None:
    if b"-" not in body:
        return
    for match in _JSON_DATE.finditer(body):
        problem = _year_problem(match.group(1).decode("utf-8", "replace"), match.group(2).decode())
        if problem is not None:
            raise problem


_LONG_NUMBER = re.compile(rb"\d{10,}")


def _too_big(value: Any, key: str) -> str | None:
    """The key of the first integer in a decoded body beyond the integer columns (the list's key for an item of one)."""
    if isinstance(value, dict):
        return next((found for k, v in value.items() if (found := _too_big(v, str(k))) is not None), None)
    if isinstance(value, list):
        return next((found for v in value if (found := _too_big(v, key)) is not None), None)
    if isinstance(value, int) and not isinstance(value, bool) and not -MAX_INTEGER - 1 <= value <= MAX_INTEGER:
        return key
    return None


def check_integers_in_body(body: bytes) -> None:
    """Integers beyond :data:`MAX_INTEGER` name nothing and count nothing meihao keeps: a 400 naming the field,
    as in the path and the query string, before a database refuses them (a 500). Only a body with ten digits
    in a row outside its strings is decoded to look."""
    if not _LONG_NUMBER.search(body) or not _LONG_NUMBER.search(_STRING.sub(b'""', body)):
        return
    try:
        value = json.loads(body, parse_float=str, parse_constant=str)
    except ValueError:
        return  # not JSON (or digits beyond Python's limit): the decoder's 400 says so
    key = _too_big(value, "body")
    if key is not None:
        raise InvalidInput(f"{key}: must be a whole number up to {MAX_INTEGER}", field=key)


_NUL_VALUE = re.compile(rb'"((?:[^"\\]|\\.){1,100})"\s*:\s*"(?:[^"\\]|\\[^u]|\\u(?!0000))*\\u0000')
_STRING_VALUE = re.compile(r'"((?:[^"\\]|\\.){1,100})"\s*:\s*"([^"\\]{1,64})"')
_NUMBER = re.compile(r"\s*[+-]?\d+(?:\.\d+)?\s*")


def check_text_in_body(body: bytes) -> None:
    """No NUL characters (databases refuse or cut them), and numbers written with the digits 0-9 (``"１２８"``
    would be read as 128 by Python, unseen by the person who typed it)."""
    if b"\\u0000" in body:
        match = _NUL_VALUE.search(body)
        key = match.group(1).decode("utf-8", "replace") if match else "body"
        raise InvalidInput(f"{key}: must not contain the NUL character", field=key)
    if body.isascii():
        return
    for match in _STRING_VALUE.finditer(body.decode("utf-8")):
        value = match.group(2)
        if not value.isascii() and _NUMBER.fullmatch(value):
            raise InvalidInput(f"{match.group(1)}: write numbers with the digits 0-9", field=match.group(1))


_INT_PARAMETERS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def _int_parameters(handler: Any) -> dict[str, str]:
    """Query-string keys of the handler's integer parameters (worked out once per handler)."""
    try:
        found = _INT_PARAMETERS.get(handler)
    except TypeError:  # Litestar's own OPTIONS handlers take no weak references (and no integer parameters)
        return {}
    if found is None:
        found = _INT_PARAMETERS[handler] = _find_int_parameters(handler)
    return found


def _find_int_parameters(handler: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, definition in handler.parsed_fn_signature.parameters.items():
        kwarg = definition.kwarg_definition
        key = getattr(kwarg, "query", None) or name
        if definition.is_subclass_of(int) or definition.has_inner_subclass_of(int):
            if not (definition.is_subclass_of(bool) or definition.has_inner_subclass_of(bool)):
                found[key] = key
    return found


def check_path_and_query(scope: Scope) -> None:
    for name, value in (scope.get("path_params") or {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and not -MAX_INTEGER - 1 <= value <= MAX_INTEGER:
            raise InvalidInput(f"{name}: must be a whole number up to {MAX_INTEGER}", field=name)
    handler = scope.get("route_handler")
    query = scope.get("query_string", b"")
    if handler is None or not query:
        return
    keys = _int_parameters(handler)
    for key, value in parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True):
        if "\x00" in value:
            raise InvalidInput(f"{key}: must not contain the NUL character", field=key)
        if key in keys and _INTEGER.fullmatch(value.strip()) and not -MAX_INTEGER - 1 <= int(value) <= MAX_INTEGER:
            raise InvalidInput(f"{key}: must be a whole number up to {MAX_INTEGER}", field=key)
        date = _ISO_DATE.fullmatch(value.strip())
        if date is not None and (problem := _year_problem(key, date.group(1))) is not None:
            raise problem


async def check_body(scope: Scope, receive: Receive) -> None:
    if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    request: Request[Any, Any, Any] = Request(scope, receive)
    if "json" not in request.headers.get("content-type", "json"):
        return
    body = await request.body()  # kept in the scope: the handler reads the same bytes
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidInput("body: is not valid UTF-8 text; send JSON encoded as UTF-8", field="body") from err
    if json_depth(body) > MAX_JSON_DEPTH:
        raise InvalidInput(f"body: objects and lists nest more than {MAX_JSON_DEPTH} levels deep", field="body")
    check_dates_in_body(body)
    check_text_in_body(body)
    check_integers_in_body(body)


class InputSafetyMiddleware(ASGIMiddleware):
    """400 for integers beyond the integer columns (path, query, body), dates outside the years meihao keeps, and bodies that are not UTF-8
    or nest too deeply (see the module)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        check_path_and_query(scope)
        await check_body(scope, receive)
        await next_app(scope, receive, send)


# -- request ids and unhandled errors ----------------------------------------------------

#: The response header (and ``scope["state"]`` key) carrying the id of each request.
REQUEST_ID_HEADER = "x-request-id"

logger = logging.getLogger("meihao.web")


def request_id_of(scope: Scope) -> str:
    return scope.get("state", {}).get("request_id", "")


class RequestIdMiddleware(ASGIMiddleware):
    """Gives every request an id (a fresh one: a caller's own is not trusted) and sends it back as
    ``X-Request-Id``; a 500 quotes it, and the log line with the traceback carries it."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER.encode()]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER.encode(), request_id.encode())]}
            await send(message)

        await next_app(scope, receive, send_with_id)


def internal_error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Any error no handler expected: logged with its traceback and the request id, the method and the
    route's template (never the body, the query string or the path's values: they may name people);
    the caller gets the request id to quote, and nothing of the internals."""
    request_id = request_id_of(request.scope)
    template = request.scope.get("path_template") or "(no route)"
    logger.error("unhandled error in request %s: %s %s", request_id, request.method, template, exc_info=exc)
    body = {
        "status_code": 500,
        "detail": f"an internal error occurred; quote request id {request_id} when reporting it",
        "request_id": request_id,
    }
    return Response(body, status_code=500)


# -- response headers ---------------------------------------------------------------------

#: HTML pages (the OpenAPI pages) load only meihao's own scripts and styles; Swagger UI and ReDoc start
#: from an inline script and ReDoc styles inline, and ReDoc renders in a worker made from a blob.
HTML_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware(ASGIMiddleware):
    """On every answer ``X-Content-Type-Options: nosniff``; on every API answer ``Cache-Control: no-store``
    unless the handler chose otherwise (they carry personal data: register, reveals, exports, secret-link
    feeds, inboxes); on HTML a restrictive ``Content-Security-Policy``; and a ``charset`` written once."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-content-type-options"]
                names = {k.lower() for k, _ in headers}
                headers.append((b"x-content-type-options", b"nosniff"))
                if api and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                fixed = []
                for key, value in headers:
                    if key.lower() == b"content-type":
                        value = _one_charset(value)
                        if value.startswith(b"text/html") and b"content-security-policy" not in names:
                            fixed.append((b"content-security-policy", HTML_POLICY.encode()))
                    fixed.append((key, value))
                message = {**message, "headers": fixed}
            await send(message)

        await next_app(scope, receive, send_with_headers)


def _one_charset(value: bytes) -> bytes:
    """``text/csv; charset=utf-8; charset=utf-8`` → ``text/csv; charset=utf-8``."""
    parts = [p.strip() for p in value.split(b";")]
    seen_charset = False
    kept = []
    for part in parts:
        if part.lower().startswith(b"charset="):
            if seen_charset:
                continue
            seen_charset = True
        kept.append(part)
    return b"; ".join(kept)


# -- access logs ------------------------------------------------------------------------------

#: Routes whose path holds a secret (a resident's calendar, inbox or unsubscribe link, and their pages under /r/;
#: scenes' resident pages, /r/{token}/{scenario}/…, start with the token itself: r12.1.…, s3.1.…), and WeChat's
#: callbacks, whose query names the follower's ``openid`` (personal data).
_SECRET_LINK = re.compile(
    r"(/api/(?:calendar|inbox|reminders/unsubscribe)/|/r/(?:calendar|inbox|unsubscribe)/|/r/(?=[rs]\d+\.\d+\.)|[?&]openid=)[^/?&\s\"]+")


def redact_secret_links(text: str) -> str:
    """``GET /api/calendar/abc123.ics`` → ``GET /api/calendar/….ics``-like: the token never reaches a log."""
    return _SECRET_LINK.sub(r"\1…", text)


class SecretLinkFilter(logging.Filter):
    """For uvicorn's access log: secret-link tokens in request paths are replaced by ``…``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_secret_links(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_secret_links(record.msg)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with :class:`SecretLinkFilter` on its access log."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["secret_links"] = {"()": SecretLinkFilter}
    config["handlers"]["access"]["filters"] = ["secret_links"]
    return config


# -- messages in the user's terms -------------------------------------------------------------

_TYPES = {
    "str": "must be text",
    "int": "must be a whole number",
    "float": "must be a number",
    "decimal": "must be a number",
    "number": "must be a number",
    "bool": "must be true or false",
    "object": "must be an object ({…})",
    "array": "must be a list ([…])",
    "null": "must be left out",
}


def in_user_terms(message: str) -> str:
    """msgspec's words for a bad value (``Expected `int | null`, got `str```, ``Invalid RFC3339 encoded
    date``) said the way a person filling in the field would understand them; other text unchanged."""
    if match := re.fullmatch(r"Expected `([^`]+)`, got `[^`]+`", message):
        wanted = [t.strip() for t in match.group(1).split("|") if t.strip() != "null"]
        return _TYPES.get(wanted[0] if len(wanted) == 1 else "", "has the wrong type") if wanted else "must be left out"
    if match := re.fullmatch(r"Expected `[^`]+` (>=|<=|>|<) (-?[\d.]+)", message):
        return {">=": "must be at least", "<=": "must be at most", ">": "must be more than", "<": "must be less than"}[match.group(1)] + f" {match.group(2)}"
    if match := re.fullmatch(r"Expected `(str|array|object)` of length (>=|<=) (\d+)", message):
        kind, bound, n = match.groups()
        if bound == ">=" and n == "1":
            return "must not be empty"
        unit = {"str": "characters", "array": "items", "object": "entries"}[kind]
        return f"must have at {'least' if bound == '>=' else 'most'} {n} {unit}"
    if re.fullmatch(r"Expected `str` matching regex .*", message):
        return "is not written the way this field needs"
    if message.startswith("Invalid RFC3339 encoded datetime"):
        return "must be a date and time, e.g. 2026-03-07T09:00:00"
    if message.startswith("Invalid RFC3339 encoded date"):
        return "must be a date, e.g. 2026-03-07"
    if message.startswith("Invalid RFC3339 encoded time"):
        return "must be a time, e.g. 09:00"
    if message.startswith("Invalid enum value"):
        return "is not one of the allowed values"
    if message.startswith("Invalid decimal") or message.startswith("Invalid numeric"):
        return "must be a number"
    return message


def field_problem(message: str, key: str) -> tuple[str, str]:
    """``(field, detail)`` for one of Litestar's validation problems: ``Object missing required field `x```
    names ``x`` itself; the rest are told in the user's terms."""
    if match := re.fullmatch(r"Object missing required field `([^`]+)`", message):
        return match.group(1), f"{match.group(1)}: is required"
    if match := re.fullmatch(r"Object contains unknown field `([^`]+)`", message):
        return match.group(1), f"{match.group(1)}: is not a field of this request"
    return key, f"{key}: {in_user_terms(message)}"


def client_error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Litestar's other 400s (a body that does not decode): ``body: is not valid JSON``, not the decoder's words."""
    detail = getattr(exc, "detail", "") or str(exc)
    status = getattr(exc, "status_code", 400)
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if status == 400 and ("JSON" in detail or "truncated" in detail or "malformed" in detail.lower()):
        body = {"status_code": 400, "detail": "body: is not valid JSON", "field": "body"}
    return Response(body, status_code=status)
