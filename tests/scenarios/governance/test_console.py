"""governance's console pages beyond the events list: reporting on a phone, an event's page with the actions its state
allows (the whole closed loop through the forms), a department's order inbox, whistles with their clocks and 督办,
patrols, figures. Each page is scoped like the API: another grid's event is the 404 page, as a missing one is."""

from __future__ import annotations

import re

from meihao.scenarios.governance.tables import Event, Order, PatrolLog, Whistle
from meihao.testing import form_token, make_page_client

from .test_events import E, _report

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
        assert empty.status_code == 400  # gov4: each missing field says so beside it
        assert '<p class="error" id="f-grid-note">请选择发现问题的网格。</p>' in empty.text
        assert '<p class="error" id="f-category-note">请选择事件类别。</p>' in empty.text
        assert '<p class="error" id="f-text-note">请写明发现了什么（2000字以内）。</p>' in empty.text and "地点请写在" not in empty.text
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
        # before 立案 the only thing the reporter may do is withdraw it (gov4: 撤回, filed by mistake)
        assert 'value="withdraw"' in page and 'value="register"' not in page and "这件事目前没有需要您办理的。" not in page
        refused = await _post(worker, f"{C}/events/{event_id}", action="register")
        assert refused.status_code == 403 and "这一步不由您办理。" in refused.text
    async with make_page_client(w.mh, w.staff["leader"]["id"]) as leader:
        assert 'value="register"' in (await leader.get(f"{C}/events/{event_id}")).text
        assert (await _post(leader, f"{C}/events/{event_id}", action="register")).headers["location"] == f"{C}/events/{event_id}?done=register"
        dispatch = (await leader.get(f"{C}/events/{event_id}")).text
        assert 'value="department:chengguan"' in dispatch and f'value="staff:{w.staff["dispatched"]["id"]}"' in dispatch
        assert "周队员（下沉力量）" in dispatch
        nowhere = await _post(leader, f"{C}/events/{event_id}", action="dispatch", to="")
        assert nowhere.status_code == 400 and "请按要求填写" not in nowhere.text  # gov4: at the field, not a general error
        assert '<select id="f-to" name="to" required aria-invalid="true" aria-describedby="f-to-note">' in nowhere.text
        assert '<p class="error" id="f-to-note">请选择派给哪个部门，或网格内的哪位人员。</p>' in nowhere.text
        assert '<li><a href="#f-to">请选择派给哪个部门，或网格内的哪位人员。</a></li>' in nowhere.text
        forged = await _post(leader, f"{C}/events/{event_id}", action="dispatch", to="department:nosuch")
        assert forged.status_code == 400 and '<p class="error" id="f-to-note">' in forged.text
        stranger = await _post(leader, f"{C}/events/{event_id}", action="dispatch", to=f"staff:{w.staff['grid_worker_out']['id']}")
        assert stranger.status_code == 400 and '<p class="error" id="f-to-note">' in stranger.text and await Order.count() == 0
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
        assert f'<p class="error" id="f-fb-{order_id}-note">请写明办理情况（2000字以内）。</p>' in no_text.text
        no_reason = await dept.post(f"{C}/orders/{order_id}", data={"_csrf_token": await form_token(dept, f"{C}/orders"), "action": "return",
                                                                    "text": " "})
        assert no_reason.status_code == 400 and f'<p class="error" id="f-ret-{order_id}-note">请写明退单的理由（500字以内）。</p>' in no_reason.text
        assert '<details class="gv-more" open>' in no_reason.text  # the return form is shown open, at its error
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
        assert [s[1] for s in steps] == ["陈网格 · 上报", "孙网格长 · 立案", "孙网格长 · 派遣", "钱城管 · 签收", "钱城管 · 反馈",
                                         "陈网格 · 核查通过", "孙网格长 · 结案"]
        assert steps[0][0] == "11月30日（周一）上午9点"
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as outsider:
        hidden, missing = await outsider.get(f"{C}/events/{event_id}"), await outsider.get(f"{C}/events/99999")
        assert (hidden.status_code, missing.status_code) == (404, 404)
        assert _main(hidden.text, event_id) == _main(missing.text, 99999)
        post = await outsider.post(f"{C}/events/{event_id}", data={"_csrf_token": await form_token(outsider), "action": "pass"})
        assert post.status_code == 404


