"""governance's console pages beyond the events list: reporting on a phone, an event's page with the actions its state
allows (the whole closed loop through the forms), a department's order inbox, whistles with their clocks and 督办,
patrols, figures. Each page is scoped like the API: another grid's event is the 404 page, as a missing one is."""

from __future__ import annotations

import re

from meihao.scenarios.governance.tables import Event, Order
from meihao.testing import form_token, make_page_client

C = "/c/yinshan/governance"


def _main(html: str, record: int) -> str:
    """The page's main region, the record's id and the request's id left out (a 404 outside the scope reads as a missing one)."""
    main = html.split('<main', 1)[1].split('</main>', 1)[0].replace(f"/{record}", "/N")
    return re.sub(r"[0-9a-f]{32}", "REQUEST", main)


async def _post(page, path: str, **form) -> object:
    return await page.post(path, data={"_csrf_token": await form_token(page, path if "/events/" in path and "new" not in path else None), **form})


async def test_the_closed_loop_through_the_pages(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)  # Monday
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        form = (await worker.get(f"{C}/events/new")).text
        assert "上报事件" in form and "银山花园" in form and "银山新村" not in form  # only the worker's grid
        token = await form_token(worker, f"{C}/events/new")
        empty = await worker.post(f"{C}/events/new", data={"_csrf_token": token, "grid": "", "category": "", "text": ""})
        assert empty.status_code == 400 and "请选择网格和类别，并写明发现了什么。" in empty.text
        assert await Event.count() == 0
        sent = await worker.post(f"{C}/events/new", data={"_csrf_token": token, "grid": str(w.grids["A"]), "category": "street_order",
                                                            "place": "北门", "text": "北门早市摊贩占道"})
        assert sent.status_code == 303
        event_id = (await Event.select(Event.id).first())["id"]
        assert sent.headers["location"] == f"{C}/events/{event_id}"
        page = (await worker.get(f"{C}/events/{event_id}")).text
        # the worker reads dates as words, never ISO; nothing to do for them before the check
        assert "11月30日（周一）上午9点 · 陈网格" in page and "应于" not in page and "2026-11-30" not in page
        assert "派遣时限" in page and "11月30日（周一）上午10点" in page
        assert "这件事目前没有需要您办理的。" in page and 'value="register"' not in page
        refused = await _post(worker, f"{C}/events/{event_id}", action="register")
        assert refused.status_code == 403 and "这一步不由您办理。" in refused.text
    async with make_page_client(w.mh, w.staff["leader"]["id"]) as leader:
        assert 'value="register"' in (await leader.get(f"{C}/events/{event_id}")).text
        assert (await _post(leader, f"{C}/events/{event_id}", action="register")).headers["location"] == f"{C}/events/{event_id}?done=register"
        dispatch = (await leader.get(f"{C}/events/{event_id}")).text
        assert 'value="department:chengguan"' in dispatch and f'value="staff:{w.staff["dispatched"]["id"]}"' in dispatch
        assert "周队员（下沉力量）" in dispatch
        nowhere = await _post(leader, f"{C}/events/{event_id}", action="dispatch", to="")
        assert nowhere.status_code == 400 and "请按要求填写，本次尚未保存。" in nowhere.text
        assert (await _post(leader, f"{C}/events/{event_id}", action="dispatch", to="department:chengguan")).status_code == 303
    order_id = (await Order.select(Order.id).first())["id"]
    w.at(2026, 11, 30, 9, 20)
    async with make_page_client(w.mh, w.staff["chengguan"]["id"]) as dept, make_page_client(w.mh, w.staff["chengguan2"]["id"]) as other:
        inbox = (await dept.get(f"{C}/orders")).text
        assert "北门早市摊贩占道" in inbox and "待签收" in inbox and "应于11月30日（周一）上午10点前签收" in inbox
        assert f'action="{C}/orders/{order_id}"' in inbox and 'value="sign"' in inbox
        late_token = await form_token(other, f"{C}/orders")  # 冯城管 opened the inbox too
        signed = await dept.post(f"{C}/orders/{order_id}", data={"_csrf_token": await form_token(dept, f"{C}/orders"), "action": "sign"})
        assert (signed.status_code, signed.headers["location"]) == (303, f"{C}/orders?signed={order_id}")
        second = await other.post(f"{C}/orders/{order_id}", data={"_csrf_token": late_token, "action": "sign"})
        assert second.status_code == 409 and "已有人先办理了这一步" in second.text and "钱城管于11月30日（周一）上午9点20分签收" in second.text
        no_text = await dept.post(f"{C}/orders/{order_id}", data={"_csrf_token": await form_token(dept, f"{C}/orders"), "action": "feedback",
                                                                  "text": ""})
        assert no_text.status_code == 400
        w.at(2026, 11, 30, 15, 0)
        fed = await dept.post(f"{C}/orders/{order_id}", data={"_csrf_token": await form_token(dept, f"{C}/orders"), "action": "feedback",
                                                              "text": "已劝离摊贩"})
        assert fed.status_code == 303 and "已反馈，待核查" in (await dept.get(f"{C}/orders")).text
        assert "北门早市摊贩占道" not in (await dept.get(f"{C}/orders?done=true")).text  # fed back is not done until accepted
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        page = (await worker.get(f"{C}/events/{event_id}")).text
        assert 'value="pass"' in page and "核查时限" in page and "12月1日（周二）下午5点半" in page
        assert (await _post(worker, f"{C}/events/{event_id}", action="pass")).status_code == 303
    async with make_page_client(w.mh, w.staff["leader"]["id"]) as leader:
        assert (await _post(leader, f"{C}/events/{event_id}", action="close")).status_code == 303
        assert (await _post(leader, f"{C}/events/{event_id}", action="callback", result="satisfied", contacted="yes", resolved="yes")
                ).status_code == 303
        page = (await leader.get(f"{C}/events/{event_id}")).text
        assert '<dd class="gv-state">已结案</dd>' in page
        assert "部门办结 · 按期" in page and "回访记录" in page and "孙网格长 · 满意" in page
        steps = re.findall(r'<li><span class="gv-when">([^<]*)</span> ([^<]*)</li>', page)
        assert [s[1] for s in steps] == ["陈网格 · 已上报", "孙网格长 · 已立案", "孙网格长 · 已派遣", "钱城管 · 处置中", "钱城管 · 已反馈",
                                         "陈网格 · 已核查", "孙网格长 · 已结案"]
        assert steps[0][0] == "11月30日（周一）上午9点"
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as outsider:
        hidden, missing = await outsider.get(f"{C}/events/{event_id}"), await outsider.get(f"{C}/events/99999")
        assert (hidden.status_code, missing.status_code) == (404, 404)
        assert _main(hidden.text, event_id) == _main(missing.text, 99999)
        post = await outsider.post(f"{C}/events/{event_id}", data={"_csrf_token": await form_token(outsider), "action": "pass"})
        assert post.status_code == 404
