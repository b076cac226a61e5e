"""Faults (issue 11): an SMTP server down for an hour, a webhook receiver answering 500 and one that
times out, the disk full under SQLite. Retries with backoff, then ``failed`` with the reason;
nothing lost, nothing sent twice under two ids, a clear error and no corruption.

Real servers (aiosmtpd, an HTTP server) and, for the full disk, a real small filesystem (a
tmpfs with a size limit, else an ext4 loop device; skipped, saying why, where neither can be
mounted). Time is a FakeClock driven through the reminder engine (``drain``), not sleeps.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meihao.plugins import webhook
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.engine import ReminderEngine
from meihao.reminders.policy import DeliveryPolicy
from meihao.reminders.recipients import set_contact
from meihao.reminders.tables import InboxMessage, Reminder
from meihao.scheduling.worker import Worker
from meihao.testing import boot_for_tests, drain, settings_for_tests
from tests.receivers import HttpReceiver, SmtpReceiver
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at

SECRET = "faults-webhook-secret"


def market(channels: list[str]) -> ActivityIn:
    return ActivityIn(
        scene="markets", title="睦邻善市公益市集", venue="荷畔广场",
        starts_at=datetime(2026, 3, 7, 9, 0), ends_at=datetime(2026, 3, 7, 11, 0),
        audience={"everyone": True}, reminder_offsets=[1440], channels=channels,
    )


async def _rows() -> list[dict]:
    return await Reminder.select(
        Reminder.id, Reminder.recipient_id, Reminder.status, Reminder.attempts, Reminder.next_attempt_at, Reminder.last_error
    ).order_by(Reminder.id)


# -- the SMTP server down for an hour -----------------------------------------------------------


@pytest.fixture
def smtp_down(monkeypatch):
    """An SMTP server that is not running yet (its port refuses connections); ``start()`` brings it up."""
    receiver = SmtpReceiver()
    monkeypatch.setenv("MEIHAO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MEIHAO_SMTP_PORT", str(receiver.port))
    monkeypatch.setenv("MEIHAO_SMTP_FROM", "reminders@hepan.example")
    yield receiver
    if receiver.controller._thread is not None:
        receiver.__exit__(None, None, None)


async def _two_mail_residents(street) -> None:
    await set_contact(street.mh, "resident", street.residents["Anna"]["id"], "email", "anna@example.org")
    await set_contact(street.mh, "resident", street.residents["王秀英"]["id"], "email", "wang@example.org")


async def test_smtp_down_for_an_hour_retries_with_backoff_then_fails_with_the_reason(meihao, smtp_down):
    street = await build_street(meihao)
    await _two_mail_residents(street)
    await create_activity(meihao, "hepan", market(["email"]))
    street.clock.set(at(2026, 3, 6, 9, 0))  # the day-before reminder falls due; the server went down at 09:00
    # attempts at 09:00:00, 09:00:30, 09:01:30, 09:03:30 (30 s doubling), the fifth and last at 09:07:30
    for attempt, (when, next_at) in enumerate(
        [((9, 0, 0), (9, 0, 30)), ((9, 0, 30), (9, 1, 30)), ((9, 1, 30), (9, 3, 30)), ((9, 3, 30), (9, 7, 30))], start=1
    ):
        street.clock.set(at(2026, 3, 6, *when))
        assert (await drain(street.engine)).retried == 2
        rows = await _rows()
        assert {(r["status"], r["attempts"], r["next_attempt_at"]) for r in rows} == {("pending", attempt, at(2026, 3, 6, *next_at))}
        street.clock.set(at(2026, 3, 6, *next_at) - timedelta(seconds=1))
        assert (await drain(street.engine)).retried == 0  # not a second before its time
    street.clock.set(at(2026, 3, 6, 9, 7, 30))
    assert (await drain(street.engine)).failed == 2
    rows = await _rows()
    assert {(r["status"], r["attempts"]) for r in rows} == {("failed", 5)}
    for row in rows:  # the reason, in the SMTP client's words: the server could not be reached
        assert row["last_error"].startswith("SMTPConnectError: Error connecting to 127.0.0.1 on port"), row["last_error"]
    # the server is back an hour later: nothing failed is sent again, nothing is lost from the record
    smtp_down.__enter__()
    street.clock.set(at(2026, 3, 6, 10, 0))
    assert (await drain(street.engine)).sent == 0
    assert smtp_down.messages == []
    assert Counter(r["status"] for r in await _rows()) == Counter({"failed": 2})


async def test_a_policy_that_rides_out_an_hour_delivers_each_mail_once_when_the_server_is_back(meihao, smtp_down):
    street = await build_street(meihao)
    await _two_mail_residents(street)
    await create_activity(meihao, "hepan", market(["email"]))
    street.engine.policy.max_attempts = 8  # 30 s doubling: the eighth attempt comes 63.5 min after the first
    street.clock.set(at(2026, 3, 6, 9, 0))
    seen = []
    for _ in range(7):
        await drain(street.engine)
        rows = await _rows()
        seen.append(rows[0]["next_attempt_at"])
        street.clock.set(rows[0]["next_attempt_at"])
    assert seen == [at(2026, 3, 6, 9, 0, 30), at(2026, 3, 6, 9, 1, 30), at(2026, 3, 6, 9, 3, 30), at(2026, 3, 6, 9, 7, 30),
                    at(2026, 3, 6, 9, 15, 30), at(2026, 3, 6, 9, 31, 30), at(2026, 3, 6, 10, 3, 30)]
    smtp_down.__enter__()  # back at 10:00, before the eighth attempt
    assert street.clock.now() == at(2026, 3, 6, 10, 3, 30)
    assert (await drain(street.engine)).sent == 2
    rows = await _rows()
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 8)}
    assert sorted(m["Message-ID"] for m in smtp_down.messages) == sorted(f"<meihao-reminder-{r['id']}@meihao>" for r in rows)


# -- webhook receivers that answer 500, or do not answer in time ---------------------------------


@pytest.fixture
def webhook_env(monkeypatch):
    monkeypatch.setenv("MEIHAO_WEBHOOK_SECRET", SECRET)
    # the receivers listen on 127.0.0.1; where webhook targets are checked, the operator's allow-list admits it
    monkeypatch.setenv("MEIHAO_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")


async def _hooked_residents(street, receiver: HttpReceiver) -> None:
    for name in ("Anna", "王秀英"):
        await set_contact(street.mh, "resident", street.residents[name]["id"], "webhook", f"{receiver.url}/hook")


async def _until_final(street) -> None:
    """Drain, then move the clock to the next retry, until every row is final (bounded)."""
    for _ in range(10):
        await drain(street.engine)
        pending = [r for r in await _rows() if r["status"] == "pending"]
        if not pending:
            return
        street.clock.set(min(r["next_attempt_at"] for r in pending))
    raise AssertionError(await _rows())


async def test_a_webhook_receiver_answering_500_is_retried_with_backoff_then_failed_with_the_status(meihao, webhook_env):
    street = await build_street(meihao)
    with HttpReceiver(secret=SECRET.encode(), always_status=500) as receiver:
        await _hooked_residents(street, receiver)
        await create_activity(meihao, "hepan", market(["webhook"]))
        street.clock.set(at(2026, 3, 6, 9, 0))
        await _until_final(street)
        assert street.clock.now() == at(2026, 3, 6, 9, 7, 30)  # the fifth attempt
        rows = await _rows()
        port = receiver.server.server_address[1]
        assert {(r["status"], r["attempts"], r["last_error"]) for r in rows} == {("failed", 5, f"RuntimeError: HTTP 500 from 127.0.0.1:{port}")}
        assert receiver.received == []  # answered 500: nothing was accepted


async def test_a_webhook_receiver_that_times_out_is_retried_then_failed_saying_so(meihao, webhook_env, monkeypatch):
    street = await build_street(meihao)
    # meihao waits 10 s for a receiver; this test waits 0.3 s, for a receiver that answers after 1 s
    short = httpx.AsyncClient(timeout=0.3)
    monkeypatch.setattr(webhook, "client", lambda: short)
    try:
        with HttpReceiver(secret=SECRET.encode(), delay=1.0) as receiver:
            await _hooked_residents(street, receiver)
            await create_activity(meihao, "hepan", market(["webhook"]))
            street.clock.set(at(2026, 3, 6, 9, 0))
            await _until_final(street)
            rows = await _rows()
            assert {(r["status"], r["attempts"], r["last_error"]) for r in rows} == {
                ("failed", 5, "ReadTimeout: no answer within the channel's time limit")
            }
            # the slow receiver took each request in after the sender had given up: the copies it kept
            # all carry their reminder's one delivery id (it deduplicates on it), none another's
            receiver.server.shutdown()  # wait for its handlers
            ids = Counter(receiver.delivery_ids())
            assert set(ids) <= {f"meihao-reminder-{r['id']}" for r in rows}
    finally:
        await short.aclose()


# -- the disk full under SQLite ----------------------------------------------------------------


def _mount_small_filesystem(directory: Path, megabytes: int) -> tuple[str, Path | None]:
    """Mount a filesystem of ``megabytes`` at ``directory``: a tmpfs with a size limit, else an ext4 image on a
    loop device. Returns how it was mounted (and the image); skips the test, saying why, when neither works."""
    if os.geteuid() != 0:
        pytest.skip("the full-disk test mounts a small filesystem, which needs root (not root here)")
    directory.mkdir()
    tmpfs = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs", str(directory)],
                           capture_output=True, text=True)
    if tmpfs.returncode == 0:
        return "tmpfs", None
    image = directory.with_suffix(".img")
    with image.open("wb") as f:
        f.truncate(megabytes * 1024 * 1024)
    mkfs = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, text=True)
    loop = subprocess.run(["mount", "-o", "loop", str(image), str(directory)], capture_output=True, text=True) if mkfs.returncode == 0 else mkfs
    if loop.returncode == 0:
        return "loop", image
    pytest.skip(f"cannot mount a small filesystem here: tmpfs: {tmpfs.stderr.strip()}; loop device: {loop.stderr.strip()}")


def _fill(directory: Path) -> Path:
    """Fill the filesystem up to the last byte with one file; returns it (delete it to free the space)."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass
        try:
            while True:  # the last partial chunk
                f.write(b"\0" * 512)
                f.flush()
        except OSError:
            pass
    return filler


