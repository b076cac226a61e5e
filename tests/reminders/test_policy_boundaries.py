"""Quiet hours at their first and last minute, retry backoff at its cap, and the quiet-hours setting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from meihao.errors import InvalidInput
from meihao.reminders.policy import DEFAULT_QUIET, DeliveryPolicy, delivery_id, quiet_until, set_quiet_hours
from meihao.reminders.tables import ReminderSettings
from meihao.testing import Factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def _at(day: int, hour: int, minute: int, tz: ZoneInfo = SHANGHAI) -> datetime:
    """A moment in March 2026 on the wall clock of ``tz``, in UTC (as the engine holds it)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=tz).astimezone(UTC)


@pytest.mark.parametrize(
    ("local", "until"),
    [
        ((6, 21, 29), None),  # the last minute before
        ((6, 21, 30), (7, 7, 30)),  # the first quiet minute: until tomorrow morning
        ((6, 23, 59), (7, 7, 30)),
        ((7, 0, 0), (7, 7, 30)),  # past midnight: until this morning
        ((7, 7, 29), (7, 7, 30)),  # the last quiet minute
        ((7, 7, 30), None),  # the first minute after
        ((7, 12, 0), None),
    ],
)
def test_quiet_hours_over_midnight(local, until):
    expected = None if until is None else _at(*until)
    assert quiet_until(_at(*local), "Asia/Shanghai", "21:30", "07:30") == expected


@pytest.mark.parametrize(
    ("local", "until"),
    [((6, 11, 59), None), ((6, 12, 0), (6, 14, 0)), ((6, 13, 59), (6, 14, 0)), ((6, 14, 0), None), ((6, 23, 0), None), ((6, 0, 0), None)],
)
def test_quiet_hours_within_one_day(local, until):
    # a midday rest (午休) from 12:00 to 14:00
    expected = None if until is None else _at(*until)
    assert quiet_until(_at(*local), "Asia/Shanghai", "12:00", "14:00") == expected


@pytest.mark.parametrize(("start", "end"), [("07:00", "07:00"), ("7:00", "07:00"), ("00:00", "0:00")])
def test_equal_start_and_end_means_no_quiet_hours(start, end):
    # however the times are written: "7:00" and "07:00" are the same minute
    for hour in (0, 6, 7, 8, 21, 23):
        assert quiet_until(_at(6, hour, 0), "Asia/Shanghai", start, end) is None


def test_the_end_of_quiet_hours_is_given_in_utc(monkeypatch):
    import time

    # whatever the machine's own time zone
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        until = quiet_until(_at(6, 22, 0), "Asia/Shanghai", "21:30", "07:30")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert until is not None and until.isoformat() == "2026-03-06T23:30:00+00:00"


def test_quiet_hours_are_read_on_the_communitys_clock():
    urumqi = ZoneInfo("Asia/Urumqi")  # two hours behind Beijing time
    # 22:00 in Beijing is 20:00 in Urumqi: quiet in one, not in the other
    moment = _at(6, 22, 0)
    assert quiet_until(moment, "Asia/Shanghai", "21:30", "07:30") == _at(7, 7, 30)
    assert quiet_until(moment, "Asia/Urumqi", "21:30", "07:30") is None
    assert quiet_until(_at(6, 21, 30, urumqi), "Asia/Urumqi", "21:30", "07:30") == datetime(2026, 3, 7, 1, 30, tzinfo=UTC)


def test_the_default_quiet_hours():
    assert DEFAULT_QUIET == ("21:30", "07:30")


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (20, 3600)],
)
def test_backoff_doubles_up_to_its_cap(attempts, seconds):
    assert DeliveryPolicy().backoff(attempts) == timedelta(seconds=seconds)


def test_backoff_cap_at_exactly_the_cap():
    policy = DeliveryPolicy(backoff_base=timedelta(seconds=900), backoff_max=timedelta(hours=1))
    assert [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [900, 1800, 3600, 3600]


def test_the_default_pace():
    assert DeliveryPolicy() == DeliveryPolicy(
        batch_size=20_000, claim_size=200, lease=timedelta(seconds=60), max_attempts=5, backoff_base=timedelta(seconds=30),
        backoff_max=timedelta(hours=1), lookahead=timedelta(days=7), concurrency=10)


def test_delivery_ids_are_what_receivers_deduplicate_on():
    assert delivery_id(42) == "meihao-reminder-42"


async def test_quiet_hours_are_set_once_per_community_and_changed_in_place(meihao):
    community = await Factories(meihao).community("hepan")
    other = await Factories(meihao).community("beta")
    await set_quiet_hours(community["id"], "22:00", "06:30")
    await set_quiet_hours(other["id"], "23:00", "06:00")  # another community's row, not a change of the first
    await set_quiet_hours(community["id"], "21:00", "08:00")
    rows = await ReminderSettings.select(ReminderSettings.community, ReminderSettings.quiet_start, ReminderSettings.quiet_end).order_by(
        ReminderSettings.community)
    assert rows == [{"community": community["id"], "quiet_start": "21:00", "quiet_end": "08:00"},
                    {"community": other["id"], "quiet_start": "23:00", "quiet_end": "06:00"}]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("25:00", "07:00", "quiet_start: use HH:MM, e.g. 21:30"), ("22:00", "7", "quiet_end: use HH:MM, e.g. 21:30"),
     ("22:60", "07:00", "quiet_start: use HH:MM, e.g. 21:30"), ("noon", "07:00", "quiet_start: use HH:MM, e.g. 21:30")],
)
async def test_wrong_quiet_hours_name_the_field(meihao, start, end, message):
    community = await Factories(meihao).community("hepan")
    with pytest.raises(InvalidInput) as caught:
        await set_quiet_hours(community["id"], start, end)
    assert (str(caught.value), caught.value.field) == (message, message.split(":")[0])
    assert await ReminderSettings.count() == 0


async def test_quiet_hours_at_the_limits_of_the_clock_are_accepted(meihao):
    community = await Factories(meihao).community("hepan")
    await set_quiet_hours(community["id"], "23:59", "00:00")
    assert await ReminderSettings.select(ReminderSettings.quiet_start, ReminderSettings.quiet_end) == [
        {"quiet_start": "23:59", "quiet_end": "00:00"}]
