"""The culture scene's planning pages, in process: tour plans created, shows scheduled, moved and cancelled.

Each form goes through the API's service: the rows are checked through the API with literal
values, each bad input at and beside its threshold, each role as the API allows it, and another
community's plan or show as the 404 page.
"""

from __future__ import annotations

import re
from pathlib import Path

from meihao import get_activity
from meihao.access.tables import AuditLog
from meihao.register.community_scenarios import enable
from meihao.scenarios import culture
from meihao.scenarios.culture.tables import Show, TourPlan
from meihao.testing import form_token, make_page_client
from meihao.web.console import catalogues

from .test_story import setting_the_stage

API = "/api/communities/chengguan/culture"
PAGES_AT = "/c/chengguan/culture"
SCENE_FOLDER = Path(culture.__file__).parent
CONSOLE = Path(catalogues.__file__).parent

PLAN_FORM = {"name": "2026年春季戏曲进乡村", "season_start": "2026-03-01", "season_end": "2026-04-30", "procurement_lot": "JY-XQ-2026-01",
             "organiser_staff_id": ""}


def field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="f-(\w+)-note">(.*?)</p>', html))


def notice(html: str) -> list[str]:
    return re.findall(r'<p class="notice" role="status">(.*?)</p>', html)


def value_of(html: str, name: str) -> str:
    found = re.search(rf'<input id="f-{name}" name="{name}" type="\w+" value="(.*?)"', html)
    return found.group(1) if found else ""


async def post_form(client, path: str, form: dict[str, str]):
    token = await form_token(client, f"{PAGES_AT}/plan")
    return await client.post(path, data={**form, "_csrf_token": token})


async def stage_and_form(w) -> tuple[dict, dict[str, str]]:
    """The troupe, venues and plan of the story (season 1 March – 30 April), and a show form for the square on 7 March, 19:00."""
    async with w.client("community_admin") as admin:
        stage = await setting_the_stage(w, admin)
    form = {"venue_id": str(stage["square"]["id"]), "troupe_id": str(stage["troupe"]["id"]),
            "play_id": str(stage["troupe"]["repertoire"][0]["id"]), "day": "2026-03-07", "starts_at": "19:00", "ends_at": "",
            "subsidy": ""}
    return stage, form


async def api_shows(w) -> list[dict]:
    async with w.client("community_admin") as api:
        return (await api.get(f"{API}/shows")).json()


# -- tour plans -------------------------------------------------------------------------------------------


async def test_a_plan_made_on_the_page_is_the_apis_plan(chengguan):
    w = chengguan
    admin_id = w.staff["community_admin"]["id"]
    async with make_page_client(w.mh, admin_id) as admin:
        assert (await admin.get(f"{PAGES_AT}/plans/new")).status_code == 200
        done = await post_form(admin, f"{PAGES_AT}/plans/new", {**PLAN_FORM, "organiser_staff_id": str(admin_id)})
        assert done.status_code == 303, done.text
        async with w.client("community_admin") as api:
            plans = (await api.get(f"{API}/plans")).json()
        assert done.headers["location"] == f"{PAGES_AT}/manage?done=plan_created#p{plans[0]['id']}"
        page = await admin.get(done.headers["location"])
        assert notice(page.text) == ["巡演计划已创建，现在可以安排演出场次了。"]
        assert "已安排 0 场，已演出 0 场" in page.text
    assert [(p["name"], p["season_start"], p["season_end"], p["procurement_lot"], p["organiser_staff_id"]) for p in plans] == [
        ("2026年春季戏曲进乡村", "2026-03-01", "2026-04-30", "JY-XQ-2026-01", admin_id)]


