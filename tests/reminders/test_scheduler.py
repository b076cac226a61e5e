"""The scheduler: plugins' Jobs become schedules with stable ids, per community and time zone, idempotently."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from meihao import Job, Scenario, hookimpl
from meihao.register.community_scenarios import disable, enable
from meihao.scheduling.jobs import job_overview
from meihao.scheduling.scheduler import Scheduler, planned_schedules
from meihao.scheduling.tables import JobRun
from meihao.testing import Factories
from meihao.time.clock import FakeClock

CALLS: list[tuple[str, str | None]] = []


async def morning_round(community: dict, now: datetime) -> None:
    CALLS.append(("morning_round", community["slug"]))


def street_report(meihao) -> None:
    CALLS.append(("street_report", meihao.settings.default_timezone))


def failing() -> None:
    raise RuntimeError("the printer is out of paper")


class Patrol:
    """A throwaway scenario with one per-community job and two street-wide ones."""

    def __init__(self, *, hour: int = 7, extra: list[Job] | None = None) -> None:
        self.hour = hour
        self.extra = extra or []

    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario(name="patrol", title_zh="巡查", title_en="Patrol", scene="governance", version="1")

    @hookimpl
    def meihao_jobs(self) -> list[Job]:
        return [
            Job("patrol.morning_round", morning_round, ("cron", {"hour": self.hour, "minute": 0}), per_community=True),
            Job("patrol.street_report", street_report, ("interval", {"hours": 6})),
            *self.extra,
        ]


async def _world(make_meihao, plugin):
    mh = await make_meihao(plugins=[("patrol", plugin)])
    mh.clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))
    factories = Factories(mh)
    await factories.community("hepan")
    await factories.community("kashi", timezone="Asia/Urumqi")
    await factories.community("quiet")
    await enable(mh, "hepan", "patrol")
    await enable(mh, "kashi", "patrol")
    return mh


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


async def test_schedules_per_enabled_community_in_its_time_zone(make_meihao, tmp_path):
    mh = await _world(make_meihao, Patrol())
    planned = {p.id: p for p in await planned_schedules(mh)}
    assert {sid for sid in planned if sid.startswith(("meihao:patrol.", "meihao:meihao."))} == {
        "meihao:patrol.morning_round@hepan",
        "meihao:patrol.morning_round@kashi",
        "meihao:patrol.street_report",
        "meihao:meihao.forget_old_job_runs",  # the kernel's own housekeeping
        "meihao:meihao.reminders.digest",
        "meihao:meihao.workitems.check",  # work items' flags and escalations
    }
    scheduler = Scheduler(mh, data_store_url=f"sqlite+aiosqlite:///{tmp_path / 'sched.db'}")
    await scheduler.start()
    try:
        hepan = await scheduler.next_fire_time("meihao:patrol.morning_round@hepan")
        kashi = await scheduler.next_fire_time("meihao:patrol.morning_round@kashi")
        assert hepan.astimezone(ZoneInfo("Asia/Shanghai")).hour == 7
        assert kashi.astimezone(ZoneInfo("Asia/Urumqi")).hour == 7
        assert kashi - hepan == timedelta(hours=2) or hepan - kashi == timedelta(hours=22)
        assert [s["id"] for s in await scheduler.schedules()] == sorted(planned)
    finally:
        await scheduler.stop()


async def test_restart_keeps_schedules_and_adds_nothing(make_meihao, tmp_path):
    mh = await _world(make_meihao, Patrol())
    url = f"sqlite+aiosqlite:///{tmp_path / 'sched.db'}"
    first = Scheduler(mh, data_store_url=url)
    await first.start()
    before = await first.next_fire_time("meihao:patrol.morning_round@hepan")
    await first.stop()

    again = Scheduler(mh, data_store_url=url)
    await again.start()
    try:
        result = await again.reconcile()
        assert (result.added, result.replaced, result.removed) == ([], [], [])
        assert len(await again.schedules()) == len(await planned_schedules(mh))
        assert await again.next_fire_time("meihao:patrol.morning_round@hepan") == before
    finally:
        await again.stop()


async def test_changed_trigger_replaces_and_disabling_removes(make_meihao, tmp_path):
    mh = await _world(make_meihao, Patrol())
    url = f"sqlite+aiosqlite:///{tmp_path / 'sched.db'}"
    scheduler = Scheduler(mh, data_store_url=url)
    await scheduler.start()
    await scheduler.stop()

    changed = await make_meihao(plugins=[("patrol", Patrol(hour=8))])
    changed.db = mh.db  # same database, new plugin version
    changed.db.activate()
    scheduler = Scheduler(changed, data_store_url=url)
    await scheduler.start()
    try:
        fire = await scheduler.next_fire_time("meihao:patrol.morning_round@hepan")
        assert fire.astimezone(ZoneInfo("Asia/Shanghai")).hour == 8
        # switching in this process reconciles at once (the hook); another process's switch
        # is picked up by the next periodic reconcile
        await disable(changed, "kashi", "patrol")
        ids = {s["id"] for s in await scheduler.schedules()}
        assert "meihao:patrol.morning_round@kashi" not in ids
        await enable(changed, "quiet", "patrol")
        assert "meihao:patrol.morning_round@quiet" in {s["id"] for s in await scheduler.schedules()}
        assert (await scheduler.reconcile()).added == []
    finally:
        await scheduler.stop()


async def test_jobs_run_through_the_scheduler_and_runs_are_recorded(make_meihao, tmp_path):
    # Run by hand only: an interval trigger would also fire at start, and a stop during that fire
    # leaves its run row 'running' beside the one by hand (a flake seen in CI).
    never = ("date", {"run_time": datetime(2100, 1, 1, tzinfo=timezone.utc)})
    mh = await _world(make_meihao, Patrol(extra=[Job("patrol.failing", failing, never)]))
    scheduler = Scheduler(mh, data_store_url=f"sqlite+aiosqlite:///{tmp_path / 'sched.db'}")
    await scheduler.start()
    try:
        assert await scheduler.run_now("meihao:patrol.morning_round@kashi") == "success"
        assert await scheduler.run_now("meihao:patrol.street_report") == "success"
        assert await scheduler.run_now("meihao:patrol.failing") == "error"
    finally:
        await scheduler.stop()
    assert ("morning_round", "kashi") in CALLS
    assert ("street_report", "Asia/Shanghai") in CALLS
    runs = {r["schedule_id"]: r for r in await JobRun.select()}
    assert runs["meihao:patrol.morning_round@kashi"]["outcome"] == "success"
    assert runs["meihao:patrol.morning_round@kashi"]["community"] == "kashi"
    assert runs["meihao:patrol.failing"]["outcome"] == "error"
    assert "the printer is out of paper" in runs["meihao:patrol.failing"]["error"]

    overview = {row["id"]: row for row in await job_overview(mh)}
    assert overview["meihao:patrol.failing"]["recent_runs"][0]["outcome"] == "error"
    fire = overview["meihao:patrol.morning_round@hepan"]["next_fire_time"]
    assert fire == datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc)  # 07:00 in Shanghai after the fake now


async def _released(scheduler: Scheduler, ids: set[str]) -> list[tuple[str | None, str]]:
    for _ in range(600):  # a bounded wait for the scheduler's own thread of work, not a timing assertion
        if ids <= {sid for sid, _ in scheduler.outcomes}:
            return [(sid, outcome) for sid, outcome in scheduler.outcomes if sid in ids]
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {scheduler.outcomes} released")


async def test_missed_fire_runs_once_on_restart_only_while_still_useful(make_meihao, tmp_path):
    real_now = datetime.now(timezone.utc)
    recent = Job("patrol.recent", street_report, ("date", {"run_time": real_now - timedelta(minutes=20)}), misfire_grace_time=timedelta(hours=1))
    stale = Job("patrol.stale", failing, ("date", {"run_time": real_now - timedelta(hours=3)}), misfire_grace_time=timedelta(hours=1))
    mh = await _world(make_meihao, Patrol(extra=[recent, stale]))
    scheduler = Scheduler(mh, data_store_url=f"sqlite+aiosqlite:///{tmp_path / 'sched.db'}")
    await scheduler.start()
    try:
        # the interval job fires at once too, on its first start
        outcomes = dict(await _released(scheduler, {"meihao:patrol.recent", "meihao:patrol.stale", "meihao:patrol.street_report"}))
    finally:
        await scheduler.stop()
    assert outcomes == {
        "meihao:patrol.recent": "success",
        "meihao:patrol.stale": "missed_start_deadline",
        "meihao:patrol.street_report": "success",
    }
    assert CALLS.count(("street_report", "Asia/Shanghai")) == 2


def test_unknown_trigger_kind_fails_at_start_naming_the_job():
    from meihao.errors import ConfigurationError
    from meihao.scheduling.scheduler import build_trigger

    with pytest.raises(ConfigurationError, match="'patrol.odd'"):
        build_trigger(Job("patrol.odd", failing, ("sometimes", {})), "Asia/Shanghai")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="invalid cron trigger"):
        build_trigger(Job("patrol.odd", failing, ("cron", {"hour": 25})), "Asia/Shanghai")

