from pathlib import Path

from piccolo.conf.apps import AppConfig

from .tables import Riddle

APP_CONFIG = AppConfig(
    app_name="lantern",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[Riddle],
    # The kernel's tables first: Riddle points at Community.
    migration_dependencies=["meihao.piccolo_app"],
)
