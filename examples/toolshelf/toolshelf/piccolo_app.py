"""toolshelf's Piccolo app: its tables and the migrations shipped in this package."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import Loan, Tool

APP_CONFIG = AppConfig(
    app_name="toolshelf",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Tool, Loan],
    migration_dependencies=["meihao.piccolo_app"],
)
