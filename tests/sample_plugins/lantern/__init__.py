"""A throwaway scenario used by the kernel tests: lantern riddles (灯谜) for the Lantern Festival.

It has the shape every scene plugin has: a Scenario with settings, a Piccolo app with a
migration, routes under the community, a permission, a CLI command, demo data and metrics.
"""

from __future__ import annotations

from typing import Any

import click
import msgspec

from meihao import ConsolePages, Metric, Permission, Scenario, hookimpl

from .pages import PAGES
from .routes import LanternController


class LanternSettings(msgspec.Struct, forbid_unknown_fields=True):
    riddles_per_night: int = 10
    prize: str = "汤圆"

    def __post_init__(self) -> None:
        if self.riddles_per_night < 1:
            raise ValueError("riddles_per_night must be at least 1")


#: What the community hooks saw, so tests can check they were called.
EVENTS: list[tuple[str, str, str]] = []


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="lantern",
        title_zh="灯谜",
        title_en="Lantern riddles",
        scene="neighbourhood",
        version="1.0",
        settings=LanternSettings,
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["tests.sample_plugins.lantern.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return [LanternController]


@hookimpl
def meihao_console_pages() -> ConsolePages:
    return PAGES


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission("lantern.riddle.read", "Read riddles", roles=("community_admin", "grid_leader", "grid_worker", "grid_part_time")),
        Permission("lantern.riddle.write", "Post riddles", roles=("community_admin", "grid_worker")),
    ]


@hookimpl
def meihao_cli(cli: click.Group) -> None:
    @cli.command(name="lantern-count")
    def lantern_count() -> None:
        """Say hello from the lantern plugin."""
        click.echo("lanterns: lit")


@hookimpl
async def meihao_community_enabled(community: dict[str, Any], scenario: str, settings: LanternSettings) -> None:
    if scenario == "lantern":
        EVENTS.append(("enabled", community["slug"], str(settings.riddles_per_night)))


@hookimpl
async def meihao_community_disabled(community: dict[str, Any], scenario: str) -> None:
    if scenario == "lantern":
        EVENTS.append(("disabled", community["slug"], ""))


@hookimpl
async def meihao_demo_data(community: dict[str, Any], settings: LanternSettings, seed: int) -> None:
    from .tables import Riddle

    await Riddle.insert(
        *[Riddle(community=community["id"], question=f"谜面{i}", answer=f"谜底{i}") for i in range(settings.riddles_per_night)]
    )


@hookimpl
async def meihao_metrics(community: dict[str, Any]) -> list[Metric]:
    from .tables import Riddle

    count = await Riddle.count().where(Riddle.community == community["id"])
    return [Metric("riddles", "灯谜数", "Riddles", count)]
