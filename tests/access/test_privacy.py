"""Masking everywhere, reveals with a reason and an audit row, ID-card numbers encrypted at rest."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from meihao.access.tables import AuditLog
from meihao.tables import Resident
from meihao.testing import Factories, make_client

ID_CARD = "370125198003151234"


async def _resident(mh, **kw):
    f = Factories(mh)
    place = await f.place("alpha")
    birth = date(1980, 3, 15)
    number = kw.pop("id_card", f.id_card(birth, "male"))
    return place, number, await f.resident(place["household_id"], birth_date=birth, gender="male", id_card=number, phone="13912345678", **kw)


async def test_masked_in_detail_list_and_export(meihao):
    place, number, resident = await _resident(meihao, name="赵大海")
    async with make_client(meihao) as client:
        detail = await client.get(f"/api/residents/{resident['id']}")
        listed = await client.get("/api/residents")
        exported = await client.get("/api/residents/export")
    assert detail.json()["id_card"] == "*" * 14 + number[-4:]
    assert detail.json()["phone"] == "139****5678"
    item = listed.json()["items"][0]
    assert (item["id_card"], item["phone"]) == (detail.json()["id_card"], "139****5678")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0]["姓名"] == "赵大海" and rows[0]["联系电话"] == "139****5678" and rows[0]["身份证号"] == "*" * 14 + number[-4:]
    for response in (detail, listed, exported):
        assert number not in response.text
        assert "13912345678" not in response.text and "12345678" not in response.text


async def test_reveal_without_permission_is_403_and_writes_nothing(meihao):
    f = Factories(meihao)
    place, number, resident = await _resident(meihao)
    worker = await f.staff("grid_worker", grid_id=place["grid_id"])
    before = await AuditLog.count()
    async with make_client(meihao, worker["id"]) as client:
        assert (await client.get(f"/api/residents/{resident['id']}")).status_code == 200  # in scope
        response = await client.post(f"/api/residents/{resident['id']}/reveal", json={"field": "id_card", "reason": "核实身份"})
    assert response.status_code == 403
    assert number not in response.text
    assert await AuditLog.count() == before


async def test_reveal_with_permission_writes_one_audit_row(meihao):
    f = Factories(meihao)
    place, number, resident = await _resident(meihao)
    admin = await f.staff("community_admin", community="alpha")
    async with make_client(meihao, admin["id"]) as client:
        no_reason = await client.post(f"/api/residents/{resident['id']}/reveal", json={"field": "id_card", "reason": " "})
        assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
        before = await AuditLog.count()
        revealed = await client.post(f"/api/residents/{resident['id']}/reveal", json={"field": "id_card", "reason": "办理低保核实身份"})
        phone = await client.post(f"/api/residents/{resident['id']}/reveal", json={"field": "phone", "reason": "联系家属"})
    assert revealed.status_code == 200 and revealed.json()["value"] == number
    assert phone.json()["value"] == "+8613912345678"
    rows = await AuditLog.select().where(AuditLog.action == "resident.reveal").order_by(AuditLog.id)
    assert await AuditLog.count() == before + 2
    assert [(r["staff"], r["target_id"], r["reason"]) for r in rows] == [
        (admin["id"], str(resident["id"]), "办理低保核实身份"),
        (admin["id"], str(resident["id"]), "联系家属"),
    ]
    assert '"field": "id_card"' in rows[0]["detail"] or rows[0]["detail"] == {"field": "id_card"}


@pytest.mark.meihao_db("sqlite")  # reads the SQLite file itself
async def test_id_cards_are_encrypted_at_rest(meihao):
    """The raw SQLite file (and its WAL) holds no plaintext ID-card number."""
    f = Factories(meihao)
    place = await f.place("alpha")
    numbers = []
    for n in range(30):
        birth = date(1950 + n, 1 + n % 12, 1 + n % 27)
        numbers.append(f.id_card(birth, "female"))
        await f.resident(place["household_id"], birth_date=birth, id_card=numbers[-1], name=f"居民{n}")
    await meihao.db.engine.run_ddl("PRAGMA wal_checkpoint(TRUNCATE)")
    path = meihao.settings.sqlite_path
    raw = path.read_bytes() + (path.with_name(path.name + "-wal").read_bytes() if path.with_name(path.name + "-wal").exists() else b"")
    assert await Resident.count() == 30
    for number in numbers:
        assert number.encode() not in raw
        assert number[:14].encode() not in raw  # not even most of it
    stored = await Resident.select(Resident.id_card_cipher, Resident.id_card_last4).first()
    assert meihao.codec.decrypt(stored["id_card_cipher"]) in numbers


async def test_no_table_holds_an_id_card_number_in_plain_text(meihao):
    """Every column of every table, read back as text, on either database: no ID-card number."""
    f = Factories(meihao)
    place = await f.place("alpha")
    numbers = []
    for n in range(5):
        birth = date(1960 + n, 2 + n, 3 + n)
        numbers.append(f.id_card(birth, "male"))
        await f.resident(place["household_id"], birth_date=birth, gender="male", id_card=numbers[-1], name=f"居民{n}")
    dump = []
    for table in meihao.db.tables():
        dump += [repr(row) for row in await table.select()]
    text = "\n".join(dump)
    assert "居民4" in text  # the dump did read the residents
    for number in numbers:
        assert number not in text
        assert number[:14] not in text


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+8613912345678", "139****5678"),  # mainland mobile: the fast path
        ("+862912345678", "291***5678"),  # a Xi'an landline, 10 digits
        ("+85291234567", "912*4567"),  # Hong Kong: parsed, +852 is not +86
        ("+14155550123", "415***0123"),
        ("", ""),
    ],
)
def test_phone_masks_keep_the_first_three_and_last_four_digits_of_the_national_number(stored, shown):
    from meihao.privacy import mask_phone

    assert mask_phone(stored) == shown


def test_the_lookup_hash_is_a_keyed_hash_fixed_by_the_data_key():
    from meihao.privacy import PersonalDataCodec

    # a literal: the lookup hash is stored, so a change of its derivation orphans every stored row
    codec = PersonalDataCodec("ZmFrZS1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM=")
    assert codec.lookup_hash("370125196005170021") == "783349ad8a36ac61614dbd223d0ca786c55c9df8f346af3fa3038fbc8f2ac0bc"
    other = PersonalDataCodec("b3RoZXIta2V5LWZvci10ZXN0cy1vbmx5LTMyLWJ5dGU=")
    assert other.lookup_hash("370125196005170021") != "783349ad8a36ac61614dbd223d0ca786c55c9df8f346af3fa3038fbc8f2ac0bc"
