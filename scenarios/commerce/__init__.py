"""commerce (商业): 商居互融 and the community enterprise (强社公司).

Partners (the postal service, a health provider, …) with contracts and expiry alerts; service offers (parcel
collection, housekeeping, meal help, the health hut) with time slots and capacity, booked by staff or by the
resident through her link; the enterprise's ledger in fen with month close and the quarterly public statement
(财务公开); the merchant alliance's discounts and complaints handed to governance as grid events. See
docs/scenes/commerce.md.
"""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, ConsolePages, Meihao, Metric, Permission, Principal, Scenario, hookimpl

from .jobs import JOBS
from .routes import HANDLERS
from .schemas import CommerceSettings
from .services import metrics
from .services.common import BOOKING_WRITE, COMPLAINT_WRITE, LEDGER_READ, LEDGER_WRITE, OFFER_MANAGE, OFFER_READ

_TEAM = ("community_admin", "grid_leader", "grid_worker", "grid_part_time")


@hookimpl
def meihao_scenario() -> Scenario:
    return Scenario(
        name="commerce",
        title_zh="商业 · 商居互融与强社公司",
        title_en="Commerce: shops, residents and the community enterprise",
        scene="commerce",
        version="1.0",
        settings=CommerceSettings,
        description="合作单位与合同到期提醒，快递代收、家政、助餐、健康小屋预约，强社公司账目、月结与季度财务公开，商户联盟优惠与商居矛盾转办",
    )


@hookimpl
def meihao_piccolo_apps() -> list[str]:
    return ["meihao.scenarios.commerce.piccolo_app"]


@hookimpl
def meihao_route_handlers() -> list[Any]:
    return list(HANDLERS)


@hookimpl
def meihao_permissions() -> list[Permission]:
    return [
        Permission(OFFER_READ, "See partners, service offers and slots, the residents' bookings (names masked), shops and complaints",
                   (*_TEAM, "dispatched")),
        Permission(OFFER_MANAGE, "Set up partners and their contracts, service offers and slots, shops and discounts", ("community_admin",)),
        Permission(BOOKING_WRITE, "Book and cancel services for residents", _TEAM),
        Permission(LEDGER_READ, "Read the community enterprise's ledger", ("community_admin",)),
        Permission(LEDGER_WRITE, "Write the enterprise's ledger, close months, publish the quarterly statement", ("community_admin",)),
        Permission(COMPLAINT_WRITE, "Record complaints between shops and residents and hand them to governance", _TEAM),
    ]


@hookimpl
def meihao_jobs() -> list[Any]:
    return list(JOBS)


@hookimpl
async def meihao_demo_data(community: CommunityInfo, settings: CommerceSettings, seed: int, meihao: Meihao) -> None:
    from .demo import fill

    await fill(meihao, community, settings, seed)


@hookimpl
async def meihao_metrics(community: CommunityInfo, meihao: Meihao, principal: Principal) -> list[Metric]:
    f = await metrics.figures(meihao, principal, community)
    result = [
        Metric("bookings_month", "本月预约", "Bookings this month", f["bookings_month"]),
        Metric("served_month", "本月服务人数", "People served this month", f["served_month"]),
        Metric("visits_month", "本月服务人次", "Services given this month", f["visits_month"]),
        Metric("no_show_month", "本月预约未到", "Booked and did not come this month", f["no_show_month"]),
        Metric("bookings_year", "本年预约", "Bookings this year", f["bookings_year"]),
        Metric("served_year", "本年服务人数", "People served this year", f["served_year"]),
        Metric("visits_year", "本年服务人次", "Services given this year", f["visits_year"]),
        Metric("no_show_year", "本年预约未到", "Booked and did not come this year", f["no_show_year"]),
    ]
    if "income_month_fen" in f:
        result += [
            Metric("income_month", "本月收入（元）", "Income this month (yuan)", f["income_month_fen"] / 100),
            Metric("public_good_month", "本月公益投入（元）", "Put back into the community this month (yuan)",
                   f["public_good_month_fen"] / 100),
            Metric("income_year", "本年收入（元）", "Income this year (yuan)", f["income_year_fen"] / 100),
            Metric("public_good_year", "本年公益投入（元）", "Put back into the community this year (yuan)", f["public_good_year_fen"] / 100),
        ]
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
