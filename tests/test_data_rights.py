"""PIPL rights: a resident's data exported as JSON and a resident erased (anonymised), through the API and the CLI; audited."""

from __future__ import annotations

from datetime import date

from meihao.access.tables import AuditLog
from meihao.reminders.tables import Contact, RecipientToken, ReminderOptOut
from meihao.tables import Resident, ResidentTag
from meihao.testing import Factories, make_client

from .commands import run

ID_CARD = "370125198003151238"


async def _resident(mh):
    f = Factories(mh)
    place = await f.place("alpha")
    resident = await f.resident(
        place["household_id"], name="赵大海", birth_date=date(1980, 3, 15), gender="male", id_card=ID_CARD, phone="13912345678",
        tags=["volunteer", "party_member"],
    )
    return resident


async def test_export_is_everything_held_unmasked_and_audited(meihao):
    resident = await _resident(meihao)
    rid = resident["id"]
    async with make_client(meihao) as client:
        assert (await client.put(f"/api/residents/{rid}/contacts/email", json={"address": "zhao@example.org"})).status_code == 200
        assert (await client.post(f"/api/residents/{rid}/opt-outs", json={"scene": "markets"})).status_code in (200, 201)
        assert (await client.post(f"/api/residents/{rid}/reveal", json={"field": "phone", "reason": "核实联系方式"})).status_code == 200
        response = await client.get(f"/api/residents/{rid}/export")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == f'attachment; filename="resident-{rid}.json"'
    data = response.json()
    assert data["format"] == "meihao.resident-data/1"
    person = {k: v for k, v in data["resident"].items() if k not in ("registered_at", "updated_at")}
    assert person == {
        "id": rid, "name": "赵大海", "gender": "male", "birth_date": "1980-03-15", "id_card": ID_CARD, "phone": "+8613912345678",
        "preferred_language": "zh", "tags": ["party_member", "volunteer"], "erased": False,
        "residence_status": "", "relation_to_head": "",
    }
    assert {k: data["residence"][k] for k in ("community", "unit")} == {"community": "alpha", "unit": "1"}
    assert [(e["action"], e["reason"]) for e in data["access_log"]] == [
        ("resident.create", ""), ("meihao.reminder.contact", ""), ("meihao.reminder.opt_out", ""), ("resident.reveal", "核实联系方式"),
    ]
    assert data["plugins"] == {
        "meihao.reminders.hookimpls": {
            "contacts": [{"channel": "email", "address": "zhao@example.org"}],
            "opt_outs": [{"scene": "markets", "channel": "*"}],
            "reminders": [],
            "inbox": [],
        }
    }
    logged = await AuditLog.select(AuditLog.action, AuditLog.target_id).where(AuditLog.action == "resident.data_export")
    assert logged == [{"action": "resident.data_export", "target_id": str(rid)}]


