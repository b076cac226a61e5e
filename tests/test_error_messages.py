"""Error messages say what is wrong with the field in the user's terms, never a library's own words
(issue 11, finding 15): no "not enough values to unpack", no phonenumbers' "(1) The string supplied…",
no msgspec "Expected `int | null`"."""

from __future__ import annotations

import pytest

from meihao.errors import InvalidInput
from meihao.privacy import normalise_phone
from meihao.testing import ANONYMOUS, make_client
from meihao.time.recurrence import validate_rule


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FOO", "rrule: each part must read NAME=VALUE, e.g. FREQ=WEEKLY;BYDAY=SA, not 'FOO'"),
        ("FREQ=", "rrule: each part must read NAME=VALUE, e.g. FREQ=WEEKLY;BYDAY=SA, not 'FREQ='"),
        ("FREQ=FORTNIGHTLY", "rrule: FREQ must be one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY"),
        ("BYDAY=SA", "rrule: FREQ must be one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY"),
        ("FREQ=WEEKLY;EVERY=2", "rrule: EVERY is not a part of a recurrence rule (FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, "
         "BYMONTH, BYYEARDAY, BYWEEKNO, BYSETPOS, BYHOUR, BYMINUTE, BYSECOND, WKST)"),
        ("FREQ=WEEKLY;FREQ=DAILY", "rrule: FREQ is given twice"),
        ("FREQ=DAILY;INTERVAL=0", "rrule: INTERVAL must be a whole number from 1 to 10000"),
        ("FREQ=DAILY;COUNT=x", "rrule: COUNT must be a whole number from 1 to 10000"),
        ("FREQ=DAILY;COUNT=10001", "rrule: COUNT must be a whole number from 1 to 10000"),
        ("FREQ=WEEKLY;BYDAY=XX", "rrule: the value of BYDAY is not valid (for example FREQ=WEEKLY;BYDAY=SA;COUNT=10)"),
    ],
)
def test_recurrence_rules_are_explained(rule, message):
    with pytest.raises(InvalidInput) as refused:
        validate_rule(rule, None, None, "keep")
    assert (refused.value.message, refused.value.field) == (message, "rrule")


def test_a_good_rule_passes():
    validate_rule("FREQ=DAILY;COUNT=10000", None, None, "keep")
    validate_rule("FREQ=MONTHLY;BYDAY=2SA;INTERVAL=1", None, None, "keep")


@pytest.mark.parametrize("number", ["abc", "+", "1" * 30, "++86"])
def test_phone_numbers_are_explained_without_the_librarys_words(number):
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(number)
    assert refused.value.message == (
        "phone: not a phone number; write a mainland number as 13912345678, others with their country code (+852 …)"
    )


async def test_api_errors_in_the_users_terms(meihao, factories):
    place = await factories.place("hepan")
    async with make_client(meihao) as client:
        cases = [
            (await client.post("/api/auth/login", content=b'{"username": ', headers={"content-type": "application/json"}), "body", "body: is not valid JSON"),
            (await client.post("/api/auth/login", content=b"not json", headers={"content-type": "application/json"}), "body", "body: is not valid JSON"),
            (await client.post("/api/auth/login", json={"username": 5, "password": "x"}), "username", "username: must be text"),
            (await client.post("/api/auth/login", json={"username": "x"}), "password", "password: is required"),
            (await client.get("/api/residents", params={"min_age": "abc"}), "min_age", "min_age: must be a whole number"),
            (
                await client.post("/api/residents", json={"household_id": place["household_id"], "name": "x", "gender": "female", "birth_date": "1960-13-45", "id_card": "x"}),
                "birth_date",
                "birth_date: must be a date, e.g. 2026-03-07",
            ),
            (
                await client.post("/api/communities/hepan/activities", json={"scene": "x", "title": "t", "starts_at": "tomorrow", "ends_at": "2026-05-01T11:00:00"}),
                "starts_at",
                "starts_at: must be a date and time, e.g. 2026-03-07T09:00:00",
            ),
            (
                await client.post("/api/communities/hepan/activities", json={"scene": "health", "title": "t", "starts_at": "2026-05-01T10:00:00", "ends_at": "2026-05-01T11:00:00", "rrule": "FOO", "audience": {"everyone": True}}),
                "rrule",
                "rrule: each part must read NAME=VALUE, e.g. FREQ=WEEKLY;BYDAY=SA, not 'FOO'",
            ),
        ]
    for answer, field, detail in cases:
        assert answer.status_code == 400, answer.text
        assert (answer.json()["field"], answer.json()["detail"]) == (field, detail)
        for internal in ("Expected `", "RFC3339", "msgspec", "truncated", "unpack", "The string supplied"):
            assert internal not in answer.text, (detail, answer.text)


async def test_health_does_not_tell_the_drivers_words(meihao, monkeypatch):
    from meihao.register.tables import Community

    async def broken(*args, **kwargs):
        raise OSError("could not open /var/lib/secret/meihao.db at 10.1.2.3")

    monkeypatch.setattr(Community, "count", classmethod(lambda cls: _Awaitable(broken)))
    async with make_client(meihao, ANONYMOUS) as client:
        answer = await client.get("/health")
    assert answer.status_code == 503
    assert answer.json() == {"status_code": 503, "detail": "the database does not answer"}


class _Awaitable:
    def __init__(self, coroutine_function):
        self.coroutine_function = coroutine_function

    def __await__(self):
        return self.coroutine_function().__await__()
