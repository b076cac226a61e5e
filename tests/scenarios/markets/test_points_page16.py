"""The points form on the market day page (issue 16): a resident pays an approved stall with volunteer points, found by name in
the viewer's area (several of that name: a choice), at the balance's edges, with each problem at its field (400)."""

from __future__ import annotations

import pytest

from meihao.testing import form_token, make_page_client

from .test_points import _balance, _give, _stall

C = "/c/huayang/markets"


async def _post(w, who: str, stall: int, **fields):
    async with make_page_client(w.mh, w.staff[who]["id"]) as client:
        token = await form_token(client)
        return await client.post(f"{C}/applications/{stall}/points", data={**fields, "_csrf_token": token}, follow_redirects=False)


@pytest.mark.parametrize(("balance", "status", "after"), [(10, 303, 0), (9, 400, 9), (11, 303, 1)])
async def test_points_are_taken_at_the_balance_edges(huayang, balance, status, after):
    w = huayang
    _, day_id, stall = await _stall(w)
    await _give(w, "李建国", balance)
    w.at(2026, 3, 14, 9, 30)
    answer = await _post(w, "grid_worker", stall, resident_name="李建国", points="10", note="两块手工皂")
    assert answer.status_code == status, answer.text
    assert await _balance(w, "李建国") == after
    if status == 303:
        assert answer.headers["location"] == f"{C}/days/{day_id}?done=points&paid=10&balance={after}#a{stall}"
        async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
            page = await client.get(answer.headers["location"])
        assert f"已收10积分，余额还剩{after}分。" in page.text
    else:
        assert "积分余额不足：只剩9分。" in answer.text
        assert f'id="points-n-{stall}" name="points" inputmode="numeric" value="10" aria-invalid="true"' in answer.text


@pytest.mark.parametrize(("fields", "message"), [
    ({"resident_name": "李建国", "points": "0"}, "请填写支付的积分：1到100000之间的整数。"),
    ({"resident_name": "李建国", "points": "100001"}, "请填写支付的积分：1到100000之间的整数。"),
    ({"resident_name": "李建国", "points": "十"}, "请填写支付的积分：1到100000之间的整数。"),
    ({"resident_name": "", "points": "5"}, "请填写支付积分的居民姓名。"),
    ({"resident_name": "无此人", "points": "5"}, "本社区您负责的范围内没有这个姓名的居民。"),
    # 赵丽 lives in grid B: out of this grid worker's area, told as if there were no such resident
    ({"resident_name": "赵丽", "points": "5"}, "本社区您负责的范围内没有这个姓名的居民。"),
])
async def test_a_problem_comes_back_at_its_field(huayang, fields, message):
    w = huayang
    _, _, stall = await _stall(w)
    await _give(w, "李建国", 50)
    await _give(w, "赵丽", 50)
    w.at(2026, 3, 14, 9, 30)
    answer = await _post(w, "grid_worker", stall, **fields)
    assert answer.status_code == 400
    assert message in answer.text
    assert (await _balance(w, "李建国"), await _balance(w, "赵丽")) == (50, 50)


async def test_several_residents_of_one_name_are_a_choice(huayang):
    w = huayang
    _, _, stall = await _stall(w)
    household = (await w.factories.household((await w.factories.building(w.grids["A"]))["id"]))["id"]
    namesake = await w.factories.resident(household, name="李建国")
    await _give(w, "李建国", 5)
    from meihao import Principal, award_points

    await award_points(w.mh, Principal.system(), w.community, namesake["id"], 20, reason="志愿服务", scenario="markets")
    w.at(2026, 3, 14, 9, 30)
    answer = await _post(w, "grid_worker", stall, resident_name="李建国", points="8")
    assert answer.status_code == 400
    assert "有几位同名居民，请选择是哪一位。" in answer.text
    assert answer.text.count('<option value="') == 2
    paid = await _post(w, "grid_worker", stall, resident_name="李建国", resident_id=str(namesake["id"]), points="8")
    assert paid.status_code == 303
    from meihao import points_balance

    assert await points_balance(Principal.system(), namesake["id"]) == 12
    assert await _balance(w, "李建国") == 5


async def test_before_the_day_or_at_a_market_without_points_the_form_is_refused(huayang):
    w = huayang
    _, day_id, stall = await _stall(w)
    await _give(w, "李建国", 50)
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        assert "收取积分" not in (await client.get(f"{C}/days/{day_id}")).text  # not begun: no form
    answer = await _post(w, "grid_worker", stall, resident_name="李建国", points="5")
    assert answer.status_code == 400 and "本市集不收志愿积分，或本场市集尚未开始。" in answer.text
    w.at(2026, 3, 14, 9, 30)
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        assert "本摊位收取志愿积分" in (await client.get(f"{C}/days/{day_id}")).text
    # 王秀英's stall is in grid A: grid B's worker gets the 404 page, and nothing is spent
    answer = await _post(w, "grid_worker_out", stall, resident_name="李建国", points="5")
    assert answer.status_code == 404
    assert await _balance(w, "李建国") == 50
