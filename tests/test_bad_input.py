"""Bad input from anyone, logged in or not, is a 4xx naming what is wrong, never a 500 (issue 11, finding 4).

Anonymous callers get 401 before any other check, so they cannot learn which scenes a community runs.
"""

from __future__ import annotations

import pytest

from meihao.testing import ANONYMOUS, SceneWorld, make_client

LIMIT = 2**31 - 1  # ids are PostgreSQL serials
M = "/api/communities/huayang/markets"


@pytest.fixture
async def huayang(meihao):
    """华阳社区 with markets switched on (and culture not): meihao.testing.SceneWorld."""
    return await SceneWorld.build(meihao, "markets", slug="huayang", name="华阳社区")


async def test_anonymous_options_is_401_whether_or_not_the_scene_runs(meihao, huayang):
    async with make_client(meihao, ANONYMOUS) as anonymous:
        for path in (f"{M}/markets", "/api/communities/huayang/culture/shows", "/api/communities/nowhere/markets/markets", "/api/residents"):
            for method in ("OPTIONS", "GET"):
                answer = await anonymous.request(method, path)
                assert answer.status_code == 401, (method, path, answer.text)
                assert answer.json()["detail"] == "log in first: send Authorization: Bearer <token> (POST /api/auth/login)"


async def test_options_for_a_logged_in_caller_lists_the_methods(meihao, huayang):
    async with make_client(meihao) as admin:
        answer = await admin.options(f"{M}/markets")
        assert answer.status_code == 204
        assert "POST" in answer.headers["allow"]
        assert (await admin.options("/api/communities/huayang/culture/shows")).status_code == 404  # not enabled there


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/residents"])
async def test_a_body_that_is_not_utf8_is_400(meihao, path):
    async with make_client(meihao) as client:
        client.headers.pop("Authorization") if path.endswith("login") else None
        answer = await client.post(path, content=b'{"username": "\xff\xfe"}', headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json() == {"status_code": 400, "detail": "body: is not valid UTF-8 text; send JSON encoded as UTF-8", "field": "body"}


@pytest.mark.parametrize(("depth", "refused"), [(31, False), (32, True), (100_000, True)])  # inside the body's own object
async def test_deep_json_is_400(meihao, depth, refused):
    async with make_client(meihao, ANONYMOUS) as anonymous:
        body = b'{"username": "a", "password": ' + b"[" * depth + b"]" * depth + b"}"
        answer = await anonymous.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    if refused:
        assert answer.json() == {"status_code": 400, "detail": "body: objects and lists nest more than 32 levels deep", "field": "body"}
    else:
        assert answer.json()["field"] == "password"  # decoded, and refused for its type only


async def test_brackets_inside_strings_do_not_count(meihao):
    async with make_client(meihao, ANONYMOUS) as anonymous:
        body = b'{"username": "' + b"[" * 50 + b'", "password": "x"}'
        answer = await anonymous.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/residents/{n}", "resident_id"),
        ("/api/activities/{n}", "activity_id"),
        ("/api/activities/{n}/reminders", "activity_id"),
        ("/api/activities/{n}/preview", "activity_id"),
        ("/api/grids/{n}/buildings", "grid_id"),
        (M + "/markets/{n}", "market_id"),
        (M + "/days/{n}", "day_id"),
        ("/api/residents?grid={n}", "grid"),
        ("/api/residents?page_size={n}", "page_size"),
    ],
)
async def test_integers_beyond_the_columns_are_400_naming_the_parameter(meihao, huayang, path, field):
    async with make_client(meihao) as admin:
        at_limit = await admin.get(path.format(n=LIMIT))
        assert at_limit.status_code in (200, 404), at_limit.text
        for n in (LIMIT + 1, 2**63, 10**30, -(LIMIT + 2)):
            answer = await admin.get(path.format(n=n))
            if n < 0 and "?" not in path:
                assert answer.status_code in (400, 404)  # a negative id does not match the route's int or is refused
                continue
            assert answer.status_code == 400, (path, n, answer.text)
            assert answer.json()["field"] == field


ACTIVITY = {"scene": "markets", "title": "市集", "starts_at": "2026-05-01T10:00:00", "ends_at": "2026-05-01T11:00:00", "audience": {"everyone": True}}


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"starts_at": "0001-01-01T00:00:00", "ends_at": "0001-01-01T01:00:00"}, "starts_at", 400),
        ({"starts_at": "1899-12-31T10:00:00", "ends_at": "1899-12-31T11:00:00"}, "starts_at", 400),
        ({"starts_at": "1900-01-01T10:00:00", "ends_at": "1900-01-01T11:00:00"}, None, 201),
        ({"starts_at": "2199-12-31T10:00:00", "ends_at": "2199-12-31T11:00:00"}, None, 201),
        ({"starts_at": "2200-01-01T10:00:00", "ends_at": "2200-01-01T11:00:00"}, "starts_at", 400),
        ({"starts_at": "9999-12-31T23:00:00", "ends_at": "9999-12-31T23:59:00"}, "starts_at", 400),
        ({"rrule": "FREQ=YEARLY", "recurrence_until": "0001-01-01T00:00:00"}, "recurrence_until", 400),
    ],
)
async def test_dates_outside_1900_to_2199_are_400_naming_the_field(meihao, huayang, change, field, status):
    async with make_client(meihao) as admin:
        answer = await admin.post("/api/communities/huayang/activities", json={**ACTIVITY, **change})
    assert answer.status_code == status, answer.text
    if field:
        assert answer.json() == {"status_code": 400, "detail": f"{field}: the year must be between 1900 and 2199", "field": field}


