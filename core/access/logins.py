"""Logging in and out: passwords, bearer tokens, and the principal a token stands for.

Every request except the public ones carries ``Authorization: Bearer <token>`` (a token
from ``POST /api/auth/login``). We chose bearer tokens over session cookies: the API's
clients are scripts, apps and the admin pages alike, and with no cookie there is no
cross-site request to forge. Only a SHA-256 of each token is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from piccolo.apps.user.tables import BaseUser

from meihao.access.audit import audit
from meihao.access.principals import Principal, _principal
from meihao.access.tables import LoginAttempt, Staff, StaffAssignment, StaffToken
from meihao.errors import MeihaoError
from meihao.register.tables import Grid

if TYPE_CHECKING:
    from meihao.runtime import Meihao


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def verify_password(stored: str, password: str) -> bool:
    """Check a password against Piccolo's stored PBKDF2 hash, off the event loop (it is slow on purpose)."""
    try:
        _, iterations, salt, _ = BaseUser.split_stored_password(stored)
        candidate = await asyncio.to_thread(BaseUser.hash_password, password, salt, int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, stored)


class TooManyAttempts(MeihaoError):
    """429: wait ``retry_after`` seconds (sent as ``Retry-After``)."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def account_delay(mh: Meihao, failures: int) -> float:
    """Seconds an account waits after its last failure: none for the first
    ``login_max_failures_per_account``, then doubling from ``login_delay_seconds`` up to the most."""
    s = mh.settings
    beyond = failures - s.login_max_failures_per_account
    if beyond < 0:
        return 0.0
    return min(s.login_delay_seconds * 2 ** min(beyond, 64), s.login_max_delay_seconds)


async def check_login_limits(mh: Meihao, username: str, address: str, now: datetime) -> None:
    """TooManyAttempts when the account's delay has not passed or the address used up its failures.

    An account is never locked: a delay that grows with its failures slows guessing, and the
    right password works as soon as the delay has passed. A client address with too many
    failures (on any account) waits until the oldest of them leaves the window.
    """
    s = mh.settings
    since = now - timedelta(minutes=s.login_window_minutes)
    by_account = await LoginAttempt.select(LoginAttempt.at).where(LoginAttempt.username == username, LoginAttempt.at > since).order_by(
        LoginAttempt.at, ascending=False
    )
    if by_account:
        ready = by_account[0]["at"] + timedelta(seconds=account_delay(mh, len(by_account)))
        if ready > now:
            wait = math.ceil((ready - now).total_seconds())
            raise TooManyAttempts(f"too many failed logins for this account; try again in {wait} seconds", retry_after=wait)
    by_address = await LoginAttempt.select(LoginAttempt.at).where(LoginAttempt.address == address, LoginAttempt.at > since).order_by(
        LoginAttempt.at
    ).limit(s.login_max_failures_per_address)
    if len(by_address) >= s.login_max_failures_per_address:
        wait = max(1, math.ceil((by_address[0]["at"] + timedelta(minutes=s.login_window_minutes) - now).total_seconds()))
        raise TooManyAttempts(f"too many failed logins from your address; try again in {wait} seconds", retry_after=wait)


async def login(mh: Meihao, username: str, password: str, address: str) -> dict[str, Any]:
    """Check the password and issue a token; failures slow the account down and limit the address."""
    s = mh.settings
    now = mh.clock.now()
    await check_login_limits(mh, username, address, now)
    user = await BaseUser.select(BaseUser.id, BaseUser.password, BaseUser.active).where(BaseUser.username == username).first()
    ok = False
    if user is None:
        await asyncio.to_thread(BaseUser.hash_password, password)  # same cost either way: no account probing by timing
    else:
        ok = await verify_password(user["password"], password) and user["active"]
    staff = await Staff.select().where(Staff.user == user["id"], Staff.active.eq(True)).first() if ok and user else None
    if staff is None:
        await LoginAttempt.insert(LoginAttempt(username=username[:100], address=address[:64], at=now))
        raise InvalidCredentials("username or password is wrong")
    await LoginAttempt.delete().where(LoginAttempt.username == username)  # its delay starts again from nothing
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=s.token_hours)
    await StaffToken.insert(StaffToken(token_hash=_token_hash(token), staff=staff["id"], expires_at=expires))
    await audit(Principal(staff_id=staff["id"], name=staff["name"], address=address), "auth.login", "staff", staff["id"])
    return {"token": token, "expires_at": expires, "staff_id": staff["id"], "name": staff["name"]}


class InvalidCredentials(MeihaoError):
    status_code = 401


async def change_password(mh: Meihao, principal: Principal, current: str, new: str, keep_token: str) -> None:
    """The caller's own password: the current one must match; every other session of theirs ends; audited."""
    from meihao.errors import InvalidInput

    staff = await Staff.select(Staff.id, Staff.user).where(Staff.id == principal.staff_id).first()
    user = await BaseUser.select(BaseUser.id, BaseUser.password).where(BaseUser.id == staff["user"]).first() if staff else None
    if user is None or not await verify_password(user["password"], current):
        raise InvalidInput("current_password: is not your current password", field="current_password")
    if len(new) < mh.settings.password_min_length:
        raise InvalidInput(f"new_password: must be at least {mh.settings.password_min_length} characters", field="new_password")
    if new == current:
        raise InvalidInput("new_password: must differ from the current one", field="new_password")
    hashed = await asyncio.to_thread(BaseUser.hash_password, new)
    async with mh.db.transaction():
        await BaseUser.update({BaseUser.password: hashed}).where(BaseUser.id == user["id"])
        await StaffToken.update({StaffToken.revoked: True}).where(
            StaffToken.staff == principal.staff_id, StaffToken.token_hash != _token_hash(keep_token)
        )
        await audit(principal, "auth.password", "staff", principal.staff_id)


async def issue_token(mh: Meihao, staff_id: int) -> str:
    """A token for a staff member without a password check (CLI, tests)."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=mh.settings.token_hours)
    await StaffToken.insert(StaffToken(token_hash=_token_hash(token), staff=staff_id, expires_at=expires))
    return token


async def logout(token: str) -> None:
    await StaffToken.update({StaffToken.revoked: True}).where(StaffToken.token_hash == _token_hash(token))


def _principal_query() -> str:
    """The token, its staff member and their assignments in one statement: one row per assignment (or one with no role)."""
    return f"""
        SELECT s.id AS id, s.name AS name, t.expires_at AS expires_at, a.role AS role, a.community AS community,
               a.grid AS grid, a.department AS department, g.community AS grid_community
        FROM {StaffToken._meta.tablename} AS t
        JOIN {Staff._meta.tablename} AS s ON s.id = t.staff
        LEFT JOIN {StaffAssignment._meta.tablename} AS a ON a.staff = s.id
        LEFT JOIN {Grid._meta.tablename} AS g ON g.id = a.grid
        WHERE t.token_hash = {{}} AND t.revoked = {{}} AND s.active = {{}}
    """


async def principal_from_token(mh: Meihao, token: str, address: str) -> Principal | None:
    """The caller holding ``token``: a token neither revoked nor expired, of an active staff member; else None.

    This runs on every request, so it is one plain SQL statement: Piccolo spends several times
    longer building a select than SQLite takes to run it, and this used to be three or four.
    """
    rows = await StaffToken.raw(_principal_query(), _token_hash(token), False, True)
    if not rows or rows[0]["expires_at"] <= datetime.now(timezone.utc):
        return None
    return _principal(mh, rows[0], [row for row in rows if row["role"] is not None], address)
