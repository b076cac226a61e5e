"""The street overview (/) and a community's page (/communities/{slug}), in process, on SQLite and PostgreSQL.

The world: 荷畔社区 (hepan, elder care on, grids A and B with one resident each) and 北苑 (beiyuan,
no scene, one resident). On Monday 2 March 2026 at 12:05 in Shanghai:

- hepan: last Wednesday's elder-care talk (25 Feb 10:00) reminded its two residents an hour
  before by inbox (sent) and pager (failed: its gateway refuses everything); today's tea party (14:00)
  reminded both by inbox at 12:00 (sent); Wednesday's health talk (4 Mar) not reminded yet.
- beiyuan: today's meeting (10:00) reminded its one resident at 09:00 (sent).
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from typing import Literal

import msgspec
import pytest
import pytest_asyncio

from meihao import Channel, PermanentFailure, hookimpl
from meihao.register.communities import get_community
from meihao.register.community_scenarios import is_enabled, scenario_settings
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.testing import form_token, make_page_client
from meihao.testing.world import SceneWorld
from meihao.web.console.settings_form import error_field, read_settings, settings_fields

SHANGHAI = "Asia/Shanghai"


class Pager:
    """A channel whose gateway refuses every message: its reminders fail at once."""

    @hookimpl
    def meihao_channels(self):
        async def send(message) -> None:
            raise PermanentFailure("pager gateway refused the message")

        return [Channel("pager", "寻呼", "Pager", send, needs_address=False)]


@pytest_asyncio.fixture
async def world(make_meihao) -> SceneWorld:
    mh = await make_meihao(plugins=[("pager", Pager())])
    w = await SceneWorld.build(
        mh, "elder_care", brand_name="美好社区", other_slug="beiyuan",
        staff={"leader": ("grid_leader", "A", "孙网格长")},
    )
    w.staff["beiyuan_worker"] = await w.factories.staff("grid_worker", grid_id=w.other_resident["grid_id"], name="北苑网格员")
    w.at(2026, 2, 24, 9)
    talk = await plan(w, "hepan", "敬老讲座", datetime(2026, 2, 25, 10), [60], ["inbox", "pager"], scenario="elder_care")
    w.at(2026, 2, 25, 9, 30)
    await w.drain()
    w.at(2026, 3, 2, 8)
    tea = await plan(w, "hepan", "重阳茶话会", datetime(2026, 3, 2, 14), [120], ["inbox"], scenario="elder_care")
    health = await plan(w, "hepan", "健康讲座", datetime(2026, 3, 4, 9), [1440], ["inbox"], scenario="elder_care")
    meeting = await plan(w, "beiyuan", "北苑议事会", datetime(2026, 3, 2, 10), [60], ["inbox"])
    w.at(2026, 3, 2, 9, 5)
    await w.drain()
    w.at(2026, 3, 2, 12, 5)
    await w.drain()
    w.activities = {"talk": talk, "tea": tea, "health": health, "meeting": meeting}
    return w


async def plan(w: SceneWorld, slug: str, title: str, starts: datetime, offsets: list[int], channels: list[str], scenario: str | None = None) -> int:
    data = ActivityIn(
        scene=scenario or "neighbourhood", title=title, starts_at=starts, ends_at=starts.replace(hour=starts.hour + 2),
        venue="党群服务中心", audience={"everyone": True}, reminder_offsets=offsets, channels=channels,
    )
    return (await create_activity(w.mh, slug, data, scenario=scenario))["id"]


def sections(html: str) -> dict[str, str]:
    """Each community's part of the overview, by slug."""
    parts = re.split(r'<section class="community" aria-labelledby="c-', html)[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def figures(html: str) -> dict[str, str]:
    return dict((label, value) for value, label in re.findall(r'<span class="value">(.*?)</span><span class="label">(.*?)</span>', html))


def reminder_rows(html: str) -> list[tuple[str, ...]]:
    return re.findall(r'<tr><th scope="row">(.*?)</th><td>(\d+)</td><td>(\d+)</td><td>(?:<span class="badge tone-alert">)?(\d+)', html)


def agenda(html: str) -> list[str]:
    return re.findall(r'<a href="/activities/\d+">(.*?)</a>', html)


def bars(html: str, caption: str) -> list[str]:
    """The ``label: value`` of each bar of the chart with that caption."""
    chart = html.split(f'aria-label="{caption}"', 1)[1].split("</svg>", 1)[0]
    return re.findall(r"<title>(.*?)</title>", chart)


def h1(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html)


async def english_client(w: SceneWorld, who: str):
    client_cm = make_page_client(w.mh, w.staff[who]["id"])
    client = await client_cm.__aenter__()
    client.cookies.set("meihao_lang", "en")
    return client_cm, client


@pytest_asyncio.fixture
async def pages(world):
    """An English page client per staff member of the world (``pages("grid_worker")``)."""
    opened = []

    async def open_as(who: str):
        cm, client = await english_client(world, who)
        opened.append(cm)
        return client

    yield open_as
    for cm in opened:
        await cm.__aexit__(None, None, None)


# -- the street overview ---------------------------------------------------------------


async def test_a_street_admin_sees_the_street_and_every_community_with_literal_figures(world, pages):
    client = await pages("street_admin")
    page = await client.get("/")
    assert (page.status_code, h1(page.text)) == (200, ["Overview"])
    street = page.text.split('<div class="communities">', 1)[0]
    assert figures(street) == {
        "Communities": "2", "Scenes switched on": "1", "Activities today": "2", "Activities this week": "3",
        "Reminders sent today": "3", "Sent in the last 7 days": "5", "Failed in the last 7 days": "2", "Waiting to go out": "0",
        "Overdue items": "0",
    }
    street_chart = bars(street, "Reminders sent per day, last 14 days (whole street)")
    assert (len(street_chart), street_chart[0], street_chart[7:]) == (14, "2/17: 0", ["2/24: 0", "2/25: 2", "2/26: 0", "2/27: 0", "2/28: 0", "3/1: 0", "3/2: 3"])

    parts = sections(page.text)
    assert list(parts) == ["hepan", "beiyuan"]
    hepan = parts["hepan"]
    assert '<a href="/communities/hepan">荷畔社区</a>' in hepan and "<strong>美好社区</strong>" in hepan
    assert figures(hepan.split('<div class="scene-panels">')[0]) == {
        "Activities today": "1", "Activities this week": "2", "Waiting to go out": "0", "Overdue items": "0",
    }
    assert agenda(hepan) == ["重阳茶话会", "重阳茶话会", "健康讲座", "敬老讲座"]  # today; this week; failures
    assert f'<a href="/activities/{world.activities["tea"]}">重阳茶话会</a>' in hepan
    assert re.findall(r'<time datetime="[^"]+">(.*?)</time>', hepan) == ["14:00", "3/2 Mon 14:00", "3/4 Wed 09:00"]
    assert reminder_rows(hepan) == [("Today", "2", "2", "0"), ("Last 7 days", "6", "4", "2")]
    assert bars(hepan, "Reminders sent per day, last 14 days")[7:] == ["2/24: 0", "2/25: 2", "2/26: 0", "2/27: 0", "2/28: 0", "3/1: 0", "3/2: 2"]
    assert '<span class="badge tone-alert">2 failed</span> <a href="/activities/%d">敬老讲座</a>' % world.activities["talk"] in hepan
    # the scenes' panels come after the page, one fragment per community (htmx asks for it on load)
    assert '<div class="scene-panels" hx-get="/overview/hepan/scenes" hx-trigger="load" hx-swap="outerHTML">' in hepan
    assert "Activities per month" not in page.text and ">Elders on the register</span>" not in page.text
    panels = await client.get("/overview/hepan/scenes")
    assert panels.status_code == 200 and panels.text.lstrip().startswith('<div class="scene-panels" id="scenes-hepan">')
    assert "<html" not in panels.text  # a fragment, not a page
    assert bars(panels.text, "Activities per month, Elder care and welfare visits")[-2:] == ["Feb: 1", "Mar: 2"]
    # the scene's dashboard metrics, counted in the viewer's scope (tests/scenarios/*/test_scoped_dashboard.py)
    assert ">Elders on the register</span>" in panels.text

    beiyuan = parts["beiyuan"]
    assert figures(beiyuan) == {"Activities today": "1", "Activities this week": "1", "Waiting to go out": "0", "Overdue items": "0"}
    assert reminder_rows(beiyuan) == [("Today", "1", "1", "0"), ("Last 7 days", "1", "1", "0")]
    assert "No scene switched on." in beiyuan and 'hx-get="/overview/beiyuan/scenes"' not in beiyuan


async def test_a_grid_worker_sees_only_their_community_counted_in_their_grid(world, pages):
    client = await pages("grid_worker")  # grid A of hepan: 王秀英 only
    page = await client.get("/")
    assert page.status_code == 200
    assert "The whole street" not in page.text
    parts = sections(page.text)
    assert list(parts) == ["hepan"]
    assert "北苑" not in page.text and "beiyuan" not in page.text
    hepan = parts["hepan"]
    assert reminder_rows(hepan) == [("Today", "1", "1", "0"), ("Last 7 days", "3", "2", "1")]
    assert '<span class="badge tone-alert">1 failed</span>' in hepan
    assert bars(hepan, "Reminders sent per day, last 14 days")[-6:] == ["2/25: 1", "2/26: 0", "2/27: 0", "2/28: 0", "3/1: 0", "3/2: 1"]
    # activities are the community's (as GET /api/communities/hepan/activities answers a grid worker)
    assert figures(hepan.split('<div class="scene-panels">')[0])["Activities this week"] == "2"
    # the scenes' metrics count the grid worker's grid (meihao_metrics gets the viewer)
    assert ">Elders on the register</span>" in (await client.get("/overview/hepan/scenes")).text


async def test_a_grid_worker_of_another_community_sees_none_of_hepans_figures(world, pages):
    client = await pages("beiyuan_worker")
    page = await client.get("/")
    parts = sections(page.text)
    assert list(parts) == ["beiyuan"]
    assert "荷畔社区" not in page.text and "重阳茶话会" not in page.text and "/communities/hepan" not in page.text
    assert reminder_rows(parts["beiyuan"]) == [("Today", "1", "1", "0"), ("Last 7 days", "1", "1", "0")]
    # hepan's scene panels: the same 404 as a community that does not exist
    missing = await client.get("/overview/nowhere/scenes")
    hidden = await client.get("/overview/hepan/scenes")
    assert (hidden.status_code, hidden.text) == (missing.status_code, missing.text.replace("nowhere", "hepan"))
    assert hidden.status_code == 404 and "重阳" not in hidden.text


async def test_the_overview_is_chinese_by_default(world):
    async with make_page_client(world.mh, world.staff["community_admin"]["id"]) as client:
        page = await client.get("/")
    assert h1(page.text) == ["总览"]
    assert figures(sections(page.text)["hepan"].split('<div class="scene-panels">')[0]) == {
        "今日活动": "1", "本周活动": "2", "待发送": "0", "逾期事项": "0",
    }


# -- a community's page ----------------------------------------------------------------


async def test_the_community_page_is_chinese_by_default_with_the_scenes_own_labels(world):
    async with make_page_client(world.mh, world.staff["community_admin"]["id"]) as client:
        page = await client.get("/communities/hepan")
    assert re.findall(r"<h2 id=\"\w+-title\">(.*?)</h2>", page.text) == ["社区品牌", "场景", "网格与网格队伍"]
    assert '<label for="f-elder_care-elder_age">老年人年龄起点</label>' in page.text
    assert "默认值：60" in page.text
    assert "<dd>孙网格长</dd>" in page.text
    token = await form_token(client, "/communities/hepan")
    bad = await client.post("/communities/hepan/scenes/elder_care", data={"_csrf_token": token, "settings.elder_age": "30"})
    assert re.findall(r'<p class="error" id="f-elder_care-elder_age-note">(.*?)</p>', bad.text) == ["老年人年龄起点应在 50 到 100 岁之间。"]
    typed = await client.post("/communities/hepan/scenes/elder_care", data={"_csrf_token": token, "settings.elder_age": "abc"})
    assert re.findall(r'<p class="error" id="f-elder_care-elder_age-note">(.*?)</p>', typed.text) == ["请输入整数。"]


async def test_a_community_page_shows_brand_scenes_and_the_grid_teams(world, pages):
    client = await pages("community_admin")
    page = await client.get("/communities/hepan")
    assert (page.status_code, h1(page.text)) == (200, ["荷畔社区"])
    assert 'name="brand_name" type="text" value="美好社区"' in page.text
    on = re.findall(r'<h3 id="scene-(\w+)-title">.*?</h3>\s*<span class="badge[^"]*">(\w+)</span>', page.text)
    assert on == [("commerce", "Off"), ("culture", "Off"), ("education", "Off"), ("elder_care", "On"), ("governance", "Off"), ("health", "Off"),
                  ("markets", "Off"), ("neighbourhood", "Off"), ("service", "Off")]
    # the settings form comes from the schema: types, current values, the field's comment as a hint
    assert '<input id="f-elder_care-elder_age" name="settings.elder_age" value="60" type="text" inputmode="numeric"' in page.text
    assert 'id="f-elder_care-birthday_greetings" name="settings.birthday_greetings" type="checkbox" checked' in page.text
    assert 'name="settings.double_ninth_reminder_offsets" value="1440, 120"' in page.text
    assert "Age from which a resident counts as an elder: 60" in page.text
    teams = dict(re.findall(r'<h3 id="grid-\d+">(.*?) <span class="code">.*?</h3>\s*<dl class="team">(.*?)</dl>', page.text, re.S))
    assert list(teams) == ["一网格", "二网格"]
    members = {grid: re.findall(r"<dt>(.*?) <span class=\"count\">(.*?)</span></dt>\s*<dd>(.*?)</dd>", dl) for grid, dl in teams.items()}
    assert members["一网格"] == [
        ("Grid leader", "1/2", "孙网格长"), ("Full-time grid worker", "1/1", "陈网格"),
        ("Part-time grid worker", "0", '<span class="empty">—</span>'),
        ("Dispatched staff (law enforcement, lawyer, counsellor)", "0", '<span class="empty">—</span>'),
    ]
    assert members["二网格"][:2] == [("Grid leader", "0/2", '<span class="empty">—</span>'), ("Full-time grid worker", "1/1", "吴网格")]


async def test_a_grid_worker_reads_the_page_of_their_community_without_forms_or_other_grids(world, pages):
    client = await pages("grid_worker")
    page = await client.get("/communities/hepan")
    assert page.status_code == 200
    assert "<form method=\"post\" action=\"/communities/hepan" not in page.text
    assert re.findall(r'<h3 id="grid-\d+">(.*?) <span', page.text) == ["一网格"]
    assert '<dl class="team">' not in page.text  # the staff register is the community admin's (GET /api/staff)
    token = await form_token(client, "/communities/hepan")
    refused = await client.post("/communities/hepan/scenes/markets", data={"_csrf_token": token, "settings.default_capacity": "20"})
    assert (refused.status_code, h1(refused.text)) == (403, ["Not allowed"])
    assert not await is_enabled(world.community.id, "markets")


async def test_switching_a_scene_on_with_settings_from_the_form(world, pages):
    client = await pages("street_admin")
    token = await form_token(client, "/communities/hepan")
    form = {"_csrf_token": token, "settings.default_capacity": "24", "settings.holiday_policy": "next_workday",
            "settings.channels": "inbox，email", "settings.decide_pending_at_close": "on", "settings.setup_minutes": "45"}
    done = await client.post("/communities/hepan/scenes/markets", data=form)
    assert (done.status_code, done.headers["location"]) == (303, "/communities/hepan?done=markets#scene-markets")
    assert await is_enabled(world.community.id, "markets")
    settings = await scenario_settings(world.mh, world.community.id, "markets")
    assert (settings.default_capacity, settings.holiday_policy, settings.channels, settings.setup_minutes, settings.decide_pending_at_close) == (
        24, "next_workday", ["inbox", "email"], 45, True)
    page = await client.get(done.headers["location"])
    assert re.findall(r'role="status">(.*?)</p>', page.text) == ["The scene is on and its settings are saved."]
    assert 'name="settings.default_capacity" value="24"' in page.text
    # unchecking a box is saved as "no"; then the scene is switched off, its settings kept
    await client.post("/communities/hepan/scenes/markets", data={"_csrf_token": token, "settings.default_capacity": "24"})
    assert (await scenario_settings(world.mh, world.community.id, "markets")).decide_pending_at_close is False
    off = await client.post("/communities/hepan/scenes/markets/off", data={"_csrf_token": token})
    assert off.status_code == 303
    assert not await is_enabled(world.community.id, "markets")
    assert (await scenario_settings(world.mh, world.community.id, "markets")).default_capacity == 24


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("default_capacity", "0", "Not accepted: default_capacity must be at least 1"),
    ("default_capacity", "thirty", "Enter a whole number."),
    ("holiday_policy", "sometimes", "Not accepted: holiday_policy must be keep, skip, next_workday or previous_workday"),
    ("setup_minutes", "-5", "Not accepted: setup_minutes must not be negative"),
])
async def test_a_bad_setting_is_shown_at_its_field_and_changes_nothing(world, pages, field, typed, message):
    client = await pages("community_admin")
    token = await form_token(client, "/communities/hepan")
    page = await client.post("/communities/hepan/scenes/markets", data={"_csrf_token": token, "settings.default_capacity": "20",
                                                                         f"settings.{field}": typed})
    assert page.status_code == 400
    assert re.findall(rf'<p class="error" id="f-markets-{field}-note">(.*?)</p>', page.text) == [message]
    assert re.findall(r'<p class="error"', page.text) == ['<p class="error"']
    assert f'id="f-markets-{field}" name="settings.{field}" value="{typed}"' in page.text  # what was typed is kept
    assert "<details open>" in page.text
    assert not await is_enabled(world.community.id, "markets")
    # settings of a scene that is on stay as they were
    bad = await client.post("/communities/hepan/scenes/elder_care", data={"_csrf_token": token, "settings.elder_age": "30"})
    assert re.findall(r'<p class="error" id="f-elder_care-elder_age-note">(.*?)</p>', bad.text) == ["Not accepted: elder_age must be between 50 and 100"]
    assert (await scenario_settings(world.mh, world.community.id, "elder_care")).elder_age == 60


