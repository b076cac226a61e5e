"""The service scene's tables: requests (诉求) and the duty roster of 首席接访员."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


def _stub(class_name: str, tablename: str) -> type[Table]:
    return type(class_name, (Table,), {"id": Serial(null=False, primary_key=True, unique=False, index=False,
                                                    index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)},
                tablename=tablename, schema=None)


Community = _stub("Community", "meihao_community")
Grid = _stub("Grid", "meihao_grid")
Building = _stub("Building", "meihao_building")
Resident = _stub("Resident", "meihao_resident")
Staff = _stub("Staff", "meihao_staff")

ID = "2026-11-30T17:35:12:204518"
VERSION = "1.38.0"
DESCRIPTION = "service: requests and the duty roster"


def _params(**given):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **given,
    }


def _fk(references, on_delete, **given):
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **given)


COLUMNS = {
    ("ServiceRequest", "service_request"): [
        ("community", ForeignKey, _fk(Community, OnDelete.restrict, index=True)),
        ("item", Integer, _params(default=0, unique=True, index=True)),
        ("channel", Varchar, _params(length=16, default="")),
        ("type", Varchar, _params(length=16, default="")),
        ("requester", ForeignKey, _fk(Resident, OnDelete.set_null, null=True, default=None, index=True)),
        ("grid", ForeignKey, _fk(Grid, OnDelete.set_null, null=True, default=None, index=True)),
        ("building", ForeignKey, _fk(Building, OnDelete.set_null, null=True, default=None)),
        ("text", Text, _params(default="")),
        ("received_by", ForeignKey, _fk(Staff, OnDelete.set_null, null=True, default=None)),
        ("received_at", Timestamptz, _params(default=TimestamptzNow())),
        ("external_id", Varchar, _params(length=64, null=True, default=None, index=True)),
        ("reply", Text, _params(default="")),
    ],
    ("DutyShift", "service_duty_shift"): [
        ("community", ForeignKey, _fk(Community, OnDelete.cascade, index=True)),
        ("day", Date, _params(default=DateNow(), index=True)),
        ("staff", ForeignKey, _fk(Staff, OnDelete.cascade)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="service", description=DESCRIPTION)
    for (class_name, tablename), columns in COLUMNS.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name, tablename=tablename, column_name=name, db_column_name=name,
                column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
            )
    return manager
