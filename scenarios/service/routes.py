"""service's routes, mounted by the kernel under /api/communities/{slug}/service. Thin: the work is in services."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Response, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from meihao import Caller, CurrentCommunity, InvalidInput, Page, PageNumber, PageSize, Runtime, requires

from .schemas import (
    ActionIn,
    AssistancePlanOut,
    AssistanceVisitIn,
    AssistanceVisitOut,
    AssistedHouseholdIn,
    AssistedHouseholdOut,
    CallbackIn,
    CallbackOut,
    DoneIn,
    DutyIn,
    DutyOut,
    EndMonitoringIn,
    ExtensionIn,
    HandOverIn,
    HotlineOrderIn,
    InspectionProblemIn,
    InspectionProblemOut,
    JointMeetingIn,
    JointMeetingOut,
    JointMeetingPlanIn,
    PlannedMeetingOut,
    QuarterOut,
    RatesOut,
    RectifyIn,
    RequestIn,
    RequestOut,
)
from .services import assistance, desk, requests, supervision

READ = "service.request.read"
WRITE = "service.request.write"
CALLBACK = "service.callback.record"
INTAKE = "service.hotline.intake"
DUTY = "service.duty.manage"
ASSIST_READ = "service.assistance.read"
ASSIST_VISIT = "service.assistance.visit"
ASSIST_MANAGE = "service.assistance.manage"
MEETING_READ = "service.meeting.read"
MEETING_MANAGE = "service.meeting.manage"
INSPECTION_READ = "service.inspection.read"
INSPECTION_RECORD = "service.inspection.record"
INSPECTION_RECTIFY = "service.inspection.rectify"


class RequestController(Controller):
    """诉求 residents' requests, from 受理 to 办结."""

    path = "/requests"

    @get("/", guards=[requires(READ)])
    async def list_requests(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, status: FromQuery[str | None] = None,
        flag: FromQuery[str | None] = None, open: FromQuery[bool] = False, page: PageNumber = 1, page_size: PageSize = None,
    ) -> Page[RequestOut]:
        """Requests in the caller's scope, newest first; ``status`` a state (``received`` … ``closed``), ``flag`` ``yellow`` or ``red``."""
        return await requests.list_requests(meihao, principal, community, state=status, flag=flag, open_only=open, page=page,
                                            page_size=page_size)

    @post("/", guards=[requires(WRITE)])
    async def receive(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[RequestIn]) -> RequestOut:
        """受理: the caller becomes the first receiver (首接负责); ``settled_on_the_spot`` closes it at once."""
        return await requests.receive(meihao, principal, community, data)

    @get("/{request_id:int}", guards=[requires(READ)])
    async def get_request(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, request_id: FromPath[int]) -> RequestOut:
        return await requests.get_request(meihao, principal, community, request_id)

    @post("/{request_id:int}/actions", guards=[requires(WRITE)])
    async def act(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, request_id: FromPath[int], data: JSONBody[ActionIn]
    ) -> RequestOut:
        """分办 dispatch, 签收 sign, 办理 start, 答复 reply, 办结 close, 退回 return, 再分办 redispatch, 重办 reopen."""
        if data.action == "close":
            principal.require(CALLBACK)
        return await requests.act(meihao, principal, community, request_id, data)

    @post("/{request_id:int}/hand-over", guards=[requires(WRITE)])
    async def hand_over(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, request_id: FromPath[int], data: JSONBody[HandOverIn]
    ) -> RequestOut:
        """转为网格事件/吹哨: the request becomes a grid event in governance (409 when governance is off here)."""
        return await requests.hand_to_governance(meihao, principal, community, request_id, data)

    @post("/{request_id:int}/extension", guards=[requires(WRITE)])
    async def extend(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, request_id: FromPath[int], data: JSONBody[ExtensionIn]
    ) -> RequestOut:
        """延期 with a reason, within the community's limits."""
        return await requests.extend(meihao, principal, community, request_id, data)

    @post("/{request_id:int}/callbacks", guards=[requires(CALLBACK)])
    async def call_back(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, request_id: FromPath[int], data: JSONBody[CallbackIn]
    ) -> RequestOut:
        """回访: the requester's answers on an answered request."""
        return await requests.call_back(meihao, principal, community, request_id, data)

    @get("/{request_id:int}/callbacks", guards=[requires(READ)])
    async def list_callbacks(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, request_id: FromPath[int]
    ) -> list[CallbackOut]:
        return await requests.callbacks(meihao, principal, community, request_id)


