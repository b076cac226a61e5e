"""The elders' occasions: birthday greetings and the community's yearly Double Ninth (重阳) activity."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from meihao import (
    ActivityIn,
    ActivityPatch,
    CommunityInfo,
    NoticeIn,
    cancel_activity,
    community_today,
    create_activity,
    notify,
    update_activity,
)
from meihao.tables import Resident

from ..schemas import ElderCareSettings
from ..tables import CommunityLink, Elder
from .common import SCENARIO, _elder_select, settings_of, years_before

# -- birthdays ---------------------------------------------------------------------------


async def birthday_greetings(mh: Any, community: CommunityInfo) -> int:
    """Greet each registered elder on their birthday (and tell their visitor); once a year each."""
    settings = await settings_of(mh, community)
    if not settings.birthday_greetings:
        return 0
    today = community_today(mh, community)
    # Birth dates that have a birthday today, as a list: one indexed query, the same on every database.
    days = [years_before(today, years) for years in range(settings.elder_age, 121)]
    if (today.month, today.day) == (2, 28):
        for years in range(settings.elder_age, 121):
            try:
                days.append(date(today.year - years, 2, 29))
            except ValueError:
                pass
    rows = await _elder_select().where(
        Elder.resident.is_in(Resident.select(Resident.id).where(Resident.community == community.id, Resident.birth_date.is_in(days))),
        Elder.active.eq(True),
    )
    sent = 0
    for row in rows:
        age = today.year - row["birth_date"].year
        text = settings.birthday_message.replace("{name}", row["name"]).replace("{community}", community.brand_name or community.name)
        greeting = await notify(
            mh, community.slug,
            NoticeIn(scene=SCENARIO, key=f"elder_care.birthday:{row['id']}:{today.year}", title="生日祝福",
                     body=text, residents=[row["resident"]], channels=list(settings.channels)),
        )
        staff = [row["visitor_staff"]] if row["visitor_staff"] else []
        residents = [row["visitor_resident"]] if row["visitor_resident"] else []
        if staff or residents:
            await notify(
                mh, community.slug,
                NoticeIn(scene=SCENARIO, key=f"elder_care.birthday-visitor:{row['id']}:{today.year}", title=f"生日提醒（老人档案 {row['id']}）",
                         body=f"今天是{row['name']}的{age}岁生日，请打个电话或上门送上祝福。", staff=staff, residents=residents,
                         channels=list(settings.channels)),
            )
        sent += greeting is not None
    return sent


# -- the Double Ninth ----------------------------------------------------------------------


async def ensure_double_ninth(mh: Any, community: CommunityInfo, settings: ElderCareSettings) -> int | None:
    """The community's yearly 重阳 (lunar 9/9) activity for its elders: created, updated to the settings, or cancelled."""
    link = await CommunityLink.select().where(CommunityLink.community == community.id).first()
    current = link["double_ninth_activity"] if link else None
    if not settings.double_ninth:
        if current:
            await cancel_activity(mh, current)
            await CommunityLink.update({CommunityLink.double_ninth_activity: None}).where(CommunityLink.community == community.id)
        return None
    hours, minutes = (int(x) for x in settings.double_ninth_start.split(":"))
    # The first occurrence is the next lunar 9/9 at that time; the kernel finds it from any start.
    start = datetime.combine(community_today(mh, community), datetime.min.time()).replace(hour=hours, minute=minutes)
    fields = dict(
        title=settings.double_ninth_title,
        venue=settings.double_ninth_venue,
        description="重阳节（农历九月初九）敬老活动：慰问社区老人，送上节日祝福。",
        starts_at=start,
        ends_at=start + timedelta(minutes=settings.double_ninth_minutes),
        lunar_month=9,
        lunar_day=9,
        audience={"named": ["elder_care.elders"]},
        reminder_offsets=list(settings.double_ninth_reminder_offsets),
        channels=list(settings.channels),
    )
    if current:
        await update_activity(mh, current, ActivityPatch(**fields))
        return current
    activity = await create_activity(mh, community.slug, ActivityIn(scene=SCENARIO, source="elder_care.double_ninth", **fields))
    if link:
        await CommunityLink.update({CommunityLink.double_ninth_activity: activity["id"]}).where(CommunityLink.community == community.id)
    else:
        await CommunityLink.insert(CommunityLink(community=community.id, double_ninth_activity=activity["id"]))
    return activity["id"]


async def tear_down(mh: Any, community: CommunityInfo) -> None:
    """Switched off: the Double Ninth activity and undelivered notices go; the register and visits stay."""
    link = await CommunityLink.select().where(CommunityLink.community == community.id).first()
    if link and link["double_ninth_activity"]:
        await cancel_activity(mh, link["double_ninth_activity"])
        await CommunityLink.update({CommunityLink.double_ninth_activity: None}).where(CommunityLink.community == community.id)
