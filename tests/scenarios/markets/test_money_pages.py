"""The console side of issue 16's market money: the market forms take the type, fee or contribution, beneficiary project,
receiving charity, rest-day and home-made food rules; the day page waives a stall's fee; the public statement (公示)
page shows, prints and publishes a held day's figures.

Each form goes through the API's service: rows are read back through the API with literal values, each bad input at
and beside its threshold comes back at its field with nothing written, each role as the API allows it.
"""

from __future__ import annotations

import re

import pytest

from meihao.scenarios.markets.tables import Application, Market, MarketDay
from meihao.testing import form_token, make_page_client

API = "/api/communities/huayang/markets"
PAGES = "/c/huayang/markets"
MARKET_FORM = {
    "name": "睦邻善市公益市集", "venue": "华阳社区党群服务中心广场", "first_day": "2026-03-14", "repeat": "monthly_weekday", "rrule": "",
    "until": "", "opens_at": "09:00", "closes_at": "11:30", "grid_id": "", "capacity": "", "setup_minutes": "",
    "applications_close_hours": "", "holiday_policy": "skip", "organiser_staff_id": "", "market_kind": "charity_sale",
    "money": "contribution", "fee": "10", "beneficiary": "华阳社区困难家庭学生助学", "receiving_charity": "济阳区慈善总会",
    "rest_day_policy": "move", "home_made_food": "forbid", "accepts_points": "yes",
}
MONTHLY = {"venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-01", "opens_at": "09:00",
           "closes_at": "11:30"}
MONEY = {"money": "contribution", "fee": "10", "beneficiary": "华阳社区困难家庭学生助学", "receiving_charity": "济阳区慈善总会"}


def field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="f-(\w+)-note">(.*?)</p>', html))


async def post_form(client, path: str, form: dict[str, str], token_page: str = f"{PAGES}/markets") -> object:
    return await client.post(path, data={**form, "_csrf_token": await form_token(client, token_page)})


async def api_markets(w) -> list[dict]:
    async with w.client("community_admin") as api:
        return (await api.get(f"{API}/markets")).json()


# -- the market forms --------------------------------------------------------------------------------


async def test_a_market_made_on_the_page_keeps_its_type_money_and_rules(huayang):
    w = huayang
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES}/markets/new")
        assert "费用和善款去向" in page.text and "接收善款的慈善组织" in page.text and "遇到调休上班的周末" in page.text
        done = await post_form(admin, f"{PAGES}/markets/new", MARKET_FORM)
        assert done.status_code == 303, done.text
    market = (await api_markets(w))[0]
    assert {k: market[k] for k in ("kind", "money", "fee", "beneficiary", "receiving_charity", "rest_day_policy", "home_made_food",
                                   "accepts_points")} == {
        "kind": "charity_sale", "money": "contribution", "fee": "10.00", "beneficiary": "华阳社区困难家庭学生助学",
        "receiving_charity": "济阳区慈善总会", "rest_day_policy": "move", "home_made_food": "forbid", "accepts_points": True}


async def test_a_free_clinic_without_fee_and_left_empty_the_rules_are_the_communitys(huayang):
    w = huayang
    form = {**MARKET_FORM, "market_kind": "free_clinic", "money": "none", "fee": "", "beneficiary": "", "receiving_charity": "",
            "rest_day_policy": "", "home_made_food": "", "accepts_points": ""}
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        assert (await post_form(admin, f"{PAGES}/markets/new", form)).status_code == 303
    market = (await api_markets(w))[0]
    assert {k: market[k] for k in ("kind", "money", "fee", "rest_day_policy", "home_made_food", "accepts_points")} == {
        "kind": "free_clinic", "money": "none", "fee": "0.00", "rest_day_policy": "skip", "home_made_food": "approval", "accepts_points": False}


