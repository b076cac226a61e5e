"""The console pages: motions by stage, a motion with the party organisation's review and a resolution's tasks, a meeting with
sign-in, votes, the count, minutes and the second call. Scoped like the API: a motion of another grid is the 404 page."""

from __future__ import annotations

import re

from meihao.testing import form_token, make_page_client

from .conftest import BASE, body_with_members, post
from .test_follow_up import council_short_of_quorum, resolved_motion
from .test_meetings import approved_motion

C = "/c/hepan/neighbourhood"


def h(html: str, tag: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", "", x).split()) for x in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html, re.S)]


async def test_motions_by_stage_and_the_review(hepan):
    w = hepan
    async with w.client("community_admin") as admin:
        body, _ = await body_with_members(w, admin, "council", ["李明", "赵芳", "刘洋"])
        waiting = await post(admin, "/motions", {"body_id": body["id"], "title": "楼道加装扶手", "proposer_id": w.residents["王秀英"]["id"]})
        seconded = await approved_motion(w, admin, body["id"], "荷花池步道照明")
        # approved_motion approves; a second one stays seconded for the review form
        other = await post(admin, "/motions", {"body_id": body["id"], "title": "垃圾分类亭迁移", "proposer_id": w.residents["张伟"]["id"]})
        for name in ("周强", "李明", "赵芳"):
            other = await post(admin, f"/motions/{other['id']}/seconds", {"resident_id": w.residents[name]["id"]})
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        html = (await page.get(f"{C}/motions")).text
        assert h(html, "h3")[:3] == ["待党组织审核 1", "已审核，待上会 1", "征集附议中 1"] or h(html, "h3")[:3] == [
            "征集附议中 1", "待党组织审核 1", "已审核，待上会 1"]
        assert "附议0/3人" in html and "家门口议事厅" in html
        path = f"{C}/motions/{other['id']}"
        token = await form_token(page, path)
        refused = await page.post(f"{path}/review", data={"_csrf_token": token, "decision": "decline", "note": ""})
        assert refused.status_code == 400 and "请写明不予通过的理由。" in refused.text
        done = await page.post(f"{path}/review", data={"_csrf_token": token, "decision": "approve", "note": "同意上会"},
                               follow_redirects=False)
        assert (done.status_code, done.headers["location"]) == (303, f"{path}?done=reviewed")
        assert "审核意见已记录。" in (await page.get(done.headers["location"])).text
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as page:  # grid B: 王秀英's motion is not theirs
        assert (await page.get(f"{C}/motions/{waiting['id']}")).status_code == 404
        assert (await page.get(f"{C}/motions/{other['id']}")).status_code == 200
        listed = (await page.get(f"{C}/motions")).text
        assert "垃圾分类亭迁移" in listed and "楼道加装扶手" not in listed and seconded["title"] not in listed


async def test_a_resolutions_tasks_on_its_page(hepan):
    w = hepan
    _, motion = await resolved_motion(w)
    w.at(2026, 3, 11, 9, 0)
    path = f"{C}/motions/{motion['id']}"
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        html = (await page.get(path)).text
        assert "尚未设置落实任务。" in html and "已形成决议" in html
        token = await form_token(page, path)
        bad = await page.post(f"{path}/tasks", data={"_csrf_token": token, "title": "联系供电公司", "owner_id": str(w.staff["grid_worker"]["id"]),
                                                     "due_on": "2026-03-14"})
        assert bad.status_code == 400 and "请选择今天以后一年内的一个工作日。" in bad.text and 'value="联系供电公司"' in bad.text
        ok = await page.post(f"{path}/tasks", data={"_csrf_token": token, "title": "联系供电公司", "owner_id": str(w.staff["grid_worker"]["id"]),
                                                    "due_on": "2026-03-13"}, follow_redirects=False)
        assert ok.status_code == 303
        html = (await page.get(path)).text
        assert h(html, "h3")[0] == "联系供电公司" and "未开始 · 按期" in html and f"责任人：{w.staff['grid_worker']['name']}" in html
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        token = await form_token(page, path)
        task = re.search(r'/tasks/(\d+)/report', (await page.get(path)).text).group(1)
        empty = await page.post(f"{path}/tasks/{task}/report", data={"_csrf_token": token, "state": "done", "note": ""})
        assert empty.status_code == 400 and "请写明办理情况（不超过2000字）。" in empty.text
        await page.post(f"{path}/tasks/{task}/report", data={"_csrf_token": token, "state": "done", "note": "供电所同意增容", "expected": "open"})
        html = (await page.get(path)).text
        assert "已完成 · 按期完成" in html and "已完成：供电所同意增容" in html


async def test_a_meeting_short_of_its_quorum_is_called_again_from_its_page(hepan):
    w = hepan
    _, members, motion, meeting = await council_short_of_quorum(w, 3)
    path = f"{C}/meetings/{meeting['id']}"
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        html = (await page.get(path)).text
        assert "应到6，已签到3 · 尚未达到法定人数 (不少于2/3)" in html
        assert "二次召集的法定人数为不少于1/2" in html
        token = await form_token(page, path)
        past = await page.post(f"{path}/second-call", data={"_csrf_token": token, "day": "2026-03-04", "start": "19:00", "end": "21:00",
                                                            "venue": "社区议事厅"})
        assert past.status_code == 400 and "请选择今后的开始时间" in past.text
        called = await page.post(f"{path}/second-call", data={"_csrf_token": token, "day": "2026-03-12", "start": "19:00", "end": "21:00",
                                                              "venue": "社区议事厅"}, follow_redirects=False)
        again = called.headers["location"].split("/meetings/")[1].split("?")[0]
        assert h((await page.get(path)).text, "dd")[3].startswith("流会（未达法定人数）")
    w.at(2026, 3, 12, 19, 10)
    second = f"{C}/meetings/{again}"
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        token = await form_token(page, second)
        await page.post(f"{second}/attendance", data={"_csrf_token": token, "member": [str(m["id"]) for m in members[:3]]})
        html = (await page.get(second)).text
        assert "应到6，已签到3 · 已达到法定人数 (不少于1/2)" in html and "二次召集" in html
        for m in members[:3]:
            await page.post(f"{second}/motions/{motion['id']}/votes", data={"_csrf_token": token, "member_id": str(m["id"]), "choice": "yes"})
        twice = await page.post(f"{second}/motions/{motion['id']}/votes", data={"_csrf_token": token, "member_id": str(members[0]["id"]),
                                                                               "choice": "no"})
        assert twice.status_code == 409 and "该成员未签到，或已经表决过。" in twice.text
        await page.post(f"{second}/count", data={"_csrf_token": token})
        await page.post(f"{second}/minutes", data={"_csrf_token": token, "minutes": "二次召集，应到6人，实到3人。"})
        html = (await page.get(second)).text
        assert "赞成3票，反对0票，弃权0票 · 应到6，实到3" in html and "二次召集，应到6人，实到3人。" in html
    async with w.client("community_admin") as admin:
        assert (await admin.get(f"{BASE}/motions/{motion['id']}")).json()["state"] == "passed"
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        assert (await page.get(f"/c/{w.other_slug}/neighbourhood/meetings/{again}")).status_code == 404
        assert (await page.get(f"{C}/meetings/987654")).status_code == 404