async def test_the_brand_is_edited_by_the_community_admin_and_checked(world, pages):
    client = await pages("community_admin")
    token = await form_token(client, "/communities/hepan")
    done = await client.post("/communities/hepan/brand", data={"_csrf_token": token, "name": "荷畔社区", "brand_name": "荷韵家园",
                                                                 "brand_slogan": "邻里守望，美好同行"})
    assert (done.status_code, done.headers["location"]) == (303, "/communities/hepan?done=brand")
    community = await get_community("hepan")
    assert (community.brand_name, community.brand_slogan) == ("荷韵家园", "邻里守望，美好同行")
    empty = await client.post("/communities/hepan/brand", data={"_csrf_token": token, "name": "", "brand_name": "x"})
    assert empty.status_code == 400
    assert re.findall(r'<p class="error" id="f-name-note">(.*?)</p>', empty.text) == ["Expected `str` of length &gt;= 1"]
    assert (await get_community("hepan")).brand_name == "荷韵家园"


async def test_a_community_admin_cannot_open_or_edit_another_community(world, pages):
    client = await pages("community_admin")
    token = await form_token(client, "/communities/hepan")
    assert (await client.get("/communities/beiyuan")).status_code == 403  # as GET /api/communities/beiyuan/grids answers
    brand = await client.post("/communities/beiyuan/brand", data={"_csrf_token": token, "name": "改名", "brand_name": "x"})
    assert (brand.status_code, h1(brand.text)) == (403, ["Not allowed"])
    scene = await client.post("/communities/beiyuan/scenes/markets", data={"_csrf_token": token})
    assert scene.status_code == 403
    other = await get_community("beiyuan")
    assert (other.name, other.brand_name) == ("beiyuan社区", "")
    assert not await is_enabled(other.id, "markets")
    assert (await client.get("/communities/nowhere")).status_code == 404


