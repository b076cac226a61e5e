"""Delivery's rules at their edges (what mutation testing of ``meihao.reminders.delivery`` found unguarded).

A throwaway channel (``pigeon``) is installed by a plugin; each test swaps in the behaviour it
needs through the engine's ``channels`` (a channel that fails, stalls, or reads its own row
while it is being sent). Expected values are literals: the recorded reason, the attempts,
the next attempt's time, the lease written before a send.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime, timedelta, timezone

import pytest

from meihao import hookimpl
from meihao.hooks.declarations import PermanentFailure
from meihao.reminders.activities import create_activity
from meihao.reminders.delivery import reason
from meihao.reminders.engine import ReminderEngine
from meihao.reminders.policy import DeliveryPolicy
from meihao.reminders.tables import Reminder
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at, market

#: The day-before reminder of the market of Saturday 7 March 2026, 09:00 in Shanghai.
DUE = datetime(2026, 3, 6, 1, 0, tzinfo=timezone.utc)


class Pigeons:
    """A channel plugin whose ``send`` the tests replace."""

    @hookimpl
    def meihao_channels(self):
        from meihao import Channel

        async def send(message):
            return None

        return [Channel("pigeon", "信鸽", "Carrier pigeon", send, needs_address=False)]


async def _fanned_out(make_meihao, residents: list[str], policy: DeliveryPolicy | None = None):
    """A street with the market's day-before reminder fanned out on ``pigeon`` to ``residents``, at its due time."""
    mh = await make_meihao(plugins=[("pigeons", Pigeons())])
    street = await build_street(mh)
    if policy is not None:
        street.engine = ReminderEngine(mh, policy)
    ids = [street.residents[name]["id"] for name in residents]
    await create_activity(mh, "hepan", market(channels=["pigeon"], reminder_offsets=[1440], rrule="", audience={"residents": ids}))
    street.clock.set(at(2026, 3, 6, 9, 0))
    assert (await street.engine.fan_out()).recipients == len(residents)
    return street


def _with(street, **changes) -> None:
    """The engine's channels with ``pigeon`` changed (``dataclasses.replace``), or removed (``pigeon=None``)."""
    installed = street.mh.plugins.channels_by_name
    if changes.get("pigeon", ...) is None:
        street.engine.channels = lambda: {k: v for k, v in installed.items() if k != "pigeon"}
        return
    street.engine.channels = lambda: {**installed, "pigeon": dataclasses.replace(installed["pigeon"], **changes)}


async def _rows() -> list[dict]:
    return await Reminder.select(
        Reminder.recipient_id, Reminder.status, Reminder.attempts, Reminder.next_attempt_at, Reminder.last_error,
        Reminder.lease_until, Reminder.send_started_at, Reminder.sent_at,
    ).order_by(Reminder.recipient_id)


def _utc(value):
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


# -- the reason recorded for a failed send --------------------------------------------------


class ReadTimeout(Exception):
    """httpx's timeout: no message."""


class Stalled(TimeoutError):
    """A timeout whose name does not say so."""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RuntimeError("connection refused"), "RuntimeError: connection refused"),
        (RuntimeError("  padded  "), "RuntimeError: padded"),
        (RuntimeError(""), "RuntimeError: no details given"),
        (RuntimeError("   "), "RuntimeError: no details given"),
        (ReadTimeout(), "ReadTimeout: no answer within the channel's time limit"),
        (Stalled(), "Stalled: no answer within the channel's time limit"),
        (TimeoutError(), "TimeoutError: no answer within the channel's time limit"),
        (Stalled("gave up after 10 s"), "Stalled: gave up after 10 s"),
    ],
)
def test_the_reason_of_a_failed_send(error, expected):
    assert reason(error) == expected


# -- failures: retried, failed, or failed at once -------------------------------------------