class HotlineController(Controller):
    """12345 转办: work orders pushed by the city hotline platform."""

    path = "/hotline-orders"

    @post("/", guards=[requires(INTAKE)], responses={
        200: ResponseSpec(data_container=RequestOut, generate_examples=False,
                          description="This external_id was taken before: the same request, nothing new created"),
    })
    async def intake(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[HotlineOrderIn]
    ) -> Response[RequestOut]:
        """201 with the new request; 200 with the same request when this ``external_id`` was taken before."""
        request, new = await desk.hotline_intake(meihao, principal, community, data)
        return Response(request, status_code=201 if new else 200)


class DutyController(Controller):
    """首席接访员 the duty roster of the community's leaders at the front desk."""

    path = "/duty"

    @get("/", guards=[requires(READ)])
    async def roster(self, community: CurrentCommunity, since: FromQuery[date], until: FromQuery[date]) -> list[DutyOut]:
        if until < since or (until - since).days > 366:
            raise InvalidInput("until: on or after since, at most a year later", field="until")
        return await desk.roster(community, since, until)

    @put("/", guards=[requires(DUTY)])
    async def set_duty(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[DutyIn]) -> DutyOut:
        return await desk.set_duty(meihao, principal, community, data)


class RatesController(Controller):
    """三率 the requests' response, resolution and satisfaction rates, on-time closure and the composite score."""

    path = "/rates"

    @get("/", guards=[requires(READ)])
    async def rates(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, since: FromQuery[date], until: FromQuery[date],
        by: FromQuery[str | None] = None,
    ) -> list[RatesOut]:
        """Requests received from ``since`` to ``until`` (inclusive, the community's days) in the caller's scope,
        one row, or one per ``grid``, ``assignee``, ``kind`` (the request type) or ``month``."""
        if until < since or (until - since).days > 366:
            raise InvalidInput("until: on or after since, at most a year later", field="until")
        if not (2000 <= since.year and until.year <= 2100):
            raise InvalidInput("since: days from 2000 to 2100", field="since")
        if by not in (None, "grid", "assignee", "kind", "month"):
            raise InvalidInput(f"by: choose grid, assignee, kind or month, not {by!r}", field="by")
        return await desk.rates(meihao, principal, community, since, until, by)


class AssistanceController(Controller):
    """三强化 monitored households (防返贫监测对象), their helpers' monthly visits, the problems found, the month's plan."""

    path = "/assistance"

    @get("/households", guards=[requires(ASSIST_READ)])
    async def households(self, community: CurrentCommunity, principal: Caller, ended: FromQuery[bool] = False) -> list[AssistedHouseholdOut]:
        """The monitored households in the caller's scope (``ended``: those taken off monitoring, latest first)."""
        return await assistance.list_households(principal, community, ended=ended)

    @post("/households/{household_id:int}/end", guards=[requires(ASSIST_MANAGE)], status_code=200)
    async def end_monitoring(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, household_id: FromPath[int], data: JSONBody[EndMonitoringIn],
    ) -> AssistedHouseholdOut:
        """Take a household off monitoring with the reason (风险消除, moved away …); 409 when it is not monitored."""
        return await assistance.end_monitoring(meihao, principal, community, household_id, data.reason)

    @post("/households", guards=[requires(ASSIST_MANAGE)])
    async def add_household(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[AssistedHouseholdIn]
    ) -> AssistedHouseholdOut:
        """Put a household under monitoring with its category and helper (帮扶责任人); 409 when it is monitored already."""
        return await assistance.add_household(meihao, principal, community, data)

    @get("/households/{household_id:int}/visits", guards=[requires(ASSIST_READ)])
    async def visits(self, community: CurrentCommunity, principal: Caller, household_id: FromPath[int]) -> list[AssistanceVisitOut]:
        """The household's visits, newest first."""
        return await assistance.list_visits(principal, community, household_id)

    @post("/households/{household_id:int}/visits", guards=[requires(ASSIST_VISIT)])
    async def record_visit(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, household_id: FromPath[int],
        data: JSONBody[AssistanceVisitIn],
    ) -> AssistanceVisitOut:
        """A visit on the 两不愁三保障 + drinking-water checklist; each problem opens a work item."""
        return await assistance.record_visit(meihao, principal, community, household_id, data)

    @post("/problems/{item_id:int}/rectify", guards=[requires(ASSIST_VISIT)])
    async def rectify(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, item_id: FromPath[int], data: JSONBody[RectifyIn]
    ) -> dict[str, str]:
        """整改销号: the problem is rectified, with what was done."""
        item = await assistance.rectify(meihao, principal, community, item_id, data.note)
        return {"state": item["state"]}

    @get("/plan", guards=[requires(ASSIST_READ)])
    async def plan(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, month: FromQuery[str]) -> AssistancePlanOut:
        """The month's (``2026-12``) visits due and done per household, and 月走访覆盖率."""
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError as err:
            raise InvalidInput("month: a month as 2026-12", field="month") from err
        if not 2000 <= first.year <= 2100:
            raise InvalidInput("month: a month from 2000 to 2100", field="month")
        return await assistance.plan(meihao, principal, community, first)

    @get("/meetings", guards=[requires(MEETING_READ)])
    async def meetings(self, community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       quarter: FromQuery[str | None] = None) -> QuarterOut:
        """The quarter's (``2026-Q4``, default this one) joint meetings planned and held, and every meeting, newest first."""
        return await supervision.quarter(meihao, principal, community, quarter)

    @post("/meetings", guards=[requires(MEETING_MANAGE)])
    async def record_meeting(self, community: CurrentCommunity, principal: Caller, meihao: Runtime,
                             data: JSONBody[JointMeetingIn]) -> JointMeetingOut:
        """A joint meeting held (专题会议): departments, households discussed, minutes, decisions (with an assignee: a work item)."""
        return await supervision.record_meeting(meihao, principal, community, data)

    @post("/meetings/planned", guards=[requires(MEETING_MANAGE)])
    async def plan_meeting(self, community: CurrentCommunity, principal: Caller, meihao: Runtime,
                           data: JSONBody[JointMeetingPlanIn]) -> PlannedMeetingOut:
        """Plan a joint meeting ahead: an activity for the community's admins and the staff invited, reminded before it
        (``joint_meeting_reminder_offsets``); its record later names the activity."""
        return await supervision.plan_meeting(meihao, principal, community, data)

    @get("/meetings/{meeting_id:int}", guards=[requires(MEETING_READ)])
    async def meeting(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, meeting_id: FromPath[int]) -> JointMeetingOut:
        return await supervision.get_meeting(meihao, principal, community, meeting_id)

    @post("/meeting-actions/{item_id:int}/done", guards=[requires(MEETING_MANAGE)], status_code=200)
    async def action_done(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, item_id: FromPath[int],
                          data: JSONBody[DoneIn]) -> dict[str, str]:
        """A meeting's decision carried out, with what was done."""
        item = await supervision.finish_action(meihao, principal, community, item_id, data.note)
        return {"state": item["state"]}


