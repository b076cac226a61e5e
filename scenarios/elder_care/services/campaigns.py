"""加密探访: extra-visit campaigns for extreme weather and holidays.

Staff start a campaign for a date range and target groups (高风险, 独居, 80+ …; none named: the setting
``campaign_groups``). Every active elder in the starter's scope who is in one of the groups when it starts is a target:
due for an extra visit or contact (home, phone or video) between ``starts_on`` and ``ends_on``, inclusive, on the
community's dates. The first visit recorded within the range counts (``visits.record_visit`` calls :func:`mark_visit`,
in its transaction; a visit already recorded in the range when the campaign starts counts too). The visitors are told
when the campaign starts (each the elders they are responsible for; an elder without a visitor is the grid worker's)
and reminded ``campaign_reminder_days_before_end`` days before the last day of the elders not visited yet (the daily
``elder_care.campaign_check``). The plan (next due date, overdue alerts) is not changed: the campaign is an extra visit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from meihao import (
    CommunityInfo,
    InvalidInput,
    NotFound,
    NoticeIn,
    Page,
    Principal,
    audit,
    community_today,
    notify,
    paginate,
    scope_where,
    transaction,
    zh_date,
)

from ..schemas import CAMPAIGN_GROUPS, CAMPAIGN_REASONS, CampaignIn, CampaignOut, CampaignProgressOut, ElderCareSettings
from ..tables import Campaign, CampaignElder, Elder, Visit
from .common import SCENARIO, _elder_select, age_on, settings_of, special_difficulty


def in_group(row: dict[str, Any], group: str, settings: ElderCareSettings, day: date) -> bool:
    """Whether an elder (a register row with ``birth_date``) is in a target group on ``day``."""
    if group == "special_difficulty":
        return special_difficulty(row, settings)
    if group == "high_risk":
        return row["care_level"] == "high_risk"
    if group == "over_80":
        return age_on(row["birth_date"], day) >= settings.high_risk_age
    if group == "self_care_loss":
        return row["disability"] in ("partial", "full")
    return bool(row[group])  # living_alone, empty_nest, left_behind


def _bounds(community: CommunityInfo, starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """The range's first and after-last instants in UTC (the community's midnights)."""
    start = datetime.combine(starts_on, time(0), community.tz).astimezone(timezone.utc)
    end = datetime.combine(ends_on + timedelta(days=1), time(0), community.tz).astimezone(timezone.utc)
    return start, end


def _groups(text: str) -> list[str]:
    return [g for g in text.split(",") if g]


async def start_campaign(mh: Any, principal: Principal, community: CommunityInfo, data: CampaignIn) -> CampaignOut:
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    groups = list(dict.fromkeys(data.groups or settings.campaign_groups))
    unknown = [g for g in groups if g not in CAMPAIGN_GROUPS]
    if unknown:
        raise InvalidInput(f"groups: {unknown[0]!r} is not one of {', '.join(CAMPAIGN_GROUPS)}", field="groups")
    if data.ends_on < data.starts_on:
        raise InvalidInput("ends_on: not before starts_on", field="ends_on")
    if data.ends_on < today:
        raise InvalidInput("ends_on: the range is over already", field="ends_on")
    days = (data.ends_on - data.starts_on).days + 1
    if days > settings.campaign_max_days:
        raise InvalidInput(f"ends_on: a campaign lasts at most {settings.campaign_max_days} days (setting campaign_max_days), "
                           f"not {days}", field="ends_on")
    elders = await _elder_select().where(*scope_where(principal, community, Elder.resident), Elder.active.eq(True)).order_by(Elder.id)
    targets = [r for r in elders if any(in_group(r, g, settings, max(data.starts_on, today)) for g in groups)]
    if not targets:
        raise InvalidInput("groups: no elder on the register you reach is in these groups", field="groups")
    async with transaction(mh):
        campaign = Campaign(community=community.id, title=data.title.strip(), reason=data.reason, starts_on=data.starts_on,
                            ends_on=data.ends_on, groups="," + ",".join(groups) + ",", status="active", created_by=principal.staff_id,
                            created_at=mh.clock.now())
        await campaign.save()
        await CampaignElder.insert(*[CampaignElder(campaign=campaign.id, elder=r["id"]) for r in targets])
        start, end = _bounds(community, data.starts_on, data.ends_on)
        earlier = await Visit.select(Visit.id, Visit.elder, Visit.visited_at).where(
            Visit.elder.is_in([r["id"] for r in targets]), Visit.visited_at >= start, Visit.visited_at < end,
        ).order_by(Visit.visited_at).order_by(Visit.id)
        first: dict[int, dict[str, Any]] = {}
        for v in earlier:
            first.setdefault(v["elder"], v)
        for elder_id, v in first.items():
            await CampaignElder.update({CampaignElder.visit: v["id"], CampaignElder.visited_on: v["visited_at"].astimezone(community.tz).date()}
                                       ).where(CampaignElder.campaign == campaign.id, CampaignElder.elder == elder_id)
        await audit(principal, "elder_care.campaign.start", "campaign", campaign.id, community_id=community.id,
                    detail={"starts_on": data.starts_on.isoformat(), "ends_on": data.ends_on.isoformat(), "groups": groups,
                            "elders": len(targets)})
        if data.starts_on <= today:
            await _tell_start(mh, community, settings, campaign.id)
    return await get_campaign(mh, principal, community, campaign.id)


async def mark_visit(mh: Any, community: CommunityInfo, elder_id: int, visit_id: int, visited_on: date) -> None:
    """A visit or contact on ``visited_on`` counts for the elder's running campaigns whose range holds it (the first one
    only). Called in the transaction that records the visit."""
    running = await Campaign.select(Campaign.id).where(
        Campaign.community == community.id, Campaign.status == "active", Campaign.starts_on <= visited_on, Campaign.ends_on >= visited_on)
    if not running:
        return
    await CampaignElder.update({CampaignElder.visit: visit_id, CampaignElder.visited_on: visited_on}).where(
        CampaignElder.campaign.is_in([c["id"] for c in running]), CampaignElder.elder == elder_id, CampaignElder.visit.is_null())


async def cancel_campaign(mh: Any, principal: Principal, community: CommunityInfo, campaign_id: int) -> CampaignOut:
    """Cancel a campaign (no more notices; its progress stays). Cancelling a cancelled one changes nothing."""
    row = await _campaign_row(community, campaign_id)
    if row["status"] != "active":
        return await get_campaign(mh, principal, community, campaign_id)
    async with transaction(mh):
        await Campaign.update({Campaign.status: "cancelled"}).where(Campaign.id == campaign_id)
        await audit(principal, "elder_care.campaign.cancel", "campaign", campaign_id, community_id=community.id)
    return await get_campaign(mh, principal, community, campaign_id)


async def _campaign_row(community: CommunityInfo, campaign_id: int) -> dict[str, Any]:
    """A campaign of the community (anyone reading the register sees it; its elders are counted in their own scope)."""
    row = await Campaign.select().where(Campaign.id == campaign_id, Campaign.community == community.id).first()
    if row is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return row


def _rate(visited: int, elders: int) -> float | None:
    return round(visited * 100 / elders, 1) if elders else None


def _out(row: dict[str, Any], elders: int, visited: int, progress: list[CampaignProgressOut] | None = None) -> CampaignOut:
    return CampaignOut(id=row["id"], title=row["title"], reason=row["reason"], starts_on=row["starts_on"], ends_on=row["ends_on"],
                       groups=_groups(row["groups"]), status=row["status"], elders=elders, visited=visited, rate=_rate(visited, elders),
                       created_at=row["created_at"], progress=progress)


def _targets(principal: Principal, community: CommunityInfo, campaign_id: int) -> Any:
    return CampaignElder.select(
        CampaignElder.elder, CampaignElder.elder.resident.name.as_alias("name"), CampaignElder.elder.resident.grid.as_alias("grid_id"),
        CampaignElder.elder.care_level.as_alias("care_level"), CampaignElder.visited_on, CampaignElder.visit,
    ).where(CampaignElder.campaign == campaign_id, *scope_where(principal, community, CampaignElder.elder.resident))


async def get_campaign(mh: Any, principal: Principal, community: CommunityInfo, campaign_id: int) -> CampaignOut:
    """One campaign with its progress in the caller's scope: not visited yet first, then by name."""
    row = await _campaign_row(community, campaign_id)
    rows = await _targets(principal, community, campaign_id).order_by(CampaignElder.elder)
    progress = [CampaignProgressOut(elder_id=r["elder"], name=r["name"], grid_id=r["grid_id"], care_level=r["care_level"],
                                    visited_on=r["visited_on"], visit_id=r["visit"]) for r in rows]
    progress.sort(key=lambda p: (p.visited_on is not None, p.visited_on or date.min, p.elder_id))
    return _out(row, len(progress), sum(1 for p in progress if p.visited_on is not None), progress)


