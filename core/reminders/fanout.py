"""Step 2 of the reminder engine, fan out: a due reminder point becomes outbox rows, set-based, in batches.

A due row (``meihao_reminder_due``) whose time has come is written to the outbox
(``meihao_reminder``) for every recipient and channel, by ``INSERT … SELECT`` in batches of
resident ids; the batch and the cursor move in one transaction, and the outbox's unique key
makes a repeated batch add nothing, so a fan-out interrupted anywhere (kill -9 included)
resumes from its cursor. A due row whose occurrence has already started (the system was
down) is marked ``missed`` instead. Delivery (:mod:`meihao.reminders.delivery`) sends the rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from piccolo.querystring import QueryString

from meihao.db.database import json_value
from meihao.hooks.declarations import Channel
from meihao.reminders.activities import audience_of, scene_names
from meihao.reminders.audiences import resident_condition, staff_condition
from meihao.reminders.policy import DeliveryPolicy, TickResult
from meihao.reminders.tables import Activity, DueReminder, Reminder, ReminderOptOut

if TYPE_CHECKING:
    from meihao.runtime import Meihao


async def fan_out(
    mh: Meihao, policy: DeliveryPolicy, channels: dict[str, Channel], now: datetime | None = None, limit: int = 50
) -> TickResult:
    """Write the outbox rows of every reminder point that is due."""
    now = now or mh.clock.now()
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
        result.recipients += await fan_out_one(mh, policy, channels, due, now)
        result.fanned_out += 1
    return result


async def fan_out_one(mh: Meihao, policy: DeliveryPolicy, channels: dict[str, Channel], due: dict[str, Any], now: datetime) -> int:
    """All batches of one reminder point, resuming from its cursor; returns the outbox rows it now has."""
    activity = (await Activity.select(Activity.all_columns(), Activity.community.timezone.as_alias("timezone")).where(
        Activity.id == due["activity"]
    ))[0]
    activity["audience"] = json_value(activity["audience"])
    spec = audience_of(activity)
    wanted = [c for c in json_value(activity["channels"]) if c in channels]
    today = now.astimezone(ZoneInfo(activity["timezone"])).date()
    condition = resident_condition(
        mh, spec, activity["community"], today, activity_id=activity["id"], occurrence=due["occurrence"]
    )
    stage, cursor = due["fanout_stage"], due["fanout_cursor"]
    # An opt-out of the scene holds under every name the activity goes by (its scene, its owner's name).
    activity["opt_out_scenes"] = [*scene_names(mh, activity["scene"], activity.get("scenario") or ""), "*"]
    # Checked once per reminder point: with nobody opted out, the statement skips the check.
    opted = {
        (kind, name): await ReminderOptOut.exists().where(
            ReminderOptOut.recipient_kind == kind,
            ReminderOptOut.scene.is_in(activity["opt_out_scenes"]),
            ReminderOptOut.channel.is_in([name, "*"]),
        )
        for kind in ("resident", "staff")
        for name in wanted
    }
    if due["status"] == "pending":
        await DueReminder.update({DueReminder.status: "fanning"}).where(DueReminder.id == due["id"])
    # stage 0: residents, in batches of resident ids
    while stage == 0:
        stage, cursor = await _fan_out_batch(mh, policy, channels, wanted, due, activity, condition, opted, cursor)
    # stage 1: staff (few: one statement per channel)
    if stage == 1:
        staff_cond = staff_condition(spec, activity["community"])
        async with mh.db.transaction():
            if staff_cond is not None:
                for name in wanted:
                    await mh.db.engine.run_querystring(
                        _insert("staff", due, activity, name, channels[name], staff_cond, 0, None, opted[("staff", name)])
                    )
            total = await Reminder.count().where(Reminder.due == due["id"])
            await DueReminder.update(
                {DueReminder.fanout_stage: 2, DueReminder.status: "done", DueReminder.recipients: total}
            ).where(DueReminder.id == due["id"])
        return total
    return await Reminder.count().where(Reminder.due == due["id"])


async def _fan_out_batch(
    mh: Meihao,
    policy: DeliveryPolicy,
    channels: dict[str, Channel],
    wanted: list[str],
    due: dict[str, Any],
    activity: dict[str, Any],
    condition: QueryString | None,
    opted: dict[tuple[str, str], bool],
    cursor: int,
) -> tuple[int, int]:
    """One batch of residents (ids after ``cursor``) on every channel, committed with the moved cursor; the new (stage, cursor)."""
    stage = 0
    upper = None
    if condition is not None:
        bound = await mh.db.engine.run_querystring(
            QueryString(
                'SELECT "id" FROM "meihao_resident" WHERE "community" = {} AND "id" > {} ORDER BY "id" LIMIT 1 OFFSET {}',
                activity["community"],
                cursor,
                policy.batch_size - 1,
            ),
        )
        upper = bound[0]["id"] if bound else None
    async with mh.db.transaction():
        if condition is not None:
            for name in wanted:
                if channels[name].for_residents:
                    await mh.db.engine.run_querystring(
                        _insert("resident", due, activity, name, channels[name], condition, cursor, upper, opted[("resident", name)]),
                    )
        if upper is None:
            stage, cursor = 1, 0
        else:
            cursor = upper
        await DueReminder.update({DueReminder.fanout_stage: stage, DueReminder.fanout_cursor: cursor}).where(
            DueReminder.id == due["id"]
        )
    return stage, cursor


def _insert(
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
        scenes = activity["opt_out_scenes"]
        clauses.append(
            QueryString(
                f'"{alias}"."id" NOT IN (SELECT "o"."recipient_id" FROM "meihao_reminder_optout" AS "o" '
                'WHERE "o"."recipient_kind" = {} AND "o"."scene" IN (' + ", ".join("{}" for _ in scenes) + ') AND "o"."channel" IN ({}, {}))',
                kind,
                *scenes,
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


__all__ = ["fan_out", "fan_out_one"]
