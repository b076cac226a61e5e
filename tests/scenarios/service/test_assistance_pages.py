"""三强化 console pages in process: the households with their helper and this month's visit, a visit recorded from the
phone form (a problem opens a work item), the problem list with 整改销号, and the scope.

荷畔 (conftest): 王秀英's household in grid A (helper 陈网格), 张伟's in grid B (helper 吴网格), put under monitoring on
Monday 30 Nov 2026; the pages are read on Tuesday 1 Dec 2026 10:00.
"""

from __future__ import annotations

import re

import pytest_asyncio

from meihao.testing import form_token, make_page_client

from .test_assistance import FINE, A, monitored

PAGES = "/c/hepan/service/assistance"


def households(html: str) -> list[str]:
    """(head, badge) of each household on the list, in order."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip()
            for m in re.findall(r'<div class="sv-hh-head">(.*?)</div>', html, re.S)]


@pytest_asyncio.fixture
async def w(hepan):
    w = hepan
    w.ids = await monitored(w)
    w.at(2026, 12, 1, 10, 0)
    return w


def _form(status: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    data = {f"check_{k}": "ok" for k in FINE}
    data.update({f"check_{k}": v for k, v in (status or {}).items()})
    data.update(extra)
    return data


async def test_the_list_shows_each_household_helper_and_this_months_visit_in_scope(w):
    async with w.client("grid_worker") as worker:  # 王秀英's household visited on 1 December (this month)
        done = await worker.post(f"{A}/households/{w.ids['王秀英']}/visits", json={"checks": FINE, "housing_grade": "B"})
        assert done.status_code == 201, done.text
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(PAGES)
    assert page.status_code == 200
    assert "已走访1户，共2户（50.0%）" in page.text and "帮扶责任人每月入户走访1次。" in page.text
    heads = households(page.text)
    assert [h.split(" · ")[-1] for h in heads] == ["张伟 待走访", "王秀英 已走访"]  # still to visit first
    assert "<dt>帮扶责任人</dt><dd>吴网格</dd>" in page.text and "<dt>帮扶责任人</dt><dd>陈网格</dd>" in page.text
    assert "<dt>上次走访</dt><dd>12月1日（周二）</dd>" in page.text and "<dt>上次走访</dt><dd>尚未走访</dd>" in page.text
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        mine = await worker.get(PAGES)
        other = await worker.get(f"{PAGES}/{w.ids['张伟']}/visit")
    assert [h.split(" · ")[-1] for h in households(mine.text)] == ["王秀英 已走访"]
    assert "张伟" not in mine.text and other.status_code == 404


async def test_a_visit_from_the_phone_form_opens_a_problem_and_it_is_rectified(w):
    hid = w.ids["张伟"]
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as worker:
        form = await worker.get(f"{PAGES}/{hid}/visit")
        assert form.status_code == 200 and "不愁吃、不愁穿" in form.text and "人均日用水量，升（不少于35升）" in form.text
        token = await form_token(worker, f"{PAGES}/{hid}/visit")
        missing = await worker.post(f"{PAGES}/{hid}/visit", data={"check_food_clothing": "ok", "_csrf_token": token})
        assert (missing.status_code, "每一项都要选择：正常、有问题或未核查。" in missing.text) == (400, True)
        bare = await worker.post(f"{PAGES}/{hid}/visit", data={**_form({"medical": "problem"}), "_csrf_token": token})
        assert (bare.status_code, "选了“有问题”的项目，请写明是什么问题。" in bare.text) == (400, True)
        assert 'name="check_medical" value="problem" required checked' in bare.text  # what was ticked stays ticked
        saved = await worker.post(f"{PAGES}/{hid}/visit", data={
            **_form({"medical": "problem"}), "note_medical": "慢性病门诊未办理", "housing_grade": "C", "water_litres": "34",
            "_csrf_token": token})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGES}?done=visited")
        listed = await worker.get(saved.headers["location"])
        assert "走访记录已保存。" in listed.text and "3个问题待整改" in listed.text
        assert "<dt>住房安全等级</dt><dd>C <span class=\"badge tone-alert\">须改造</span></dd>" in listed.text
        problems = await worker.get(f"{PAGES}/problems")
        found = re.findall(r'<p class="sv-asked">([^<]*)</p>', problems.text)
        assert found == ["慢性病门诊未办理", "住房安全等级C级，须改造", "人均日用水34升，低于35升"]
        assert problems.text.count("整改期限：12月15日（周二）下午5点半") == 3
        item = int(re.findall(r'action="/c/hepan/service/assistance/problems/(\d+)"', problems.text)[0])
        token = await form_token(worker, f"{PAGES}/problems")
        empty = await worker.post(f"{PAGES}/problems/{item}", data={"note": " ", "_csrf_token": token})
        assert (empty.status_code, "请写明整改做了什么（不超过2000字）。" in empty.text) == (400, True)
        closed = await worker.post(f"{PAGES}/problems/{item}", data={"note": "已办理慢性病门诊", "_csrf_token": token})
        assert (closed.status_code, closed.headers["location"]) == (303, f"{PAGES}/problems?done=rectified")
        after = await worker.get(closed.headers["location"])
    assert "问题已整改销号。" in after.text
    assert re.findall(r'<p class="sv-asked">([^<]*)</p>', after.text) == ["住房安全等级C级，须改造", "人均日用水34升，低于35升"]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as other:  # grid A's worker: 张伟's problems are not theirs
        theirs = await other.get(f"{PAGES}/problems")
        token = await form_token(other, f"{PAGES}/problems")
        refused = await other.post(f"{PAGES}/problems/{item + 1}", data={"note": "已修", "_csrf_token": token})
    assert "没有待整改的问题。" in theirs.text and refused.status_code == 404
