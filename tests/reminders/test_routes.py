"""The HTTP API of activities and reminders: scope, masking, secret links, calendar feeds; the CLI; embedded mode."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from icalendar import Calendar

from meihao.cli import cli
from meihao.reminders.tables import InboxMessage, ReminderOptOut
from meihao.reminders.tokens import make_token, revoke
from meihao.testing import ANONYMOUS, drain, make_client
from meihao.time.clock import SystemClock
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at

MARKET = {
    "scene": "markets",
    "title": "睦邻善市公益市集",
    "venue": "荷畔广场",
    "starts_at": "2026-03-07T09:00:00",
    "ends_at": "2026-03-07T11:00:00",
    "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=3",
    "audience": {"everyone": True},
    "reminder_offsets": [1440],
    "channels": ["inbox"],
}


async def test_activities_are_scoped_to_the_callers_communities(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    await street.factories.community("huayang")
    stranger = await street.factories.staff("community_admin", community="huayang")
    async with make_client(meihao, admin["id"]) as client:
        created = await client.post("/api/communities/hepan/activities", json=MARKET)
        assert created.status_code == 201, created.text
        activity = created.json()
        assert activity["starts_at"] == "2026-03-07T01:00:00Z"
        occurrences = (await client.get(f"/api/activities/{activity['id']}/occurrences")).json()
        assert [o["key"] for o in occurrences] == ["2026-03-07T01:00:00Z", "2026-03-14T01:00:00Z", "2026-03-21T01:00:00Z"]
        bad = await client.post("/api/communities/hepan/activities", json={**MARKET, "channels": ["fax"]})
        assert bad.status_code == 400 and bad.json()["field"] == "channels"
    async with make_client(meihao, stranger["id"]) as client:
        assert (await client.get(f"/api/activities/{activity['id']}")).status_code == 404
        assert (await client.get("/api/activities/999999")).json().keys() == (await client.get(f"/api/activities/{activity['id']}")).json().keys()
        assert (await client.patch(f"/api/activities/{activity['id']}", json={"title": "x"})).status_code == 404
        assert (await client.post(f"/api/activities/{activity['id']}/cancel")).status_code == 404
        assert (await client.post("/api/communities/hepan/activities", json=MARKET)).status_code == 403
    async with make_client(meihao, admin["id"]) as client:
        moved = await client.patch(f"/api/activities/{activity['id']}", json={"starts_at": "2026-03-07T10:00:00", "ends_at": "2026-03-07T12:00:00"})
        assert moved.status_code == 200 and moved.json()["version"] == 2
        cancelled = await client.post(f"/api/activities/{activity['id']}/occurrences/2026-03-14T02:00:00Z/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["exdates"] == ["2026-03-14T02:00:00Z"]
        assert (await client.post(f"/api/activities/{activity['id']}/cancel")).json()["status"] == "cancelled"


async def test_preview_is_masked_and_its_sample_stays_in_scope(meihao):
    street = await build_street(meihao)
    admin = await street.factories.staff("community_admin", community="hepan")
    worker_b = await street.factories.staff("grid_worker", grid_id=street.grid_b)
    async with make_client(meihao, admin["id"]) as client:
        activity = (await client.post("/api/communities/hepan/activities", json=MARKET)).json()
        preview = (await client.get(f"/api/activities/{activity['id']}/preview")).json()
    assert preview["residents"] == 5
    assert {p["name"] for p in preview["sample"]} == {"王*英", "李*国", "A**a", "张*", "刘*"}
    text = str(preview)
    assert "13912345678" not in text and "139****5678" in text
    assert [sorted(p) for p in preview["sample"]][0] == ["grid_id", "id", "language", "name", "phone"]  # no ID-card number, even masked
    assert "id_card" not in text
    async with make_client(meihao, worker_b["id"]) as client:
        mine = (await client.get(f"/api/activities/{activity['id']}/preview")).json()
    assert mine["residents"] == 5  # the count is an aggregate
    assert {p["name"] for p in mine["sample"]} == {"张*", "刘*"}  # names only from grid B

    # the command runs its own event loop: give it a thread
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["remind", "preview", str(activity["id"])], obj=meihao)
    assert result.exit_code == 0, result.output
    assert "睦邻善市公益市集 (hepan): 5 residents, 0 staff; channels inbox" in result.output
    assert "139****5678" in result.output and "13912345678" not in result.output


async def test_delivery_state_is_visible_per_reminder(meihao):
    street = await build_street(meihao)
    async with make_client(meihao) as client:
        activity = (await client.post("/api/communities/hepan/activities", json=MARKET)).json()
        street.clock.set(at(2026, 3, 6, 9, 0))
        await drain(street.engine)
        state = (await client.get(f"/api/activities/{activity['id']}/reminders")).json()
        assert state["counts"] == {"sent": 5}
        assert {r["occurrence"] for r in state["reminders"]} == {"2026-03-07T01:00:00Z"}
        assert all(r["attempts"] == 1 and r["sent_at"] for r in state["reminders"])
        jobs = await client.get("/api/jobs")
        assert jobs.status_code == 200
        assert "meihao:meihao.forget_old_job_runs" in {j["id"] for j in jobs.json()}
    admin = await street.factories.staff("community_admin", community="hepan")
    async with make_client(meihao, admin["id"]) as client:
        assert (await client.get("/api/jobs")).status_code == 403
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["jobs"], obj=meihao)
    assert result.exit_code == 0 and "meihao:meihao.forget_old_job_runs" in result.output


async def test_unsubscribe_link_needs_no_login_and_can_be_revoked(meihao):
    street = await build_street(meihao)
    wang = street.residents["王秀英"]["id"]
    token = await make_token(meihao, "resident", wang, "unsubscribe")
    async with make_client(meihao, ANONYMOUS) as client:
        shown = await client.get(f"/api/reminders/unsubscribe/{token}?scene=markets")
        assert shown.status_code == 200 and "王" not in shown.text
        assert await ReminderOptOut.count() == 0  # looking changes nothing (mail scanners follow links)
        done = await client.post(f"/api/reminders/unsubscribe/{token}?scene=markets")
        assert done.status_code == 200 and done.json() == {"unsubscribed": True, "scene": "markets"}
        assert await ReminderOptOut.select(ReminderOptOut.scene, ReminderOptOut.channel) == [{"scene": "markets", "channel": "*"}]
        forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        assert (await client.post(f"/api/reminders/unsubscribe/{forged}")).status_code == 404
        assert (await client.get("/api/reminders/unsubscribe/r1.1")).status_code == 404
        await revoke(meihao, "resident", wang, "unsubscribe")
        assert (await client.post(f"/api/reminders/unsubscribe/{token}")).status_code == 404


async def test_calendar_feeds(meihao):
    street = await build_street(meihao)
    anna, zhang = street.residents["Anna"]["id"], street.residents["张伟"]["id"]
    async with make_client(meihao) as client:
        await client.post("/api/communities/hepan/activities", json=MARKET)
        await client.post(
            "/api/communities/hepan/activities",
            json={**MARKET, "title": "网格A健康讲座", "scene": "health", "rrule": "", "audience": {"grids": [street.grid_a]}},
        )
        link = (await client.post(f"/api/residents/{anna}/calendar-link")).json()["url"]
        zhang_link = (await client.post(f"/api/residents/{zhang}/calendar-link")).json()["url"]
    path = link.removeprefix(meihao.settings.base_url)
    async with make_client(meihao, ANONYMOUS) as client:
        feed = await client.get(path)
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
        assert str(Calendar.from_ical(feed.content)["x-wr-calname"]) == "荷畔社区·我的活动"
        events = Calendar.from_ical(feed.content).walk("VEVENT")
        assert sorted(str(e["summary"]) for e in events) == sorted(["网格A健康讲座", *["睦邻善市公益市集"] * 3])
        first = next(e for e in events if str(e["summary"]) == "网格A健康讲座")
        assert first["dtstart"].dt == datetime(2026, 3, 7, 1, 0, tzinfo=timezone.utc)
        assert str(first["url"]).endswith(f"/api/activities/{first['uid'].split('-')[1]}")
        assert str(first["location"]) == "荷畔广场"

        zhang_events = Calendar.from_ical((await client.get(zhang_link.removeprefix(meihao.settings.base_url))).content).walk("VEVENT")
        assert {str(e["summary"]) for e in zhang_events} == {"睦邻善市公益市集"}  # not in grid A

        public_feed = Calendar.from_ical((await client.get("/api/communities/hepan/calendar.ics")).content)
        assert str(public_feed["x-wr-calname"]) == "荷畔社区活动"  # not 荷畔社区 社区活动
        public = public_feed.walk("VEVENT")
        assert {str(e["summary"]) for e in public} == {"睦邻善市公益市集"}  # only what is open to everyone
        assert len({str(e["uid"]) for e in public}) == 3

    async with make_client(meihao) as client:
        await client.post(f"/api/residents/{anna}/calendar-link")  # a new link revokes the old one
    async with make_client(meihao, ANONYMOUS) as client:
        assert (await client.get(path)).status_code == 404


async def test_embedded_mode_runs_the_scheduler_and_delivers(make_meihao):
    from meihao.scheduling.worker import in_loop_of

    mh = await make_meihao(role="both")
    street = await build_street(mh)
    mh.clock = SystemClock()
    soon = datetime.now(timezone.utc) + timedelta(hours=3)
    from meihao.reminders.activities import ActivityIn, create_activity
    from meihao.reminders.policy import set_quiet_hours

    await set_quiet_hours(street.community["id"], "00:00", "00:00")  # real time: whatever the hour
    async with make_client(mh) as client:
        worker = client.app.state["worker"]
        # beside the API, the worker runs in an event loop of its own (a thread)
        assert worker.scheduler.loop is not None and worker.scheduler.loop is not asyncio.get_running_loop()
        assert {"meihao:meihao.forget_old_job_runs", "meihao:meihao.reminders.digest"} <= {
            s["id"] for s in await in_loop_of(worker.scheduler, worker.scheduler.schedules)
        }
        jobs = await client.get("/api/jobs")  # read from the scheduler's own loop
        assert jobs.status_code == 200 and any(j["id"] == "meihao:meihao.reminders.digest" and j["next_fire_time"] for j in jobs.json())
        assert (await client.get("/health")).json()["scheduler"] == "running"
        await create_activity(
            mh, "hepan", ActivityIn(scene="markets", title="快闪市集", starts_at=soon, ends_at=soon + timedelta(hours=1), audience={"everyone": True}, reminder_offsets=[1440])
        )
        for _ in range(400):  # bounded wait for the pump; no timing is asserted
            if await InboxMessage.count() == 5:
                break
            await asyncio.sleep(0.05)
        assert await InboxMessage.count() == 5
    assert street.community["slug"] == "hepan"


async def test_a_residents_own_inbox_through_a_secret_link(meihao):
    street = await build_street(meihao)
    wang, anna = street.residents["王秀英"]["id"], street.residents["Anna"]["id"]
    async with make_client(meihao) as client:
        await client.post("/api/communities/hepan/activities", json=MARKET)
        street.clock.set(at(2026, 3, 6, 9, 0))
        await drain(street.engine)
        link = (await client.post(f"/api/residents/{wang}/inbox-link")).json()["url"]
        anna_link = (await client.post(f"/api/residents/{anna}/inbox-link")).json()["url"]
    path = link.removeprefix(meihao.settings.base_url)
    async with make_client(meihao, ANONYMOUS) as client:
        messages = (await client.get(path)).json()
        assert [m["body"] for m in messages] == ["尊敬的王奶奶：\n睦邻善市公益市集将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会"]
        anna_messages = (await client.get(anna_link.removeprefix(meihao.settings.base_url))).json()
        # one resident's link cannot mark another's message
        assert (await client.post(f"{path}/{anna_messages[0]['id']}/read")).status_code == 404
        assert (await client.post(f"{path}/{messages[0]['id']}/read")).status_code == 204
        assert (await client.get(path + "?unread=true")).json() == []
        assert (await client.get("/api/inbox/r1.1.forged")).status_code == 404


async def test_the_delivery_list_shows_only_recipients_in_the_callers_scope(meihao):
    street = await build_street(meihao)
    worker_a = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    worker_b = await street.factories.staff("grid_worker", grid_id=street.grid_b)
    admin = await street.factories.staff("community_admin", community="hepan")
    audience = {"everyone": True, "staff": [worker_a["id"], worker_b["id"]]}
    async with make_client(meihao, admin["id"]) as client:
        activity = (await client.post("/api/communities/hepan/activities", json={**MARKET, "rrule": "", "audience": audience})).json()
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    ids = street.residents

    async def seen(staff_id):
        async with make_client(meihao, staff_id) as client:
            answer = (await client.get(f"/api/activities/{activity['id']}/reminders")).json()
        return answer["counts"], {(r["recipient_kind"], r["recipient_id"]) for r in answer["reminders"]}

    counts, recipients = await seen(worker_a["id"])
    assert counts == {"sent": 4}
    assert recipients == {
        ("resident", ids["王秀英"]["id"]), ("resident", ids["李建国"]["id"]), ("resident", ids["Anna"]["id"]), ("staff", worker_a["id"]),
    }
    counts, recipients = await seen(worker_b["id"])
    assert counts == {"sent": 3}
    assert recipients == {("resident", ids["张伟"]["id"]), ("resident", ids["刘芳"]["id"]), ("staff", worker_b["id"])}
    counts, recipients = await seen(admin["id"])
    assert counts == {"sent": 7}
    assert len(recipients) == 7