async def test_a_failure_is_retried_after_the_backoff_and_its_reason_is_cut_at_2000_characters(make_meihao):
    street = await _fanned_out(make_meihao, ["Anna"])

    async def refuse(message):
        raise RuntimeError("x" * 3000)

    _with(street, send=refuse)
    result = await street.engine.deliver()
    assert (result.sent, result.retried, result.failed) == (0, 1, 0)
    [row] = await _rows()
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == "RuntimeError: " + "x" * 1986 and len(row["last_error"]) == 2000
    assert _utc(row["next_attempt_at"]) == DUE + timedelta(seconds=30)
    assert (row["lease_until"], row["send_started_at"], row["sent_at"]) == (None, None, None)


async def test_the_last_allowed_attempt_fails_and_the_one_before_is_retried(make_meihao):
    street = await _fanned_out(make_meihao, ["Anna"], DeliveryPolicy(max_attempts=2))

    async def refuse(message):
        raise RuntimeError("down")

    _with(street, send=refuse)
    first = await street.engine.deliver()
    assert (first.retried, first.failed) == (1, 0)
    assert [(r["status"], r["attempts"]) for r in await _rows()] == [("pending", 1)]
    street.clock.set(at(2026, 3, 6, 9, 0, 30))
    second = await street.engine.deliver()
    assert (second.retried, second.failed) == (0, 1)
    [row] = await _rows()
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 2, "RuntimeError: down")
    assert (row["lease_until"], row["send_started_at"]) == (None, None)


async def test_a_permanent_failure_fails_at_the_first_attempt(make_meihao):
    street = await _fanned_out(make_meihao, ["Anna"])

    async def refuse(message):
        raise PermanentFailure("no such pigeon loft")

    _with(street, send=refuse)
    result = await street.engine.deliver()
    assert (result.retried, result.failed) == (0, 1)
    [row] = await _rows()
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 1, "PermanentFailure: no such pigeon loft")


async def test_the_reason_of_a_failed_row_is_cut_at_2000_characters(make_meihao):
    street = await _fanned_out(make_meihao, ["Anna"])

    async def refuse(message):
        raise PermanentFailure("y" * 3000)

    _with(street, send=refuse)
    assert (await street.engine.deliver()).failed == 1
    [row] = await _rows()
    assert row["status"] == "failed"
    assert row["last_error"] == "PermanentFailure: " + "y" * 1982 and len(row["last_error"]) == 2000


async def test_a_channel_no_longer_installed_fails_its_rows_at_once_saying_so(make_meihao):
    street = await _fanned_out(make_meihao, ["Anna", "张伟"])
    _with(street, pigeon=None)
    result = await street.engine.deliver()
    assert (result.sent, result.retried, result.failed) == (0, 0, 2)
    assert [(r["status"], r["attempts"], r["last_error"], r["lease_until"]) for r in await _rows()] == [
        ("failed", 1, "channel 'pigeon' is not installed", None)
    ] * 2


async def test_a_channel_that_needs_an_address_fails_rows_without_one_at_once(make_meihao):
    street = await _fanned_out(make_meihao, ["Anna", "张伟"])
    _with(street, needs_address=True)
    result = await street.engine.deliver()
    assert (result.sent, result.failed) == (0, 2)
    assert [(r["status"], r["attempts"], r["last_error"]) for r in await _rows()] == [("failed", 1, "no address for this channel")] * 2


# -- what a send writes before it begins ----------------------------------------------------


async def test_a_send_renews_the_lease_and_records_when_it_began(make_meihao):
    """Before an external send the row is ``sending`` with a lease of a full ``lease`` from the send's
    own clock, and ``send_started_at`` set; the outcome clears both."""
    street = await _fanned_out(make_meihao, ["Anna"], DeliveryPolicy(lease=timedelta(seconds=60)))
    seen: list[dict] = []

    async def look(message):
        seen.append(await Reminder.select(Reminder.status, Reminder.lease_until, Reminder.send_started_at).where(
            Reminder.id == message.reminder_id).first())
        seen[-1]["message_sent_at"] = message.sent_at

    _with(street, send=look)
    claimed_at = street.clock.now()
    ids = await street.engine.claim(claimed_at)
    street.clock.set(at(2026, 3, 6, 9, 0, 45))  # the send begins 45 s after the claim
    result = await street.engine.send_claimed(ids, claimed_at)
    assert result.sent == 1
    assert [(s["status"], _utc(s["lease_until"]), _utc(s["send_started_at"]), s["message_sent_at"]) for s in seen] == [
        ("sending", DUE + timedelta(seconds=105), DUE + timedelta(seconds=45), DUE)  # the message carries the round's time
    ]
    [row] = await _rows()
    assert (row["status"], row["lease_until"], row["send_started_at"], _utc(row["sent_at"])) == ("sent", None, None, DUE)


