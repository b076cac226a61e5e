"""gov4: withdrawing (撤回) a grid event filed by mistake, with a reason, audited; its photos go with it (the kernel's
remove_attachments). Its reporter withdraws it before 立案, the community's command (admins, the grid's leaders) before
any order; a closed, dismissed or dispatched event is kept, and so is one another scene handed over. Scoped: another
grid's worker gets the same 404 as for a missing event."""

from __future__ import annotations

import json

from meihao.access.tables import AuditLog
from meihao.attachments.tables import Attachment
from meihao.scenarios.governance.tables import Event, Whistle
from meihao.testing import form_token, make_page_client
from meihao.workitems.tables import WorkItem, WorkItemEvent

from .test_events import E, _report
from .test_photos import OCTET, _kept

C = "/c/yinshan/governance"
# bytes of this file only: the attachments' files are shared between the databases of tests run at once (PostgreSQL)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 60 + "撤回的照片".encode()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32 + "留下的照片".encode()
PAGE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 60 + "页面上撤回的照片".encode()


async def _photo(w, event_id: int, data: bytes, who: str = "grid_worker") -> int:
    async with w.client(who) as c:
        r = await c.post(f"{E}/events/{event_id}/attachments?filename=a.jpg", content=data, headers=OCTET)
        assert r.status_code == 201, r.text
        return r.json()["id"]


