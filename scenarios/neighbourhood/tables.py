"""The neighbourhood tables: self-governing bodies and their members, motions (议题) with seconders, meetings with
attendance and ballots, and the neighbourhood festival's (邻里节) events with sign-ups."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Community, Grid, Household, Resident, Staff


class Body(Table, tablename="neighbourhood_body"):
    """A self-governing body: 居民会议, 居民代表会议, 家门口议事厅 or 美好生活设计委员会 (``kind``).

    ``vote_by`` ``member`` (one vote each) or ``household`` (one vote per household, 每户派代表).
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    #: ``residents_meeting``, ``representatives``, ``council`` (议事厅), ``design_committee``.
    kind = Varchar(length=32)
    name = Varchar(length=100)
    vote_by = Varchar(length=16, default="member")


class Member(Table, tablename="neighbourhood_member"):
    """A member of a body for a term: a resident (representative, party member, owners' committee) or an organisation's delegate."""

    body = ForeignKey(Body, on_delete=OnDelete.cascade, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.set_null, null=True, default=None)
    #: The delegate's name when not a resident (物业公司、业委会的代表).
    name = Varchar(length=100, default="")
    #: ``representative``, ``party_member``, ``property``, ``owners_committee``, ``resident``.
    role = Varchar(length=32)
    term_start = Date()
    term_end = Date()


class Motion(Table, tablename="neighbourhood_motion"):
    """议题 a motion: proposed, seconded (附议), reviewed by the party organisation, put on a meeting's agenda, voted, published.

    ``grid`` is the proposer's grid (the motion's scope: grid staff see their grids' motions, the
    community's admins all). The tally is kept here once counted.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    body = ForeignKey(Body, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    text = Text(default="")
    proposer = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None)
    #: ``open`` 举手 or ``secret`` 无记名.
    ballot = Varchar(length=16, default="open")
    #: proposed, seconded, approved (党组织审核通过), declined, scheduled, passed, failed, resolved.
    state = Varchar(length=16, default="proposed", index=True)
    review_note = Text(default="")
    meeting = Integer(null=True, default=None, index=True)
    eligible = Integer(null=True, default=None)
    present = Integer(null=True, default=None)
    ayes = Integer(null=True, default=None)
    noes = Integer(null=True, default=None)
    abstentions = Integer(null=True, default=None)
    quorum_met = Boolean(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    notice_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Second(Table, tablename="neighbourhood_second"):
    """附议 a resident seconds a motion (once)."""

    motion = ForeignKey(Motion, on_delete=OnDelete.cascade, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow())


class Meeting(Table, tablename="neighbourhood_meeting"):
    """A meeting of a body (居民会议, 代表会议, 议事会) or an evening talk (闻韶夜话, without votes); reminders through the kernel's activity."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    body = ForeignKey(Body, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    #: ``residents_meeting``, ``representatives``, ``council``, ``evening_talk``.
    kind = Varchar(length=32)
    title = Varchar(length=200)
    venue = Varchar(length=200, default="")
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    activity = Integer(null=True, default=None)
    #: Speaking rules (发言规则) as notes, and the minutes (会议纪要) once held.
    rules = Text(default="")
    minutes = Text(default="")
    #: ``planned``, ``held``, ``cancelled``, ``adjourned`` (流会: without its quorum, called again).
    state = Varchar(length=16, default="planned", index=True)
    created_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    #: The meeting this one calls again (二次召集): its count uses the body kind's second-call quorum.
    second_call_of = Integer(null=True, default=None)


class Attendance(Table, tablename="neighbourhood_attendance"):
    """A member signed in at a meeting (签到)."""

    meeting = ForeignKey(Meeting, on_delete=OnDelete.cascade, index=True)
    member = ForeignKey(Member, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(default=TimestamptzNow())


class Ballot(Table, tablename="neighbourhood_ballot"):
    """One vote on a motion: ``yes``, ``no`` or ``abstain``; ``household`` set when the body votes per household."""

    motion = ForeignKey(Motion, on_delete=OnDelete.cascade, index=True)
    member = ForeignKey(Member, on_delete=OnDelete.cascade, index=True)
    household = Integer(null=True, default=None)
    choice = Varchar(length=8)


class Raised(Table, tablename="neighbourhood_raised"):
    """What a resident raised at an evening talk (闻韶夜话), noted, and the motion it became (if it did)."""

    meeting = ForeignKey(Meeting, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None)
    text = Text()
    motion = Integer(null=True, default=None)


class FestivalEvent(Table, tablename="neighbourhood_festival_event"):
    """A sub-event of the neighbourhood festival (邻里节: 百家宴, 才艺展示, 跳蚤市场 …) with its capacity and volunteers needed."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    festival = Varchar(length=100)
    title = Varchar(length=100)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    capacity = Integer()
    volunteers_needed = Integer(default=0)


class FestivalSignup(Table, tablename="neighbourhood_festival_signup"):
    """A resident signed up for a festival event, as a participant or a volunteer (``role``); ``hours`` once the shift is served."""

    event = ForeignKey(FestivalEvent, on_delete=OnDelete.cascade, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, index=True)
    #: ``participant`` or ``volunteer``.
    role = Varchar(length=16, default="participant")
    service = Integer(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())


class ResolutionTask(Table, tablename="neighbourhood_resolution_task"):
    """A follow-up task of a resolution (决议落实): a kernel work item (``item``) with its owner and due date.

    The work item holds the state, the history (progress reports are its transitions' reasons) and
    the clock; ``state`` mirrors it, written in the same transaction, for the figures.
    """

    motion = ForeignKey(Motion, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    item = Integer(index=True)
    title = Varchar(length=200)
    owner = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    due_on = Date()
    state = Varchar(length=16, default="open")
    created_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [Body, Member, Motion, Second, Meeting, Attendance, Ballot, Raised, FestivalEvent, FestivalSignup,
                             ResolutionTask]
