"""Notices (meihao.notify): one-off messages to named people, through the reminder engine, once per key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meihao import InvalidInput, NoticeIn, notify
from meihao.reminders.recipients import inbox
from meihao.reminders.tables import Reminder
from meihao.testing import drain


def notice(**fields) -> NoticeIn:
    values = dict(scene="elder_care", key="test:1", title="探访提醒", body="王秀英 已超过探访周期，请尽快联系。")
    values.update(fields)
    return NoticeIn(**values)


async def test_a_notice_reaches_staff_and_residents_as_written_once_per_key(street):
    staff = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    wang = street.residents["王秀英"]["id"]
    sent = await notify(street.mh, "hepan", notice(staff=[staff["id"]], residents=[wang]))
    assert sent is not None and sent["source"] == "notice:test:1"
    result = await drain(street.engine)
    assert result.sent == 2
    assert [m["body"] for m in await inbox("staff", staff["id"])] == ["王秀英 已超过探访周期，请尽快联系。"]
    # a resident's copy is addressed and signed by the residents' committee (issue 16); staff's is as written
    assert [m["body"] for m in await inbox("resident", wang)] == ["尊敬的王奶奶：\n王秀英 已超过探访周期，请尽快联系。\n——荷畔社区居民委员会"]

    # the same key again: nothing new, now or later
    assert await notify(street.mh, "hepan", notice(staff=[staff["id"]], body="又一次")) is None
    street.clock.advance(hours=1)
    assert (await drain(street.engine)).sent == 0
    assert len(await inbox("staff", staff["id"])) == 1


async def test_a_notice_not_delivered_while_useful_is_missed(street):
    staff = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    street.clock.advance(hours=14)  # 22:00 in Shanghai: quiet hours hold it back
    await notify(street.mh, "hepan", notice(staff=[staff["id"]], useful_for=timedelta(hours=2)))
    assert (await drain(street.engine)).deferred == 1
    street.clock.advance(hours=10)  # quiet hours over, but the notice is stale
    await drain(street.engine)
    assert [r["status"] for r in await Reminder.select(Reminder.status)] == ["missed"]
    assert await inbox("staff", staff["id"]) == []


async def test_a_notice_must_name_someone(street):
    with pytest.raises(InvalidInput) as err:
        await notify(street.mh, "hepan", notice())
    assert err.value.field == "staff"


async def test_notices_are_not_community_events(street):
    from meihao.reminders.activities import list_activities

    staff = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    await notify(street.mh, "hepan", notice(staff=[staff["id"]]))
    assert await list_activities("hepan") == []
