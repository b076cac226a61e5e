"""A resident's rights over their personal data (PIPL arts. 45 and 47): a copy of everything held, and erasure.

The export gathers the register's own rows about the resident (unmasked: it is the
resident's copy), who read or changed them (the audit log), and every plugin's part through
``meihao_resident_data``. Erasure anonymises the register entry in place, so that every
foreign key keeps pointing at it and what is counted stays counted (visits, stalls,
attendance, reminders sent), and asks every plugin to blank its part through
``meihao_erase_resident`` in the same transaction. Both need a permission of their own
(street admins by default), reach only residents in the caller's scope (else 404, as if
missing) and are written to the audit log.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from meihao.access.audit import audit
from meihao.access.principals import SYSTEM, Principal
from meihao.access.tables import AuditLog
from meihao.db.transactions import transaction
from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.register.tables import Resident, ResidentTag

if TYPE_CHECKING:
    from meihao.runtime import Meihao

EXPORT_PERMISSION = "meihao.resident.data_export"
ERASE_PERMISSION = "meihao.resident.erase"
#: What an erased resident is called from then on.
ERASED_NAME = "已删除"
#: The version of the export's layout, for whoever reads the file later.
EXPORT_FORMAT = "meihao.resident-data/1"


def erased_marker(resident_id: int) -> str:
    """The ``id_card_hash`` of an erased resident: unique, and no HMAC of any number looks like it."""
    return f"erased:{resident_id}"


async def _resident(resident_id: int, principal: Principal) -> dict[str, Any]:
    row = await Resident.select(
        Resident.all_columns(),
        Resident.community.slug.as_alias("community_slug"),
        Resident.community.name.as_alias("community_name"),
        Resident.grid.name.as_alias("grid_name"),
        Resident.building.name.as_alias("building_name"),
        Resident.building.address.as_alias("building_address"),
        Resident.household.unit.as_alias("household_unit"),
        Resident.household.room.as_alias("household_room"),
    ).where(Resident.id == resident_id, *principal.residents_where()).first()
    if row is None:
        raise NotFound(f"resident {resident_id} not found")
    return row


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


async def export_resident(mh: Meihao, resident_id: int, principal: Principal = SYSTEM) -> dict[str, Any]:
    """Everything held about one resident, JSON-ready; audited as ``resident.data_export``."""
    principal.require(EXPORT_PERMISSION)
    row = await _resident(resident_id, principal)
    erased = row["id_card_hash"] == erased_marker(resident_id)
    tags = [r["tag"] for r in await ResidentTag.select(ResidentTag.tag).where(ResidentTag.resident == resident_id).order_by(ResidentTag.tag)]
    log = await AuditLog.select(AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.reason).where(
        AuditLog.target_type == "resident", AuditLog.target_id == str(resident_id)
    ).order_by(AuditLog.id)
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "resident": {
            "id": row["id"],
            "name": row["name"],
            "gender": row["gender"],
            "birth_date": row["birth_date"].isoformat(),
            "id_card": "" if erased else mh.codec.decrypt(row["id_card_cipher"]),
            "phone": row["phone"],
            "preferred_language": row["preferred_language"],
            "tags": tags,
            "residence_status": row["residence_status"],
            "relation_to_head": row["relation_to_head"],
            "registered_at": _iso(row["created_at"]),
            "updated_at": _iso(row["updated_at"]),
            "erased": erased,
        },
        "residence": {
            "community": row["community_slug"],
            "community_name": row["community_name"],
            "grid": row["grid_name"],
            "building": row["building_name"],
            "address": row["building_address"],
            "unit": row["household_unit"],
            "room": row["household_room"],
        },
        # Who read or changed the register entry, and why (PIPL art. 44: the right to know).
        "access_log": [{"at": _iso(r["at"]), "actor": r["actor"], "action": r["action"], "reason": r["reason"]} for r in log],
        "plugins": {name: _jsonable(part) for name, part in (await mh.plugins.resident_data(resident_id, mh)).items()},
    }
    async with mh.db.transaction():
        await audit(principal, "resident.data_export", "resident", resident_id, community_id=row["community"])
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return _iso(value)


async def erase_resident(mh: Meihao, resident_id: int, reason: str, principal: Principal = SYSTEM) -> dict[str, Any]:
    """Anonymise one resident and have every plugin blank its part; audited as ``resident.erase`` with the reason.

    Gone: the name, the ID-card number (cipher, hash, last four), the phone, the tags, the day
    and month of birth; kept: the row (gender, birth year, household) so that counts stay.
    A second erasure is a 409.
    """
    principal.require(ERASE_PERMISSION)
    reason = (reason or "").strip()
    if len(reason) < mh.settings.reveal_reason_min_length:
        raise InvalidInput(f"reason: say why (the request), in at least {mh.settings.reveal_reason_min_length} characters", field="reason")
    await _resident(resident_id, principal)  # 404 before anything else
    erased: dict[str, Any] = {}
    # One erasure of a resident at a time: the second finds the first's work done (409).
    async with transaction(mh, lock=("meihao.resident.erase", resident_id)):
        row = await _resident(resident_id, principal)
        if row["id_card_hash"] == erased_marker(resident_id):
            raise Conflict(f"resident {resident_id} is already erased")
        tags = await ResidentTag.count().where(ResidentTag.resident == resident_id)
        await ResidentTag.delete().where(ResidentTag.resident == resident_id)
        await Resident.update(
            {
                Resident.name: ERASED_NAME,
                Resident.id_card_cipher: "",
                Resident.id_card_hash: erased_marker(resident_id),
                Resident.id_card_last4: "",
                Resident.phone: "",
                Resident.birth_date: date(row["birth_date"].year, 1, 1),
                Resident.updated_at: datetime.now(timezone.utc),
            }
        ).where(Resident.id == resident_id)
        erased["register"] = {"resident": 1, "tags": tags}
        erased.update(await mh.plugins.erase_resident(resident_id, mh))
        await audit(
            principal, "resident.erase", "resident", resident_id, community_id=row["community"], reason=reason, detail={"erased": erased}
        )
    return {"resident_id": resident_id, "erased": erased}
