"""Yellow and red flags and the escalation chain: each level once, each adding people, notices only in working hours.

The follow-up opened on Monday 30 November 2026 at 09:00 is due at the close of its fifth
working day, Monday 7 December 17:30. With the default settings its levels are reached at:
yellow one working day before (Friday 4 December 17:30), red at the deadline, the grid leaders
one working day after it (Tuesday 8 December 17:30), the community's admins three (Thursday 10
December 17:30) and the street five (Monday 14 December 17:30). Each of those moments is the
close of an office day, so each notice waits for the next opening, 08:30.
"""

from __future__ import annotations

import asyncio

from meihao import Duration, extend_item, get_work_item, open_item, transition_item
from meihao.reminders.engine import ReminderEngine
from meihao.reminders.recipients import inbox
from meihao.reminders.tables import Activity
from meihao.testing import drain, fire_job, work_item_escalations
from meihao.workitems.escalations import check

from .conftest import FOLLOW_UPS, REQUESTS, at

JOB = "meihao.workitems.check"


async def _levels(item_id: int) -> list[tuple]:
    rows = await work_item_escalations(item_id)
    return [(r["clock"], r["level"], r["reached_at"], r["notify_at"], r["sent_at"], r["recipients"]) for r in rows]


async def _follow_up(desk) -> dict:
    return await open_item(desk.mh, desk.principals["admin"], FOLLOW_UPS, "hepan", grid=desk.grid_a, title="王秀英家中漏水回访",
                           assignee=desk.staff["worker_a"]["id"])


