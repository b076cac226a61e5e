"""Issue 16's market rules: where the money goes and its 公示, stall fees and waivers, free-service stalls, reminder
text by the market's type, no weekend market on an adjusted working day (skip or move), home-made food, the per-stall
typo guard, and ``GET /markets`` with its coming days."""

from __future__ import annotations

from datetime import date, timezone

import pytest

from meihao import get_activity
from meihao.scenarios.markets.jobs import close_applications
from meihao.scenarios.markets.services.reminders import render, stallholders
from meihao.scenarios.markets.tables import MarketDay, Proceeds
from meihao.testing import form_token, make_page_client

P = "/api/communities/huayang/markets"
MONTHLY = {"venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-01", "opens_at": "09:00",
           "closes_at": "11:30"}
MONEY = {"money": "contribution", "fee": "10", "beneficiary": "华阳社区困难家庭学生助学", "receiving_charity": "济阳区慈善总会"}


async def _market(w, **fields) -> dict:
    async with w.client("community_admin") as admin:
        created = await admin.post(f"{P}/markets", json={**MONTHLY, **fields})
    assert created.status_code == 201, created.text
    return created.json()


async def _settings(w, **settings) -> None:
    async with w.client() as street:
        response = await street.put("/api/communities/huayang/scenarios/markets", json={"settings": settings})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("fields", "field"), [
    ({"money": "contribution", "fee": "10", "receiving_charity": "济阳区慈善总会"}, "beneficiary"),
    ({"money": "contribution", "fee": "10", "beneficiary": "助学"}, "receiving_charity"),
    ({**MONEY, "receiving_charity": "华阳社区居民委员会"}, "receiving_charity"),
    ({**MONEY, "receiving_charity": "华阳社区居委会"}, "receiving_charity"),
    ({"money": "stall_fee", "fee": "0", "beneficiary": "助学", "receiving_charity": "济阳区慈善总会"}, "fee"),
    ({"money": "none", "fee": "5"}, "fee"),
    ({"receiving_charity": "城关村村民委员会"}, "receiving_charity"),
])
async def test_where_the_money_goes_is_said_and_is_never_the_residents_committee(huayang, fields, field):
    async with huayang.client("community_admin") as admin:
        response = await admin.post(f"{P}/markets", json={**MONTHLY, **fields})
    assert (response.status_code, response.json()["field"]) == (400, field)
    assert await MarketDay.count() == 0


async def test_a_market_taking_a_contribution_keeps_where_it_goes(huayang):
    market = await _market(huayang, **MONEY)
    assert {k: market[k] for k in ("kind", "money", "fee", "beneficiary", "receiving_charity", "rest_day_policy", "home_made_food")} == {
        "kind": "charity_sale", "money": "contribution", "fee": "10.00", "beneficiary": "华阳社区困难家庭学生助学",
        "receiving_charity": "济阳区慈善总会", "rest_day_policy": "skip", "home_made_food": "approval"}
    async with huayang.client("community_admin") as admin:
        changed = await admin.patch(f"{P}/markets/{market['id']}", json={"receiving_charity": "华阳居委会"})
        assert (changed.status_code, changed.json()["field"]) == (400, "receiving_charity")
        changed = await admin.patch(f"{P}/markets/{market['id']}", json={"receiving_charity": "济南市慈善总会"})
        assert changed.json()["receiving_charity"] == "济南市慈善总会"


async def _held_day_with_stalls(w, market: dict, names=("王秀英", "李建国", "张伟")) -> tuple[int, dict[str, int]]:
    day_id = market["next_days"][0]["id"]
    ids = {}
    async with w.client("grid_worker") as worker, w.client("community_admin") as admin:
        for name in names:
            applied = await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": w.residents[name]["id"], "goods": "手工皂"})
            assert applied.status_code == 201, applied.text
            ids[name] = applied.json()["id"]
            assert (await admin.post(f"{P}/applications/{ids[name]}/approve")).json()["status"] == "approved"
    return day_id, ids


