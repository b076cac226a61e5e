"""Partner merchants (合作商户) who may take stalls: listed with masked phones, registered and changed by the community."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, NotFound, Principal, audit, mask_phone, normalise_phone, scoped_resident

from ..schemas import MerchantIn, MerchantOut, MerchantPatch
from ..tables import Merchant
from .common import EVERYONE, _tx


def _merchant_out(row: dict[str, Any]) -> MerchantOut:
    return MerchantOut(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        contact_name=row["contact_name"],
        contact_phone=mask_phone(row["contact_phone"]),
        contact_resident_id=row["contact_resident"],
        active=row["active"],
    )


async def list_merchants(community: CommunityInfo) -> list[MerchantOut]:
    rows = await Merchant.select().where(Merchant.community == community.id).order_by(Merchant.id)
    return [_merchant_out(r) for r in rows]


async def create_merchant(mh: Any, community: CommunityInfo, data: MerchantIn, principal: Principal) -> MerchantOut:
    phone = normalise_phone(data.contact_phone) if data.contact_phone.strip() else ""
    if data.contact_resident_id is not None:
        await scoped_resident(EVERYONE, community, data.contact_resident_id, "contact_resident_id")
    async with _tx(mh):
        merchant = Merchant(
            community=community.id, name=data.name.strip(), kind=data.kind, contact_name=data.contact_name.strip(),
            contact_phone=phone, contact_resident=data.contact_resident_id,
        )
        await merchant.save()
        await audit(principal, "markets.merchant.create", "markets.merchant", merchant.id, community_id=community.id,
                    detail={"name": data.name})
    row = await Merchant.select().where(Merchant.id == merchant.id).first()
    return _merchant_out(row)


async def _merchant_row(community: CommunityInfo, merchant_id: int) -> dict[str, Any]:
    row = await Merchant.select().where(Merchant.id == merchant_id, Merchant.community == community.id).first()
    if row is None:
        raise NotFound(f"merchant {merchant_id} not found")
    return row


async def get_merchant(community: CommunityInfo, merchant_id: int) -> MerchantOut:
    return _merchant_out(await _merchant_row(community, merchant_id))


async def update_merchant(mh: Any, community: CommunityInfo, merchant_id: int, patch: MerchantPatch, principal: Principal) -> MerchantOut:
    """Change what the patch names; the audit log keeps which fields changed (not the phone number itself)."""
    await _merchant_row(community, merchant_id)
    values: dict[Any, Any] = {}
    if patch.name is not None:
        values[Merchant.name] = patch.name.strip()
    if patch.kind is not None:
        values[Merchant.kind] = patch.kind
    if patch.contact_name is not None:
        values[Merchant.contact_name] = patch.contact_name.strip()
    if patch.contact_phone is not None:
        values[Merchant.contact_phone] = normalise_phone(patch.contact_phone) if patch.contact_phone.strip() else ""
    if patch.contact_resident_id is not None:
        await scoped_resident(EVERYONE, community, patch.contact_resident_id, "contact_resident_id")
        values[Merchant.contact_resident] = patch.contact_resident_id
    if patch.active is not None:
        values[Merchant.active] = patch.active
    if values:
        async with _tx(mh):
            await Merchant.update(values).where(Merchant.id == merchant_id)
            await audit(principal, "markets.merchant.update", "markets.merchant", merchant_id, community_id=community.id,
                        detail={"fields": sorted(c._meta.name for c in values)})
    return await get_merchant(community, merchant_id)