async def test_a_send_soon_after_the_claim_keeps_the_claims_lease(make_meihao):
    """The lease is never shortened: a send at the claim's own time keeps ``claimed_at + lease``."""
    street = await _fanned_out(make_meihao, ["Anna"], DeliveryPolicy(lease=timedelta(seconds=60)))
    seen: list = []

    async def look(message):
        seen.append(_utc((await Reminder.select(Reminder.lease_until).where(Reminder.id == message.reminder_id).first())["lease_until"]))

    _with(street, send=look)
    claimed_at = street.clock.now()
    ids = await street.engine.claim(claimed_at)
    street.clock.set(claimed_at - timedelta(seconds=10))  # a node whose clock reads 10 s earlier than the claim's
    await street.engine.send_claimed(ids, claimed_at)
    assert seen == [DUE + timedelta(seconds=60)]


# -- deferred rows give their attempt back --------------------------------------------------


async def test_quiet_hours_defer_a_row_without_spending_an_attempt(make_meihao):
    street = await _fanned_out(make_meihao, ["Anna"])
    street.clock.set(at(2026, 3, 6, 22, 0))  # 22:00 in Shanghai: quiet until 07:30
    result = await street.engine.deliver()
    assert (result.deferred, result.sent) == (1, 0)
    [row] = await _rows()
    assert (row["status"], row["attempts"], row["lease_until"]) == ("pending", 0, None)
    assert _utc(row["next_attempt_at"]) == datetime(2026, 3, 6, 23, 30, tzinfo=timezone.utc)


# -- channels that write to the database: one transaction, then one by one ------------------


async def test_a_transactional_batch_that_fails_is_sent_one_by_one(make_meihao, caplog):
    """A ``send_many`` that fails sends nothing; the rows are then sent one at a time, and a row that
    fails alone is retried or failed on its own while the others are sent."""
    street = await _fanned_out(make_meihao, ["王秀英", "李建国", "Anna", "张伟"])
    wang, li, anna, zhang = (street.residents[n]["id"] for n in ("王秀英", "李建国", "Anna", "张伟"))
    sent: list[int] = []
    batches: list[int] = []

    async def send_many(messages):
        batches.append(len(messages))
        raise RuntimeError("batch refused")

    async def send(message):
        if message.recipient_id == anna:
            raise PermanentFailure("Anna's loft is closed")
        if message.recipient_id == zhang:
            raise RuntimeError("try later")
        sent.append(message.recipient_id)

    _with(street, send=send, options={"transactional": True, "send_many": send_many})
    with caplog.at_level(logging.WARNING, logger="meihao.reminders"):
        result = await street.engine.deliver()
    assert [r.getMessage() for r in caplog.records if r.name == "meihao.reminders"] == [
        "transactional delivery of 4 reminders failed (batch refused); retrying one by one"
    ]
    assert batches == [4]
    assert (result.sent, result.retried, result.failed) == (2, 1, 1)
    assert sorted(sent) == sorted([wang, li])
    rows = {r["recipient_id"]: r for r in await _rows()}
    for each in (wang, li):
        assert (rows[each]["status"], _utc(rows[each]["sent_at"]), rows[each]["lease_until"]) == ("sent", DUE, None)
    assert (rows[anna]["status"], rows[anna]["last_error"]) == ("failed", "PermanentFailure: Anna's loft is closed")
    assert (rows[zhang]["status"], rows[zhang]["last_error"]) == ("pending", "RuntimeError: try later")
    assert _utc(rows[zhang]["next_attempt_at"]) == DUE + timedelta(seconds=30)