async def test_forms_without_their_csrf_token_are_refused(world, pages):
    client = await pages("street_admin")
    await client.get("/communities/hepan")
    for path, form in (("/communities/hepan/scenes/markets", {"settings.default_capacity": "20"}),
                       ("/communities/hepan/brand", {"name": "改名"}),
                       ("/communities/hepan/scenes/elder_care/off", {})):
        page = await client.post(path, data=form)
        assert (page.status_code, h1(page.text)) == (403, ["The form has expired"]), path
    assert not await is_enabled(world.community.id, "markets")
    assert await is_enabled(world.community.id, "elder_care")
    assert (await get_community("hepan")).name == "荷畔社区"


def test_the_worlds_days_are_what_the_figures_assume():
    assert date(2026, 3, 2).weekday() == 0 and date(2026, 2, 25).weekday() == 2


# -- the settings form, generated from a settings Struct -------------------------------


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class LanternSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A throwaway scene's settings with one field of each kind the form knows."""

    #: How many lanterns each grid hangs.
    lanterns: int = 12
    #: Metres between two lanterns.
    spacing: float = 2.5
    #: Shown on the lanterns.
    motto: str = "花好月圆"
    lit_at_night: bool = True
    size: Literal["small", "large"] = "small"
    colour: Colour = Colour.RED
    reminder_offsets: list[int] = msgspec.field(default_factory=lambda: [1440, 120])
    budget_yuan: int | None = None
    extra: dict[str, int] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.lanterns < 1:
            raise ValueError("lanterns must be at least 1")


