"""The culture demo data: shows held with records, last night's show asked about, shows ahead reminded."""

from __future__ import annotations

from meihao import scenario_settings
from meihao.reminders.tables import Reminder
from meihao.scenarios.culture.jobs import ask_attendance
from meihao.scenarios.culture.tables import Show, Troupe, Venue
from meihao.testing import drain

P = "/api/communities/chengguan/culture"


async def test_demo_data_fills_the_old_town_with_opera(chengguan):
    w = chengguan
    w.at(2026, 4, 20, 10, 0)
    settings = await scenario_settings(w.mh, w.community.id, "culture")
    await w.mh.plugins.demo_data(w.community, "culture", settings, 1169, w.mh)
    assert await Troupe.count() == 4 and await Venue.count() == 3
    delivered = await Show.select().where(Show.status == "delivered")
    assert len(delivered) == 7  # the spring dates already past, and twelve and five days ago
    assert all(s["attendance"] and s["confirmed_by"] for s in delivered)
    async with w.client("community_admin") as admin:
        summary = (await admin.get(f"{P}/summary")).json()
        assert summary["shows_delivered"] == len(delivered) and summary["audience_reached"] == sum(s["attendance"] for s in delivered)
        ahead = (await admin.get(f"{P}/shows?status=scheduled")).json()
        assert [s["day"] for s in ahead] == ["2026-04-19", "2026-04-21", "2026-04-22"]  # last night's, then tomorrow and after
        assert ahead[1]["elders_first"] is True
    result = await drain(w.engine)
    assert result.recipients > 0  # tomorrow's elders first, and the audience of the day before
    asked = await ask_attendance(meihao=w.mh, community=w.community, now=w.clock.now())
    assert asked is None
    assert await Show.count().where(Show.attendance_asked_at.is_not_null()) == 1
    await drain(w.engine)
    assert await Reminder.count().where(Reminder.recipient_kind == "staff") == 1  # the community admin is asked
