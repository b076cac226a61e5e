"""The work of the culture scenario, as plain functions: troupes, venues, tour plans, shows and their records.

Venues and shows carry the grid where they are: the caller's scope applies to them in SQL,
so a show at a venue outside the caller's grids is "not found" like a missing one. Troupes
and tour plans belong to the community. Writes are audited inside their own transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from meihao import (
    ActivityIn,
    ActivityPatch,
    Conflict,
    InvalidInput,
    NoticeIn,
    NotFound,
    Principal,
    audit,
    cancel_activity,
    create_activity,
    fen_to_yuan,
    mask_phone,
    normalise_phone,
    notify,
    scenario_settings,
    staff_works_in,
    update_activity,
    yuan_to_fen,
)
from meihao.tables import Grid, StaffAssignment

from .schemas import CultureSettings, PlanIn, PlayIn, ShowIn, ShowPatch, ShowRecordIn, TroupeIn, VenueIn
from .tables import Play, Show, TourPlan, Troupe, Venue, VenueGrid

SCENE = "culture"
LEVELS_ZH = {"province": "省级", "city": "市级", "county": "县级", "folk": "民间"}
SATISFACTION_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


async def settings_of(mh: Any, community: dict[str, Any]) -> CultureSettings:
    return await scenario_settings(mh, community["id"], SCENE)  # type: ignore[return-value]


def _tz(community: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(community["timezone"])


def local_now(mh: Any, community: dict[str, Any]) -> datetime:
    return mh.clock.now().astimezone(_tz(community))


def _tx(mh: Any) -> Any:
    return mh.db.transaction()


# -- troupes and their repertoire ------------------------------------------------------------


def _check_play(play: PlayIn, index: int | None = None) -> None:
    where = "duration_minutes" if index is None else f"repertoire[{index}].duration_minutes"
    if not 10 <= play.duration_minutes <= 600:
        raise InvalidInput(f"{where}: between 10 and 600 minutes", field=where)


async def _troupe_out(row: dict[str, Any]) -> dict[str, Any]:
    plays = await Play.select(Play.id, Play.title, Play.genre, Play.duration_minutes, Play.description).where(
        Play.troupe == row["id"]).order_by(Play.id)
    return {
        "id": row["id"], "name": row["name"], "level": row["level"], "contact_name": row["contact_name"],
        "contact_phone": mask_phone(row["contact_phone"]), "repertoire": plays,
    }


async def list_troupes(community: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await Troupe.select().where(Troupe.community == community["id"]).order_by(Troupe.id)
    return [await _troupe_out(r) for r in rows]


async def _troupe_row(community: dict[str, Any], troupe_id: int, field: str | None = None) -> dict[str, Any]:
    row = await Troupe.select().where(Troupe.id == troupe_id, Troupe.community == community["id"]).first()
    if row is None:
        raise NotFound(f"{field + ': ' if field else ''}troupe {troupe_id} not found", field=field)
    return row


async def get_troupe(community: dict[str, Any], troupe_id: int) -> dict[str, Any]:
    return await _troupe_out(await _troupe_row(community, troupe_id))


async def create_troupe(mh: Any, community: dict[str, Any], data: TroupeIn, principal: Principal) -> dict[str, Any]:
    phone = normalise_phone(data.contact_phone) if data.contact_phone.strip() else ""
    for index, play in enumerate(data.repertoire):
        _check_play(play, index)
    async with _tx(mh):
        troupe = Troupe(community=community["id"], name=data.name.strip(), level=data.level, contact_name=data.contact_name.strip(),
                        contact_phone=phone)
        await troupe.save()
        if data.repertoire:
            await Play.insert(*[Play(troupe=troupe.id, title=p.title.strip(), genre=p.genre.strip(), duration_minutes=p.duration_minutes,
                                     description=p.description) for p in data.repertoire])
        await audit(principal, "culture.troupe.create", "culture.troupe", troupe.id, community_id=community["id"], detail={"name": data.name})
    return await get_troupe(community, troupe.id)


async def add_play(mh: Any, community: dict[str, Any], troupe_id: int, data: PlayIn, principal: Principal) -> dict[str, Any]:
    await _troupe_row(community, troupe_id)
    _check_play(data)
    async with _tx(mh):
        play = Play(troupe=troupe_id, title=data.title.strip(), genre=data.genre.strip(), duration_minutes=data.duration_minutes,
                    description=data.description)
        await play.save()
        await audit(principal, "culture.play.create", "culture.play", play.id, community_id=community["id"], detail={"title": data.title})
    return await get_troupe(community, troupe_id)


# -- venues ------------------------------------------------------------------------------------


async def _venues_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    served: dict[int, list[int]] = {r["id"]: [] for r in rows}
    if rows:
        for link in await VenueGrid.select(VenueGrid.venue, VenueGrid.grid).where(VenueGrid.venue.is_in(list(served))).order_by(VenueGrid.grid):
            served[link["venue"]].append(link["grid"])
    return [
        {"id": r["id"], "name": r["name"], "kind": r["kind"], "address": r["address"], "capacity": r["capacity"], "grid_id": r["grid"],
         "serves_grid_ids": served[r["id"]]}
        for r in rows
    ]


def _venue_scope(community: dict[str, Any], principal: Principal) -> list[Any]:
    return [Venue.community == community["id"], *principal.where(Venue.community, Venue.grid)]


async def list_venues(community: dict[str, Any], principal: Principal) -> list[dict[str, Any]]:
    return await _venues_out(await Venue.select().where(*_venue_scope(community, principal)).order_by(Venue.id))


async def _venue_row(community: dict[str, Any], venue_id: int, principal: Principal, field: str | None = None) -> dict[str, Any]:
    row = await Venue.select().where(Venue.id == venue_id, *_venue_scope(community, principal)).first()
    if row is None:
        raise NotFound(f"{field + ': ' if field else ''}venue {venue_id} not found", field=field)
    return row


async def get_venue(community: dict[str, Any], venue_id: int, principal: Principal) -> dict[str, Any]:
    return (await _venues_out([await _venue_row(community, venue_id, principal)]))[0]


async def create_venue(mh: Any, community: dict[str, Any], data: VenueIn, principal: Principal) -> dict[str, Any]:
    grids = [data.grid_id, *[g for g in data.serves_grid_ids if g != data.grid_id]]
    known = {r["id"] for r in await Grid.select(Grid.id).where(Grid.id.is_in(grids), Grid.community == community["id"])}
    if data.grid_id not in known:
        raise NotFound(f"grid_id: grid {data.grid_id} not found", field="grid_id")
    missing = [g for g in grids if g not in known]
    if missing:
        raise NotFound(f"serves_grid_ids: grid {missing[0]} not found", field="serves_grid_ids")
    if data.capacity is not None and data.capacity < 1:
        raise InvalidInput("capacity: at least 1 when given", field="capacity")
    async with _tx(mh):
        venue = Venue(community=community["id"], grid=data.grid_id, name=data.name.strip(), kind=data.kind, address=data.address.strip(),
                      capacity=data.capacity)
        await venue.save()
        await VenueGrid.insert(*[VenueGrid(venue=venue.id, grid=g) for g in dict.fromkeys(grids)])
        await audit(principal, "culture.venue.create", "culture.venue", venue.id, community_id=community["id"], detail={"name": data.name})
    return await get_venue(community, venue.id, Principal.system())


# -- tour plans ------------------------------------------------------------------------------------


async def _plans_out(rows: list[dict[str, Any]], principal: Principal) -> list[dict[str, Any]]:
    result = []
    for r in rows:
        scope = [Show.plan == r["id"], *principal.where(Show.community, Show.grid)]
        result.append({
            "id": r["id"], "name": r["name"], "season_start": r["season_start"], "season_end": r["season_end"],
            "procurement_lot": r["procurement_lot"], "organiser_staff_id": r["organiser"],
            "shows": await Show.count().where(*scope, Show.status != "cancelled"),
            "delivered": await Show.count().where(*scope, Show.status == "delivered"),
        })
    return result


async def list_plans(community: dict[str, Any], principal: Principal) -> list[dict[str, Any]]:
    return await _plans_out(await TourPlan.select().where(TourPlan.community == community["id"]).order_by(TourPlan.season_start), principal)


async def _plan_row(community: dict[str, Any], plan_id: int) -> dict[str, Any]:
    row = await TourPlan.select().where(TourPlan.id == plan_id, TourPlan.community == community["id"]).first()
    if row is None:
        raise NotFound(f"tour plan {plan_id} not found")
    return row


async def get_plan(community: dict[str, Any], plan_id: int, principal: Principal) -> dict[str, Any]:
    return (await _plans_out([await _plan_row(community, plan_id)], principal))[0]


async def create_plan(mh: Any, community: dict[str, Any], data: PlanIn, principal: Principal) -> dict[str, Any]:
    if data.season_end < data.season_start:
        raise InvalidInput("season_end: must not be before season_start", field="season_end")
    if data.organiser_staff_id is not None and not await staff_works_in(data.organiser_staff_id, community["id"]):
        raise NotFound(f"organiser_staff_id: no active staff member {data.organiser_staff_id} works in this community", field="organiser_staff_id")
    async with _tx(mh):
        plan = TourPlan(community=community["id"], name=data.name.strip(), season_start=data.season_start, season_end=data.season_end,
                        procurement_lot=data.procurement_lot.strip(), organiser=data.organiser_staff_id)
        await plan.save()
        await audit(principal, "culture.plan.create", "culture.plan", plan.id, community_id=community["id"], detail={"name": data.name})
    return await get_plan(community, plan.id, principal)


# -- shows --------------------------------------------------------------------------------------------


SHOW_COLUMNS = (
    Show.all_columns(),
    Show.venue.name.as_alias("venue_name"),
    Show.venue.address.as_alias("venue_address"),
    Show.troupe.name.as_alias("troupe_name"),
    Show.troupe.level.as_alias("troupe_level"),
    Show.play.title.as_alias("play_title"),
    Show.play.genre.as_alias("play_genre"),
)


def _show_out(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"], "plan_id": r["plan"], "venue_id": r["venue"], "venue": r["venue_name"], "grid_id": r["grid"], "troupe_id": r["troupe"],
        "troupe": r["troupe_name"], "troupe_level": r["troupe_level"], "play_id": r["play"], "play": r["play_title"], "genre": r["play_genre"],
        "day": r["day"], "starts_at": r["starts_at"], "ends_at": r["ends_at"], "elders_first": r["elders_first"], "status": r["status"],
        "cancel_reason": r["cancel_reason"], "activity_id": r["activity"], "subsidy": fen_to_yuan(r["subsidy_fen"]),
        "attendance": r["attendance"], "satisfaction": r["satisfaction"], "feedback": r["feedback"], "confirmed_by": r["confirmed_by"],
        "recorded_at": r["recorded_at"], "attendance_asked_at": r["attendance_asked_at"],
    }


def _show_scope(community: dict[str, Any], principal: Principal) -> list[Any]:
    return [Show.community == community["id"], *principal.where(Show.community, Show.grid)]


async def _show_row(community: dict[str, Any], show_id: int, principal: Principal) -> dict[str, Any]:
    row = await Show.select(*SHOW_COLUMNS).where(Show.id == show_id, *_show_scope(community, principal)).first()
    if row is None:
        raise NotFound(f"show {show_id} not found")
    return row


async def get_show(community: dict[str, Any], show_id: int, principal: Principal) -> dict[str, Any]:
    return _show_out(await _show_row(community, show_id, principal))


async def list_shows(
    community: dict[str, Any], principal: Principal, *, plan_id: int | None = None, start: date | None = None, end: date | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    query = Show.select(*SHOW_COLUMNS).where(*_show_scope(community, principal))
    if plan_id is not None:
        query = query.where(Show.plan == plan_id)
    if start is not None:
        query = query.where(Show.day >= start)
    if end is not None:
        query = query.where(Show.day <= end)
    if status:
        query = query.where(Show.status == status)
    return [_show_out(r) for r in await query.order_by(Show.starts_at).limit(500)]


def _aware(value: datetime, community: dict[str, Any]) -> datetime:
    return value.replace(tzinfo=_tz(community)) if value.tzinfo is None else value


def _texts(troupe: dict[str, Any], play: dict[str, Any], venue: dict[str, Any]) -> tuple[str, str]:
    title = f"戏曲进乡村·{play['genre']}《{play['title']}》"
    description = f"{troupe['name']}（{LEVELS_ZH.get(troupe['level'], '')}）演出{play['genre']}《{play['title']}》"
    return title, description


async def create_show(mh: Any, community: dict[str, Any], plan_id: int, data: ShowIn, principal: Principal) -> dict[str, Any]:
    """A show of a tour plan: a kernel activity for the residents of the venue's grids (and one for its elders first)."""
    settings = await settings_of(mh, community)
    plan = await _plan_row(community, plan_id)
    venue = await _venue_row(community, data.venue_id, principal, "venue_id")
    troupe = await _troupe_row(community, data.troupe_id, "troupe_id")
    play = await Play.select().where(Play.id == data.play_id, Play.troupe == troupe["id"]).first()
    if play is None:
        raise NotFound(f"play_id: play {data.play_id} is not in the repertoire of troupe {troupe['id']}", field="play_id")
    starts = _aware(data.starts_at, community)
    ends = _aware(data.ends_at, community) if data.ends_at else starts + timedelta(minutes=play["duration_minutes"])
    if ends <= starts:
        raise InvalidInput("ends_at: must be after starts_at", field="ends_at")
    if starts <= mh.clock.now():
        raise InvalidInput("starts_at: a show is planned ahead, not in the past", field="starts_at")
    day = starts.astimezone(_tz(community)).date()
    if not plan["season_start"] <= day <= plan["season_end"]:
        raise InvalidInput(f"starts_at: outside the plan's season ({plan['season_start']} to {plan['season_end']})", field="starts_at")
    subsidy = yuan_to_fen(data.subsidy, "subsidy") if data.subsidy is not None else settings.subsidy_per_show_yuan * 100
    grids = [g["grid"] for g in await VenueGrid.select(VenueGrid.grid).where(VenueGrid.venue == venue["id"]).order_by(VenueGrid.grid)]
    title, description = _texts(troupe, play, venue)
    async with _tx(mh):
        show = Show(
            community=community["id"], plan=plan_id, venue=venue["id"], grid=venue["grid"], troupe=troupe["id"], play=play["id"], day=day,
            starts_at=starts, ends_at=ends, elders_first=data.elders_first, status="scheduled", activity=0, subsidy_fen=subsidy,
        )
        await show.save()
        common = dict(scene=SCENE, starts_at=starts, ends_at=ends, venue=venue["name"], channels=list(settings.channels))
        activity = await create_activity(mh, community["slug"], ActivityIn(
            title=title, description=description, audience={"grids": grids},
            reminder_offsets=sorted({settings.remind_day_before_minutes, settings.remind_on_day_minutes}, reverse=True),
            source=f"culture.show:{show.id}", **common))
        elders = None
        if data.elders_first:
            elders = await create_activity(mh, community["slug"], ActivityIn(
                title=title, description=description, audience={"grids": grids, "min_age": settings.elder_age},
                reminder_offsets=[settings.elders_first_minutes], source=f"culture.show_elders:{show.id}", **common))
        await Show.update({Show.activity: activity["id"], Show.elders_activity: elders["id"] if elders else None}).where(Show.id == show.id)
        await audit(principal, "culture.show.create", "culture.show", show.id, community_id=community["id"],
                    detail={"venue": venue["name"], "troupe": troupe["name"], "play": play["title"], "starts_at": starts.isoformat()})
    return await get_show(community, show.id, principal)


