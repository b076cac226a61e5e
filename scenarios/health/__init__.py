"""health (健康): the chronic-disease register and follow-ups, the yearly check of residents 65+, family-doctor contracts.

With the community health service centre and the partner provider's doctor teams. Rules:
国家基本公共卫生服务规范（第三版） and 国卫基层发〔2018〕35号 (domain-rules.md §3). Health data is sensitive
(PIPL art. 28): readings are read by the patient's doctor team and holders of ``health.reading.read`` only;
grid staff see due / overdue / referred. See docs/scenes/health.md.
"""

from __future__ import annotations

from typing import Any

from meihao import Audience, CommunityInfo, ConsolePages, Intake, Meihao, Metric, Permission, Principal, Scenario, hookimpl

from .jobs import JOBS
from .routes import HANDLERS
from .schemas import HealthSettings
from .services import checks, metrics
from .services.common import (
    CHECK_RECORD,
    CONTRACT_MANAGE,
    FOLLOW_UP_RECORD,
    PATIENT_READ,
    PATIENT_WRITE,
    READINGS,
    TEAM_MANAGE,
    TRACING,
)

_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time", "dispatched")
#: Doctors and nurses are the X of 2+1+N+X (sent down from the health service centre); what they may do with a
#: patient's health data is decided by their doctor team, not by the role.
_DOCTORS = ("community_admin", "dispatched")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="health",
        title_zh="健康 · 慢病随访与家庭医生",
        title_en="Health: chronic-disease follow-ups and family doctors",
        scene="health",
        version="1.0",
        settings=HealthSettings,
        description="高血压、糖尿病患者随访管理，失访追踪，65岁以上老人年度体检，家庭医生签约与续约提醒",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.health.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return list(HANDLERS)


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission(PATIENT_READ, "See who is due, overdue or referred for a follow-up, the 65+ still to check, contracts (no health data)", _TEAM),
        Permission(PATIENT_WRITE, "Put residents with hypertension or type-2 diabetes on the register", _DOCTORS),
        Permission(FOLLOW_UP_RECORD, "Record follow-ups of the doctor team's patients (readings, symptoms, medication)", ("dispatched",)),
        # PIPL art. 28: health data. The doctor team reads its own patients' without it; this reaches every patient.
        Permission(READINGS, "Read every patient's readings, conditions and check items (sensitive; each read audited)", ()),
        Permission(TEAM_MANAGE, "Set up the community's doctor teams", ("community_admin",)),
        Permission(CHECK_RECORD, "Record the yearly health check of residents 65+", ("dispatched",)),
        Permission(CONTRACT_MANAGE, "Sign and renew family-doctor contracts", _DOCTORS),
        Permission(TRACING, "Report a patient reminded of a missed follow-up", ("grid_leader", "grid_worker", "grid_part_time")),
    ]


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


def _check_due(community_id: int, today: Any) -> Any:
    # a sub-select built without awaiting: the default check age (65), not a community's own setting (documented)
    return checks.due_select(community_id, today, HealthSettings().check_age)


@hookimpl
def meihao_audiences() -> list[Audience]:
    return [Audience("health.check_due", "65岁以上未体检老人", "Residents 65+ not checked this year", _check_due)]


@hookimpl
def meihao_intakes() -> list[Intake]:
    from .services.referrals import INTAKE, accept_referral

    # data keys read: none; resident_id is required, body is the concern (docs/scenes/health.md)
    return [Intake(INTAKE, "健康转介", "Health referral", accept=accept_referral)]


@hookimpl
async def meihao_demo_data(community: CommunityInfo, settings: HealthSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao, principal: Principal) -> list[Metric]:
    f = await metrics.figures(meihao, principal, community)
    result = [
        Metric("managed", "慢病管理人数", "Chronic-disease patients managed", f["managed"]),
        Metric("standard_managed", "规范管理人数", "Managed to the standard this year", f["standard_managed"]),
        Metric("contracts", "家庭医生签约人数", "Residents with a family-doctor contract", f["contracts"]),
        Metric("checked_65", "65岁以上本年已体检", "Residents 65+ checked this year", f["checked_65"]),
        Metric("due_65", "65岁以上本年待体检", "Residents 65+ still to check this year", f["due_65"]),
    ]
    for key, zh, en in (("standard_rate", "规范管理率", "Standard management rate"), ("control_rate", "控制率", "Control rate"),
                        ("contract_rate", "签约率", "Contract rate"), ("check_rate", "65岁以上体检率", "65+ check rate")):
        if f[key] is not None:
            result.append(Metric(key, zh, en, f[key]))
    return result


@hookimpl
async def meihao_resident_data(resident_id: int) -> dict[str, Any] | None:
    from .services import rights

    return await rights.resident_data(resident_id)


@hookimpl
async def meihao_erase_resident(resident_id: int) -> dict[str, int] | None:
    from .services import rights

    return await rights.erase_resident(resident_id)


@hookimpl
def meihao_console_pages() -> ConsolePages:
    from .pages import PAGES

    return PAGES