async def test_a_transactional_channel_sends_each_message_when_it_has_no_send_many(make_meihao, caplog):
    """Each message in the one transaction, not one by one after a failure (which would log it)."""
    street = await _fanned_out(make_meihao, ["王秀英", "Anna"])
    sent: list[int] = []

    async def send(message):
        sent.append(message.recipient_id)

    _with(street, send=send, options={"transactional": True})
    with caplog.at_level(logging.WARNING, logger="meihao.reminders"):
        result = await street.engine.deliver()
    assert [r.getMessage() for r in caplog.records if r.name == "meihao.reminders"] == []
    assert result.sent == 2
    assert sorted(sent) == sorted(street.residents[n]["id"] for n in ("王秀英", "Anna"))
    assert [(r["status"], _utc(r["sent_at"]), r["lease_until"]) for r in await _rows()] == [("sent", DUE, None)] * 2


async def test_a_transactional_batch_is_sent_with_send_many_once(make_meihao):
    street = await _fanned_out(make_meihao, ["王秀英", "Anna", "张伟"])
    batches: list[int] = []

    async def send_many(messages):
        batches.append(len(messages))

    async def send(message):
        raise AssertionError("send_many sends the batch")

    _with(street, send=send, options={"transactional": True, "send_many": send_many})
    result = await street.engine.deliver()
    assert (batches, result.sent) == ([3], 3)
    assert [(r["status"], _utc(r["sent_at"]), r["lease_until"]) for r in await _rows()] == [("sent", DUE, None)] * 3


# -- rows claimed before their activity changed ---------------------------------------------


async def test_rows_claimed_before_a_reschedule_or_a_cancellation_are_cancelled_not_sent(make_meihao):
    """``invalidate`` leaves rows already claimed (``sending``) alone; delivery finds them out of date and cancels them."""
    from meihao.reminders.activities import ActivityPatch, update_activity
    from meihao.reminders.tables import Activity

    street = await _fanned_out(make_meihao, ["王秀英", "Anna"])
    sent: list[int] = []

    async def send(message):
        sent.append(message.recipient_id)

    _with(street, send=send)
    activity = (await Activity.select(Activity.id).first())["id"]
    ids = await street.engine.claim(street.clock.now())
    await update_activity(street.mh, activity, ActivityPatch(title="睦邻善市（改期）"))  # a new version, still scheduled
    result = await street.engine.send_claimed(ids, street.clock.now())
    assert (result.sent, result.missed, result.failed, sent) == (0, 0, 0, [])
    assert [(r["status"], r["lease_until"], r["send_started_at"], r["sent_at"]) for r in await _rows()] == [
        ("cancelled", None, None, None)] * 2


async def test_rows_of_an_activity_no_longer_scheduled_are_cancelled_even_at_the_same_version(make_meihao):
    from meihao.reminders.tables import Activity

    street = await _fanned_out(make_meihao, ["王秀英", "Anna"])
    sent: list[int] = []

    async def send(message):
        sent.append(message.recipient_id)

    _with(street, send=send)
    ids = await street.engine.claim(street.clock.now())
    await Activity.update({Activity.status: "cancelled"}).where(Activity.id > 0)
    result = await street.engine.send_claimed(ids, street.clock.now())
    assert (result.sent, sent) == (0, [])
    assert [r["status"] for r in await _rows()] == ["cancelled", "cancelled"]


async def test_a_row_is_missed_from_the_first_second_of_its_occurrence_and_sent_the_second_before(make_meihao):
    street = await _fanned_out(make_meihao, ["王秀英", "Anna"])
    wang, anna = street.residents["王秀英"]["id"], street.residents["Anna"]["id"]
    rows = {r["recipient_id"]: r["id"] for r in await Reminder.select(Reminder.id, Reminder.recipient_id)}
    await Reminder.update({Reminder.status: "held"}).where(Reminder.id == rows[anna])  # kept aside for the second round
    street.clock.set(at(2026, 3, 7, 8, 59, 59))  # the market begins at 09:00
    before = await street.engine.deliver()
    assert (before.sent, before.missed) == (1, 0)
    await Reminder.update({Reminder.status: "pending"}).where(Reminder.id == rows[anna])
    street.clock.set(at(2026, 3, 7, 9, 0))
    on_time = await street.engine.deliver()
    assert (on_time.sent, on_time.missed) == (0, 1)
    assert {r["recipient_id"]: r["status"] for r in await _rows()} == {wang: "sent", anna: "missed"}


