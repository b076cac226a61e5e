"""家庭医生签约: one doctor team per resident at a time, at least a year, packages, priority groups, renewal reminders."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    InvalidInput,
    NoticeIn,
    Principal,
    audit,
    community_today,
    notify,
    scope_where,
    scoped_resident,
    scoped_row,
    transaction,
    zh_date,
)

from ..schemas import PACKAGES, PRIORITY_GROUPS, ContractEnd, ContractIn, ContractOut
from ..tables import Contract, TeamMember
from .common import SCENARIO, my_teams, reads_health, settings_of, team_in

COLUMNS = (Contract.id, Contract.resident, Contract.resident.name.as_alias("name"), Contract.team, Contract.starts_on,
           Contract.ends_on, Contract.packages, Contract.priority_groups, Contract.status)


def _out(row: dict[str, Any], health: bool) -> ContractOut:
    # the packages and priority groups say what a resident suffers from (慢病管理包, 高血压患者): health data
    return ContractOut(id=row["id"], resident_id=row["resident"], name=row["name"], team_id=row["team"], starts_on=row["starts_on"],
                       ends_on=row["ends_on"], packages=json.loads(row["packages"]) if health else None,
                       priority_groups=json.loads(row["priority_groups"]) if health else None, status=row["status"])


async def sign(mh: Any, principal: Principal, community: CommunityInfo, data: ContractIn) -> ContractOut:
    settings = await settings_of(mh, community)
    await scoped_resident(principal, community, data.resident_id, "resident_id")
    await team_in(community, data.team_id)
    days = (data.ends_on - data.starts_on).days + 1
    if days < settings.contract_min_days:
        raise InvalidInput(f"ends_on: a contract runs at least {settings.contract_min_days} days (setting contract_min_days), "
                           f"this one {days}", field="ends_on")
    unknown = [p for p in data.packages if p not in PACKAGES]
    if unknown or "basic" not in data.packages:
        raise InvalidInput(f"packages: basic and any of {', '.join(PACKAGES)}", field="packages")
    if [g for g in data.priority_groups if g not in PRIORITY_GROUPS]:
        raise InvalidInput(f"priority_groups: any of {', '.join(PRIORITY_GROUPS)}", field="priority_groups")
    async with transaction(mh, lock=("health.contract", str(data.resident_id))):
        overlapping = await Contract.select(Contract.id, Contract.ends_on).where(
            Contract.resident == data.resident_id, Contract.status == "active", Contract.starts_on <= data.ends_on,
            Contract.ends_on >= data.starts_on).first()
        if overlapping is not None:
            raise Conflict(f"resident_id: signed with a doctor team until {overlapping['ends_on']} (contract {overlapping['id']}); "
                           "one team at a time — renew from the day after", field="resident_id")
        row = Contract(community=community.id, resident=data.resident_id, team=data.team_id, starts_on=data.starts_on,
                       ends_on=data.ends_on, packages=json.dumps(sorted(set(data.packages))),
                       priority_groups=json.dumps(sorted(set(data.priority_groups))))
        await row.save()
        await audit(principal, "health.contract.sign", "health_contract", row.id, community_id=community.id,
                    detail={"resident_id": data.resident_id, "team_id": data.team_id, "ends_on": data.ends_on.isoformat()})
    found = await Contract.select(*COLUMNS).where(Contract.id == row.id).first()
    return _out(found, reads_health(principal, await my_teams(principal, community), data.team_id))


async def scoped_contract(principal: Principal, community: CommunityInfo, contract_id: int) -> dict[str, Any]:
    """The contract if its resident is in the caller's scope, else the same 404 as a missing one."""
    return await scoped_row(Contract, contract_id, principal, community, via=Contract.resident, columns=COLUMNS, noun="contract")


async def end(mh: Any, principal: Principal, community: CommunityInfo, contract_id: int, data: ContractEnd) -> ContractOut:
    """解约: a running contract ends on ``ends_on`` (default today) and becomes ``ended``; the reason goes into the audit row.
    Outside the caller's scope the same 404 as a missing contract; 409 when it has ended already."""
    await scoped_contract(principal, community, contract_id)
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput("reason: say why the contract ends", field="reason")
    async with transaction(mh, lock=("health.contract", f"end:{contract_id}")):
        row = await Contract.select(*COLUMNS).where(Contract.id == contract_id).first()
        if row["status"] != "active":
            raise Conflict(f"contract {contract_id} has ended already")
        day = data.ends_on or community_today(mh, community)
        if day < row["starts_on"]:
            raise InvalidInput(f"ends_on: not before the contract starts ({row['starts_on']})", field="ends_on")
        if day > row["ends_on"]:
            raise InvalidInput(f"ends_on: not after the contract's end ({row['ends_on']})", field="ends_on")
        await Contract.update({Contract.status: "ended", Contract.ends_on: day}).where(Contract.id == contract_id)
        await audit(principal, "health.contract.end", "health_contract", contract_id, community_id=community.id,
                    detail={"resident_id": row["resident"], "ends_on": day.isoformat(), "reason": reason})
    found = await Contract.select(*COLUMNS).where(Contract.id == contract_id).first()
    return _out(found, reads_health(principal, await my_teams(principal, community), found["team"]))


async def list_contracts(mh: Any, principal: Principal, community: CommunityInfo, *, active_only: bool = True) -> list[ContractOut]:
    query = Contract.select(*COLUMNS).where(*scope_where(principal, community, Contract.resident))
    if active_only:
        query = query.where(Contract.status == "active", Contract.ends_on >= community_today(mh, community))
    rows = await query.order_by(Contract.ends_on).order_by(Contract.id)
    teams = await my_teams(principal, community)
    if rows:
        async with transaction(mh):
            await audit(principal, "health.contract.read", "health_contract", "", community_id=community.id,
                        detail={"contract_ids": [r["id"] for r in rows]})
    return [_out(r, reads_health(principal, teams, r["team"])) for r in rows]


async def remind_renewals(mh: Any, community: CommunityInfo) -> list[int]:
    """续约提醒: each active contract ending within ``renewal_reminder_days`` with no renewal yet, once; the resident and the team.
    Contracts past their end are marked ``ended``."""
    settings = await settings_of(mh, community)
    today = community_today(mh, community)
    await Contract.update({Contract.status: "ended"}).where(Contract.community == community.id, Contract.status == "active",
                                                            Contract.ends_on < today)
    rows = await Contract.select(Contract.id, Contract.resident, Contract.team, Contract.ends_on).where(
        Contract.community == community.id, Contract.status == "active", Contract.renewal_reminded.eq(False),
        Contract.ends_on <= today + timedelta(days=settings.renewal_reminder_days))
    told = []
    for row in rows:
        renewed = await Contract.exists().where(Contract.resident == row["resident"], Contract.status == "active",
                                                Contract.starts_on > row["ends_on"])
        async with transaction(mh, lock=("health.contract", str(row["resident"]))):
            await Contract.update({Contract.renewal_reminded: True}).where(Contract.id == row["id"])
            if renewed:
                continue
            members = [r["staff"] for r in await TeamMember.select(TeamMember.staff).where(TeamMember.team == row["team"])]
            await notify(mh, community.slug, NoticeIn(
                key=f"health.renewal:{row['id']}", title="家庭医生续约提醒",
                body=f"您的家庭医生签约服务将于{zh_date(row['ends_on'])}到期，请及时与签约团队联系续约。",
                residents=[row["resident"]], staff=members, channels=list(settings.channels), useful_for=timedelta(days=7)),
                scenario=SCENARIO)
            told.append(row["id"])
    return told
