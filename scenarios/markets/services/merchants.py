"""Partner merchants (合作商户) who may take stalls: listed with masked phones, registered by the community."""

from __future__ import annotations

from typing import Any

from meihao import CommunityInfo, Principal, audit, mask_phone, normalise_phone, scoped_resident

from ..schemas import MerchantIn, MerchantOut
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