async def reschedule_show(mh: Any, community: dict[str, Any], show_id: int, patch: ShowPatch, principal: Principal) -> dict[str, Any]:
    row = await _show_row(community, show_id, principal)
    if row["status"] != "scheduled":
        raise Conflict(f"status: show {show_id} is {row['status']}", field="status")
    starts = _aware(patch.starts_at, community) if patch.starts_at else row["starts_at"]
    ends = _aware(patch.ends_at, community) if patch.ends_at else starts + (row["ends_at"] - row["starts_at"])
    if ends <= starts:
        raise InvalidInput("ends_at: must be after starts_at", field="ends_at")
    if starts <= mh.clock.now():
        raise InvalidInput("starts_at: a show is moved ahead, not into the past", field="starts_at")
    async with _tx(mh):
        await Show.update({Show.starts_at: starts, Show.ends_at: ends, Show.day: starts.astimezone(_tz(community)).date()}).where(Show.id == show_id)
        for activity_id in (row["activity"], row["elders_activity"]):
            if activity_id:
                await update_activity(mh, activity_id, ActivityPatch(starts_at=starts, ends_at=ends))
        await audit(principal, "culture.show.reschedule", "culture.show", show_id, community_id=community["id"],
                    detail={"from": row["starts_at"].isoformat(), "to": starts.isoformat()})
    return await get_show(community, show_id, principal)


