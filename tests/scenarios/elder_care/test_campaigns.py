"""加密探访 (issue 16): a campaign for extreme weather or a holiday makes every target elder due for an extra visit within
its date range; the visitors are told when it starts and reminded before it ends of the elders not visited yet; its
progress (visited / not yet) and the dashboard figures. A story on the fake clock across the range's edges.

雅居园 (conftest): 王秀英 (86, living alone, grid A, visitor 陈网格) and 赵桂兰 (81, living alone, grid B, no visitor: grid
B's worker 吴网格 is told) are elders in special difficulty, the default target group (setting campaign_groups); 张伟 (69)
is not. The campaign 寒潮降温 runs Tuesday 10 to Thursday 12 March 2026.
"""

from __future__ import annotations

from meihao.reminders.recipients import inbox
from meihao.testing import drain, make_page_client

EC = "/api/communities/yajuyuan/elder_care"
COLD = {"title": "寒潮降温", "reason": "weather", "starts_on": "2026-03-10", "ends_on": "2026-03-12"}


async def _register(y, name: str, **fields) -> int:
    async with y.client("community_admin") as admin:
        response = await admin.post(f"{EC}/elders", json={"resident_id": y.residents[name]["id"], **fields})
        assert response.status_code == 201, response.text
        return response.json()["id"]


async def _visit(client, elder_id: int, at: str) -> None:
    response = await client.post(f"{EC}/elders/{elder_id}/visits", json={"method": "phone", "visited_at": at})
    assert response.status_code == 201, response.text


async def _check(y) -> dict:
    from meihao.scenarios.elder_care.jobs import check_campaigns

    return await check_campaigns(meihao=y.mh, community=y.community)


async def _dashboard(y, who: str = "community_admin") -> dict:
    async with y.client(who) as client:
        return {m["key"]: m["value"] for m in (await client.get("/api/communities/yajuyuan/dashboard")).json()}


async def test_a_cold_snap_campaign_across_its_edges(yajuyuan):
    y = yajuyuan
    wang = await _register(y, "王秀英", visitor_staff_id=y.staff["grid_worker"]["id"])
    zhao = await _register(y, "赵桂兰")
    await _register(y, "张伟")

    y.at(2026, 3, 9, 10, 0)  # Monday: started for tomorrow
    async with y.client("community_admin") as admin:
        started = await admin.post(f"{EC}/campaigns", json=COLD)
    assert started.status_code == 201, started.text
    campaign = started.json()
    assert (campaign["groups"], campaign["elders"], campaign["visited"], campaign["rate"], campaign["status"]) == (
        ["special_difficulty"], 2, 0, 0.0, "active")
    assert [(p["name"], p["visited_on"]) for p in campaign["progress"]] == [("王秀英", None), ("赵桂兰", None)]
    await drain(y.engine)
    assert await inbox("staff", y.staff["grid_worker"]["id"]) == []  # it starts tomorrow
    assert "campaign_elders" not in await _dashboard(y)  # nothing runs today

    # a call at 23:59 the evening before does not count; one at midnight, the first minute of the range, does
    y.at(2026, 3, 10, 8, 0)
    async with y.client("grid_worker") as worker:
        await _visit(worker, wang, "2026-03-09T23:59:00+08:00")
        assert (await worker.get(f"{EC}/campaigns/{campaign['id']}")).json()["visited"] == 0

    y.at(2026, 3, 10, 8, 30)  # the first day: each visitor is told of their elders, once
    assert await _check(y) == {"started": 2, "reminded": 0}
    assert await _check(y) == {"started": 0, "reminded": 0}
    await drain(y.engine)
    assert [m["body"] for m in await inbox("staff", y.staff["grid_worker"]["id"])] == [
        "加密探访（极端天气）：寒潮降温。请于3月10日（周二）至3月12日（周四）期间上门、电话或视频联系您负责的1位老人：王秀英，并记录探访情况。"]
    assert [m["body"] for m in await inbox("staff", y.staff["grid_worker_out"]["id"])] == [
        "加密探访（极端天气）：寒潮降温。请于3月10日（周二）至3月12日（周四）期间上门、电话或视频联系您负责的1位老人：赵桂兰，并记录探访情况。"]

    async with y.client("grid_worker") as worker:
        await _visit(worker, wang, "2026-03-10T00:00:00+08:00")
        mine = (await worker.get(f"{EC}/campaigns/{campaign['id']}")).json()
    # the grid worker's scope: grid A's elder only
    assert [(p["name"], p["visited_on"]) for p in mine["progress"]] == [("王秀英", "2026-03-10")]
    assert (mine["elders"], mine["visited"], mine["rate"]) == (1, 1, 100.0)

    y.at(2026, 3, 11, 8, 29)  # the day before the last (campaign_reminder_days_before_end 1), before the check
    dashboard = await _dashboard(y)
    assert (dashboard["campaign_elders"], dashboard["campaign_visited"], dashboard["campaign_rate"]) == (2, 1, 50.0)
    y.at(2026, 3, 11, 8, 30)  # only 赵桂兰's worker is reminded
    assert await _check(y) == {"started": 0, "reminded": 1}
    assert await _check(y) == {"started": 0, "reminded": 0}
    await drain(y.engine)
    assert [m["body"] for m in await inbox("staff", y.staff["grid_worker_out"]["id"])][0] == (
        "加密探访（极端天气）：寒潮降温将于3月12日（周四）结束，您负责的1位老人尚未探访：赵桂兰。请尽快联系，并记录探访情况。")
    assert len(await inbox("staff", y.staff["grid_worker"]["id"])) == 1

    # Friday: a call at midnight after the last day does not count; one at 23:59 on the last day, recorded late, does
    y.at(2026, 3, 13, 9, 0)
    async with y.client("grid_worker_out") as other:
        await _visit(other, zhao, "2026-03-13T00:00:00+08:00")
        assert (await other.get(f"{EC}/campaigns/{campaign['id']}")).json()["visited"] == 0
        await _visit(other, zhao, "2026-03-12T23:59:00+08:00")
    async with y.client("community_admin") as admin:
        done = (await admin.get(f"{EC}/campaigns/{campaign['id']}")).json()
        listed = (await admin.get(f"{EC}/campaigns")).json()
        running = (await admin.get(f"{EC}/campaigns?running=true")).json()
    assert [(p["name"], p["visited_on"]) for p in done["progress"]] == [("王秀英", "2026-03-10"), ("赵桂兰", "2026-03-12")]
    assert (done["elders"], done["visited"], done["rate"]) == (2, 2, 100.0)
    assert [(c["title"], c["elders"], c["visited"]) for c in listed["items"]] == [("寒潮降温", 2, 2)]
    assert running["total"] == 0
    assert "campaign_elders" not in await _dashboard(y)  # over
    assert await _check(y) == {"started": 0, "reminded": 0}

    # the console: the list and the progress page, in the viewer's scope
    async with make_page_client(y.mh, y.staff["community_admin"]["id"]) as admin:
        listed_page = await admin.get("/c/yajuyuan/elder_care/campaigns")
    assert listed_page.status_code == 200
    assert "寒潮降温" in listed_page.text and "已探访 2 / 2 人" in listed_page.text and "极端天气" in listed_page.text
    assert "已结束" in listed_page.text
    async with make_page_client(y.mh, y.staff["grid_worker"]["id"]) as worker:
        progress = await worker.get(f"/c/yajuyuan/elder_care/campaigns/{campaign['id']}")
    assert progress.status_code == 200
    assert "王秀英" in progress.text and "赵桂兰" not in progress.text and "2026-03-10 已探访" in progress.text
    assert "已探访 1 / 1 人" in progress.text and "目标老人已全部探访。" in progress.text


