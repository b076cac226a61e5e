"""neighbourhood's routes, mounted by the kernel under /api/communities/{slug}/neighbourhood. Thin: the work is in services."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from meihao import Caller, CurrentCommunity, InvalidInput, Runtime, requires

from .schemas import (
    AttendanceIn,
    BodyIn,
    BodyOut,
    FestivalEventIn,
    FestivalEventOut,
    MeetingIn,
    MeetingOut,
    MemberIn,
    MemberOut,
    MinutesIn,
    MotionIn,
    MotionOut,
    ProgressIn,
    RaisedIn,
    RaisedOut,
    ReviewIn,
    SecondCallIn,
    SecondIn,
    ShiftIn,
    SignupIn,
    TaskIn,
    TaskOut,
    VoteIn,
)
from .services import council, festival, follow_up

READ = "neighbourhood.read"
PROPOSE = "neighbourhood.motion.write"
REVIEW = "neighbourhood.motion.review"
MEETINGS = "neighbourhood.meeting.manage"
FESTIVAL = "neighbourhood.festival.manage"
SIGNUP = "neighbourhood.festival.signup"

STATES = ("proposed", "seconded", "approved", "declined", "scheduled", "passed", "failed", "resolved")


class BodyController(Controller):
    """The self-governing bodies (居民会议, 代表会议, 家门口议事厅, 美好生活设计委员会) and their members with terms."""

    path = "/bodies"

    @get("/", guards=[requires(READ)])
    async def list_bodies(self, community: CurrentCommunity) -> list[BodyOut]:
        return await council.list_bodies(community)

    @post("/", guards=[requires(MEETINGS)])
    async def create_body(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[BodyIn]) -> BodyOut:
        return await council.create_body(meihao, principal, community, data)

    @get("/{body_id:int}/members", guards=[requires(READ)])
    async def list_members(self, community: CurrentCommunity, body_id: FromPath[int]) -> list[MemberOut]:
        return await council.list_members(community, body_id)

    @post("/{body_id:int}/members", guards=[requires(MEETINGS)])
    async def add_member(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, body_id: FromPath[int], data: JSONBody[MemberIn]
    ) -> MemberOut:
        return await council.add_member(meihao, principal, community, body_id, data)


class MotionController(Controller):
    """议题 motions: proposed, seconded (附议), reviewed by the party organisation, then on an agenda."""

    path = "/motions"

    @get("/", guards=[requires(READ)])
    async def list_motions(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, status: FromQuery[str | None] = None
    ) -> list[MotionOut]:
        """Motions in the caller's scope (their grids' proposers; the community's admins all), newest first; ``status`` a state."""
        if status is not None and status not in STATES:
            raise InvalidInput(f"status: one of {', '.join(STATES)}", field="status")
        return await council.list_motions(meihao, principal, community, status)

    @post("/", guards=[requires(PROPOSE)])
    async def propose(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[MotionIn]) -> MotionOut:
        return await council.propose(meihao, principal, community, data)

    @get("/{motion_id:int}", guards=[requires(READ)])
    async def get_motion(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, motion_id: FromPath[int]) -> MotionOut:
        return await council.get_motion(meihao, principal, community, motion_id)

    @post("/{motion_id:int}/seconds", guards=[requires(PROPOSE)])
    async def second(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, motion_id: FromPath[int], data: JSONBody[SecondIn]
    ) -> MotionOut:
        """附议 a resident seconds the motion; at the threshold (setting) it waits for the party organisation's review."""
        return await council.second(meihao, principal, community, motion_id, data.resident_id)

    @post("/{motion_id:int}/review", guards=[requires(REVIEW)], status_code=200)
    async def review(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, motion_id: FromPath[int], data: JSONBody[ReviewIn]
    ) -> MotionOut:
        """党组织审核: approve (it may go on an agenda) or decline with a note."""
        return await council.review(meihao, principal, community, motion_id, data)

    @get("/{motion_id:int}/tasks", guards=[requires(READ)])
    async def list_tasks(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, motion_id: FromPath[int]) -> list[TaskOut]:
        """决议落实: a resolution's follow-up tasks with their work items' state, flag and progress reports."""
        return await follow_up.list_tasks(meihao, principal, community, motion_id)

    @post("/{motion_id:int}/tasks", guards=[requires(MEETINGS)])
    async def add_task(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, motion_id: FromPath[int], data: JSONBody[TaskIn]
    ) -> TaskOut:
        """A follow-up task on a resolution: a kernel work item owned by a staff member, due on a working day."""
        return await follow_up.add_task(meihao, principal, community, motion_id, data)

    @post("/{motion_id:int}/tasks/{task_id:int}/reports", guards=[requires(PROPOSE)], status_code=200)
    async def report(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, motion_id: FromPath[int], task_id: FromPath[int],
        data: JSONBody[ProgressIn],
    ) -> TaskOut:
        """A progress report: ``in_progress``, ``done`` or ``cancelled``, with what was done."""
        return await follow_up.report(meihao, principal, community, motion_id, task_id, data)


