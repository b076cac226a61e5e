"""meihao.testing's kit: fire_job runs a job through the scheduler's own call, inbox reads what a resident sees."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from meihao import FakeClock, InvalidInput, Job, NotFound, NoticeIn, Scenario, hookimpl, notify
from meihao.hooks.declarations import Message
from meihao.reminders.engine import ReminderEngine
from meihao.reminders.hookimpls import send_to_inbox
from meihao.scheduling.tables import JobRun
from meihao.testing import Factories, drain, fire_job, inbox

CALLS: list[dict[str, Any]] = []


async def count_bells(meihao: Any, community: Any, now: datetime, scheduled_at: datetime | None) -> None:
    CALLS.append({"meihao": meihao, "community": community["slug"], "now": now, "scheduled_at": scheduled_at})


def ring_street(now: datetime) -> None:  # a plain function naming one argument gets that one only
    CALLS.append({"street": now})


def crack() -> None:
    raise RuntimeError("the bell cracked")


class Belfry:
    """A throwaway scenario with a per-community job, a street-wide one and one that fails."""

    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario("belfry", "钟楼", "Belfry", "neighbourhood", "1.0")

    @hookimpl
    def meihao_jobs(self) -> list[Job]:
        return [
            Job("belfry.count", count_bells, ("cron", {"hour": 6}), per_community=True),
            Job("belfry.street", ring_street, ("cron", {"hour": 7})),
            Job("belfry.crack", crack, ("cron", {"hour": 8})),
        ]


@pytest.fixture
async def belfry(make_meihao):
    CALLS.clear()
    mh = await make_meihao(plugins=[("belfry", Belfry())])
    f = Factories(mh)
    await f.community("hepan")
    await f.community("beiyuan")
    from meihao.register.community_scenarios import enable

    await enable(mh, "hepan", "belfry", {})
    return mh


async def test_fire_job_runs_the_job_at_a_fake_time_as_the_scheduler_would_and_records_the_run(belfry):
    mh = belfry
    at = datetime(2026, 3, 2, 6, 0, 30, 999, tzinfo=ZoneInfo("Asia/Shanghai"))
    run = await fire_job(mh, "belfry.count", community="hepan", at=at)
    fired = datetime(2026, 3, 1, 22, 0, 30, tzinfo=timezone.utc)
    assert isinstance(mh.clock, FakeClock) and mh.clock.now() == fired  # the real clock was replaced by a fake one
    assert CALLS == [{"meihao": mh, "community": "hepan", "now": fired, "scheduled_at": fired}]
    assert run is not None
    assert set(run) == {"id", "schedule_id", "job_id", "community", "scheduled_at", "started_at", "finished_at", "outcome", "error"}
    assert (run["schedule_id"], run["job_id"], run["community"], run["outcome"], run["error"]) == (
        "meihao:belfry.count@hepan", "belfry.count", "hepan", "success", "")
    assert run["scheduled_at"] == run["started_at"] == run["finished_at"] == fired

    # the same fire again is not run again (as on a second node); the next one is
    assert await fire_job(mh, "belfry.count", community="hepan", at=at) is None
    later = await fire_job(mh, "belfry.count", community="hepan", at=datetime(2026, 3, 3, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert later is not None and later["scheduled_at"] == datetime(2026, 3, 2, 22, 0, tzinfo=timezone.utc)
    # without a time: a run by hand, now by the (fake) clock, never deduplicated
    mh.clock.advance(minutes=5)
    by_hand = [await fire_job(mh, "belfry.count", community="hepan") for _ in range(2)]
    assert [r["scheduled_at"] for r in by_hand] == [None, None]
    assert [c["now"] for c in CALLS[-2:]] == [datetime(2026, 3, 2, 22, 5, tzinfo=timezone.utc)] * 2
    assert await JobRun.count().where(JobRun.schedule_id == "meihao:belfry.count@hepan") == 4


async def test_fire_job_passes_only_the_arguments_a_job_names_and_street_jobs_take_no_community(belfry):
    mh = belfry
    mh.clock = FakeClock(datetime(2026, 3, 2, tzinfo=timezone.utc))
    run = await fire_job(mh, "belfry.street")
    assert CALLS == [{"street": datetime(2026, 3, 2, tzinfo=timezone.utc)}]
    assert (run["schedule_id"], run["community"]) == ("meihao:belfry.street", "")


@pytest.mark.parametrize(
    ("job_id", "community", "error", "field", "words"),
    [
        ("belfry.nothing", None, NotFound, "job_id", "job 'belfry.nothing' is not declared by any loaded plugin"),
        ("belfry.count", None, InvalidInput, "community", "job 'belfry.count' runs per community"),
        ("belfry.count", "nowhere", NotFound, "community", "community 'nowhere' not found"),
        ("belfry.count", "beiyuan", InvalidInput, "community", "scenario 'belfry' is not enabled in community 'beiyuan'"),
        ("belfry.street", "hepan", InvalidInput, "community", "job 'belfry.street' runs for the whole street"),
    ],
)
async def test_fire_job_refuses_a_wrong_job_or_community_and_runs_nothing(belfry, job_id, community, error, field, words):
    with pytest.raises(error) as raised:
        await fire_job(belfry, job_id, community=community, at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    assert raised.value.field == field
    assert words in raised.value.message
    assert CALLS == []
    assert await JobRun.count() == 0


async def test_a_job_that_fails_is_recorded_and_its_error_raised(belfry):
    with pytest.raises(RuntimeError, match="the bell cracked"):
        await fire_job(belfry, "belfry.crack", at=datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    runs = await JobRun.select(JobRun.outcome, JobRun.error, JobRun.finished_at).where(JobRun.job_id == "belfry.crack")
    assert runs == [{"outcome": "error", "error": "RuntimeError: the bell cracked", "finished_at": datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)}]


# -- the inbox -----------------------------------------------------------------------------


async def test_inbox_reads_a_residents_messages_delivered_at_the_fake_time_newest_first(meihao):
    mh = meihao
    mh.clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))  # 09:00 in Shanghai, outside quiet hours
    f = Factories(mh)
    place = await f.place("hepan")
    wang = await f.resident(place["household_id"], name="王秀英")
    li = await f.resident(place["household_id"], name="李建国")
    engine = ReminderEngine(mh)
    assert await inbox(mh, wang["id"]) == []
    await notify(mh, "hepan", NoticeIn(scene="elder_care", key="k:1", title="探访", body="第一条", residents=[wang["id"]]))
    await drain(engine)
    mh.clock.advance(hours=2, minutes=30)
    await notify(mh, "hepan", NoticeIn(scene="elder_care", key="k:2", title="探访", body="第二条", residents=[wang["id"]]))
    await drain(engine)
    messages = await inbox(mh, wang["id"])
    assert [(m["body"], m["created_at"], m["read_at"]) for m in messages] == [
        ("第二条", datetime(2026, 3, 2, 3, 30, tzinfo=timezone.utc), None),
        ("第一条", datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc), None),
    ]
    assert set(messages[0]) == {"id", "activity", "language", "body", "created_at", "read_at"}
    assert await inbox(mh, li["id"]) == []  # another resident's messages are not theirs
    with pytest.raises(NotFound):
        await inbox(mh, 987654)


async def test_the_inbox_channel_stamps_a_message_with_its_delivery_rounds_time(meihao):
    """Sent one by one (the batch failed) or in a batch, a message carries the round's time, not the database's."""
    mh = meihao
    f = Factories(mh)
    wang = await f.resident(name="王秀英")
    at = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    message = Message("d-1", "resident", wang["id"], "王秀英", "", "zh", "提醒", "正文", "", {"id": None}, "hepan", 0, at)
    await send_to_inbox(message)
    assert [m["created_at"] for m in await inbox(mh, wang["id"])] == [at]