async def test_waivers_and_the_public_statement_after_the_market(huayang):
    w = huayang
    market = await _market(w, **MONEY)
    day_id, ids = await _held_day_with_stalls(w, market)
    async with w.client("community_admin") as admin, w.client("grid_worker") as worker:
        no_reason = await admin.put(f"{P}/applications/{ids['张伟']}/waiver", json={"reason": " "})
        assert (no_reason.status_code, no_reason.json()["field"]) == (400, "reason")
        assert (await worker.put(f"{P}/applications/{ids['张伟']}/waiver", json={"reason": "低保家庭"})).status_code == 403
        waived = await admin.put(f"{P}/applications/{ids['张伟']}/waiver", json={"reason": "低保家庭减免"})
        assert (waived.json()["fee_waived"], waived.json()["waiver_reason"]) == (True, "低保家庭减免")
        early = await admin.get(f"{P}/days/{day_id}/statement")
        assert (early.status_code, early.json()["field"]) == (409, "status")  # not before the market is held
        w.at(2026, 3, 14, 11, 40)
        assert (await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"amount": "128.50"})).status_code == 200
        assert (await worker.put(f"{P}/applications/{ids['李建国']}/proceeds", json={"amount": 66})).status_code == 200
        statement = (await admin.get(f"{P}/days/{day_id}/statement")).json()
        assert {k: statement[k] for k in ("stalls", "paying_stalls", "waived_stalls", "fees", "proceeds", "total", "people_served")} == {
            "stalls": 3, "paying_stalls": 2, "waived_stalls": 1, "fees": "20.00", "proceeds": "194.50", "total": "214.50", "people_served": 0}
        assert statement["text"] == (
            "睦邻善市公益市集（义卖）3月14日（周六）在华阳社区党群服务中心广场举办，共3个摊位。"
            "爱心捐赠每摊10.00元，2个摊位缴纳，共20.00元；减免1个摊位。义卖所得194.50元。"
            "以上款项合计214.50元，由济阳区慈善总会接收，用于华阳社区困难家庭学生助学。欢迎居民监督。")
        assert statement["published_at"] is None
        published = await admin.post(f"{P}/days/{day_id}/statement")
        assert published.status_code == 200 and published.json()["published_at"] is not None
        assert (await admin.get(f"{P}/days/{day_id}")).json()["statement_published_at"] == published.json()["published_at"]
        row = await MarketDay.select(MarketDay.statement).where(MarketDay.id == day_id).first()
        assert row["statement"] == statement["text"]


async def test_a_charity_sale_without_a_receiving_charity_cannot_publish_its_statement(huayang):
    w = huayang
    market = await _market(w)
    day_id, ids = await _held_day_with_stalls(w, market, ("王秀英",))
    async with w.client("community_admin") as admin:
        waiver = await admin.put(f"{P}/applications/{ids['王秀英']}/waiver", json={"reason": "低保"})
        assert (waiver.status_code, waiver.json()["field"]) == (409, "waived")  # no fee to waive
        w.at(2026, 3, 14, 12, 0)
        assert (await admin.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"amount": "0.01"})).status_code == 200
        refused = await admin.post(f"{P}/days/{day_id}/statement")
        assert (refused.status_code, refused.json()["field"]) == (409, "receiving_charity")
        assert (await admin.get(f"{P}/days/{day_id}/statement")).json()["text"].endswith("以上款项合计0.01元，接收的慈善组织和受益项目尚未登记。欢迎居民监督。")
        await admin.patch(f"{P}/markets/{market['id']}", json={"beneficiary": "社区助老食堂", "receiving_charity": "济阳区慈善总会"})
        assert (await admin.post(f"{P}/days/{day_id}/statement")).status_code == 200


@pytest.mark.parametrize(("amount", "status"), [("1999.99", 200), ("2000", 200), ("2000.01", 400), ("100000", 400)])
async def test_the_per_stall_typo_guard_is_in_the_thousands(huayang, amount, status):
    w = huayang
    market = await _market(w)
    _, ids = await _held_day_with_stalls(w, market, ("王秀英",))
    w.at(2026, 3, 14, 12, 0)
    async with w.client("grid_worker") as worker:
        response = await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"amount": amount})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["field"] == "amount"


@pytest.mark.parametrize(("amount", "status"), [("3000", 200), ("3000.01", 400)])
async def test_the_typo_guard_is_a_setting(huayang, amount, status):
    w = huayang
    await _settings(w, max_proceeds_per_stall_yuan=3000)
    market = await _market(w)
    _, ids = await _held_day_with_stalls(w, market, ("王秀英",))
    w.at(2026, 3, 14, 12, 0)
    async with w.client("grid_worker") as worker:
        assert (await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"amount": amount})).status_code == status


