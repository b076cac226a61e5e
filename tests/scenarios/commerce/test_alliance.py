"""The merchant alliance: discounts for residents, and complaints between shops and residents handed to governance as
grid events through the kernel's hand-over (``governance.event``, ``data["category"]``).

governance's intake is stood in for by a throwaway ``governance`` scenario (the built-in one blocked for the test),
which keeps what it is handed in a list, as tests/hooks/test_handovers.py does.
"""

from __future__ import annotations

import pytest_asyncio

from meihao import HandOver, Intake, InvalidInput, Receipt, Scenario, hookimpl
from meihao.register.community_scenarios import enable
from meihao.runtime import boot
from meihao.scenarios.commerce.tables import Complaint
from meihao.testing import builtin_only, settings_for_tests

from .conftest import BASE, build


class Governance:
    """Takes grid events handed over by other scenes."""

    def __init__(self) -> None:
        self.received: list[HandOver] = []

    @hookimpl
    def meihao_scenario(self):
        return Scenario(name="governance", title_zh="治理", title_en="Governance", scene="governance", version="1.0")

    @hookimpl
    def meihao_intakes(self):
        async def accept(handover, meihao, principal):
            if "category" not in handover.data:
                raise InvalidInput("a grid event needs data['category']")
            self.received.append(handover)
            return Receipt(reference=f"governance.event:{len(self.received)}", path=f"/governance/events/{len(self.received)}",
                           title=handover.title)

        return [Intake(name="governance.event", title_zh="网格事件", title_en="Grid event", accept=accept)]


@pytest_asyncio.fixture
async def alliance(tmp_path, _meihao_template):
    """meihao with the throwaway governance in place of the built-in one (its entry point filtered out)."""
    governance = Governance()
    url = await _meihao_template.acquire(tmp_path)
    mh = boot(settings_for_tests(url), extra_plugins=[("governance", governance)],
              entry_point_filter=lambda ep: builtin_only(ep) and ep.name != "governance")
    await mh.start()
    try:
        yield await _with_shop(mh), governance
    finally:
        await mh.close()
        await _meihao_template.release(url)


async def _with_shop(mh):
    w = await build(mh)
    async with w.client("community_admin") as admin:
        shop = await admin.post(f"{BASE}/shops", json={"name": "济阳烧烤", "grid_id": w.grids["A"], "address": "华阳路25号"})
        assert shop.status_code == 201, shop.text
        w.shop = shop.json()["id"]
    return w


async def test_discounts_are_listed_until_their_last_day(alliance):
    w, _ = alliance
    async with w.client("community_admin") as admin:
        d = await admin.post(f"{BASE}/shops/{w.shop}/discounts", json={"description": "凭居民卡9折", "valid_until": "2026-03-03"})
        assert d.status_code == 201, d.text
        past = await admin.post(f"{BASE}/shops/{w.shop}/discounts", json={"description": "昨天的", "valid_until": "2026-03-01"})
        assert (past.status_code, past.json()["detail"]) == (400, "valid_until: a day that has not passed")
    async with w.client("grid_worker") as worker:
        assert [(x["shop"], x["description"]) for x in (await worker.get(f"{BASE}/discounts")).json()] == [("济阳烧烤", "凭居民卡9折")]
    w.at(2026, 3, 3, 23, 59)
    async with w.client("grid_worker") as worker:
        assert len((await worker.get(f"{BASE}/discounts")).json()) == 1
    w.at(2026, 3, 4, 0, 0)
    async with w.client("grid_worker") as worker:
        assert (await worker.get(f"{BASE}/discounts")).json() == []


