"""markets' part of a resident's data rights: stall applications and merchant contacts exported; reasons, notes and contacts erased, stalls still counted."""

from __future__ import annotations

from meihao.scenarios.markets.tables import Application, Merchant, Proceeds

P = "/api/communities/huayang/markets"
REASON = "本人申请删除个人信息"


async def _story(w):
    """A market day (14 March 2026): 王秀英's stall approved with proceeds and a note, 李建国's refused, the post office's stall (孙强 its contact)."""
    r = w.residents
    async with w.client("community_admin") as admin:
        merchant = (await admin.post(f"{P}/merchants", json={
            "name": "邮政华阳便民服务站", "kind": "enterprise", "contact_name": "王站长", "contact_phone": "13800138000",
            "contact_resident_id": r["孙强"]["id"]})).json()
        market = (await admin.post(f"{P}/markets", json={
            "name": "睦邻善市公益市集", "venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA",
            "first_day": "2026-03-01", "opens_at": "09:00", "closes_at": "11:30", "capacity": 3})).json()
        day_id = market["next_days"][0]["id"]
        ids = {}
        for name, goods in (("王秀英", "手工编织杯垫"), ("李建国", "旧书")):
            ids[name] = (await admin.post(f"{P}/days/{day_id}/applications", json={"resident_id": r[name]["id"], "goods": goods})).json()["id"]
        ids["post"] = (await admin.post(f"{P}/days/{day_id}/applications", json={"merchant_id": merchant["id"], "goods": "邮政便民服务"})).json()["id"]
        assert (await admin.post(f"{P}/applications/{ids['王秀英']}/approve")).status_code == 200
        assert (await admin.post(f"{P}/applications/{ids['post']}/approve")).status_code == 200
        assert (await admin.post(f"{P}/applications/{ids['李建国']}/refuse", json={"reason": "所售物品不符合公益市集要求"})).status_code == 200
        w.at(2026, 3, 14, 12, 0)
        recorded = await admin.put(f"{P}/applications/{ids['王秀英']}/proceeds", json={"amount": "128.50", "note": "王阿姨现场捐出"})
        assert recorded.status_code == 200, recorded.text
    return market, merchant, ids


async def test_export_holds_applications_and_merchant_contacts(huayang):
    w = huayang
    market, merchant, ids = await _story(w)
    async with w.client("street_admin") as client:
        wang = (await client.get(f"/api/residents/{w.residents['王秀英']['id']}/export")).json()["plugins"]["markets"]
        li = (await client.get(f"/api/residents/{w.residents['李建国']['id']}/export")).json()["plugins"]["markets"]
        sun = (await client.get(f"/api/residents/{w.residents['孙强']['id']}/export")).json()["plugins"]["markets"]
        nobody = (await client.get(f"/api/residents/{w.residents['赵丽']['id']}/export")).json()["plugins"]
    [application] = wang["applications"]
    assert {k: application[k] for k in ("market", "day", "as", "goods", "status", "reason", "proceeds_fen")} == {
        "market": "睦邻善市公益市集", "day": "2026-03-14", "as": "applicant", "goods": "手工编织杯垫", "status": "approved", "reason": "",
        "proceeds_fen": 12850,
    }
    assert wang["merchant_contact_for"] == []
    assert [(a["status"], a["reason"], a["proceeds_fen"]) for a in li["applications"]] == [("refused", "所售物品不符合公益市集要求", None)]
    assert [(a["as"], a["goods"], a["status"]) for a in sun["applications"]] == [("contact", "邮政便民服务", "approved")]
    assert sun["merchant_contact_for"] == [{"name": "邮政华阳便民服务站", "kind": "enterprise", "contact_name": "王站长", "contact_phone": "+8613800138000"}]
    assert "markets" not in nobody


async def test_erasure_blanks_reasons_notes_and_contacts_and_keeps_stalls_and_proceeds(huayang):
    w = huayang
    market, merchant, ids = await _story(w)
    async with w.client("street_admin") as client:
        erased = {}
        for name in ("王秀英", "李建国", "孙强", "赵丽"):
            done = await client.post(f"/api/residents/{w.residents[name]['id']}/erase", json={"reason": REASON})
            assert done.status_code == 200, done.text
            erased[name] = done.json()["erased"].get("markets")
        proceeds = (await client.get(f"{P}/markets/{market['id']}/proceeds")).json()
    assert erased == {
        "王秀英": {"applications": 1, "merchant_contacts": 0},
        "李建国": {"applications": 1, "merchant_contacts": 0},
        "孙强": {"applications": 0, "merchant_contacts": 1},
        "赵丽": None,
    }
    rows = await Application.select(Application.goods, Application.status, Application.reason).order_by(Application.id)
    assert rows == [
        {"goods": "手工编织杯垫", "status": "approved", "reason": ""},
        {"goods": "旧书", "status": "refused", "reason": ""},
        {"goods": "邮政便民服务", "status": "approved", "reason": ""},
    ]
    assert await Proceeds.select(Proceeds.amount_fen, Proceeds.note) == [{"amount_fen": 12850, "note": ""}]
    assert await Merchant.select(Merchant.name, Merchant.contact_name, Merchant.contact_phone, Merchant.contact_resident) == [
        {"name": "邮政华阳便民服务站", "contact_name": "", "contact_phone": "", "contact_resident": None}
    ]
    # the figures count the stall and its proceeds as before
    assert proceeds["total"] == "128.50"
    assert [(d["day"], d["stalls"], d["amount"]) for d in proceeds["days"]] == [("2026-03-14", 1, "128.50")]
