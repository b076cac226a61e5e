"""Resolution follow-ups (决议落实) as kernel work items, and the second call (二次召集) of a meeting short of its quorum."""

from __future__ import annotations

import pytest

from .conftest import BASE, at, body_with_members, post
from .test_meetings import approved_motion

SETTINGS = "/api/communities/hepan/scenarios/neighbourhood"


async def resolved_motion(w) -> tuple[dict, dict]:
    """A council of three passes a motion on Thursday 5 March; it is resolved on Tuesday 10 March at 19:30."""
    async with w.client("community_admin") as admin:
        body, members = await body_with_members(w, admin, "council", ["李明", "赵芳", "刘洋"])
        motion = await approved_motion(w, admin, body["id"], "南门增设充电棚")
        meeting = await post(admin, "/meetings", {"kind": "council", "body_id": body["id"], "title": "家门口议事厅三月例会",
                                                  "starts_at": "2026-03-05T19:00:00", "ends_at": "2026-03-05T21:00:00",
                                                  "motion_ids": [motion["id"]]})
    w.at(2026, 3, 5, 19, 30)
    async with w.client("community_admin") as admin:
        await post(admin, f"/meetings/{meeting['id']}/attendance", {"member_ids": [m["id"] for m in members]}, status=200)
        for member in members:
            await post(admin, f"/meetings/{meeting['id']}/motions/{motion['id']}/votes", {"member_id": member["id"], "choice": "yes"})
        await post(admin, f"/meetings/{meeting['id']}/count", {}, status=200)
        # on notice: no tasks yet
        response = await admin.post(f"{BASE}/motions/{motion['id']}/tasks",
                                    json={"title": "联系供电公司", "owner_id": w.staff["grid_worker"]["id"], "due_on": "2026-03-13"})
        assert (response.status_code, response.json()["detail"]) == (
            409, f"motion {motion['id']} is passed: follow-up tasks are set on a resolution (after its notice period)")
    await w.fire_job("neighbourhood.resolve", at=at(2026, 3, 10, 19, 30))
    return body, motion


async def carried(admin) -> tuple[int, int]:
    metrics = {m["key"]: m["value"] for m in (await admin.get("/api/communities/hepan/dashboard")).json() if m["scenario"] == "neighbourhood"}
    return metrics["motions_resolved"], metrics["motions_carried_out"]