FEE_HIGH = "金额超过本社区每个摊位的上限，可能填错了，请核对。"
FEE_BAD = "请填每个摊位的金额（元），大于0，最多两位小数，例如 10 或 5.50。"
#: (fields changed, the field that shows the problem, its message; None: saved) at each threshold and beside it.
MONEY_CASES = [
    ({"fee": "0.01"}, None, None),
    ({"fee": "0"}, "fee", FEE_BAD),
    ({"fee": ""}, "fee", FEE_BAD),
    ({"fee": "10.001"}, "fee", FEE_BAD),
    ({"fee": "-5"}, "fee", FEE_BAD),
    ({"fee": "十元"}, "fee", FEE_BAD),
    ({"fee": "2000"}, None, None),
    ({"fee": "2000.01"}, "fee", FEE_HIGH),
    ({"money": "none", "fee": "5"}, "fee", "摊位不收费的市集不填金额：请把金额留空，或选择摊位费、爱心捐赠。"),
    ({"money": "donation"}, "money", "请选择每个摊位交什么费用。"),
    ({"market_kind": "bazaar"}, "market_kind", "请选择市集类型。"),
    ({"beneficiary": ""}, "beneficiary", "请填写善款用于哪个受益项目，最多200字。"),
    ({"beneficiary": "助" * 201}, "beneficiary", "请填写善款用于哪个受益项目，最多200字。"),
    ({"receiving_charity": ""}, "receiving_charity", "请填写接收善款的慈善组织，最多200字。"),
    ({"receiving_charity": "华阳社区居民委员会"}, "receiving_charity",
     "居委会、村委会不能自己接收公开募捐的善款，请填写慈善组织，例如济阳区慈善总会。"),
    ({"receiving_charity": "城关村村委会"}, "receiving_charity", "居委会、村委会不能自己接收公开募捐的善款，请填写慈善组织，例如济阳区慈善总会。"),
    ({"rest_day_policy": "keep"}, "rest_day_policy", "请选择遇到调休上班的周末怎么办。"),
    ({"home_made_food": "sometimes"}, "home_made_food", "请选择自制食品的规定。"),
]


@pytest.mark.parametrize(("changed", "field", "message"), MONEY_CASES)
async def test_each_money_field_is_checked_at_its_threshold(huayang, changed, field, message):
    w = huayang
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        answer = await post_form(admin, f"{PAGES}/markets/new", {**MARKET_FORM, **changed})
    if field is None:
        assert answer.status_code == 303, answer.text
        assert await Market.count() == 1
        return
    assert answer.status_code == 400
    assert field_errors(answer.text) == {field: message}
    assert "没有保存" in answer.text
    assert (await Market.count(), await MarketDay.count()) == (0, 0)


async def test_the_edit_form_changes_where_the_money_goes_and_refuses_a_committee(huayang):
    w = huayang
    async with w.client("community_admin") as api:
        market = (await api.post(f"{API}/markets", json={**MONTHLY, **MONEY})).json()
    edit = f"{PAGES}/markets/{market['id']}/edit"
    form = {"name": "睦邻善市公益市集", "venue": "华阳社区党群服务中心广场", "capacity": "30", "organiser_staff_id": "",
            "beneficiary": "华阳社区助老食堂", "receiving_charity": "华阳社区居委会", "accepts_points": "yes"}
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(edit)
        assert 'value="华阳社区困难家庭学生助学"' in page.text and "爱心捐赠 · ¥10.00" in page.text
        refused = await post_form(admin, edit, form, edit)
        assert refused.status_code == 400
        assert field_errors(refused.text) == {"receiving_charity": "居委会、村委会不能自己接收公开募捐的善款，请填写慈善组织，例如济阳区慈善总会。"}
        assert (await post_form(admin, edit, {**form, "beneficiary": ""}, edit)).status_code == 400
        saved = await post_form(admin, edit, {**form, "receiving_charity": "济南市慈善总会"}, edit)
        assert saved.status_code == 303
    market = (await api_markets(w))[0]
    assert (market["beneficiary"], market["receiving_charity"], market["accepts_points"]) == ("华阳社区助老食堂", "济南市慈善总会", True)


# -- waivers on the day page ----------------------------------------------------------------------------


