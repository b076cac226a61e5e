"""Shows at venues in the caller's scope: scheduled as kernel activities, moved, cancelled, asked about the morning after, recorded."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from meihao import (
    ActivityIn,
    ActivityPatch,
    CommunityInfo,
    Conflict,
    InvalidInput,
    NotFound,
    NoticeIn,
    Principal,
    audit,
    cancel_activity,
    create_activity,
    fen_to_yuan,
    notify,
    scope_where,
    scoped_row,
    staff_works_in,
    update_activity,
    yuan_to_fen,
    zh_when,
)
from meihao.tables import Resident, StaffAssignment

from ..schemas import CultureSettings, ShowIn, ShowOut, ShowPatch, ShowRecordIn
from ..tables import Play, Show, TourPlan, Venue, VenueGrid
from .common import LEVELS_ZH, SCENE, _tx, rate, settings_of
from .places import programme_of
from .plans import _plan_row
from .troupes import _troupe_row
from .venues import _venue_row

SHOW_COLUMNS = (
    Show.all_columns(),
    Show.venue.name.as_alias("venue_name"),
    Show.venue.address.as_alias("venue_address"),
    Show.troupe.name.as_alias("troupe_name"),
    Show.troupe.level.as_alias("troupe_level"),
    Show.play.title.as_alias("play_title"),
    Show.play.genre.as_alias("play_genre"),
)


def _show_out(r: dict[str, Any]) -> ShowOut:
    return ShowOut(
        id=r["id"], plan_id=r["plan"], venue_id=r["venue"], venue=r["venue_name"], grid_id=r["grid"], troupe_id=r["troupe"],
        troupe=r["troupe_name"], troupe_level=r["troupe_level"], play_id=r["play"], play=r["play_title"], genre=r["play_genre"],
        day=r["day"], starts_at=r["starts_at"], ends_at=r["ends_at"], elders_first=r["elders_first"], status=r["status"],
        cancel_reason=r["cancel_reason"], activity_id=r["activity"], subsidy=fen_to_yuan(r["subsidy_fen"]),
        attendance=r["attendance"], satisfaction=r["satisfaction"], feedback=r["feedback"], confirmed_by=r["confirmed_by"],
        recorded_at=r["recorded_at"], attendance_asked_at=r["attendance_asked_at"],
        sample_size=r["sample_size"], sample_satisfied=r["satisfied_count"], sample_basically_satisfied=r["basically_count"],
        sample_unsatisfied=r["unsatisfied_count"],
        satisfaction_rate=rate((r["satisfied_count"] or 0) + (r["basically_count"] or 0), r["sample_size"] or 0),
        cancel_kind=r["cancel_kind"],
    )


#: A show is placed by its community and its venue's grid: a grid worker sees the shows in their grids.
PLACED_BY = (Show.community, Show.grid)


async def _show_row(community: CommunityInfo, show_id: int, principal: Principal) -> dict[str, Any]:
    return await scoped_row(Show, show_id, principal, community, via=PLACED_BY, columns=SHOW_COLUMNS, noun="show")


async def get_show(community: CommunityInfo, show_id: int, principal: Principal) -> ShowOut:
    return _show_out(await _show_row(community, show_id, principal))


async def list_shows(
    community: CommunityInfo, principal: Principal, *, plan_id: int | None = None, start: date | None = None, end: date | None = None,
    status: str | None = None,
) -> list[ShowOut]:
    query = Show.select(*SHOW_COLUMNS).where(*scope_where(principal, community, PLACED_BY))
    if plan_id is not None:
        query = query.where(Show.plan == plan_id)
    if start is not None:
        query = query.where(Show.day >= start)
    if end is not None:
        query = query.where(Show.day <= end)
    if status:
        query = query.where(Show.status == status)
    return [_show_out(r) for r in await query.order_by(Show.starts_at).limit(500)]


def _aware(value: datetime, community: CommunityInfo) -> datetime:
    return value.replace(tzinfo=community.tz) if value.tzinfo is None else value


def check_season(settings: CultureSettings, venue: dict[str, Any], starts: datetime, community: CommunityInfo) -> None:
    """An outdoor evening show (at a square, from ``evening_from``) avoids winter and the farming seasons (settings)."""
    local = starts.astimezone(community.tz)
    if venue["kind"] == "community_hall" or local.strftime("%H:%M") < settings.evening_from:
        return
    if local.month in settings.winter_months:
        raise InvalidInput(f"starts_at: no outdoor evening show in winter (months {settings.winter_months}); "
                           "play it indoors or in the daytime", field="starts_at")
    day = local.strftime("%m-%d")
    for season in settings.farming_seasons:
        first, last = season.split("/")
        if (first <= day <= last) if first <= last else (day >= first or day <= last):
            raise InvalidInput(f"starts_at: no outdoor evening show in the farming season ({season}, 农忙)", field="starts_at")


def _texts(troupe: dict[str, Any], play: dict[str, Any], venue: dict[str, Any], programme: str = "戏曲进乡村") -> tuple[str, str]:
    title = f"{programme}·{play['genre']}《{play['title']}》"
    description = f"{troupe['name']}（{LEVELS_ZH.get(troupe['level'], '')}）演出{play['genre']}《{play['title']}》"
    return title, description


async def create_show(mh: Any, community: CommunityInfo, plan_id: int, data: ShowIn, principal: Principal) -> ShowOut:
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
    day = starts.astimezone(community.tz).date()
    if not plan["season_start"] <= day <= plan["season_end"]:
        raise InvalidInput(f"starts_at: outside the plan's season ({plan['season_start']} to {plan['season_end']})", field="starts_at")
    check_season(settings, venue, starts, community)
    if data.subsidy is not None:
        subsidy = yuan_to_fen(data.subsidy, "subsidy")
    else:  # no sourced local rate: without a setting the subsidy is recorded with the show's record
        subsidy = (settings.subsidy_per_show_yuan or 0) * 100
    grids = [g["grid"] for g in await VenueGrid.select(VenueGrid.grid).where(VenueGrid.venue == venue["id"]).order_by(VenueGrid.grid)]
    title, description = _texts(troupe, play, venue, await programme_of(community.id, venue["place"]))
    async with _tx(mh):
        show = Show(
            community=community.id, plan=plan_id, venue=venue["id"], grid=venue["grid"], troupe=troupe["id"], play=play["id"], day=day,
            starts_at=starts, ends_at=ends, elders_first=data.elders_first, status="scheduled", activity=0, subsidy_fen=subsidy,
        )
        await show.save()
        common = dict(scene=SCENE, starts_at=starts, ends_at=ends, venue=venue["name"], channels=list(settings.channels))
        activity = await create_activity(mh, community.slug, ActivityIn(
            title=title, description=description, audience={"grids": grids},
            reminder_offsets=sorted({settings.remind_day_before_minutes, settings.remind_on_day_minutes}, reverse=True),
            source=f"culture.show:{show.id}", **common))
        elders = None
        if data.elders_first:
            elders = await create_activity(mh, community.slug, ActivityIn(
                title=title, description=description, audience={"grids": grids, "min_age": settings.elder_age},
                reminder_offsets=[settings.elders_first_minutes], source=f"culture.show_elders:{show.id}", **common))
        await Show.update({Show.activity: activity["id"], Show.elders_activity: elders["id"] if elders else None}).where(Show.id == show.id)
        await audit(principal, "culture.show.create", "culture.show", show.id, community_id=community.id,
                    detail={"venue": venue["name"], "troupe": troupe["name"], "play": play["title"], "starts_at": starts.isoformat()})
    return await get_show(community, show.id, principal)


async def reschedule_show(mh: Any, community: CommunityInfo, show_id: int, patch: ShowPatch, principal: Principal) -> ShowOut:
    row = await _show_row(community, show_id, principal)
    if row["status"] != "scheduled":
        raise Conflict(f"status: show {show_id} is {row['status']}", field="status")
    starts = _aware(patch.starts_at, community) if patch.starts_at else row["starts_at"]
    ends = _aware(patch.ends_at, community) if patch.ends_at else starts + (row["ends_at"] - row["starts_at"])
    if ends <= starts:
        raise InvalidInput("ends_at: must be after starts_at", field="ends_at")
    if starts <= mh.clock.now():
        raise InvalidInput("starts_at: a show is moved ahead, not into the past", field="starts_at")
    venue = await Venue.select().where(Venue.id == row["venue"]).first()
    check_season(await settings_of(mh, community), venue, starts, community)
    async with _tx(mh):
        await Show.update({Show.starts_at: starts, Show.ends_at: ends, Show.day: starts.astimezone(community.tz).date()}).where(Show.id == show_id)
        for activity_id in (row["activity"], row["elders_activity"]):
            if activity_id:
                await update_activity(mh, activity_id, ActivityPatch(starts_at=starts, ends_at=ends))
        await audit(principal, "culture.show.reschedule", "culture.show", show_id, community_id=community.id,
                    detail={"from": row["starts_at"].isoformat(), "to": starts.isoformat()})
    return await get_show(community, show_id, principal)


async def cancel_show(
    mh: Any, community: CommunityInfo, show_id: int, reason: str, principal: Principal, *, weather: bool = False
) -> ShowOut:
    """Cancel a show: its reminders not yet sent are dropped; called off for the weather, the residents of the
    venue's grids are told at once by a notice (they may have heard of it already)."""
    row = await _show_row(community, show_id, principal)
    if row["status"] == "cancelled":
        return _show_out(row)
    if row["status"] == "delivered":
        raise Conflict(f"status: show {show_id} took place", field="status")
    if row["starts_at"] <= mh.clock.now() and weather:
        raise Conflict(f"status: show {show_id} has begun", field="status")
    async with _tx(mh):
        await Show.update({Show.status: "cancelled", Show.cancel_reason: reason.strip(), Show.cancel_kind: "weather" if weather else "other"}).where(
            Show.id == show_id)
        for activity_id in (row["activity"], row["elders_activity"]):
            if activity_id:
                await cancel_activity(mh, activity_id)
        await audit(principal, "culture.show.cancel", "culture.show", show_id, community_id=community.id, reason=reason,
                    detail={"weather": weather})
        if weather:
            await _tell_weather(mh, community, row, reason.strip())
    return await get_show(community, show_id, principal)


