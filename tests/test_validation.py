"""Values are checked against the columns and the domain before anything is written (issue 11, finding 9)."""

from __future__ import annotations

import pytest

from meihao.reminders.tables import Activity, Contact, ReminderOptOut
from meihao.reminders.tokens import make_token
from meihao.tables import Resident
from meihao.testing import ANONYMOUS, make_client

PLAN = {
    "scene": "health",
    "title": "健康体检",
    "starts_at": "2026-05-01T09:00:00",
    "ends_at": "2026-05-01T11:00:00",
    "audience": {"everyone": True},
}


@pytest.fixture
async def hepan(factories):
    place = await factories.place("hepan")
    resident = await factories.resident(place["household_id"])
    return place, resident


async def test_public_unsubscribe_takes_only_known_scenes(meihao, hepan):
    _, resident = hepan
    token = await make_token(meihao, "resident", resident["id"], "unsubscribe")
    async with make_client(meihao, ANONYMOUS) as client:
        for scene in ("x" * 3000, "", "nonsense"):
            answer = await client.post(f"/api/reminders/unsubscribe/{token}", params={"scene": scene})
            assert answer.json() == {
                "status_code": 400,
                "detail": "scene: must be * (every scene) or a scene or scenario installed here",
                "field": "scene",
            }
        assert await ReminderOptOut.count() == 0
        assert (await client.post(f"/api/reminders/unsubscribe/{token}", params={"scene": "health"})).status_code == 200
        assert (await client.post(f"/api/reminders/unsubscribe/{token}")).json() == {"unsubscribed": True, "scene": "*"}
    assert sorted(r["scene"] for r in await ReminderOptOut.select(ReminderOptOut.scene)) == ["*", "health"]


async def test_staff_opt_outs_take_only_known_scenes(meihao_client, hepan):
    _, resident = hepan
    answer = await meihao_client.post(f"/api/residents/{resident['id']}/opt-outs", json={"scene": "y" * 41})
    assert (answer.status_code, answer.json()["field"]) == (400, "scene")
    assert (await meihao_client.post(f"/api/residents/{resident['id']}/opt-outs", json={"scene": "markets"})).status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "field", "detail"),
    [
        ({"title": "演" * 200}, 201, None, None),
        ({"title": "演" * 201}, 400, "title", "title: at most 200 characters, got 201"),
        ({"title": "x" * 100_000}, 400, "title", "title: at most 200 characters, got 100000"),
        ({"venue": "场" * 201}, 400, "venue", "venue: at most 200 characters, got 201"),
        ({"description": "d" * 10_001}, 400, "description", "description: at most 10000 characters, got 10001"),
        ({"title": "体检\u0000"}, 400, "title", "title: must not contain the NUL character"),
        ({"reminder_offsets": list(range(10))}, 201, None, None),
        ({"reminder_offsets": list(range(11))}, 400, "reminder_offsets", "reminder_offsets: at most 10 reminder points"),
        ({"reminder_offsets": list(range(1999))}, 400, "reminder_offsets", "reminder_offsets: at most 10 reminder points"),
        ({"channels": ["inbox"] * 11}, 201, None, None),  # the same channel twice counts once
    ],
)
async def test_activity_texts_and_lists_fit_their_columns(meihao_client, hepan, change, status, field, detail):
    answer = await meihao_client.post("/api/communities/hepan/activities", json={**PLAN, **change})
    assert answer.status_code == status, answer.text
    if field:
        assert (answer.json()["field"], answer.json()["detail"]) == (field, detail)
        assert await Activity.count() == 0


async def test_resident_tags_and_birth_dates_have_limits(meihao_client, factories, hepan):
    place, _ = hepan
    from datetime import date

    def body(tags, birth="1960-05-17"):
        return {
            "household_id": place["household_id"], "name": "李秀兰", "gender": "female", "birth_date": birth,
            "id_card": factories.id_card(date.fromisoformat(birth) if birth >= "1900" else date(1960, 5, 17), "female"), "tags": tags,
        }

    many = [f"t{i}" for i in range(31)]
    answer = await meihao_client.post("/api/residents", json=body(many))
    assert (answer.status_code, answer.json()["field"], answer.json()["detail"]) == (400, "tags", "tags: must have at most 30 items")
    answer = await meihao_client.post("/api/residents", json=body([f"t{i}" for i in range(5000)]))
    assert (answer.status_code, answer.json()["field"]) == (400, "tags")
    answer = await meihao_client.post("/api/residents", json=body([], birth="1800-01-01"))
    assert (answer.status_code, answer.json()["field"]) == (400, "birth_date")
    assert await Resident.count() == 1
    assert (await meihao_client.post("/api/residents", json=body(many[:30]))).status_code == 201


async def test_numbers_in_full_width_digits_are_refused(meihao):
    async with make_client(meihao, ANONYMOUS) as client:
        answer = await client.post("/api/auth/login", json={"username": "１２８.５０", "password": "x"})
    assert answer.json() == {"status_code": 400, "detail": "username: write numbers with the digits 0-9", "field": "username"}


@pytest.mark.parametrize(
    ("address", "detail"),
    [
        ("wang@example.org\r\nBcc: all@example.org", "address: must not contain line breaks or control characters"),
        ("wang@example.org\n", "address: not an e-mail address (name@example.org)"),  # trimmed, then checked
        ("wang at example.org", "address: not an e-mail address (name@example.org)"),
        ("a@b@example.org", "address: not an e-mail address (name@example.org)"),
    ],
)
async def test_email_addresses_with_line_breaks_are_refused_at_save_time(meihao_client, hepan, address, detail):
    _, resident = hepan
    answer = await meihao_client.put(f"/api/residents/{resident['id']}/contacts/email", json={"address": address})
    if address.endswith("\n") and not address.endswith("\r\n") and "\r" not in address:
        assert answer.status_code == 200  # a trailing line break is trimmed away
        return
    assert answer.json() == {"status_code": 400, "detail": detail, "field": "address"}
    assert await Contact.count() == 0


async def test_staff_email_with_line_breaks_is_refused(meihao_client):
    body = {"username": "li.si", "password": "long enough pw", "name": "李四", "assignments": [{"role": "street_admin"}]}
    answer = await meihao_client.post("/api/staff", json={**body, "email": "li@example.org\r\nBcc: x@example.org"})
    assert answer.json() == {"status_code": 400, "detail": "email: must not contain line breaks or control characters", "field": "email"}
    assert (await meihao_client.post("/api/staff", json={**body, "email": "li@example.org"})).status_code == 201