async def test_a_campaign_starting_today_tells_the_visitors_at_once(yajuyuan):
    y = yajuyuan
    await _register(y, "王秀英", visitor_staff_id=y.staff["grid_worker"]["id"])
    await _register(y, "张伟")
    y.at(2026, 3, 10, 9, 0)
    async with y.client("community_admin") as admin:
        started = await admin.post(f"{EC}/campaigns", json={"title": "清明节", "reason": "holiday", "starts_on": "2026-03-10",
                                                            "ends_on": "2026-03-10", "groups": ["over_80"]})
    assert started.status_code == 201, started.text
    assert [p["name"] for p in started.json()["progress"]] == ["王秀英"]  # 张伟 is 69
    await drain(y.engine)
    assert len(await inbox("staff", y.staff["grid_worker"]["id"])) == 1
    y.at(2026, 3, 10, 9, 30)
    assert await _check(y) == {"started": 0, "reminded": 1}  # the last day is today: not visited yet, reminded once


async def test_what_a_campaign_refuses(yajuyuan):
    y = yajuyuan
    await _register(y, "王秀英")
    y.at(2026, 3, 10, 9, 0)
    cases = [
        ({"starts_on": "2026-03-12", "ends_on": "2026-03-11"}, "ends_on: not before starts_on"),
        ({"starts_on": "2026-03-01", "ends_on": "2026-03-09"}, "ends_on: the range is over already"),
        ({"starts_on": "2026-03-10", "ends_on": "2026-04-10"}, "ends_on: a campaign lasts at most 31 days (setting campaign_max_days), not 32"),
        ({"groups": ["rich"]}, "groups: 'rich' is not one of special_difficulty, high_risk, living_alone, empty_nest, left_behind, over_80, "
                               "self_care_loss"),
        ({"groups": ["left_behind"]}, "groups: no elder on the register you reach is in these groups"),
    ]
    async with y.client("community_admin") as admin:
        for change, message in cases:
            response = await admin.post(f"{EC}/campaigns", json={**COLD, **change})
            assert response.status_code == 400, (change, response.text)
            assert message in response.text, response.text
        longest = await admin.post(f"{EC}/campaigns", json={**COLD, "starts_on": "2026-03-10", "ends_on": "2026-04-09"})  # 31 days
        assert longest.status_code == 201, longest.text
        cancelled = await admin.post(f"{EC}/campaigns/{longest.json()['id']}/cancel")
        assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
        again = await admin.post(f"{EC}/campaigns/{longest.json()['id']}/cancel")  # changes nothing
        assert (again.status_code, again.json()["status"]) == (200, "cancelled")
        assert (await admin.get(f"{EC}/campaigns/987654")).status_code == 404
    async with y.client("part_time") as part_time:  # reads, may not start one
        assert (await part_time.post(f"{EC}/campaigns", json=COLD)).status_code == 403
        assert (await part_time.get(f"{EC}/campaigns")).status_code == 200
