"""toolshelf through its routes and its job, on SQLite and PostgreSQL (meihao's fixtures run each test on both)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from meihao.testing import Call, check_route_access

from .conftest import BASE

MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)  # 08:00 in Shanghai, when the world's clock starts

JOB = "toolshelf.remind_borrowers"


def at_nine(year: int, month: int, day: int) -> datetime:
    """09:00 in Asia/Shanghai, as UTC (the job's hour)."""
    return datetime(year, month, day, 1, 0, tzinfo=timezone.utc)


async def lend(client, tool_id: int, resident_id: int):
    return await client.post(f"{BASE}/loans/", json={"tool_id": tool_id, "resident_id": resident_id})


async def test_a_loan_is_due_five_working_days_later_and_the_shelf_shows_it(world):
    async with world.client("grid_worker") as worker:
        lent = await lend(worker, world.tools["电钻"], world.residents["王秀英"]["id"])
        shelf = await worker.get(f"{BASE}/tools/")
    assert lent.status_code == 201, lent.text
    loan = lent.json()
    assert datetime.fromisoformat(loan.pop("lent_at")) == MONDAY
    assert loan == {
        "id": loan["id"], "tool_id": world.tools["电钻"], "tool_name": "电钻", "resident_id": world.residents["王秀英"]["id"],
        "resident_name": "王秀英", "due_on": "2026-03-09", "returned_at": None,
    }
    assert [(t["name"], t["on_loan_until"]) for t in shelf.json()] == [("电钻", "2026-03-09"), ("人字梯", None), ("缝纫机", None)]


async def test_working_days_skip_the_national_day_holiday_and_count_the_make_up_saturday(world):
    # 2026: 1–7 October off, Saturday 10 October a working day (State Council schedule for 2026).
    world.travel_to(at_nine(2026, 9, 28))
    async with world.client("street_admin") as admin:
        lent = await lend(admin, world.tools["人字梯"], world.residents["王秀英"]["id"])
    assert lent.json()["due_on"] == "2026-10-10"


async def test_one_loan_per_tool_and_at_most_two_per_resident(world):
    async with world.client("street_admin") as admin:
        first = await lend(admin, world.tools["电钻"], world.residents["王秀英"]["id"])
        taken = await lend(admin, world.tools["电钻"], world.residents["张伟"]["id"])
        second = await lend(admin, world.tools["人字梯"], world.residents["王秀英"]["id"])
        third = await lend(admin, world.tools["缝纫机"], world.residents["王秀英"]["id"])
        back = await admin.post(f"{BASE}/loans/{first.json()['id']}/return")
        twice = await admin.post(f"{BASE}/loans/{first.json()['id']}/return")
        now_allowed = await lend(admin, world.tools["缝纫机"], world.residents["王秀英"]["id"])
    assert [first.status_code, taken.status_code, second.status_code, third.status_code] == [201, 409, 201, 409]
    assert taken.json()["detail"] == "tool_id: 电钻 is on loan"
    assert third.json()["detail"] == "resident_id: already borrows 2 tools (at most 2)"
    assert back.status_code == 200 and datetime.fromisoformat(back.json()["returned_at"]) == MONDAY
    assert twice.status_code == 409
    assert now_allowed.status_code == 201


async def test_concurrent_loans_to_one_resident_stop_at_the_limit(world):
    async with world.client("street_admin") as admin:
        for name in ("管钳", "打气筒", "电烙铁"):
            world.tools[name] = (await admin.post(f"{BASE}/tools/", json={"name": name})).json()["id"]
        answers = await asyncio.gather(*(lend(admin, tool, world.residents["王秀英"]["id"]) for tool in world.tools.values()))
        loans = await admin.get(f"{BASE}/loans/", params={"open": "true"})
    assert sorted(a.status_code for a in answers) == [201, 201, 409, 409, 409, 409]
    assert loans.json()["total"] == 2


async def test_a_grid_worker_does_not_reach_another_grids_loans(world):
    async with world.client("street_admin") as admin:
        theirs = (await lend(admin, world.tools["电钻"], world.residents["张伟"]["id"])).json()
    async with world.client("grid_worker") as worker:
        out_of_scope = await worker.get(f"{BASE}/loans/{theirs['id']}")
        missing = await worker.get(f"{BASE}/loans/999999")
        listed = await worker.get(f"{BASE}/loans/")
        to_them = await lend(worker, world.tools["人字梯"], world.residents["张伟"]["id"])
        back = await worker.post(f"{BASE}/loans/{theirs['id']}/return")
        shelve = await worker.post(f"{BASE}/tools/", json={"name": "梯子"})
    assert (out_of_scope.status_code, missing.status_code, to_them.status_code, back.status_code) == (404, 404, 404, 404)
    assert out_of_scope.json()["detail"] == f"loan {theirs['id']} not found"
    assert missing.json()["detail"] == "loan 999999 not found"
    assert listed.json()["total"] == 0
    assert shelve.status_code == 403


async def test_every_route_keeps_the_access_rules(world):
    """meihao.testing.check_route_access: every route guarded, 401 without a token, 404 where the shelf is
    off, and 王秀英's loan asked for by 吴网格 (grid B) exactly as a missing one."""
    wang = world.residents["王秀英"]["id"]
    async with world.client("community_admin") as admin:
        loan = (await lend(admin, world.tools["电钻"], wang)).json()
    routes = "/api/communities/{slug}/toolshelf"
    report = await check_route_access(
        world.client,
        "toolshelf",
        records={
            f"GET {routes}/loans/{{loan_id}}": Call(f"{BASE}/loans/{loan['id']}"),
            f"POST {routes}/loans/{{loan_id}}/return": Call(f"{BASE}/loans/{loan['id']}/return"),
            f"POST {routes}/loans": Call(f"{BASE}/loans/", {"tool_id": world.tools["人字梯"], "resident_id": wang}, record=wang),
        },
        community_routes=[f"GET {routes}/tools", f"POST {routes}/tools", f"GET {routes}/loans"],
        without_scene="beiyuan",
    )
    assert report.answers[f"GET {routes}/loans/{{loan_id}}"] == {"anonymous": 401, "without_scene": 404, "outside": 404, "inside": 200}


async def test_bad_input_names_the_field(world):
    async with world.client("street_admin") as admin:
        blank = await admin.post(f"{BASE}/tools/", json={"name": ""})
        no_tool = await lend(admin, 999999, world.residents["王秀英"]["id"])
        huge = await lend(admin, 2**63, world.residents["王秀英"]["id"])
    assert blank.status_code == 400 and "name" in blank.text
    assert no_tool.status_code == 404 and no_tool.json()["detail"] == "tool_id: tool 999999 not found"
    assert huge.status_code == 400 and "tool_id" in huge.text


async def test_the_borrower_hears_the_working_day_before_and_each_day_overdue(world):
    async with world.client("street_admin") as admin:
        await lend(admin, world.tools["电钻"], world.residents["王秀英"]["id"])  # due Monday 9 March
    heard = {}
    for day in (5, 6, 9, 10, 11):  # Thursday, Friday, Monday (the due day), Tuesday, Wednesday
        await world.fire_job(JOB, at=at_nine(2026, 3, day))
        await world.fire_job(JOB, at=at_nine(2026, 3, day) + timedelta(hours=3))  # a second run that day sends nothing more
        await world.drain()
        heard[day] = len(await world.inbox("王秀英"))
    assert heard == {5: 0, 6: 1, 9: 1, 10: 2, 11: 3}
    # the kernel adds the greeting and the residents' committee's signature to every Chinese text
    overdue = "尊敬的王秀英阿姨：\n您借用的电钻应于3月9日归还，请尽快送回社区工具架。\n——荷畔社区居民委员会"
    before = "尊敬的王秀英阿姨：\n您借用的电钻请于3月9日前归还。\n——荷畔社区居民委员会"
    assert [m["body"] for m in await world.inbox("王秀英")] == [overdue, overdue, before]
    assert await world.inbox("张伟") == []


async def test_the_dashboard_counts_tools_loans_and_overdue(world):
    async with world.client("street_admin") as admin:
        await lend(admin, world.tools["电钻"], world.residents["王秀英"]["id"])
        on_time = await admin.get("/api/communities/hepan/dashboard")
        world.travel_to(at_nine(2026, 3, 9))
        due_day = await admin.get("/api/communities/hepan/dashboard")
        world.travel_to(at_nine(2026, 3, 10))
        late = await admin.get("/api/communities/hepan/dashboard")

    def shelf(answer):
        return {m["key"]: m["value"] for m in answer.json() if m["scenario"] == "toolshelf"}

    assert shelf(on_time) == {"tools": 3, "on_loan": 1, "overdue": 0}
    assert shelf(due_day) == {"tools": 3, "on_loan": 1, "overdue": 0}
    assert shelf(late) == {"tools": 3, "on_loan": 1, "overdue": 1}


async def test_a_residents_loans_are_in_their_export_and_still_counted_after_erasure(world):
    wang = world.residents["王秀英"]["id"]
    async with world.client("community_admin") as admin:
        await lend(admin, world.tools["电钻"], wang)
    async with world.client("street_admin") as admin:
        exported = await admin.get(f"/api/residents/{wang}/export")
        erased = await admin.post(f"/api/residents/{wang}/erase", json={"reason": "本人申请删除"})
        loans = await admin.get(f"{BASE}/loans/")
    assert [(loan["tool"], loan["due_on"]) for loan in exported.json()["plugins"]["toolshelf"]["loans"]] == [("电钻", "2026-03-09")]
    assert erased.status_code == 200
    assert [(loan["tool_name"], loan["resident_id"]) for loan in loans.json()["items"]] == [("电钻", wang)]
    assert loans.json()["items"][0]["resident_name"] == "已删除"