def test_the_settings_form_has_a_field_of_the_right_kind_for_each_type():
    fields = {f.name: f for f in settings_fields(LanternSettings)}
    assert [(f.name, f.kind, f.label, f.default, f.choices, f.optional, f.item_kind) for f in fields.values()] == [
        ("lanterns", "int", "Lanterns", 12, [], False, ""),
        ("spacing", "float", "Spacing", 2.5, [], False, ""),
        ("motto", "str", "Motto", "花好月圆", [], False, ""),
        ("lit_at_night", "bool", "Lit at night", True, [], False, ""),
        ("size", "choice", "Size", "small", ["small", "large"], False, ""),
        ("colour", "choice", "Colour", Colour.RED, ["red", "blue"], False, ""),
        ("reminder_offsets", "list", "Reminder offsets", [1440, 120], [], False, "int"),
        ("budget_yuan", "int", "Budget yuan", None, [], True, ""),
        ("extra", "json", "Extra", {}, [], False, ""),
    ]
    assert (fields["lanterns"].hint, fields["spacing"].hint, fields["lit_at_night"].hint) == (
        "How many lanterns each grid hangs.", "Metres between two lanterns.", "")
    assert (fields["reminder_offsets"].shown([1440, 120]), fields["colour"].shown(Colour.BLUE), fields["budget_yuan"].shown(None)) == (
        "1440, 120", "blue", "")


