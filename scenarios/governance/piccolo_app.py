"""The governance Piccolo app: its tables and migrations, after the kernel's."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import TABLES

APP_CONFIG = AppConfig(
    app_name="governance",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=TABLES,
    # The kernel's tables first: events point at grids, staff, departments and communities.
    migration_dependencies=["meihao.piccolo_app"],
)
