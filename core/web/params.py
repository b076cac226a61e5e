"""Parameter types and answer helpers shared by the kernel's and the plugins' route handlers.

The dependency aliases name what a handler receives by its parameter's name: ``meihao:
Runtime``, ``principal: Caller``, ``community: CurrentCommunity`` (scenario routes only).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from meihao.access.principals import Principal
from meihao.db.paging import MAX_PAGE
from meihao.register.schemas import CommunityInfo
from meihao.runtime import Meihao
from meihao.time import FIRST_YEAR, LAST_YEAR

S = TypeVar("S")


#: Row ids are 64-bit integers: a bigger number is a 400 naming the parameter, not a database error.
MAX_ID = 2**63 - 1


PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]


#: ``?year=``: a calendar year the API keeps dates in (:data:`meihao.time.FIRST_YEAR`–:data:`meihao.time.LAST_YEAR`);
#: None when left out.
QueryYear = Annotated[int | None, QueryParameter(ge=FIRST_YEAR, le=LAST_YEAR)]


#: ``?page=``, from 1. Beyond 10⁹ the row offset of a page no longer fits the database's integers.
PageNumber = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]


#: ``?page_size=``: None is the setting ``default_page_size``; above ``max_page_size`` it is lowered to it.
PageSize = Annotated[int | None, QueryParameter(ge=1)]


#: The running meihao (settings, database, clock, plugins); name the parameter ``meihao``.
Runtime = NamedDependency[Meihao]


#: The caller, as the bearer-token middleware found them; name the parameter ``principal``.
Caller = NamedDependency[Principal]


#: The community in the path of a scenario's route; name the parameter ``community``.
CurrentCommunity = NamedDependency[CommunityInfo]


def _out(struct: type[S], row: dict[str, Any]) -> S:
    """Build a response Struct from a row, taking only the fields the Struct shows."""
    return struct(**{k: row[k] for k in struct.__struct_fields__})
