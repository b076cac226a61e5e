"""commerce's console pages in process: the services page (book for a resident by name, full slot refused at the field,
cancel), the ledger page (record, close, a closed month refuses), the partners page (expiring contract marked); the
resident's own page behind her inbox link (book as herself whatever the form says, cancel until the window); the
catalogue is complete."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from pathlib import Path

from meihao.access.tables import AuditLog
from meihao.reminders.tokens import make_token
from meihao.scenarios import commerce
from meihao.scenarios.commerce.tables import Booking, LedgerEntry, MonthClose
from meihao.testing import ANONYMOUS, make_page_client
from meihao.web.console import catalogues

from .conftest import BASE

PAGES = "/c/huayang/commerce"
SCENE_FOLDER = Path(commerce.__file__).parent
CONSOLE = Path(catalogues.__file__).parent


def main_of(html: str) -> str:
    return re.search(r"<main[^>]*>(.*?)</main>", html, re.S).group(1)


def texts(html: str, tag: str, css_class: str) -> list[str]:
    return [unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)).strip())
            for t in re.findall(rf'<{tag}[^>]* class="{css_class}"[^>]*>(.*?)</{tag}>', main_of(html), re.S)]


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def _slot(w, capacity: int = 1) -> int:
    async with w.client("community_admin") as admin:
        offer = await admin.post(f"{BASE}/offers", json={"service": "meal", "title": "长者助餐 午餐", "venue": "华阳社区长者食堂", "price_yuan": "12"})
        slot = await admin.post(f"{BASE}/offers/{offer.json()['id']}/slots",
                                json={"starts_at": "2026-03-04T11:00:00", "ends_at": "2026-03-04T12:00:00", "capacity": capacity})
        return slot.json()["id"]


async def test_staff_book_by_name_and_a_full_slot_is_refused_at_its_field(world):
    w = world
    slot = await _slot(w, capacity=1)
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        page = await client.get(f"{PAGES}/services")
        assert page.status_code == 200, page.text
        assert texts(page.text, "span", "cm-places") == ["已约 0 / 1"]
        assert texts(page.text, "p", "cm-facts") == ["助餐服务 · 华阳社区长者食堂 · 12.00 元"]
        assert f'<input id="f-resident-{slot}" name="resident" type="text" value="" required>' in page.text
        unknown = await client.post(f"{PAGES}/services/book", data={"_csrf_token": csrf(page.text), "slot": str(slot), "resident": "张伟"})
        assert unknown.status_code == 400  # 张伟 lives in grid B, out of her reach
        assert "请输入居民登记的姓名（或居民编号）：您负责的范围内没有这位居民。" in unknown.text
        done = await client.post(f"{PAGES}/services/book", data={"_csrf_token": csrf(page.text), "slot": str(slot), "resident": " 王秀英 "})
        assert (done.status_code, done.headers["location"]) == (303, f"{PAGES}/services?done=booked#bookings")
        page = await client.get(f"{PAGES}/services?done=booked")
        assert texts(page.text, "span", "cm-places") == ["已约 1 / 1 · 已报满"]
        assert texts(page.text, "span", "cm-name") == ["王*英"]
        full = await client.post(f"{PAGES}/services/book", data={"_csrf_token": csrf(page.text), "slot": str(slot), "resident": "李桂兰"})
        assert full.status_code == 409
        assert "这个时段已约满，请选择其他时间。" in full.text and 'aria-invalid="true"' in full.text
        booking = (await Booking.select(Booking.id).first())["id"]
        no_reason = await client.post(f"{PAGES}/services/bookings/{booking}/cancel", data={"_csrf_token": csrf(page.text), "reason": " "})
        assert no_reason.status_code == 400 and "请填写取消原因" in no_reason.text
        cancelled = await client.post(f"{PAGES}/services/bookings/{booking}/cancel", data={"_csrf_token": csrf(page.text), "reason": "住院"})
        assert cancelled.status_code == 303
    assert await Booking.select(Booking.status, Booking.cancel_reason) == [{"status": "cancelled", "cancel_reason": "住院"}]
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as other:
        page = await other.get(f"{PAGES}/services")
        assert (await other.post(f"{PAGES}/services/bookings/{booking}/cancel", data={"_csrf_token": csrf(page.text), "reason": "x"})).status_code == 404


async def test_the_ledger_page_records_closes_and_refuses_a_closed_month(world):
    w = world
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as client:
        page = await client.get(f"{PAGES}/ledger?month=2026-02")
        assert page.status_code == 200, page.text
        token = csrf(page.text)
        entry = {"_csrf_token": token, "month": "2026-02", "day": "2026-02-27", "kind": "income", "service": "parcel", "amount": "1860.50"}
        done = await client.post(f"{PAGES}/ledger/entries", data=entry)
        assert (done.status_code, done.headers["location"]) == (303, f"{PAGES}/ledger?month=2026-02&done=entry")
        wrong = await client.post(f"{PAGES}/ledger/entries", data={**entry, "amount": "12.345"})
        assert wrong.status_code == 400 and "请填写金额（元），例如 1280 或 85.50。" in wrong.text
        page = await client.get(f"{PAGES}/ledger?month=2026-02")
        assert "1860.50" in page.text and "月结 2026-02" in page.text
        closed = await client.post(f"{PAGES}/ledger/months/2026-02/close", data={"_csrf_token": token})
        assert (closed.status_code, closed.headers["location"]) == (303, f"{PAGES}/ledger?month=2026-02&done=closed")
        late = await client.post(f"{PAGES}/ledger/entries", data={**entry, "day": "2026-02-28"})
        assert late.status_code == 409 and "该月已月结，请记入未结账的月份。" in late.text
        early = await client.post(f"{PAGES}/ledger/months/2026-03/close", data={"_csrf_token": token})
        assert early.status_code == 409 and "该月尚未结束，不能月结。" in early.text
    assert await LedgerEntry.count() == 1
    assert await MonthClose.select(MonthClose.month, MonthClose.income_fen) == [{"month": "2026-02", "income_fen": 186050}]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(f"{PAGES}/ledger")).status_code == 403


async def test_the_partners_page_marks_a_contract_ending_within_30_days(world):
    w = world
    async with w.client("community_admin") as admin:
        for name, end in (("中国邮政济阳揽投部", "2026-04-01"), ("济阳街道社区卫生服务中心", "2026-09-30")):
            await admin.post(f"{BASE}/partners", json={"name": name, "kind": "postal" if "邮政" in name else "health",
                                                       "contract_starts_on": "2025-04-02", "contract_ends_on": end})
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        page = await client.get(f"{PAGES}/partners")
        assert page.status_code == 200
        assert texts(page.text, "span", "cm-facts")[:2] == ["邮政快递 · 合同 2025-04-02 至 2026-04-01 · 30 天后到期",
                                                            "医疗健康 · 合同 2025-04-02 至 2026-09-30"]
        assert page.text.count('class="cm-row tone-warn"') == 1


async def test_a_resident_books_through_her_link_as_herself_and_cancels_until_two_hours_before(world):
    w = world
    slot = await _slot(w, capacity=2)
    wang, li = w.residents["王秀英"]["id"], w.residents["李桂兰"]["id"]
    token = await make_token(w.mh, "resident", wang, "inbox")
    services = f"/r/{token}/commerce/services"
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(services)
        assert page.status_code == 200, page.text
        assert texts(page.text, "h3", "r-when") == ["3月4日（周三）上午11点–中午12点"]
        assert texts(page.text, "p", "r-places") == ["共 2 个名额，还剩 2 个"]
        done = await client.post(f"{services}/book", data={"_csrf_token": csrf(page.text), "slot": str(slot), "resident_id": str(li)})
        assert (done.status_code, done.headers["location"]) == (303, f"{services}?done=booked#mine")
        assert await Booking.select(Booking.resident, Booking.by) == [{"resident": wang, "by": "resident"}]
        rows = await AuditLog.select(AuditLog.actor).where(AuditLog.action == "commerce.booking.create")
        assert rows == [{"actor": f"resident {wang} (inbox link)"}]
        page = await client.get(f"{services}?done=booked")
        assert texts(page.text, "p", "r-notice") == ["预约成功。我们会在前一天提醒您。"]
        assert texts(page.text, "p", "r-done") == ["您已预约这个时间"]
        again = await client.post(f"{services}/book", data={"_csrf_token": csrf(page.text), "slot": str(slot)})
        assert again.status_code == 409 and "您已经预约了这个时间。" in again.text
        booking = (await Booking.select(Booking.id).first())["id"]
        # 2 hours before: too late for her (the setting), still fine for staff
        w.at(2026, 3, 4, 9, 0)
        late = await client.post(f"{services}/{booking}/cancel", data={"_csrf_token": csrf(page.text)})
        assert late.status_code == 409 and "服务马上开始，这里不能再取消了，请给社区工作人员打电话。" in late.text
        w.at(2026, 3, 4, 8, 59)
        cancelled = await client.post(f"{services}/{booking}/cancel", data={"_csrf_token": csrf(page.text)})
        assert (cancelled.status_code, cancelled.headers["location"]) == (303, f"{services}?done=cancelled#mine")
    # someone else's booking through her link: the "link not valid" page
    other_token = await make_token(w.mh, "resident", li, "inbox")
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(f"/r/{other_token}/commerce/services")
        assert (await client.post(f"/r/{other_token}/commerce/services/{booking}/cancel", data={"_csrf_token": csrf(page.text)})).status_code == 404


def test_the_catalogue_is_complete():
    assert catalogues.untranslated(SCENE_FOLDER, also=[CONSOLE]) == {}


async def test_who_came_is_marked_from_the_page_in_the_viewers_area(world):
    w = world
    slot = await _slot(w, capacity=3)
    async with w.client("community_admin") as admin:
        for name in ("王秀英", "张伟"):
            assert (await admin.post(f"{BASE}/bookings", json={"slot_id": slot, "resident_id": w.residents[name]["id"]})).status_code == 201
    wang, zhang = [r["id"] for r in await Booking.select(Booking.id).order_by(Booking.id)]
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as client:
        page = await client.get(f"{PAGES}/services")
        assert "到场确认" not in page.text  # the slot has not begun
        w.travel_to(datetime.fromisoformat("2026-03-04T11:00:00+08:00"))  # the slot begins
        page = await client.get(f"{PAGES}/services")
        assert "到场确认（待确认1条）" in page.text  # grid A: 王秀英 only
        assert 'aria-labelledby="to-mark"' in page.text and "已到场<span class=\"visually-hidden\"> 王*英</span>" in page.text
        bad = await client.post(f"{PAGES}/services/bookings/{wang}/attended", data={"_csrf_token": csrf(page.text), "came": "maybe"})
        assert bad.status_code == 400
        other = await client.post(f"{PAGES}/services/bookings/{zhang}/attended", data={"_csrf_token": csrf(page.text), "came": "1"})
        assert other.status_code == 404  # 张伟 lives in grid B
        done = await client.post(f"{PAGES}/services/bookings/{wang}/attended", data={"_csrf_token": csrf(page.text), "came": "1"})
        assert (done.status_code, done.headers["location"]) == (303, f"{PAGES}/services?done=came#to-mark")
        again = await client.post(f"{PAGES}/services/bookings/{wang}/attended", data={"_csrf_token": csrf(page.text), "came": "0"})
        assert again.status_code == 409 and "这条预约已确认过到场情况，或已被取消。" in again.text
    assert [(r["status"]) for r in await Booking.select(Booking.status).order_by(Booking.id)] == ["served", "booked"]
