"""The working calendar's indexes, and the official schedules the pinned chinese-calendar package knows.

A fresh install then counts working days correctly for every year the package has (2004 to
2026 in chinese-calendar 1.11.0); later years are loaded as data with ``meihao calendar load``.
The tables are declared here as they are at this migration, so later changes to the kernel's
tables do not change what this step writes. Years already loaded are left alone.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.db.migration_helpers import add_index

ID = "2026-11-30T07:16:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "working calendar indexes and the official schedules of chinese-calendar"


class CalendarYear(Table, tablename="meihao_calendar_year", schema=None):
    year = Integer(unique=True)
    source = Text(default="")
    loaded_at = Timestamptz(default=TimestamptzNow())


class CalendarDay(Table, tablename="meihao_calendar_day", schema=None):
    year = Integer(index=True)
    day = Date(unique=True)
    kind = Varchar(length=16)
    name = Varchar(length=100, default="")


async def seed_official_schedules() -> None:
    import chinese_calendar
    from chinese_calendar.constants import Holiday, holidays, workdays
    from piccolo.engine import engine_finder

    # The tables above took the engine of the first database migrated in this process.
    for table in (CalendarYear, CalendarDay):
        table._meta.db = engine_finder()

    def label(name: str) -> str:
        return f"{Holiday(name).chinese} {name}"

    source = f"chinese-calendar {chinese_calendar.__version__}"
    years = sorted({day.year for day in (*holidays, *workdays)})
    loaded = {row["year"] for row in await CalendarYear.select(CalendarYear.year)}
    for year in (y for y in years if y not in loaded):
        days = [CalendarDay(year=year, day=day, kind="holiday", name=label(name)) for day, name in holidays.items() if day.year == year]
        days += [CalendarDay(year=year, day=day, kind="workday", name=label(name)) for day, name in workdays.items() if day.year == year]
        await CalendarYear.insert(CalendarYear(year=year, source=source))
        await CalendarDay.insert(*days)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meihao", description=DESCRIPTION)
    add_index(manager, "meihao_calendar_override", ["community", "day"])
    manager.add_raw(seed_official_schedules)
    return manager