async def cancel_show(mh: Any, community: dict[str, Any], show_id: int, reason: str, principal: Principal) -> dict[str, Any]:
    row = await _show_row(community, show_id, principal)
    if row["status"] == "cancelled":
        return _show_out(row)
    if row["status"] == "delivered":
        raise Conflict(f"status: show {show_id} took place", field="status")
    async with _tx(mh):
        await Show.update({Show.status: "cancelled", Show.cancel_reason: reason.strip()}).where(Show.id == show_id)
        for activity_id in (row["activity"], row["elders_activity"]):
            if activity_id:
                await cancel_activity(mh, activity_id)
        await audit(principal, "culture.show.cancel", "culture.show", show_id, community_id=community["id"], reason=reason)
    return await get_show(community, show_id, principal)


async def record_show(mh: Any, community: dict[str, Any], show_id: int, data: ShowRecordIn, principal: Principal) -> dict[str, Any]:
    """The record after the show (attendance, satisfaction, feedback, confirmation, subsidy); entering it again corrects it."""
    row = await _show_row(community, show_id, principal)
    if row["status"] == "cancelled":
        raise Conflict(f"status: show {show_id} was cancelled", field="status")
    if row["starts_at"] > mh.clock.now():
        raise Conflict("attendance: the show has not begun yet", field="attendance")
    if not 0 <= data.attendance <= 100_000:
        raise InvalidInput("attendance: a head count between 0 and 100000", field="attendance")
    values: dict[Any, Any] = {
        Show.status: "delivered", Show.attendance: data.attendance, Show.satisfaction: data.satisfaction or "",
        Show.feedback: data.feedback.strip(), Show.confirmed_by: data.confirmed_by.strip(), Show.recorded_by: principal.name,
        Show.recorded_at: mh.clock.now(),
    }
    if data.subsidy is not None:
        values[Show.subsidy_fen] = yuan_to_fen(data.subsidy, "subsidy")
    async with _tx(mh):
        await Show.update(values).where(Show.id == show_id)
        await audit(principal, "culture.show.record", "culture.show", show_id, community_id=community["id"],
                    detail={"attendance": data.attendance, "before": row["attendance"], "satisfaction": data.satisfaction})
    return await get_show(community, show_id, principal)


