"""culture's part of a resident's data rights: the scene holds nothing about a person; an erased audience member is not reminded again and attendance stays counted."""

from __future__ import annotations

from meihao.reminders.tables import InboxMessage
from meihao.scenarios.culture.tables import Show
from meihao.testing import drain

from .test_story import setting_the_stage

P = "/api/communities/chengguan/culture"
REASON = "本人申请删除个人信息"


async def _messages(resident_id: int) -> list[str]:
    rows = await InboxMessage.select(InboxMessage.body).where(InboxMessage.recipient_kind == "resident", InboxMessage.recipient_id == resident_id)
    return [r["body"] for r in rows]


async def test_culture_holds_nothing_about_a_resident_and_erasure_keeps_attendance(chengguan):
    w = chengguan
    wang, liu = w.residents["王秀英"]["id"], w.residents["刘洋"]["id"]
    async with w.client("community_admin") as admin:
        stage = await setting_the_stage(w, admin)
        show = (await admin.post(f"{P}/plans/{stage['plan']['id']}/shows", json={
            "venue_id": stage["square"]["id"], "troupe_id": stage["troupe"]["id"], "play_id": stage["troupe"]["repertoire"][0]["id"],
            "starts_at": "2026-03-07T19:00:00", "elders_first": True})).json()
    await drain(w.engine)
    w.at(2026, 3, 5, 19, 0)
    await drain(w.engine)  # the elders first: 王秀英 is reminded
    assert len(await _messages(wang)) == 1
    async with w.client("street_admin") as client:
        exported = (await client.get(f"/api/residents/{wang}/export")).json()["plugins"]
        done = await client.post(f"/api/residents/{wang}/erase", json={"reason": REASON})
    assert "culture" not in exported
    # her reminder of the show is the kernel's part of the export
    assert [(r["title"], r["scene"], r["channel"], r["status"]) for r in exported["meihao.reminders.hookimpls"]["reminders"]] == [
        ("戏曲进社区·吕剧《李二嫂改嫁》", "culture", "inbox", "sent"),
    ]
    assert done.status_code == 200, done.text
    assert done.json()["erased"] == {
        "register": {"resident": 1, "tags": 0},
        "meihao.reminders.hookimpls": {"contacts": 0, "inbox_messages": 1, "reminders_cancelled": 0},
    }
    # everyone else is reminded the day before; the erased resident no more
    w.at(2026, 3, 6, 19, 0)
    await drain(w.engine)
    assert await _messages(wang) == []
    assert len(await _messages(liu)) == 1
    w.at(2026, 3, 8, 9, 0)
    async with w.client("community_admin") as admin:
        recorded = await admin.put(f"{P}/shows/{show['id']}/record", json={"attendance": 260, "satisfaction": "satisfied"})
        assert recorded.status_code == 200, recorded.text
    async with w.client("street_admin") as client:
        await client.post(f"/api/residents/{liu}/erase", json={"reason": REASON})
    assert await Show.select(Show.attendance, Show.satisfaction).where(Show.id == show["id"]).first() == {"attendance": 260, "satisfaction": "satisfied"}