@pytest.mark.parametrize(("served", "status"), [(0, 200), (2000, 200), (2001, 400), (-1, 400)])
async def test_free_service_stalls_record_people_served_not_yuan(huayang, served, status):
    w = huayang
    market = await _market(w, kind="free_clinic")
    day_id, ids = await _held_day_with_stalls(w, market, ("王秀英",))
    w.at(2026, 3, 14, 12, 0)
    async with w.client("grid_worker") as worker, w.client("community_admin") as admin:
        yuan = await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"amount": "10"})
        assert (yuan.status_code, yuan.json()["field"]) == (400, "amount")
        response = await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"people_served": served})
        assert response.status_code == status, response.text
        if status == 200:
            assert (response.json()["people_served"], response.json()["amount"]) == (served, "0.00")
            summed = (await admin.get(f"{P}/markets/{market['id']}/proceeds")).json()
            assert summed["days"] == [{"market_day_id": day_id, "day": "2026-03-14", "stalls": 1, "amount": "0.00", "people_served": served}]
            statement = (await admin.get(f"{P}/days/{day_id}/statement")).json()
            assert statement["text"] == f"睦邻善市公益市集（义诊）3月14日（周六）在华阳社区党群服务中心广场举办，共1个摊位。共服务居民{served}人次。欢迎居民监督。"
        else:
            assert response.json()["field"] == "people_served"


async def test_a_charity_sale_stall_does_not_record_people_served(huayang):
    w = huayang
    market = await _market(w)
    _, ids = await _held_day_with_stalls(w, market, ("王秀英",))
    w.at(2026, 3, 14, 12, 0)
    async with w.client("grid_worker") as worker:
        response = await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"people_served": 12})
        assert (response.status_code, response.json()["field"]) == (400, "people_served")
        missing = await worker.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={})
        assert (missing.status_code, missing.json()["field"]) == (400, "amount")


@pytest.mark.parametrize(("source", "text"), [
    ("markets.market:1:charity_sale", "【睦邻善市】3月14日（周六）上午9点在华阳广场开市，义卖所得全部用于社区公益，欢迎街坊邻居来逛！"),
    ("markets.market:1", "【睦邻善市】3月14日（周六）上午9点在华阳广场开市，义卖所得全部用于社区公益，欢迎街坊邻居来逛！"),
    ("markets.market:1:free_clinic", "【睦邻善市】3月14日（周六）上午9点在华阳广场开市，义诊免费，欢迎有需要的居民前来。"),
    ("markets.market:1:convenience", "【睦邻善市】3月14日（周六）上午9点在华阳广场开市，便民服务免费，欢迎居民前来。"),
    ("markets.market:1:swap", "【睦邻善市】3月14日（周六）上午9点在华阳广场开市，欢迎带上闲置物品来交换！"),
])
def test_only_a_charity_sale_says_its_proceeds_go_to_community_causes(source, text):
    activity = {"source": source, "title": "睦邻善市", "venue": "华阳广场", "when": "3月14日（周六）上午9点"}
    assert render(activity, "zh-CN") == text
    assert ("community charity" in render(activity, "en")) == source.endswith(("charity_sale", ":1"))


async def test_the_community_reminder_of_a_free_clinic_says_nothing_of_proceeds(huayang):
    market = await _market(huayang, kind="free_clinic")
    activity = await get_activity(market["activity_id"])
    assert (activity["source"], activity["description"]) == (
        f"markets.market:{market['id']}:free_clinic", "义诊免费，欢迎有需要的居民前来。Free health checks and advice.")


@pytest.mark.parametrize(("rule", "answer"), [("forbid", 400), ("approval", 201), ("allow", 201)])
async def test_home_made_food_is_flagged_and_decided_by_the_market_rule(huayang, rule, answer):
    w = huayang
    market = await _market(w, home_made_food=rule)
    day_id = market["next_days"][0]["id"]
    async with w.client("grid_worker") as worker:
        food = await worker.post(f"{P}/days/{day_id}/applications", json={
            "resident_id": w.residents["王秀英"]["id"], "goods": "自制酱菜", "home_made_food": True})
        assert food.status_code == answer, food.text
        other = await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": w.residents["李建国"]["id"], "goods": "旧书"})
        assert other.json()["home_made_food"] is False
    if answer == 400:
        assert food.json()["field"] == "home_made_food"
        return
    assert food.json()["home_made_food"] is True
    w.at(2026, 3, 12, 9, 0)  # applications close: the undecided are decided in order, home-made food only where allowed
    await close_applications(meihao=w.mh, community=w.community, now=w.clock.now())
    async with w.client("community_admin") as admin:
        decided = {a["goods"]: a["status"] for a in (await admin.get(f"{P}/days/{day_id}/applications")).json()}
    assert decided == {"自制酱菜": "pending" if rule == "approval" else "approved", "旧书": "approved"}