class MeetingController(Controller):
    """Meetings: agenda sent ahead with reminders, sign-in, votes, the count, minutes; evening talks (闻韶夜话)."""

    path = "/meetings"

    @get("/", guards=[requires(READ)])
    async def list_meetings(self, community: CurrentCommunity) -> list[MeetingOut]:
        return await council.list_meetings(community)

    @post("/", guards=[requires(MEETINGS)])
    async def schedule(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[MeetingIn]) -> MeetingOut:
        return await council.schedule_meeting(meihao, principal, community, data)

    @get("/{meeting_id:int}", guards=[requires(READ)])
    async def get_meeting(self, community: CurrentCommunity, meeting_id: FromPath[int]) -> MeetingOut:
        return await council.get_meeting(community, meeting_id)

    @post("/{meeting_id:int}/cancel", guards=[requires(MEETINGS)], status_code=200)
    async def cancel(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, meeting_id: FromPath[int]) -> MeetingOut:
        return await council.cancel_meeting(meihao, principal, community, meeting_id)

    @post("/{meeting_id:int}/second-call", guards=[requires(MEETINGS)])
    async def second_call(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, meeting_id: FromPath[int], data: JSONBody[SecondCallIn]
    ) -> MeetingOut:
        """二次召集: a meeting short of its quorum is adjourned and called again, where the body kind's rules have a second call."""
        return await council.call_again(meihao, principal, community, meeting_id, data)

    @post("/{meeting_id:int}/attendance", guards=[requires(MEETINGS)], status_code=200)
    async def sign_in(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, meeting_id: FromPath[int], data: JSONBody[AttendanceIn]
    ) -> MeetingOut:
        return await council.sign_in(meihao, principal, community, meeting_id, data.member_ids)

    @post("/{meeting_id:int}/motions/{motion_id:int}/votes", guards=[requires(MEETINGS)])
    async def vote(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, meeting_id: FromPath[int], motion_id: FromPath[int],
        data: JSONBody[VoteIn],
    ) -> dict[str, Any]:
        return await council.vote(meihao, principal, community, meeting_id, motion_id, data)

    @post("/{meeting_id:int}/count", guards=[requires(MEETINGS)], status_code=200)
    async def count(self, community: CurrentCommunity, principal: Caller, meihao: Runtime, meeting_id: FromPath[int]) -> MeetingOut:
        """计票: each motion on the agenda against its body's quorum and passing rule; the results go on notice."""
        return await council.count(meihao, principal, community, meeting_id)

    @put("/{meeting_id:int}/minutes", guards=[requires(MEETINGS)])
    async def minutes(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, meeting_id: FromPath[int], data: JSONBody[MinutesIn]
    ) -> MeetingOut:
        return await council.write_minutes(meihao, principal, community, meeting_id, data.minutes)

    @post("/{meeting_id:int}/raised", guards=[requires(PROPOSE)])
    async def raised(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, meeting_id: FromPath[int], data: JSONBody[RaisedIn]
    ) -> RaisedOut:
        """What a resident raised at an evening talk; ``as_motion_of`` a body makes it a motion in one step."""
        return await council.note_raised(meihao, principal, community, meeting_id, data)


class FestivalController(Controller):
    """邻里节 the festival's events, sign-ups and volunteer shifts."""

    path = "/festival"

    @get("/", guards=[requires(READ)])
    async def list_events(self, community: CurrentCommunity) -> list[FestivalEventOut]:
        return await festival.list_events(community)

    @post("/", guards=[requires(FESTIVAL)])
    async def create_event(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, data: JSONBody[FestivalEventIn]
    ) -> FestivalEventOut:
        return await festival.create_event(meihao, principal, community, data)

    @post("/{event_id:int}/signups", guards=[requires(SIGNUP)])
    async def sign_up(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: FromPath[int], data: JSONBody[SignupIn]
    ) -> FestivalEventOut:
        return await festival.sign_up(meihao, principal, community, event_id, data)

    @post("/{event_id:int}/shifts", guards=[requires(SIGNUP)])
    async def serve_shift(
        self, community: CurrentCommunity, principal: Caller, meihao: Runtime, event_id: FromPath[int], data: JSONBody[ShiftIn]
    ) -> dict[str, Any]:
        """A rostered volunteer served: the kernel records the hours, counted once staff verify them."""
        return await festival.serve_shift(meihao, principal, community, event_id, data)


HANDLERS = [BodyController, MotionController, MeetingController, FestivalController]
