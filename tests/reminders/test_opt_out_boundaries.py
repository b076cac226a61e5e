"""Opt-outs of one scene, of one channel, of one scene on one channel, and of everything (``scene="*"``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from meihao import Channel, hookimpl
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.recipients import opt_in, opt_out
from meihao.reminders.tables import Reminder
from meihao.testing import drain
from tests.reminders.conftest import build_street

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Pigeons:
    """A second channel that needs no address, so one channel can be opted out of and not the other."""

    @hookimpl
    def meihao_channels(self):
        async def send(message) -> None:
            return None

        return [Channel("pigeon", "信鸽", "Carrier pigeon", send, needs_address=False)]


def _activity(scene: str, title: str) -> ActivityIn:
    return ActivityIn(scene=scene, title=title, venue="荷畔广场", starts_at=datetime(2026, 3, 7, 9, 0), ends_at=datetime(2026, 3, 7, 11, 0),
                      audience={"everyone": True}, reminder_offsets=[1440], channels=["inbox", "pigeon"])


async def _reached(street) -> set[tuple[str, str, str]]:
    await create_activity(street.mh, "hepan", _activity("markets", "睦邻善市"))
    await create_activity(street.mh, "hepan", _activity("culture", "吕剧"))
    street.clock.set(datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI))
    await drain(street.engine)
    names = {v["id"]: k for k, v in street.residents.items()}
    rows = await Reminder.select(Reminder.activity.scene.as_alias("scene"), Reminder.recipient_id, Reminder.channel).where(
        Reminder.recipient_kind == "resident")
    return {(row["scene"], names[row["recipient_id"]], row["channel"]) for row in rows}


def _everything(name: str) -> set[tuple[str, str, str]]:
    return {(scene, name, channel) for scene in ("markets", "culture") for channel in ("inbox", "pigeon")}


async def test_each_kind_of_opt_out_removes_exactly_what_it_names(make_meihao):
    mh = await make_meihao(plugins=[("pigeons", Pigeons())])
    street = await build_street(mh)
    r = street.residents
    await opt_out(mh, "resident", r["王秀英"]["id"])  # everything: scene "*", channel "*"
    await opt_out(mh, "resident", r["李建国"]["id"], scene="markets")  # one scene, every channel
    await opt_out(mh, "resident", r["Anna"]["id"], channel="pigeon")  # one channel, every scene
    await opt_out(mh, "resident", r["张伟"]["id"], scene="markets", channel="inbox")  # one scene on one channel
    # 刘芳 opted out of nothing
    assert await _reached(street) == {
        ("culture", "李建国", "inbox"), ("culture", "李建国", "pigeon"),
        ("markets", "Anna", "inbox"), ("culture", "Anna", "inbox"),
        ("markets", "张伟", "pigeon"), ("culture", "张伟", "inbox"), ("culture", "张伟", "pigeon"),
        *_everything("刘芳"),
    }


async def test_opting_out_of_everything_is_not_undone_by_opting_in_to_one_scene(make_meihao):
    mh = await make_meihao(plugins=[("pigeons", Pigeons())])
    street = await build_street(mh)
    r = street.residents
    await opt_out(mh, "resident", r["王秀英"]["id"], scene="*")
    await opt_in("resident", r["王秀英"]["id"], scene="markets")  # there is no such opt-out to remove
    await opt_out(mh, "resident", r["李建国"]["id"], scene="*")
    await opt_in("resident", r["李建国"]["id"], scene="*")  # undone: reminded again
    reached = await _reached(street)
    assert {row for row in reached if row[1] in ("王秀英", "李建国")} == _everything("李建国")


async def test_an_opt_out_of_another_scene_or_channel_changes_nothing(make_meihao):
    mh = await make_meihao(plugins=[("pigeons", Pigeons())])
    street = await build_street(mh)
    await opt_out(mh, "resident", street.residents["王秀英"]["id"], scene="health")
    await opt_out(mh, "resident", street.residents["王秀英"]["id"], scene="health", channel="pigeon")
    reached = await _reached(street)
    assert {row for row in reached if row[1] == "王秀英"} == _everything("王秀英")
    assert len(reached) == 20  # five residents, two scenes, two channels
