"""health's routes, mounted by the kernel under /api/communities/{slug}/health. Thin: the work is in services."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from meihao import Caller, CurrentCommunity, Page, PageNumber, PageSize, PathId, Runtime, error_response, requires

from .schemas import (
    CheckIn,
    CheckOut,
    ContractEnd,
    ContractIn,
    ContractOut,
    DueCheckOut,
    FollowUpIn,
    FollowUpOut,
    PatientIn,
    PatientOut,
    ReferralClose,
    ReferralOut,
    RemindedIn,
    TeamIn,
    TeamOut,
    TracingOut,
)
from .services import checks, contracts, patients, referrals, teams, tracing
from .services.common import CHECK_RECORD, CONTRACT_MANAGE, FOLLOW_UP_RECORD, PATIENT_READ, PATIENT_WRITE, TEAM_MANAGE, TRACING

HEALTH_DATA = {403: error_response(403, "Health data: only the patient's doctor team and holders of health.reading.read")}


class TeamController(Controller):
    """家庭医生团队 the community's doctor teams."""

    path = "/teams"

    @get("/", guards=[requires(PATIENT_READ)])
    async def list_teams(self, community: CurrentCommunity) -> list[TeamOut]:
        return await teams.list_teams(community)

    @post("/", guards=[requires(TEAM_MANAGE)])
    async def create_team(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[TeamIn]) -> TeamOut:
        return await teams.create_team(meihao, principal, community, data)


class PatientController(Controller):
    """慢病管理 the register of residents with hypertension or type-2 diabetes, and their follow-ups."""

    path = "/patients"

    @get("/", guards=[requires(PATIENT_READ)])
    async def list_patients(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, status: FromQuery[str | None] = None,
        page: PageNumber = 1, page_size: PageSize = None,
    ) -> Page[PatientOut]:
        """Soonest due first; ``status`` ``due``, ``overdue`` or ``referred``. Health data only for the doctor team; audited."""
        return await patients.list_patients(meihao, principal, community, status=status, page=page, page_size=page_size)

    @post("/", guards=[requires(PATIENT_WRITE)])
    async def register(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[PatientIn]) -> PatientOut:
        return await patients.register(meihao, principal, community, data)

    @get("/{patient_id:int}", guards=[requires(PATIENT_READ)])
    async def get_patient(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, patient_id: PathId) -> PatientOut:
        return await patients.get_patient(meihao, principal, community, patient_id)

    @get("/{patient_id:int}/follow-ups", guards=[requires(PATIENT_READ)], responses=HEALTH_DATA)
    async def list_follow_ups(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, patient_id: PathId,
    ) -> list[FollowUpOut]:
        return await patients.follow_ups(meihao, principal, community, patient_id)

    @post("/{patient_id:int}/follow-ups", guards=[requires(FOLLOW_UP_RECORD)], responses=HEALTH_DATA)
    async def record_follow_up(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, patient_id: PathId, data: JSONBody[FollowUpIn],
    ) -> FollowUpOut:
        """随访: the readings decide the next step and the next due date (a working day)."""
        return await patients.record_follow_up(meihao, principal, community, patient_id, data)


class TracingController(Controller):
    """失访追踪 tracing tasks for the grid workers: remind a patient who missed a follow-up."""

    path = "/tracing"

    @get("/", guards=[requires(PATIENT_READ)])
    async def list_tracing(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, open: FromQuery[bool] = True,
    ) -> list[TracingOut]:
        return await tracing.list_tracing(meihao, principal, community, open_only=open)

    @post("/{item_id:int}/reminded", guards=[requires(TRACING)], status_code=200)
    async def reminded(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, item_id: PathId, data: JSONBody[RemindedIn],
    ) -> TracingOut:
        return await tracing.reminded(meihao, principal, community, item_id, data.note)


class CheckController(Controller):
    """老年人健康管理 the yearly check of residents 65+."""

    path = "/checks"

    @get("/due", guards=[requires(PATIENT_READ)])
    async def due(self, community: CurrentCommunity, principal: Caller, meihao: Runtime) -> list[DueCheckOut]:
        """Residents 65+ in scope not yet checked this year (the campaign's audience ``health.check_due``)."""
        return await checks.due(meihao, principal, community)

    @post("/", guards=[requires(CHECK_RECORD)], responses=HEALTH_DATA)
    async def record(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[CheckIn]) -> CheckOut:
        return await checks.record(meihao, principal, community, data)

    @get("/{check_id:int}", guards=[requires(PATIENT_READ)])
    async def get_check(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, check_id: PathId) -> CheckOut:
        return await checks.get_check(meihao, principal, community, check_id)


class ContractController(Controller):
    """家庭医生签约 family-doctor contracts."""

    path = "/contracts"

    @get("/", guards=[requires(PATIENT_READ)])
    async def list_contracts(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, active: FromQuery[bool] = True,
    ) -> list[ContractOut]:
        return await contracts.list_contracts(meihao, principal, community, active_only=active)

    @post("/", guards=[requires(CONTRACT_MANAGE)])
    async def sign(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[ContractIn]) -> ContractOut:
        return await contracts.sign(meihao, principal, community, data)

    @post("/{contract_id:int}/end", guards=[requires(CONTRACT_MANAGE)], status_code=200)
    async def end(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, contract_id: PathId, data: JSONBody[ContractEnd],
    ) -> ContractOut:
        """解约: the contract ends on ``ends_on`` (default today); 409 when it has ended already."""
        return await contracts.end(meihao, principal, community, contract_id, data)


class ReferralController(Controller):
    """转介 health concerns handed over by other scenes (an elder visit): the doctor team's to see."""

    path = "/referrals"

    @get("/", guards=[requires(PATIENT_READ)])
    async def list_referrals(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, open: FromQuery[bool | None] = None,
        page: PageNumber = 1, page_size: PageSize = None,
    ) -> Page[ReferralOut]:
        """Newest first; the concern (``reason``) only for the resident's doctor team and health.reading.read; audited."""
        return await referrals.list_referrals(meihao, principal, community, open_only=open, page=page, page_size=page_size)

    @post("/{referral_id:int}/close", guards=[requires(PATIENT_READ)], status_code=200, responses=HEALTH_DATA)
    async def close(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, referral_id: PathId, data: JSONBody[ReferralClose],
    ) -> ReferralOut:
        """The doctor team says what it did (409 when already closed)."""
        return await referrals.close_referral(meihao, principal, community, referral_id, data)


HANDLERS = [TeamController, PatientController, TracingController, CheckController, ContractController, ReferralController]
