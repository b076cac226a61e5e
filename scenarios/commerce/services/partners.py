"""合作单位: the enterprise's partners (postal service, health provider, …), their contracts and the expiry alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from meihao import CommunityInfo, InvalidInput, NotFound, NoticeIn, Principal, audit, community_today, notify, transaction, zh_date

from ..schemas import PARTNER_KINDS, ContractIn, PartnerIn, PartnerOut
from ..tables import Partner
from .common import SCENARIO, community_admins, settings_of


def _out(row: dict[str, Any], today: Any, alert_days: int) -> PartnerOut:
    days_left = (row["contract_ends_on"] - today).days
    return PartnerOut(id=row["id"], name=row["name"], kind=row["kind"], contact=row["contact"],
                      contract_starts_on=row["contract_starts_on"], contract_ends_on=row["contract_ends_on"], days_left=days_left,
                      expiring=row["active"] and days_left <= alert_days, active=row["active"])


def _check_period(starts_on: Any, ends_on: Any) -> None:
    if ends_on < starts_on:
        raise InvalidInput("contract_ends_on: before the contract starts", field="contract_ends_on")


async def partner_in(community: CommunityInfo, partner_id: int, field: str = "partner_id") -> dict[str, Any]:
    row = await Partner.select().where(Partner.id == partner_id, Partner.community == community.id).first()
    if row is None:
        raise NotFound(f"{field}: partner {partner_id} not found" if field else f"partner {partner_id} not found", field=field)
    return row


async def create_partner(mh: Any, principal: Principal, community: CommunityInfo, data: PartnerIn) -> PartnerOut:
    _check_period(data.contract_starts_on, data.contract_ends_on)
    async with transaction(mh):
        row = Partner(community=community.id, name=data.name.strip(), kind=data.kind, contact=data.contact.strip(),
                      contract_starts_on=data.contract_starts_on, contract_ends_on=data.contract_ends_on)
        await row.save()
        await audit(principal, "commerce.partner.create", "commerce_partner", row.id, community_id=community.id,
                    detail={"name": row.name, "contract_ends_on": data.contract_ends_on.isoformat()})
    return await get_partner(mh, community, row.id)


async def get_partner(mh: Any, community: CommunityInfo, partner_id: int) -> PartnerOut:
    row = await partner_in(community, partner_id, "")
    settings = await settings_of(mh, community)
    return _out(row, community_today(mh, community), settings.contract_alert_days)


async def list_partners(mh: Any, community: CommunityInfo, *, expiring_only: bool = False) -> list[PartnerOut]:
    """Every active partner, the contract ending soonest first; ``expiring_only``: those within the alert window."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    query = Partner.select().where(Partner.community == community.id, Partner.active.eq(True))
    if expiring_only:
        query = query.where(Partner.contract_ends_on <= today + timedelta(days=settings.contract_alert_days))
    rows = await query.order_by(Partner.contract_ends_on).order_by(Partner.id)
    return [_out(r, today, settings.contract_alert_days) for r in rows]


async def renew_contract(mh: Any, principal: Principal, community: CommunityInfo, partner_id: int, data: ContractIn) -> PartnerOut:
    """续签: a new contract period; the expiry alert is sent again before the new end."""
    _check_period(data.contract_starts_on, data.contract_ends_on)
    async with transaction(mh):
        before = await partner_in(community, partner_id, "")
        await Partner.update({Partner.contract_starts_on: data.contract_starts_on, Partner.contract_ends_on: data.contract_ends_on,
                              Partner.alerted_for: None}).where(Partner.id == partner_id)
        await audit(principal, "commerce.partner.contract", "commerce_partner", partner_id, community_id=community.id,
                    detail={"from": before["contract_ends_on"].isoformat(), "to": data.contract_ends_on.isoformat()})
    return await get_partner(mh, community, partner_id)


async def alert_expiring(mh: Any, community: CommunityInfo) -> list[int]:
    """合同到期提醒: each active partner whose contract ends within ``contract_alert_days`` (and has not ended), once per end
    date, to the community's admins. Returns the partners' ids."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    rows = await Partner.select().where(
        Partner.community == community.id, Partner.active.eq(True), Partner.contract_ends_on >= today,
        Partner.contract_ends_on <= today + timedelta(days=settings.contract_alert_days)).order_by(Partner.id)
    staff = await community_admins(community)
    told = []
    for row in rows:
        if row["alerted_for"] == row["contract_ends_on"]:
            continue
        async with transaction(mh):
            await Partner.update({Partner.alerted_for: row["contract_ends_on"]}).where(Partner.id == row["id"])
            if staff:
                days = (row["contract_ends_on"] - today).days
                await notify(mh, community.slug, NoticeIn(
                    key=f"commerce.contract:{row['id']}:{row['contract_ends_on'].isoformat()}", title="合作合同到期提醒",
                    body=f"合作单位“{row['name']}”（{PARTNER_KINDS.get(row['kind'], row['kind'])}）的合同将于"
                         f"{zh_date(row['contract_ends_on'])}到期（还有{days}天），请及时商谈续签。",
                    staff=staff, channels=list(settings.channels), useful_for=timedelta(days=7)), scenario=SCENARIO)
        told.append(row["id"])
    return told
