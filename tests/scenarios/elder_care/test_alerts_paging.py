"""The alerts list pages with the kernel's Page/paginate (it listed only the latest 200): the 201st alert is reachable
through the API and on the console's alerts page (50 a page, escalations first, with the list kit's pager)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from meihao.scenarios.elder_care.tables import OverdueAlert
from meihao.testing import make_page_client

EC = "/api/communities/yajuyuan/elder_care"


async def _alerts(y) -> int:
    async with y.client("community_admin") as admin:
        elder = await admin.post(f"{EC}/elders", json={"resident_id": y.residents["王秀英"]["id"]})
        assert elder.status_code == 201, elder.text
    first = date(2025, 6, 1)
    # 200 visitor alerts, the oldest first, and one escalation: 201 open alerts
    await OverdueAlert.insert(*[OverdueAlert(elder=elder.json()["id"], due_on=first + timedelta(days=i), level="visitor", days_overdue=1)
                                for i in range(200)])
    await OverdueAlert.insert(OverdueAlert(elder=elder.json()["id"], due_on=first, level="escalation", days_overdue=3))
    return elder.json()["id"]


async def test_the_201st_alert_is_on_the_second_page(yajuyuan):
    y = yajuyuan
    await _alerts(y)
    async with y.client("grid_worker") as worker:
        first = (await worker.get(f"{EC}/alerts?page_size=200")).json()
        second = (await worker.get(f"{EC}/alerts?page=2&page_size=200")).json()
        every = (await worker.get(f"{EC}/alerts?page=1&page_size=201")).json()
    assert (first["total"], len(first["items"]), first["page"], first["page_size"]) == (201, 200, 1, 200)
    # newest first: the oldest of all is the 201st
    assert [(a["level"], a["due_on"]) for a in second["items"]] == [("visitor", "2025-06-01")]
    assert len({a["id"] for a in first["items"] + second["items"]}) == 201
    assert (len(every["items"]), every["page_size"]) == (200, 200)  # the kernel's largest page: paging is the way
    async with y.client("grid_worker_out") as other:  # 王秀英 is in grid A
        assert (await other.get(f"{EC}/alerts")).json()["total"] == 0


async def test_the_alerts_page_pages_with_escalations_first(yajuyuan):
    y = yajuyuan
    await _alerts(y)
    async with make_page_client(y.mh, y.staff["community_admin"]["id"]) as admin:
        page1 = await admin.get("/c/yajuyuan/elder_care/alerts")
        page5 = await admin.get("/c/yajuyuan/elder_care/alerts?page=5")
        beyond = await admin.get("/c/yajuyuan/elder_care/alerts?page=6")
    assert page1.status_code == 200 and page5.status_code == 200
    assert "第 1 页，共 5 页" in page1.text and "第 5 页，共 5 页" in page5.text
    # 50 a page, the escalation first
    assert re.findall(r'<li class="ec-row tone-(alert|warn)">', page1.text) == ["alert"] + ["warn"] * 49
    assert re.findall(r'<li class="ec-row tone-(alert|warn)">', page5.text) == ["warn"]
    # the last page holds the 201st: the latest visitor alert (due 17 Dec 2025)
    assert "2025-12-17" in page5.text and 'rel="prev"' in page5.text and 'rel="next"' not in page5.text
    assert beyond.status_code == 200 and "2025-12-17" not in beyond.text