async def test_the_chain_fires_once_per_level_in_working_hours_adding_people(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await _follow_up(desk)
    s = {key: row["id"] for key, row in desk.staff.items()}
    assert await _levels(item["id"]) == [
        ("resolution", "yellow", at(2026, 12, 4, 17, 30), at(2026, 12, 7, 8, 30), None, []),
        ("resolution", "red", at(2026, 12, 7, 17, 30), at(2026, 12, 8, 8, 30), None, []),
        ("resolution", "grid_leader", at(2026, 12, 8, 17, 30), at(2026, 12, 9, 8, 30), None, []),
        ("resolution", "community_admin", at(2026, 12, 10, 17, 30), at(2026, 12, 11, 8, 30), None, []),
        ("resolution", "street_admin", at(2026, 12, 14, 17, 30), at(2026, 12, 15, 8, 30), None, []),
    ]

    engine = ReminderEngine(desk.mh)

    async def fired_at(moment) -> list[str]:
        await fire_job(desk.mh, JOB, at=moment)
        await drain(engine)  # delivered while still useful
        return [level for (_, level, _, _, sent, _) in await _levels(item["id"]) if sent == moment]

    assert await fired_at(at(2026, 12, 4, 17, 30)) == []  # yellow reached at the close: its notice waits
    assert await fired_at(at(2026, 12, 7, 8, 29)) == []
    assert await fired_at(at(2026, 12, 7, 8, 30)) == ["yellow"]
    assert await fired_at(at(2026, 12, 7, 9, 0)) == []  # a later run sends nothing again
    assert (await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"]))["flag"] == "yellow"
    assert await fired_at(at(2026, 12, 7, 17, 30)) == []  # overdue now (red), but the office has closed
    assert (await get_work_item(desk.mh, desk.principals["admin"], "hepan", item["id"]))["flag"] == "red"
    assert await fired_at(at(2026, 12, 8, 8, 30)) == ["red"]
    assert await fired_at(at(2026, 12, 9, 8, 30)) == ["grid_leader"]
    assert await fired_at(at(2026, 12, 11, 8, 30)) == ["community_admin"]
    assert await fired_at(at(2026, 12, 15, 8, 30)) == ["street_admin"]
    assert await fired_at(at(2026, 12, 16, 8, 30)) == []

    recipients = {level: sorted(people) for (_, level, _, _, _, people) in await _levels(item["id"])}
    assert recipients == {
        "yellow": [s["worker_a"]],
        "red": [s["worker_a"]],
        "grid_leader": sorted([s["worker_a"], s["leader_a"]]),
        "community_admin": sorted([s["worker_a"], s["leader_a"], s["admin"]]),
        "street_admin": sorted([s["worker_a"], s["leader_a"], s["admin"], s["street"]]),
    }
    # Delivered through the reminder engine to each one's inbox, once per level.
    got = {key: len(await inbox("staff", staff_id)) for key, staff_id in s.items()}
    assert got == {"street": 1, "admin": 2, "leader_a": 3, "worker_a": 5, "worker_a2": 0, "leader_b": 0, "worker_b": 0,
                   "department": 0, "other_admin": 0}
    bodies = [m["body"] for m in reversed(await inbox("staff", s["worker_a"]))]
    # plain Chinese: the time limit, how late, and who else has been told
    assert bodies == [
        "黄牌预警：「王秀英家中漏水回访」的办结时限是12月7日（周一）下午5点半，即将到期，请抓紧办理。",
        "红牌：「王秀英家中漏水回访」已超过办结时限（12月7日（周一）下午5点半），已逾期1天，请尽快办理。",
        "督办：「王秀英家中漏水回访」已超过办结时限（12月7日（周一）下午5点半），已逾期2天，已报网格长，请尽快办理。",
        "督办：「王秀英家中漏水回访」已超过办结时限（12月7日（周一）下午5点半），已逾期4天，已报社区，请尽快办理。",
        "督办：「王秀英家中漏水回访」已超过办结时限（12月7日（周一）下午5点半），已逾期8天，已报街道，请尽快办理。",
    ]


async def test_two_checks_at_once_send_a_level_once(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await _follow_up(desk)
    desk.clock.set(at(2026, 12, 7, 8, 30))
    fired = await asyncio.gather(*[check(desk.mh, at(2026, 12, 7, 8, 30)) for _ in range(4)])
    assert sum(fired) == 1
    assert await Activity.count().where(Activity.source == f"notice:workitems:{item['id']}:resolution:yellow") == 1
    assert await check(desk.mh, at(2026, 12, 7, 8, 30)) == 0


async def test_a_red_notice_due_at_night_waits_for_the_morning(make_desk):
    desk = await make_desk(at(2026, 11, 27, 17, 0))  # Friday: the sign-off is due Monday 10:00
    item = await open_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", grid=desk.grid_a,
                           assignee=desk.staff["worker_a"]["id"], kind="complaint")
    red = [(level[2], level[3]) for level in await _levels(item["id"]) if level[:2] == ("sign_off", "red")]
    assert red == [(at(2026, 11, 30, 10, 0), at(2026, 11, 30, 10, 0))]  # reached in office hours: sent then
    desk.clock.set(at(2026, 11, 27, 17, 10))
    item = await transition_item(desk.mh, desk.principals["admin"], REQUESTS, "hepan", item["id"], "dispatched")
    # first response: due Monday 17:00, its grid-leader level at Tuesday 17:00, sent then (inside hours)
    first = {level[1]: (level[2], level[3]) for level in await _levels(item["id"]) if level[0] == "first_response"}
    assert first["grid_leader"] == (at(2026, 12, 1, 17, 0), at(2026, 12, 1, 17, 0))
    # the street's level, five working days after Monday 17:00, is Monday 7 December 17:00
    assert first["street_admin"] == (at(2026, 12, 7, 17, 0), at(2026, 12, 7, 17, 0))


async def test_a_level_not_reached_before_the_item_closes_never_fires(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await _follow_up(desk)
    await fire_job(desk.mh, JOB, at=at(2026, 12, 7, 8, 30))  # yellow
    desk.clock.set(at(2026, 12, 7, 15, 0))
    await transition_item(desk.mh, desk.principals["worker_a"], FOLLOW_UPS, "hepan", item["id"], "done")
    await fire_job(desk.mh, JOB, at=at(2026, 12, 15, 9, 0))
    assert [(level, sent) for (_, level, _, _, sent, _) in await _levels(item["id"])] == [("yellow", at(2026, 12, 7, 8, 30))]


async def test_a_paused_item_does_not_escalate_and_its_levels_move_on_resumption(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await _follow_up(desk)
    desk.clock.set(at(2026, 12, 4, 10, 0))
    await transition_item(desk.mh, desk.principals["worker_a"], FOLLOW_UPS, "hepan", item["id"], "waiting")
    assert await _levels(item["id"]) == []
    await fire_job(desk.mh, JOB, at=at(2026, 12, 8, 8, 30))
    assert await _levels(item["id"]) == []
    # resumed Tuesday 8 December 10:00: paused Fri 10:00–12:00 and 13:30–17:30 (6 h), Mon 7.5 h, Tue 1.5 h:
    # 15 working hours, two working days
    desk.clock.set(at(2026, 12, 8, 10, 0))
    resumed = await transition_item(desk.mh, desk.principals["worker_a"], FOLLOW_UPS, "hepan", item["id"], "open")
    assert resumed["clocks"][0]["due_at"] == at(2026, 12, 9, 17, 30)
    assert [(level, reached, notify) for (_, level, reached, notify, _, _) in await _levels(item["id"])][:2] == [
        ("yellow", at(2026, 12, 8, 17, 30), at(2026, 12, 9, 8, 30)),
        ("red", at(2026, 12, 9, 17, 30), at(2026, 12, 10, 8, 30)),
    ]


async def test_a_level_sent_is_not_sent_again_after_an_extension(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0))
    item = await _follow_up(desk)
    await fire_job(desk.mh, JOB, at=at(2026, 12, 7, 8, 30))  # yellow sent
    await extend_item(desk.mh, desk.principals["admin"], FOLLOW_UPS, "hepan", item["id"], "resolution", Duration(working_days=2),
                      reason="等待配件")
    levels = {level: (reached, sent) for (_, level, reached, _, sent, _) in await _levels(item["id"])}
    assert levels["yellow"] == (at(2026, 12, 4, 17, 30), at(2026, 12, 7, 8, 30))
    assert levels["red"] == (at(2026, 12, 9, 17, 30), None)
    await fire_job(desk.mh, JOB, at=at(2026, 12, 9, 8, 30))
    assert await Activity.count().where(Activity.source == f"notice:workitems:{item['id']}:resolution:yellow") == 1


async def test_a_level_of_a_scenario_uninstalled_since_is_logged_and_does_not_block_the_others(make_desk, caplog):
    from meihao.workitems.tables import WorkItem

    desk = await make_desk(at(2026, 11, 30, 9, 0))
    gone = await _follow_up(desk)
    kept = await _follow_up(desk)
    await WorkItem.update({WorkItem.scenario: "gone"}).where(WorkItem.id == gone["id"])
    assert await check(desk.mh, at(2026, 12, 7, 8, 30)) == 2
    assert [level[4] for level in await _levels(gone["id"])][:1] == [at(2026, 12, 7, 8, 30)]
    assert await Activity.count().where(Activity.source == f"notice:workitems:{gone['id']}:resolution:yellow") == 0
    assert await Activity.count().where(Activity.source == f"notice:workitems:{kept['id']}:resolution:yellow") == 1
    assert f"work item {gone['id']}: the yellow level of its resolution clock was not sent" in caplog.text


async def test_the_check_works_through_the_due_levels_a_batch_at_a_time(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0), workitem_check_batch=2)
    items = [await _follow_up(desk) for _ in range(5)]
    assert await check(desk.mh, at(2026, 12, 7, 8, 30)) == 5  # three queries of at most two rows
    assert [len([lv for lv in await _levels(i["id"]) if lv[4] is not None]) for i in items] == [1, 1, 1, 1, 1]


async def test_the_check_stops_when_its_time_is_up_and_the_next_run_goes_on(make_desk):
    desk = await make_desk(at(2026, 11, 30, 9, 0), workitem_check_seconds=0.001)
    for _ in range(3):
        await _follow_up(desk)
    assert await check(desk.mh, at(2026, 12, 7, 8, 30)) == 1  # the budget runs out after the first notice
    assert await check(desk.mh, at(2026, 12, 7, 8, 35)) == 1
    assert await check(desk.mh, at(2026, 12, 7, 8, 40)) == 1
    assert await check(desk.mh, at(2026, 12, 7, 8, 45)) == 0


async def test_an_item_sent_to_a_department_tells_its_staff_at_the_first_rung(make_desk):
    """gov3: an item sent to a department with no one assigned (governance's 派单 to 执法) escalated to nobody at
    yellow and red: the chain's first rung was the assignee only. The department's staff are that rung now, in
    every level above it too; another department's staff and a leaving member are not told."""
    from meihao.access.tables import Staff
    from meihao.register.tables import Department
    from meihao.testing import Factories

    desk = await make_desk(at(2026, 11, 30, 9, 0))
    await Department.insert(Department(code="zhujian", name="住建局"))
    f = Factories(desk.mh)
    colleague = await f.staff("department_staff", department="zhifa", name="执法队员二")
    gone = await f.staff("department_staff", department="zhifa", name="已调离队员")
    await Staff.update({Staff.active: False}).where(Staff.id == gone["id"])
    housing = await f.staff("department_staff", department="zhujian", name="住建工作人员")
    item = await open_item(desk.mh, desk.principals["admin"], FOLLOW_UPS, "hepan", grid=desk.grid_a, title="北门占道经营",
                           department="zhifa")
    assigned = await open_item(desk.mh, desk.principals["admin"], FOLLOW_UPS, "hepan", grid=desk.grid_a, title="东门井盖缺失",
                               department="zhifa", assignee=desk.staff["worker_a"]["id"])
    s = {key: row["id"] for key, row in desk.staff.items()}
    engine = ReminderEngine(desk.mh)
    for moment in (at(2026, 12, 7, 8, 30), at(2026, 12, 8, 8, 30), at(2026, 12, 9, 8, 30)):
        await fire_job(desk.mh, JOB, at=moment)
        await drain(engine)
    recipients = {level: sorted(people) for (_, level, _, _, _, people) in await _levels(item["id"])}
    department = sorted([s["department"], colleague["id"]])
    assert recipients == {
        "yellow": department,
        "red": department,
        "grid_leader": sorted([*department, s["leader_a"]]),
        "community_admin": [],  # not reached yet
        "street_admin": [],
    }
    # an item with one person assigned tells that person, not the whole department
    assert {level: sorted(people) for (_, level, _, _, _, people) in await _levels(assigned["id"])}["yellow"] == [s["worker_a"]]
    got = {name: len(await inbox("staff", staff_id)) for name, staff_id in
           (("department", s["department"]), ("colleague", colleague["id"]), ("gone", gone["id"]), ("housing", housing["id"]))}
    assert got == {"department": 3, "colleague": 3, "gone": 0, "housing": 0}
    assert [m["body"] for m in reversed(await inbox("staff", colleague["id"]))][0] == (
        "黄牌预警：「北门占道经营」的办结时限是12月7日（周一）下午5点半，即将到期，请抓紧办理。")
