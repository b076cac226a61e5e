"""governance's routes, mounted by the kernel under /api/communities/{slug}/governance. Thin: the work is in services."""

from __future__ import annotations

from datetime import date

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from meihao import (
    Caller,
    CurrentCommunity,
    InvalidInput,
    Page,
    PageNumber,
    PageSize,
    PathId,
    Runtime,
    attachment_routes,
    community_today,
    requires,
)

from .schemas import (
    CATEGORIES,
    CallbackIn,
    CallbackOut,
    CategoryOut,
    CheckIn,
    DepartmentFigures,
    DispatchIn,
    EventIn,
    EventOut,
    FeedbackIn,
    GovernanceFigures,
    GridFigures,
    MissingPatrolOut,
    OrderOut,
    PatrolLogIn,
    PatrolLogOut,
    PatrolPlanIn,
    PatrolPlanOut,
    RatingIn,
    ReasonIn,
    RegisterIn,
    ReportIn,
    WhistleIn,
    WhistleOut,
)
from .services import events, metrics, patrols, whistles
from .services.photos import EVENT_PHOTOS

EVENT_READ = "governance.event.read"
EVENT_REPORT = "governance.event.report"
EVENT_DISPATCH = "governance.event.dispatch"
EVENT_CHECK = "governance.event.check"
ORDER_HANDLE = "governance.order.handle"
WHISTLE_READ = "governance.whistle.read"
WHISTLE_BLOW = "governance.whistle.blow"
WHISTLE_ANSWER = "governance.whistle.answer"
WHISTLE_RATE = "governance.whistle.rate"
PATROL_READ = "governance.patrol.read"
PATROL_RECORD = "governance.patrol.record"
PATROL_PLAN = "governance.patrol.plan"
FIGURES = "governance.figures.read"


class EventController(Controller):
    """Grid events (网格事件) on the closed loop 发现 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案."""

    path = "/events"

    @get("/", guards=[requires(EVENT_READ)])
    async def list_events(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, status: FromQuery[str | None] = None,
        grid_id: FromQuery[int | None] = None, category: FromQuery[str | None] = None, open: FromQuery[bool] = False,
        page: PageNumber = 1, page_size: PageSize = None,
    ) -> Page[EventOut]:
        """Events in the caller's scope, newest first (``status``: one state): grid staff their grids', department staff those sent to their department."""
        return await events.list_events(meihao, principal, community, state=status, grid_id=grid_id, category=category, open_only=open,
                                        page=page, page_size=page_size)

    @post("/", guards=[requires(EVENT_REPORT)])
    async def report(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[EventIn]) -> EventOut:
        """发现/上报 an event in one of the caller's grids."""
        return await events.report_event(meihao, principal, community, data)

    @get("/categories", guards=[requires(EVENT_READ)])
    async def categories(self, community: CurrentCommunity) -> list[CategoryOut]:  # noqa: ARG002 - the path's {slug}, documented
        """The classes of the urban-management standard (部件 5, 事件 6)."""
        return [CategoryOut(code=code, kind=c["kind"], name_zh=c["zh"], name_en=c["en"]) for code, c in CATEGORIES.items()]

    @get("/{event_id:int}", guards=[requires(EVENT_READ)])
    async def get_event(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId) -> EventOut:
        return await events.get_event(meihao, principal, community, event_id)

    @post("/{event_id:int}/register", guards=[requires(EVENT_DISPATCH)], status_code=200)
    async def register(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId,
                       data: JSONBody[RegisterIn]) -> EventOut:
        """立案."""
        return await events.register_event(meihao, principal, community, event_id, data)

    @post("/{event_id:int}/dismiss", guards=[requires(EVENT_DISPATCH)], status_code=200)
    async def dismiss(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId, data: JSONBody[ReasonIn]) -> EventOut:
        """不予立案, with a reason."""
        return await events.dismiss_event(meihao, principal, community, event_id, data)

    @post("/{event_id:int}/withdraw", guards=[requires(EVENT_READ)], status_code=204)
    async def withdraw(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId, data: JSONBody[ReasonIn]) -> None:
        """撤回 an event filed by mistake, with a reason: its reporter before 立案, the community's command before any order.

        The event and its photos are removed (the audit log keeps what it said); a closed or dismissed event is kept (409)."""
        await events.withdraw_event(meihao, principal, community, event_id, data)

    @post("/{event_id:int}/dispatch", guards=[requires(EVENT_DISPATCH)], status_code=200)
    async def dispatch(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId,
                       data: JSONBody[DispatchIn]) -> EventOut:
        """派遣 to a department or to someone of the grid's team."""
        return await events.dispatch_event(meihao, principal, community, event_id, data)

    @post("/{event_id:int}/check", guards=[requires(EVENT_CHECK)], status_code=200)
    async def check(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId, data: JSONBody[CheckIn]) -> EventOut:
        """核查 by the grid worker who reported it: passed, or back to the handler (返工)."""
        return await events.check_event(meihao, principal, community, event_id, data)

    @post("/{event_id:int}/close", guards=[requires(EVENT_DISPATCH)], status_code=200)
    async def close(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId) -> EventOut:
        """结案 after a passed check."""
        return await events.close_event(meihao, principal, community, event_id)

    @post("/{event_id:int}/callbacks", guards=[requires(EVENT_DISPATCH)])
    async def callback(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: PathId,
                       data: JSONBody[CallbackIn]) -> CallbackOut:
        """回访 of a closed event (满意, 基本满意, 不满意, 联系不上): counted in the 三率 of the order that resolved it."""
        return await events.record_event_callback(meihao, principal, community, event_id, data)


