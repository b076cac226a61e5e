"""Meetings on the fake clock: the agenda ahead, reminders, sign-in, votes, the count, notice and resolution; households; evening talks."""

from __future__ import annotations

from datetime import date

from .conftest import BASE, at, body_with_members, post


async def approved_motion(w, admin, body_id: int, title: str, proposer: str = "王秀英") -> dict:
    motion = await post(admin, "/motions", {"body_id": body_id, "title": title, "proposer_id": w.residents[proposer]["id"]})
    for name in ("李明", "赵芳", "陈静", "刘洋", "王秀英"):
        if name != proposer and motion["state"] == "proposed":
            motion = await post(admin, f"/motions/{motion['id']}/seconds", {"resident_id": w.residents[name]["id"]})
    return await post(admin, f"/motions/{motion['id']}/review", {"approve": True, "note": "同意"}, status=200)


async def test_a_council_meeting_from_agenda_to_resolution(hepan):
    w = hepan  # Monday 2 March 2026, 09:00
    async with w.client("community_admin") as admin:
        body, members = await body_with_members(w, admin, "council", ["李明", "赵芳", "刘洋"])
        first = await approved_motion(w, admin, body["id"], "南门增设充电棚")
        second = await approved_motion(w, admin, body["id"], "荷花池步道照明")
        meeting = {"kind": "council", "body_id": body["id"], "title": "家门口议事厅三月例会", "venue": "社区议事厅",
                   "rules": "每人每次发言不超过2分钟", "motion_ids": [first["id"], second["id"]]}
        # the agenda goes out 3 days ahead: a minute short is refused
        response = await admin.post(f"{BASE}/meetings", json={**meeting, "starts_at": "2026-03-05T08:59:00", "ends_at": "2026-03-05T11:00:00"})
        assert (response.status_code, response.json()["detail"]) == (
            400, "starts_at: at least 3 days from now, so the agenda goes out ahead")
        held = await post(admin, "/meetings", {**meeting, "starts_at": "2026-03-05T19:00:00", "ends_at": "2026-03-05T21:00:00"})
        assert (held["state"], held["agenda"], held["attendance"]) == ("planned", [first["id"], second["id"]], 0)
        assert (await admin.get(f"{BASE}/motions/{first['id']}")).json()["state"] == "scheduled"
    # reminders 3 days and 2 hours before, to the members only
    await w.drain(at(2026, 3, 2, 18, 59))
    assert len(await w.inbox("李明")) == 0
    await w.drain(at(2026, 3, 2, 19, 0))
    assert [len(await w.inbox(n)) for n in ("李明", "赵芳", "刘洋", "王秀英")] == [1, 1, 1, 0]
    await w.drain(at(2026, 3, 5, 16, 59))
    assert len(await w.inbox("李明")) == 1
    await w.drain(at(2026, 3, 5, 17, 0))
    assert len(await w.inbox("李明")) == 2
    assert "家门口议事厅三月例会" in (await w.inbox("李明"))[0]["body"]
    w.at(2026, 3, 5, 19, 30)
    async with w.client("community_admin") as admin:
        signed = await post(admin, f"/meetings/{held['id']}/attendance", {"member_ids": [members[0]["id"], members[1]["id"]]}, status=200)
        assert signed["attendance"] == 2
        # 刘洋 did not sign in: no vote
        response = await admin.post(f"{BASE}/meetings/{held['id']}/motions/{first['id']}/votes",
                                    json={"member_id": members[2]["id"], "choice": "yes"})
        assert (response.status_code, response.json()["field"]) == (409, "member_id")
        for motion, choices in ((first, ("yes", "yes")), (second, ("yes", "no"))):
            for member, choice in zip(members, choices):
                await post(admin, f"/meetings/{held['id']}/motions/{motion['id']}/votes", {"member_id": member["id"], "choice": choice})
        again = await admin.post(f"{BASE}/meetings/{held['id']}/motions/{first['id']}/votes",
                                 json={"member_id": members[0]["id"], "choice": "no"})
        assert again.status_code == 409
        counted = await post(admin, f"/meetings/{held['id']}/count", {}, status=200)
        assert counted["state"] == "held"
        one, two = [(await admin.get(f"{BASE}/motions/{m['id']}")).json() for m in (first, second)]
        # 2 of 3 signed in: at least two thirds; 2 ayes > 0 noes; a 1–1 tie fails
        assert (one["state"], one["eligible"], one["present"], one["ayes"], one["noes"], one["abstentions"], one["quorum_met"]) == (
            "passed", 3, 2, 2, 0, 0, True)
        assert (two["state"], two["ayes"], two["noes"]) == ("failed", 1, 1)
        assert one["notice_until"] == "2026-03-10T11:30:00Z"  # five days on notice
        minutes = await admin.put(f"{BASE}/meetings/{held['id']}/minutes", json={"minutes": "应到3人，实到2人。充电棚议题通过。"})
        assert minutes.json()["minutes"] == "应到3人，实到2人。充电棚议题通过。"
    await w.fire_job("neighbourhood.resolve", at=at(2026, 3, 10, 19, 29))
    async with w.client("community_admin") as admin:
        assert (await admin.get(f"{BASE}/motions/{first['id']}")).json()["state"] == "passed"
    await w.fire_job("neighbourhood.resolve", at=at(2026, 3, 10, 19, 30))
    async with w.client("community_admin") as admin:
        assert [(await admin.get(f"{BASE}/motions/{m['id']}")).json()["state"] for m in (first, second)] == ["resolved", "failed"]
        metrics = {m["key"]: m["value"] for m in (await admin.get("/api/communities/hepan/dashboard")).json()
                   if m["scenario"] == "neighbourhood"}
    assert (metrics["motions_raised"], metrics["motions_passed"], metrics["motions_resolved"], metrics["meetings_this_month"],
            metrics["attendance_rate"]) == (2, 1, 1, 1, 66.7)


