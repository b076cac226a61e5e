"""A delivery that may have gone out ends sent (or failed), never missed (issue 11, finding 19): a row taken
over from a sender whose lease ran out — it died after the receiver accepted — is sent again, even late,
and the receiver sees the same delivery id; a row nobody ever tried is still missed once its occurrence began."""

from __future__ import annotations

from datetime import datetime

import pytest

from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.policy import LEASE_EXPIRED
from meihao.reminders.recipients import set_contact
from meihao.reminders.tables import Reminder
from meihao.testing import drain
from tests.receivers import ALLOW_LOCAL, HttpReceiver
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at

SECRET = "a webhook secret for tests"


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("MEIHAO_WEBHOOK_SECRET", SECRET)
    for key, value in ALLOW_LOCAL.items():
        monkeypatch.setenv(key, value)
    with HttpReceiver(secret=SECRET.encode()) as server:
        yield server


async def test_a_row_whose_sender_died_is_sent_late_not_missed(meihao, receiver):
    street = await build_street(meihao)
    anna = street.residents["Anna"]["id"]
    await set_contact(meihao, "resident", anna, "webhook", receiver.url + "/hook")
    await create_activity(meihao, "hepan", ActivityIn(
        scene="culture", title="吕剧", starts_at=datetime(2026, 3, 7, 14, 0), ends_at=datetime(2026, 3, 7, 16, 0),
        audience={"residents": [anna]}, reminder_offsets=[1440], channels=["webhook", "inbox"],
    ))
    street.clock.set(at(2026, 3, 6, 14, 0))
    await street.engine.fan_out(street.clock.now())
    # a sender claims both rows, then dies before recording anything: whether the receiver got the POST,
    # the next sender cannot know
    assert len(await street.engine.claim(street.clock.now())) == 2

    street.clock.set(at(2026, 3, 7, 14, 30))  # the lease ran out long ago, and the show has begun
    result = await drain(street.engine)
    rows = {r["channel"]: r for r in await Reminder.select(Reminder.channel, Reminder.status, Reminder.last_error)}
    assert (rows["webhook"]["status"], rows["webhook"]["last_error"]) == ("sent", LEASE_EXPIRED)
    assert rows["inbox"]["status"] == "missed"  # the inbox records its sends atomically: it never went out
    assert [hit.path for hit in receiver.received] == ["/hook"]
    assert result.missed == 1


async def test_a_row_nobody_tried_is_still_missed(meihao, receiver):
    street = await build_street(meihao)
    anna = street.residents["Anna"]["id"]
    await set_contact(meihao, "resident", anna, "webhook", receiver.url + "/hook")
    await create_activity(meihao, "hepan", ActivityIn(
        scene="culture", title="吕剧", starts_at=datetime(2026, 3, 7, 14, 0), ends_at=datetime(2026, 3, 7, 16, 0),
        audience={"residents": [anna]}, reminder_offsets=[1440], channels=["webhook"],
    ))
    street.clock.set(at(2026, 3, 6, 14, 0))
    await street.engine.fan_out(street.clock.now())
    street.clock.set(at(2026, 3, 7, 14, 30))  # down the whole time: the show has begun
    await drain(street.engine)
    assert [r["status"] for r in await Reminder.select(Reminder.status)] == ["missed"]
    assert receiver.received == []