# -- the morning after: ask for the attendance count ---------------------------------------------------


async def _who_is_asked(plan: dict[str, Any], community: dict[str, Any]) -> list[int]:
    """The plan's organiser; without one, the community's admins; without them, the street admins."""
    if plan["organiser"] and await staff_works_in(plan["organiser"], community["id"]):
        return [plan["organiser"]]
    for clause in (StaffAssignment.community == community["id"], None):
        query = StaffAssignment.select(StaffAssignment.staff).where(
            StaffAssignment.role == ("community_admin" if clause is not None else "street_admin"), StaffAssignment.staff.active.eq(True))
        if clause is not None:
            query = query.where(clause)
        staff = sorted({r["staff"] for r in await query})
        if staff:
            return staff
    return []


async def ask_for_attendance(mh: Any, community: dict[str, Any], now: datetime | None = None) -> list[int]:
    """From ``attendance_ask_hour`` the morning after a show, ask its organiser for the attendance count, once.

    A show qualifies when it ended before today (local), within ``attendance_ask_within_days``,
    is not cancelled and has no record yet. Returns the ids of the shows asked about.
    """
    now = now or mh.clock.now()
    settings = await settings_of(mh, community)
    local = now.astimezone(_tz(community))
    if local.hour < settings.attendance_ask_hour:
        return []
    midnight = datetime.combine(local.date(), time(0), tzinfo=_tz(community))
    shows = await Show.select(*SHOW_COLUMNS).where(
        Show.community == community["id"], Show.status == "scheduled", Show.attendance.is_null(), Show.attendance_asked_at.is_null(),
        Show.ends_at < midnight, Show.ends_at >= midnight - timedelta(days=settings.attendance_ask_within_days),
    ).order_by(Show.starts_at)
    asked = []
    for show in shows:
        plan = await TourPlan.select().where(TourPlan.id == show["plan"]).first()
        staff = await _who_is_asked(plan, community)
        async with _tx(mh):
            claimed = await Show.update({Show.attendance_asked_at: now}).where(Show.id == show["id"], Show.attendance_asked_at.is_null()).returning(Show.id)
            if not claimed:
                continue
            if staff:
                when = show["starts_at"].astimezone(_tz(community)).strftime("%m月%d日 %H:%M")
                await notify(mh, community["slug"], NoticeIn(
                    scene=SCENE, key=f"culture.attendance:{show['id']}", title=f"请录入演出观众人数：《{show['play_title']}》",
                    body=(f"请录入{when}在{show['venue_name']}演出的{show['troupe_name']}《{show['play_title']}》的观众人数、群众满意度"
                          f"和村（居）委确认人（演出编号 {show['id']}）。"),
                    staff=staff, channels=list(settings.channels), useful_for=timedelta(hours=settings.attendance_ask_useful_hours),
                ))
            await audit(Principal.system("culture"), "culture.show.ask_attendance", "culture.show", show["id"], community_id=community["id"],
                        detail={"asked": staff})
        asked.append(show["id"])
    return asked


