"""Hand-overs between scenes (``meihao_intakes`` and ``meihao.hand_over``): the kernel checks, the intake creates.

Two throwaway scenarios: ``desk`` sends, ``dispatch`` receives grid events. The receiver keeps
what it was given in a list, standing in for its table; the tests check what reaches it, what
the kernel refuses before it is called, the audit row, and that the caller's transaction holds
the hand-over and the sender's own write together.
"""

from __future__ import annotations

import pytest

from meihao import (
    Conflict,
    HandOver,
    Intake,
    InvalidInput,
    NotFound,
    PluginError,
    Principal,
    Receipt,
    Scenario,
    can_hand_over,
    hand_over,
    hookimpl,
    transaction,
)
from meihao.access.tables import AuditLog
from meihao.register.community_scenarios import enable
from meihao.register.tables import Resident
from tests.reminders.conftest import build_street


class Dispatch:
    """Takes grid events handed over by other scenes."""

    def __init__(self) -> None:
        self.received: list[HandOver] = []

    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="dispatch", title_zh="派单", title_en="Dispatch", scene="governance", version="1.0")

    @hookimpl
    def meihao_intakes(self):
        async def accept(handover, meihao, principal):
            if "category" not in handover.data:
                raise InvalidInput("a grid event needs data['category']")
            self.received.append(handover)
            number = len(self.received)
            return Receipt(reference=f"dispatch.event:{number}", path=f"/dispatch/events/{number}", title=handover.title)

        return [Intake(name="dispatch.event", title_zh="网格事件", title_en="Grid event", accept=accept)]


class Desk:
    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="desk", title_zh="接访", title_en="Desk", scene="service", version="1.0")


@pytest.fixture
async def world(make_meihao):
    dispatch = Dispatch()
    mh = await make_meihao(plugins=[("dispatch", dispatch), ("desk", Desk())])
    street = await build_street(mh)
    return mh, dispatch, street


def _leak(street, **fields) -> HandOver:
    return HandOver(
        community="hepan", source="desk.request:42", title="3号楼楼顶漏水", body="业主反映雨天漏水已一周，物业未处理。",
        resident_id=street.residents["王秀英"]["id"], grid_id=street.grid_a, data={"category": "市容环境"}, **fields,
    )


async def test_hook_meihao_intakes(world):
    """A hand-over reaches the intake of the scene that declared it, and leaves one audit row."""
    mh, dispatch, street = world
    await enable(mh, "hepan", "dispatch")
    receipt = await hand_over(mh, "dispatch.event", _leak(street), Principal.system())
    assert receipt == Receipt(reference="dispatch.event:1", path="/dispatch/events/1", title="3号楼楼顶漏水")
    assert [(h.source, h.title, h.grid_id) for h in dispatch.received] == [("desk.request:42", "3号楼楼顶漏水", street.grid_a)]
    rows = await AuditLog.select(AuditLog.action, AuditLog.target_type, AuditLog.target_id).where(AuditLog.action == "handover")
    assert rows == [{"action": "handover", "target_type": "dispatch.event", "target_id": "dispatch.event:1"}]


async def test_the_kernel_refuses_where_the_receiving_scene_is_off_and_says_so(world):
    mh, dispatch, street = world
    assert await can_hand_over(mh, "dispatch.event", "hepan") is False
    with pytest.raises(Conflict, match=r"dispatch is not switched on in 荷畔社区 \(hepan\)"):
        await hand_over(mh, "dispatch.event", _leak(street), Principal.system())
    await enable(mh, "hepan", "dispatch")
    assert await can_hand_over(mh, "dispatch.event", "hepan") is True
    assert await can_hand_over(mh, "dispatch.event", "nowhere") is False
    assert await can_hand_over(mh, "dispatch.complaint", "hepan") is False
    assert dispatch.received == []


async def test_an_unknown_intake_is_not_found(world):
    mh, _, street = world
    # (health declares health.referral since elder3: a kind no scene declares)
    with pytest.raises(NotFound, match="no installed scene takes hand-overs of kind 'nosuchscene.matter'"):
        await hand_over(mh, "nosuchscene.matter", _leak(street), Principal.system())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": "request 42"}, "source must name the sender's record as 'scene.kind:id'"),
        ({"title": "  "}, "a hand-over needs a title"),
        ({"data": {}}, r"a grid event needs data\['category'\]"),
    ],
)
async def test_a_malformed_hand_over_is_refused_with_what_is_wrong(world, change, message):
    mh, dispatch, street = world
    await enable(mh, "hepan", "dispatch")
    fields = {"community": "hepan", "source": "desk.request:42", "title": "漏水", "grid_id": street.grid_a, "data": {"category": "其他"}}
    with pytest.raises(InvalidInput, match=message):
        await hand_over(mh, "dispatch.event", HandOver(**{**fields, **change}), Principal.system())
    assert dispatch.received == []


async def test_places_outside_the_community_are_refused_before_the_intake_runs(world):
    mh, dispatch, street = world
    await enable(mh, "hepan", "dispatch")
    outsider = await Resident.select(Resident.id, Resident.grid, Resident.building).where(Resident.name == "外人").first()
    for field, value, what in (("grid_id", outsider["grid"], "grid"), ("building_id", outsider["building"], "building"),
                               ("resident_id", outsider["id"], "resident")):
        handover = HandOver(community="hepan", source="desk.request:1", title="漏水", data={"category": "其他"}, **{field: value})
        with pytest.raises(InvalidInput, match=f"{what} {value} is not in this community"):
            await hand_over(mh, "dispatch.event", handover, Principal.system())
    assert dispatch.received == []


async def test_a_failed_write_after_the_hand_over_rolls_the_audit_row_back_with_it(world):
    mh, _, street = world
    await enable(mh, "hepan", "dispatch")
    with pytest.raises(RuntimeError, match="the sender's update failed"):
        async with transaction(mh):
            await hand_over(mh, "dispatch.event", _leak(street), Principal.system())
            raise RuntimeError("the sender's update failed")
    assert await AuditLog.count().where(AuditLog.action == "handover") == 0


def test_an_intake_must_carry_its_scenarios_name(make_plugins):
    class Wrong(Dispatch):
        @hookimpl
        def meihao_intakes(self):
            async def accept(handover, meihao, principal):
                return Receipt(reference="x:1")

            return [Intake(name="governance.event", title_zh="事件", title_en="Event", accept=accept)]

    with pytest.raises(PluginError, match=r"intake 'governance.event' must be 'dispatch'. followed by"):
        make_plugins(("dispatch", Wrong()))


def test_a_plugin_without_a_scenario_cannot_declare_an_intake(make_plugins):
    class Loose:
        @hookimpl
        def meihao_intakes(self):
            return [Intake(name="loose.event", title_zh="事件", title_en="Event", accept=lambda h, m, p: None)]

    with pytest.raises(PluginError, match="declares hand-over intakes but provides no scenario"):
        make_plugins(("loose", Loose()))


def test_two_intakes_of_one_name_are_refused(make_plugins):
    class Twice(Dispatch):
        @hookimpl
        def meihao_intakes(self):
            intake = Intake(name="dispatch.event", title_zh="事件", title_en="Event", accept=lambda h, m, p: None)
            return [intake, intake]

    with pytest.raises(PluginError, match="intake 'dispatch.event' is already declared"):
        make_plugins(("dispatch", Twice()))