class InspectionController(Controller):
    """三强化 督导检查: the discipline office's (纪工委) problem list (问题清单), rectified and closed (整改销号)."""

    path = "/inspection/problems"

    @get("/", guards=[requires(INSPECTION_READ)])
    async def problems(self, community: CurrentCommunity, principal: Caller, meihao: Runtime,
                       status: FromQuery[str | None] = None) -> list[InspectionProblemOut]:
        """The community's problem list, oldest first; ``status`` ``open``, ``rectified`` or ``closed``."""
        return await supervision.list_problems(meihao, principal, community, status)

    @post("/", guards=[requires(INSPECTION_RECORD)])
    async def record(self, community: CurrentCommunity, principal: Caller, meihao: Runtime,
                     data: JSONBody[InspectionProblemIn]) -> InspectionProblemOut:
        """A problem found (category, what, the household if one, the day): due in ``inspection_rectify_working_days``."""
        return await supervision.record_problem(meihao, principal, community, data)

    @post("/{problem_id:int}/rectify", guards=[requires(INSPECTION_RECTIFY)], status_code=200)
    async def rectify(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, problem_id: FromPath[int],
                      data: JSONBody[DoneIn]) -> InspectionProblemOut:
        """整改: the community says what was done; the clock pauses until the supervisor checks."""
        return await supervision.move_problem(meihao, principal, community, problem_id, "rectified", data.note)

    @post("/{problem_id:int}/close", guards=[requires(INSPECTION_RECORD)], status_code=200)
    async def close(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, problem_id: FromPath[int]) -> InspectionProblemOut:
        """销号: the supervisor accepts the rectification."""
        return await supervision.move_problem(meihao, principal, community, problem_id, "closed")

    @post("/{problem_id:int}/return", guards=[requires(INSPECTION_RECORD)], status_code=200)
    async def send_back(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, problem_id: FromPath[int],
                        data: JSONBody[DoneIn]) -> InspectionProblemOut:
        """退回: not rectified yet, saying what is still wrong; the clock runs again."""
        return await supervision.move_problem(meihao, principal, community, problem_id, "open", data.note)


HANDLERS = [RequestController, HotlineController, DutyController, RatesController, AssistanceController, InspectionController]
