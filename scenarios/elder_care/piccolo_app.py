"""The elder_care Piccolo app: its tables and migrations, after the kernel's."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import TABLES

APP_CONFIG = AppConfig(
    app_name="elder_care",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=TABLES,
    # The kernel's tables first: elders point at residents, staff and communities.
    migration_dependencies=["meihao.piccolo_app"],
)
