"""The culture shows list (演出场次) with the console's list kit, in process: counts per state, month, venue and genre scoped like
the API (literal numbers per role), the state's threshold at the show's start, CSV/Excel export of what is shown, bad filters."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from meihao.access.tables import AuditLog
from meihao.testing import make_page_client

from .test_story import setting_the_stage

API = "/api/communities/chengguan/culture"
LIST = "/c/chengguan/culture/shows"


def facet(page: str, name: str) -> dict[str, int]:
    found = re.search(rf'<nav class="facet" aria-labelledby="facet-{name}">(.*?)</nav>', page, re.S)
    if found is None:
        return {}
    return {label: int(n) for label, n in re.findall(r'>([^<>]+?) <span class="count">(\d+)</span>', found.group(1))}


def titles(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h3(?! id=\"facet-)[^>]*>(.*?)</h3>", page, re.S)]


@pytest.fixture
async def shows(chengguan) -> dict:
    """吕剧《李二嫂改嫁》 7 March 19:00 and 2 April 19:00 at the square (grid A), 《小姑贤》 10 March 14:30 at the hall (grid C)."""
    w = chengguan
    async with w.client("community_admin") as admin:
        stage = await setting_the_stage(w, admin)
        plays, plan = stage["troupe"]["repertoire"], stage["plan"]["id"]
        ids = {}
        for key, venue, play, starts in (("square", "square", 0, "2026-03-07T19:00:00"), ("hall", "hall", 1, "2026-03-10T14:30:00"),
                                         ("april", "square", 0, "2026-04-02T19:00:00")):
            made = await admin.post(f"{API}/plans/{plan}/shows", json={
                "venue_id": stage[venue]["id"], "troupe_id": stage["troupe"]["id"], "play_id": plays[play]["id"], "starts_at": starts})
            assert made.status_code == 201, made.text
            ids[key] = made.json()["id"]
    return {"w": w, "ids": ids, "square": stage["square"]["id"]}


async def test_counts_per_facet_are_scoped_like_the_api(shows):
    w = shows["w"]
    expected = {
        "community_admin": ({"待演出": 3}, {"3月": 2, "4月": 1}, {"城关老街文化广场": 2, "南关社区综合文化服务中心": 1}, {"吕剧": 3}),
        "grid_worker": ({"待演出": 2}, {"3月": 1, "4月": 1}, {"城关老街文化广场": 2}, {"吕剧": 2}),
        "leader_c": ({"待演出": 1}, {"3月": 1}, {"南关社区综合文化服务中心": 1}, {"吕剧": 1}),
        "grid_worker_out": ({}, {}, {}, {}),
    }
    for who, (state, month, venue, genre) in expected.items():
        async with make_page_client(w.mh, w.staff[who]["id"]) as client:
            page = await client.get(LIST)
            assert page.status_code == 200
            got = (facet(page.text, "status"), facet(page.text, "month"), facet(page.text, "venue"), facet(page.text, "genre"))
            assert got == (state, month, venue, genre), who
    # one minute before the show it is coming; at its start it waits for its record
    w.at(2026, 3, 7, 18, 59)
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        assert facet((await client.get(LIST)).text, "status") == {"待演出": 2}
        w.at(2026, 3, 7, 19, 0)
        page = await client.get(LIST)
        assert facet(page.text, "status") == {"已演出，待录入": 1, "待演出": 1}
        march = await client.get(f"{LIST}?month=3")
        assert titles(march.text) == ["吕剧《李二嫂改嫁》"]
        assert facet(march.text, "status") == {"已演出，待录入": 1}
        assert facet(march.text, "month") == {"3月": 1, "4月": 1}
        coming = await client.get(f"{LIST}?status=scheduled&venue={shows['square']}")
        assert re.findall(r'<p class="item-sub">(2026-\d\d-\d\d \d\d:\d\d) · ', coming.text) == ["2026-04-02 19:00"]
        assert titles((await client.get(f"{LIST}?year=2025")).text) == []


@pytest.mark.parametrize(("query", "message"), [
    ("month=13", "month: must be between 1 and 12"),
    ("venue=x", "venue: must be a whole number"),
    ("status=played", "status: one of to_record, scheduled, delivered, cancelled"),
    ("year=1999", "year: must be between 2000 and 2027"),
])
async def test_a_bad_filter_is_a_400_page_naming_the_field(shows, query, message):
    w = shows["w"]
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as client:
        for path in (LIST, f"{LIST}/export.csv"):
            page = await client.get(f"{path}?{query}")
            assert page.status_code == 400, path
            assert f'<p class="alert">{message}</p>' in page.text


async def test_export_is_what_the_list_shows_in_the_viewers_scope(shows):
    w = shows["w"]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        page = await client.get(f"{LIST}?month=4")
        assert f'href="{LIST}/export.csv?month=4"' in page.text
        exported = await client.get(f"{LIST}/export.csv")
        assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
        lines = exported.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "id,day,starts_at,venue,troupe,genre,play,state,attendance,satisfaction,subsidy,confirmed_by"
        assert [line.split(",")[1:8:2] for line in lines[1:]] == [
            ["2026-03-07", "城关老街文化广场", "吕剧", "scheduled"], ["2026-04-02", "城关老街文化广场", "吕剧", "scheduled"]]
        book = await client.get(f"{LIST}/export.xlsx?month=4")
        sheet = load_workbook(io.BytesIO(book.content)).active
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        assert cells[0][:2] == ["id", "day"] and [r[1] for r in cells[1:]] == ["2026-04-02"]
    async with make_page_client(w.mh, w.staff["leader_c"]["id"]) as other:
        lines = (await other.get(f"{LIST}/export.csv")).content.decode("utf-8-sig").splitlines()
        assert [line.split(",")[3] for line in lines[1:]] == ["南关社区综合文化服务中心"]
    assert await AuditLog.count().where(AuditLog.action == "culture.show.export") == 3