async def _tell_weather(mh: Any, community: CommunityInfo, row: dict[str, Any], reason: str) -> None:
    grids = [g["grid"] for g in await VenueGrid.select(VenueGrid.grid).where(VenueGrid.venue == row["venue"])]
    residents = [r["id"] for r in await Resident.select(Resident.id).where(Resident.community == community.id, Resident.grid.is_in(grids))]
    if not residents:
        return
    settings = await settings_of(mh, community)
    when = zh_when(row["starts_at"].astimezone(community.tz))
    await notify(mh, community.slug, NoticeIn(
        scene=SCENE, key=f"culture.weather:{row['id']}", title=f"演出取消：《{row['play_title']}》",
        body=f"原定{when}在{row['venue_name']}演出的{row['troupe_name']}《{row['play_title']}》因天气原因取消（{reason}），改期另行通知。",
        residents=residents, channels=list(settings.channels),
        useful_for=max(row["starts_at"] - mh.clock.now(), timedelta(hours=1)),
    ))


async def record_show(mh: Any, community: CommunityInfo, show_id: int, data: ShowRecordIn, principal: Principal) -> ShowOut:
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
    if data.sample is not None:
        answers = (data.sample.satisfied, data.sample.basically_satisfied, data.sample.unsatisfied)
        if any(n < 0 for n in answers):
            raise InvalidInput("sample: counts of answers are not negative", field="sample")
        if sum(answers) > data.attendance:
            raise InvalidInput("sample: more people asked than the attendance", field="sample")
        values.update({Show.sample_size: sum(answers), Show.satisfied_count: answers[0], Show.basically_count: answers[1],
                       Show.unsatisfied_count: answers[2]})
    async with _tx(mh):
        await Show.update(values).where(Show.id == show_id)
        await audit(principal, "culture.show.record", "culture.show", show_id, community_id=community.id,
                    detail={"attendance": data.attendance, "before": row["attendance"], "satisfaction": data.satisfaction})
    return await get_show(community, show_id, principal)


