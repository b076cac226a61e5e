"""The e-mail channel against a real SMTP server (aiosmtpd): headers, languages, retries, refusals."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.recipients import set_contact
from meihao.reminders.tables import Reminder
from meihao.testing import drain
from tests.receivers import SmtpReceiver
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at


def market(**fields) -> ActivityIn:
    values = dict(
        scene="markets",
        title="睦邻善市公益市集",
        venue="荷畔广场",
        starts_at=datetime(2026, 3, 7, 9, 0),
        ends_at=datetime(2026, 3, 7, 11, 0),
        audience={"everyone": True},
        reminder_offsets=[1440],
        channels=["inbox", "email"],
    )
    values.update(fields)
    return ActivityIn(**values)


@pytest.fixture
def smtp(monkeypatch):
    with SmtpReceiver() as receiver:
        monkeypatch.setenv("MEIHAO_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("MEIHAO_SMTP_PORT", str(receiver.port))
        monkeypatch.setenv("MEIHAO_SMTP_FROM", "reminders@hepan.example")
        yield receiver


async def test_email_reaches_residents_with_an_address_in_their_language(meihao, smtp):
    street = await build_street(meihao)
    await set_contact(meihao, "resident", street.residents["Anna"]["id"], "email", "anna@example.org")
    await set_contact(meihao, "resident", street.residents["王秀英"]["id"], "email", "wang@example.org")
    await create_activity(meihao, "hepan", market())
    street.clock.set(at(2026, 3, 6, 9, 0))
    result = await drain(street.engine)
    assert result.sent == 7  # five inboxes, two mails

    mails = {m["To"]: m for m in smtp.messages}
    assert set(mails) == {"anna@example.org", "wang@example.org"}
    anna, wang = mails["anna@example.org"], mails["wang@example.org"]
    assert anna["Subject"] == "Reminder: 睦邻善市公益市集"
    assert wang["Subject"] == "活动提醒：睦邻善市公益市集"
    assert anna["From"] == "reminders@hepan.example"
    assert "at 2026-03-07 09:00, 荷畔广场" in anna.get_content()
    assert "退订此类提醒" in wang.get_content()
    unsubscribe = anna["List-Unsubscribe"].strip("<>")
    assert "/api/reminders/unsubscribe/" in unsubscribe and unsubscribe.endswith("?scene=markets")
    assert anna["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert anna["Message-ID"].startswith("<meihao-reminder-")
    # no phone or ID-card number in any mail
    for mail in smtp.messages:
        assert "13912345678" not in mail.as_string()


async def test_temporary_refusal_is_retried_with_backoff_and_arrives_once(meihao, smtp):
    street = await build_street(meihao)
    await set_contact(meihao, "resident", street.residents["Anna"]["id"], "email", "anna@example.org")
    smtp.refuse["anna@example.org"] = ("451 4.3.0 mailbox busy, try later", 2)
    await create_activity(meihao, "hepan", market(channels=["email"]))
    street.clock.set(at(2026, 3, 6, 9, 0))
    first = await drain(street.engine)
    assert (first.sent, first.retried) == (0, 1)
    row = await Reminder.select().first()
    assert row["status"] == "pending" and row["attempts"] == 1 and "451" in row["last_error"]
    assert row["next_attempt_at"] == street.clock.now() + timedelta(seconds=30)

    street.clock.advance(seconds=30)
    assert (await drain(street.engine)).retried == 1
    row = await Reminder.select().first()
    assert row["next_attempt_at"] == street.clock.now() + timedelta(seconds=60)  # doubled
    street.clock.advance(seconds=60)
    assert (await drain(street.engine)).sent == 1
    row = await Reminder.select().first()
    assert row["status"] == "sent" and row["attempts"] == 3
    assert [m["To"] for m in smtp.messages] == ["anna@example.org"]


async def test_permanent_refusal_fails_at_once_and_gives_up_after_max_attempts(meihao, smtp):
    street = await build_street(meihao)
    await set_contact(meihao, "resident", street.residents["Anna"]["id"], "email", "nobody@example.org")
    await set_contact(meihao, "resident", street.residents["张伟"]["id"], "email", "busy@example.org")
    smtp.refuse["nobody@example.org"] = ("550 5.1.1 no such user", 100)
    smtp.refuse["busy@example.org"] = ("451 4.3.0 busy", 100)
    street.engine.policy.max_attempts = 3
    await create_activity(meihao, "hepan", market(channels=["email"]))
    street.clock.set(at(2026, 3, 6, 9, 0))
    for _ in range(4):
        await drain(street.engine)
        street.clock.advance(minutes=10)
    rows = {r["recipient_id"]: r for r in await Reminder.select()}
    nobody = rows[street.residents["Anna"]["id"]]
    busy = rows[street.residents["张伟"]["id"]]
    assert (nobody["status"], nobody["attempts"]) == ("failed", 1)
    assert "550" in nobody["last_error"]
    assert (busy["status"], busy["attempts"]) == ("failed", 3)
    assert smtp.messages == []
