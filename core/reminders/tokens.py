"""Secret links for residents and staff that need no login (unsubscribe, calendar feed): unguessable and revocable.

A token names the recipient, the purpose and a generation, signed with a key derived from
``MEIHAO_DATA_KEY``. Nothing secret is stored: revoking bumps the stored generation, and
every token of an older generation stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from meihao.errors import InvalidInput, NotFound
from meihao.reminders.tables import RecipientToken

if TYPE_CHECKING:
    from meihao.runtime import Meihao

PURPOSES = ("unsubscribe", "calendar", "inbox")
KINDS = ("resident", "staff")


def _key(mh: Meihao, purpose: str) -> bytes:
    return hashlib.sha256(b"meihao recipient link\x00" + purpose.encode() + b"\x00" + mh.settings.data_key.encode()).digest()


def _sign(mh: Meihao, purpose: str, body: str) -> str:
    digest = hmac.new(_key(mh, purpose), body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def _generation(kind: str, recipient_id: int, purpose: str) -> int:
    row = await RecipientToken.select(RecipientToken.generation).where(
        RecipientToken.recipient_kind == kind, RecipientToken.recipient_id == recipient_id, RecipientToken.purpose == purpose
    ).first()
    return row["generation"] if row else 1


def _check(kind: str, purpose: str) -> None:
    if kind not in KINDS or purpose not in PURPOSES:
        raise InvalidInput(f"no {purpose!r} link for a {kind!r}")


async def make_token(mh: Meihao, kind: str, recipient_id: int, purpose: str) -> str:
    _check(kind, purpose)
    body = f"{kind[0]}{recipient_id}.{await _generation(kind, recipient_id, purpose)}"
    return f"{body}.{_sign(mh, purpose, body)}"


def token_for_generation(mh: Meihao, kind: str, recipient_id: int, purpose: str, generation: int) -> str:
    """The token without a database read, for set-based rendering when the generation is known."""
    body = f"{kind[0]}{recipient_id}.{generation}"
    return f"{body}.{_sign(mh, purpose, body)}"


async def resolve_token(mh: Meihao, token: str, purpose: str) -> tuple[str, int]:
    """The (kind, id) a valid, current token names; NotFound for anything else (no hint why)."""
    try:
        prefix_id, generation, signature = token.split(".")
        kind = {"r": "resident", "s": "staff"}[prefix_id[0]]
        recipient_id = int(prefix_id[1:])
        body = f"{prefix_id}.{generation}"
    except (ValueError, KeyError, IndexError) as err:
        raise NotFound("link not found") from err
    if not hmac.compare_digest(signature, _sign(mh, purpose, body)):
        raise NotFound("link not found")
    if int(generation) != await _generation(kind, recipient_id, purpose):
        raise NotFound("link not found")
    return kind, recipient_id


async def revoke(mh: Meihao, kind: str, recipient_id: int, purpose: str) -> str:
    """Invalidate every link of this purpose for the recipient; returns the new one."""
    _check(kind, purpose)
    current = await _generation(kind, recipient_id, purpose)
    exists = await RecipientToken.exists().where(
        RecipientToken.recipient_kind == kind, RecipientToken.recipient_id == recipient_id, RecipientToken.purpose == purpose
    )
    if exists:
        await RecipientToken.update({RecipientToken.generation: current + 1}).where(
            RecipientToken.recipient_kind == kind, RecipientToken.recipient_id == recipient_id, RecipientToken.purpose == purpose
        )
    else:
        await RecipientToken.insert(RecipientToken(recipient_kind=kind, recipient_id=recipient_id, purpose=purpose, generation=current + 1))
    return await make_token(mh, kind, recipient_id, purpose)