async def test_get_markets_fills_next_days_like_the_single_market(huayang):
    w = huayang
    first = await _market(w)
    second = await _market(w, name="便民专场", rrule="FREQ=WEEKLY;BYDAY=SU", kind="convenience")
    async with w.client("grid_worker") as worker:
        listed = (await worker.get(f"{P}/markets")).json()
        single = [(await worker.get(f"{P}/markets/{m['id']}")).json() for m in (first, second)]
    assert listed == single
    assert [d["day"] for d in listed[0]["next_days"]] == ["2026-03-14", "2026-04-11"]
    assert [d["day"] for d in listed[1]["next_days"]] == ["2026-03-08", "2026-03-15", "2026-03-22"]


# -- weekend markets and adjusted working days (调休上班) ------------------------------------------------------------
# 2026: Saturday 9 May is a make-up workday for 劳动节 (1-5 May off); Sunday 10 May is an ordinary rest day.
# Sunday 4 January is a make-up workday for 元旦 (1-3 January off); the next ordinary rest day is Saturday 10 January,
# six days on.


async def _days(w, market_id: int) -> list[tuple[str, str, str | None, str]]:
    async with w.client("community_admin") as admin:
        days = (await admin.get(f"{P}/markets/{market_id}/days")).json()
    return [(d["day"], d["status"], d["moved_from"], d["cancel_reason"]) for d in days]


async def test_a_saturday_market_skips_an_adjusted_working_saturday(huayang):
    w = huayang
    w.at(2026, 4, 20, 10, 0)
    market = await _market(w, rrule="FREQ=WEEKLY;BYDAY=SA", first_day="2026-05-01", until="2026-05-31")
    assert await _days(w, market["id"]) == [  # 2 May is a holiday (the kernel's holiday policy skips it)
        ("2026-05-09", "cancelled", None, "5月9日（周六）调休上班，本次市集不举办"),
        ("2026-05-16", "open", None, ""), ("2026-05-23", "open", None, ""), ("2026-05-30", "open", None, "")]
    day = await MarketDay.select().where(MarketDay.market == market["id"], MarketDay.day == date(2026, 5, 9)).first()
    assert day["occurrence"] in (await get_activity(market["activity_id"]))["exdates"]  # nobody is reminded
    assert day["stall_occurrence"] in (await get_activity(market["stall_activity_id"]))["exdates"]


