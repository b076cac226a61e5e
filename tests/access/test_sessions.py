"""Sessions (issue 11, finding 12): staff change their own password, a street admin deactivates an account
and ends its sessions, unsubscribe links can be revoked, and public unsubscribes are audited."""

from __future__ import annotations

from meihao.access.tables import AuditLog, StaffToken
from meihao.reminders.tokens import make_token
from meihao.testing import ANONYMOUS, Factories, make_client

PASSWORD = "correct horse battery"


async def _login(client, username, password=PASSWORD):
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def _actions() -> list[str]:
    rows = await AuditLog.select(AuditLog.action).order_by(AuditLog.id)
    return [r["action"] for r in rows]


async def test_staff_change_their_own_password_and_other_sessions_end(meihao):
    await Factories(meihao).staff("street_admin", username="wang")
    async with make_client(meihao, ANONYMOUS) as client:
        first = (await _login(client, "wang")).json()["token"]
        second = (await _login(client, "wang")).json()["token"]
        me = {"Authorization": f"Bearer {first}"}
        wrong = await client.post("/api/auth/password", json={"current_password": "nope-nope", "new_password": "a new long one"}, headers=me)
        assert wrong.json() == {"status_code": 400, "detail": "current_password: is not your current password", "field": "current_password"}
        short = await client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=me)
        assert short.json() == {"status_code": 400, "detail": "new_password: must be at least 8 characters", "field": "new_password"}
        done = await client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "a new long one"}, headers=me)
        assert done.status_code == 204
        assert (await client.get("/api/auth/me", headers=me)).status_code == 200  # this session goes on
        assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {second}"})).status_code == 401
        assert (await _login(client, "wang")).status_code == 401
        assert (await _login(client, "wang", "a new long one")).status_code == 200
    assert "auth.password" in await _actions()


async def test_a_street_admin_deactivates_staff_and_their_sessions_end(meihao):
    f = Factories(meihao)
    await f.community("hepan")
    boss = await f.staff("street_admin", username="boss")
    admin = await f.staff("community_admin", community="hepan", username="zhou")
    worker = await f.staff("grid_worker", grid_id=(await f.grid("hepan"))["id"], username="chen")
    async with make_client(meihao, ANONYMOUS) as client:
        token = (await _login(client, "chen")).json()["token"]
    async with make_client(meihao, admin["id"]) as client:  # a community admin may not
        refused = await client.post(f"/api/staff/{worker['id']}/deactivate")
        assert refused.json() == {"status_code": 403, "detail": "only a street admin may deactivate a staff account"}
    async with make_client(meihao, boss["id"]) as client:
        done = await client.post(f"/api/staff/{worker['id']}/deactivate")
        assert done.status_code == 200 and done.json()["active"] is False
        itself = await client.post(f"/api/staff/{boss['id']}/deactivate")
        assert (itself.status_code, itself.json()["field"]) == (400, "staff_id")
        assert (await client.post("/api/staff/999999/deactivate")).status_code == 404
    async with make_client(meihao, ANONYMOUS) as client:
        assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
        assert (await _login(client, "chen")).status_code == 401
    assert await StaffToken.count().where(StaffToken.staff == worker["id"], StaffToken.revoked.eq(False)) == 0
    [row] = await AuditLog.select(AuditLog.staff, AuditLog.target_id, AuditLog.detail).where(AuditLog.action == "staff.deactivate")
    assert (row["staff"], row["target_id"]) == (boss["id"], str(worker["id"]))


async def test_unsubscribe_links_can_be_revoked_and_public_unsubscribes_are_audited(meihao):
    f = Factories(meihao)
    place = await f.place("hepan")
    resident = await f.resident(place["household_id"])
    old = await make_token(meihao, "resident", resident["id"], "unsubscribe")
    async with make_client(meihao) as client:
        rotated = await client.post(f"/api/residents/{resident['id']}/unsubscribe-link")
        assert rotated.status_code == 200
        new = rotated.json()["url"].rsplit("/", 1)[1]
    async with make_client(meihao, ANONYMOUS) as client:
        assert (await client.post(f"/api/reminders/unsubscribe/{old}", params={"scene": "health"})).status_code == 404
        assert (await client.post(f"/api/reminders/unsubscribe/{new}", params={"scene": "health"})).status_code == 200
    rows = await AuditLog.select(AuditLog.staff, AuditLog.actor, AuditLog.action, AuditLog.target_id, AuditLog.detail).where(
        AuditLog.action.like("meihao.reminder.%")
    ).order_by(AuditLog.id)
    assert [r["action"] for r in rows] == ["meihao.reminder.unsubscribe_link", "meihao.reminder.unsubscribe"]
    public = rows[-1]
    assert (public["staff"], public["actor"], public["target_id"]) == (None, f"resident {resident['id']} (unsubscribe link)", str(resident["id"]))
    assert '"scene": "health"' in public["detail"]
