"""elder_care's routes, mounted by the kernel under /api/communities/{slug}/elder_care. Thin: the work is in services."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from meihao import Caller, CurrentCommunity, Page, PageNumber, PageSize, Runtime, requires

from .schemas import (
    AlertOut,
    CampaignIn,
    CampaignOut,
    CandidateOut,
    ElderIn,
    ElderOut,
    ElderPatch,
    FollowUpClose,
    FollowUpOut,
    MonthlyReportOut,
    NursingHomeVisitIn,
    NursingHomeVisitOut,
    RosterIn,
    VisitIn,
    VisitOut,
)
from .services import alerts, campaigns, follow_ups, metrics, nursing_home, register, visits

READ = "elder_care.elder.read"
WRITE = "elder_care.elder.write"
RECORD = "elder_care.visit.record"
ACTIVITIES = "elder_care.nursing_home.manage"


class ElderController(Controller):
    """The register of elders (老人档案), their visit plans and visit records."""

    path = "/elders"

    @get("/", guards=[requires(READ)])
    async def list_elders(
        self,
        community: CurrentCommunity,
        principal: Caller,
        meihao: Runtime,
        care_level: FromQuery[str | None] = None,
        living_alone: FromQuery[bool | None] = None,
        status: FromQuery[str | None] = None,
        grid_id: FromQuery[int | None] = None,
        active: FromQuery[bool] = True,
        page: PageNumber = 1,
        page_size: PageSize = None,
    ) -> Page[ElderOut]:
        """Elders in the caller's scope; ``status`` is ``overdue``, ``due_today`` or ``ok`` (most urgent first)."""
        return await register.list_elders(
            meihao, principal, community, care_level=care_level, living_alone=living_alone, status=status,
            grid_id=grid_id, active=active, page=page, page_size=page_size,
        )

    @get("/candidates", guards=[requires(READ)])
    async def candidates(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, page: PageNumber = 1, page_size: PageSize = None
    ) -> list[CandidateOut]:
        """Residents old enough for the register (setting ``elder_age``) who are not on it yet."""
        return await register.candidates(meihao, principal, community, page=page, page_size=page_size)

    @post("/", guards=[requires(WRITE)])
    async def register(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[ElderIn]) -> ElderOut:
        """Put a resident on the register; the visit plan starts with it."""
        return await register.register_elder(meihao, principal, community, data)

    @get("/{elder_id:int}", guards=[requires(READ)])
    async def get_elder(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, elder_id: FromPath[int]) -> ElderOut:
        return await register.get_elder(meihao, principal, community, elder_id)

    @patch("/{elder_id:int}", guards=[requires(WRITE)])
    async def update_elder(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, elder_id: FromPath[int], data: JSONBody[ElderPatch]
    ) -> ElderOut:
        """Change care level, visitor, interval, contact; ``active: false`` with a reason takes the elder off the register."""
        return await register.update_elder(meihao, principal, community, elder_id, data)

    @get("/{elder_id:int}/visits", guards=[requires(READ)])
    async def list_visits(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, elder_id: FromPath[int]) -> list[VisitOut]:
        return await visits.list_visits(meihao, principal, community, elder_id)

    @post("/{elder_id:int}/visits", guards=[requires(RECORD)])
    async def record_visit(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, elder_id: FromPath[int], data: JSONBody[VisitIn]
    ) -> VisitOut:
        """Record a visit or contact (home, phone, video) with the checklist's findings."""
        return await visits.record_visit(meihao, principal, community, elder_id, data)


class AlertController(Controller):
    path = "/alerts"

    @get("/", guards=[requires(READ)])
    async def list_alerts(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, open: FromQuery[bool] = True, page: PageNumber = 1,
        page_size: PageSize = None,
    ) -> Page[AlertOut]:
        """Overdue reminders and escalations sent by the daily check, for elders in scope (open ones by default), newest
        first, paged."""
        return await alerts.list_alerts(meihao, principal, community, open_only=open, page=page, page_size=page_size)


