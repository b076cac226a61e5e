"""A resident's data rights in markets: their stall applications (as applicant or reminded contact) and merchants they are contact for.

Erasure blanks what describes the person (the reasons given on their applications, the notes on
their stalls' proceeds, the contact name and phone of a merchant they are contact for) and keeps
what is counted: every application (a stall taken) and its proceeds.
"""

from __future__ import annotations

from typing import Any

from ..tables import Application, Merchant, Proceeds


def _when(value: Any) -> Any:
    return value.isoformat() if value is not None else None


async def resident_data(resident_id: int) -> dict[str, Any] | None:
    applications = await Application.select(
        Application.id, Application.market.name.as_alias("market"), Application.market_day.day.as_alias("day"),
        Application.resident, Application.goods, Application.status, Application.reason, Application.applied_at, Application.decided_at,
    ).where((Application.resident == resident_id) | (Application.contact == resident_id)).order_by(Application.id)
    proceeds = {
        r["application"]: r["amount_fen"]
        for r in await Proceeds.select(Proceeds.application, Proceeds.amount_fen).where(Proceeds.application.is_in([a["id"] for a in applications]))
    } if applications else {}
    merchants = await Merchant.select(Merchant.name, Merchant.kind, Merchant.contact_name, Merchant.contact_phone).where(
        Merchant.contact_resident == resident_id
    ).order_by(Merchant.id)
    if not applications and not merchants:
        return None
    return {
        "applications": [
            {
                "market": a["market"], "day": _when(a["day"]), "as": "applicant" if a["resident"] == resident_id else "contact",
                "goods": a["goods"], "status": a["status"], "reason": a["reason"], "applied_at": _when(a["applied_at"]),
                "decided_at": _when(a["decided_at"]), "proceeds_fen": proceeds.get(a["id"]),
            }
            for a in applications
        ],
        "merchant_contact_for": merchants,
    }


async def erase_resident(resident_id: int) -> dict[str, int] | None:
    own = Application.select(Application.id).where(Application.resident == resident_id)
    applications = await Application.count().where(Application.resident == resident_id)
    merchants = await Merchant.count().where(Merchant.contact_resident == resident_id)
    if not applications and not merchants:
        return None
    await Proceeds.update({Proceeds.note: ""}).where(Proceeds.application.is_in(own))
    await Application.update({Application.reason: ""}).where(Application.resident == resident_id)
    await Merchant.update({Merchant.contact_name: "", Merchant.contact_phone: "", Merchant.contact_resident: None}).where(
        Merchant.contact_resident == resident_id
    )
    return {"applications": applications, "merchant_contacts": merchants}