async def test_each_bad_plan_input_is_shown_at_its_field(chengguan):
    w = chengguan
    outsider = await w.factories.staff("community_admin", community="beiyuan", name="外社区主任")
    cases = [
        ("name", "", "请填写计划名称，最多100个字。"), ("name", "戏" * 101, "请填写计划名称，最多100个字。"), ("name", "戏" * 100, None),
        ("season_start", "", "请选择演出季的开始日期。"), ("season_start", "2026-02-30", "请选择演出季的开始日期。"),
        ("season_end", "2026-02-28", "演出季结束日期要填日期，而且不能早于开始日期。"), ("season_end", "2026-03-01", None),
        ("procurement_lot", "标" * 101, "采购标段最多100个字。"), ("procurement_lot", "标" * 100, None),
        ("organiser_staff_id", str(outsider["id"]), "请选择在本社区工作的工作人员。"),
    ]
    good = 0
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        for name, value, message in cases:
            audits = await AuditLog.count()
            answer = await post_form(admin, f"{PAGES_AT}/plans/new", {**PLAN_FORM, name: value})
            if message is None:
                good += 1
                assert answer.status_code == 303, (name, field_errors(answer.text))
                continue
            assert (answer.status_code, field_errors(answer.text)) == (400, {name: message}), (name, value)
            if name != "organiser_staff_id":
                assert value_of(answer.text, name) == value
            assert (await TourPlan.count(), await AuditLog.count()) == (good, audits)
    assert good == 3


# -- shows ----------------------------------------------------------------------------------------------------


