"""meihao (美好): a plugin framework for the community-service scenes of an urban sub-district.

This module is the public API for plugin authors: import from ``meihao`` only.
"""

from .errors import Conflict, InvalidInput, MeihaoError, NotFound, PluginError
from .hookspecs import hookimpl, hookspec
from .types import SCENES, Audience, Channel, Job, Metric, NoSettings, Permission, Scenario

__version__ = "0.1.0"

__all__ = [
    "SCENES",
    "Audience",
    "Channel",
    "Conflict",
    "InvalidInput",
    "Job",
    "MeihaoError",
    "Metric",
    "NoSettings",
    "NotFound",
    "Permission",
    "PluginError",
    "Scenario",
    "__version__",
    "hookimpl",
    "hookspec",
]
