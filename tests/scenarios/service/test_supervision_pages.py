"""三强化 console pages for the leaders and the street: taking a household off monitoring and putting one under it, the
quarterly joint meetings (record, list, carry out a decision) and the discipline office's problem list (record, overdue,
整改, 销号), each with the API's permission and its errors at the field.

荷畔 (conftest): 王秀英's household in grid A (陈网格), 张伟's in grid B (吴网格), monitored from Monday 30 Nov 2026;
the pages are read on Tuesday 1 Dec 2026 10:00.
"""

from __future__ import annotations

import re

import pytest_asyncio

from meihao.testing import form_token, make_page_client

from .test_assistance import monitored

PAGES = "/c/hepan/service/assistance"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest_asyncio.fixture
async def w(hepan):
    w = hepan
    w.ids = await monitored(w)
    w.at(2026, 12, 1, 10, 0)
    return w


async def test_a_household_is_taken_off_monitoring_and_put_back_from_the_pages(w):
    hid = w.ids["王秀英"]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        listed = await worker.get(PAGES)
        refused = [(await worker.get(f"{PAGES}/monitor")).status_code, (await worker.get(f"{PAGES}/{hid}/end")).status_code]
    assert "纳入监测" not in listed.text and "解除监测" not in listed.text and refused == [403, 403]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        listed = await admin.get(PAGES)
        assert f'href="{PAGES}/monitor"' in listed.text and f'href="{PAGES}/{hid}/end"' in listed.text
        assert "季度专题会议" in listed.text and "督导检查问题清单" in listed.text
        form = await admin.get(f"{PAGES}/{hid}/end")
        assert "解除监测的原因" in form.text and "2026年11月30日" not in form.text and "11月30日（周一）起监测，帮扶责任人：陈网格。" in form.text
        token = await form_token(admin, f"{PAGES}/{hid}/end")
        empty = await admin.post(f"{PAGES}/{hid}/end", data={"reason": " ", "_csrf_token": token})
        assert (empty.status_code, "请写明解除监测的原因（不超过500字）。" in empty.text) == (400, True)
        assert 'aria-invalid="true"' in empty.text
        ended = await admin.post(f"{PAGES}/{hid}/end", data={"reason": "经评议公示风险已消除", "_csrf_token": token})
        assert (ended.status_code, ended.headers["location"]) == (303, f"{PAGES}?done=ended")
        after = await admin.get(ended.headers["location"])
        assert "已解除监测。" in after.text and "王秀英" not in after.text and "张伟" in after.text
        twice = await admin.post(f"{PAGES}/{hid}/end", data={"reason": "再解除", "_csrf_token": token})
        assert (twice.status_code, "这户已解除监测。" in twice.text) == (409, True)
        # put back: find by name
        found = await admin.get(f"{PAGES}/monitor", params={"q": "王秀英"})
        assert "家庭成员：王秀英" in found.text and "经评议公示风险已消除" in text(found.text)  # the ended list
        household = w.residents["王秀英"]["household_id"]
        token = await form_token(admin, f"{PAGES}/monitor")
        base = {"household": str(household), "q": "王秀英", "helper": str(w.staff["grid_worker"]["id"]), "since": "2026-12-01",
                "_csrf_token": token}
        no_category = await admin.post(f"{PAGES}/monitor", data={**base, "category": ""})
        assert (no_category.status_code, "请选择一个类别。" in no_category.text) == (400, True)
        assert f'id="household-{household}"' in no_category.text and 'class="field has-error"' in no_category.text
        outsider = await admin.post(f"{PAGES}/monitor", data={**base, "category": "脱贫不稳定户", "helper": "987654"})
        assert (outsider.status_code, "请从社区工作人员中选择帮扶责任人。" in outsider.text) == (404, True)
        elsewhere = await admin.post(f"{PAGES}/monitor", data={**base, "category": "脱贫不稳定户",
                                                                "household": str(w.other_resident["household_id"])})
        assert elsewhere.status_code == 404  # a household of another community: the 404 page
        made = await admin.post(f"{PAGES}/monitor", data={**base, "category": "突发严重困难户"})
        assert (made.status_code, made.headers["location"]) == (303, f"{PAGES}?done=monitored")
        back = await admin.get(made.headers["location"])
        assert "已纳入监测。" in back.text and "<dd>突发严重困难户</dd>" in back.text
        monitored_now = await admin.get(f"{PAGES}/monitor", params={"q": "张伟"})
        zhang = w.residents["张伟"]["household_id"]
        assert "监测中" in monitored_now.text and f'name="household" value="{zhang}"' not in monitored_now.text
        nobody = await admin.get(f"{PAGES}/monitor", params={"q": "不存在的人"})
        assert "您负责的范围内没有符合的住户。" in nobody.text


