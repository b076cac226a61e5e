"""Tables of volunteering (a deleted resident takes their records and transfers, both entries of each, with them): service records (hours) and the points ledger (transfers, each two entries summing to zero)."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
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
    #: ``earn`` (issued to the resident), ``spend`` (paid by the resident), ``reversal``.
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


VOLUNTEERING_TABLES: list[type[Table]] = [VolunteerService, PointsTransfer, PointsEntry]