async def test_one_vote_per_household_and_abstentions_count_against(hepan):
    w = hepan
    wang = w.residents["王秀英"]
    husband = await w.factories.resident(wang["household_id"], name="王建国", gender="male", birth_date=date(1958, 3, 1))
    async with w.client("community_admin") as admin:
        body = await post(admin, "/bodies", {"kind": "residents_meeting", "name": "居民会议", "vote_by": "household"})
        members = [await post(admin, f"/bodies/{body['id']}/members",
                              {"role": "resident", "resident_id": rid, "term_start": "2026-01-01", "term_end": "2026-12-31"})
                   for rid in (wang["id"], husband["id"], w.residents["李明"]["id"], w.residents["赵芳"]["id"])]
        motion = await approved_motion(w, admin, body["id"], "加装电梯意见征集", proposer="刘洋")
        meeting = await post(admin, "/meetings", {"kind": "residents_meeting", "body_id": body["id"], "title": "居民会议",
                                                  # exactly three days ahead is enough
                                                  "starts_at": "2026-03-05T09:00:00", "ends_at": "2026-03-05T11:00:00",
                                                  "motion_ids": [motion["id"]]})
        await post(admin, f"/meetings/{meeting['id']}/attendance", {"member_ids": [m["id"] for m in members[:3]]}, status=200)
        vote = f"/meetings/{meeting['id']}/motions/{motion['id']}/votes"
        await post(admin, vote, {"member_id": members[0]["id"], "choice": "yes"})
        response = await admin.post(f"{BASE}{vote}", json={"member_id": members[1]["id"], "choice": "yes"})
        assert (response.status_code, response.json()["detail"]) == (
            409, f"member_id: household {wang['household_id']} has voted on this motion (one vote per household)")
        await post(admin, vote, {"member_id": members[2]["id"], "choice": "abstain"})
        await post(admin, f"/meetings/{meeting['id']}/count", {}, status=200)
        result = (await admin.get(f"{BASE}/motions/{motion['id']}")).json()
    # 3 households entitled, 2 present (more than half); 1 aye of 2 present is not more than half
    assert (result["eligible"], result["present"], result["ayes"], result["abstentions"], result["quorum_met"], result["state"]) == (
        3, 2, 1, 1, True, "failed")


async def test_exactly_half_present_is_no_quorum(hepan):
    w = hepan
    async with w.client("community_admin") as admin:
        body, members = await body_with_members(w, admin, "residents_meeting", ["李明", "赵芳", "刘洋", "陈静"])
        motion = await approved_motion(w, admin, body["id"], "楼道堆物清理日")
        meeting = await post(admin, "/meetings", {"kind": "residents_meeting", "body_id": body["id"], "title": "居民会议",
                                                  "starts_at": "2026-03-06T19:00:00", "ends_at": "2026-03-06T21:00:00",
                                                  "motion_ids": [motion["id"]]})
        await post(admin, f"/meetings/{meeting['id']}/attendance", {"member_ids": [members[0]["id"], members[1]["id"]]}, status=200)
        for member in members[:2]:
            await post(admin, f"/meetings/{meeting['id']}/motions/{motion['id']}/votes", {"member_id": member["id"], "choice": "yes"})
        await post(admin, f"/meetings/{meeting['id']}/count", {}, status=200)
        result = (await admin.get(f"{BASE}/motions/{motion['id']}")).json()
    assert (result["eligible"], result["present"], result["ayes"], result["quorum_met"], result["state"]) == (4, 2, 2, False, "failed")


async def test_an_evening_talk_turns_what_is_raised_into_a_motion(hepan):
    w = hepan
    async with w.client("community_admin") as admin:
        body = await post(admin, "/bodies", {"kind": "council", "name": "家门口议事厅"})
        talk = await post(admin, "/meetings", {"kind": "evening_talk", "title": "闻韶夜话·老旧小区改造", "venue": "党群服务中心",
                                               "starts_at": "2026-04-15T19:00:00", "ends_at": "2026-04-15T21:00:00"})
        assert (talk["kind"], talk["body"], talk["agenda"]) == ("evening_talk", None, [])
        refused = await admin.post(f"{BASE}/meetings/{talk['id']}/attendance", json={"member_ids": []})
        assert refused.status_code == 409
    async with w.client("grid_worker") as worker:
        raised = await post(worker, f"/meetings/{talk['id']}/raised",
                            {"text": "楼下健身器材损坏，希望更换", "resident_id": w.residents["李明"]["id"], "as_motion_of": body["id"]})
        noted = await post(worker, f"/meetings/{talk['id']}/raised", {"text": "希望多办几场夜话"})
        motion = (await worker.get(f"{BASE}/motions/{raised['motion']}")).json()
    assert (noted["motion"], motion["title"], motion["proposer"], motion["grid"], motion["state"]) == (
        None, "楼下健身器材损坏，希望更换", w.residents["李明"]["id"], w.grids["A"], "proposed")
