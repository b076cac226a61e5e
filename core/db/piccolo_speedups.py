"""One measured fix to Piccolo 1.38.0's query building: ``ForeignKey.__getattribute__`` without a ``dir()`` per access.

Every public attribute read on a foreign-key column (``Patient.community.is_in``,
``Visit.elder.resident``, ``.as_alias``, ``.get_select_string`` while a query is built)
runs ``name not in dir(self)`` first, to fill in the proxy columns of a foreign key declared
with a lazy reference. ``dir()`` of a foreign key lists every column of the table it points
at: 727 calls per view of the street overview on the 20,000-resident demo. Without them the
overview's event-loop CPU went from 161.7 to 148.5 ms per view (bench/page_profile.py, ten
views each, same database and machine). Here the cheap conditions are asked first — is the
reference lazy and its proxy columns still empty? — and ``dir()`` only then; everything else
is Piccolo's code unchanged. Applied only to the pinned version (pyproject.toml); another
version is left alone, and tests/test_db.py fails so that the patch is looked at again.
"""

from __future__ import annotations

from typing import Any

import piccolo
from piccolo.columns.base import Column
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.reference import LazyTableReference

#: The Piccolo version this patch was written against (its ``ForeignKey.__getattribute__``).
PATCHED_VERSION = "1.38.0"
_original = ForeignKey.__getattribute__


def _getattribute(self: ForeignKey, name: str) -> Any:
    if not name.startswith("_"):
        try:
            meta = object.__getattribute__(self, "_foreign_key_meta")
        except AttributeError:
            pass
        else:
            # Piccolo asks ``name not in dir(self)`` first; the answer matters only in this case
            if meta.proxy_columns == [] and isinstance(meta.references, LazyTableReference) and name not in dir(self):
                object.__getattribute__(self, "set_proxy_columns")()

    value = object.__getattribute__(self, name)
    if name.startswith("_"):
        return value

    foreignkey_class = object.__getattribute__(self, "__class__")
    if isinstance(value, foreignkey_class):  # a ForeignKey: a copy that records the join
        new_column = value.copy()
        new_column._meta.call_chain.append(self)
        if len(new_column._meta.call_chain) >= 10:
            raise Exception("Call chain too long!")
        foreign_key_meta = object.__getattribute__(new_column, "_foreign_key_meta")
        for proxy_column in foreign_key_meta.proxy_columns:
            try:
                delattr(new_column, proxy_column._meta.name)
            except Exception:
                pass
        foreign_key_meta.proxy_columns = []
        for column in value._foreign_key_meta.resolved_references._meta.columns:
            _column = column.copy()
            _column._meta.call_chain = list(new_column._meta.call_chain)
            setattr(new_column, _column._meta.name, _column)
            foreign_key_meta.proxy_columns.append(_column)
        return new_column
    if issubclass(type(value), Column):
        new_column = value.copy()
        column_meta = object.__getattribute__(self, "_meta")
        new_column._meta.call_chain = column_meta.call_chain.copy()
        new_column._meta.call_chain.append(self)
        return new_column
    return value


def apply() -> bool:
    """Install the faster ``ForeignKey.__getattribute__`` when Piccolo is the pinned version; whether it is installed."""
    if piccolo.__VERSION__ != PATCHED_VERSION:
        return False
    ForeignKey.__getattribute__ = _getattribute  # type: ignore[method-assign]
    return True


def restore() -> None:
    """Piccolo's own ``ForeignKey.__getattribute__`` again (for the tests that compare both)."""
    ForeignKey.__getattribute__ = _original  # type: ignore[method-assign]


APPLIED = apply()
