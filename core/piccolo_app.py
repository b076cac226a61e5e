"""The kernel's Piccolo app: the tables of every kernel capability and the migrations shipped beside them."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from meihao.access.tables import ACCESS_TABLES
from meihao.attachments.tables import ATTACHMENT_TABLES
from meihao.register.tables import REGISTER_TABLES
from meihao.reminders.tables import REMINDER_TABLES
from meihao.scheduling.tables import SCHEDULING_TABLES
from meihao.volunteering.tables import VOLUNTEERING_TABLES
from meihao.workitems.tables import WORKITEM_TABLES

APP_CONFIG = AppConfig(
    app_name="meihao",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[*REGISTER_TABLES, *ACCESS_TABLES, *SCHEDULING_TABLES, *REMINDER_TABLES, *WORKITEM_TABLES, *ATTACHMENT_TABLES, *VOLUNTEERING_TABLES],
    # Staff accounts keep their passwords in Piccolo's user app.
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
)