async def test_rows_whose_sender_died_mid_send_are_sent_again_and_counted(make_meihao):
    """Rows left ``sending`` with ``send_started_at`` set (the sender died after the send began) are
    claimed again once their lease ran out, sent with the same delivery id, and counted in ``resent_in_flight``."""
    street = await _fanned_out(make_meihao, ["王秀英", "Anna", "张伟"], DeliveryPolicy(lease=timedelta(seconds=60)))
    sent: list[str] = []

    async def send(message):
        sent.append(message.delivery_id)

    _with(street, send=send)
    ids = await street.engine.claim(street.clock.now())
    await Reminder.update({Reminder.send_started_at: street.clock.now()}).where(Reminder.id.is_in(ids[:2]))  # then it died
    street.clock.set(at(2026, 3, 6, 9, 2))  # the lease ran out
    result = await street.engine.deliver()
    assert (result.sent, result.details) == (3, {"resent_in_flight": 2})
    assert sorted(sent) == sorted(f"meihao-reminder-{i}" for i in ids)
    assert [(r["status"], r["send_started_at"]) for r in await _rows()] == [("sent", None)] * 3


async def test_a_staff_digest_holds_what_starts_after_the_next_digest_and_not_what_starts_at_it(street):
    from meihao.reminders.recipients import set_digest

    first = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    second = await street.factories.staff("grid_part_time", grid_id=street.grid_a)
    for staff in (first, second):
        await set_digest(street.mh, staff["id"], hour=10)
    for title, minute in (("十点整开始", 0), ("十点过一分开始", 1)):
        await create_activity(street.mh, "hepan", market(
            title=title, rrule="", starts_at=datetime(2026, 3, 7, 10, minute), ends_at=datetime(2026, 3, 7, 11, 0),
            audience={"staff": [first["id"], second["id"]]}, reminder_offsets=[1440]))
    street.clock.set(at(2026, 3, 6, 10, 1))  # the next digest: Saturday 7 March, 10:00
    await street.engine.fan_out()
    result = await street.engine.deliver()
    assert (result.sent, result.held) == (2, 2)
    rows = await Reminder.select(Reminder.activity.title, Reminder.status, Reminder.attempts, Reminder.lease_until).order_by(Reminder.id)
    assert sorted((r["activity.title"], r["status"], r["attempts"], r["lease_until"]) for r in rows) == [
        ("十点整开始", "sent", 1, None), ("十点整开始", "sent", 1, None),
        ("十点过一分开始", "held", 0, None), ("十点过一分开始", "held", 0, None),
    ]


class RecordingFailed(BaseException):
    """What escapes a send: the database failing to record it (no handler of delivery's catches it)."""


async def test_when_recording_a_send_fails_no_further_send_starts_and_those_in_flight_finish(make_meihao):
    """Two sends at once: the first fails to be recorded, the second is in flight and is recorded before the
    error is raised; the third never starts (it keeps its lease and goes out once, later)."""
    street = await _fanned_out(make_meihao, ["王秀英", "Anna", "张伟"], DeliveryPolicy(concurrency=2))
    calls: list[int] = []

    async def send(message):
        calls.append(message.recipient_id)
        if len(calls) == 1:
            raise RecordingFailed
        await asyncio.sleep(0.05)

    _with(street, send=send)
    with pytest.raises(RecordingFailed):
        await street.engine.deliver()
    assert len(calls) == 2
    rows = {r["recipient_id"]: r for r in await _rows()}
    first, second = calls
    [third] = set(rows) - {first, second}
    assert (rows[first]["status"], _utc(rows[first]["send_started_at"])) == ("sending", DUE)  # its outcome unknown
    assert (rows[second]["status"], rows[second]["send_started_at"]) == ("sent", None)
    assert (rows[third]["status"], rows[third]["send_started_at"]) == ("sending", None)  # never begun
