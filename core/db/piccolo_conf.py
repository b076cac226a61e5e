"""Piccolo's configuration module, answered live from the running meihao instance.

Piccolo looks up ``DB`` and ``APP_REGISTRY`` on this module each time it needs
them (``PICCOLO_CONF=meihao.db.piccolo_conf``); the module-level ``__getattr__``
hands over whatever database the current meihao instance opened, so tests can
switch databases without re-importing anything.
"""

from __future__ import annotations


def __getattr__(name: str):
    from meihao.db.database import current_database

    if name == "DB":
        return current_database().engine
    if name == "APP_REGISTRY":
        return current_database().app_registry
    raise AttributeError(name)
