"""Tables of volunteering (a deleted resident takes their records and transfers, both entries of each, with them): service records (hours) and the points ledger (transfers, each two entries summing to zero)."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.access.tables import Staff
from meihao.register.tables import Community, Resident


class VolunteerService(Table, tablename="meihao_volunteer_service"):
    """One spell of volunteer service by a resident: what, when, how long; counted only once staff verify it.

    ``scenario`` and ``subject_table``/``subject_id`` name the scene's record served (a festival
    shift, a nursing-home visit, a market stall); ``minutes`` is the length claimed;
    ``state`` is ``recorded``, ``verified`` or ``rejected`` (verified by staff in scope, never edited after).
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, index=True)
    scenario = Varchar(length=64, default="")
    subject_table = Varchar(length=64, default="")
    subject_id = Integer(null=True, default=None)
    activity = Varchar(length=200)
    served_on = Date(index=True)
    minutes = Integer()
    state = Varchar(length=16, default="recorded", index=True)
    recorded_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    verified_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)


class PointsTransfer(Table, tablename="meihao_points_transfer"):
    """One movement of points (earned, spent, or the reversal of an earlier transfer); its entries sum to zero.

    Append-only: a mistake is corrected by a reversal (``reverses``), never by an edit.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, index=True)
    #: ``earn`` (issued to the resident), ``spend`` (paid by the resident), ``penalty`` (taken back from her for a no-show,
    #: against ``issued``), ``reversal``.
    kind = Varchar(length=16)
    points = Integer()
    scenario = Varchar(length=64, default="")
    reason = Text(default="")
    service = ForeignKey(VolunteerService, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    reverses = Integer(null=True, default=None, index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())


class PointsEntry(Table, tablename="meihao_points_entry"):
    """One side of a transfer: ``account`` ``resident`` (the resident's balance), ``issued`` or ``spent`` (the community's)."""

    transfer = ForeignKey(PointsTransfer, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    account = Varchar(length=16)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    points = Integer()


class VolunteerTeam(Table, tablename="meihao_volunteer_team"):
    """A volunteer team of a community: its own (社区志愿服务队), a 新时代文明实践所 team, the 社工站, a partner organisation's.

    ``kind`` is one of :data:`meihao.volunteering.shifts.TEAM_KINDS`; ``partner`` names the organisation of a partner team.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=100)
    kind = Varchar(length=32, default="community")
    partner = Varchar(length=200, default="")
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class VolunteerMember(Table, tablename="meihao_volunteer_member"):
    """A resident in a team, with the skills she brings and when she is free (both as she or staff put them)."""

    team = ForeignKey(VolunteerTeam, on_delete=OnDelete.cascade, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=False, index=True)
    skills = Varchar(length=200, default="")
    availability = Varchar(length=200, default="")
    joined_on = Date(default=DateNow())


class VolunteerShift(Table, tablename="meihao_volunteer_shift"):
    """A shift at a venue that needs ``needed`` volunteers (a festival's kitchen, a nursing-home visit, a market day's stall).

    ``team`` is the team asked first (optional); ``scenario``/``subject_table``/``subject_id`` name the scene's record served,
    and go into the service records the shift's check-outs make.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    team = ForeignKey(VolunteerTeam, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    title = Varchar(length=200)
    place = Varchar(length=200, default="")
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    needed = Integer()
    scenario = Varchar(length=64, default="")
    subject_table = Varchar(length=64, default="")
    subject_id = Integer(null=True, default=None)
    created_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    #: when staff recorded the no-shows (once, after the shift)
    closed_at = Timestamptz(null=True, default=None)


class VolunteerSignup(Table, tablename="meihao_volunteer_signup"):
    """A resident's sign-up for a shift and what became of it.

    ``state``: ``signed_up``, ``checked_in``, ``served`` (checked out: ``service`` is the service record made, still to verify),
    ``no_show`` (never checked in), ``cancelled``. ``signed_up_by`` is the staff member, or None when the resident signed up herself.
    """

    shift = ForeignKey(VolunteerShift, on_delete=OnDelete.cascade, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=False, index=True)
    state = Varchar(length=16, default="signed_up", index=True)
    signed_up_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    signed_up_at = Timestamptz(default=TimestamptzNow())
    checked_in_at = Timestamptz(null=True, default=None)
    checked_out_at = Timestamptz(null=True, default=None)
    service = ForeignKey(VolunteerService, on_delete=OnDelete.set_null, null=True, default=None)


VOLUNTEERING_TABLES: list[type[Table]] = [VolunteerService, PointsTransfer, PointsEntry, VolunteerTeam, VolunteerMember, VolunteerShift,
                                          VolunteerSignup]
