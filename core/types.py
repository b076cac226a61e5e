"""The declarative values plugins hand to the kernel: scenarios, permissions, jobs, audiences, channels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Literal

import msgspec

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

#: The nine scenes of the source (九大场景); a third-party scenario may bring a new scene key.
SCENES: dict[str, tuple[str, str]] = {
    "service": ("服务", "service"),
    "governance": ("治理", "governance"),
    "neighbourhood": ("邻里", "neighbourhood"),
    "health": ("健康", "health"),
    "education": ("教育", "education"),
    "commerce": ("商业", "commerce"),
    "elder_care": ("养老", "elder care"),
    "markets": ("市集", "neighbourhood markets"),
    "culture": ("文化", "theatre outreach"),
}


class NoSettings(msgspec.Struct, forbid_unknown_fields=True):
    """Settings schema of a scenario that has nothing to configure."""


@dataclass(frozen=True)
class Scenario:
    """A scene a community can switch on. ``name`` equals the plugin's (and its folder's) name."""

    name: str
    title_zh: str
    title_en: str
    scene: str
    version: str
    #: msgspec Struct with a default for every field; validated when a community enables the scenario.
    settings: type[msgspec.Struct] = NoSettings
    #: Names of plugins this one needs; start-up stops when one is missing.
    dependencies: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Permission:
    """A named permission (``elder_care.visit.record``) that a plugin checks."""

    name: str
    description: str


@dataclass(frozen=True)
class Job:
    """A scheduled job a plugin declares; the scheduler issue registers it.

    ``trigger`` is ``("cron", {"hour": 7})``, ``("interval", {"minutes": 5})`` or
    ``("date", {"run_time": datetime})``. With ``per_community`` the job runs once for each
    community that enabled the plugin's scenario, in that community's time zone, and
    ``func`` receives the community's slug.
    """

    id: str
    func: Callable[..., Awaitable[Any] | Any]
    trigger: tuple[Literal["cron", "interval", "date"], dict[str, Any]]
    per_community: bool = False
    description: str = ""


@dataclass(frozen=True)
class Audience:
    """A named set of residents (``elder_care.living_alone``) resolved to a SQL selection.

    ``select`` receives the community's id and returns a Piccolo ``Select`` of resident ids.
    """

    name: str
    title_zh: str
    title_en: str
    select: Callable[[int], Any]


@dataclass(frozen=True)
class Channel:
    """A delivery channel (inbox, email, webhook…); ``send`` delivers one rendered message."""

    name: str
    title_zh: str
    title_en: str
    send: Callable[..., Awaitable[None]]
    #: Channels that reach staff only (e.g. a WeCom group robot) set this False.
    for_residents: bool = True
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """One key figure of a scenario for a community's dashboard."""

    key: str
    title_zh: str
    title_en: str
    value: float | int
    at: datetime | None = None
    window: timedelta | None = None