async def test_the_reporter_withdraws_a_mistaken_event_and_its_photos_go(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    event = await _report(w, text="北门占道（重复上报）")
    kept = await _report(w, text="北门早市占道")
    await _photo(w, event["id"], JPEG)
    await _photo(w, kept["id"], PNG)
    item = (await Event.select(Event.item).where(Event.id == event["id"]).first())["item"]
    async with w.client("grid_worker_out") as c:  # another grid's worker: the 404 of a missing event, nothing done
        hidden = await c.post(f"{E}/events/{event['id']}/withdraw", json={"reason": "重复"})
        missing = await c.post(f"{E}/events/999999/withdraw", json={"reason": "重复"})
        assert (hidden.status_code, hidden.json()) == (404, {"status_code": 404, "detail": f"event {event['id']} not found"})
        assert (missing.status_code, missing.json()) == (404, {"status_code": 404, "detail": "event 999999 not found"})
    async with w.client("dispatched") as c:  # of the grid, not its reporter, not the command: refused, 403
        refused = await c.post(f"{E}/events/{event['id']}/withdraw", json={"reason": "重复"})
        assert refused.status_code == 403 and "reported it or by the community's command" in refused.json()["detail"]
    async with w.client("grid_worker") as c:
        assert (await c.post(f"{E}/events/{event['id']}/withdraw", json={"reason": ""})).status_code == 400  # a reason is required
        done = await c.post(f"{E}/events/{event['id']}/withdraw", json={"reason": "与北门早市占道重复上报"})
        assert done.status_code == 204
        assert (await c.get(f"{E}/events/{event['id']}")).status_code == 404
        assert [e["text"] for e in (await c.get(f"{E}/events")).json()["items"]] == ["北门早市占道"]
    assert await Event.count() == 1
    # its photo went (row and file); the other event's stays
    assert await Attachment.count().where(Attachment.row_id == event["id"]) == 0 and not _kept(w, JPEG)
    assert await Attachment.count().where(Attachment.row_id == kept["id"]) == 1 and _kept(w, PNG)
    # the audit log keeps who, why and what it said; the kernel's item its history, now withdrawn (final: no escalation)
    row = await AuditLog.select().where(AuditLog.action == "governance.event.withdraw").first()
    detail = row["detail"] if isinstance(row["detail"], dict) else json.loads(row["detail"])
    assert (row["actor"], row["reason"], row["target_id"]) == ("陈网格", "与北门早市占道重复上报", str(event["id"]))
    assert (detail["text"], detail["state"], detail["category"], detail["place"], detail["photos"]) == (
        "北门占道（重复上报）", "reported", "street_order", "北门", 1)
    assert await AuditLog.count().where(AuditLog.action == "attachment.delete", AuditLog.target_id == str(event["id"])) == 1
    work = await WorkItem.select(WorkItem.state, WorkItem.final).where(WorkItem.id == item).first()
    assert work == {"state": "withdrawn", "final": True}
    step = await WorkItemEvent.select(WorkItemEvent.to_state, WorkItemEvent.reason).where(WorkItemEvent.item == item).order_by(
        WorkItemEvent.id, ascending=False).first()
    assert step == {"to_state": "withdrawn", "reason": "与北门早市占道重复上报"}


async def test_who_may_withdraw_in_which_state(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    registered = await _report(w, text="楼道堆放杂物")
    dispatched = await _report(w, text="路灯损坏")
    dismissed = await _report(w, text="误报")
    async with w.client("leader") as c:
        for e in (registered, dispatched):
            assert (await c.post(f"{E}/events/{e['id']}/register", json={})).status_code == 200
        await c.post(f"{E}/events/{dispatched['id']}/dispatch", json={"department": "chengguan"})
        await c.post(f"{E}/events/{dismissed['id']}/dismiss", json={"reason": "不属实"})
    async with w.client("community_admin") as c:
        await c.post(f"{E}/whistles", json={"level": "advance", "reason": "beyond_power", "title": "杂物", "text": "楼道杂物清理",
                                            "departments": ["zhujian"], "grid_id": w.grids["A"], "event_id": registered["id"]})
    async with w.client("grid_worker") as c:  # the reporter, once 立案: the command's now
        late = await c.post(f"{E}/events/{registered['id']}/withdraw", json={"reason": "重复"})
        assert late.status_code == 403 and "registered already" in late.json()["detail"]
    async with w.client("leader") as c:
        sent = await c.post(f"{E}/events/{dispatched['id']}/withdraw", json={"reason": "重复"})
        assert (sent.status_code, sent.json()["detail"]) == (409, f"state: event {dispatched['id']} was dispatched; its orders stay on record, "
                                                                  "so it is not withdrawn")
        kept = await c.post(f"{E}/events/{dismissed['id']}/withdraw", json={"reason": "重复"})
        assert kept.status_code == 409 and "'dismissed'" in kept.json()["detail"]
        assert (await c.post(f"{E}/events/{registered['id']}/withdraw", json={"reason": "已并入12345工单"})).status_code == 204
    # the whistle blown from it stays, no longer linked to an event
    assert (await Whistle.select(Whistle.event, Whistle.title).first()) == {"event": None, "title": "杂物"}
    # a returned order is on record too: the event, back to registered, is kept
    async with w.client("chengguan") as c:
        order = (await c.get(f"{E}/orders")).json()["items"][0]
        await c.post(f"{E}/orders/{order['id']}/return", json={"reason": "不属城管"})
    async with w.client("leader") as c:
        assert (await c.get(f"{E}/events/{dispatched['id']}")).json()["state"] == "registered"
        assert (await c.post(f"{E}/events/{dispatched['id']}/withdraw", json={"reason": "重复"})).status_code == 409


async def test_a_closed_event_is_kept_and_a_handed_over_one_is_dismissed_instead(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    event = await _report(w)
    handed = await _report(w, "community_admin", source="service_desk", external_id="service.request:7", text="居民来访：地下室漏水")
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{event['id']}/register", json={})
        await c.post(f"{E}/events/{event['id']}/dispatch", json={"assignee_id": w.staff["grid_worker"]["id"]})
    async with w.client("grid_worker") as c:
        order = (await c.get(f"{E}/orders")).json()["items"][0]["id"]
        await c.post(f"{E}/orders/{order}/sign")
        await c.post(f"{E}/orders/{order}/feedback", json={"text": "已劝离"})
        await c.post(f"{E}/events/{event['id']}/check", json={"passed": True})
    async with w.client("community_admin") as c:
        await c.post(f"{E}/events/{event['id']}/close")
        closed = await c.post(f"{E}/events/{event['id']}/withdraw", json={"reason": "重复"})
        assert closed.status_code == 409 and "a closed or dismissed one is kept" in closed.json()["detail"]
        moved = await c.post(f"{E}/events/{handed['id']}/withdraw", json={"reason": "重复"})
        assert (moved.status_code, moved.json()["detail"]) == (
            409, f"source: event {handed['id']} was handed over by another scene (service.request:7), which keeps a link to it; "
                 "dismiss it (不予立案) instead")
    assert await Event.count() == 2


async def test_withdrawing_on_the_event_page(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    event = await _report(w, text="北门占道（重复上报）")
    await _photo(w, event["id"], PAGE_JPEG)
    path = f"{C}/events/{event['id']}"
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as outsider:  # another grid's: the 404 page
        r = await outsider.post(path, data={"_csrf_token": await form_token(outsider), "action": "withdraw", "reason": "x"})
        assert r.status_code == 404
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        page = (await worker.get(path)).text
        assert "填报有误？撤回此事件，理由是" in page and "撤回后事件和照片一并删除；操作日志会留下撤回人、时间和理由。" in page
        token = await form_token(worker, path)
        empty = await worker.post(path, data={"_csrf_token": token, "action": "withdraw", "reason": " "})
        assert empty.status_code == 400 and '<p class="error" id="f-withdraw-note">请写明撤回的理由（500字以内）。</p>' in empty.text
        assert await Event.count() == 1
        done = await worker.post(path, data={"_csrf_token": token, "action": "withdraw", "reason": "重复上报"})
        assert (done.status_code, done.headers["location"]) == (303, f"{C}/events?withdrawn={event['id']}")
        assert "事件已撤回，照片已一并删除。" in (await worker.get(done.headers["location"])).text
        assert (await worker.get(path)).status_code == 404
    assert await Event.count() == 0 and not _kept(w, PAGE_JPEG)
    # the command sees the form on a registered event; a department's staff never reach one with no order
    second = await _report(w, text="垃圾桶满溢")
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{second['id']}/register", json={})
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert 'value="withdraw"' not in (await worker.get(f"{C}/events/{second['id']}")).text
    async with make_page_client(w.mh, w.staff["leader"]["id"]) as leader:
        assert 'value="withdraw"' in (await leader.get(f"{C}/events/{second['id']}")).text