def test_the_posted_form_is_read_back_as_the_apis_settings():
    fields = settings_fields(LanternSettings)
    form = {"settings.lanterns": " 20 ", "settings.spacing": "3", "settings.motto": "团团圆圆", "settings.size": "large",
            "settings.colour": "blue", "settings.reminder_offsets": "60，30、 10,", "settings.budget_yuan": "", "settings.extra": '{"a": 1}'}
    raw, problems = read_settings(fields, form)
    assert problems == {}
    assert raw == {"lanterns": 20, "spacing": 3.0, "motto": "团团圆圆", "lit_at_night": False, "size": "large", "colour": "blue",
                   "reminder_offsets": [60, 30, 10], "budget_yuan": None, "extra": {"a": 1}}
    assert msgspec.convert(raw, LanternSettings).colour is Colour.BLUE
    raw, problems = read_settings(fields, {"settings.lanterns": "twelve", "settings.spacing": "", "settings.reminder_offsets": "60, soon",
                                           "settings.extra": "{"})
    assert problems == {"lanterns": "whole_number", "spacing": "number", "reminder_offsets": "whole_number", "extra": "json"}


@pytest.mark.parametrize(("field", "message", "expected"), [
    ("settings.size", "settings.size: Expected `str` matching one of ...", "size"),
    ("settings.reminder_offsets[1]", "settings.reminder_offsets[1]: Expected `int`", "reminder_offsets"),
    ("settings", "settings: lanterns must be at least 1", "lanterns"),
    ("settings", "settings: something about the whole", None),
])
def test_an_error_of_the_settings_is_placed_at_its_field(field, message, expected):
    assert error_field(settings_fields(LanternSettings), field, message) == expected


