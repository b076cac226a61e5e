"""Parameter types and answer helpers shared by the kernel's route handlers."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from meihao.access.principals import Principal

S = TypeVar("S")


#: Row ids are 64-bit integers: a bigger number is a 400 naming the parameter, not a database error.
MAX_ID = 2**63 - 1


PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]


#: Beyond this the row offset of a page no longer fits the database's integers.
PageNumber = Annotated[int, QueryParameter(ge=1, le=10**9)]


#: The caller, as the bearer-token middleware found them.
Caller = NamedDependency[Principal]


def _out(struct: type[S], row: dict[str, Any]) -> S:
    """Build a response Struct from a row, taking only the fields the Struct shows."""
    return struct(**{k: row[k] for k in struct.__struct_fields__})
