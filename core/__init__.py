"""meihao (美好): a plugin framework for the community-service scenes of an urban sub-district.

This module is the public API for plugin authors: import from ``meihao`` only.
"""

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.access.staff import staff_works_in
from meihao.db.migration_helpers import add_unique_index
from meihao.errors import Conflict, Forbidden, InvalidInput, MeihaoError, NotFound, PluginError
from meihao.hooks.declarations import (
    SCENES,
    Audience,
    Channel,
    Job,
    Message,
    Metric,
    NoSettings,
    PermanentFailure,
    Permission,
    Scenario,
)
from meihao.hooks.specs import hookimpl, hookspec
from meihao.money import fen_to_yuan, yuan_to_fen
from meihao.privacy import csv_cell, csv_line, mask_phone, normalise_email, normalise_phone
from meihao.register.community_scenarios import scenario_settings
from meihao.reminders.activities import (
    ActivityIn,
    ActivityPatch,
    activity_occurrences,
    cancel_occurrence,
    create_activity,
    get_activity,
    update_activity,
)
from meihao.reminders.notices import NoticeIn, cancel_activity, notify
from meihao.time.clock import FakeClock
from meihao.version import __version__
from meihao.web.auth import requires

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
    "csv_cell",
    "csv_line",
    "fen_to_yuan",
    "get_activity",
    "hookimpl",
    "hookspec",
    "mask_phone",
    "normalise_email",
    "normalise_phone",
    "notify",
    "requires",
    "scenario_settings",
    "staff_works_in",
    "update_activity",
    "yuan_to_fen",
]
