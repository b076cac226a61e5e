"""meihao (美好): a plugin framework for the community-service scenes of an urban sub-district.

This module is the public API for plugin authors: import from ``meihao`` only.
"""

from .errors import Conflict, Forbidden, InvalidInput, MeihaoError, NotFound, PluginError
from .hookspecs import hookimpl, hookspec
from .types import SCENES, Audience, Channel, Job, Message, Metric, NoSettings, PermanentFailure, Permission, Scenario

__version__ = "0.1.0"

# Imported after __version__: these modules read it while loading.
from .access import Principal, audit, requires, staff_works_in  # noqa: E402
from .activities import (  # noqa: E402
    ActivityIn,
    ActivityPatch,
    activity_occurrences,
    cancel_activity,
    cancel_occurrence,
    create_activity,
    get_activity,
    update_activity,
)
from .clock import FakeClock  # noqa: E402
from .community_scenarios import scenario_settings  # noqa: E402
from .migration_helpers import add_unique_index  # noqa: E402
from .money import fen_to_yuan, yuan_to_fen  # noqa: E402
from .notices import NoticeIn, notify  # noqa: E402
from .privacy import mask_phone, normalise_phone  # noqa: E402

__all__ = [
    "SCENES",
    "ActivityIn",
    "ActivityPatch",
    "Audience",
    "Channel",
    "Conflict",
    "FakeClock",
    "Forbidden",
    "InvalidInput",
    "Job",
    "Message",
    "MeihaoError",
    "Metric",
    "NoSettings",
    "NotFound",
    "NoticeIn",
    "PermanentFailure",
    "Permission",
    "PluginError",
    "Principal",
    "Scenario",
    "__version__",
    "activity_occurrences",
    "add_unique_index",
    "audit",
    "cancel_activity",
    "cancel_occurrence",
    "create_activity",
    "fen_to_yuan",
    "get_activity",
    "hookimpl",
    "hookspec",
    "mask_phone",
    "normalise_phone",
    "notify",
    "requires",
    "scenario_settings",
    "staff_works_in",
    "update_activity",
    "yuan_to_fen",
]
