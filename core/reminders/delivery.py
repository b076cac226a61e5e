"""Step 3 of the reminder engine, deliver: claimed outbox rows are sent through their channels, or deferred, retried, failed.

Outbox rows claimed with a lease (:mod:`meihao.reminders.claims`) are rendered per recipient
language (:mod:`meihao.reminders.rendering`, ``meihao_render_reminder``) and sent through their
channel. Quiet hours defer them; failures retry with exponential backoff until
``max_attempts``; a row whose occurrence has started is ``missed``. Channels that only write
to the database (the inbox) are sent inside the transaction that marks the row sent: exactly
once. Other channels get a ``delivery_id`` that is the same on every attempt, so receivers can
deduplicate the one case where a process dies after the receiver accepted and before it was
recorded.

That case is also why a row is never ``missed`` once a send of it began: an external send
first writes ``send_started_at`` (with the lease renewal), and only its recorded outcome
clears it. A row claimed again with it set was in flight when its sender died (SIGKILL,
power loss): the receiver may have accepted it, so it is sent again with the same delivery
id even if its occurrence has begun meanwhile (the receiver deduplicates) and ends ``sent``
or ``failed`` — never ``missed`` for a message that went out.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from piccolo.querystring import QueryString

from meihao.hooks.declarations import Channel, Message, PermanentFailure
from meihao.reminders.digests import next_local_hour
from meihao.reminders.policy import DEFAULT_QUIET, DeliveryPolicy, TickResult, quiet_until
from meihao.reminders.rendering import details, render
from meihao.reminders.tables import Reminder

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.reminders")


async def send_claimed(mh: Meihao, policy: DeliveryPolicy, channels: dict[str, Channel], ids: list[int], now: datetime) -> TickResult:
    """Send the rows :func:`~meihao.reminders.claims.claim` leased at ``now``: each external send first renews its row's
    lease, and a row whose lease another node has taken meanwhile (this one was too slow) is left to it."""
    result = TickResult()
    claimed_until = now + policy.lease
    rows = await details(ids)
    transactional: list[tuple[dict[str, Any], Message]] = []
    external: list[tuple[dict[str, Any], Message]] = []
    for row in rows:
        channel = channels.get(row["channel"])
        if row["activity_status"] != "scheduled" or row["version"] != row["activity_version"]:
            await _finish(row["id"], "cancelled")
            continue
        # A row whose last send began and was never recorded may have reached its receiver.
        in_flight = row["send_started_at"] is not None
        if row["occurrence_starts_at"] <= now and not in_flight:
            await _finish(row["id"], "missed")
            result.missed += 1
            continue
        if in_flight:
            result.details["resent_in_flight"] = result.details.get("resent_in_flight", 0) + 1
        digest_hour = row.get("digest_hour")
        if digest_hour is not None and not in_flight and row["occurrence_starts_at"] > next_local_hour(now, mh.settings.default_timezone, digest_hour):
            # The staff member chose a daily digest, and it comes before the activity does.
            await Reminder.update(
                {Reminder.status: "held", Reminder.lease_until: None, Reminder.attempts: Reminder.attempts - 1}
            ).where(Reminder.id == row["id"])
            result.held += 1
            continue
        quiet_end = quiet_until(now, row["timezone"], row["quiet_start"] or DEFAULT_QUIET[0], row["quiet_end"] or DEFAULT_QUIET[1])
        if quiet_end is not None:
            await Reminder.update(
                {Reminder.status: "pending", Reminder.next_attempt_at: quiet_end, Reminder.lease_until: None, Reminder.attempts: Reminder.attempts - 1}
            ).where(Reminder.id == row["id"])
            result.deferred += 1
            continue
        if channel is None:
            await _fail(policy, row, f"channel {row['channel']!r} is not installed", now, result, permanent=True)
            continue
        if channel.needs_address and not row["address"]:
            await _fail(policy, row, "no address for this channel", now, result, permanent=True)
            continue
        message = render(mh, row, now)
        (transactional if channel.options.get("transactional") else external).append((row, message))
    if transactional:
        await _send_transactional(mh, policy, transactional, channels, now, result)
    if external:
        semaphore = asyncio.Semaphore(policy.concurrency)
        # Channel errors are handled per row; what escapes is the database failing to record a
        # send. Then no further send starts: the rows not yet sent keep their lease and are sent
        # once, later, instead of now and again then. Only the sends in flight can arrive twice.
        recording_failed = False

        async def send(row: dict[str, Any], message: Message) -> None:
            nonlocal recording_failed
            async with semaphore:
                if recording_failed:
                    return
                try:
                    if not await _renew(mh, policy, row["id"], claimed_until):
                        result.details["taken_over"] = result.details.get("taken_over", 0) + 1
                        return
                    await _send_external(policy, row, message, channels[row["channel"]], now, result)
                except BaseException:
                    recording_failed = True
                    raise

        outcomes = await asyncio.gather(*(send(row, message) for row, message in external), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
    return result


async def _send_transactional(
    mh: Meihao,
    policy: DeliveryPolicy,
    items: list[tuple[dict[str, Any], Message]],
    channels: dict[str, Channel],
    now: datetime,
    result: TickResult,
) -> None:
    try:
        async with mh.db.transaction():
            by_channel: dict[str, list[Message]] = {}
            for row, message in items:
                by_channel.setdefault(row["channel"], []).append(message)
            for name, messages in by_channel.items():
                send_many = channels[name].options.get("send_many")
                if send_many is not None:
                    await send_many(messages)
                else:
                    for message in messages:
                        await channels[name].send(message)
            await Reminder.update({Reminder.status: "sent", Reminder.sent_at: now, Reminder.lease_until: None}).where(
                Reminder.id.is_in([row["id"] for row, _ in items])
            )
        result.sent += len(items)
    except Exception as err:  # one bad row must not block the rest: retry them one by one
        log.warning("transactional delivery of %d reminders failed (%s); retrying one by one", len(items), err)
        for row, message in items:
            try:
                async with mh.db.transaction():
                    await channels[row["channel"]].send(message)
                    await _finish(row["id"], "sent", now)
                result.sent += 1
            except Exception as single:
                await _fail(policy, row, reason(single), now, result, permanent=isinstance(single, PermanentFailure))


async def _renew(mh: Meihao, policy: DeliveryPolicy, reminder_id: int, claimed_until: datetime) -> bool:
    """Renew a claimed row's lease just before sending it, and record that its send begins
    (``send_started_at``, kept if an earlier send's outcome is still unknown); False when it is
    no longer this claim's.

    The lease a claim wrote is its token: a row another node claimed again after the lease
    ran out carries that node's lease, and is not sent here a second time.
    """
    now = mh.clock.now()
    rows = await mh.db.engine.run_querystring(
        QueryString(
            'UPDATE "meihao_reminder" SET "lease_until" = {}, "send_started_at" = COALESCE("send_started_at", {}) '
            'WHERE "id" = {} AND "status" = {} AND "lease_until" = {} RETURNING "id"',
            max(claimed_until, now + policy.lease),
            now,
            reminder_id,
            "sending",
            claimed_until,
        ),
    )
    return bool(rows)


async def _send_external(
    policy: DeliveryPolicy, row: dict[str, Any], message: Message, channel: Channel, now: datetime, result: TickResult
) -> None:
    try:
        await channel.send(message)
    except Exception as err:
        await _fail(policy, row, reason(err), now, result, permanent=isinstance(err, PermanentFailure))
        return
    await _finish(row["id"], "sent", now)
    result.sent += 1


def reason(err: BaseException) -> str:
    """A failed send's reason as recorded in ``last_error``: the error's type and message, and a plain
    word where the message is empty (httpx's timeouts have none)."""
    name = type(err).__name__
    text = str(err).strip()
    if text:
        return f"{name}: {text}"
    if "timeout" in name.lower() or isinstance(err, TimeoutError):
        return f"{name}: no answer within the channel's time limit"
    return f"{name}: no details given"


async def _finish(reminder_id: int, status: str, now: datetime | None = None) -> None:
    values: dict[Any, Any] = {Reminder.status: status, Reminder.lease_until: None, Reminder.send_started_at: None}
    if status == "sent":
        values[Reminder.sent_at] = now
    await Reminder.update(values).where(Reminder.id == reminder_id)


async def _fail(
    policy: DeliveryPolicy, row: dict[str, Any], error: str, now: datetime, result: TickResult, *, permanent: bool = False
) -> None:
    attempts = row["attempts"]
    if permanent or attempts >= policy.max_attempts:
        await Reminder.update(
            {Reminder.status: "failed", Reminder.last_error: error[:2000], Reminder.lease_until: None, Reminder.send_started_at: None}
        ).where(Reminder.id == row["id"])
        result.failed += 1
    else:
        await Reminder.update(
            {
                Reminder.status: "pending",
                Reminder.last_error: error[:2000],
                Reminder.lease_until: None,
                # the receiver answered (or could not be reached): this attempt did not go out
                Reminder.send_started_at: None,
                Reminder.next_attempt_at: now + policy.backoff(attempts),
            }
        ).where(Reminder.id == row["id"])
        result.retried += 1


__all__ = ["reason", "send_claimed"]
