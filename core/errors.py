"""The kernel's domain errors: one small hierarchy, mapped to HTTP and CLI in one place each."""

from __future__ import annotations


class MeihaoError(Exception):
    """Base of every error the kernel raises on purpose; its message is meant for people."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConfigurationError(MeihaoError):
    """A setting is missing or wrong; start-up stops and says which one."""

    status_code = 500


class PluginError(MeihaoError):
    """A plugin cannot be loaded or answered a hook wrongly; start-up stops naming it."""

    status_code = 500

    def __init__(self, plugin: str, problem: str) -> None:
        super().__init__(f"plugin {plugin!r}: {problem}")
        self.plugin = plugin
        self.problem = problem


class InvalidInput(MeihaoError):
    """The caller sent something that breaks a rule; nothing was written."""

    status_code = 400


class Forbidden(MeihaoError):
    """The caller is known but lacks the permission, or their scope does not reach the community."""

    status_code = 403


class NotFound(MeihaoError):
    """The record does not exist (or, for access control, is outside the caller's scope)."""

    status_code = 404


class Conflict(MeihaoError):
    """The write would break a uniqueness rule, e.g. a second resident with the same ID number."""

    status_code = 409


class DatabaseUnavailable(MeihaoError):
    """The configured database cannot be reached."""

    status_code = 503


def split_validation_error(message: str) -> tuple[str | None, str]:
    """Split msgspec's ``"Expected `int`, got `str` - at `$.port`"`` into ``("port", "Expected `int`, got `str`")``."""
    if " - at `$." in message:
        text, _, where = message.rpartition(" - at `$.")
        return where.rstrip("`"), text
    return None, message