async def test_a_resolution_is_carried_out_when_its_tasks_are_done(hepan):
    w = hepan
    _, motion = await resolved_motion(w)
    w.at(2026, 3, 11, 9, 0)  # Wednesday
    tasks = f"{BASE}/motions/{motion['id']}/tasks"
    worker = w.staff["grid_worker"]
    async with w.client("community_admin") as admin:
        for due, detail in (("2026-03-11", "due_on: a day after today (2026-03-11)"),
                            ("2026-03-14", "due_on: 2026-03-14 is not a working day; the next is 2026-03-16")):
            response = await admin.post(tasks, json={"title": "联系供电公司", "owner_id": worker["id"], "due_on": due})
            assert (response.status_code, response.json()["detail"], response.json()["field"]) == (400, detail, "due_on")
        outsider = await w.factories.staff("community_admin", community=w.other_slug, name="外社区主任")
        response = await admin.post(tasks, json={"title": "联系供电公司", "owner_id": outsider["id"], "due_on": "2026-03-13"})
        assert (response.status_code, response.json()["field"]) == (404, "owner_id")
        first = await post(admin, f"/motions/{motion['id']}/tasks", {"title": "联系供电公司", "owner_id": worker["id"], "due_on": "2026-03-13"})
        # two working days (Thursday, Friday): due at Friday's close, 17:30 Shanghai
        assert (first["title"], first["owner"], first["state"], first["flag"], first["due_at"]) == (
            "联系供电公司", worker["name"], "open", "green", "2026-03-13T09:30:00Z")
        second = await post(admin, f"/motions/{motion['id']}/tasks", {"title": "安装充电棚", "owner_id": worker["id"], "due_on": "2026-03-20"})
        assert await carried(admin) == (1, 0)
    w.at(2026, 3, 13, 17, 31)
    async with w.client("grid_worker") as gw:
        listed = (await gw.get(tasks)).json()
        assert [(t["title"], t["state"], t["flag"]) for t in listed] == [("联系供电公司", "open", "red"), ("安装充电棚", "open", "green")]
        response = await gw.post(f"{tasks}/{first['id']}/reports", json={"state": "done", "note": "  "})
        assert (response.status_code, response.json()["field"]) == (400, "note")
        response = await gw.post(f"{tasks}/{first['id']}/reports", json={"state": "closed", "note": "好了"})
        assert (response.status_code, response.json()["detail"]) == (400, "state: one of in_progress, done, cancelled")
        report = await post(gw, f"/motions/{motion['id']}/tasks/{first['id']}/reports", {"state": "in_progress", "note": "已约供电所踏勘"}, 200)
        done = await post(gw, f"/motions/{motion['id']}/tasks/{first['id']}/reports", {"state": "done", "note": "供电所同意增容"}, 200)
        assert (report["state"], done["state"], done["flag"]) == ("in_progress", "done", "met_late")
        assert [(r["state"], r["note"]) for r in done["reports"]] == [("in_progress", "已约供电所踏勘"), ("done", "供电所同意增容")]
        again = await gw.post(f"{tasks}/{first['id']}/reports", json={"state": "done", "note": "再报"})
        assert again.status_code == 409
    async with w.client("community_admin") as admin:
        assert await carried(admin) == (1, 0)  # one of two tasks done
        await post(admin, f"/motions/{motion['id']}/tasks/{second['id']}/reports", {"state": "done", "note": "充电棚已投用"}, 200)
        assert await carried(admin) == (1, 1)
        detail = (await admin.get(f"{BASE}/motions/{motion['id']}")).json()
        assert [(t["title"], t["state"], t["flag"]) for t in detail["tasks"]] == [("联系供电公司", "done", "met_late"), ("安装充电棚", "done", "met")]


async def test_tasks_out_of_scope_are_missing(hepan):
    w = hepan
    _, motion = await resolved_motion(w)  # proposed by 王秀英, grid A
    w.at(2026, 3, 11, 9, 0)
    async with w.client("community_admin") as admin:
        task = await post(admin, f"/motions/{motion['id']}/tasks",
                          {"title": "联系供电公司", "owner_id": w.staff["grid_worker"]["id"], "due_on": "2026-03-13"})
    async with w.client("grid_worker_out") as out:
        theirs = await out.get(f"{BASE}/motions/{motion['id']}/tasks")
        missing = await out.get(f"{BASE}/motions/987654/tasks")
        assert (theirs.status_code, theirs.json()) == (missing.status_code, {**missing.json(), "detail": missing.json()["detail"].replace(
            "987654", str(motion["id"]))})
        assert theirs.status_code == 404
        report = await out.post(f"{BASE}/motions/{motion['id']}/tasks/{task['id']}/reports", json={"state": "done", "note": "完成"})
        assert report.status_code == 404
    async with w.client("community_admin") as admin:
        response = await admin.post(f"{BASE}/motions/{motion['id']}/tasks/987654/reports", json={"state": "done", "note": "完成"})
        assert (response.status_code, response.json()["detail"]) == (404, "task 987654 not found")
        elsewhere = await admin.get(f"/api/communities/{w.other_slug}/neighbourhood/motions/{motion['id']}/tasks")
        assert elsewhere.status_code in (403, 404)


async def council_short_of_quorum(w, signed: int) -> tuple[dict, list[dict], dict, dict]:
    """A council of six (quorum at least two thirds: 4) meets on Thursday 5 March with ``signed`` members signed in."""
    async with w.client("community_admin") as admin:
        body, members = await body_with_members(w, admin, "council", ["李明", "赵芳", "刘洋", "陈静", "张伟", "周强"])
        motion = await approved_motion(w, admin, body["id"], "荷花池步道照明")
        meeting = await post(admin, "/meetings", {"kind": "council", "body_id": body["id"], "title": "家门口议事厅三月例会",
                                                  "venue": "社区议事厅", "starts_at": "2026-03-05T19:00:00",
                                                  "ends_at": "2026-03-05T21:00:00", "motion_ids": [motion["id"]]})
    w.at(2026, 3, 5, 19, 20)
    async with w.client("community_admin") as admin:
        await post(admin, f"/meetings/{meeting['id']}/attendance", {"member_ids": [m["id"] for m in members[:signed]]}, status=200)
    return body, members, motion, meeting


