"""Plugins loaded without a database, for the tests of loading and of hook dispatch."""

from __future__ import annotations

from typing import Any

import pytest

from meihao.hooks.manager import Plugins
from meihao.testing import builtin_only


@pytest.fixture
def make_plugins():
    """``make_plugins(("name", plugin), ...)``: meihao's built-in plugins plus the ones given, loaded and validated."""

    def make(*extra: tuple[str, Any]) -> Plugins:
        return Plugins.load(extra=list(extra), entry_point_filter=builtin_only)

    return make
