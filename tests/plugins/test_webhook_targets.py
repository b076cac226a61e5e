"""Server-side request forgery: webhooks post to public http(s) addresses only, checked at save time and
again at send time, redirects not followed; an operator allow-list for internal receivers.

The receivers are real HTTP servers on 127.0.0.1: a refusal is proven by what they did not receive.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from meihao import WebhookTarget as Target
from meihao import WebhookTargetRefused as TargetRefused
from meihao import check_webhook_target as check_target
from meihao.errors import InvalidInput
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.recipients import set_contact
from meihao.reminders.tables import Contact, Reminder
from meihao.testing import drain, make_client
from tests.receivers import HttpReceiver
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at

SECRET = "a webhook secret for tests"
ALLOW = "MEIHAO_WEBHOOK_ALLOWED_HOSTS"


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("MEIHAO_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv(ALLOW, raising=False)
    with HttpReceiver(secret=SECRET.encode()) as server:
        yield server


def show() -> ActivityIn:
    return ActivityIn(
        scene="culture",
        title="戏曲进乡村",
        venue="城关村文化广场",
        starts_at=datetime(2026, 3, 7, 14, 0),
        ends_at=datetime(2026, 3, 7, 16, 0),
        audience={"everyone": True},
        reminder_offsets=[1440],
        channels=["webhook"],
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/hook", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("http://user:secret@93.184.216.34/hook", "must not contain a user name or password"),
        ("http://127.0.0.1:8000/hook", "host 127.0.0.1 is an internal address (127.0.0.1)"),
        ("http://localhost:8000/hook", "host localhost is an internal address"),
        ("http://10.1.2.3/hook", "host 10.1.2.3 is an internal address (10.1.2.3)"),
        ("http://192.168.0.1/hook", "host 192.168.0.1 is an internal address (192.168.0.1)"),
        ("http://172.16.0.1/hook", "host 172.16.0.1 is an internal address (172.16.0.1)"),
        ("http://169.254.169.254/latest/meta-data", "host 169.254.169.254 is an internal address (169.254.169.254)"),
        ("http://100.64.0.1/hook", "host 100.64.0.1 is an internal address (100.64.0.1)"),
        ("http://0.0.0.0/hook", "host 0.0.0.0 is an internal address (0.0.0.0)"),
        ("http://224.0.0.1/hook", "host 224.0.0.1 is an internal address (224.0.0.1)"),
        ("http://240.0.0.1/hook", "host 240.0.0.1 is an internal address (240.0.0.1)"),
        ("http://[::1]/hook", "host ::1 is an internal address (::1)"),
        ("http://[fe80::1]/hook", "host fe80::1 is an internal address (fe80::1)"),
        ("http://[fc00::1]/hook", "host fc00::1 is an internal address (fc00::1)"),
        ("http://[::ffff:127.0.0.1]/hook", "host ::ffff:127.0.0.1 is an internal address (::ffff:7f00:1)"),
        ("http://no-such-host.invalid/hook", "host no-such-host.invalid cannot be found"),
    ],
)
async def test_internal_or_malformed_targets_are_refused(url, reason, monkeypatch):
    monkeypatch.delenv(ALLOW, raising=False)
    with pytest.raises(TargetRefused) as refused:
        await check_target(url)
    assert str(refused.value).startswith(reason)


async def test_a_public_address_is_posted_to_the_checked_address_with_the_name_kept(monkeypatch):
    monkeypatch.delenv(ALLOW, raising=False)
    assert await check_target("https://93.184.216.34:8443/hooks/a?x=1") == Target(
        "https://93.184.216.34:8443/hooks/a?x=1", "93.184.216.34:8443", "93.184.216.34"
    )
    assert await check_target("http://[2001:4860:4860::8888]/h") == Target("http://[2001:4860:4860::8888]/h", "[2001:4860:4860::8888]", None)


async def test_the_operator_allow_list_admits_named_internal_receivers(monkeypatch):
    monkeypatch.setenv(ALLOW, "10.1.2.0/24, localhost ,127.0.0.1")
    assert (await check_target("http://10.1.2.77/h")).url == "http://10.1.2.77/h"
    assert (await check_target("http://127.0.0.1:9/h")).url == "http://127.0.0.1:9/h"
    assert (await check_target("http://localhost:9/h")).host_header == "localhost:9"
    with pytest.raises(TargetRefused):
        await check_target("http://10.1.3.1/h")  # just outside the allowed network
    with pytest.raises(TargetRefused):
        await check_target("http://127.0.0.2/h")  # the bare address is a /32


async def test_saving_an_internal_address_is_refused_and_nothing_is_posted(meihao, receiver):
    street = await build_street(meihao)
    anna = street.residents["Anna"]["id"]
    with pytest.raises(InvalidInput) as refused:
        await set_contact(meihao, "resident", anna, "webhook", receiver.url + "/hook")
    assert refused.value.field == "address"
    assert await Contact.count() == 0

    async with make_client(meihao) as client:
        answer = await client.put(f"/api/residents/{anna}/contacts/webhook", json={"address": receiver.url + "/hook"})
        assert answer.status_code == 400
        assert answer.json()["detail"].startswith("address: host 127.0.0.1 is an internal address (127.0.0.1)")
        answer = await client.put(f"/api/residents/{anna}/contacts/wecom", json={"address": "http://169.254.169.254/"})
        assert answer.status_code == 400
    assert await Contact.count() == 0
    assert receiver.received == []


async def test_an_address_that_became_internal_is_refused_at_send_time(meihao, receiver, monkeypatch):
    street = await build_street(meihao)
    monkeypatch.setenv(ALLOW, "127.0.0.1")
    await set_contact(meihao, "resident", street.residents["Anna"]["id"], "webhook", receiver.url + "/hook")
    monkeypatch.delenv(ALLOW)  # as if the name now resolved to an internal address
    await create_activity(meihao, "hepan", show())
    street.clock.set(at(2026, 3, 6, 14, 0))
    await drain(street.engine)
    row = await Reminder.select(Reminder.status, Reminder.attempts, Reminder.last_error).first()
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert row["last_error"].startswith("PermanentFailure: webhook address refused: host 127.0.0.1 is an internal address")
    assert receiver.received == []


async def test_allowed_receiver_gets_the_post_and_redirects_are_not_followed(meihao, receiver, monkeypatch):
    street = await build_street(meihao)
    monkeypatch.setenv(ALLOW, "127.0.0.1")
    with HttpReceiver(secret=SECRET.encode()) as inner:
        receiver.redirect_to = inner.url + "/internal-admin"
        await set_contact(meihao, "resident", street.residents["Anna"]["id"], "webhook", receiver.url + "/hook")
        await set_contact(meihao, "resident", street.residents["张伟"]["id"], "webhook", inner.url + "/direct")
        await create_activity(meihao, "hepan", show())
        street.clock.set(at(2026, 3, 6, 14, 0))
        await drain(street.engine)
        rows = {r["recipient_id"]: r for r in await Reminder.select(Reminder.recipient_id, Reminder.status, Reminder.last_error)}
        anna = rows[street.residents["Anna"]["id"]]
        assert anna["status"] == "failed"
        assert anna["last_error"].startswith("PermanentFailure: HTTP 302 from 127.0.0.1:")
        assert receiver.redirected == 1
        assert [hit.path for hit in inner.received] == ["/direct"]  # the redirect target was never posted to
        assert rows[street.residents["张伟"]["id"]]["status"] == "sent"
