"""Demo data of the culture scenario (``meihao demo``): troupes, venues, tour plans, shows held and shows ahead.

城关 "老街坊" is the old town: its squares and halls get local 吕剧 (Lü opera, Shandong's own)
from the county troupe, the city's 吕剧院, the provincial 京剧院 and the old-town opera fans'
club. Shows already held this year carry their records; last night's show has none yet (the
morning job asks for it), and shows tomorrow and the day after make reminders fall due
during a demo run.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from meihao import ActivityIn, CommunityInfo, Principal, community_now, create_activity
from meihao.tables import Grid

from .schemas import CultureSettings, PlaceIn, PlanIn, PlanOut, PlayIn, PlayOut, ShowIn, TroupeIn, TroupeOut, VenueIn, VenueOut
from .services.common import LEVELS_ZH
from .services.places import create_place, programme_of
from .services.plans import create_plan
from .services.shows import check_season, create_show
from .services.troupes import create_troupe
from .services.venues import create_venue
from .tables import Show, VenueGrid

SYSTEM = Principal.system("meihao demo")

TROUPES = [
    ("济阳区吕剧团", "county", "韩团长", [("李二嫂改嫁", "吕剧", 150), ("小姑贤", "吕剧", 120), ("墙头记", "吕剧", 120)]),
    ("济南市吕剧院", "city", "高主任", [("姊妹易嫁", "吕剧", 130), ("王小赶脚", "吕剧", 60)]),
    ("山东省京剧院", "province", "田老师", [("锁麟囊", "京剧", 150), ("红灯记（选场）", "京剧", 90)]),
    ("城关老街坊戏迷票友会", "folk", "贾大爷", [("戏曲名段联唱", "吕剧", 90)]),
]

#: The places "一村一年一场戏" counts: the old town is an urban community (戏曲进社区); 北关 and 南关 are former
#: villages whose villagers became residents (村改居, as the source says of 济阳's residents).
PLACES = [("城关老城区", "urban"), ("北关村（村改居）", "cungaiju"), ("南关村（村改居）", "cungaiju")]

#: (name, kind, grid index, served grid indexes, place index)
VENUES = [
    ("城关老街文化广场", "village_square", 0, [0, 3], 0),
    ("北关文体广场", "village_square", 1, [], 1),
    ("南关社区综合文化服务中心", "community_hall", 2, [4], 2),
]

FEEDBACK = [
    "老戏迷们说唱得地道，希望多来几场", "《李二嫂改嫁》百看不厌，大家跟着哼唱", "天冷了，建议下午场早点开演",
    "孩子们第一次看吕剧，很新鲜", "音响有点小，后排听不清", "演员下台和老人们拉呱，很亲切",
]
CONFIRMERS = ["城关社区居委会 刘桂芝", "北关居民小组 王振华", "南关居民小组 赵玉兰"]


async def fill(mh: Any, community: CommunityInfo, settings: CultureSettings, seed: int) -> None:
    rng = random.Random(f"meihao demo culture {seed} {community.slug}")
    grids = [g["id"] for g in await Grid.select(Grid.id).where(Grid.community == community.id).order_by(Grid.code)]
    if not grids:
        return
    troupes = [
        await create_troupe(mh, community, TroupeIn(
            name=name, level=level, contact_name=contact,
            repertoire=[PlayIn(title=title, genre=genre, duration_minutes=minutes) for title, genre, minutes in plays]), SYSTEM)
        for name, level, contact, plays in TROUPES
    ]
    places = [await create_place(mh, community, PlaceIn(name=name, kind=kind), SYSTEM) for name, kind in PLACES]  # type: ignore[arg-type]
    venues = []
    for name, kind, own, served, place in VENUES:
        if own >= len(grids):
            continue
        venues.append(await create_venue(mh, community, VenueIn(
            name=name, kind=kind, grid_id=grids[own], serves_grid_ids=[grids[i] for i in served if i < len(grids)],  # type: ignore[arg-type]
            place_id=places[place].id), SYSTEM))
    now = community_now(mh, community)
    today = now.date()
    spring = await create_plan(mh, community, PlanIn(
        name=f"{today.year}年春季戏曲进乡村", season_start=date(today.year, 3, 1), season_end=date(today.year, 4, 30),
        procurement_lot=f"JY-XQ-{today.year}-01"), SYSTEM)
    current = await create_plan(mh, community, PlanIn(
        name=f"{today.year}年{today.month}月送戏下乡", season_start=today - timedelta(days=20), season_end=today + timedelta(days=40),
        procurement_lot=f"JY-XQ-{today.year}-{today.month:02d}"), SYSTEM)

    def pick() -> tuple[TroupeOut, PlayOut]:
        troupe = rng.choice(troupes)
        return troupe, rng.choice(troupe.repertoire)

    # held this spring, and earlier this month: with their records
    held = [datetime.combine(date(today.year, 3, 8) + timedelta(days=9 * k), time(14, 30)) for k in range(6)]
    held += [datetime.combine(today - timedelta(days=d), time(19, 0)) for d in (12, 5)]
    for index, when in enumerate(held):
        if when >= now.replace(tzinfo=None) - timedelta(days=1):
            continue
        plan = spring if when.month in (3, 4) else current
        if not plan.season_start <= when.date() <= plan.season_end:
            continue
        troupe, play = pick()
        venue = _fitting(settings, community, venues, venues[index % len(venues)], when)
        await _past_show(mh, community, settings, plan, venue, troupe, play, when, rng, recorded=True)
    # last night: not recorded yet, so the organiser is asked the morning after
    troupe, play = pick()
    last_night = datetime.combine(today - timedelta(days=1), time(19, 0))
    await _past_show(mh, community, settings, current, _fitting(settings, community, venues, venues[0], last_night), troupe, play,
                     last_night, rng, recorded=False)
    # ahead: tomorrow evening (elders first; indoors in winter and the farming season) and the afternoon after
    for days, at, elders_first, venue in ((1, time(19, 0), True, venues[0]), (2, time(14, 30), False, venues[-1])):
        venue = _fitting(settings, community, venues, venue, datetime.combine(today + timedelta(days=days), at))
        troupe, play = pick()
        await create_show(mh, community, current.id, ShowIn(
            venue_id=venue.id, troupe_id=troupe.id, play_id=play.id, starts_at=datetime.combine(today + timedelta(days=days), at),
            elders_first=elders_first), SYSTEM)


def _fitting(settings: CultureSettings, community: CommunityInfo, venues: list[VenueOut], venue: VenueOut, when: datetime) -> VenueOut:
    """``venue``, or the community hall when an outdoor evening show there would fall in winter or the farming season."""
    try:
        check_season(settings, {"kind": venue.kind}, when.replace(tzinfo=community.tz), community)
    except Exception:  # noqa: BLE001 — InvalidInput: play indoors
        return next((v for v in venues if v.kind == "community_hall"), venue)
    return venue


async def _past_show(mh: Any, community: CommunityInfo, settings: CultureSettings, plan: PlanOut, venue: VenueOut,
                     troupe: TroupeOut, play: PlayOut, when: datetime, rng: random.Random, *, recorded: bool) -> None:
    """A show that has taken place, written straight into the table (the API plans shows ahead only)."""
    starts = when.replace(tzinfo=community.tz)
    ends = starts + timedelta(minutes=play.duration_minutes)
    grids = [g["grid"] for g in await VenueGrid.select(VenueGrid.grid).where(VenueGrid.venue == venue.id)]
    title = f"{await programme_of(community.id, venue.place_id)}·{play.genre}《{play.title}》"
    description = f"{troupe.name}（{LEVELS_ZH[troupe.level]}）演出{play.genre}《{play.title}》"
    show = Show(
        community=community.id, plan=plan.id, venue=venue.id, grid=venue.grid_id, troupe=troupe.id, play=play.id,
        day=starts.date(), starts_at=starts, ends_at=ends, status="scheduled", activity=0, subsidy_fen=(settings.subsidy_per_show_yuan or 0) * 100,
    )
    await show.save()
    activity = await create_activity(mh, community.slug, ActivityIn(
        scene="culture", title=title, description=description, venue=venue.name, starts_at=starts, ends_at=ends,
        audience={"grids": grids}, reminder_offsets=[settings.remind_day_before_minutes], source=f"culture.show:{show.id}"))
    values: dict[Any, Any] = {Show.activity: activity["id"]}
    if recorded:
        asked = rng.randint(20, 40)  # the audience sample for the 满意率
        unhappy = rng.randint(0, 2)
        basically = rng.randint(2, 8)
        values.update({
            Show.sample_size: asked, Show.satisfied_count: asked - basically - unhappy, Show.basically_count: basically,
            Show.unsatisfied_count: unhappy,
            Show.status: "delivered", Show.attendance: rng.randint(80, 420),
            Show.satisfaction: rng.choices(["satisfied", "basically_satisfied", "unsatisfied"], [8, 3, 1])[0],
            Show.feedback: rng.choice(FEEDBACK), Show.confirmed_by: rng.choice(CONFIRMERS), Show.recorded_by: "城关社区文化专干",
            Show.recorded_at: ends + timedelta(hours=14),
        })
    await Show.update(values).where(Show.id == show.id)