async def test_erase_anonymises_keeps_the_row_and_is_audited_once(meihao):
    resident = await _resident(meihao)
    rid = resident["id"]
    async with make_client(meihao) as client:
        await client.put(f"/api/residents/{rid}/contacts/email", json={"address": "zhao@example.org"})
        await client.post(f"/api/residents/{rid}/inbox-link")
        for body, field in (({}, "reason"), ({"reason": "太短"}, "reason"), ({"reason": "x" * 501}, "reason"), ({"reason": "本人申请删除", "x": 1}, "x")):
            bad = await client.post(f"/api/residents/{rid}/erase", json=body)
            assert bad.status_code == 400, (body, bad.text)
            assert field in bad.text
        missing = await client.post("/api/residents/987654/erase", json={"reason": "本人申请删除个人信息"})
        assert missing.status_code == 404
        assert (await client.post("/api/residents/0/erase", json={"reason": "本人申请删除个人信息"})).status_code == 400
        done = await client.post(f"/api/residents/{rid}/erase", json={"reason": "本人申请删除个人信息 #2026-11"})
        assert done.status_code == 200, done.text
        assert done.json() == {
            "resident_id": rid,
            "erased": {
                "register": {"resident": 1, "tags": 2},
                "meihao.reminders.hookimpls": {"contacts": 1, "inbox_messages": 0, "reminders_cancelled": 0},
            },
        }
        shown = (await client.get(f"/api/residents/{rid}")).json()
        assert (shown["name"], shown["id_card"], shown["phone"], shown["birth_date"], shown["tags"]) == ("已删除", "*" * 14, "", "1980-01-01", [])
        revealed = await client.post(f"/api/residents/{rid}/reveal", json={"field": "id_card", "reason": "核实身份证号码"})
        assert revealed.status_code == 409 and revealed.json()["detail"] == f"resident {rid} was erased: no ID-card number is held"
        again = await client.post(f"/api/residents/{rid}/erase", json={"reason": "本人申请删除个人信息"})
        assert again.status_code == 409 and again.json()["detail"] == f"resident {rid} is already erased"
        exported = (await client.get(f"/api/residents/{rid}/export")).json()
    row = await Resident.select(Resident.name, Resident.id_card_cipher, Resident.id_card_hash, Resident.id_card_last4, Resident.phone).where(
        Resident.id == rid
    ).first()
    assert row == {"name": "已删除", "id_card_cipher": "", "id_card_hash": f"erased:{rid}", "id_card_last4": "", "phone": ""}
    assert await ResidentTag.count().where(ResidentTag.resident == rid) == 0
    assert await Contact.count() == 0
    assert await ReminderOptOut.select(ReminderOptOut.scene, ReminderOptOut.channel).where(ReminderOptOut.recipient_id == rid) == [
        {"scene": "*", "channel": "*"}
    ]
    tokens = await RecipientToken.select(RecipientToken.purpose, RecipientToken.generation).where(RecipientToken.recipient_id == rid).order_by(
        RecipientToken.purpose
    )
    assert tokens == [{"purpose": "calendar", "generation": 2}, {"purpose": "inbox", "generation": 3}, {"purpose": "unsubscribe", "generation": 2}]
    assert exported["resident"]["erased"] is True and exported["resident"]["id_card"] == "" and exported["resident"]["name"] == "已删除"
    assert ID_CARD not in str(exported) and "13912345678" not in str(exported) and "赵大海" not in str(exported)
    logged = await AuditLog.select(AuditLog.action, AuditLog.reason).where(AuditLog.action == "resident.erase")
    assert logged == [{"action": "resident.erase", "reason": "本人申请删除个人信息 #2026-11"}]


async def test_a_community_admin_may_do_neither(meihao):
    resident = await _resident(meihao)
    admin = await Factories(meihao).staff("community_admin", community="alpha")
    async with make_client(meihao, admin["id"]) as client:
        assert (await client.get(f"/api/residents/{resident['id']}/export")).status_code == 403
        assert (await client.post(f"/api/residents/{resident['id']}/erase", json={"reason": "本人申请删除个人信息"})).status_code == 403
    assert await Resident.select(Resident.name).where(Resident.id == resident["id"]).first() == {"name": "赵大海"}


def test_cli_export_and_erase(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    script = tmp_path / "seed.py"
    script.write_text(
        "import asyncio\nfrom datetime import date\nfrom meihao.runtime import boot\nfrom meihao.testing import Factories\n"
        "async def main():\n    mh = boot()\n    await mh.start()\n    f = Factories(mh)\n"
        f"    await f.resident(name='赵大海', birth_date=date(1980, 3, 15), gender='male', id_card='{ID_CARD}')\n    await mh.close()\n"
        "asyncio.run(main())\n"
    )
    import subprocess
    import sys

    from .commands import environment

    seeded = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=environment(tmp_path, {}), capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stderr
    exported = run(tmp_path, "resident", "export", "1", "--output", "one.json")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == "wrote resident 1's data to one.json\n"
    assert ID_CARD in (tmp_path / "one.json").read_text()
    assert oct((tmp_path / "one.json").stat().st_mode & 0o777) == "0o600"
    missing = run(tmp_path, "resident", "erase", "2", "--reason", "本人申请删除个人信息")
    assert (missing.returncode, missing.stderr) == (1, "Error: resident 2 not found\n")
    short = run(tmp_path, "resident", "erase", "1", "--reason", "短")
    assert (short.returncode, short.stderr) == (1, "Error: reason: say why (the request), in at least 4 characters\n")
    erased = run(tmp_path, "resident", "erase", "1", "--reason", "本人申请删除个人信息")
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout == (
        "erased resident 1 (register: resident 1, tags 0; meihao.reminders.hookimpls: contacts 0, inbox_messages 0, reminders_cancelled 0)\n"
    )
