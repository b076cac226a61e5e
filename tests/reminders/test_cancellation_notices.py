"""Cancellation notices (issue 11, finding 20): people already reminded of an activity that is then
cancelled are told, once, on the channel they were reminded on; a community can switch it off."""

from __future__ import annotations

from meihao.reminders.recipients import inbox
from meihao.reminders.tables import Reminder
from meihao.testing import drain, make_client
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at

PLAN = {
    "scene": "health",
    "title": "健康体检",
    "venue": "社区卫生站",
    "starts_at": "2026-03-07T09:00:00",
    "ends_at": "2026-03-07T11:00:00",
    "reminder_offsets": [1440],
    "channels": ["inbox"],
}


async def _plan(mh, audience):
    async with make_client(mh) as client:
        answer = await client.post("/api/communities/hepan/activities", json={**PLAN, "audience": audience})
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]


async def _cancel(mh, activity_id):
    async with make_client(mh) as client:
        assert (await client.post(f"/api/activities/{activity_id}/cancel")).status_code == 200


async def test_people_already_reminded_hear_of_the_cancellation_once(meihao):
    street = await build_street(meihao)
    worker = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    reminded = await _plan(meihao, {"grids": [street.grid_a], "staff": [worker["id"]]})
    street.clock.set(at(2026, 3, 6, 9, 0))
    assert (await drain(street.engine)).sent == 4  # three residents of grid A and the worker
    not_yet = await _plan(meihao, {"grids": [street.grid_b]})  # its reminder falls due tomorrow: nobody reminded yet
    await _cancel(meihao, reminded)
    await _cancel(meihao, reminded)  # a second cancel tells nobody again
    await _cancel(meihao, not_yet)
    await drain(street.engine)
    wang = street.residents["王秀英"]["id"]
    messages = [m["body"] for m in await inbox("resident", wang)]
    assert messages[0] == "尊敬的王奶奶：\n原定3月7日（周六）上午9点的健康体检已取消。Cancelled: 健康体检 (2026-03-07 09:00).\n——荷畔社区居民委员会"
    assert len(messages) == 2  # the reminder, then the notice
    assert [m["body"] for m in await inbox("staff", worker["id"])][0] == "原定3月7日（周六）上午9点的健康体检已取消。Cancelled: 健康体检 (2026-03-07 09:00)."  # staff: not addressed
    for name in ("张伟", "刘芳"):  # grid B was never reminded
        assert await inbox("resident", street.residents[name]["id"]) == []
    assert await Reminder.count().where(Reminder.status == "sent") == 4 + 4


async def test_a_community_can_switch_cancellation_notices_off(meihao):
    street = await build_street(meihao)
    async with make_client(meihao) as client:
        answer = await client.put(
            "/api/communities/hepan/reminder-settings", json={"quiet_start": "21:30", "quiet_end": "07:30", "cancellation_notices": False}
        )
        assert answer.json() == {"quiet_start": "21:30", "quiet_end": "07:30", "cancellation_notices": False}
    activity = await _plan(meihao, {"grids": [street.grid_a]})
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    await _cancel(meihao, activity)
    await drain(street.engine)
    assert len(await inbox("resident", street.residents["王秀英"]["id"])) == 1  # the reminder only
