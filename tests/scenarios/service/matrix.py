"""The service scenario in the access matrix (tests/access/test_matrix.py): its world and its routes.

Each place has two requests from its resident (so in its grid): one 分办 and waiting to be
signed (``sv_request_id``), one answered and waiting for its call-back (``sv_replied_id``);
each community has a leader of its own for the duty roster (``sv_leader_id``). Builders use the
place's own community, so a place in another community meets the kernel's 403 and a place in
another grid the plugin's 404, the same as a request that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from meihao import Principal, community_today, transition_item
from meihao.scenarios.service.schemas import (
    AssistanceVisitIn,
    AssistedHouseholdIn,
    CheckIn,
    DecisionIn,
    InspectionProblemIn,
    JointMeetingIn,
    RequestIn,
)
from meihao.scenarios.service.services import assistance, supervision
from meihao.scenarios.service.services.requests import REQUESTS, receive
from meihao.scenarios.service.tables import (
    AssistanceVisit,
    AssistedHousehold,
    DutyShift,
    InspectionProblem,
    JointMeeting,
    ServiceRequest,
)

SV = "/api/communities/{slug}/service"
TABLES = (ServiceRequest, DutyShift, AssistedHousehold, AssistanceVisit, JointMeeting, InspectionProblem)
#: Households of each community put under monitoring by the matrix's POST (one per call: a second time is a 409).
SPARE_HOUSEHOLDS = 16


def _sv(w: Any, p: str, rest: str) -> str:
    return f"/api/communities/{w.slugs[p]}/service{rest}"


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable
    from meihao.testing import Factories

    f = Factories(mh)
    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "service", {})
        community = await get_community(slug)
        leader = await f.staff("community_admin", community=slug, name=f"{slug}值班书记")
        for place in [p for p in places if world.slugs[p] == slug]:
            ids = world.places[place]
            ids["sv_leader_id"] = leader["id"]
            body = RequestIn(channel="phone", type="help", text="楼上漏水", requester=ids["resident_id"])
            waiting = await receive(mh, system, community, body)
            await transition_item(mh, system, REQUESTS, community, waiting.item, "dispatched")
            ids["sv_request_id"] = waiting.id
            replied = await receive(mh, system, community, body)
            for state in ("dispatched", "signed", "in_progress", "replied"):
                await transition_item(mh, system, REQUESTS, community, replied.item, state)
            ids["sv_replied_id"] = replied.id
            # service3: one just received (受理), for the hand-over to governance (on in both communities)
            ids["sv_received_id"] = (await receive(mh, system, community, body)).id
            # 三强化: the place's household under monitoring, helped by the leader, with a visit that found a problem
            assisted = await assistance.add_household(mh, system, community, AssistedHouseholdIn(
                household=ids["household_id"], category="脱贫不稳定户", helper=leader["id"]))
            ids["sv_assisted_id"] = assisted.id
            checks = {k: CheckIn(status="ok") for k in ("food_clothing", "schooling", "medical", "housing", "water")}
            found = await assistance.record_visit(mh, system, community, assisted.id, AssistanceVisitIn(
                checks={**checks, "housing": CheckIn(status="problem", note="屋顶漏雨")}))
            ids["sv_problem_id"] = found.problems[0]
            # service4: a joint meeting with a decision given to the leader, and a problem on the discipline office's list
            held = await supervision.record_meeting(mh, system, community, JointMeetingIn(
                held_on=community_today(mh, community), departments=["住建"], minutes="研究危房改造", households=[assisted.id],
                decisions=[DecisionIn(text="完成鉴定", assignee=leader["id"])]))
            ids["sv_meeting_id"] = held.id
            ids["sv_action_id"] = held.decisions[0].item
            listed = await supervision.record_problem(mh, system, community, InspectionProblemIn(
                category="户档案整理", text="档案未更新", household=assisted.id))
            ids["sv_inspection_id"] = listed.id
            checked = await supervision.record_problem(mh, system, community, InspectionProblemIn(category="政策落实", text="名单未公示"))
            await supervision.move_problem(mh, system, community, checked.id, "rectified", "已公示")
            ids["sv_rectified_id"] = checked.id  # waiting for 销号 or 退回
        spare = [(await f.household((await f.place(slug))["building_id"]))["id"] for _ in range(SPARE_HOUSEHOLDS)]
        for place in [p for p in places if world.slugs[p] == slug]:
            world.places[place]["sv_spare_households"] = spare  # type: ignore[assignment]


def _request(key: str, rest: str = "", body: Any = None) -> Any:
    return lambda w, p: (_sv(w, p, f"/requests/{w.places[p][key]}{rest}"), body)


RECORD_ROUTES: dict[tuple[str, str], Any] = {
    ("POST", f"{SV}/requests"): lambda w, p: (
        _sv(w, p, "/requests"), {"channel": "visit", "type": "consultation", "text": "咨询", "requester": w.places[p]["resident_id"]}),
    ("GET", f"{SV}/requests/{{request_id}}"): _request("sv_request_id"),
    ("POST", f"{SV}/requests/{{request_id}}/actions"): _request("sv_request_id", "/actions", {"action": "sign"}),
    ("POST", f"{SV}/requests/{{request_id}}/hand-over"): _request("sv_received_id", "/hand-over", {"reason": "需市政部门处理"}),
    ("POST", f"{SV}/requests/{{request_id}}/extension"): _request("sv_request_id", "/extension", {"working_days": 3, "reason": "需协调"}),
    ("GET", f"{SV}/requests/{{request_id}}/callbacks"): _request("sv_replied_id", "/callbacks"),
    ("POST", f"{SV}/requests/{{request_id}}/callbacks"): _request(
        "sv_replied_id", "/callbacks", {"result": "satisfied", "contacted": True, "resolved": True}),
    ("GET", f"{SV}/assistance/households/{{household_id}}/visits"): lambda w, p: (
        _sv(w, p, f"/assistance/households/{w.places[p]['sv_assisted_id']}/visits"), None),
    ("POST", f"{SV}/assistance/households/{{household_id}}/visits"): lambda w, p: (
        _sv(w, p, f"/assistance/households/{w.places[p]['sv_assisted_id']}/visits"),
        {"checks": {k: {"status": "ok"} for k in ("food_clothing", "schooling", "medical", "housing", "water")}}),
    ("POST", f"{SV}/assistance/problems/{{item_id}}/rectify"): lambda w, p: (
        _sv(w, p, f"/assistance/problems/{w.places[p]['sv_problem_id']}/rectify"), {"note": "已修缮"}),
    # --- service4 ---
    ("POST", f"{SV}/assistance/households/{{household_id}}/end"): lambda w, p: (
        _sv(w, p, f"/assistance/households/{w.places[p]['sv_assisted_id']}/end"), {"reason": "风险消除"}),
    ("GET", f"{SV}/assistance/meetings/{{meeting_id}}"): lambda w, p: (_sv(w, p, f"/assistance/meetings/{w.places[p]['sv_meeting_id']}"), None),
    ("POST", f"{SV}/assistance/meeting-actions/{{item_id}}/done"): lambda w, p: (
        _sv(w, p, f"/assistance/meeting-actions/{w.places[p]['sv_action_id']}/done"), {"note": "已完成"}),
    ("POST", f"{SV}/inspection/problems/{{problem_id}}/rectify"): lambda w, p: (
        _sv(w, p, f"/inspection/problems/{w.places[p]['sv_inspection_id']}/rectify"), {"note": "已补录"}),
    ("POST", f"{SV}/inspection/problems/{{problem_id}}/close"): lambda w, p: (
        _sv(w, p, f"/inspection/problems/{w.places[p]['sv_rectified_id']}/close"), None),
    ("POST", f"{SV}/inspection/problems/{{problem_id}}/return"): lambda w, p: (
        _sv(w, p, f"/inspection/problems/{w.places[p]['sv_rectified_id']}/return"), {"note": "仍缺"}),
    # --- end service4 ---
    ("POST", f"{SV}/hotline-orders"): lambda w, p: (
        _sv(w, p, "/hotline-orders"), {"external_id": f"12345-{p}", "type": "complaint", "text": "噪音", "grid": w.places[p]["grid_id"]}),
}

# A request of another grid answers exactly as one that does not exist.
MISSING_ROUTES: dict[tuple[str, str], Any] = {
    route: (lambda build: lambda w, p: (
        build(w, p)[0].replace(f"/requests/{w.places[p]['sv_request_id']}", "/requests/987654")
        .replace(f"/requests/{w.places[p]['sv_replied_id']}", "/requests/987654")
        .replace(f"/requests/{w.places[p]['sv_received_id']}", "/requests/987654"), build(w, p)[1]))(build)
    for route, build in RECORD_ROUTES.items()
    if "{request_id}" in route[1]
}
MISSING_ROUTES.update({
    route: (lambda build, key: lambda w, p: (build(w, p)[0].replace(f"/{w.places[p][key]}/", "/987654/"), build(w, p)[1]))(build, key)
    for route, build in RECORD_ROUTES.items()
    for key in ("sv_assisted_id", "sv_problem_id")
    if ("{household_id}" in route[1] and key == "sv_assisted_id") or ("{item_id}" in route[1] and key == "sv_problem_id")
})

COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{SV}/requests"): lambda w, p: (_sv(w, p, "/requests?page_size=100"), None),
    ("GET", f"{SV}/duty"): lambda w, p: (_sv(w, p, "/duty?since=2030-01-01&until=2030-01-31"), None),
    ("PUT", f"{SV}/duty"): lambda w, p: (_sv(w, p, "/duty"), {"day": "2030-01-02", "staff": w.places[p]["sv_leader_id"]}),
    ("GET", f"{SV}/rates"): lambda w, p: (_sv(w, p, "/rates?since=2020-01-01&until=2020-12-31&by=grid"), None),
    ("GET", f"{SV}/assistance/households"): lambda w, p: (_sv(w, p, "/assistance/households"), None),
    ("POST", f"{SV}/assistance/households"): lambda w, p: (_sv(w, p, "/assistance/households"), {
        "household": w.places[p]["sv_spare_households"].pop(), "category": "边缘易致贫户", "helper": w.places[p]["sv_leader_id"]}),
    ("GET", f"{SV}/assistance/plan"): lambda w, p: (_sv(w, p, "/assistance/plan?month=2030-01"), None),
    # --- service4 ---
    ("GET", f"{SV}/assistance/meetings"): lambda w, p: (_sv(w, p, "/assistance/meetings"), None),
    ("POST", f"{SV}/assistance/meetings"): lambda w, p: (_sv(w, p, "/assistance/meetings"), {
        "held_on": date.today().isoformat(), "departments": ["民政"], "minutes": "季度会议"}),
    ("POST", f"{SV}/assistance/meetings/planned"): lambda w, p: (_sv(w, p, "/assistance/meetings/planned"), {
        "starts_at": "2030-01-10T09:00:00+08:00", "ends_at": "2030-01-10T11:00:00+08:00", "venue": "党群服务中心", "departments": ["民政"]}),
    ("GET", f"{SV}/inspection/problems"): lambda w, p: (_sv(w, p, "/inspection/problems"), None),
    ("POST", f"{SV}/inspection/problems"): lambda w, p: (_sv(w, p, "/inspection/problems"), {"category": "政策落实", "text": "未公示"}),
    # --- end service4 ---
}
