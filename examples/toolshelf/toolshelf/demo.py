"""Demo data: a shelf of tools and a few loans (``meihao demo --enable toolshelf@<slug>``)."""

from __future__ import annotations

import random

from meihao import CommunityInfo, Meihao, community_today, working_calendar
from meihao.tables import Resident

from .tables import Loan, Tool

TOOLS = ("电钻", "人字梯", "缝纫机", "管钳", "打气筒", "电烙铁", "园艺剪", "推车")


async def fill(mh: Meihao, community: CommunityInfo, seed: int) -> None:
    rng = random.Random(seed)
    tools = await Tool.insert(*[Tool(community=community.id, name=name, active=True) for name in TOOLS]).returning(Tool.id)
    borrowers = [r["id"] for r in await Resident.select(Resident.id).where(Resident.community == community.id).order_by(Resident.id).limit(40)]
    if not borrowers:
        return
    calendar = await working_calendar(mh, community)
    today = community_today(mh, community)
    loans = [
        Loan(
            tool=tool["id"],
            resident=rng.choice(borrowers),
            lent_at=mh.clock.now(),
            due_on=calendar.add_working_days(today, rng.randint(1, 5)),
            calendar_version=calendar.version,
        )
        for tool in rng.sample(tools, 3)
    ]
    await Loan.insert(*loans)