async def test_whistles_show_each_departments_clocks_and_supervision(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    async with w.client("community_admin") as c:
        whistle = (await c.post(f"{E}/whistles", json={"level": "advance", "reason": "beyond_power", "title": "银山花园地下管网渗漏",
                                                        "text": "多户反映地下室渗水", "departments": ["zhujian", "chengguan"],
                                                        "grid_id": w.grids["A"]})).json()
    zhujian_call = next(c["id"] for c in whistle["calls"] if c["department"] == "zhujian")
    await w.fire_job("governance.supervise", at=w.at(2026, 11, 30, 10, 15))
    async with make_page_client(w.mh, w.staff["zhujian"]["id"]) as dept:
        page = (await dept.get(f"{C}/whistles")).text
        assert "银山花园地下管网渗漏" in page and "工作推进哨" in page and "区住建局 · 已吹哨" in page
        assert "街道城管中队" not in page  # a department sees its own call only
        assert "签收：应于11月30日（周一）上午10点前 · <strong>逾期</strong>" in page and "督办中（1项）" in page
        assert "报到或答复：应于12月3日（周四）下午5点半前" in page
        token = await form_token(dept, f"{C}/whistles")
        assert (await dept.post(f"{C}/calls/{zhujian_call}", data={"_csrf_token": token, "action": "sign"})).status_code == 303
        again = await dept.post(f"{C}/calls/{zhujian_call}", data={"_csrf_token": token, "action": "sign"})
        assert again.status_code == 409 and "已有人先办理了这一步" in again.text
        rate = await dept.post(f"{C}/calls/{zhujian_call}", data={"_csrf_token": token, "action": "rate", "speed": "5", "quality": "5"})
        assert rate.status_code == 403
        reported = await dept.post(f"{C}/calls/{zhujian_call}", data={"_csrf_token": token, "action": "report", "kind": "on_site",
                                                                     "text": "已到场排查渗漏点"})
        assert reported.status_code == 303
        page = (await dept.get(f"{C}/whistles")).text
        assert "签收：11月30日（周一）上午10点15分 · <strong>超期</strong>" in page and "区住建局 · 已报到" in page
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = (await admin.get(f"{C}/whistles")).text
        assert "街道城管中队 · 已吹哨" in page and page.count('value="rate"') == 1
        token = await form_token(admin, f"{C}/whistles")
        bad = await admin.post(f"{C}/calls/{zhujian_call}", data={"_csrf_token": token, "action": "rate", "speed": "6", "quality": "5"})
        assert bad.status_code == 400 and f'<p class="error" id="f-speed-{zhujian_call}-note">请给响应速度打1到5分。</p>' in bad.text
        assert f"f-quality-{zhujian_call}-note" not in bad.text and f'id="f-speed-{zhujian_call}" name="speed"' in bad.text
        assert 'value="6" aria-invalid="true"' in bad.text  # what was typed is kept
        assert (await admin.post(f"{C}/calls/{zhujian_call}", data={"_csrf_token": token, "action": "rate", "speed": "4", "quality": "5"})
                ).status_code == 303
        assert "社区评价：速度4分，质量5分（满分5分）" in (await admin.get(f"{C}/whistles")).text
    async with make_page_client(w.mh, w.staff["zhujian"]["id"]) as dept:  # another call of the whistle: the same 404 as a missing one
        other = next(c["id"] for c in whistle["calls"] if c["department"] == "chengguan")
        token = await form_token(dept, f"{C}/whistles")
        hidden = await dept.post(f"{C}/calls/{other}", data={"_csrf_token": token, "action": "sign"})
        missing = await dept.post(f"{C}/calls/99999", data={"_csrf_token": token, "action": "sign"})
        assert (hidden.status_code, missing.status_code) == (404, 404) and _main(hidden.text, other) == _main(missing.text, 99999)


async def test_patrols_log_on_a_phone_and_the_day_without_a_log(yinshan):
    w = yinshan
    w.at(2026, 12, 1, 18, 0)  # Tuesday evening
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        page = (await worker.get(f"{C}/patrols")).text
        assert "记录今天的巡查（12月1日（周二））" in page and "11月30日（周一）未记录巡查的人员" in page
        assert "陈网格 · 银山花园" in page and "吴网格" not in page  # their grid's plans only
        token = await form_token(worker, f"{C}/patrols")
        logged = await worker.post(f"{C}/patrols", data={"_csrf_token": token, "grid": str(w.grids["A"]), "events_found": "1",
                                                          "notes": "北门早市占道，已上报"})
        assert (logged.status_code, logged.headers["location"]) == (303, f"{C}/patrols?logged=1")
        twice = await worker.post(f"{C}/patrols", data={"_csrf_token": token, "grid": str(w.grids["A"]), "events_found": "0"})
        assert twice.status_code == 409 and "今天这个网格的巡查已经记录过了。" in twice.text
        other_grid = await worker.post(f"{C}/patrols", data={"_csrf_token": token, "grid": str(w.grids["B"]), "events_found": "0"})
        assert other_grid.status_code == 400 and await PatrolLog.count() == 1
        assert '<p class="error" id="f-grid-note">请选择您负责的网格。</p>' in other_grid.text
        many = await worker.post(f"{C}/patrols", data={"_csrf_token": token, "grid": str(w.grids["A"]), "events_found": "1001", "notes": "走了一圈"})
        assert many.status_code == 400 and '<p class="error" id="f-events_found-note">发现事件数请填0到1000之间的整数。</p>' in many.text
        assert "走了一圈</textarea>" in many.text and "f-grid-note" not in many.text
        today = (await worker.get(f"{C}/patrols", params={"day": "2026-12-01"})).text
        assert "12月1日（周二）未记录巡查的人员" in today and "当天计划的巡查都已记录。" in today
        assert "12月1日（周二） · 银山花园 · 陈网格" in today and "发现1件事 · 北门早市占道，已上报" in today
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = (await admin.get(f"{C}/patrols", params={"day": "2026-12-01"})).text
        assert "吴网格 · 银山新村" in page and "记录今天的巡查" not in page  # admins read; they do not patrol
    async with make_page_client(w.mh, w.staff["chengguan"]["id"]) as dept:
        assert (await dept.get(f"{C}/patrols")).status_code == 403


async def test_the_figures_page_and_english(yinshan):
    w = yinshan
    w.at(2026, 11, 30, 9, 0)
    event = await _report(w)
    async with w.client("leader") as c:
        await c.post(f"{E}/events/{event['id']}/register", json={})
        await c.post(f"{E}/events/{event['id']}/dispatch", json={"department": "chengguan"})
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        page = (await admin.get(f"{C}/figures", params={"month": "2026-11"})).text
        assert "2026年11月统计" in page and "部门排名" in page and "街道城管中队" in page and "银山花园" in page
        assert f'href="{C}/figures?month=2026-10"' in page and f'href="{C}/figures?month=2026-12"' in page
        assert "三率按联系上的有效回访计算（本月0次）。" in page
        january = (await admin.get(f"{C}/figures", params={"month": "2027-01"})).text
        assert f'href="{C}/figures?month=2026-12"' in january and f'href="{C}/figures?month=2027-02"' in january
        assert (await admin.get(f"{C}/figures", params={"month": "2026-13"})).status_code == 400
        admin.cookies.set("meihao_lang", "en")
        english = (await admin.get(f"{C}/events/{event['id']}")).text
        assert "Dispatched Mon 30 Nov, 09:00" in english and "Waiting to be signed" in english and "sign by Mon 30 Nov, 10:00" in english
        main = english.split("<main", 1)[1].split("</main>", 1)[0]
        # only the data is Chinese on the English page: the community, the grid, the event, the department, the person
        leftover = main
        for data in (event["text"], "银山社区", "银山花园", "北门", "街道城管中队", "陈网格", "孙网格长"):
            leftover = leftover.replace(data, "")
        assert re.findall(r"[\u4e00-\u9fff]+", leftover) == []
    async with make_page_client(w.mh, w.staff["leader"]["id"]) as leader:
        assert (await leader.get(f"{C}/figures")).status_code == 403


async def test_blowing_a_whistle_from_an_event_names_no_department_for_the_worker(yinshan):
    """gov3: 吹哨 from the console: level, reason, departments chosen by the worker (none beforehand, a field error if none);
    then the whistle's page shows each department's sign, contact and report clocks."""
    w = yinshan
    w.at(2026, 11, 30, 9, 0)  # Monday
    event = await _report(w)
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as admin:
        form = (await admin.get(f"{C}/whistles/new?event={event['id']}")).text
        assert "吹哨" in form and "银山花园北门占道经营，影响通行" in form
        assert 'name="departments" value="chengguan"' in form and "checked" not in form  # nothing chosen for the worker
        token = await form_token(admin, f"{C}/whistles/new")
        base = {"_csrf_token": token, "event": str(event["id"]), "grid": str(w.grids["A"]), "title": "北门占道",
                "text": "需城管、住建联合处置"}
        none = await admin.post(f"{C}/whistles/new", data={**base, "level": "advance", "reason": "joint_enforcement"})
        assert none.status_code == 400 and "请至少选择一个要召集的部门。" in none.text and 'value="joint_enforcement" checked' in none.text
        bare = await admin.post(f"{C}/whistles/new", data={"_csrf_token": token, "departments": "chengguan"})
        assert bare.status_code == 400
        assert ["请选择哨别。" in bare.text, "请选择吹哨事由。" in bare.text, "请填写简短的标题。" in bare.text] == [True, True, True]
        assert 'value="chengguan" checked' in bare.text
        unknown = await admin.post(f"{C}/whistles/new", data={**base, "level": "advance", "reason": "joint_enforcement", "departments": "nosuch"})
        assert unknown.status_code == 400 and "请至少选择一个要召集的部门。" in unknown.text
        sent = await admin.post(f"{C}/whistles/new", data={**base, "level": "tackle", "reason": "joint_enforcement",
                                                            "departments": ["chengguan", "zhujian"]})
        assert sent.status_code == 303, sent.text
        whistle = (await Whistle.select(Whistle.id, Whistle.event, Whistle.level, Whistle.grid).first())
        assert (whistle["event"], whistle["level"], whistle["grid"]) == (event["id"], "tackle", w.grids["A"])
        assert sent.headers["location"] == f"{C}/whistles/{whistle['id']}"
        page = (await admin.get(sent.headers["location"])).text
        assert "攻坚克难哨" in page and "街道城管中队" in page and "区住建局" in page
        # sign within 1 working hour, contact within 1 working day, report within 5 working days (攻坚克难哨) to the close
        assert page.count("签收：应于11月30日（周一）上午10点前") == 2 and page.count("联系：应于12月1日（周二）上午9点前") == 2
        assert page.count("报到或答复：应于12月7日（周一）下午5点半前") == 2
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        assert (await worker.get(f"{C}/whistles/new")).status_code == 403
        assert "吹哨：召集部门报到" not in (await worker.get(f"{C}/events/{event['id']}")).text
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as other:
        assert (await other.get(f"{C}/whistles/{whistle['id']}")).status_code == 404


async def test_planning_patrols_and_today_without_a_log(yinshan):
    """gov3: the plan per grid (the full-time grid worker daily by default), today's planned patrols with no log, re-planning."""
    w = yinshan
    w.at(2026, 12, 1, 10, 0)  # Tuesday
    async with make_page_client(w.mh, w.staff["leader"]["id"]) as leader:
        page = (await leader.get(f"{C}/patrols/plans")).text
        assert "巡查计划" in page and "今天尚未记录巡查的人员 · 12月1日（周二）" in page
        assert "陈网格 · 银山花园" in page and "吴网格" not in page  # the leader's grid only
        assert "陈网格 · 每天" in page  # the default plan (patrol_frequency: daily)
        assert '<option value="daily" selected>' in page
        token = await form_token(leader, f"{C}/patrols/plans")
        nobody = await leader.post(f"{C}/patrols/plans", data={"_csrf_token": token, "grid": str(w.grids["A"]), "staff": "", "frequency": "daily"})
        assert nobody.status_code == 400
        assert f'<p class="error" id="f-staff-{w.grids["A"]}-note">请选择网格内的人员和巡查频次。</p>' in nobody.text
        outsider = await leader.post(f"{C}/patrols/plans", data={"_csrf_token": token, "grid": str(w.grids["A"]),
                                                                 "staff": str(w.staff["grid_worker_out"]["id"]), "frequency": "daily"})
        assert outsider.status_code == 400
        planned = await leader.post(f"{C}/patrols/plans", data={"_csrf_token": token, "grid": str(w.grids["A"]),
                                                                "staff": str(w.staff["dispatched"]["id"]), "frequency": "workdays"})
        assert (planned.status_code, planned.headers["location"]) == (303, f"{C}/patrols/plans?planned={w.grids['A']}#grid-{w.grids['A']}")
        page = (await leader.get(f"{C}/patrols/plans")).text
        assert "周队员 · 工作日" in page and "周队员 · 银山花园" in page  # Tuesday is a working day: due today, no log yet
        stopped = await leader.post(f"{C}/patrols/plans", data={"_csrf_token": token, "grid": str(w.grids["A"]),
                                                                "staff": str(w.staff["dispatched"]["id"]), "frequency": "stopped"})
        assert stopped.status_code == 303
        page = (await leader.get(f"{C}/patrols/plans")).text
        assert "周队员 · <span class=\"gv-facts\">已停止</span>" in page and "周队员 · 银山花园" not in page
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as worker:
        token = await form_token(worker, f"{C}/patrols")
        await worker.post(f"{C}/patrols", data={"_csrf_token": token, "grid": str(w.grids["A"]), "events_found": "0"})
        page = (await worker.get(f"{C}/patrols/plans")).text
        assert "今天计划的巡查都已记录。" in page and "保存计划" not in page  # a grid worker reads the plans; the leaders plan
        assert (await worker.post(f"{C}/patrols/plans", data={"_csrf_token": token, "grid": str(w.grids["A"]),
                                                              "staff": str(w.staff["grid_worker"]["id"]), "frequency": "daily"})).status_code == 403
