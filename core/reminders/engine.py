"""The reminder engine: plan reminder points, fan them out to the outbox set-based, deliver through channels.

Three steps, each safe to repeat and to interrupt anywhere (kill -9 included):

1. **plan** — for each scheduled activity, the occurrences ahead and its reminder offsets
   become ``meihao_reminder_due`` rows (unique per activity, version, occurrence, offset).
2. **fan out** — a due row whose time has come is written to the outbox
   (``meihao_reminder``) for every recipient and channel, by ``INSERT … SELECT`` in batches
   of resident ids; the batch and the cursor move in one transaction, and the outbox's
   unique key makes a repeated batch add nothing. A due row whose occurrence has already
   started (the system was down) is marked ``missed`` instead.
3. **deliver** — outbox rows are claimed with a lease, rendered per recipient language
   (``meihao_render_reminder``) and sent through their channel. Quiet hours defer them;
   failures retry with exponential backoff until ``max_attempts``; a row whose occurrence
   has started is ``missed``. Channels that only write to the database (the inbox) are
   sent inside the transaction that marks the row sent: exactly once. Other channels get
   a ``delivery_id`` that is the same on every attempt, so receivers can deduplicate the
   one case where a process dies after the receiver accepted and before it was recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from meihao.access.tables import Staff
from meihao.hooks.declarations import Channel, Message, PermanentFailure
from meihao.register.tables import Resident
from meihao.reminders.activities import audience_of
from meihao.reminders.audiences import resident_condition, staff_condition
from meihao.reminders.tables import Activity, Contact, DueReminder, RecipientToken, Reminder, ReminderOptOut, ReminderSettings, StaffDigest
from meihao.reminders.tokens import token_for_generation
from meihao.time.recurrence import occurrences

if TYPE_CHECKING:
    from meihao.runtime import Meihao

log = logging.getLogger("meihao.reminders")

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


def _crash_point(name: str) -> None:
    """Crash tests set MEIHAO_TEST_CRASH_AT to a point name: the process kills itself there with SIGKILL."""
    wanted = os.environ.get("MEIHAO_TEST_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition("#")
    if point != name:
        return
    counter = _crash_counts.get(name, 0) + 1
    _crash_counts[name] = counter
    if counter >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


_crash_counts: dict[str, int] = {}


async def _run(mh: Meihao, query: QueryString) -> list[dict[str, Any]]:
    return await mh.db.engine.run_querystring(query)


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class ReminderEngine:
    """Plans, fans out and delivers reminders for one meihao; ``tick()`` does one round of each."""

    def __init__(self, mh: Meihao, policy: DeliveryPolicy | None = None) -> None:
        self.mh = mh
        self.policy = policy or DeliveryPolicy(lease=timedelta(seconds=mh.settings.reminder_lease_seconds))

    def channels(self) -> dict[str, Channel]:
        return {c.name: c for _, c in self.mh.plugins.channels()}

    # -- 1. plan ---------------------------------------------------------------------

    async def plan(self, now: datetime | None = None, activity_id: int | None = None) -> int:
        """Create the reminder points of occurrences ahead; returns how many were new."""
        now = now or self.mh.clock.now()
        query = Activity.select(
            Activity.all_columns(), Activity.community.timezone.as_alias("timezone")
        ).where(Activity.status == "scheduled")
        if activity_id is not None:
            query = query.where(Activity.id == activity_id)
        created = 0
        for activity in await query:
            offsets = _loads(activity["reminder_offsets"]) or []
            activity["exdates"] = _loads(activity["exdates"])
            horizon = now + timedelta(minutes=max(offsets, default=0)) + self.policy.lookahead
            start = activity["planned_until"] or activity["created_at"]
            # An activity just created or changed is planned to the full horizon; the periodic
            # round only extends activities with less than half the lookahead left, so that it
            # writes each of them every few days, not every round.
            due = horizon if activity_id is not None else horizon - self.policy.lookahead / 2
            if start >= due:
                continue
            rows = [
                DueReminder(
                    activity=activity["id"],
                    version=activity["version"],
                    occurrence=o.key,
                    offset_minutes=offset,
                    starts_at=o.starts_at,
                    due_at=o.starts_at - timedelta(minutes=offset),
                    status="pending",
                    created_at=now,
                )
                for o in occurrences(activity, activity["timezone"], start, horizon)
                for offset in offsets
            ]
            async with self.mh.db.transaction():
                if rows:
                    inserted = await DueReminder.insert(*rows).on_conflict(action="DO NOTHING").returning(DueReminder.id)
                    created += len(inserted)
                await Activity.update({Activity.planned_until: horizon}).where(
                    Activity.id == activity["id"], Activity.version == activity["version"]
                )
        return created

    # -- 2. fan out ------------------------------------------------------------------

    async def fan_out(self, now: datetime | None = None, limit: int = 50) -> TickResult:
        """Write the outbox rows of every reminder point that is due."""
        now = now or self.mh.clock.now()
        result = TickResult()
        due_rows = await DueReminder.select(
            DueReminder.all_columns(),
            DueReminder.activity.version.as_alias("activity_version"),
            DueReminder.activity.status.as_alias("activity_status"),
        ).where(DueReminder.status.is_in(["pending", "fanning"]), DueReminder.due_at <= now).order_by(DueReminder.due_at).limit(limit)
        for due in due_rows:
            if due["activity_status"] != "scheduled" or due["version"] != due["activity_version"]:
                await DueReminder.update({DueReminder.status: "cancelled"}).where(DueReminder.id == due["id"])
                continue
            if due["starts_at"] <= now:
                # Fell due while nothing ran, and the occurrence has begun: too late to be useful.
                await DueReminder.update({DueReminder.status: "missed"}).where(DueReminder.id == due["id"])
                result.missed += 1
                continue
            result.recipients += await self.fan_out_one(due, now)
            result.fanned_out += 1
        return result

    async def fan_out_one(self, due: dict[str, Any], now: datetime) -> int:
        """All batches of one reminder point, resuming from its cursor; returns the outbox rows it now has."""
        activity = (await Activity.select(Activity.all_columns(), Activity.community.timezone.as_alias("timezone")).where(
            Activity.id == due["activity"]
        ))[0]
        activity["audience"] = _loads(activity["audience"])
        spec = audience_of(activity)
        channels = self.channels()
        wanted = [c for c in _loads(activity["channels"]) if c in channels]
        today = now.astimezone(ZoneInfo(activity["timezone"])).date()
        condition = resident_condition(
            self.mh, spec, activity["community"], today, activity_id=activity["id"], occurrence=due["occurrence"]
        )
        stage, cursor = due["fanout_stage"], due["fanout_cursor"]
        # Checked once per reminder point: with nobody opted out, the statement skips the check.
        opted = {
            (kind, name): await ReminderOptOut.exists().where(
                ReminderOptOut.recipient_kind == kind,
                ReminderOptOut.scene.is_in([activity["scene"], "*"]),
                ReminderOptOut.channel.is_in([name, "*"]),
            )
            for kind in ("resident", "staff")
            for name in wanted
        }
        if due["status"] == "pending":
            await DueReminder.update({DueReminder.status: "fanning"}).where(DueReminder.id == due["id"])
        # stage 0: residents, in batches of resident ids
        while stage == 0:
            upper = None
            if condition is not None:
                bound = await _run(
                    self.mh,
                    QueryString(
                        'SELECT "id" FROM "meihao_resident" WHERE "community" = {} AND "id" > {} ORDER BY "id" LIMIT 1 OFFSET {}',
                        activity["community"],
                        cursor,
                        self.policy.batch_size - 1,
                    ),
                )
                upper = bound[0]["id"] if bound else None
            async with self.mh.db.transaction():
                if condition is not None:
                    for name in wanted:
                        if channels[name].for_residents:
                            await _run(
                                self.mh,
                                self._insert("resident", due, activity, name, channels[name], condition, cursor, upper, opted[("resident", name)]),
                            )
                if upper is None:
                    stage, cursor = 1, 0
                else:
                    cursor = upper
                await DueReminder.update({DueReminder.fanout_stage: stage, DueReminder.fanout_cursor: cursor}).where(
                    DueReminder.id == due["id"]
                )
            _crash_point("fanout-batch")
        # stage 1: staff (few: one statement per channel)
        if stage == 1:
            staff_cond = staff_condition(spec)
            async with self.mh.db.transaction():
                if staff_cond is not None:
                    for name in wanted:
                        await _run(self.mh, self._insert("staff", due, activity, name, channels[name], staff_cond, 0, None, opted[("staff", name)]))
                total = await Reminder.count().where(Reminder.due == due["id"])
                await DueReminder.update(
                    {DueReminder.fanout_stage: 2, DueReminder.status: "done", DueReminder.recipients: total}
                ).where(DueReminder.id == due["id"])
            return total
        return await Reminder.count().where(Reminder.due == due["id"])

    def _insert(
        self,
        kind: str,
        due: dict[str, Any],
        activity: dict[str, Any],
        channel_name: str,
        channel: Channel,
        condition: QueryString,
        after: int,
        upto: int | None,
        opt_outs: bool = True,
    ) -> QueryString:
        """One set-based statement: the audience's recipients in (after, upto] on one channel, minus opt-outs."""
        table, alias = ("meihao_resident", "r") if kind == "resident" else ("meihao_staff", "s")
        clauses = [QueryString(f'"{alias}"."id" > {{}}', after), condition]
        if upto is not None:
            clauses.append(QueryString(f'"{alias}"."id" <= {{}}', upto))
        if channel.needs_address:
            clauses.append(
                QueryString(
                    'EXISTS (SELECT 1 FROM "meihao_contact" AS "c" WHERE "c"."recipient_kind" = {} '
                    f'AND "c"."recipient_id" = "{alias}"."id" AND "c"."channel" = {{}})',
                    kind,
                    channel_name,
                )
                if not (kind == "staff" and channel_name == "email")
                else QueryString(f'"{alias}"."email" <> {{}}', "")
            )
        if opt_outs:
            # Not correlated: the database reads the opt-outs once per statement, not once per resident.
            clauses.append(
                QueryString(
                    f'"{alias}"."id" NOT IN (SELECT "o"."recipient_id" FROM "meihao_reminder_optout" AS "o" '
                    'WHERE "o"."recipient_kind" = {} AND "o"."scene" IN ({}, {}) AND "o"."channel" IN ({}, {}))',
                    kind,
                    activity["scene"],
                    "*",
                    channel_name,
                    "*",
                )
            )
        where = QueryString(" AND ".join("({})" for _ in clauses), *clauses)
        return QueryString(
            'INSERT INTO "meihao_reminder" ("due", "activity", "recipient_kind", "recipient_id", "channel", "status", '
            '"attempts", "next_attempt_at", "last_error", "created_at") '
            f'SELECT {{}}, {{}}, {{}}, "{alias}"."id", {{}}, {{}}, 0, {{}}, {{}}, {{}} FROM "{table}" AS "{alias}" WHERE {{}} '
            'ON CONFLICT DO NOTHING',
            due["id"],
            activity["id"],
            kind,
            channel_name,
            "pending",
            due["due_at"],
            "",
            due["due_at"],
            where,
        )

    # -- 3. deliver ------------------------------------------------------------------

    async def release_orphans(self) -> int:
        """Embedded mode, at start: rows left 'sending' by a process that died are sendable again."""
        rows = await Reminder.update({Reminder.status: "pending", Reminder.lease_until: None}).where(
            Reminder.status == "sending"
        ).returning(Reminder.id)
        return len(rows)

    async def claim(self, now: datetime) -> list[int]:
        """Lease up to ``claim_size`` sendable rows: pending ones that are due, oldest first, then
        rows whose sender's lease ran out (it died, or stalled: see :meth:`send_claimed`). Each is
        one statement reading the (status, next_attempt_at) index in order, so a claim costs the
        same with 10 or 10⁶ rows waiting.
        """
        lease = now + self.policy.lease
        pending = QueryString('"status" = {} AND "next_attempt_at" <= {}', "pending", now)
        expired = QueryString('"status" = {} AND "next_attempt_at" <= {} AND "lease_until" < {}', "sending", now, now)
        ids: list[int] = []
        for condition in (pending, expired):
            room = self.policy.claim_size - len(ids)
            if room <= 0:
                break
            # On PostgreSQL two workers may pick the same ids; the outer condition, checked again on
            # the locked row, lets only one of them have it. SQLite runs one writer at a time, and
            # there the outer condition would only stop it from using the id list.
            recheck = QueryString("") if self.mh.db.is_sqlite else QueryString(" AND {}", condition)
            rows = await _run(
                self.mh,
                QueryString(
                    'UPDATE "meihao_reminder" SET "status" = {}, "lease_until" = {}, "attempts" = "attempts" + 1 '
                    'WHERE "id" IN (SELECT "id" FROM "meihao_reminder" WHERE {} ORDER BY "next_attempt_at" LIMIT {}){} '
                    'RETURNING "id"',
                    "sending",
                    lease,
                    condition,
                    room,
                    recheck,
                ),
            )
            ids += [r["id"] for r in rows]
        return sorted(ids)

    async def deliver(self, now: datetime | None = None) -> TickResult:
        """One round: claim due outbox rows, then send, defer, retry, fail or mark them missed."""
        now = now or self.mh.clock.now()
        ids = await self.claim(now)
        if not ids:
            return TickResult()
        _crash_point("delivery-claimed")
        return await self.send_claimed(ids, now)

    async def send_claimed(self, ids: list[int], now: datetime) -> TickResult:
        """Send the rows :meth:`claim` leased at ``now``: each external send first renews its row's
        lease, and a row whose lease another node has taken meanwhile (this one was too slow) is left to it."""
        result = TickResult()
        claimed_until = now + self.policy.lease
        rows = await self._details(ids)
        channels = self.channels()
        transactional: list[tuple[dict[str, Any], Message]] = []
        external: list[tuple[dict[str, Any], Message]] = []
        for row in rows:
            channel = channels.get(row["channel"])
            if row["activity_status"] != "scheduled" or row["version"] != row["activity_version"]:
                await self._finish(row["id"], "cancelled")
                continue
            if row["occurrence_starts_at"] <= now:
                await self._finish(row["id"], "missed")
                result.missed += 1
                continue
            digest_hour = row.get("digest_hour")
            if digest_hour is not None and row["occurrence_starts_at"] > next_local_hour(now, self.mh.settings.default_timezone, digest_hour):
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
                await self._fail(row, f"channel {row['channel']!r} is not installed", now, result, permanent=True)
                continue
            if channel.needs_address and not row["address"]:
                await self._fail(row, "no address for this channel", now, result, permanent=True)
                continue
            message = self._render(row)
            (transactional if channel.options.get("transactional") else external).append((row, message))
        if transactional:
            await self._send_transactional(transactional, channels, now, result)
        if external:
            semaphore = asyncio.Semaphore(self.policy.concurrency)
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
                        if not await self._renew(row["id"], claimed_until):
                            result.details["taken_over"] = result.details.get("taken_over", 0) + 1
                            return
                        await self._send_external(row, message, channels[row["channel"]], now, result)
                    except BaseException:
                        recording_failed = True
                        raise

            outcomes = await asyncio.gather(*(send(row, message) for row, message in external), return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
        return result

    async def _send_transactional(
        self, items: list[tuple[dict[str, Any], Message]], channels: dict[str, Channel], now: datetime, result: TickResult
    ) -> None:
        try:
            async with self.mh.db.transaction():
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
                    async with self.mh.db.transaction():
                        await channels[row["channel"]].send(message)
                        await self._finish(row["id"], "sent", now)
                    result.sent += 1
                except Exception as single:
                    await self._fail(row, f"{type(single).__name__}: {single}", now, result, permanent=isinstance(single, PermanentFailure))

    async def _renew(self, reminder_id: int, claimed_until: datetime) -> bool:
        """Renew a claimed row's lease just before sending it; False when it is no longer this claim's.

        The lease a claim wrote is its token: a row another node claimed again after the lease
        ran out carries that node's lease, and is not sent here a second time.
        """
        rows = await _run(
            self.mh,
            QueryString(
                'UPDATE "meihao_reminder" SET "lease_until" = {} WHERE "id" = {} AND "status" = {} AND "lease_until" = {} RETURNING "id"',
                max(claimed_until, self.mh.clock.now() + self.policy.lease),
                reminder_id,
                "sending",
                claimed_until,
            ),
        )
        return bool(rows)

    async def _send_external(self, row: dict[str, Any], message: Message, channel: Channel, now: datetime, result: TickResult) -> None:
        try:
            await channel.send(message)
        except Exception as err:
            await self._fail(row, f"{type(err).__name__}: {err}", now, result, permanent=isinstance(err, PermanentFailure))
            return
        _crash_point("delivery-sent")
        await self._finish(row["id"], "sent", now)
        result.sent += 1

    async def _finish(self, reminder_id: int, status: str, now: datetime | None = None) -> None:
        values: dict[Any, Any] = {Reminder.status: status, Reminder.lease_until: None}
        if status == "sent":
            values[Reminder.sent_at] = now
        await Reminder.update(values).where(Reminder.id == reminder_id)

    async def _fail(self, row: dict[str, Any], error: str, now: datetime, result: TickResult, *, permanent: bool = False) -> None:
        attempts = row["attempts"]
        if permanent or attempts >= self.policy.max_attempts:
            await Reminder.update({Reminder.status: "failed", Reminder.last_error: error[:2000], Reminder.lease_until: None}).where(
                Reminder.id == row["id"]
            )
            result.failed += 1
        else:
            await Reminder.update(
                {
                    Reminder.status: "pending",
                    Reminder.last_error: error[:2000],
                    Reminder.lease_until: None,
                    Reminder.next_attempt_at: now + self.policy.backoff(attempts),
                }
            ).where(Reminder.id == row["id"])
            result.retried += 1

    async def _details(self, ids: list[int]) -> list[dict[str, Any]]:
        rows = await Reminder.select(
            Reminder.id,
            Reminder.recipient_kind,
            Reminder.recipient_id,
            Reminder.channel,
            Reminder.attempts,
            Reminder.due.occurrence.as_alias("occurrence"),
            Reminder.due.offset_minutes.as_alias("offset_minutes"),
            Reminder.due.starts_at.as_alias("occurrence_starts_at"),
            Reminder.due.version.as_alias("version"),
            Reminder.activity.id.as_alias("activity_id"),
            Reminder.activity.title.as_alias("title"),
            Reminder.activity.venue.as_alias("venue"),
            Reminder.activity.description.as_alias("description"),
            Reminder.activity.scene.as_alias("scene"),
            Reminder.activity.source.as_alias("source"),
            Reminder.activity.starts_at.as_alias("activity_starts_at"),
            Reminder.activity.ends_at.as_alias("activity_ends_at"),
            Reminder.activity.status.as_alias("activity_status"),
            Reminder.activity.version.as_alias("activity_version"),
            Reminder.activity.community.id.as_alias("community_id"),
            Reminder.activity.community.slug.as_alias("community"),
            Reminder.activity.community.timezone.as_alias("timezone"),
        ).where(Reminder.id.is_in(ids))
        community_ids = {r["community_id"] for r in rows}
        quiet = {
            q["community"]: q
            for q in await ReminderSettings.select().where(ReminderSettings.community.is_in(list(community_ids)))
        } if community_ids else {}
        people: dict[tuple[str, int], dict[str, Any]] = {}
        resident_ids = [r["recipient_id"] for r in rows if r["recipient_kind"] == "resident"]
        staff_ids = [r["recipient_id"] for r in rows if r["recipient_kind"] == "staff"]
        if resident_ids:
            for p in await Resident.select(Resident.id, Resident.name, Resident.preferred_language).where(Resident.id.is_in(resident_ids)):
                people[("resident", p["id"])] = p
        if staff_ids:
            for p in await Staff.select(Staff.id, Staff.name, Staff.preferred_language, Staff.email).where(Staff.id.is_in(staff_ids)):
                people[("staff", p["id"])] = p
        addresses: dict[tuple[str, int, str], str] = {}
        for kind, recipient_ids in (("resident", resident_ids), ("staff", staff_ids)):
            if recipient_ids:
                for c in await Contact.select(Contact.recipient_id, Contact.channel, Contact.address).where(
                    Contact.recipient_kind == kind, Contact.recipient_id.is_in(recipient_ids)
                ):
                    addresses[(kind, c["recipient_id"], c["channel"])] = c["address"]
        digests: dict[int, int] = {}
        if staff_ids:
            for d in await StaffDigest.select(StaffDigest.staff, StaffDigest.hour).where(StaffDigest.staff.is_in(staff_ids)):
                digests[d["staff"]] = d["hour"]
        generations: dict[tuple[str, int], int] = {}
        for kind, recipient_ids in (("resident", resident_ids), ("staff", staff_ids)):
            if recipient_ids:
                for t in await RecipientToken.select(RecipientToken.recipient_id, RecipientToken.generation).where(
                    RecipientToken.recipient_kind == kind, RecipientToken.purpose == "unsubscribe", RecipientToken.recipient_id.is_in(recipient_ids)
                ):
                    generations[(kind, t["recipient_id"])] = t["generation"]
        for row in rows:
            key = (row["recipient_kind"], row["recipient_id"])
            person = people.get(key, {"name": "", "preferred_language": "zh"})
            row["recipient_name"] = person["name"]
            row["language"] = person["preferred_language"] if person["preferred_language"] in LANGUAGES else "zh"
            address = addresses.get((*key, row["channel"]), "")
            if not address and row["recipient_kind"] == "staff" and row["channel"] == "email":
                address = person.get("email", "")
            row["address"] = address
            row["unsubscribe_generation"] = generations.get(key, 1)
            row["digest_hour"] = digests.get(row["recipient_id"]) if row["recipient_kind"] == "staff" else None
            settings = quiet.get(row["community_id"], {})
            row["quiet_start"] = settings.get("quiet_start")
            row["quiet_end"] = settings.get("quiet_end")
        return rows

    def _render(self, row: dict[str, Any]) -> Message:
        tz = ZoneInfo(row["timezone"])
        starts = row["occurrence_starts_at"].astimezone(tz)
        ends = starts + (row["activity_ends_at"] - row["activity_starts_at"])
        token = token_for_generation(self.mh, row["recipient_kind"], row["recipient_id"], "unsubscribe", row["unsubscribe_generation"])
        unsubscribe_url = f"{self.mh.settings.base_url}/api/reminders/unsubscribe/{token}?scene={row['scene']}"
        activity = {
            "id": row["activity_id"],
            "title": row["title"],
            "venue": row["venue"],
            "description": row["description"],
            "scene": row["scene"],
            "source": row["source"],
            "community": row["community"],
            "timezone": row["timezone"],
            "starts_at": starts.strftime("%Y-%m-%d %H:%M"),
            "ends_at": ends.strftime("%Y-%m-%d %H:%M"),
            "occurrence": row["occurrence"],
        }
        reminder = {
            "id": row["id"],
            "delivery_id": delivery_id(row["id"]),
            "channel": row["channel"],
            "offset_minutes": row["offset_minutes"],
            "starts_at": starts,
            "activity": activity,
        }
        recipient = {"kind": row["recipient_kind"], "id": row["recipient_id"], "name": row["recipient_name"], "language": row["language"]}
        body = self.mh.plugins.render_reminder(reminder, recipient, row["language"])
        subject = f"Reminder: {row['title']}" if row["language"] == "en" else f"活动提醒：{row['title']}"
        return Message(
            delivery_id=reminder["delivery_id"],
            recipient_kind=row["recipient_kind"],
            recipient_id=row["recipient_id"],
            recipient_name=row["recipient_name"],
            address=row["address"],
            language=row["language"],
            subject=subject,
            body=body,
            unsubscribe_url=unsubscribe_url,
            activity=activity,
            community=row["community"],
            reminder_id=row["id"],
        )

    # -- one round -------------------------------------------------------------------

    async def tick(self, now: datetime | None = None, *, plan: bool = True) -> TickResult:
        """Plan (unless ``plan=False``), fan out and deliver once, at ``now`` (default: the clock)."""
        now = now or self.mh.clock.now()
        planned = await self.plan(now) if plan else 0
        fan = await self.fan_out(now)
        delivered = await self.deliver(now)
        delivered.planned = planned
        delivered.fanned_out = fan.fanned_out
        delivered.recipients = fan.recipients
        delivered.missed += fan.missed
        return delivered

    async def drain(self, now: datetime | None = None, rounds: int = 1000) -> TickResult:
        """Tick until nothing more happens at ``now`` (tests and the bench)."""
        total = TickResult()
        for _ in range(rounds):
            step = await self.tick(now)
            for name in ("planned", "fanned_out", "missed", "sent", "retried", "failed", "deferred", "held", "recipients"):
                setattr(total, name, getattr(total, name) + getattr(step, name))
            if not (step.planned or step.fanned_out or step.missed or step.sent or step.retried or step.failed or step.deferred or step.held):
                break
        return total


def next_local_hour(now: datetime, tz_name: str, hour: int) -> datetime:
    """The next moment (UTC) after ``now`` when the local clock shows ``hour``:00."""
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), time(hour), tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=tz)
    return candidate.astimezone(timezone.utc)