async def test_a_joint_meeting_from_the_pages(w):
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(f"{PAGES}/meetings")).status_code == 403
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        plan = await admin.get(f"{PAGES}/meetings")
        assert "2026年第4季度" in plan.text and "应开1次，已开0次" in plan.text and "须在12月31日（周四）前召开" in plan.text
        form = await admin.get(f"{PAGES}/meetings/new")
        assert form.text.count('name="departments"') == 3 and 'value="住建" checked' in form.text
        token = await form_token(admin, f"{PAGES}/meetings/new")
        body = {"held_on": "2026-12-01", "departments": ["住建", "民政"], "other_departments": "残联、医保", "households": [str(w.ids["王秀英"])],
                "minutes": "研究王秀英户危房改造。", "decision_0": "12月内完成房屋鉴定", "assignee_0": str(w.staff["grid_worker"]["id"]),
                "decision_1": "", "assignee_1": str(w.staff["grid_worker"]["id"]), "_csrf_token": token}
        no_text = await admin.post(f"{PAGES}/meetings/new", data=body)
        assert (no_text.status_code, "交办给人的决定，请写明决定内容（不超过500字）。" in no_text.text) == (400, True)
        assert 'value="12月内完成房屋鉴定"' in no_text.text and "研究王秀英户危房改造。" in no_text.text  # what was typed stays
        no_minutes = await admin.post(f"{PAGES}/meetings/new", data={**body, "assignee_1": "", "minutes": ""})
        assert (no_minutes.status_code, "请填写会议纪要（不超过10000字）。" in no_minutes.text) == (400, True)
        nobody = await admin.post(f"{PAGES}/meetings/new", data={**body, "assignee_1": "", "departments": [], "other_departments": ""})
        assert (nobody.status_code, "请至少勾选或填写一个参会部门。" in nobody.text) == (400, True)
        saved = await admin.post(f"{PAGES}/meetings/new", data={**body, "assignee_1": ""})
        assert saved.status_code == 303, saved.text
        page = await admin.get(saved.headers["location"])
        assert "会议已记录。" in page.text and "2026年第4季度帮扶工作专题会议" in page.text
        assert "<dd>住建、民政、残联、医保</dd>" in page.text
        assert "落实人：陈网格" in page.text and "期限：12月15日（周二）下午5点半" in page.text
        item = int(re.findall(r'/actions/(\d+)"', page.text)[0])
        meeting = saved.headers["location"].split("?")[0]
        token = await form_token(admin, meeting)
        empty = await admin.post(f"{meeting}/actions/{item}", data={"note": "", "_csrf_token": token})
        assert (empty.status_code, "请写明决定的落实情况（不超过2000字）。" in empty.text) == (400, True)
        done = await admin.post(f"{meeting}/actions/{item}", data={"note": "已鉴定为C级", "_csrf_token": token})
        assert (done.status_code, done.headers["location"]) == (303, f"{meeting}?done=action")
        after = await admin.get(done.headers["location"])
        assert "决定已标记为落实。" in after.text and "已落实" in after.text and f"/actions/{item}" not in after.text
        listed = await admin.get(f"{PAGES}/meetings")
        assert "应开1次，已开1次" in listed.text and "决定1项，待落实0项" in listed.text
        missing = await admin.get(f"{PAGES}/meetings/987654")
    assert missing.status_code == 404


async def test_the_problem_list_from_the_pages(w):
    async with make_page_client(w.mh, w.staff["street_admin"]["id"]) as street:
        page = await street.get(f"{PAGES}/inspection")
        assert "列入问题" in page.text and "每条问题须在15个工作日内整改到位。" in page.text
        token = await form_token(street, f"{PAGES}/inspection")
        empty = await street.post(f"{PAGES}/inspection", data={"category": "户档案整理", "text": "", "_csrf_token": token})
        assert (empty.status_code, "请写明发现的问题（不超过2000字）。" in empty.text) == (400, True)
        saved = await street.post(f"{PAGES}/inspection", data={"category": "户档案整理", "household": str(w.ids["王秀英"]),
                                                                "text": "户档案未更新11月走访记录", "found_on": "2026-12-01",
                                                                "_csrf_token": token})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGES}/inspection?done=recorded")
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(f"{PAGES}/inspection")).status_code == 403
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        listed = await admin.get(f"{PAGES}/inspection")
        assert "待整改1条，其中超期0条；待销号0条；已销号0条" in listed.text and "整改期限：12月22日（周二）下午5点半" in listed.text
        assert "列入问题" not in listed.text and "核查通过，销号" not in listed.text  # the community rectifies, it does not record
        w.at(2026, 12, 22, 17, 30)
        late = await admin.get(f"{PAGES}/inspection")
        assert "其中超期1条" in late.text and '<span class="badge tone-alert">逾期</span>' in late.text
        pid = int(re.findall(r'/inspection/(\d+)/rectify"', late.text)[0])
        token = await form_token(admin, f"{PAGES}/inspection")
        empty = await admin.post(f"{PAGES}/inspection/{pid}/rectify", data={"note": "", "_csrf_token": token})
        assert (empty.status_code, "请写明整改做了什么（不超过2000字）。" in empty.text) == (400, True)
        refused = await admin.post(f"{PAGES}/inspection/{pid}/close", data={"_csrf_token": token})
        assert refused.status_code == 403  # 销号 is the supervisor's, as in the API
        fixed = await admin.post(f"{PAGES}/inspection/{pid}/rectify", data={"note": "已补录走访记录", "_csrf_token": token})
        assert (fixed.status_code, fixed.headers["location"]) == (303, f"{PAGES}/inspection?done=rectified")
        after = await admin.get(fixed.headers["location"])
        assert "整改情况：已补录走访记录" in after.text and "已整改待销号" in after.text
        assert "12月1日（周二）督导检查发现 · 街道管理员" in text(after.text)
    async with make_page_client(w.mh, w.staff["street_admin"]["id"]) as street:
        token = await form_token(street, f"{PAGES}/inspection")
        closed = await street.post(f"{PAGES}/inspection/{pid}/close", data={"_csrf_token": token})
        assert (closed.status_code, closed.headers["location"]) == (303, f"{PAGES}/inspection?done=closed")
        done = await street.get(f"{PAGES}/inspection?status=closed")
        assert "问题已销号。" not in done.text and "户档案未更新11月走访记录" in done.text
        unknown = await street.post(f"{PAGES}/inspection/{pid}/shred", data={"_csrf_token": token})
    assert unknown.status_code == 404
