"""reminder_counts, the overview's one grouped query: each figure's period boundaries on both sides, and the scope.

Hepan's one activity has outbox rows placed around the edges of Monday 2 March 2026 in Shanghai (midnight is
16:00 UTC the day before); 王秀英 is in grid A (the grid worker's), 张伟 in grid B. Literal expected counts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest_asyncio

from meihao.access.principals import principal_for
from meihao.reminders import stats
from meihao.reminders.tables import Activity, DueReminder, Reminder
from meihao.testing import SceneWorld

UTC = timezone.utc
#: Monday 2 March 2026, 00:00 in Shanghai.
TODAY = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
WEEK = TODAY - timedelta(days=6)  # Tuesday 24 February, 00:00 in Shanghai
NOW = TODAY + timedelta(hours=12)
TICK = timedelta(microseconds=1)


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    w = await SceneWorld.build(meihao)
    activity = (await Activity.insert(Activity(
        community=w.community.id, scene="neighbourhood", title="议事会", starts_at=TODAY, ends_at=TODAY + timedelta(hours=2),
    )).returning(Activity.id))[0]["id"]
    w.activity = activity
    w.rows = 0
    return w


async def outbox(w: SceneWorld, who: str, status: str, *, due_at: datetime, sent_at: datetime | None = None,
                 next_attempt_at: datetime | None = None) -> None:
    """One outbox row (a point of its own) for a resident of the world."""
    w.rows += 1
    due = (await DueReminder.insert(DueReminder(
        activity=w.activity, occurrence=f"o{w.rows}", offset_minutes=60, starts_at=due_at, due_at=due_at,
    )).returning(DueReminder.id))[0]["id"]
    await Reminder.insert(Reminder(
        due=due, activity=w.activity, recipient_kind="resident", recipient_id=w.residents[who]["id"], channel="inbox",
        status=status, sent_at=sent_at, next_attempt_at=next_attempt_at or due_at,
    ))


def periods() -> stats.Periods:
    days = [date(2026, 2, 17) + timedelta(days=n) for n in range(14)]  # 17 Feb … 2 Mar
    return stats.Periods.of(date(2026, 3, 2), days, "Asia/Shanghai", NOW)


async def counts_for(w: SceneWorld, who: str) -> dict:
    principal = await principal_for(w.mh, w.staff[who])
    return (await stats.reminder_counts(principal, [w.community.id, w.other.id], periods()))


async def test_each_figure_counts_its_period_with_both_sides_of_each_boundary(world):
    w = world
    # sent: at today's midnight (today), a tick before (yesterday, in the week), at the week's first instant, a tick before it
    await outbox(w, "王秀英", "sent", due_at=TODAY, sent_at=TODAY)
    await outbox(w, "王秀英", "sent", due_at=TODAY - TICK, sent_at=TODAY - TICK)
    await outbox(w, "王秀英", "sent", due_at=WEEK, sent_at=WEEK)
    await outbox(w, "王秀英", "sent", due_at=WEEK - TICK, sent_at=WEEK - TICK)
    # failed: planned at today's midnight, and a tick after tomorrow's (out of every period)
    await outbox(w, "王秀英", "failed", due_at=TODAY, next_attempt_at=TODAY)
    await outbox(w, "王秀英", "failed", due_at=TODAY + timedelta(days=1), next_attempt_at=TODAY + timedelta(days=1))
    # waiting: time to go exactly now (counts) and a tick later (not yet); a cancelled one due today is never due
    await outbox(w, "王秀英", "pending", due_at=TODAY, next_attempt_at=NOW)
    await outbox(w, "王秀英", "pending", due_at=TODAY, next_attempt_at=NOW + TICK)
    await outbox(w, "王秀英", "cancelled", due_at=TODAY)
    # grid B's resident: sent today
    await outbox(w, "张伟", "sent", due_at=TODAY, sent_at=TODAY + timedelta(hours=1))

    street = await counts_for(w, "street_admin")
    assert street[w.community.id] == {
        "today": {"due": 5, "sent": 2, "failed": 1},
        "week": {"due": 7, "sent": 4, "failed": 1},
        "waiting": 1,
        "per_day": [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 2],
    }
    assert street[w.other.id] == {"today": {"due": 0, "sent": 0, "failed": 0}, "week": {"due": 0, "sent": 0, "failed": 0},
                                  "waiting": 0, "per_day": [0] * 14}

    # the grid worker of grid A: 张伟's reminder is not theirs; the other community is not either
    grid_a = await counts_for(w, "grid_worker")
    assert grid_a[w.community.id] == {
        "today": {"due": 4, "sent": 1, "failed": 1},
        "week": {"due": 6, "sent": 3, "failed": 1},
        "waiting": 1,
        "per_day": [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1],
    }
    # the grid worker of grid B sees 张伟's only
    grid_b = await counts_for(w, "grid_worker_out")
    assert grid_b[w.community.id] == {
        "today": {"due": 1, "sent": 1, "failed": 0},
        "week": {"due": 1, "sent": 1, "failed": 0},
        "waiting": 0,
        "per_day": [0] * 13 + [1],
    }