async def send_digests(mh: Meihao, now: datetime | None = None) -> int:
    """Send each staff member whose digest hour it is one message with their held reminders; returns how many.

    Runs hourly (the kernel job ``meihao.reminders.digest``). Held reminders whose activity has
    begun are marked missed. The digest and the rows it covers are recorded together: an inbox
    digest is written exactly once; another channel may repeat it after a crash, with the same
    delivery id.
    """
    now = now or mh.clock.now()
    hour = now.astimezone(ZoneInfo(mh.settings.default_timezone)).hour
    channels = {c.name: c for _, c in mh.plugins.channels()}
    sent = 0
    for pref in await StaffDigest.select().where(StaffDigest.hour == hour):
        rows = await Reminder.select(
            Reminder.id,
            Reminder.due.id.as_alias("due_id"),
            Reminder.due.starts_at.as_alias("starts_at"),
            Reminder.activity.id.as_alias("activity_id"),
            Reminder.activity.title.as_alias("title"),
            Reminder.activity.venue.as_alias("venue"),
            Reminder.activity.community.slug.as_alias("community"),
            Reminder.activity.community.timezone.as_alias("timezone"),
        ).where(Reminder.recipient_kind == "staff", Reminder.recipient_id == pref["staff"], Reminder.status == "held")
        stale = [r["id"] for r in rows if r["starts_at"] <= now]
        if stale:
            await Reminder.update({Reminder.status: "missed"}).where(Reminder.id.is_in(stale))
        live = sorted((r for r in rows if r["starts_at"] > now), key=lambda r: r["starts_at"])
        if not live:
            continue
        staff = await Staff.select(Staff.name, Staff.preferred_language, Staff.email).where(Staff.id == pref["staff"]).first()
        language = staff["preferred_language"] if staff and staff["preferred_language"] in LANGUAGES else "zh"
        seen: set[int] = set()
        lines = []
        for r in live:
            if r["due_id"] in seen:
                continue  # the same reminder held on several channels: listed once
            seen.add(r["due_id"])
            when = r["starts_at"].astimezone(ZoneInfo(r["timezone"])).strftime("%m-%d %H:%M")
            lines.append(f"- {when} {r['title']}" + (f" @ {r['venue']}" if r["venue"] else ""))
        heading = f"Your reminders ({len(lines)})" if language == "en" else f"今日活动提醒（{len(lines)}项）"
        day = now.astimezone(ZoneInfo(mh.settings.default_timezone)).date().isoformat()
        address = ""
        if pref["channel"] != "inbox":
            contact = await Contact.select(Contact.address).where(
                Contact.recipient_kind == "staff", Contact.recipient_id == pref["staff"], Contact.channel == pref["channel"]
            ).first()
            address = contact["address"] if contact else (staff["email"] if staff and pref["channel"] == "email" else "")
        message = Message(
            delivery_id=f"meihao-digest-{pref['staff']}-{day}",
            recipient_kind="staff",
            recipient_id=pref["staff"],
            recipient_name=staff["name"] if staff else "",
            address=address,
            language=language,
            subject=heading,
            body=heading + "\n" + "\n".join(lines),
            unsubscribe_url="",
            activity={"id": None, "title": heading, "community": live[0]["community"]},
            community=live[0]["community"],
        )
        channel = channels.get(pref["channel"]) or channels["inbox"]
        ids = [r["id"] for r in live]
        if channel.options.get("transactional"):
            async with mh.db.transaction():
                await channel.send(message)
                await Reminder.update({Reminder.status: "sent", Reminder.sent_at: now}).where(Reminder.id.is_in(ids))
        else:
            try:
                await channel.send(message)
            except Exception as err:  # held rows stay held; the next digest tries again
                log.warning("digest for staff %s failed: %s", pref["staff"], err)
                continue
            await Reminder.update({Reminder.status: "sent", Reminder.sent_at: now}).where(Reminder.id.is_in(ids))
        sent += 1
    return sent


def delivery_id(reminder_id: int) -> str:
    return f"meihao-reminder-{reminder_id}"


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, tz_name: str, start: str, end: str) -> datetime | None:
    """If ``now`` falls in the community's quiet hours, the (UTC) moment they end; else None."""
    if start == end:
        return None
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    begin, finish = _parse_hhmm(start), _parse_hhmm(end)
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


__all__ = ["DeliveryPolicy", "ReminderEngine", "TickResult", "next_local_hour", "quiet_until", "send_digests", "set_quiet_hours"]