# -- the morning after: ask for the attendance count ---------------------------------------------------


async def _who_is_asked(plan: dict[str, Any], community: CommunityInfo) -> list[int]:
    """The plan's organiser; without one, the community's admins; without them, the street admins."""
    if plan["organiser"] and await staff_works_in(plan["organiser"], community.id):
        return [plan["organiser"]]
    for clause in (StaffAssignment.community == community.id, None):
        query = StaffAssignment.select(StaffAssignment.staff).where(
            StaffAssignment.role == ("community_admin" if clause is not None else "street_admin"), StaffAssignment.staff.active.eq(True))
        if clause is not None:
            query = query.where(clause)
        staff = sorted({r["staff"] for r in await query})
        if staff:
            return staff
    return []


async def ask_for_attendance(mh: Any, community: CommunityInfo, now: datetime | None = None) -> list[int]:
    """From ``attendance_ask_hour`` the morning after a show, ask its organiser for the attendance count, once.

    A show qualifies when it ended before today (local), within ``attendance_ask_within_days``,
    is not cancelled and has no record yet. Returns the ids of the shows asked about.
    """
    now = now or mh.clock.now()
    settings = await settings_of(mh, community)
    local = now.astimezone(community.tz)
    if local.hour < settings.attendance_ask_hour:
        return []
    midnight = datetime.combine(local.date(), time(0), tzinfo=community.tz)
    shows = await Show.select(*SHOW_COLUMNS).where(
        Show.community == community.id, Show.status == "scheduled", Show.attendance.is_null(), Show.attendance_asked_at.is_null(),
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
                when = zh_when(show["starts_at"].astimezone(community.tz))
                await notify(mh, community.slug, NoticeIn(
                    scene=SCENE, key=f"culture.attendance:{show['id']}", title=f"请录入演出观众人数：《{show['play_title']}》",
                    body=(f"请录入{when}在{show['venue_name']}演出的{show['troupe_name']}《{show['play_title']}》的观众人数、群众满意度"
                          f"和村（居）委确认人（演出编号 {show['id']}）。"),
                    staff=staff, channels=list(settings.channels), useful_for=timedelta(hours=settings.attendance_ask_useful_hours),
                ))
            await audit(Principal.system("culture"), "culture.show.ask_attendance", "culture.show", show["id"], community_id=community.id,
                        detail={"asked": staff})
        asked.append(show["id"])
    return asked