@pytest.mark.parametrize("scenario", ["commerce", "culture", "education", "elder_care", "governance", "health", "markets", "neighbourhood"])
def test_every_setting_of_the_built_in_scenes_has_a_chinese_label_and_hint(scenario):
    from meihao.scenarios import commerce, culture, education, elder_care, governance, health, markets, neighbourhood
    from meihao.web.console.settings_form import field_comments, humanise, schema_translations

    schema = {"commerce": commerce, "culture": culture, "education": education, "elder_care": elder_care, "governance": governance, "health": health, "markets": markets,
              "neighbourhood": neighbourhood}[scenario].schemas
    settings = next(getattr(schema, name) for name in dir(schema) if name.endswith("Settings"))
    catalogue = schema_translations(settings, "zh_CN")
    untranslated = [text for f in msgspec.inspect.type_info(settings).fields
                    for text in (humanise(f.name), field_comments(settings).get(f.name)) if text and catalogue.gettext(text) == text]
    assert untranslated == []
    assert schema_translations(settings, "en") is None


# -- what the overview costs -------------------------------------------------------------


async def test_the_overview_runs_a_fixed_number_of_statements_and_a_community_admin_counts_only_their_community(world, pages):
    """The overview's SQL statements, counted on the engine (meihao.db.counting), pinned so that a change cannot add some
    silently (issue 12). The kernel's figures (communities and scenes, activities, reminders) are grouped queries over every
    community in scope: the street admin's two communities cost what hepan alone costs its admin. The scenes' cards and
    metrics are read per community that runs the scene (elder care: hepan only)."""
    from meihao.db.counting import count_statements

    street_admin = await pages("street_admin")
    await street_admin.get("/")  # the working calendar and the scenes' settings are read the same way every time
    with count_statements() as statements:
        page = await street_admin.get("/")
    # the page: the kernel's figures only; the scenes' panels are a fragment of their own per community
    assert (page.status_code, len(statements)) == (200, 10), statements
    with count_statements() as statements:
        panels = await street_admin.get("/overview/hepan/scenes")
    # the session and the communities again, hepan's activities and working calendar (for the chart per month), elder care's
    # card and metrics (one asks whether a 加密探访 runs today: its counts only when one does)
    assert (panels.status_code, len(statements)) == (200, 14), statements

    admin = await pages("community_admin")  # hepan's
    with count_statements() as statements:
        page = await admin.get("/")
    assert (page.status_code, len(statements)) == (200, 10), statements
    assert list(sections(page.text)) == ["hepan"] and "北苑" not in page.text and "The whole street" not in page.text
    hepan = sections(page.text)["hepan"]
    # hepan's figures as the street admin sees them: nothing of beiyuan's (its meeting, its reminder) counted in
    assert figures(hepan.split('<div class="scene-panels">')[0]) == {
        "Activities today": "1", "Activities this week": "2", "Waiting to go out": "0", "Overdue items": "0",
    }
    assert reminder_rows(hepan) == [("Today", "2", "2", "0"), ("Last 7 days", "6", "4", "2")]
    assert bars(hepan, "Reminders sent per day, last 14 days")[-1] == "3/2: 2"
