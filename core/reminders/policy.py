"""What the reminder engine's stages share: how it paces itself, what a round did, quiet hours, delivery ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from meihao.reminders.tables import ReminderSettings

DEFAULT_QUIET = ("21:30", "07:30")
LANGUAGES = ("zh", "en")


@dataclass
class DeliveryPolicy:
    """How the engine paces itself; every value can be changed per instance (tests, bench, operators)."""

    #: Residents per fan-out statement (resident ids, not parameters: a batch binds a handful).
    batch_size: int = 20_000
    #: Outbox rows claimed per delivery round.
    claim_size: int = 200
    #: A claimed row not finished within the lease is taken again (its sender is presumed dead).
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=1)
    #: How far beyond the largest offset occurrences are planned.
    lookahead: timedelta = timedelta(days=7)
    #: External channels sent at once.
    concurrency: int = 10

    def backoff(self, attempts: int) -> timedelta:
        return min(self.backoff_base * (2 ** max(attempts - 1, 0)), self.backoff_max)


@dataclass
class TickResult:
    planned: int = 0
    fanned_out: int = 0
    missed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    held: int = 0
    recipients: int = 0
    details: dict[str, int] = field(default_factory=dict)


def delivery_id(reminder_id: int) -> str:
    return f"meihao-reminder-{reminder_id}"


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, tz_name: str, start: str, end: str) -> datetime | None:
    """If ``now`` falls in the community's quiet hours, the (UTC) moment they end; else None."""
    begin, finish = _parse_hhmm(start), _parse_hhmm(end)
    if begin == finish:  # compared as times: "7:00" to "07:00" is no quiet hours, not a quiet day
        return None
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if begin < finish:
        quiet = begin <= t < finish
        end_day = local.date()
    else:  # over midnight, e.g. 21:30–07:30
        quiet = t >= begin or t < finish
        end_day = local.date() + timedelta(days=1) if t >= begin else local.date()
    if not quiet:
        return None
    return datetime.combine(end_day, finish, tzinfo=tz).astimezone(timezone.utc)


async def set_quiet_hours(community_id: int, start: str, end: str) -> None:
    for value, name in ((start, "quiet_start"), (end, "quiet_end")):
        try:
            _parse_hhmm(value)
        except ValueError as err:
            from meihao.errors import InvalidInput

            raise InvalidInput(f"{name}: use HH:MM, e.g. 21:30", field=name) from err
    if await ReminderSettings.exists().where(ReminderSettings.community == community_id):
        await ReminderSettings.update({ReminderSettings.quiet_start: start, ReminderSettings.quiet_end: end}).where(
            ReminderSettings.community == community_id
        )
    else:
        await ReminderSettings.insert(ReminderSettings(community=community_id, quiet_start=start, quiet_end=end))


__all__ = ["DEFAULT_QUIET", "LANGUAGES", "DeliveryPolicy", "TickResult", "delivery_id", "quiet_until", "set_quiet_hours"]


async def set_cancellation_notices(community_id: int, on: bool) -> None:
    """Whether people already reminded of an activity are told when it is cancelled (on by default)."""
    if await ReminderSettings.exists().where(ReminderSettings.community == community_id):
        await ReminderSettings.update({ReminderSettings.cancellation_notices: on}).where(ReminderSettings.community == community_id)
    else:
        await ReminderSettings.insert(ReminderSettings(community=community_id, cancellation_notices=on))


async def cancellation_notices_on(community_id: int) -> bool:
    row = await ReminderSettings.select(ReminderSettings.cancellation_notices).where(ReminderSettings.community == community_id).first()
    return True if row is None else bool(row["cancellation_notices"])
