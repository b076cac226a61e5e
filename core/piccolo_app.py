"""The kernel's Piccolo app: its tables and the migrations shipped beside them."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from .reminder_tables import REMINDER_TABLES
from .tables import KERNEL_TABLES

APP_CONFIG = AppConfig(
    app_name="meihao",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[*KERNEL_TABLES, *REMINDER_TABLES],
    # Staff accounts keep their passwords in Piccolo's user app.
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
)