async def test_a_saturday_market_moves_to_the_sunday_after_an_adjusted_working_saturday(huayang):
    w = huayang
    w.at(2026, 4, 20, 10, 0)
    await _settings(w, rest_day_policy="move")
    market = await _market(w, rrule="FREQ=WEEKLY;BYDAY=SA", first_day="2026-05-01", until="2026-05-31")
    assert market["rest_day_policy"] == "move"
    assert (await _days(w, market["id"]))[:2] == [("2026-05-10", "open", "2026-05-09", ""), ("2026-05-16", "open", None, "")]
    moved = await MarketDay.select().where(MarketDay.market == market["id"], MarketDay.day == date(2026, 5, 10)).first()
    own, own_stall = await get_activity(moved["own_activity"]), await get_activity(moved["own_stall_activity"])
    assert own["starts_at"].astimezone(w.tz).isoformat() == "2026-05-10T09:00:00+08:00"
    assert own_stall["starts_at"].astimezone(w.tz).isoformat() == "2026-05-10T08:00:00+08:00"
    assert (own["rrule"], own["source"]) == ("", f"markets.market:{market['id']}:charity_sale")
    # the moved day's stallholders are reminded through its own activity, not the market's
    w.at(2026, 5, 1, 10, 0)
    async with w.client("grid_worker") as worker, w.client("community_admin") as admin:
        applied = await worker.post(f"{P}/days/{moved['id']}/applications", json={"resident_id": w.residents["王秀英"]["id"], "goods": "绿植"})
        assert (await admin.post(f"{P}/applications/{applied.json()['id']}/approve")).json()["status"] == "approved"
    key = own_stall["starts_at"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [r["contact"] for r in await stallholders(w.community.id, moved["own_stall_activity"], key)] == [w.residents["王秀英"]["id"]]
    assert await stallholders(w.community.id, market["stall_activity_id"], moved["stall_occurrence"]) == []
    # calling the moved day off cancels its own activities
    async with w.client("community_admin") as admin:
        assert (await admin.post(f"{P}/days/{moved['id']}/cancel", json={"reason": "大风"})).json()["status"] == "cancelled"
    assert (await get_activity(moved["own_activity"]))["status"] == "cancelled"


@pytest.mark.parametrize(("within", "expected"), [
    (6, ("2026-01-10", "open", "2026-01-04", "")),
    (5, ("2026-01-04", "cancelled", None, "1月4日（周日）调休上班，本次市集不举办")),
])
async def test_a_move_goes_no_further_than_the_setting(huayang, within, expected):
    w = huayang
    w.at(2025, 12, 20, 10, 0)
    await _settings(w, rest_day_policy="move", rest_day_move_days=within)
    market = await _market(w, rrule="FREQ=WEEKLY;BYDAY=SU", first_day="2026-01-01", until="2026-01-31")
    days = await _days(w, market["id"])
    assert [d[0] for d in days] == [expected[0], "2026-01-11", "2026-01-18", "2026-01-25"]
    assert expected in days


async def test_a_weekday_market_on_a_workday_is_not_touched(huayang):
    w = huayang
    w.at(2026, 4, 20, 10, 0)
    market = await _market(w, rrule="FREQ=WEEKLY;BYDAY=FR", first_day="2026-05-06", until="2026-05-16")
    assert await _days(w, market["id"]) == [("2026-05-08", "open", None, ""), ("2026-05-15", "open", None, "")]


@pytest.mark.parametrize("settings", [{"rest_day_policy": "keep"}, {"rest_day_move_days": 0}, {"rest_day_move_days": 32},
                                      {"home_made_food": "maybe"}])
async def test_bad_rest_day_and_food_settings_are_refused(huayang, settings):
    async with huayang.client() as street:
        response = await street.put("/api/communities/huayang/scenarios/markets", json={"settings": settings})
    assert response.status_code == 400, response.text


async def test_the_day_page_records_people_served_at_a_free_clinic_and_flags_food_and_waivers(huayang):
    w = huayang
    market = await _market(w, kind="free_clinic")
    day_id, ids = await _held_day_with_stalls(w, market, ("王秀英",))
    day_page = f"/c/huayang/markets/days/{day_id}"
    w.at(2026, 3, 14, 12, 0)
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        token = await form_token(worker, day_page)
        page = await worker.get(day_page)
        assert "本摊位服务人次" in page.text and "本摊位善款（元）" not in page.text
        for typed in ("abc", "-1", "2001", "１２"):
            bad = await worker.post(f"/c/huayang/markets/applications/{ids['王秀英']}/proceeds", data={"people_served": typed, "_csrf_token": token})
            assert bad.status_code == 400, typed
            assert "请填写本摊位服务的人次，0 到 2000 之间的整数。" in bad.text
        assert await Proceeds.count() == 0
        saved = await worker.post(f"/c/huayang/markets/applications/{ids['王秀英']}/proceeds", data={"people_served": "46", "_csrf_token": token})
        assert saved.status_code == 303
        assert "服务人次：46" in (await worker.get(day_page)).text
    row = await Proceeds.select(Proceeds.amount_fen, Proceeds.people_served).first()
    assert (row["amount_fen"], row["people_served"]) == (0, 46)


async def test_the_day_page_flags_home_made_food_and_waived_fees(huayang):
    w = huayang
    market = await _market(w, **MONEY)
    day_id = market["next_days"][0]["id"]
    async with w.client("grid_worker") as worker, w.client("community_admin") as admin:
        applied = (await worker.post(f"{P}/days/{day_id}/applications", json={
            "resident_id": w.residents["王秀英"]["id"], "goods": "自制酱菜", "home_made_food": True})).json()
        await admin.put(f"{P}/applications/{applied['id']}/waiver", json={"reason": "低保家庭减免"})
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin_pages:
        page = await admin_pages.get(f"/c/huayang/markets/days/{day_id}")
    assert "自制酱菜 · 自制食品 · 已减免：低保家庭减免" in page.text
