"""The kernel's SQL means the same on SQLite and PostgreSQL: every test here runs on both."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from meihao.errors import Conflict
from meihao.register.community_scenarios import enable
from meihao.register.residents import ResidentFilter, list_residents
from meihao.register.tables import CommunityScenario
from meihao.tables import Community, Resident
from meihao.testing import Factories


async def test_name_search_ignores_case_on_both(meihao, factories):
    place = await factories.place("hepan")
    await factories.resident(place["household_id"], name="Anna Schmidt")
    await factories.resident(place["household_id"], name="王秀英")
    for needle in ("anna", "ANNA", "schmidt", "na S"):
        page = await list_residents(meihao, ResidentFilter(name=needle), 1, 50)
        assert [r["name"] for r in page["items"]] == ["Anna Schmidt"], needle
    page = await list_residents(meihao, ResidentFilter(name="秀"), 1, 50)
    assert [r["name"] for r in page["items"]] == ["王秀英"]


async def test_a_duplicate_id_card_is_a_conflict_on_both(meihao, factories):
    place = await factories.place("hepan")
    number = factories.id_card(date(1970, 1, 2), "female")
    await factories.resident(place["household_id"], birth_date=date(1970, 1, 2), id_card=number)
    with pytest.raises(Conflict):
        await factories.resident(place["household_id"], birth_date=date(1970, 1, 2), id_card=number, name="另一人")
    assert await Resident.count() == 1


async def test_timestamps_come_back_aware_and_in_utc_order(meihao, factories):
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    await factories.community("hepan")
    row = await Community.select(Community.created_at).first()
    created = row["created_at"]
    assert created.tzinfo is not None
    assert before <= created <= datetime.now(timezone.utc) + timedelta(seconds=5)
    # an aware value written in another zone reads back as the same instant
    shanghai = datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    await Community.update({Community.created_at: shanghai}).where(Community.slug == "hepan")
    again = (await Community.select(Community.created_at).first())["created_at"]
    assert again == shanghai and again.utcoffset() is not None


async def test_dates_compare_as_dates(meihao, factories):
    place = await factories.place("hepan")
    for year in (1950, 1960, 1990):
        await factories.resident(place["household_id"], birth_date=date(year, 6, 1), name=f"生于{year}")
    rows = await Resident.select(Resident.name, Resident.birth_date).where(Resident.birth_date < date(1961, 1, 1)).order_by(Resident.birth_date)
    assert [r["name"] for r in rows] == ["生于1950", "生于1960"]
    assert all(type(r["birth_date"]) is date for r in rows)


async def test_json_settings_read_back_the_same(meihao, lantern_plugin, make_meihao):
    mh = await make_meihao(plugins=[lantern_plugin])
    await Factories(mh).community("hepan")
    state = await enable(mh, "hepan", "lantern", {})
    stored = (await CommunityScenario.select(CommunityScenario.settings).first())["settings"]
    import json

    assert (json.loads(stored) if isinstance(stored, str) else stored) == state["settings"]


async def test_a_failed_transaction_leaves_nothing_on_both(meihao, factories):
    with pytest.raises(RuntimeError):
        async with meihao.db.transaction():
            await Community.insert(Community(slug="half", name="半个"))
            assert await Community.exists().where(Community.slug == "half")
            raise RuntimeError("undo")
    assert not await Community.exists().where(Community.slug == "half")


async def test_lists_are_ordered_the_same_on_both(meihao, factories):
    for slug in ("b-community", "a-community", "c-community"):
        await factories.community(slug)
    from meihao.register.communities import list_communities

    assert [c["slug"] for c in await list_communities()][:3] == ["b-community", "a-community", "c-community"]


# -- the same migrations, the same schema --------------------------------------------------


def _sqlite_schema(path: str) -> dict[str, Any]:
    import sqlite3

    schema: dict[str, Any] = {}
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            columns = {r[1]: bool(r[3]) or bool(r[5]) for r in db.execute(f'PRAGMA table_info("{table}")')}
            unique = set()
            for index in db.execute(f'PRAGMA index_list("{table}")'):
                if index[2]:  # unique
                    unique.add(tuple(sorted(r[2] for r in db.execute(f'PRAGMA index_info("{index[1]}")'))))
            primary = tuple(sorted(r[1] for r in db.execute(f'PRAGMA table_info("{table}")') if r[5]))
            unique.add(primary)
            schema[table] = {"columns": columns, "unique": unique}
    return schema


async def _postgres_schema(url: str) -> dict[str, Any]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        schema: dict[str, Any] = {}
        for row in await connection.fetch(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'"
        ):
            schema.setdefault(row["table_name"], {"columns": {}, "unique": set()})["columns"][row["column_name"]] = row["is_nullable"] == "NO"
        for row in await connection.fetch(
            """SELECT t.relname AS table_name, array_agg(a.attname::text ORDER BY a.attname) AS columns
               FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)
               WHERE n.nspname = 'public' AND i.indisunique GROUP BY t.relname, i.indexrelid"""
        ):
            schema[row["table_name"]]["unique"].add(tuple(row["columns"]))
        return schema
    finally:
        await connection.close()


@pytest.mark.meihao_db("postgresql")
async def test_the_same_migrations_build_the_same_schema_on_both(_meihao_template, tmp_path):
    """Tables, columns, NOT NULL and unique keys (single and composite) agree between the backends."""
    import asyncio

    from meihao.testing import build_template
    from meihao.testing.databases import SQLiteTestDatabases

    sqlite = await asyncio.to_thread(build_template, SQLiteTestDatabases(tmp_path), None, lambda mh: mh.db.migrate())
    on_sqlite = _sqlite_schema(sqlite.url.removeprefix("sqlite:///"))
    on_postgres = await _postgres_schema(_meihao_template.url)
    assert set(on_sqlite) == set(on_postgres)
    for table in on_sqlite:
        assert set(on_sqlite[table]["columns"]) == set(on_postgres[table]["columns"]), table
        # SQLite lets a primary key be NULL in its table_info; compare the other columns' NOT NULL
        assert {c: n for c, n in on_sqlite[table]["columns"].items() if c != "id"} == {
            c: n for c, n in on_postgres[table]["columns"].items() if c != "id"
        }, table
        assert on_sqlite[table]["unique"] == on_postgres[table]["unique"], table


def test_the_kernels_migrations_make_exactly_its_tables():
    """Piccolo's auto-diff of the kernel's app is empty: no column of a table class (its type, NOT NULL, default)
    differs from what the migrations built. Six foreign keys once said nullable while the migrations made them
    NOT NULL, and `meihao makemigrations meihao` offered to loosen them."""
    import asyncio
    import contextlib
    import io

    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    import meihao.db.database  # noqa: F401  (Piccolo's configuration: PICCOLO_CONF)
    from meihao.piccolo_app import APP_CONFIG

    with contextlib.redirect_stdout(io.StringIO()):
        changes = asyncio.run(AutoMigrationManager(auto_input="y").get_alter_statements(app_config=APP_CONFIG))
    assert [statement for change in changes for statement in change.statements] == []


async def test_deleting_a_resident_a_plugins_table_still_holds_is_a_409_and_deletes_nothing_on_both(meihao, factories):
    """A plugin table referencing residents with ON DELETE RESTRICT: the delete is refused with a 409 that says what
    to do (erase), and the resident, their tags and the audit log are as before (it was a 500 once)."""
    from meihao.access.tables import AuditLog
    from meihao.register.residents import delete_resident
    from meihao.register.tables import ResidentTag

    place = await factories.place("hepan")
    kept = await factories.resident(place["household_id"], name="王秀英", tags=["elder"])
    other = await factories.resident(place["household_id"], name="李桂兰")
    await Resident.raw("CREATE TABLE keeper_note (id INTEGER PRIMARY KEY, resident INTEGER NOT NULL "
                       "REFERENCES meihao_resident (id) ON DELETE RESTRICT)")
    await Resident.raw("INSERT INTO keeper_note (id, resident) VALUES (1, {})", kept["id"])
    audits = await AuditLog.count()
    with pytest.raises(Conflict) as refused:
        await delete_resident(meihao, kept["id"])
    assert str(refused.value) == (f"resident {kept['id']} still has records a scene keeps; erase the resident instead "
                                  f"(POST /api/residents/{kept['id']}/erase) to remove their personal data")
    assert await Resident.count().where(Resident.id == kept["id"]) == 1
    assert [r["tag"] for r in await ResidentTag.select(ResidentTag.tag).where(ResidentTag.resident == kept["id"])] == ["elder"]
    assert await AuditLog.count() == audits
    await delete_resident(meihao, other["id"])  # one no table holds goes
    assert await Resident.count().where(Resident.id == other["id"]) == 0
    assert await AuditLog.count() == audits + 1