def _integrity(path: Path) -> str:
    with sqlite3.connect(path, timeout=30) as database:
        return database.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.fixture
def small_disk(tmp_path):
    directory = tmp_path / "disk"
    kind, image = _mount_small_filesystem(directory, 16)
    yield directory
    subprocess.run(["umount", "-l", str(directory)], check=False)
    if image is not None:
        image.unlink(missing_ok=True)


@pytest.mark.meihao_db("sqlite")
async def test_the_disk_full_under_sqlite_is_a_clear_error_loses_nothing_and_corrupts_nothing(
    _meihao_template, small_disk, monkeypatch, caplog
):
    url = await _meihao_template.acquire(small_disk)
    path = Path(url.split(":///", 1)[1])
    mh = boot_for_tests(settings_for_tests(url))
    await mh.start()
    try:
        with SmtpReceiver() as smtp:
            monkeypatch.setenv("MEIHAO_SMTP_HOST", "127.0.0.1")
            monkeypatch.setenv("MEIHAO_SMTP_PORT", str(smtp.port))
            street = await build_street(mh)
            building = await _building(street)
            for i in range(150):  # enough residents that their fan-out and sends need new pages (beyond the WAL's reusable frames)
                household = await street.factories.household(building)
                resident = await street.factories.resident(household["id"], name=f"居民{i:03d}")
                await set_contact(mh, "resident", resident["id"], "email", f"r{i}@example.org")
            await create_activity(mh, "hepan", market(["inbox", "email"]))
            residents = 5 + 150  # build_street's five and these
            street.clock.set(at(2026, 3, 6, 9, 0))
            street.engine = ReminderEngine(mh, DeliveryPolicy(batch_size=5, claim_size=20))

            filler = _fill(small_disk)
            assert shutil.disk_usage(small_disk).free < 64 * 1024
            # the worker's rounds fail with one clear line naming the database, and it keeps going
            caplog.set_level(logging.ERROR, logger="meihao.worker")
            worker = Worker(mh, scheduler=False, poll_seconds=0.05)
            worker.engine = street.engine
            await worker.start()
            for _ in range(400):  # bounded: until a round has failed
                if any("disk is full" in r.getMessage() for r in caplog.records):
                    break
                await _sleep(0.05)
            await worker.stop()
            full = [r.getMessage() for r in caplog.records if "disk is full" in r.getMessage()]
            assert full and full[0].startswith(f"reminder round failed: the database's disk is full ({path})"), full
            assert _integrity(path) == "ok"

            filler.unlink()  # space again
            # a send whose record hit the full disk stays claimed ('sending') until its lease runs out, then is taken again
            street.clock.set(at(2026, 3, 6, 9, 0) + street.engine.policy.lease + timedelta(seconds=1))
            await drain(street.engine)
            assert _integrity(path) == "ok"
            rows = await Reminder.select(Reminder.id, Reminder.channel, Reminder.status)
            # nothing lost: every resident once on each channel, all sent
            assert Counter((r["channel"], r["status"]) for r in rows) == Counter({("inbox", "sent"): residents, ("email", "sent"): 150})
            assert await InboxMessage.count() == residents  # exactly once
            ids = Counter(m["Message-ID"] for m in smtp.messages)
            assert set(ids) == {f"<meihao-reminder-{r['id']}@meihao>" for r in rows if r["channel"] == "email"}
            assert max(ids.values()) <= 2  # a mail whose record failed went again, under its own id
    finally:
        await mh.close()
        await _meihao_template.release(url)


async def _building(street) -> int:
    from meihao.tables import Building

    return (await Building.select(Building.id).where(Building.grid == street.grid_a).first())["id"]


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
