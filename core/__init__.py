"""meihao (美好): a plugin framework for the community-service scenes of an urban sub-district.

This module is the public API for plugin authors: import from ``meihao`` only.
"""

from .errors import Conflict, InvalidInput, MeihaoError, NotFound, PluginError
from .hookspecs import hookimpl, hookspec
from .types import SCENES, Audience, Channel, Job, Message, Metric, NoSettings, PermanentFailure, Permission, Scenario

__version__ = "0.1.0"

__all__ = [
    "SCENES",
    "Audience",
    "Channel",
    "Conflict",
    "InvalidInput",
    "Job",
    "Message",
    "MeihaoError",
    "Metric",
    "NoSettings",
    "NotFound",
    "PermanentFailure",
    "Permission",
    "PluginError",
    "Scenario",
    "__version__",
    "hookimpl",
    "hookspec",
]
