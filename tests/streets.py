"""A street for delivery tests: residents of one community reached through a real webhook receiver, one reminder due now."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

from meihao.register.communities import get_community
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.policy import set_quiet_hours
from meihao.reminders.recipients import set_contact
from meihao.runtime import Meihao
from meihao.testing import Factories
from tests.receivers import ALLOW_LOCAL, HttpReceiver


async def webhook_street(
    mh: Meihao,
    receiver: HttpReceiver,
    residents: int,
    *,
    channels: tuple[str, ...] = ("webhook",),
    offsets: tuple[int, ...] = (1440,),
    per_household: int = 4,
) -> None:
    """``residents`` residents of ``hepan``, each with a webhook address at ``receiver``, and one
    activity six hours ahead for everyone whose reminders (``offsets`` minutes before it, a day by
    default) are all due at once, on ``channels``. Real time is used: quiet hours are off."""
    factories = Factories(mh)
    place = await factories.place("hepan")
    await set_quiet_hours((await get_community("hepan"))["id"], "00:00", "00:00")
    household = None
    for i in range(residents):
        if i % per_household == 0:
            household = await factories.household(place["building_id"])
        born = date(1940 + i % 50, 1 + i % 12, 1 + i % 28)  # ID-card numbers stay unique past a few hundred
        resident = await factories.resident(household["id"], name=f"居民{i:04d}", birth_date=born)
        with _allowing_local_receivers():
            await set_contact(mh, "resident", resident["id"], "webhook", f"{receiver.url}/hook")
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=6)
    await create_activity(
        mh,
        "hepan",
        ActivityIn(
            scene="health",
            title="健康体检",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            audience={"everyone": True},
            reminder_offsets=list(offsets),
            channels=list(channels),
        ),
    )


@contextmanager
def _allowing_local_receivers() -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in ALLOW_LOCAL}
    os.environ.update(ALLOW_LOCAL)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
