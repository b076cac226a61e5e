"""A resident's data rights in elder care: their register entry, visits and alerts, and what they did as a volunteer.

Erasure blanks what describes the person (emergency contact, notes, the visit notes of the
checklist and follow-ups) and keeps what is counted: the elder's row (care level, plan), every
visit (date, method, the checklist's statuses and the number of concerns), alerts, rosters.
"""

from __future__ import annotations

import json
from typing import Any

from ..schemas import CHECKLIST
from ..tables import Elder, RosterEntry, Visit


def _day(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _findings(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


async def resident_data(resident_id: int) -> dict[str, Any] | None:
    elder = await Elder.select().where(Elder.resident == resident_id).first()
    volunteered = await Visit.select(Visit.visited_at, Visit.method).where(Visit.visitor_resident == resident_id).order_by(Visit.visited_at)
    rosters = await RosterEntry.select(
        RosterEntry.visit.nursing_home.as_alias("nursing_home"), RosterEntry.visit.title.as_alias("title"),
        RosterEntry.visit.starts_at.as_alias("starts_at"), RosterEntry.task,
    ).where(RosterEntry.volunteer == resident_id).order_by(RosterEntry.id)
    if elder is None and not volunteered and not rosters:
        return None
    data: dict[str, Any] = {"elder": None, "visits": []}
    if elder is not None:
        data["elder"] = {
            "care_level": elder["care_level"],
            "living_alone": elder["living_alone"],
            "empty_nest": elder["empty_nest"],
            "left_behind": elder["left_behind"],
            "self_care_loss": elder["disability"],
            "disability_grade": elder["disability_grade"],
            "categories": [c for c in elder["categories"].split(",") if c],
            "emergency_contact": {
                "name": elder["emergency_contact_name"], "relation": elder["emergency_contact_relation"], "phone": elder["emergency_contact_phone"],
            },
            "interval_days": elder["interval_days"],
            "plan_starts_on": _day(elder["plan_starts_on"]),
            "last_contact_on": _day(elder["last_contact_on"]),
            "next_due_on": _day(elder["next_due_on"]),
            "notes": elder["notes"],
            "active": elder["active"],
            "ended_reason": elder["ended_reason"],
        }
        visits = await Visit.select(
            Visit.visited_at, Visit.method, Visit.findings, Visit.concerns, Visit.follow_up_needed, Visit.follow_up_note, Visit.follow_up_item
        ).where(Visit.elder == elder["id"]).order_by(Visit.visited_at)
        data["visits"] = [
            {**v, "visited_at": _day(v["visited_at"]), "findings": _findings(v["findings"])} for v in visits
        ]
    data["visits_made_as_volunteer"] = [{"visited_at": _day(v["visited_at"]), "method": v["method"]} for v in volunteered]
    data["nursing_home_volunteering"] = [{**r, "starts_at": _day(r["starts_at"])} for r in rosters]
    return data


async def erase_resident(resident_id: int) -> dict[str, int] | None:
    elder = await Elder.select(Elder.id).where(Elder.resident == resident_id).first()
    if elder is None:
        return None
    await Elder.update(
        {
            Elder.emergency_contact_name: "",
            Elder.emergency_contact_relation: "",
            Elder.emergency_contact_phone: "",
            Elder.notes: "",
        }
    ).where(Elder.id == elder["id"])
    visits = await Visit.select(Visit.id, Visit.findings).where(Visit.elder == elder["id"])
    for visit in visits:
        findings = _findings(visit["findings"])
        for area in CHECKLIST:
            if isinstance(findings.get(area), dict):
                findings[area]["note"] = ""
        await Visit.update({Visit.findings: json.dumps(findings, ensure_ascii=False), Visit.follow_up_note: ""}).where(Visit.id == visit["id"])
    return {"elder": 1, "visit_notes": len(visits)}