async def _market_with_stalls(w, names=("王秀英", "李建国", "张伟"), **fields) -> tuple[dict, int, dict[str, int]]:
    async with w.client("community_admin") as admin:
        market = (await admin.post(f"{API}/markets", json={**MONTHLY, **fields})).json()
    day_id = market["next_days"][0]["id"]
    ids = {}
    async with w.client("grid_worker") as worker, w.client("community_admin") as admin:
        for name in names:
            applied = await worker.post(f"{API}/days/{day_id}/applications", json={"resident_id": w.residents[name]["id"], "goods": "手工皂"})
            ids[name] = applied.json()["id"]
            assert (await admin.post(f"{API}/applications/{ids[name]}/approve")).json()["status"] == "approved"
    return market, day_id, ids


async def _waiver(w, application_id: int) -> tuple[bool, str]:
    row = await Application.select(Application.fee_waived, Application.waiver_reason).where(Application.id == application_id).first()
    return row["fee_waived"], row["waiver_reason"]


async def test_the_fee_of_a_stall_is_waived_with_a_reason_and_taken_back(huayang):
    w = huayang
    _, day_id, ids = await _market_with_stalls(w, **MONEY)
    day_page = f"{PAGES}/days/{day_id}"
    waive = f"{PAGES}/applications/{ids['张伟']}/waiver"
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        assert "减免费用的原因" in (await admin.get(day_page)).text
        for reason in ("", "  ", "低" * 201):
            bad = await post_form(admin, waive, {"waived": "yes", "reason": reason}, day_page)
            assert bad.status_code == 400, reason
            assert "请写明减免原因（例如低保家庭减免），最多200字。" in bad.text
        assert await _waiver(w, ids["张伟"]) == (False, "")
        done = await post_form(admin, waive, {"waived": "yes", "reason": "低" * 200}, day_page)
        assert (done.status_code, done.headers["location"]) == (303, f"{day_page}?done=waived#a{ids['张伟']}")
        assert await _waiver(w, ids["张伟"]) == (True, "低" * 200)
        done = await post_form(admin, waive, {"waived": "yes", "reason": "低保家庭减免"}, day_page)
        page = await admin.get(done.headers["location"])
        assert "这个摊位的费用已减免。" in page.text and "已减免：低保家庭减免" in page.text and "撤销减免" in page.text
        back = await post_form(admin, waive, {"waived": "no"}, day_page)
        assert back.headers["location"] == f"{day_page}?done=unwaived#a{ids['张伟']}"
    assert await _waiver(w, ids["张伟"]) == (False, "")


async def test_a_market_without_a_fee_has_nothing_to_waive_and_grid_staff_cannot_waive(huayang):
    w = huayang
    _, day_id, ids = await _market_with_stalls(w, ("王秀英",))
    day_page = f"{PAGES}/days/{day_id}"
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        assert "减免费用的原因" not in (await admin.get(day_page)).text
        refused = await post_form(admin, f"{PAGES}/applications/{ids['王秀英']}/waiver", {"reason": "低保"}, day_page)
        assert refused.status_code == 409
        assert "这个市集不收摊位费或爱心捐赠，没有可减免的。" in refused.text
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await post_form(worker, f"{PAGES}/applications/{ids['王秀英']}/waiver", {"reason": "低保"}, day_page)).status_code == 403
    assert await _waiver(w, ids["王秀英"]) == (False, "")


# -- the public statement (公示) -----------------------------------------------------------------------------


