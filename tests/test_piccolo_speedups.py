"""The patched ``ForeignKey.__getattribute__`` (meihao.db.piccolo_speedups) builds exactly the SQL Piccolo's own does."""

from __future__ import annotations

import piccolo
import pytest
from piccolo.columns import ForeignKey, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from meihao.db import piccolo_speedups
from meihao.register.tables import Building, Household, Resident


def test_the_patch_is_installed_for_the_pinned_piccolo():
    # a new Piccolo: look at its ForeignKey.__getattribute__ again, then move PATCHED_VERSION
    assert piccolo.__VERSION__ == piccolo_speedups.PATCHED_VERSION == "1.38.0"
    assert piccolo_speedups.APPLIED is True
    assert ForeignKey.__getattribute__ is piccolo_speedups._getattribute


def _queries() -> list[str]:
    return [
        str(Resident.select(Resident.id, Resident.household.building.name, Resident.community.slug.as_alias("c")).where(
            Resident.household.building.grid.community.slug == "hepan", Resident.grid.is_in([1, 2])).order_by(Resident.building.name)),
        str(Household.select(Household.building.grid.code, Household.room).where(Household.building.name.like("3号楼%"))),
        str(Building.count().where(Building.grid.community.is_in(Resident.select(Resident.community).where(Resident.id == 7)))),
    ]


def test_the_sql_is_the_same_as_piccolos_own(meihao):
    patched = _queries()
    try:
        piccolo_speedups.restore()
        original = _queries()
    finally:
        piccolo_speedups.apply()
    assert patched == original
    assert 'LEFT JOIN "meihao_household" "meihao_resident$household"' in patched[0]


class LazyTown(Table, tablename="lazy_town"):
    name = Varchar()


class LazyStreet(Table, tablename="lazy_street"):
    town = ForeignKey(LazyTableReference("LazyTown", module_path=__name__))
    name = Varchar()


def test_a_lazy_reference_still_gets_its_proxy_columns(meihao):
    query = str(LazyStreet.select(LazyStreet.town.name).where(LazyStreet.town.name == "荷畔"))
    assert 'LEFT JOIN "lazy_town" "lazy_street$town" ON ("lazy_street"."town" = "lazy_street$town"."id")' in query
    assert query.startswith('SELECT ALL "lazy_street$town"."name" AS "town.name" FROM "lazy_street"'), query


class Node(Table, tablename="node"):
    parent = ForeignKey("self")


def test_too_long_a_chain_is_still_refused():
    column, depth = Node.parent, 1
    with pytest.raises(Exception, match="Call chain too long!"):
        while depth < 20:
            column, depth = column.parent, depth + 1
    assert depth == 10  # Piccolo's limit: ten foreign keys deep