async def _counts(principal: Principal, community: CommunityInfo, campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = await CampaignElder.select(CampaignElder.campaign, CampaignElder.visit).where(
        CampaignElder.campaign.is_in(campaign_ids or [0]), *scope_where(principal, community, CampaignElder.elder.resident))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        counts[r["campaign"]][0] += 1
        counts[r["campaign"]][1] += r["visit"] is not None
    return {k: (v[0], v[1]) for k, v in counts.items()}


async def list_campaigns(
    mh: Any, principal: Principal, community: CommunityInfo, *, running: bool | None = None, page: int = 1, page_size: int | None = None,
) -> Page[CampaignOut]:
    """The community's campaigns, latest start first, each counted in the caller's scope; ``running``: active and today
    within the range (True) or not (False)."""
    today = community_today(mh, community)
    query = Campaign.select().where(Campaign.community == community.id)
    is_running = (Campaign.status == "active") & (Campaign.starts_on <= today) & (Campaign.ends_on >= today)
    if running is True:
        query = query.where(is_running)
    elif running is False:
        query = query.where((Campaign.status != "active") | (Campaign.starts_on > today) | (Campaign.ends_on < today))
    result = await paginate(mh, query.order_by(Campaign.starts_on, ascending=False).order_by(Campaign.id, ascending=False),
                            page=page, page_size=page_size)
    counts = await _counts(principal, community, [r["id"] for r in result.rows])
    return result.page_of([_out(r, *counts.get(r["id"], (0, 0))) for r in result.rows])


async def running_figures(mh: Any, principal: Principal, community: CommunityInfo) -> tuple[int, int] | None:
    """Target elders of the campaigns running today in the caller's scope, and of them those visited; None: none runs."""
    today = community_today(mh, community)
    ids = [r["id"] for r in await Campaign.select(Campaign.id).where(
        Campaign.community == community.id, Campaign.status == "active", Campaign.starts_on <= today, Campaign.ends_on >= today)]
    if not ids:
        return None
    counts = (await _counts(principal, community, ids)).values()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


# -- notices ---------------------------------------------------------------------------------------


async def _recipients(rows: list[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """The elders per person to tell: their visitor (staff or a volunteer), else the grid's full-time grid worker(s)."""
    from .alerts import _grid_staff

    by: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["visitor_staff"]:
            by[("staff", r["visitor_staff"])].append(r)
        elif r["visitor_resident"]:
            by[("resident", r["visitor_resident"])].append(r)
        else:
            for staff in await _grid_staff(r["grid_id"], "grid_worker"):
                by[("staff", staff)].append(r)
    return by


def _names(rows: list[dict[str, Any]]) -> str:
    return "、".join(r["name"] for r in rows)


async def _tell(mh: Any, community: CommunityInfo, settings: ElderCareSettings, campaign: dict[str, Any], rows: list[dict[str, Any]],
                kind: str) -> int:
    """One notice per person to tell, naming their elders; the number of people told."""
    reason = CAMPAIGN_REASONS[campaign["reason"]][0]
    span = f"{zh_date(campaign['starts_on'])}至{zh_date(campaign['ends_on'])}"
    told = 0
    for (who, person), elders in sorted((await _recipients(rows)).items()):
        if kind == "start":
            title, body = "加密探访通知", (
                f"加密探访（{reason}）：{campaign['title']}。请于{span}期间上门、电话或视频联系您负责的"
                f"{len(elders)}位老人：{_names(elders)}，并记录探访情况。")
        else:
            title, body = "加密探访提醒", (
                f"加密探访（{reason}）：{campaign['title']}将于{zh_date(campaign['ends_on'])}结束，您负责的"
                f"{len(elders)}位老人尚未探访：{_names(elders)}。请尽快联系，并记录探访情况。")
        await notify(mh, community.slug, NoticeIn(
            scene=SCENARIO, key=f"elder_care.campaign:{campaign['id']}:{kind}:{who}:{person}", title=title, body=body,
            staff=[person] if who == "staff" else [], residents=[person] if who == "resident" else [],
            channels=list(settings.channels)), scenario=SCENARIO)
        told += 1
    return told


async def _target_rows(campaign_id: int, *, unvisited: bool) -> list[dict[str, Any]]:
    ids = CampaignElder.select(CampaignElder.elder).where(CampaignElder.campaign == campaign_id)
    if unvisited:
        ids = ids.where(CampaignElder.visit.is_null())
    elder_ids = [r["elder"] for r in await ids]
    return await _elder_select().where(Elder.id.is_in(elder_ids or [0]), Elder.active.eq(True)).order_by(Elder.id)


async def _tell_start(mh: Any, community: CommunityInfo, settings: ElderCareSettings, campaign_id: int) -> int:
    campaign = await Campaign.select().where(Campaign.id == campaign_id).first()
    told = await _tell(mh, community, settings, campaign, await _target_rows(campaign_id, unvisited=True), "start")
    await Campaign.update({Campaign.start_notified: True}).where(Campaign.id == campaign_id)
    return told


async def check_campaigns(mh: Any, community: CommunityInfo) -> dict[str, int]:
    """The daily check: a campaign starting today tells the visitors (once); ``campaign_reminder_days_before_end`` days
    before its last day, the visitors of elders not visited yet are reminded (once). Returns the people told."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    told = {"started": 0, "reminded": 0}
    running = await Campaign.select().where(
        Campaign.community == community.id, Campaign.status == "active", Campaign.starts_on <= today, Campaign.ends_on >= today,
    ).order_by(Campaign.id)
    for campaign in running:
        async with transaction(mh, lock=("elder_care.campaign", str(campaign["id"]))):
            current = await Campaign.select(Campaign.start_notified, Campaign.end_reminded).where(Campaign.id == campaign["id"]).first()
            if not current["start_notified"]:
                told["started"] += await _tell_start(mh, community, settings, campaign["id"])
            if not current["end_reminded"] and today >= campaign["ends_on"] - timedelta(days=settings.campaign_reminder_days_before_end):
                rows = await _target_rows(campaign["id"], unvisited=True)
                told["reminded"] += await _tell(mh, community, settings, campaign, rows, "end")
                await Campaign.update({Campaign.end_reminded: True}).where(Campaign.id == campaign["id"])
    return told