class OrderController(Controller):
    """Orders (派单) to departments or the grid's team: 签收, 退单, 反馈."""

    path = "/orders"

    @get("/", guards=[requires(EVENT_READ)])
    async def list_orders(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, status: FromQuery[str | None] = None,
        department: FromQuery[str | None] = None, open: FromQuery[bool] = False, page: PageNumber = 1, page_size: PageSize = None,
    ) -> Page[OrderOut]:
        """Orders in the caller's scope (department staff: their department's only)."""
        return await events.list_orders(meihao, principal, community, state=status, department=department, open_only=open,
                                        page=page, page_size=page_size)

    @get("/{order_id:int}", guards=[requires(EVENT_READ)])
    async def get_order(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, order_id: PathId) -> OrderOut:
        return await events.get_order(meihao, principal, community, order_id)

    @post("/{order_id:int}/sign", guards=[requires(ORDER_HANDLE)], status_code=200)
    async def sign(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, order_id: PathId) -> OrderOut:
        """签收: one of two signing at once wins; the other is a 409 naming who signed."""
        return await events.sign_order(meihao, principal, community, order_id)

    @post("/{order_id:int}/return", guards=[requires(ORDER_HANDLE)], status_code=200)
    async def return_order(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, order_id: PathId,
                           data: JSONBody[ReasonIn]) -> OrderOut:
        """退单 with a reason."""
        return await events.return_order(meihao, principal, community, order_id, data)

    @post("/{order_id:int}/feedback", guards=[requires(ORDER_HANDLE)], status_code=200)
    async def feedback(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, order_id: PathId,
                       data: JSONBody[FeedbackIn]) -> OrderOut:
        """反馈: what was done."""
        return await events.feedback_order(meihao, principal, community, order_id, data)


class WhistleController(Controller):
    """Whistles (吹哨): departments summoned, each signing, contacting, reporting, rated by the community."""

    path = "/whistles"

    @get("/", guards=[requires(WHISTLE_READ)])
    async def list_whistles(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, open: FromQuery[bool] = False,
                            page: PageNumber = 1, page_size: PageSize = None) -> Page[WhistleOut]:
        return await whistles.list_whistles(meihao, principal, community, open_only=open, page=page, page_size=page_size)

    @post("/", guards=[requires(WHISTLE_BLOW)])
    async def blow(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[WhistleIn]) -> WhistleOut:
        return await whistles.blow_whistle(meihao, principal, community, data)

    @get("/{whistle_id:int}", guards=[requires(WHISTLE_READ)])
    async def get_whistle(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, whistle_id: PathId) -> WhistleOut:
        return await whistles.get_whistle(meihao, principal, community, whistle_id)


