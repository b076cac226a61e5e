"""Login, tokens, logout and the rate limits on failed logins."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from meihao.access.tables import AuditLog, LoginAttempt, StaffToken
from meihao.testing import ANONYMOUS, Factories, make_client
from meihao.time.clock import FakeClock


async def test_login_gives_a_token_that_works_until_logout(meihao):
    staff = await Factories(meihao).staff("community_admin", community=(await Factories(meihao).community("alpha"))["slug"], username="wang")
    async with make_client(meihao, ANONYMOUS) as client:
        assert (await client.get("/api/residents")).status_code == 401
        response = await client.post("/api/auth/login", json={"username": "wang", "password": "correct horse battery"})
        assert response.status_code == 200, response.text
        token = response.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = (await client.get("/api/auth/me", headers=headers)).json()
        assert me["staff_id"] == staff["id"] and me["roles"] == ["community_admin"]
        assert "meihao.resident.reveal" in me["permissions"]
        assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
        after = await client.get("/api/auth/me", headers=headers)
        assert after.status_code == 401
        assert "log in again" in after.json()["detail"]
    # only a hash of the token is stored
    assert await StaffToken.count().where(StaffToken.token_hash == token) == 0
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action).where(AuditLog.staff == staff["id"]).order_by(AuditLog.id)]
    assert actions == ["auth.login", "auth.logout"]


async def test_expired_token_is_refused(meihao):
    staff = await Factories(meihao).street_admin()
    token = await Factories(meihao).token(staff["id"])
    await StaffToken.update({StaffToken.expires_at: datetime.now(timezone.utc) - timedelta(minutes=1)}).where(StaffToken.staff == staff["id"])
    async with make_client(meihao, ANONYMOUS) as client:
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_wrong_password_and_unknown_user_look_the_same(meihao):
    await Factories(meihao).staff("street_admin", username="li")
    async with make_client(meihao, ANONYMOUS) as client:
        wrong = await client.post("/api/auth/login", json={"username": "li", "password": "nope-nope"})
        unknown = await client.post("/api/auth/login", json={"username": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


RIGHT = {"username": "zhao", "password": "correct horse battery"}
WRONG = {"username": "zhao", "password": "wrong-wrong"}
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


async def test_failures_slow_an_account_down_but_never_lock_it(make_meihao):
    mh = await make_meihao(login_max_failures_per_account=3, login_delay_seconds=2, login_max_delay_seconds=8)
    mh.clock = FakeClock(T0)
    await Factories(mh).staff("street_admin", username="zhao")
    async with make_client(mh, ANONYMOUS) as client:
        for _ in range(3):  # the first three failures cost nothing
            assert (await client.post("/api/auth/login", json=WRONG)).status_code == 401
        # then each try waits a delay after the last failure, doubling up to the most: 2, 4, 8, 8 seconds
        for delay in (2, 4, 8, 8):
            early = await client.post("/api/auth/login", json=RIGHT)
            assert early.status_code == 429
            assert early.headers["retry-after"] == str(delay)
            assert early.json()["detail"] == f"too many failed logins for this account; try again in {delay} seconds"
            mh.clock.advance(seconds=delay - 1)
            assert (await client.post("/api/auth/login", json=WRONG)).status_code == 429  # one second short
            mh.clock.advance(seconds=1)
            assert (await client.post("/api/auth/login", json=WRONG)).status_code == 401
        assert await LoginAttempt.count() == 7  # tries refused during a delay are not counted
        mh.clock.advance(seconds=8)
        # the right password works once the delay has passed, and the account starts again from nothing
        assert (await client.post("/api/auth/login", json=RIGHT)).status_code == 200
        assert (await client.post("/api/auth/login", json=WRONG)).status_code == 401
        assert await LoginAttempt.count() == 1


async def test_old_failures_leave_the_window(make_meihao):
    mh = await make_meihao(login_max_failures_per_account=1, login_window_minutes=15)
    mh.clock = FakeClock(T0)
    await Factories(mh).staff("street_admin", username="zhao")
    async with make_client(mh, ANONYMOUS) as client:
        assert (await client.post("/api/auth/login", json=WRONG)).status_code == 401
        assert (await client.post("/api/auth/login", json=RIGHT)).headers["retry-after"] == "2"
        mh.clock.advance(minutes=15)  # the failure is 15 minutes old: out of the window
        assert (await client.post("/api/auth/login", json=RIGHT)).status_code == 200


async def test_failed_logins_are_limited_per_address(make_meihao):
    mh = await make_meihao(login_max_failures_per_address=4, login_max_failures_per_account=100)
    mh.clock = FakeClock(T0)
    await Factories(mh).staff("street_admin", username="sun")
    async with make_client(mh, ANONYMOUS) as client:
        for n in range(4):
            assert (await client.post("/api/auth/login", json={"username": f"guess{n}", "password": "wrong-wrong"})).status_code == 401
            mh.clock.advance(minutes=1)
        blocked = await client.post("/api/auth/login", json={"username": "sun", "password": "correct horse battery"})
        assert blocked.status_code == 429
        # the oldest failure leaves the 15-minute window 11 minutes from now
        assert blocked.headers["retry-after"] == "660"
        assert blocked.json()["detail"] == "too many failed logins from your address; try again in 660 seconds"
        mh.clock.advance(seconds=659)
        assert (await client.post("/api/auth/login", json={"username": "sun", "password": "correct horse battery"})).status_code == 429
        mh.clock.advance(seconds=1)
        assert (await client.post("/api/auth/login", json={"username": "sun", "password": "correct horse battery"})).status_code == 200


async def test_login_body_is_validated(meihao_client):
    response = await meihao_client.post("/api/auth/login", json={"username": "x"})
    assert response.status_code == 400
    assert "password" in response.text