async def test_a_show_scheduled_on_the_page_is_the_apis_show_with_its_reminders(chengguan):
    w = chengguan
    stage, form = await stage_and_form(w)
    plan = stage["plan"]["id"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = await admin.get(f"{PAGES_AT}/plans/{plan}/shows/new")
        assert page.status_code == 200
        assert re.findall(r'<option value="\d+">(吕剧.*?)</option>', page.text) == ["吕剧《李二嫂改嫁》 · 150 分钟", "吕剧《小姑贤》 · 120 分钟"]
        done = await post_form(admin, f"{PAGES_AT}/plans/{plan}/shows/new", {**form, "elders_first": "yes", "subsidy": "4800.50"})
        assert done.status_code == 303, field_errors(done.text)
        shows = await api_shows(w)
        assert done.headers["location"] == f"{PAGES_AT}/manage?done=show_created#s{shows[0]['id']}"
        listed = await admin.get(done.headers["location"])
        assert notice(listed.text) == ["演出已安排：场地所在网格的居民会在演出前一天和当天收到提醒。"]
    show = shows[0]
    assert {k: show[k] for k in ("venue", "troupe", "play", "day", "starts_at", "ends_at", "elders_first", "subsidy", "status")} == {
        "venue": "城关老街文化广场", "troupe": "济阳区吕剧团", "play": "李二嫂改嫁", "day": "2026-03-07", "starts_at": "2026-03-07T11:00:00Z",
        "ends_at": "2026-03-07T13:30:00Z", "elders_first": True, "subsidy": "4800.50", "status": "scheduled"}
    activity = await get_activity(show["activity_id"])
    assert (activity["title"], activity["audience"], activity["reminder_offsets"]) == (
        "戏曲进社区·吕剧《李二嫂改嫁》", {"grids": sorted([w.grids["A"], w.grids["B"]])}, [1440, 180])


async def test_each_bad_show_input_is_shown_at_its_field(chengguan):
    w = chengguan
    stage, form = await stage_and_form(w)
    async with w.client("community_admin") as api:
        other_troupe = (await api.post(f"{API}/troupes", json={"name": "章丘梆子剧团", "repertoire": [
            {"title": "墙头记", "genre": "山东梆子", "duration_minutes": 90}]})).json()
    w.at(2026, 3, 2, 8, 0)
    cases = [
        ({"day": "2026-05-01"}, {"starts_at": "演出日期要在这个计划的演出季之内。"}),
        ({"day": "2026-03-02", "starts_at": "08:00"}, {"starts_at": "演出要提前安排：请选择还没到的日期和时间。"}),  # now
        ({"day": "2026-03-02", "starts_at": "07:59"}, {"starts_at": "演出要提前安排：请选择还没到的日期和时间。"}),
        ({"starts_at": "7pm"}, {"starts_at": "请按“时:分”填写开演时间，例如 19:00。"}),
        ({"day": ""}, {"day": "请选择演出日期。"}),
        ({"ends_at": "19:00"}, {"ends_at": "结束时间要晚于开演时间，并且在同一天（按“时:分”填写，例如 21:30）。"}),
        ({"ends_at": "18:59"}, {"ends_at": "结束时间要晚于开演时间，并且在同一天（按“时:分”填写，例如 21:30）。"}),
        ({"play_id": str(other_troupe["repertoire"][0]["id"])}, {"play_id": "请选择所选剧团能演的剧目。"}),
        ({"play_id": ""}, {"play_id": "请选择所选剧团能演的剧目。"}),
        ({"venue_id": ""}, {"venue_id": "请选择您负责范围内的演出场地。"}),
        ({"venue_id": "999999"}, {"venue_id": "请选择您负责范围内的演出场地。"}),
        ({"venue_id": "-1"}, {"venue_id": "请选择您负责范围内的演出场地。"}),  # no minus here
        ({"venue_id": "1234567890"}, {"venue_id": "请选择您负责范围内的演出场地。"}),  # ten digits
        ({"venue_id": "一"}, {"venue_id": "请选择您负责范围内的演出场地。"}),
        ({"day": "2026-02-30"}, {"day": "请选择演出日期。"}),
        ({"starts_at": "24:00"}, {"starts_at": "请按“时:分”填写开演时间，例如 19:00。"}),
        ({"ends_at": "21:60"}, {"ends_at": "结束时间要晚于开演时间，并且在同一天（按“时:分”填写，例如 21:30）。"}),
        ({"troupe_id": "999999"}, {"troupe_id": "请选择剧团。"}),
        ({"subsidy": "-1"}, {"subsidy": "请填写补贴金额（元），例如 5000 或 4800.50；不填则按社区设置。"}),
        ({"subsidy": "12.345"}, {"subsidy": "请填写补贴金额（元），例如 5000 或 4800.50；不填则按社区设置。"}),
        ({"subsidy": "五千"}, {"subsidy": "请填写补贴金额（元），例如 5000 或 4800.50；不填则按社区设置。"}),
    ]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        path = f"{PAGES_AT}/plans/{stage['plan']['id']}/shows/new"
        for changes, expected in cases:
            answer = await post_form(admin, path, {**form, **changes})
            assert (answer.status_code, field_errors(answer.text)) == (400, expected), changes
            assert value_of(answer.text, "starts_at") == changes.get("starts_at", "19:00")
        assert await Show.count() == 0
        for changes in ({"day": "2026-03-02", "starts_at": "08:01"}, {"day": "2026-04-30", "ends_at": "19:01"}, {"subsidy": "0"}):
            assert (await post_form(admin, path, {**form, **changes})).status_code == 303, changes
    assert [(s["starts_at"], s["ends_at"], s["subsidy"]) for s in await api_shows(w)] == [
        ("2026-03-02T00:01:00Z", "2026-03-02T02:31:00Z", "0.00"), ("2026-03-07T11:00:00Z", "2026-03-07T13:30:00Z", "0.00"),
        ("2026-04-30T11:00:00Z", "2026-04-30T11:01:00Z", "0.00")]


async def test_moving_and_cancelling_a_show(chengguan):
    w = chengguan
    stage, form = await stage_and_form(w)
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        await post_form(admin, f"{PAGES_AT}/plans/{stage['plan']['id']}/shows/new", form)
        show_id = (await api_shows(w))[0]["id"]
        edit = await admin.get(f"{PAGES_AT}/shows/{show_id}/edit")
        assert [value_of(edit.text, n) for n in ("day", "starts_at", "ends_at")] == ["2026-03-07", "19:00", "21:30"]
        for changes, expected in (({"day": "2026-03-01", "starts_at": "19:00"}, {"starts_at": "演出要提前安排：请选择还没到的日期和时间。"}),
                                  ({"ends_at": "18:00"}, {"ends_at": "结束时间要晚于开演时间，并且在同一天（按“时:分”填写，例如 21:30）。"})):
            bad = await post_form(admin, f"{PAGES_AT}/shows/{show_id}/edit", {"day": "2026-03-07", "starts_at": "19:00", "ends_at": "", **changes})
            assert (bad.status_code, field_errors(bad.text)) == (400, expected)
        moved = await post_form(admin, f"{PAGES_AT}/shows/{show_id}/edit", {"day": "2026-03-08", "starts_at": "19:30", "ends_at": ""})
        assert (moved.status_code, moved.headers["location"]) == (303, f"{PAGES_AT}/manage?done=show_moved#s{show_id}")
        assert notice((await admin.get(moved.headers["location"])).text) == ["演出时间已改：还没发出的提醒会按新时间发送。"]
        show = (await api_shows(w))[0]
        assert (show["day"], show["starts_at"], show["ends_at"]) == ("2026-03-08", "2026-03-08T11:30:00Z", "2026-03-08T14:00:00Z")
        activity = await get_activity(show["activity_id"])
        assert (activity["starts_at"].isoformat(), activity["ends_at"].isoformat()) == ("2026-03-08T11:30:00+00:00", "2026-03-08T14:00:00+00:00")

        for reason in ("", "  ", "因" * 501):
            bad = await post_form(admin, f"{PAGES_AT}/shows/{show_id}/cancel", {"reason": reason})
            assert (bad.status_code, field_errors(bad.text)) == (400, {"reason": "请说明取消演出的原因，最多500个字。"}), len(reason)
            assert "演出没有取消：请修改下面标出的内容。" in bad.text
        assert (await api_shows(w))[0]["status"] == "scheduled"
        cancelled = await post_form(admin, f"{PAGES_AT}/shows/{show_id}/cancel", {"reason": "因" * 500})
        assert (cancelled.status_code, cancelled.headers["location"]) == (303, f"{PAGES_AT}/manage?done=show_cancelled#s{show_id}")
        show = (await api_shows(w))[0]
        assert (show["status"], show["cancel_reason"]) == ("cancelled", "因" * 500)
        assert (await get_activity(show["activity_id"]))["status"] == "cancelled"
        closed = await admin.get(f"{PAGES_AT}/shows/{show_id}/edit")
        assert re.findall(r'<p class="alert" role="alert">(.*?)</p>', closed.text) == ["这场演出已经演过或已取消，不能再修改。"]
        late = await post_form(admin, f"{PAGES_AT}/shows/{show_id}/edit", {"day": "2026-03-09", "starts_at": "19:00"})
        assert late.status_code == 409
    assert (await api_shows(w))[0]["day"] == "2026-03-08"


# -- who may ---------------------------------------------------------------------------------------------------------


async def test_each_role_plans_as_the_api_allows_and_another_communitys_plan_is_not_found(chengguan):
    w = chengguan
    stage, form = await stage_and_form(w)
    plan = stage["plan"]["id"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        await post_form(admin, f"{PAGES_AT}/plans/{plan}/shows/new", form)
    show_id = (await api_shows(w))[0]["id"]
    gets = ["manage", "plans/new", f"plans/{plan}/shows/new", f"shows/{show_id}/edit"]
    posts = {"plans/new": PLAN_FORM, f"plans/{plan}/shows/new": form, f"shows/{show_id}/edit": {"day": "2026-03-09", "starts_at": "19:00"},
             f"shows/{show_id}/cancel": {"reason": "测试"}}
    # culture.manage: the community's admins and the street's; the grid team reads the plan but does not plan
    for who, status in (("street_admin", 200), ("community_admin", 200), ("leader_c", 403), ("grid_worker", 403)):
        async with make_page_client(w.mh, w.staff[who]["id"]) as client:
            assert [(await client.get(f"{PAGES_AT}/{p}")).status_code for p in gets] == [status] * 4, who
            plan_page = (await client.get(f"{PAGES_AT}/plan")).text
            assert plan_page.count(f'href="{PAGES_AT}/manage"') == (1 if status == 200 else 0), who
            if status == 403:
                token = await form_token(client, f"{PAGES_AT}/plan")
                answers = [(await client.post(f"{PAGES_AT}/{p}", data={**f, "_csrf_token": token})).status_code for p, f in posts.items()]
                assert answers == [403] * 4, who
    assert (await TourPlan.count(), await Show.count()) == (1, 1)
    assert [(s["day"], s["status"]) for s in await api_shows(w)] == [("2026-03-07", "scheduled")]

    await enable(w.mh, "beiyuan", "culture", {})
    async with w.client("street_admin") as street:
        theirs = (await street.post("/api/communities/beiyuan/culture/plans", json={**PLAN_FORM, "organiser_staff_id": None})).json()
    async with make_page_client(w.mh, w.staff["street_admin"]["id"]) as street:
        token = await form_token(street, f"{PAGES_AT}/plan")
        hidden = [await street.get(f"{PAGES_AT}/plans/{theirs['id']}/shows/new"),
                  await street.post(f"{PAGES_AT}/plans/{theirs['id']}/shows/new", data={**form, "_csrf_token": token})]
        missing = await street.get(f"{PAGES_AT}/plans/999999/shows/new")
        assert [r.status_code for r in hidden] == [404, 404]
        assert hidden[0].text.replace(f"/{theirs['id']}/", "/N/") == missing.text.replace("/999999/", "/N/")
        for path in ("shows/999999/edit",):
            assert (await street.get(f"{PAGES_AT}/{path}")).status_code == 404
    assert await Show.count() == 1


async def test_the_pages_read_in_english_too_and_the_catalogue_is_complete(chengguan):
    w = chengguan
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        admin.cookies.set("meihao_lang", "en")
        bad = await post_form(admin, f"{PAGES_AT}/plans/new", {**PLAN_FORM, "season_end": "2026-02-01"})
        assert re.findall(r"<h1>(.*?)</h1>", bad.text) == ["New tour plan"]
        assert field_errors(bad.text) == {"season_end": "The season ends on a date, not before it starts."}
    assert catalogues.untranslated(SCENE_FOLDER, also=[CONSOLE]) == {}
    assert catalogues.untranslatable(SCENE_FOLDER) == {}


async def test_changing_a_plan_keeps_its_shows_inside_the_season(chengguan):
    w = chengguan
    stage, form = await stage_and_form(w)
    plan = stage["plan"]["id"]
    path = f"{PAGES_AT}/plans/{plan}/edit"
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        await post_form(admin, f"{PAGES_AT}/plans/{plan}/shows/new", form)  # 7 March
        page = await admin.get(path)
        assert [value_of(page.text, n) for n in ("name", "season_start", "season_end")] == ["2026年春季戏曲进乡村", "2026-03-01", "2026-04-30"]
        base = {"name": "2026年春季送戏下乡", "season_start": "2026-03-01", "season_end": "2026-04-30", "procurement_lot": "JY-XQ-2026-02"}
        for changes, expected in (({"season_start": "2026-03-08"}, {"season_start": "这个计划有演出不在这个演出季内：请先给这些演出改期或取消。"}),
                                  ({"season_end": "2026-02-28"}, {"season_end": "演出季结束日期要填日期，而且不能早于开始日期。"}),
                                  ({"season_start": "2026-03-01", "season_end": "2026-03-06"},
                                   {"season_end": "这个计划有演出不在这个演出季内：请先给这些演出改期或取消。"})):
            bad = await post_form(admin, path, {**base, **changes})
            assert (bad.status_code, field_errors(bad.text)) == (400, expected), changes
        saved = await post_form(admin, path, {**base, "season_start": "2026-03-07", "season_end": "2026-03-07"})
        assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGES_AT}/manage?done=plan_saved#p{plan}")
        assert notice((await admin.get(saved.headers["location"])).text) == ["巡演计划已保存。"]
    async with w.client("community_admin") as api:
        got = (await api.get(f"{API}/plans/{plan}")).json()
        assert (got["name"], got["season_start"], got["season_end"], got["procurement_lot"], got["shows"]) == (
            "2026年春季送戏下乡", "2026-03-07", "2026-03-07", "JY-XQ-2026-02", 1)
    async with w.client("grid_worker") as api:
        assert (await api.patch(f"{API}/plans/{plan}", json={"name": "x"})).status_code == 403
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(path)).status_code == 403
