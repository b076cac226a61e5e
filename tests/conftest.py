"""Shared test set-up: the fixtures come from meihao.testing (the pytest plugin shipped with meihao)."""

from __future__ import annotations

import pytest

import tests.sample_plugins.lantern as lantern


@pytest.fixture
def lantern_plugin():
    """The throwaway lantern scenario, registered for one test."""
    lantern.EVENTS.clear()
    return ("lantern", lantern)