class FollowUpController(Controller):
    """Follow-ups visits asked for (探访跟进): kernel work items with a due date."""

    path = "/follow-ups"

    @get("/", guards=[requires(READ)])
    async def list_follow_ups(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, open: FromQuery[bool] = True
    ) -> list[FollowUpOut]:
        """The follow-ups in the caller's scope (open ones by default), newest first, with their due time and flag."""
        return await follow_ups.list_follow_ups(meihao, principal, community, open_only=open)

    @post("/{item_id:int}/close", guards=[requires(RECORD)])
    async def close_follow_up(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, item_id: FromPath[int], data: JSONBody[FollowUpClose]
    ) -> FollowUpOut:
        """Report the follow-up done (or cancelled), saying what was done."""
        return await follow_ups.close_follow_up(meihao, principal, community, item_id, data.outcome, data.note)


class ReportController(Controller):
    path = "/report"

    @get("/monthly", guards=[requires(READ)])
    async def monthly(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, month: FromQuery[str | None] = None) -> MonthlyReportOut:
        """月探访率 of a month (``YYYY-MM``, default this month): elders in special difficulty visited ÷ elders in special
        difficulty, overall and per grid, in the caller's scope."""
        return await metrics.monthly_report(meihao, principal, community, month)


class NursingHomeVisitController(Controller):
    """Volunteer visits to a nursing home (志愿者慰问敬老院老人): kernel activities with a roster."""

    path = "/nursing-home-visits"

    @get("/", guards=[requires(READ)])
    async def list_visits(self, community: CurrentCommunity, principal: Caller, include_cancelled: FromQuery[bool] = False) -> list[NursingHomeVisitOut]:
        return await nursing_home.list_nursing_home_visits(principal, community, include_cancelled=include_cancelled)

    @post("/", guards=[requires(ACTIVITIES)])
    async def create_visit(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[NursingHomeVisitIn]) -> NursingHomeVisitOut:
        return await nursing_home.create_nursing_home_visit(meihao, principal, community, data)

    @get("/{visit_id:int}", guards=[requires(READ)])
    async def get_visit(self, community: CurrentCommunity, principal: Caller, visit_id: FromPath[int]) -> NursingHomeVisitOut:
        return await nursing_home.get_nursing_home_visit(principal, community, visit_id)

    @post("/{visit_id:int}/roster", guards=[requires(ACTIVITIES)])
    async def add_volunteer(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, visit_id: FromPath[int], data: JSONBody[RosterIn]
    ) -> NursingHomeVisitOut:
        return await nursing_home.add_volunteer(meihao, principal, community, visit_id, data)

    @delete("/{visit_id:int}/roster/{resident_id:int}", guards=[requires(ACTIVITIES)], status_code=200)
    async def remove_volunteer(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, visit_id: FromPath[int], resident_id: FromPath[int]
    ) -> NursingHomeVisitOut:
        return await nursing_home.remove_volunteer(meihao, principal, community, visit_id, resident_id)

    @post("/{visit_id:int}/cancel", guards=[requires(ACTIVITIES)])
    async def cancel_visit(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, visit_id: FromPath[int]) -> NursingHomeVisitOut:
        return await nursing_home.cancel_nursing_home_visit(meihao, principal, community, visit_id)


class CampaignController(Controller):
    """加密探访 extra-visit campaigns for extreme weather and holidays."""

    path = "/campaigns"

    @get("/", guards=[requires(READ)])
    async def list_campaigns(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, running: FromQuery[bool | None] = None,
        page: PageNumber = 1, page_size: PageSize = None,
    ) -> Page[CampaignOut]:
        """Latest start first; elders and visited counted in the caller's scope; ``running``: today within the range."""
        return await campaigns.list_campaigns(meihao, principal, community, running=running, page=page, page_size=page_size)

    @post("/", guards=[requires(WRITE)])
    async def start_campaign(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[CampaignIn]) -> CampaignOut:
        """Start a campaign: every elder in the caller's scope in the groups is due for an extra visit within the range."""
        return await campaigns.start_campaign(meihao, principal, community, data)

    @get("/{campaign_id:int}", guards=[requires(READ)])
    async def get_campaign(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, campaign_id: FromPath[int]) -> CampaignOut:
        """The campaign's progress: its elders in the caller's scope, not visited yet first."""
        return await campaigns.get_campaign(meihao, principal, community, campaign_id)

    @post("/{campaign_id:int}/cancel", guards=[requires(WRITE)], status_code=200)
    async def cancel_campaign(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, campaign_id: FromPath[int]) -> CampaignOut:
        return await campaigns.cancel_campaign(meihao, principal, community, campaign_id)


HANDLERS = [ElderController, AlertController, FollowUpController, ReportController, NursingHomeVisitController, CampaignController]
