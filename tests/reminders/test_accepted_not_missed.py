"""A delivery that may have gone out ends sent (or failed), never missed (issue 11, finding 19): a row
whose send began when its sender died — the receiver may have accepted it — is sent again, even late,
and the receiver sees the same delivery id; a row whose send never began (claimed only, or nobody tried)
is still missed once its occurrence began."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from meihao.reminders.activities import ActivityIn, create_activity
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


class Killed(BaseException):
    """The process dies here: no handler of meihao's catches it, nothing after it is recorded."""


async def _show(meihao, street, receiver) -> int:
    anna = street.residents["Anna"]["id"]
    await set_contact(meihao, "resident", anna, "webhook", receiver.url + "/hook")
    await create_activity(meihao, "hepan", ActivityIn(
        scene="culture", title="吕剧", starts_at=datetime(2026, 3, 7, 14, 0), ends_at=datetime(2026, 3, 7, 16, 0),
        audience={"residents": [anna]}, reminder_offsets=[1440], channels=["webhook", "inbox"],
    ))
    return anna


async def test_a_row_whose_sender_died_is_sent_late_not_missed(meihao, receiver):
    street = await build_street(meihao)
    await _show(meihao, street, receiver)
    channels = street.engine.channels
    webhook = channels()["webhook"]

    async def post_then_die(message):
        await webhook.send(message)  # the receiver accepted the POST ...
        raise Killed  # ... and the sender died before recording it

    street.engine.channels = lambda: {**channels(), "webhook": dataclasses.replace(webhook, send=post_then_die)}
    street.clock.set(at(2026, 3, 6, 14, 0))
    with pytest.raises(Killed):
        await drain(street.engine)  # the inbox went first, in the transaction that records it
    street.engine.channels = channels

    street.clock.set(at(2026, 3, 7, 14, 30))  # the lease ran out long ago, and the show has begun
    if meihao.db.is_sqlite:
        await street.engine.release_orphans()  # what the restarted worker does first
    result = await drain(street.engine)
    rows = {r["channel"]: r for r in await Reminder.select(Reminder.id, Reminder.channel, Reminder.status)}
    assert (rows["webhook"]["status"], rows["inbox"]["status"]) == ("sent", "sent")
    # the same delivery id twice: the receiver keeps one
    assert receiver.delivery_ids() == [f"meihao-reminder-{rows['webhook']['id']}"] * 2
    assert (result.sent, result.missed) == (1, 0)


async def test_a_row_claimed_but_never_sent_is_missed(meihao, receiver):
    """A sender that claimed rows and died before any send began sent nothing: missed once the show began."""
    street = await build_street(meihao)
    await _show(meihao, street, receiver)
    street.clock.set(at(2026, 3, 6, 14, 0))
    await street.engine.fan_out(street.clock.now())
    assert len(await street.engine.claim(street.clock.now())) == 2  # then it died
    street.clock.set(at(2026, 3, 7, 14, 30))
    if meihao.db.is_sqlite:
        await street.engine.release_orphans()
    result = await drain(street.engine)
    assert sorted(r["status"] for r in await Reminder.select(Reminder.status)) == ["missed", "missed"]
    assert receiver.received == [] and result.missed == 2


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