class CallController(Controller):
    """A department's answer to a whistle (报到): 签收, 联系, 报到/答复; the community's rating."""

    path = "/calls"

    @post("/{call_id:int}/sign", guards=[requires(WHISTLE_ANSWER)], status_code=200)
    async def sign(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, call_id: PathId) -> WhistleOut:
        return await whistles.sign_call(meihao, principal, community, call_id)

    @post("/{call_id:int}/contact", guards=[requires(WHISTLE_ANSWER)], status_code=200)
    async def contact(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, call_id: PathId) -> WhistleOut:
        return await whistles.contact_call(meihao, principal, community, call_id)

    @post("/{call_id:int}/report", guards=[requires(WHISTLE_ANSWER)], status_code=200)
    async def report(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, call_id: PathId, data: JSONBody[ReportIn]) -> WhistleOut:
        return await whistles.report_call(meihao, principal, community, call_id, data)

    @post("/{call_id:int}/rate", guards=[requires(WHISTLE_RATE)], status_code=200)
    async def rate(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, call_id: PathId, data: JSONBody[RatingIn]) -> WhistleOut:
        return await whistles.rate_call(meihao, principal, community, call_id, data)


class PatrolController(Controller):
    """Patrols (网格巡查): plans, daily logs, the planned patrols with no log."""

    path = "/patrols"

    @get("/", guards=[requires(PATROL_READ)])
    async def list_patrols(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, day: FromQuery[date | None] = None
                           ) -> list[PatrolLogOut]:
        """Patrol logs of the caller's grids (the latest 500; ``day`` for one day)."""
        return await patrols.list_patrols(meihao, principal, community, day=day)

    @post("/", guards=[requires(PATROL_RECORD)])
    async def record(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[PatrolLogIn]) -> PatrolLogOut:
        """Log one's own patrol of a grid (today by default)."""
        return await patrols.record_patrol(meihao, principal, community, data)

    @get("/missing", guards=[requires(PATROL_READ)])
    async def missing(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, day: FromQuery[date | None] = None
                      ) -> list[MissingPatrolOut]:
        """Planned patrols with no log on ``day`` (default yesterday), in the caller's grids."""
        from datetime import timedelta

        return await patrols.missing_patrols(meihao, principal, community, day or community_today(meihao, community) - timedelta(days=1))

    @get("/plans", guards=[requires(PATROL_READ)])
    async def plans(self, community: CurrentCommunity, principal: Caller, meihao: Runtime) -> list[PatrolPlanOut]:
        return await patrols.list_plans(meihao, principal, community)

    @post("/plans", guards=[requires(PATROL_PLAN)], status_code=200)
    async def set_plan(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[PatrolPlanIn]) -> PatrolPlanOut:
        """Plan (or re-plan) who patrols a grid and how often (``daily`` or ``workdays``)."""
        return await patrols.set_plan(meihao, principal, community, data)


def _month(meihao: Runtime, community: CurrentCommunity, month: str | None) -> str:
    if month is None:
        return metrics.this_month(meihao, community)
    year, _, number = month.partition("-")
    if not (len(year) == 4 and year.isdigit() and number.isdigit() and len(number) == 2 and 1 <= int(number) <= 12 and 1900 <= int(year) <= 2199):
        raise InvalidInput(f"month: {month!r} is not a month such as 2026-11", field="month")
    return month


class FiguresController(Controller):
    """The community's figures (the whole community: its admins)."""

    path = "/figures"

    @get("/", guards=[requires(FIGURES)])
    async def figures(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, month: FromQuery[str | None] = None
                      ) -> GovernanceFigures:
        """A month's events closed (on time, inside the grid), orders signed on time, whistles, the 三率 (``month``: YYYY-MM, default this one)."""
        return await metrics.figures(meihao, principal, community, _month(meihao, community, month))

    @get("/departments", guards=[requires(FIGURES)])
    async def departments(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, month: FromQuery[str | None] = None
                          ) -> list[DepartmentFigures]:
        """The departments' ranking for a month, with each one's 三率."""
        return await metrics.department_ranking(meihao, principal, community, _month(meihao, community, month))

    @get("/grids", guards=[requires(FIGURES)])
    async def grids(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, month: FromQuery[str | None] = None
                    ) -> list[GridFigures]:
        """A month's figures per grid: events closed (inside the grid), orders signed on time, the 三率."""
        return await metrics.grid_figures(meihao, principal, community, _month(meihao, community, month))


#: ``events/{id}/attachments``: the events' photos (services/photos.py).
HANDLERS = [EventController, OrderController, WhistleController, CallController, PatrolController, FiguresController,
            attachment_routes(EVENT_PHOTOS)]