async def test_the_statement_page_shows_prints_and_publishes_a_held_day(huayang):
    w = huayang
    _, day_id, ids = await _market_with_stalls(w, **MONEY)
    statement = f"{PAGES}/days/{day_id}/statement"
    async with w.client("community_admin") as api:
        await api.put(f"{API}/applications/{ids['张伟']}/waiver", json={"reason": "低保家庭减免"})
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        early = await admin.get(statement)
        assert early.status_code == 200
        assert "市集日举办以后才能出公示。" in early.text and "发布公示" not in early.text
        w.at(2026, 3, 14, 11, 40)
        async with w.client("grid_worker") as worker:
            await worker.put(f"{API}/applications/{ids['王秀英']}/proceeds", json={"amount": "128.50"})
            await worker.put(f"{API}/applications/{ids['李建国']}/proceeds", json={"amount": "66"})
        assert f'href="{statement}"' in (await admin.get(f"{PAGES}/days/{day_id}")).text
        page = await admin.get(statement)
        figures = dict(re.findall(r'<span class="value">(.*?)</span><span class="label">(.*?)</span>', page.text))
        assert {label: value for value, label in figures.items()} == {
            "合计金额（元）": "214.50", "摊位": "3", "缴费摊位": "2", "减免摊位": "1"}
        assert ("睦邻善市公益市集（义卖）3月14日（周六）在华阳社区党群服务中心广场举办，共3个摊位。爱心捐赠每摊10.00元，2个摊位缴纳，共20.00元；"
                "减免1个摊位。义卖所得194.50元。以上款项合计214.50元，由济阳区慈善总会接收，用于华阳社区困难家庭学生助学。欢迎居民监督。") in page.text
        assert "还没有发布。" in page.text and "打印" in page.text
        done = await post_form(admin, statement, {}, statement)
        assert (done.status_code, done.headers["location"]) == (303, f"{statement}?done=published")
        page = await admin.get(done.headers["location"])
        assert "公示已发布，已通过站内消息告知当天的摊主。" in page.text and "更正后重新发布" in page.text
    row = await MarketDay.select(MarketDay.statement, MarketDay.statement_published_at).where(MarketDay.id == day_id).first()
    assert row["statement"].startswith("睦邻善市公益市集（义卖）3月14日（周六）") and row["statement_published_at"] is not None
    await w.drain()
    for name, address in (("王秀英", "王秀英阿姨"), ("李建国", "李建国叔叔"), ("张伟", "张伟叔叔")):
        assert [m["body"] for m in await w.inbox(name) if "欢迎居民监督" in m["body"]] == [
            f"尊敬的{address}：\n{row['statement']}\n——华阳社区居民委员会"], name
    assert [m["body"] for m in await w.inbox("赵丽") if "欢迎居民监督" in m["body"]] == []  # not a stallholder


async def test_the_statement_of_a_free_clinic_counts_people_served(huayang):
    w = huayang
    _, day_id, ids = await _market_with_stalls(w, ("王秀英",), kind="free_clinic")
    w.at(2026, 3, 14, 12, 0)
    async with w.client("grid_worker") as worker:
        await worker.put(f"{API}/applications/{ids['王秀英']}/proceeds", json={"people_served": 46})
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES}/days/{day_id}/statement")
    figures = {label: value for value, label in re.findall(r'<span class="value">(.*?)</span><span class="label">(.*?)</span>', page.text)}
    assert figures == {"服务人次": "46", "摊位": "1"}
    assert "睦邻善市公益市集（义诊）3月14日（周六）在华阳社区党群服务中心广场举办，共1个摊位。共服务居民46人次。欢迎居民监督。" in page.text


async def test_a_statement_without_a_receiving_charity_is_not_published_and_who_may_do_what(huayang):
    w = huayang
    _, day_id, ids = await _market_with_stalls(w, ("王秀英",))
    statement = f"{PAGES}/days/{day_id}/statement"
    w.at(2026, 3, 14, 12, 0)
    async with w.client("grid_worker") as worker:
        await worker.put(f"{API}/applications/{ids['王秀英']}/proceeds", json={"amount": "0.01"})
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        refused = await post_form(admin, statement, {}, statement)
        assert refused.status_code == 409
        assert "请先在市集设置里填写受益项目和接收善款的慈善组织：公示要写明善款由谁接收。" in refused.text
        assert (await admin.get(f"/c/{w.other_slug}/markets/days/{day_id}/statement")).status_code == 404
    leader = await w.factories.staff("grid_leader", grid_id=w.grids["A"], name="孙网格长")
    async with make_page_client(w.mh, leader["id"]) as leader:
        page = await leader.get(statement)
        assert page.status_code == 200 and "以上款项合计0.01元" in page.text and "发布公示" not in page.text
        assert (await post_form(leader, statement, {}, statement)).status_code == 403
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(statement)).status_code == 403
    row = await MarketDay.select(MarketDay.statement_published_at).where(MarketDay.id == day_id).first()
    assert row["statement_published_at"] is None
