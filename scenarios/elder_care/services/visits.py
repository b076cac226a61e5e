"""Visits and contacts with an elder: recording one (it restarts the plan's interval) and listing them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from meihao import CommunityInfo, HandOver, InvalidInput, Principal, audit, can_hand_over, community_today, hand_over

from ..schemas import CHECKLIST, NEEDS, Findings, VisitIn, VisitOut
from ..tables import Elder, Visit
from . import campaigns
from .alerts import _resolve_alerts
from .common import _check_visitor, _elder_row, _visitor, plan_state, settings_of, years_before
from .follow_ups import open_follow_up


def _aware(value: datetime | None, tz: ZoneInfo, default: datetime) -> datetime:
    if value is None:
        return default
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc)


def _check_findings(findings: Findings) -> int:
    unknown = [n for n in findings.needs_list if n not in NEEDS]
    if unknown:
        raise InvalidInput(f"findings.needs_list: {unknown[0]!r} is not one of {', '.join(NEEDS)}", field="findings.needs_list")
    for area in CHECKLIST:
        if len(getattr(findings, area).note) > 1000:
            raise InvalidInput(f"findings.{area}.note: at most 1000 characters", field=f"findings.{area}.note")
    return sum(1 for area in CHECKLIST if getattr(findings, area).status == "concern")


async def record_visit(mh: Any, principal: Principal, community: CommunityInfo, elder_id: int, data: VisitIn) -> VisitOut:
    """Record a visit or contact: it restarts the elder's interval and ends their open overdue alerts. A visit that asks
    for a follow-up opens a kernel work item due in ``follow_up_working_days`` working days, and the next visit is then
    due within ``follow_up_revisit_days`` days at the latest (sooner than the interval)."""
    settings = await settings_of(mh, community)
    row = await _elder_row(principal, community, elder_id)
    if not row["active"]:
        raise InvalidInput("elder_id: the elder is no longer on the register", field="elder_id")
    now = mh.clock.now()
    visited_at = _aware(data.visited_at, community.tz, now)
    if visited_at > now + timedelta(minutes=5):
        raise InvalidInput("visited_at: must not be in the future", field="visited_at")
    visited_on = visited_at.astimezone(community.tz).date()
    if visited_on < years_before(community_today(mh, community), 1):
        raise InvalidInput("visited_at: at most a year ago", field="visited_at")
    staff_id, resident_id = data.visitor_staff_id, data.visitor_resident_id
    if staff_id is None and resident_id is None:
        staff_id = principal.staff_id  # the caller made the visit
    elif staff_id is not None and staff_id != principal.staff_id or resident_id is not None:
        await _check_visitor(principal, community, staff_id, resident_id)
    concerns = _check_findings(data.findings)
    if len(data.follow_up_note) > 2000:
        raise InvalidInput("follow_up_note: at most 2000 characters", field="follow_up_note")
    if data.follow_up_needed and not data.follow_up_note.strip():
        raise InvalidInput("follow_up_note: say what to follow up", field="follow_up_note")
    visit = Visit(
        elder=elder_id,
        visitor_staff=staff_id,
        visitor_resident=resident_id,
        visited_at=visited_at,
        method=data.method,
        findings=msgspec.json.encode(data.findings).decode(),
        concerns=concerns,
        follow_up_needed=data.follow_up_needed,
        follow_up_note=data.follow_up_note.strip(),
        recorded_by=principal.staff_id,
        created_at=now,
    )
    last = max(filter(None, [row["last_contact_on"], visited_on]))
    latest = last == visited_on  # a visit recorded late, before the last contact, changes neither the plan nor the revisit
    revisit = row["revisit_on"]
    if latest:
        revisit = visited_on + timedelta(days=settings.follow_up_revisit_days) if data.follow_up_needed else None
    due = plan_state({**row, "last_contact_on": last, "revisit_on": revisit}, settings, community_today(mh, community)).next_due_on
    # a health concern to follow up goes to the doctor team as a referral, when the health scene is on here (issue 15/16)
    refer = data.follow_up_needed and data.findings.health.status == "concern" and await can_hand_over(mh, HEALTH_REFERRAL, community.slug)
    async with mh.db.transaction():
        await visit.save()
        item = None
        if data.follow_up_needed:
            item = await open_follow_up(mh, principal, community, settings, row, visit.id)
            await Visit.update({Visit.follow_up_item: item}).where(Visit.id == visit.id)
        referral = ""
        if refer:
            referral = await _refer(mh, principal, community, row, visit.id, data)
            await Visit.update({Visit.referral: referral}).where(Visit.id == visit.id)
        await Elder.update(
            {Elder.last_contact_on: last, Elder.next_due_on: due, Elder.revisit_on: revisit, Elder.updated_at: now}
        ).where(Elder.id == elder_id)
        await campaigns.mark_visit(mh, community, elder_id, visit.id, visited_on)
        if due > community_today(mh, community):
            await _resolve_alerts(mh, elder_id)
        await audit(
            principal, "elder_care.visit.record", "visit", visit.id, community_id=community.id,
            detail={"elder_id": elder_id, "method": data.method, "concerns": concerns, "follow_up_needed": data.follow_up_needed,
                    **({"follow_up_item": item} if item else {}), **({"referral": referral} if referral else {})},
        )
    return (await list_visits(mh, principal, community, elder_id, visit_id=visit.id, audit_read=False))[0]


#: The health scene's intake for a health concern (docs/scenes/health.md, "Referrals").
HEALTH_REFERRAL = "health.referral"


async def _refer(mh: Any, principal: Principal, community: CommunityInfo, elder: dict[str, Any], visit_id: int, data: VisitIn) -> str:
    """Hand the visit's health concern to the health scene (in the visit's transaction): the title carries the register
    number, not the name; the body the health note and the follow-up note (the doctor team reads them; grid staff see
    "referred" only)."""
    body = "\n".join(filter(None, [
        f"健康状况：{data.findings.health.note.strip()}" if data.findings.health.note.strip() else "",
        f"跟进事项：{data.follow_up_note.strip()}",
    ]))
    receipt = await hand_over(mh, HEALTH_REFERRAL, HandOver(
        community=community.slug, source=f"elder_care.visit:{visit_id}", title=f"老人探访发现健康问题（老人档案 {elder['id']}）",
        body=body, resident_id=elder["resident"], grid_id=elder["grid_id"]), principal)
    return receipt.reference


#: Shows visits' findings and follow-up notes (sensitive personal information); each read is audited.
NOTES_READ = "elder_care.visit.notes.read"


async def list_visits(
    mh: Any, principal: Principal, community: CommunityInfo, elder_id: int, *, visit_id: int | None = None, limit: int = 100,
    audit_read: bool = True,
) -> list[VisitOut]:
    """An elder's visits, latest first. Findings and follow-up notes only with ``elder_care.visit.notes.read``
    (``null`` otherwise); a holder's read of any is audited as ``elder_care.visit.notes.read``, one row per call.
    The answer to recording a visit (``audit_read=False``) shows the recorder what they just wrote, if they may read it."""
    await _elder_row(principal, community, elder_id)
    notes = principal.can(NOTES_READ)
    query = Visit.select(
        Visit.all_columns(),
        Visit.visitor_staff.name.as_alias("staff_name"),
        Visit.visitor_resident.name.as_alias("resident_name"),
    ).where(Visit.elder == elder_id)
    if visit_id is not None:
        query = query.where(Visit.id == visit_id)
    rows = await query.order_by(Visit.visited_at, ascending=False).limit(limit)
    if notes and audit_read and rows:
        await audit(
            principal, NOTES_READ, "elder", elder_id, community_id=community.id, detail={"visit_ids": [r["id"] for r in rows]},
        )
    return [
        VisitOut(
            id=r["id"],
            elder_id=r["elder"],
            visitor=_visitor(r["visitor_staff"], r["staff_name"], r["visitor_resident"], r["resident_name"]),
            visited_at=r["visited_at"],
            method=r["method"],
            findings=msgspec.convert(json.loads(r["findings"]) if isinstance(r["findings"], str) else r["findings"], Findings) if notes else None,
            concerns=r["concerns"],
            follow_up_needed=r["follow_up_needed"],
            follow_up_note=r["follow_up_note"] if notes else None,
            follow_up_item_id=r["follow_up_item"],
            referral=r["referral"] or None,
        )
        for r in rows
    ]
