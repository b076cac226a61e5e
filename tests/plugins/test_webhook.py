"""The webhook channels against a real local HTTP server: signed JSON, WeCom robot format, retries, failures."""

from __future__ import annotations

from datetime import datetime

import pytest

from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.recipients import set_contact
from meihao.reminders.tables import Reminder
from meihao.testing import drain
from tests.receivers import HttpReceiver
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at

SECRET = "a webhook secret for tests"


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("MEIHAO_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("MEIHAO_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")  # the receiver is local
    with HttpReceiver(secret=SECRET.encode()) as server:
        yield server


def show(**fields) -> ActivityIn:
    values = dict(
        scene="culture",
        title="戏曲进乡村：吕剧《李二嫂改嫁》",
        venue="城关村文化广场",
        starts_at=datetime(2026, 3, 7, 14, 0),
        ends_at=datetime(2026, 3, 7, 16, 0),
        audience={"everyone": True},
        reminder_offsets=[1440],
        channels=["webhook"],
    )
    values.update(fields)
    return ActivityIn(**values)


async def test_signed_json_post_arrives_once_after_a_retry(meihao, receiver):
    street = await build_street(meihao)
    await set_contact(meihao, "resident", street.residents["Anna"]["id"], "webhook", receiver.url + "/hooks/anna")
    receiver.fail_next = 1
    await create_activity(meihao, "hepan", show())
    street.clock.set(at(2026, 3, 6, 14, 0))
    assert (await drain(street.engine)).retried == 1
    street.clock.advance(seconds=30)
    assert (await drain(street.engine)).sent == 1

    [hit] = receiver.received
    assert hit.path == "/hooks/anna"
    assert hit.signature_ok is True
    assert hit.body["text"] == "Reminder: 戏曲进乡村：吕剧《李二嫂改嫁》 at 2026-03-07 14:00, 城关村文化广场"
    assert hit.body["activity"]["starts_at"] == "2026-03-07 14:00"
    assert hit.body["recipient"] == {"kind": "resident", "id": street.residents["Anna"]["id"], "language": "en"}
    assert hit.headers["X-Meihao-Delivery"] == hit.body["delivery_id"]
    assert "13912345678" not in str(hit.body)


async def test_wecom_group_robot_for_staff(meihao, receiver):
    street = await build_street(meihao)
    staff = await street.factories.staff("grid_worker", community="hepan", grid_id=street.grid_a)
    await set_contact(meihao, "staff", staff["id"], "wecom", receiver.url + "/cgi-bin/webhook/send?key=robot")
    await create_activity(meihao, "hepan", show(channels=["wecom", "inbox"], audience={"grids": [street.grid_a], "staff": [staff["id"]]}))
    street.clock.set(at(2026, 3, 6, 14, 0))
    result = await drain(street.engine)
    # residents of grid A get the inbox only (the robot is for staff); the staff member both
    assert result.sent == 3 + 2
    [hit] = receiver.received
    assert hit.path == "/cgi-bin/webhook/send?key=robot"
    assert hit.body["msgtype"] == "text"
    assert hit.body["text"]["content"].startswith("活动提醒：戏曲进乡村")


async def test_server_errors_retry_until_failed_and_client_errors_fail_at_once(meihao, receiver):
    street = await build_street(meihao)
    await set_contact(meihao, "resident", street.residents["Anna"]["id"], "webhook", receiver.url + "/down")
    receiver.always_status = 503
    street.engine.policy.max_attempts = 4
    await create_activity(meihao, "hepan", show())
    street.clock.set(at(2026, 3, 6, 14, 0))
    for _ in range(5):
        await drain(street.engine)
        street.clock.advance(minutes=5)
    row = await Reminder.select().first()
    assert (row["status"], row["attempts"]) == ("failed", 4)
    assert "HTTP 503" in row["last_error"]

    receiver.always_status = 404
    await set_contact(meihao, "resident", street.residents["张伟"]["id"], "webhook", receiver.url + "/gone")
    await create_activity(meihao, "hepan", show(title="第二场", starts_at=datetime(2026, 3, 8, 14, 0), ends_at=datetime(2026, 3, 8, 16, 0)))
    street.clock.set(at(2026, 3, 7, 14, 0))
    await drain(street.engine)
    second = await Reminder.select().where(Reminder.recipient_id == street.residents["张伟"]["id"]).first()
    assert (second["status"], second["attempts"]) == ("failed", 1)
    assert receiver.received == []
