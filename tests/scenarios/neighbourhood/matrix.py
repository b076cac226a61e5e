"""The neighbourhood scenario and the kernel's volunteering in the access matrix (tests/access/test_matrix.py).

Each community (alpha, beta) has the scene on with no seconders needed, a 议事厅 whose members are
its places' residents, a planned council meeting in 2030 with one scheduled motion and the first
place's member signed in, an evening talk, and two festival events (one open for sign-ups, one past
with each place's resident rostered as a volunteer). Each place has a seconded motion in its grid
(``nb_motion_id``, no proposer), 5 points for its resident and a recorded volunteer service
(``vs_service_id``). Builders use the place's own community, so a place in another community meets
the kernel's 403 and a place in another grid the plugin's 404, the same as a missing record.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from meihao import Duration, Principal, award_points, community_today, open_item, record_volunteer_service, working_calendar
from meihao.scenarios.neighbourhood.services.follow_up import TASK
from meihao.scenarios.neighbourhood.tables import (
    Attendance,
    Ballot,
    Body,
    FestivalEvent,
    FestivalSignup,
    Meeting,
    Member,
    Motion,
    Raised,
    ResolutionTask,
    Second,
)
from meihao.volunteering.tables import PointsEntry, PointsTransfer, VolunteerService

NB = "/api/communities/{slug}/neighbourhood"
TABLES = (Body, Member, Motion, Second, Meeting, Attendance, Ballot, Raised, FestivalEvent, FestivalSignup, ResolutionTask,
          VolunteerService, PointsTransfer, PointsEntry)
UTC = timezone.utc


def _nb(w: Any, p: str, rest: str) -> str:
    return f"/api/communities/{w.slugs[p]}/neighbourhood{rest}"


async def populate(mh: Any, world: Any, places: tuple[str, ...]) -> None:
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import enable

    system = Principal.system()
    for slug in ("alpha", "beta"):
        await enable(mh, slug, "neighbourhood", {"seconders_required": 0})
        community = await get_community(slug)
        mine = [p for p in places if world.slugs[p] == slug]
        body = Body(community=community.id, kind="council", name="家门口议事厅")
        await body.save()
        members = {}
        for p in mine:
            ids = world.places[p]
            member = Member(body=body.id, resident=ids["resident_id"], household=ids["household_id"], role="representative",
                            term_start=date(2026, 1, 1), term_end=date(2030, 12, 31))
            await member.save()
            members[p] = member.id
        starts = datetime(2030, 5, 1, 11, 0, tzinfo=UTC)
        meeting = Meeting(community=community.id, body=body.id, kind="council", title="议事厅例会", starts_at=starts,
                          ends_at=datetime(2030, 5, 1, 13, 0, tzinfo=UTC))
        await meeting.save()
        scheduled = Motion(community=community.id, grid=None, body=body.id, title="会上议题", state="scheduled", meeting=meeting.id)
        await scheduled.save()
        await Attendance.insert(Attendance(meeting=meeting.id, member=members[mine[0]]))
        talk = Meeting(community=community.id, body=None, kind="evening_talk", title="闻韶夜话", starts_at=starts,
                       ends_at=datetime(2030, 5, 1, 13, 0, tzinfo=UTC))
        await talk.save()
        # a meeting nobody signed in at: short of its quorum, it may be called again (二次召集)
        short = Meeting(community=community.id, body=body.id, kind="council", title="议事厅流会", starts_at=starts,
                        ends_at=datetime(2030, 5, 1, 13, 0, tzinfo=UTC))
        await short.save()
        # a working day two weeks or more from today, for a task's due date
        calendar = await working_calendar(mh, community)
        due_on = calendar.next_workday(community_today(mh, community) + timedelta(days=14)).isoformat()
        event = FestivalEvent(community=community.id, festival="邻里节", title="百家宴", starts_at=starts, ends_at=starts, capacity=100,
                              volunteers_needed=10)
        await event.save()
        past = FestivalEvent(community=community.id, festival="邻里节", title="跳蚤市场", starts_at=datetime(2025, 6, 1, 2, tzinfo=UTC),
                             ends_at=datetime(2025, 6, 1, 5, tzinfo=UTC), capacity=100, volunteers_needed=10)
        await past.save()
        for p in mine:
            ids = world.places[p]
            motion = Motion(community=community.id, grid=ids["grid_id"], body=body.id, title="网格议题", state="seconded")
            await motion.save()
            await FestivalSignup.insert(FestivalSignup(event=past.id, resident=ids["resident_id"], role="volunteer"))
            # a resolution in the place's grid with one follow-up task (a kernel work item)
            resolved = Motion(community=community.id, grid=ids["grid_id"], body=body.id, title="已决议题", state="resolved")
            await resolved.save()
            item = await open_item(mh, system, TASK, community, kind="resolution_task", title="决议落实", grid=ids["grid_id"],
                                   subject=("neighbourhood_motion", resolved.id), durations={"due": Duration(working_days=5, by_close=True)})
            task = ResolutionTask(motion=resolved.id, community=community.id, item=item["id"], title="落实", due_on=date(2030, 1, 7))
            await task.save()
            await award_points(mh, system, community, ids["resident_id"], 5, reason="矩阵")
            service = await record_volunteer_service(mh, system, community, ids["resident_id"], hours=2, activity="助老服务",
                                                     served_on=date(2025, 6, 1))
            ids.update(nb_body_id=body.id, nb_member_id=members[p], nb_first_member_id=members[mine[0]], nb_meeting_id=meeting.id,
                       nb_scheduled_id=scheduled.id, nb_talk_id=talk.id, nb_event_id=event.id, nb_past_event_id=past.id,
                       nb_motion_id=motion.id, vs_service_id=service["id"], nb_resolved_id=resolved.id, nb_task_id=task.id,
                       nb_short_id=short.id, nb_due_on=due_on)


def _motion(rest: str = "", body: Any = None) -> Any:
    return lambda w, p: (_nb(w, p, f"/motions/{w.places[p]['nb_motion_id']}{rest}"), body)


RECORD_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{NB}/motions/{{motion_id}}"): _motion(),
    ("POST", f"{NB}/motions/{{motion_id}}/seconds"): lambda w, p: (
        _nb(w, p, f"/motions/{w.places[p]['nb_motion_id']}/seconds"), {"resident_id": w.places[p]["resident_id"]}),
    ("POST", f"{NB}/motions/{{motion_id}}/review"): _motion("/review", {"approve": True}),
    ("POST", f"{NB}/motions"): lambda w, p: (
        _nb(w, p, "/motions"), {"body_id": w.places[p]["nb_body_id"], "title": "新议题", "proposer_id": w.places[p]["resident_id"]}),
    ("POST", f"{NB}/bodies/{{body_id}}/members"): lambda w, p: (
        _nb(w, p, f"/bodies/{w.places[p]['nb_body_id']}/members"),
        {"role": "representative", "resident_id": w.places[p]["resident_id"], "term_start": "2031-01-01", "term_end": "2031-12-31"}),
    ("POST", f"{NB}/festival/{{event_id}}/signups"): lambda w, p: (
        _nb(w, p, f"/festival/{w.places[p]['nb_event_id']}/signups"), {"resident_id": w.places[p]["resident_id"]}),
    ("POST", f"{NB}/festival/{{event_id}}/shifts"): lambda w, p: (
        _nb(w, p, f"/festival/{w.places[p]['nb_past_event_id']}/shifts"), {"resident_id": w.places[p]["resident_id"], "hours": 3}),
    ("GET", f"{NB}/motions/{{motion_id}}/tasks"): lambda w, p: (_nb(w, p, f"/motions/{w.places[p]['nb_resolved_id']}/tasks"), None),
    ("POST", f"{NB}/motions/{{motion_id}}/tasks"): lambda w, p: (
        _nb(w, p, f"/motions/{w.places[p]['nb_resolved_id']}/tasks"), {"title": "复核", "owner_id": w.staff["community_admin"], "due_on": w.places[p]["nb_due_on"]}),
    ("POST", f"{NB}/motions/{{motion_id}}/tasks/{{task_id}}/reports"): lambda w, p: (
        _nb(w, p, f"/motions/{w.places[p]['nb_resolved_id']}/tasks/{w.places[p]['nb_task_id']}/reports"), {"state": "in_progress", "note": "推进中"}),
    ("POST", f"{NB}/meetings/{{meeting_id}}/raised"): lambda w, p: (
        _nb(w, p, f"/meetings/{w.places[p]['nb_talk_id']}/raised"), {"text": "健身器材损坏", "resident_id": w.places[p]["resident_id"]}),
}

# A motion of another grid answers exactly as one that does not exist.
MISSING_ROUTES: dict[tuple[str, str], Any] = {
    route: (lambda build: lambda w, p: (
        build(w, p)[0].replace(f"/motions/{w.places[p]['nb_motion_id']}", "/motions/987654")
        .replace(f"/motions/{w.places[p]['nb_resolved_id']}/", "/motions/987654/"), build(w, p)[1]))(build)
    for route, build in RECORD_ROUTES.items()
    if "{motion_id}" in route[1]
}


def _m(rest: str, body: Any = None) -> Any:
    return lambda w, p: (_nb(w, p, f"/meetings/{w.places[p]['nb_meeting_id']}{rest}"), body)


COMMUNITY_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", f"{NB}/bodies"): lambda w, p: (_nb(w, p, "/bodies"), None),
    ("POST", f"{NB}/bodies"): lambda w, p: (_nb(w, p, "/bodies"), {"kind": "design_committee", "name": "美好生活设计委员会"}),
    ("GET", f"{NB}/bodies/{{body_id}}/members"): lambda w, p: (_nb(w, p, f"/bodies/{w.places[p]['nb_body_id']}/members"), None),
    ("GET", f"{NB}/motions"): lambda w, p: (_nb(w, p, "/motions"), None),
    ("GET", f"{NB}/meetings"): lambda w, p: (_nb(w, p, "/meetings"), None),
    ("POST", f"{NB}/meetings"): lambda w, p: (_nb(w, p, "/meetings"), {
        "kind": "evening_talk", "title": "闻韶夜话", "starts_at": "2030-06-01T19:00:00", "ends_at": "2030-06-01T21:00:00"}),
    ("GET", f"{NB}/meetings/{{meeting_id}}"): _m(""),
    ("POST", f"{NB}/meetings/{{meeting_id}}/cancel"): _m("/cancel"),
    ("POST", f"{NB}/meetings/{{meeting_id}}/attendance"): lambda w, p: (
        _nb(w, p, f"/meetings/{w.places[p]['nb_meeting_id']}/attendance"), {"member_ids": [w.places[p]["nb_member_id"]]}),
    ("POST", f"{NB}/meetings/{{meeting_id}}/motions/{{motion_id}}/votes"): lambda w, p: (
        _nb(w, p, f"/meetings/{w.places[p]['nb_meeting_id']}/motions/{w.places[p]['nb_scheduled_id']}/votes"),
        {"member_id": w.places[p]["nb_first_member_id"], "choice": "yes"}),
    ("POST", f"{NB}/meetings/{{meeting_id}}/count"): _m("/count"),
    ("POST", f"{NB}/meetings/{{meeting_id}}/second-call"): lambda w, p: (
        _nb(w, p, f"/meetings/{w.places[p]['nb_short_id']}/second-call"), {"starts_at": "2030-05-08T19:00:00", "ends_at": "2030-05-08T21:00:00"}),
    ("PUT", f"{NB}/meetings/{{meeting_id}}/minutes"): _m("/minutes", {"minutes": "会议纪要"}),
    ("GET", f"{NB}/festival"): lambda w, p: (_nb(w, p, "/festival"), None),
    ("POST", f"{NB}/festival"): lambda w, p: (_nb(w, p, "/festival"), {
        "festival": "邻里节", "title": "才艺展示", "starts_at": "2030-06-01T09:00:00", "ends_at": "2030-06-01T11:00:00", "capacity": 50}),
}

# The kernel's volunteering routes name a resident (or a record of one): outside the scope a 404 as if missing.
KERNEL_RECORD_ROUTES: dict[tuple[str, str], Any] = {
    ("GET", "/api/residents/{resident_id}/volunteering"): lambda w, p: (f"/api/residents/{w.places[p]['resident_id']}/volunteering", None),
    ("POST", "/api/residents/{resident_id}/volunteering/records"): lambda w, p: (
        f"/api/residents/{w.places[p]['resident_id']}/volunteering/records", {"activity": "楼道清理", "hours": 1.5}),
    ("POST", "/api/residents/{resident_id}/volunteering/spend"): lambda w, p: (
        f"/api/residents/{w.places[p]['resident_id']}/volunteering/spend", {"points": 1, "reason": "积分超市"}),
    ("POST", "/api/volunteering/records/{record_id}/verify"): lambda w, p: (
        f"/api/volunteering/records/{w.places[p]['vs_service_id']}/verify", {}),
}