AGAIN = {"starts_at": "2026-03-12T19:00:00", "ends_at": "2026-03-12T21:00:00"}


async def test_a_meeting_with_its_quorum_is_not_called_again(hepan):
    w = hepan
    _, _, _, meeting = await council_short_of_quorum(w, 4)
    async with w.client("community_admin") as admin:
        response = await admin.post(f"{BASE}/meetings/{meeting['id']}/second-call", json=AGAIN)
    assert (response.status_code, response.json()["detail"]) == (
        409, f"meeting {meeting['id']} has its quorum (4 of 6 signed in): count it instead")


@pytest.mark.parametrize(("signed_again", "quorum_met", "state"), [(2, False, "failed"), (3, True, "passed"), (4, True, "passed")])
async def test_the_second_call_counts_against_its_own_quorum(hepan, signed_again, quorum_met, state):
    w = hepan
    _, members, motion, meeting = await council_short_of_quorum(w, 3)  # 3 of 6: short of two thirds
    async with w.client("street_admin") as street:
        off = await street.put(SETTINGS, json={"settings": {"council_second_call": ""}})
        assert off.status_code == 200, off.text
    async with w.client("community_admin") as admin:
        response = await admin.post(f"{BASE}/meetings/{meeting['id']}/second-call", json=AGAIN)
        assert (response.status_code, response.json()["detail"]) == (
            409, "the rules of a council have no second call (setting council_second_call)")
    async with w.client("street_admin") as street:
        assert (await street.put(SETTINGS, json={"settings": {}})).status_code == 200
    async with w.client("community_admin") as admin:
        past = await admin.post(f"{BASE}/meetings/{meeting['id']}/second-call",
                                json={"starts_at": "2026-03-05T19:00:00", "ends_at": "2026-03-05T21:00:00"})
        assert (past.status_code, past.json()["field"]) == (400, "starts_at")
        again = await post(admin, f"/meetings/{meeting['id']}/second-call", AGAIN)
        assert (again["title"], again["venue"], again["second_call_of"], again["agenda"], again["state"]) == (
            "家门口议事厅三月例会（二次召集）", "社区议事厅", meeting["id"], [motion["id"]], "planned")
        assert (await admin.get(f"{BASE}/meetings/{meeting['id']}")).json()["state"] == "adjourned"
        twice = await admin.post(f"{BASE}/meetings/{again['id']}/second-call", json=AGAIN)
        assert (twice.status_code, twice.json()["detail"]) == (409, f"meeting {again['id']} is already a second call of meeting {meeting['id']}")
    await w.drain(at(2026, 3, 9, 19, 0))
    assert "家门口议事厅三月例会（二次召集）" in (await w.inbox("李明"))[-1]["body"]
    w.at(2026, 3, 12, 19, 20)
    async with w.client("community_admin") as admin:
        await post(admin, f"/meetings/{again['id']}/attendance", {"member_ids": [m["id"] for m in members[:signed_again]]}, status=200)
        for member in members[:signed_again]:
            await post(admin, f"/meetings/{again['id']}/motions/{motion['id']}/votes", {"member_id": member["id"], "choice": "yes"})
        await post(admin, f"/meetings/{again['id']}/count", {}, status=200)
        result = (await admin.get(f"{BASE}/motions/{motion['id']}")).json()
    # the second call's quorum is at least half: 3 of 6 is enough, 2 of 6 is not
    assert (result["eligible"], result["present"], result["quorum_met"], result["state"], result["meeting"]) == (
        6, signed_again, quorum_met, state, again["id"])