async def test_a_complaint_is_handed_to_governance_as_a_grid_event_once(alliance):
    w, governance = alliance
    async with w.client("grid_worker") as worker:
        made = await worker.post(f"{BASE}/complaints", json={"shop_id": w.shop, "category": "fumes", "text": "晚上油烟大，楼上不敢开窗。",
                                                             "resident_id": w.residents["王秀英"]["id"]})
        assert made.status_code == 201, made.text
        complaint = made.json()
        # governance is installed but off in 华阳: no button
        assert (complaint["grid_id"], complaint["status"], complaint["can_hand_over"]) == (w.grids["A"], "open", False)
        off = await worker.post(f"{BASE}/complaints/{complaint['id']}/hand-over")
        assert (off.status_code, off.json()["detail"]) == (409, "governance is not switched on in 华阳社区 (huayang): the matter cannot be handed over to it there")
    await enable(w.mh, "huayang", "governance")
    async with w.client("grid_worker") as worker:
        assert (await worker.get(f"{BASE}/complaints")).json()[0]["can_hand_over"] is True
        handed = await worker.post(f"{BASE}/complaints/{complaint['id']}/hand-over")
        assert handed.status_code == 200, handed.text
        assert (handed.json()["status"], handed.json()["handed_to"], handed.json()["can_hand_over"]) == ("handed_over", "governance.event:1", False)
        again = await worker.post(f"{BASE}/complaints/{complaint['id']}/hand-over")
        assert (again.status_code, again.json()["detail"]) == (409, f"complaint {complaint['id']} was handed over already (governance.event:1)")
    assert [(h.source, h.title, h.body, h.grid_id, h.resident_id, h.data) for h in governance.received] == [
        (f"commerce.complaint:{complaint['id']}", "济阳烧烤：油烟扰民", "晚上油烟大，楼上不敢开窗。", w.grids["A"], w.residents["王秀英"]["id"],
         {"category": "environment", "kind": "fumes"})]


async def test_a_refused_hand_over_leaves_the_complaint_open(alliance, monkeypatch):
    """The intake refuses: the complaint stays open, nothing half-written (the hand-over runs in the complaint's transaction)."""
    w, governance = alliance
    await enable(w.mh, "huayang", "governance")
    async with w.client("grid_worker") as worker:
        made = await worker.post(f"{BASE}/complaints", json={"shop_id": w.shop, "category": "noise", "text": "夜里喧哗"})

    async def refuse(handover, meihao, principal):
        raise InvalidInput("category: not a grid-event category")

    # the intakes were collected at start-up: this one refuses
    monkeypatch.setitem(w.mh.plugins.intakes_by_name, "governance.event", Intake("governance.event", "网格事件", "Grid event", accept=refuse))
    async with w.client("grid_worker") as worker:
        refused = await worker.post(f"{BASE}/complaints/{made.json()['id']}/hand-over")
        assert (refused.status_code, refused.json()["detail"]) == (400, "category: not a grid-event category")
    assert await Complaint.select(Complaint.status, Complaint.handed_to) == [{"status": "open", "handed_to": ""}]


async def test_a_grid_worker_records_complaints_in_her_grids_only(alliance):
    w, _ = alliance
    async with w.client("grid_worker_out") as other:
        outside = await other.post(f"{BASE}/complaints", json={"shop_id": w.shop, "category": "pavement", "text": "占道"})
        assert (outside.status_code, outside.json()["detail"]) == (404, f"grid_id: grid {w.grids['A']} not found")
        inside = await other.post(f"{BASE}/complaints", json={"shop_id": w.shop, "category": "pavement", "text": "占道", "grid_id": w.grids["B"]})
        assert inside.status_code == 201
    async with w.client("grid_worker") as worker:
        assert (await worker.get(f"{BASE}/complaints")).json() == []


async def test_a_complaint_becomes_an_event_of_the_built_in_governance_with_its_class(meihao):
    """With the real governance scene: the event is reported in the complaint's grid, class 市容环境 (environment) for
    cooking fumes, linked back to the complaint; the text is the complaint's."""
    from meihao.scenarios.governance.tables import Event

    w = await _with_shop(meihao)
    await enable(w.mh, "huayang", "governance")
    async with w.client("grid_worker") as worker:
        made = await worker.post(f"{BASE}/complaints", json={"shop_id": w.shop, "category": "fumes", "text": "晚上油烟大，楼上不敢开窗。"})
        handed = await worker.post(f"{BASE}/complaints/{made.json()['id']}/hand-over")
    assert handed.status_code == 200, handed.text
    event = await Event.select(Event.id, Event.grid, Event.category, Event.source, Event.external_id, Event.text).first()
    assert handed.json()["handed_to"] == f"governance.event:{event['id']}"
    assert (event["grid"], event["category"], event["source"], event["external_id"], event["text"]) == (
        w.grids["A"], "environment", "handed_over", f"commerce.complaint:{made.json()['id']}", "晚上油烟大，楼上不敢开窗。")