async def test_scene_dates_and_query_dates_are_checked_too(meihao, huayang):
    async with make_client(meihao) as admin:
        market = {"venue": "广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "0001-01-01"}
        answer = await admin.post(f"{M}/markets", json=market)
        assert (answer.status_code, answer.json()["field"]) == (400, "first_day")
        answer = await admin.get("/api/audit", params={"since": "0001-01-01T00:00:00Z"})
        assert (answer.status_code, answer.json()["field"]) == (400, "since")


# -- found by fuzzing the OpenAPI document (tests/test_fuzz_openapi.py) -------------------------


async def test_options_with_a_query_string_lists_the_methods(meihao, huayang):
    """Litestar's own OPTIONS handler takes no weak reference; the query check cached by one (a 500 before)."""
    async with make_client(meihao) as admin:
        for path in ("/api/audit?page=1", f"{M}/proceeds?year=2026", "/api/me/inbox?unread=true"):
            answer = await admin.options(path)
            assert answer.status_code == 204, (path, answer.text)
            assert "GET" in answer.headers["allow"]


@pytest.mark.parametrize(("year", "status"), [(1899, 400), (1900, 200), (2199, 200), (2200, 400), (-885, 400), (142611919, 400)])
async def test_a_year_outside_1900_to_2199_is_400_naming_it(meihao, huayang, year, status):
    """``?year=`` far out made a date Python cannot (a 500 before), on the working calendar and the market proceeds."""
    async with make_client(meihao) as admin:
        for path in ("/api/working-calendar/overrides", f"{M}/proceeds"):
            answer = await admin.get(path, params={"year": year})
            assert answer.status_code == status, (path, answer.text)
            if status == 400:
                detail = "year: must be at least 1900" if year < 1900 else "year: must be at most 2199"
                assert (answer.json()["field"], answer.json()["detail"]) == ("year", detail), path


async def test_a_year_far_out_in_a_scene_summary_is_400(meihao):
    await SceneWorld.build(meihao, "culture", slug="chengguan", name="城关社区")
    async with make_client(meihao) as admin:
        answer = await admin.get("/api/communities/chengguan/culture/summary", params={"year": 64180555})
        assert (answer.status_code, answer.json()) == (400, {
            "status_code": 400, "detail": "year: must be at most 2199", "field": "year",
            "extra": [{"message": "must be at most 2199", "key": "year", "source": "query"}],
        })
        assert (await admin.get("/api/communities/chengguan/culture/summary", params={"year": 2199})).status_code == 200


@pytest.mark.parametrize("n", [LIMIT + 1, 2**63, 3478548335544017879040, -(LIMIT + 2)])
async def test_integers_in_a_body_beyond_the_columns_are_400_naming_the_field(meihao, n):
    """A staff id of 22 digits reached the database (SQLite: an OverflowError; PostgreSQL: beyond its integer), a 500 before."""
    world = await SceneWorld.build(meihao, "culture", slug="chengguan", name="城关社区")
    plan = {"name": "2026 戏曲进乡村", "season_start": "2026-04-01", "season_end": "2026-10-31"}
    venue = {"name": "村口广场", "grid_id": world.grids["A"]}
    async with make_client(meihao) as admin:
        for path, body, field in (
            ("/api/communities/chengguan/culture/plans", {**plan, "organiser_staff_id": n}, "organiser_staff_id"),
            ("/api/communities/chengguan/culture/venues", {**venue, "serves_grid_ids": [world.grids["B"], n]}, "serves_grid_ids"),
            ("/api/residents", {"household_id": n, "name": "王芳", "gender": "female", "birth_date": "1980-01-01", "id_card": "x"}, "household_id"),
        ):
            answer = await admin.post(path, json=body)
            assert (answer.status_code, answer.json()) == (400, {"status_code": 400, "detail": f"{field}: must be a whole number up to {LIMIT}", "field": field})
        # at the limit the number is read, and names nothing
        answer = await admin.post("/api/communities/chengguan/culture/plans", json={**plan, "organiser_staff_id": LIMIT})
        assert (answer.status_code, answer.json()["field"]) == (404, "organiser_staff_id")
        # ten digits inside a text are text
        answer = await admin.post("/api/communities/chengguan/culture/plans", json={**plan, "name": "第 12345678901 号"})
        assert answer.status_code == 201, answer.text