# -- figures ------------------------------------------------------------------------------------------------


def this_year(mh: Any, community: dict[str, Any]) -> int:
    return local_now(mh, community).year


async def summary(mh: Any, community: dict[str, Any], year: int, principal: Principal) -> dict[str, Any]:
    """The year's figures: shows delivered, audience reached, venues covered ("一村一年一场戏"), subsidy, satisfaction."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    scope = [*_show_scope(community, principal), Show.day >= first, Show.day <= last]
    delivered = await Show.select(Show.venue, Show.attendance, Show.subsidy_fen, Show.satisfaction).where(*scope, Show.status == "delivered")
    venues = await Venue.count().where(*_venue_scope(community, principal))
    settings = await settings_of(mh, community)
    per_venue: dict[int, int] = {}
    for s in delivered:
        per_venue[s["venue"]] = per_venue.get(s["venue"], 0) + 1
    return {
        "year": year,
        "shows_delivered": len(delivered),
        "audience_reached": sum(s["attendance"] or 0 for s in delivered),
        "shows_scheduled": await Show.count().where(*scope, Show.status == "scheduled"),
        "venues": venues,
        "venues_covered": sum(1 for n in per_venue.values() if n >= settings.shows_per_venue_per_year),
        "subsidy": fen_to_yuan(sum(s["subsidy_fen"] for s in delivered)),
        **{key: sum(1 for s in delivered if s["satisfaction"] == key) for key in SATISFACTION_ZH},
    }


# -- switching the scenario off and on --------------------------------------------------------------------


async def suspend(mh: Any, community: dict[str, Any]) -> None:
    """The community switched culture off: coming shows stop reminding (their activities are cancelled); records stay."""
    now = mh.clock.now()
    for show in await Show.select(Show.id, Show.activity, Show.elders_activity).where(
        Show.community == community["id"], Show.status == "scheduled", Show.starts_at > now
    ):
        for activity_id in (show["activity"], show["elders_activity"]):
            if activity_id:
                await cancel_activity(mh, activity_id)
        await Show.update({Show.status: "suspended"}).where(Show.id == show["id"])


async def resume(mh: Any, community: dict[str, Any]) -> None:
    """The community switched culture on again: suspended shows still ahead get their reminders back."""
    settings = await settings_of(mh, community)
    now = mh.clock.now()
    for show in await Show.select(*SHOW_COLUMNS).where(Show.community == community["id"], Show.status == "suspended"):
        if show["starts_at"] <= now:
            await Show.update({Show.status: "scheduled"}).where(Show.id == show["id"])  # held or not: the record says
            continue
        grids = [g["grid"] for g in await VenueGrid.select(VenueGrid.grid).where(VenueGrid.venue == show["venue"])]
        title = f"戏曲进乡村·{show['play_genre']}《{show['play_title']}》"
        description = f"{show['troupe_name']}（{LEVELS_ZH.get(show['troupe_level'], '')}）演出{show['play_genre']}《{show['play_title']}》"
        common = dict(scene=SCENE, title=title, description=description, starts_at=show["starts_at"], ends_at=show["ends_at"],
                      venue=show["venue_name"], channels=list(settings.channels))
        activity = await create_activity(mh, community["slug"], ActivityIn(
            audience={"grids": grids}, source=f"culture.show:{show['id']}",
            reminder_offsets=sorted({settings.remind_day_before_minutes, settings.remind_on_day_minutes}, reverse=True), **common))
        elders = None
        if show["elders_first"]:
            elders = await create_activity(mh, community["slug"], ActivityIn(
                audience={"grids": grids, "min_age": settings.elder_age}, source=f"culture.show_elders:{show['id']}",
                reminder_offsets=[settings.elders_first_minutes], **common))
        await Show.update({Show.status: "scheduled", Show.activity: activity["id"], Show.elders_activity: elders["id"] if elders else None}).where(
            Show.id == show["id"])


# -- reminder texts ----------------------------------------------------------------------------------------


def render(activity: dict[str, Any], language: str) -> str | None:
    """The text of a show reminder: for the audience, or the elders' earlier one (front rows kept for them)."""
    source = str(activity.get("source", ""))
    title, venue, starts = activity.get("title", ""), activity.get("venue", ""), activity.get("starts_at", "")
    description = activity.get("description", "")
    if source.startswith("culture.show:"):
        if language == "en":
            return f"Opera in your neighbourhood: {title}, {starts} at {venue}. Free for everyone, come and enjoy!"
        return f"【{title}】{starts} 在{venue}开演，{description}，免费观看，欢迎乡亲们来看戏！"
    if source.startswith("culture.show_elders:"):
        if language == "en":
            return f"Opera in your neighbourhood: {title}, {starts} at {venue}. The front rows are kept for elders: come early!"
        return f"【{title}】{starts} 在{venue}开演，前排座位优先留给老年人，欢迎您提前到场入座。"
    return None  # notices and anything else: as the kernel renders them

