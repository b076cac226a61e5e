"""The markets scene's setting-up pages, in process: markets created and changed, market days changed and called off, merchants registered.

Each form goes through the API's service: the rows are checked through the API with literal
values, each bad input at and beside its threshold, each role as the API allows it, and another
community's market as the 404 page.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest_asyncio

from meihao import get_activity
from meihao.access.tables import AuditLog
from meihao.register.community_scenarios import enable
from meihao.scenarios import markets
from meihao.scenarios.markets.tables import Market, MarketDay, Merchant
from meihao.testing import SceneWorld, form_token, make_page_client
from meihao.web.console import catalogues

API = "/api/communities/huayang/markets"
PAGES_AT = "/c/huayang/markets"
SCENE_FOLDER = Path(markets.__file__).parent
CONSOLE = Path(catalogues.__file__).parent

#: A whole form, as a community worker fills it in; tests change one field at a time.
MARKET_FORM = {
    "name": "睦邻善市公益市集", "venue": "华阳社区党群服务中心广场", "first_day": "2026-03-14", "repeat": "monthly_weekday", "rrule": "",
    "until": "", "opens_at": "09:00", "closes_at": "11:30", "grid_id": "", "capacity": "25", "setup_minutes": "45",
    "applications_close_hours": "72", "holiday_policy": "skip", "organiser_staff_id": "",
}


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    """华阳 with markets: grid A (陈网格 the grid worker, 孙网格长 its leader, 钱协管 part-time), grid B (吴网格), 郑主任 the admin."""
    return await SceneWorld.build(
        meihao, "markets", slug="huayang", name="华阳社区", grids={"A": "华阳小区", "B": "澄波湖畔"},
        residents={name: {"grid": grid, "birth_date": date(1975, 4, 1)} for name, grid in
                   {"王秀英": "A", "李建国": "A", "张伟": "A", "赵丽": "B"}.items()},
        staff={"grid_leader": ("grid_leader", "A", "孙网格长"), "grid_part_time": ("grid_part_time", "A", "钱协管")},
    )


def field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="f-(\w+)-note">(.*?)</p>', html))


def notice(html: str) -> list[str]:
    return re.findall(r'<p class="notice" role="status">(.*?)</p>', html)


def value_of(html: str, name: str) -> str:
    found = re.search(rf'<input id="f-{name}" name="{name}" type="\w+" value="(.*?)"', html)
    return found.group(1) if found else ""


async def post_form(client, path: str, form: dict[str, str], token_page: str | None = None):
    token = await form_token(client, token_page or f"{PAGES_AT}/markets")
    return await client.post(path, data={**form, "_csrf_token": token})


async def api_markets(w: SceneWorld) -> list[dict]:
    async with w.client("community_admin") as api:
        return (await api.get(f"{API}/markets")).json()


# -- markets -----------------------------------------------------------------------------------------


async def test_a_market_made_on_the_page_is_the_apis_market_with_its_days(world):
    w = world
    admin_id = w.staff["community_admin"]["id"]
    async with make_page_client(w.mh, admin_id) as admin:
        form = {**MARKET_FORM, "grid_id": str(w.grids["A"]), "organiser_staff_id": str(admin_id)}
        done = await post_form(admin, f"{PAGES_AT}/markets/new", form)
        assert done.status_code == 303, done.text
        created = await api_markets(w)
        assert done.headers["location"] == f"{PAGES_AT}/markets?done=created#m{created[0]['id']}"
        page = await admin.get(done.headers["location"])
        assert notice(page.text) == ["市集已创建，接下来几周的市集日现在可以报名了。"]
        assert re.findall(r'<a href="/c/huayang/markets/days/\d+">(.*?)</a>', page.text) == ["2026-03-14 09:00", "2026-04-11 09:00"]
    market = created[0]
    assert {k: market[k] for k in ("name", "venue", "rrule", "first_day", "until", "opens_at", "closes_at", "grid_id", "capacity",
                                   "setup_minutes", "applications_close_hours", "holiday_policy", "organiser_staff_id", "status")} == {
        "name": "睦邻善市公益市集", "venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-14",
        "until": None, "opens_at": "09:00", "closes_at": "11:30", "grid_id": w.grids["A"], "capacity": 25, "setup_minutes": 45,
        "applications_close_hours": 72, "holiday_policy": "skip", "organiser_staff_id": admin_id, "status": "active"}
    async with w.client("community_admin") as api:
        days = (await api.get(f"{API}/markets/{market['id']}/days")).json()
    assert [(d["day"], d["capacity"], d["applications_close_at"]) for d in days] == [
        ("2026-03-14", 25, "2026-03-11T01:00:00Z"), ("2026-04-11", 25, "2026-04-08T01:00:00Z")]
    assert (await get_activity(market["activity_id"]))["title"] == "睦邻善市公益市集"


async def test_left_empty_the_numbers_are_the_communitys_settings_and_the_schedules_follow_the_first_day(world):
    w = world
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        for repeat, first in (("monthly_day", "2026-03-14"), ("weekly", "2026-03-15"), ("advanced", "2026-03-07")):
            form = {**MARKET_FORM, "repeat": repeat, "first_day": first, "capacity": "", "setup_minutes": "", "applications_close_hours": "",
                    "rrule": "FREQ=MONTHLY;BYDAY=1SA,3SA" if repeat == "advanced" else "", "until": "2026-04-30"}
            assert (await post_form(admin, f"{PAGES_AT}/markets/new", form)).status_code == 303
    assert [(m["rrule"], m["capacity"], m["setup_minutes"], m["applications_close_hours"], m["until"]) for m in await api_markets(w)] == [
        ("FREQ=MONTHLY;BYMONTHDAY=14", 30, 60, 48, "2026-04-30"),
        ("FREQ=WEEKLY;BYDAY=SU", 30, 60, 48, "2026-04-30"),
        ("FREQ=MONTHLY;BYDAY=1SA,3SA", 30, 60, 48, "2026-04-30"),
    ]


#: (field, value, the message at the field; None when the value is fine): each threshold and its neighbours.
MARKET_CASES = [
    ("capacity", "0", "摊位数请填1到10000之间的整数。"), ("capacity", "1", None), ("capacity", "10000", None),
    ("capacity", "10001", "摊位数请填1到10000之间的整数。"), ("capacity", "-1", "摊位数请填1到10000之间的整数。"),
    ("capacity", "二十", "摊位数请填1到10000之间的整数。"), ("capacity", "2.5", "摊位数请填1到10000之间的整数。"),
    ("capacity", "999999999", "摊位数请填1到10000之间的整数。"), ("capacity", "1234567890", "摊位数请填1到10000之间的整数。"),  # 9 and 10 digits
    ("setup_minutes", "-1", "摆摊准备时间请填0到720之间的整数分钟（最多12小时）。"), ("setup_minutes", "0", None), ("setup_minutes", "720", None),
    ("setup_minutes", "721", "摆摊准备时间请填0到720之间的整数分钟（最多12小时）。"),
    ("applications_close_hours", "-1", "报名截止时间请填开市前0到720之间的整数小时（最多30天）。"), ("applications_close_hours", "0", None),
    ("applications_close_hours", "720", None), ("applications_close_hours", "721", "报名截止时间请填开市前0到720之间的整数小时（最多30天）。"),
    ("name", "", "请填写名称，最多100个字。"), ("name", "市" * 100, None), ("name", "市" * 101, "请填写名称，最多100个字。"),
    ("venue", "", "请填写市集举办地点，最多200个字。"), ("venue", "场" * 200, None), ("venue", "场" * 201, "请填写市集举办地点，最多200个字。"),
    ("closes_at", "09:00", "收市时间要晚于开市时间。"), ("closes_at", "09:01", None), ("closes_at", "8:30", "请按“时:分”填写时间，例如 11:30。"),
    ("opens_at", "9点", "请按“时:分”填写时间，例如 09:00。"), ("opens_at", "24:00", "请按“时:分”填写时间，例如 09:00。"),
    ("until", "2026-03-13", "结束日期要填日期，而且不能早于第一次市集。"), ("until", "2026-03-14", None),
    ("until", "2026-13-01", "结束日期要填日期，而且不能早于第一次市集。"),
    ("first_day", "", "请选择第一次市集的日期。"), ("first_day", "2026-02-30", "请选择第一次市集的日期。"),
    ("holiday_policy", "sometimes", "请选择遇到法定节假日怎么办。"), ("repeat", "yearly", "请选择市集怎样重复。"),
    ("grid_id", "abc", "请选择本社区的网格，也可以不选。"),
]


async def test_each_bad_market_input_is_shown_at_its_field_and_saves_nothing(world):
    w = world
    good = 0
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        for name, value, message in MARKET_CASES:
            audits = await AuditLog.count()
            answer = await post_form(admin, f"{PAGES_AT}/markets/new", {**MARKET_FORM, name: value})
            if message is None:
                good += 1
                assert answer.status_code == 303, (name, value, field_errors(answer.text))
                continue
            assert answer.status_code == 400, (name, value)
            assert field_errors(answer.text) == {name: message}, (name, value)
            assert '<p class="alert" role="alert">没有保存：请修改下面标出的内容。</p>' in answer.text
            if name not in ("holiday_policy", "repeat", "grid_id"):
                assert value_of(answer.text, name) == value, (name, value)  # the form comes back as it was typed
            assert value_of(answer.text, "venue") == (value if name == "venue" else "华阳社区党群服务中心广场")
            assert (await Market.count(), await AuditLog.count()) == (good, audits), (name, value)
    assert good == 10


async def test_the_schedule_grid_and_organiser_must_be_this_communitys(world):
    w = world
    other_grid = (await w.factories.place("beiyuan"))["grid_id"]
    outsider = await w.factories.staff("community_admin", community="beiyuan", name="外社区主任")
    cases = [
        ({"repeat": "advanced", "rrule": ""}, {"repeat": "这个重复规则用不了。请按这样填写：FREQ=MONTHLY;BYDAY=2SA（每月第2个周六）。"}),
        ({"repeat": "advanced", "rrule": "FREQ=MINUTELY"}, {"repeat": "这个重复规则用不了。请按这样填写：FREQ=MONTHLY;BYDAY=2SA（每月第2个周六）。"}),
        ({"grid_id": str(other_grid)}, {"grid_id": "请选择本社区的网格，也可以不选。"}),
        ({"organiser_staff_id": str(outsider["id"])}, {"organiser_staff_id": "请选择在本社区工作的工作人员。"}),
    ]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        for changes, expected in cases:
            answer = await post_form(admin, f"{PAGES_AT}/markets/new", {**MARKET_FORM, **changes})
            assert (answer.status_code, field_errors(answer.text)) == (400, expected), changes
        new_page = await admin.get(f"{PAGES_AT}/markets/new")
        # the organiser's choice lists who works in the community (and the street), not the neighbour's admin
        assert re.findall(r'<select id="f-organiser_staff_id".*?</select>', new_page.text, re.S)[0].count("<option") == 1 + 6
        assert "外社区主任" not in new_page.text
    assert await Market.count() == 0


async def test_changing_a_market_changes_its_activities_and_a_cancelled_one_cannot_change(world):
    w = world
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        await post_form(admin, f"{PAGES_AT}/markets/new", MARKET_FORM)
        market_id = (await api_markets(w))[0]["id"]
        edit = await admin.get(f"{PAGES_AT}/markets/{market_id}/edit")
        assert edit.status_code == 200
        assert [value_of(edit.text, n) for n in ("name", "venue", "capacity")] == ["睦邻善市公益市集", "华阳社区党群服务中心广场", "25"]
        assert 'name="first_day"' not in edit.text  # the schedule does not change (as MarketPatch)
        leader = str(w.staff["grid_leader"]["id"])
        for capacity, status in (("0", 400), ("10001", 400), ("", 400)):
            bad = await post_form(admin, f"{PAGES_AT}/markets/{market_id}/edit", {"name": "新名字", "venue": "新地点", "capacity": capacity})
            assert (bad.status_code, field_errors(bad.text)) == (status, {"capacity": "摊位数请填1到10000之间的整数。"})
            assert value_of(bad.text, "name") == "新名字"
        saved = await post_form(admin, f"{PAGES_AT}/markets/{market_id}/edit",
                                {"name": "华阳善市", "venue": "澄波湖畔小广场", "capacity": "40", "organiser_staff_id": leader})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGES_AT}/markets?done=market_saved#m{market_id}")
        assert notice((await admin.get(saved.headers["location"])).text) == ["市集已保存。"]
    market = (await api_markets(w))[0]
    assert (market["name"], market["venue"], market["capacity"], market["organiser_staff_id"]) == ("华阳善市", "澄波湖畔小广场", 40, int(leader))
    assert [(a["title"], a["venue"]) for a in [await get_activity(market["activity_id"]), await get_activity(market["stall_activity_id"])]] == [
        ("华阳善市", "澄波湖畔小广场"), ("华阳善市·摊主摆摊", "澄波湖畔小广场")]
    async with w.client("community_admin") as api:
        assert (await api.post(f"{API}/markets/{market_id}/cancel", json={"reason": "场地改造"})).status_code == 200
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        late = await post_form(admin, f"{PAGES_AT}/markets/{market_id}/edit", {"name": "再改", "venue": "再改", "capacity": "10"})
        assert late.status_code == 409
        assert re.findall(r'<p class="alert" role="alert">(.*?)</p>', late.text) == ["这个市集已取消，不能再修改。"]
    assert (await api_markets(w))[0]["name"] == "华阳善市"


# -- market days --------------------------------------------------------------------------------------


async def market_of_two_stalls(w: SceneWorld) -> tuple[int, int, dict[str, int]]:
    """A market of two stalls through the API; three applications for 14 March, two approved and one waiting."""
    async with w.client("community_admin") as api:
        created = (await api.post(f"{API}/markets", json={**{k: v for k, v in MARKET_FORM.items() if k in (
            "name", "venue", "first_day", "opens_at", "closes_at")}, "rrule": "FREQ=MONTHLY;BYDAY=2SA", "capacity": 2})).json()
        day_id = created["next_days"][0]["id"]
        ids = {}
        for name in ("王秀英", "李建国", "张伟"):
            ids[name] = (await api.post(f"{API}/days/{day_id}/applications", json={"resident_id": w.residents[name]["id"], "goods": "旧书"})).json()["id"]
            await api.post(f"{API}/applications/{ids[name]}/approve")
    return created["id"], day_id, ids


async def api_day(w: SceneWorld, day_id: int) -> dict:
    async with w.client("community_admin") as api:
        return (await api.get(f"{API}/days/{day_id}")).json()


async def test_more_stalls_on_a_day_promote_the_waiting_list(world):
    w = world
    market_id, day_id, _ = await market_of_two_stalls(w)
    assert [(d["approved"], d["waitlisted"]) for d in [await api_day(w, day_id)]] == [(2, 1)]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES_AT}/days/{day_id}/edit")
        assert page.status_code == 200 and value_of(page.text, "capacity") == "2"
        for capacity in ("0", "10001", "三", ""):
            bad = await post_form(admin, f"{PAGES_AT}/days/{day_id}/edit", {"capacity": capacity})
            assert (bad.status_code, field_errors(bad.text)) == (400, {"capacity": "摊位数请填1到10000之间的整数。"}), capacity
            assert value_of(bad.text, "capacity") == capacity
        assert (await api_day(w, day_id))["capacity"] == 2
        saved = await post_form(admin, f"{PAGES_AT}/days/{day_id}/edit", {"capacity": "3"})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGES_AT}/markets?done=day_saved#m{market_id}")
        assert notice((await admin.get(saved.headers["location"])).text) == ["这一场市集已保存。"]
    day = await api_day(w, day_id)
    assert (day["capacity"], day["approved"], day["waitlisted"]) == (3, 3, 0)
    async with w.client("community_admin") as api:
        other_day = (await api.get(f"{API}/markets/{market_id}/days")).json()[1]
    assert (other_day["day"], other_day["capacity"]) == ("2026-04-11", 2)  # the other day keeps the market's


async def test_calling_off_a_day_needs_a_reason_and_cancels_its_reminders_as_the_api_does(world):
    w = world
    market_id, day_id, _ = await market_of_two_stalls(w)
    market = (await api_markets(w))[0]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        for reason, status in (("", 400), ("   ", 400), ("雨" * 501, 400)):
            bad = await post_form(admin, f"{PAGES_AT}/days/{day_id}/cancel", {"reason": reason}, f"{PAGES_AT}/days/{day_id}/edit")
            assert (bad.status_code, field_errors(bad.text)) == (status, {"reason": "请说明这一场市集取消的原因，最多500个字。"}), len(reason)
            assert "这一场市集没有取消：请修改下面标出的内容。" in bad.text
        assert (await api_day(w, day_id))["status"] == "open"
        done = await post_form(admin, f"{PAGES_AT}/days/{day_id}/cancel", {"reason": "雨" * 500}, f"{PAGES_AT}/days/{day_id}/edit")
        assert (done.status_code, done.headers["location"]) == (303, f"{PAGES_AT}/markets?done=day_cancelled#m{market_id}")
        assert notice((await admin.get(done.headers["location"])).text) == ["这一场市集已取消，还没发出的提醒也已取消。"]
        again = await admin.get(f"{PAGES_AT}/days/{day_id}/edit")
        assert "这一场市集已取消或已经开始，不能再修改。" in again.text and 'name="capacity"' not in again.text
        late = await post_form(admin, f"{PAGES_AT}/days/{day_id}/edit", {"capacity": "5"}, f"{PAGES_AT}/markets")
        assert (late.status_code, field_errors(late.text)) == (409, {})
    day = await api_day(w, day_id)
    assert (day["status"], day["cancel_reason"], day["capacity"]) == ("cancelled", "雨" * 500, 2)
    # as the API: the day's occurrence is taken out of both activities, so their reminders for it are not sent
    assert (await get_activity(market["activity_id"]))["exdates"] == ["2026-03-14T01:00:00Z"]
    assert (await get_activity(market["stall_activity_id"]))["exdates"] == ["2026-03-14T00:00:00Z"]
    assert [(d["day"], d["status"]) for d in await MarketDay.select(MarketDay.day, MarketDay.status).order_by(MarketDay.day)] == [
        (date(2026, 3, 14), "cancelled"), (date(2026, 4, 11), "open")]


async def test_a_day_that_has_begun_cannot_be_changed_or_called_off(world):
    w = world
    _, day_id, _ = await market_of_two_stalls(w)
    w.at(2026, 3, 14, 9, 0)
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES_AT}/days/{day_id}/edit")
        assert re.findall(r'<p class="alert" role="alert">(.*?)</p>', page.text) == ["这一场市集已取消或已经开始，不能再修改。"]
        token = await form_token(admin, f"{PAGES_AT}/markets")
        changed = await admin.post(f"{PAGES_AT}/days/{day_id}/edit", data={"capacity": "5", "_csrf_token": token})
        called_off = await admin.post(f"{PAGES_AT}/days/{day_id}/cancel", data={"reason": "下雨", "_csrf_token": token})
        assert (changed.status_code, called_off.status_code) == (409, 409)
    day = await api_day(w, day_id)
    assert (day["status"], day["capacity"]) == ("open", 2)  # unchanged: closing it is the deadline job's


# -- merchants ------------------------------------------------------------------------------------------


async def test_a_merchant_registered_on_the_page_is_listed_masked_by_the_api(world):
    w = world
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        form = {"name": "华阳邮政便民服务站", "kind": "enterprise", "contact_name": "周经理", "contact_phone": "13912345678",
                "contact_resident_id": str(w.residents["王秀英"]["id"])}
        done = await post_form(admin, f"{PAGES_AT}/merchants/new", form, f"{PAGES_AT}/merchants")
        assert done.status_code == 303
        listed = await admin.get(done.headers["location"])
        assert notice(listed.text) == ["商户已登记。"]
        assert re.findall(r'<tr id="r\d+"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td><a href="(.*?)"', listed.text) == [
            ("华阳邮政便民服务站", "企业", "周经理", "139****5678", f"{PAGES_AT}/merchants/1/edit")]
        assert "13912345678" not in listed.text
    async with w.client("grid_worker") as api:
        assert [(m["name"], m["kind"], m["contact_name"], m["contact_phone"], m["contact_resident_id"])
                for m in (await api.get(f"{API}/merchants")).json()] == [
            ("华阳邮政便民服务站", "enterprise", "周经理", "139****5678", w.residents["王秀英"]["id"])]
    assert [r["contact_phone"] for r in await Merchant.select(Merchant.contact_phone)] == ["+8613912345678"]


async def test_bad_merchant_inputs_are_shown_at_their_field(world):
    w = world
    good = {"name": "张记果蔬", "kind": "shop", "contact_name": "", "contact_phone": "", "contact_resident_id": ""}
    cases = [
        ("name", "", "请填写名称，最多100个字。"), ("name", "店" * 101, "请填写名称，最多100个字。"),
        ("kind", "bank", "请选择商户类型。"), ("contact_name", "周" * 65, "联系人姓名最多64个字。"),
        ("contact_phone", "12345", "请填写手机号，如 13912345678；座机请带区号，如 0531 8888 8888。"),
        ("contact_phone", "电话", "请填写手机号，如 13912345678；座机请带区号，如 0531 8888 8888。"),
        ("contact_resident_id", str(w.other_resident["id"]), "本社区没有这个编号的居民：请到居民台账核对编号，或者不填。"),
        ("contact_resident_id", "abc", "本社区没有这个编号的居民：请到居民台账核对编号，或者不填。"),
    ]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        for name, value, message in cases:
            answer = await post_form(admin, f"{PAGES_AT}/merchants/new", {**good, name: value}, f"{PAGES_AT}/merchants")
            assert (answer.status_code, field_errors(answer.text)) == (400, {name: message}), (name, value)
            if name != "kind":
                assert value_of(answer.text, name) == value
        assert await Merchant.count() == 0
        for name, value in (("name", "店" * 100), ("contact_name", "周" * 64), ("contact_phone", "0531 8888 8888")):
            assert (await post_form(admin, f"{PAGES_AT}/merchants/new", {**good, name: value}, f"{PAGES_AT}/merchants")).status_code == 303
    assert sorted(r["contact_phone"] for r in await Merchant.select(Merchant.contact_phone)) == ["", "", "+8653188888888"]


# -- who may -------------------------------------------------------------------------------------------------


#: Role → (reads the markets and merchants pages, manages): as the API's markets.market.read and .manage.
ROLES = {
    "street_admin": (200, 200), "community_admin": (200, 200), "grid_leader": (200, 403), "grid_worker": (200, 403),
    "grid_part_time": (200, 403),
}


async def test_each_role_reads_and_manages_as_the_api_allows(world):
    w = world
    market_id, day_id, _ = await market_of_two_stalls(w)
    for who, (reads, manages) in ROLES.items():
        async with make_page_client(w.mh, w.staff[who]["id"]) as client:
            assert [(await client.get(f"{PAGES_AT}/{p}")).status_code for p in ("markets", "merchants")] == [reads, reads], who
            gets = ["markets/new", f"markets/{market_id}/edit", f"days/{day_id}/edit"]
            assert [(await client.get(f"{PAGES_AT}/{p}")).status_code for p in gets] == [manages] * 3, who
            listed = (await client.get(f"{PAGES_AT}/markets")).text
            assert listed.count(">新建市集</a>") == (1 if manages == 200 else 0), who
            token = await form_token(client, f"{PAGES_AT}/markets")
            posts = {"markets/new": MARKET_FORM, f"markets/{market_id}/edit": {"name": "改名", "venue": "改", "capacity": "9"},
                     f"days/{day_id}/edit": {"capacity": "9"}, f"days/{day_id}/cancel": {"reason": "测试"},
                     "merchants/new": {"name": "某店", "kind": "shop"}}
            if manages == 403:
                answers = [(await client.post(f"{PAGES_AT}/{p}", data={**f, "_csrf_token": token})).status_code for p, f in posts.items()]
                assert answers == [403] * 5, who
    assert (await Market.count(), await Merchant.count()) == (1, 0)
    assert ((await api_markets(w))[0]["name"], (await api_day(w, day_id))["status"]) == ("睦邻善市公益市集", "open")
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        no_token = await admin.post(f"{PAGES_AT}/days/{day_id}/cancel", data={"reason": "测试"})
        assert no_token.status_code == 403 and "表单已过期" in no_token.text
    assert (await api_day(w, day_id))["status"] == "open"


async def test_another_communitys_market_and_day_are_the_not_found_page(world):
    w = world
    await enable(w.mh, "beiyuan", "markets", {})
    async with w.client("street_admin") as street:
        theirs = (await street.post("/api/communities/beiyuan/markets/markets", json={
            "venue": "北苑广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-14"})).json()
    their_day = theirs["next_days"][0]["id"]
    for who in ("community_admin", "street_admin"):  # the street admin reaches beiyuan, but not through huayang's pages
        async with make_page_client(w.mh, w.staff[who]["id"]) as client:
            token = await form_token(client, f"{PAGES_AT}/markets")
            hidden = [
                await client.get(f"{PAGES_AT}/markets/{theirs['id']}/edit"),
                await client.post(f"{PAGES_AT}/markets/{theirs['id']}/edit", data={"name": "x", "venue": "x", "capacity": "3", "_csrf_token": token}),
                await client.get(f"{PAGES_AT}/days/{their_day}/edit"),
                await client.post(f"{PAGES_AT}/days/{their_day}/edit", data={"capacity": "3", "_csrf_token": token}),
                await client.post(f"{PAGES_AT}/days/{their_day}/cancel", data={"reason": "x", "_csrf_token": token}),
            ]
            missing = await client.get(f"{PAGES_AT}/markets/999999/edit")
            assert [r.status_code for r in hidden] == [404] * 5, who
            assert hidden[0].text.replace(f"/{theirs['id']}/", "/N/") == missing.text.replace("/999999/", "/N/")
    async with w.client("street_admin") as street:
        again = (await street.get(f"/api/communities/beiyuan/markets/days/{their_day}")).json()
        market = (await street.get(f"/api/communities/beiyuan/markets/markets/{theirs['id']}")).json()
    assert (again["status"], again["capacity"], market["name"], market["capacity"]) == ("open", 30, "睦邻善市公益市集", 30)


async def test_the_pages_read_in_english_too_and_the_catalogue_is_complete(world):
    w = world
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        admin.cookies.set("meihao_lang", "en")
        bad = await post_form(admin, f"{PAGES_AT}/markets/new", {**MARKET_FORM, "capacity": "0"})
        assert re.findall(r"<h1>(.*?)</h1>", bad.text) == ["New market"]
        assert field_errors(bad.text) == {"capacity": "Stalls: a whole number from 1 to 10000."}
    assert catalogues.untranslated(SCENE_FOLDER, also=[CONSOLE]) == {}
    assert catalogues.untranslatable(SCENE_FOLDER) == {}


async def test_changing_a_merchant_keeps_its_phone_unless_a_new_one_is_typed_and_an_inactive_one_cannot_apply(world):
    w = world
    async with w.client("community_admin") as api:
        merchant = (await api.post(f"{API}/merchants", json={"name": "张记果蔬", "contact_name": "张老板", "contact_phone": "13912345678"})).json()
    path = f"{PAGES_AT}/merchants/{merchant['id']}/edit"
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(path)
        assert (value_of(page.text, "name"), value_of(page.text, "contact_phone")) == ("张记果蔬", "")
        assert "现在是：139****5678。不改就不用填。" in page.text and "13912345678" not in page.text
        bad = await post_form(admin, path, {"name": "张记果蔬", "kind": "shop", "contact_phone": "12345", "active": "yes"})
        assert (bad.status_code, field_errors(bad.text)) == (400, {"contact_phone": "请填写手机号，如 13912345678；座机请带区号，如 0531 8888 8888。"})
        kept = await post_form(admin, path, {"name": "张记生鲜", "kind": "enterprise", "contact_name": "张经理", "contact_phone": ""})
        assert (kept.status_code, kept.headers["location"]) == (303, f"{PAGES_AT}/merchants?done=merchant_saved#r{merchant['id']}")
        listed = await admin.get(kept.headers["location"])
        assert notice(listed.text) == ["商户已保存。"] and "已不再参加" in listed.text
    async with w.client("community_admin") as api:
        got = (await api.get(f"{API}/merchants/{merchant['id']}")).json()
        assert (got["name"], got["kind"], got["contact_name"], got["contact_phone"], got["active"]) == (
            "张记生鲜", "enterprise", "张经理", "139****5678", False)
        market = (await api.post(f"{API}/markets", json={"venue": "广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-14"})).json()
        refused = await api.post(f"{API}/days/{market['next_days'][0]['id']}/applications", json={"merchant_id": merchant["id"], "goods": "水果"})
        assert refused.status_code == 404  # no longer applies
        again = await api.patch(f"{API}/merchants/{merchant['id']}", json={"active": True, "contact_phone": "13800138000"})
        assert (again.status_code, again.json()["contact_phone"], again.json()["active"]) == (200, "138****8000", True)
    async with w.client("grid_worker") as api:
        assert (await api.patch(f"{API}/merchants/{merchant['id']}", json={"name": "x"})).status_code == 403
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(path)).status_code == 403
        assert (await post_form(worker, path, {"name": "x", "kind": "shop"})).status_code == 403
    await enable(w.mh, "beiyuan", "markets", {})
    async with w.client("street_admin") as street:
        theirs = (await street.post("/api/communities/beiyuan/markets/merchants", json={"name": "北苑超市"})).json()
    async with make_page_client(w.mh, w.staff["street_admin"]["id"]) as street:
        assert (await street.get(f"{PAGES_AT}/merchants/{theirs['id']}/edit")).status_code == 404
        assert (await post_form(street, f"{PAGES_AT}/merchants/{theirs['id']}/edit", {"name": "x", "kind": "shop"})).status_code == 404
    assert [(r["name"], r["active"]) for r in await Merchant.select(Merchant.name, Merchant.active).order_by(Merchant.id)] == [
        ("张记生鲜", True), ("北苑超市", True)]
