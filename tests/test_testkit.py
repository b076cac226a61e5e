"""meihao.testing's kit: fire_job runs a job through the scheduler's own call, inbox reads what a resident sees."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath

from meihao import FakeClock, InvalidInput, Job, NotFound, NoticeIn, Permission, Principal, Scenario, hookimpl, notify, requires
from meihao.hooks.declarations import Message
from meihao.reminders.engine import ReminderEngine
from meihao.reminders.hookimpls import send_to_inbox
from meihao.scheduling.tables import JobRun
from meihao.testing import Call, Factories, SceneWorld, check_route_access, drain, fire_job, inbox
from meihao.testing.access import MISSING_ID

CALLS: list[dict[str, Any]] = []


async def count_bells(meihao: Any, community: Any, now: datetime, scheduled_at: datetime | None) -> None:
    CALLS.append({"meihao": meihao, "community": community["slug"], "now": now, "scheduled_at": scheduled_at})


def ring_street(now: datetime) -> None:  # a plain function naming one argument gets that one only
    CALLS.append({"street": now})


def crack() -> None:
    raise RuntimeError("the bell cracked")


#: The hanging job sets ``started`` (an event made by the test, in its loop) once it runs; the test
#: then cancels it, as a node stopping does.
HANGING: dict[str, asyncio.Event] = {}


async def hang() -> None:
    HANGING["started"].set()
    await asyncio.Event().wait()


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
            Job("belfry.hang", hang, ("cron", {"hour": 9})),
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


async def test_a_run_cancelled_mid_way_is_recorded_as_cancelled_not_left_running(belfry):
    HANGING["started"] = asyncio.Event()
    at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    task = asyncio.create_task(fire_job(belfry, "belfry.hang", at=at))
    await asyncio.wait_for(HANGING["started"].wait(), 10)
    assert await JobRun.select(JobRun.outcome).where(JobRun.job_id == "belfry.hang") == [{"outcome": "running"}]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    runs = await JobRun.select(JobRun.outcome, JobRun.error, JobRun.finished_at).where(JobRun.job_id == "belfry.hang")
    assert runs == [{"outcome": "cancelled", "error": "the node stopped while the job ran", "finished_at": at}]


# -- the inbox -----------------------------------------------------------------------------


async def test_inbox_reads_a_residents_messages_delivered_at_the_fake_time_newest_first(meihao):
    mh = meihao
    mh.clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))  # 09:00 in Shanghai, outside quiet hours
    f = Factories(mh)
    await f.community("hepan", name="荷畔社区")
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
        ("尊敬的王秀英阿姨：\n第二条\n——荷畔社区居民委员会", datetime(2026, 3, 2, 3, 30, tzinfo=timezone.utc), None),
        ("尊敬的王秀英阿姨：\n第一条\n——荷畔社区居民委员会", datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc), None),
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


# -- the access check on a plugin's routes ----------------------------------------------


@get("/residents/{resident_id:int}/loans", guards=[requires("shelf.read")])
async def loans(resident_id: FromPath[int], principal: NamedDependency[Principal]) -> list[str]:
    from meihao.tables import Resident

    if not await Resident.exists().where(Resident.id == resident_id, Resident.id.is_in(principal.resident_ids())):
        if await Resident.exists().where(Resident.id == resident_id):
            raise NotFound(f"resident {resident_id} is in another grid")  # tells the outsider the resident exists
        raise NotFound(f"resident {resident_id} not found")
    return ["茶经"]


@get("/open")
async def open_to_all() -> list[str]:  # no permission guard
    return []


class Shelf:
    """A throwaway scene with one scoped route that leaks, and one route without a permission guard."""

    @hookimpl
    def meihao_scenario(self) -> Scenario:
        return Scenario("shelf", "书架", "Shelf", "neighbourhood", "1.0")

    @hookimpl
    def meihao_permissions(self) -> list[Permission]:
        return [Permission("shelf.read", "See loans", roles=("grid_worker",))]

    @hookimpl
    def meihao_route_handlers(self) -> list[Any]:
        return [loans, open_to_all]


async def test_check_route_access_reports_a_missing_guard_and_a_body_unlike_a_missing_records(make_meihao):
    mh = await make_meihao(plugins=[("shelf", Shelf())])
    world = await SceneWorld.build(mh, "shelf")
    wang = world.residents["王秀英"]["id"]
    L = "/api/communities/{slug}/shelf"
    with pytest.raises(AssertionError) as failed:
        await check_route_access(
            world.client, "shelf",
            records={f"GET {L}/residents/{{resident_id}}/loans": Call(f"/api/communities/hepan/shelf/residents/{wang}/loans")},
            community_routes=[f"GET {L}/open"],
            without_scene="beiyuan",
        )
    assert str(failed.value).splitlines() == [
        "shelf: 2 access problem(s):",
        f"- GET {L}/open: no permission guard (guards=[requires('shelf.…')])",
        f"- GET {L}/residents/{{resident_id}}/loans as 'grid_worker_out' (out of scope): the body differs from a missing record's: "
        f"'{{\"status_code\":404,\"detail\":\"resident {wang} is in another grid\"}}' != '{{\"status_code\":404,\"detail\":\"resident {wang} not found\"}}'",
    ]
    # a route of the plugin left out of the check, and one named that it does not have
    with pytest.raises(AssertionError) as failed:
        await check_route_access(world.client, "shelf", records={}, community_routes=[f"GET {L}/closed"], without_scene="beiyuan")
    assert str(failed.value).splitlines()[1:4] == [
        f"- GET {L}/open: not classified; name it in records= (a Call on a record) or community_routes=",
        f"- GET {L}/residents/{{resident_id}}/loans: not classified; name it in records= (a Call on a record) or community_routes=",
        f"- GET {L}/closed: named in the check but not a route of 'shelf' (routes: GET {L}/open, GET {L}/residents/{{resident_id}}/loans)",
    ]


def test_a_missing_record_call_replaces_the_record_id_in_the_path_or_the_body():
    assert Call("/api/x/days/12/applications/12").missing() == Call(f"/api/x/days/12/applications/{MISSING_ID}", None, MISSING_ID)
    assert Call("/api/x/things/7?full=1").missing().path == f"/api/x/things/{MISSING_ID}?full=1"
    in_body = Call("/api/x/days/12/applications", {"resident_id": 12, "goods": "书", "n": [12]}, record=12).missing()
    assert in_body == Call("/api/x/days/12/applications", {"resident_id": MISSING_ID, "goods": "书", "n": [MISSING_ID]}, MISSING_ID)
    with pytest.raises(ValueError):
        Call("/api/x/things").missing()
