"""A notice's scene defaults to its scenario's; an opt-out of a scene holds under every name the scene goes by.

The lantern scenario's name (lantern) differs from its scene (neighbourhood): a notice sent
under the name once slipped past an opt-out of the scene.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from meihao import ActivityIn, Channel, InvalidInput, NoticeIn, create_activity, hookimpl, notify
from meihao.reminders.recipients import opt_out
from meihao.reminders.tables import Activity, Reminder
from meihao.tables import Resident
from meihao.testing import drain
from tests.reminders.conftest import build_street


class Pigeons:
    @hookimpl
    def meihao_channels(self):
        async def send(message):
            return None

        return [Channel("pigeon", "信鸽", "Carrier pigeon", send, needs_address=False)]


@pytest.fixture
async def street(make_meihao, lantern_plugin):
    street = await build_street(await make_meihao(plugins=[lantern_plugin, ("pigeons", Pigeons())]))
    r = {name: person["id"] for name, person in street.residents.items()}
    await opt_out(street.mh, "resident", r["王秀英"], scene="neighbourhood")  # the lantern's scene, every channel
    await opt_out(street.mh, "resident", r["李建国"], scene="culture")  # another scene
    await opt_out(street.mh, "resident", r["Anna"], scene="*")  # everything
    await opt_out(street.mh, "resident", r["张伟"], scene="neighbourhood", channel="pigeon")  # the scene, on one channel
    # 刘芳 opted out of nothing
    return street


async def _outbox() -> set[tuple[str, str]]:
    rows = await Reminder.select(Reminder.recipient_id, Reminder.channel).where(Reminder.recipient_kind == "resident")
    names = {p["id"]: p["name"] for p in await Resident.select(Resident.id, Resident.name)}
    return {(names[r["recipient_id"]], r["channel"]) for r in rows}


#: Who gets a reminder of the neighbourhood scene, on which channel, with the opt-outs above.
NEIGHBOURHOOD = {("李建国", "inbox"), ("李建国", "pigeon"), ("张伟", "inbox"), ("刘芳", "inbox"), ("刘芳", "pigeon")}


def _lantern_notice(street, **fields) -> NoticeIn:
    return NoticeIn(key="lantern:1", title="灯谜会", body="今晚猜灯谜", residents=list(street_ids(street)), channels=["inbox", "pigeon"], **fields)


def street_ids(street) -> list[int]:
    return [person["id"] for person in street.residents.values()]


@pytest.mark.parametrize("scene", ["", "lantern", "neighbourhood"], ids=["default", "by-name", "by-scene"])
async def test_an_opt_out_of_the_scene_holds_whatever_name_the_notice_is_sent_under(street, scene):
    sent = await notify(street.mh, "hepan", _lantern_notice(street, scene=scene), scenario="lantern")
    assert (sent["scene"], sent["scenario"]) == ("neighbourhood", "lantern")
    await drain(street.engine)
    assert await _outbox() == NEIGHBOURHOOD


async def test_an_older_notice_stored_under_the_scenarios_name_is_held_back_too(street):
    sent = await notify(street.mh, "hepan", _lantern_notice(street), scenario="lantern")
    # as the kernel stored it before scenes were normalised (and as the migration left it)
    await Activity.update({Activity.scene: "lantern"}).where(Activity.id == sent["id"])
    await drain(street.engine)
    assert await _outbox() == NEIGHBOURHOOD


async def test_an_activity_of_the_scenario_is_held_back_like_its_notices(street):
    activity = await create_activity(street.mh, "hepan", ActivityIn(
        scene="lantern", title="元宵灯会", starts_at=datetime(2026, 3, 3, 19, 0), ends_at=datetime(2026, 3, 3, 21, 0),
        audience={"everyone": True}, reminder_offsets=[60], channels=["inbox", "pigeon"],
    ))
    assert (activity["scene"], activity["scenario"]) == ("neighbourhood", "lantern")  # named like the scenario: its own
    street.clock.set(datetime(2026, 3, 3, 10, 30, tzinfo=timezone.utc))
    await drain(street.engine)
    assert await _outbox() == NEIGHBOURHOOD


async def test_a_notice_of_another_scene_reaches_those_who_opted_out_of_this_one(street):
    # lantern may send in any of the nine scenes: culture's opt-out holds, neighbourhood's does not
    sent = await notify(street.mh, "hepan", _lantern_notice(street, scene="culture"), scenario="lantern")
    assert (sent["scene"], sent["scenario"]) == ("culture", "lantern")
    await drain(street.engine)
    assert await _outbox() == {
        ("王秀英", "inbox"), ("王秀英", "pigeon"), ("张伟", "inbox"), ("张伟", "pigeon"), ("刘芳", "inbox"), ("刘芳", "pigeon"),
    }


@pytest.mark.parametrize(
    ("scene", "scenario", "field"),
    [
        ("bookshelf", "lantern", "scene"),  # neither a scene nor lantern's
        ("markets", "nope", "scenario"),  # no such scenario
        ("", None, "scene"),  # no scenario to default from
        ("lanterns", None, "scene"),  # not a scene, not a scenario
    ],
)
async def test_a_scene_that_is_not_the_scenarios_is_refused_naming_the_field(street, scene, scenario, field):
    with pytest.raises(InvalidInput) as caught:
        await notify(street.mh, "hepan", _lantern_notice(street, scene=scene), scenario=scenario)
    assert caught.value.field == field
    assert await Activity.count() == 0


async def test_a_third_party_scene_key_belongs_only_to_its_scenario(make_meihao, lantern_plugin):
    """A scene key a scenario brings (not one of the nine) is refused to every other scenario."""
    from meihao import Scenario

    class Kites:
        @hookimpl
        def meihao_scenario(self):
            return Scenario(name="kites", title_zh="风筝", title_en="Kites", scene="kite_flying", version="1.0")

    street = await build_street(await make_meihao(plugins=[lantern_plugin, ("kites", Kites())]))
    wang = street.residents["王秀英"]["id"]
    for scene in ("kite_flying", "kites"):
        with pytest.raises(InvalidInput) as caught:
            await notify(street.mh, "hepan", NoticeIn(scene=scene, key="x", title="t", body="b", residents=[wang]), scenario="lantern")
        assert caught.value.field == "scene"
    sent = await notify(street.mh, "hepan", NoticeIn(scene="kites", key="x", title="t", body="b", residents=[wang]), scenario="kites")
    assert (sent["scene"], sent["scenario"]) == ("kite_flying", "kites")
