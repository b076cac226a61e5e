"""The culture scenario's Piccolo app: its tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import TABLES

APP_CONFIG = AppConfig(
    app_name="culture",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=TABLES,
    # The kernel's tables first: venues and shows point at communities, grids and staff.
    migration_dependencies=["meihao.piccolo_app"],
)
