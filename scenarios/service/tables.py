"""The service tables: residents' requests (诉求) beside their work items, and the 首席接访员 duty roster."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Building, Community, Grid, Resident, Staff


class ServiceRequest(Table, tablename="service_request"):
    """诉求 a resident's request received at the front desk, on the phone, online, from a grid worker or from 12345.

    Its lifecycle, deadlines and call-backs are the kernel work item ``item`` (workflow
    ``service.request``): the state lives there, never here. ``received_by`` is the first
    receiver (首接负责人), who owns the request until it is handed over (the item's assignee).
    ``external_id`` is the 12345 platform's work-order number (unique in the community).
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    item = Integer(unique=True, index=True)
    #: ``visit`` 来访, ``phone`` 电话, ``hotline`` 12345 转办, ``grid`` 网格员上报, ``online`` 线上.
    channel = Varchar(length=16)
    #: ``consultation`` 咨询, ``help`` 求助, ``complaint`` 投诉, ``report`` 举报, ``suggestion`` 建议.
    type = Varchar(length=16)
    requester = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.set_null, null=True, default=None)
    text = Text()
    received_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow())
    external_id = Varchar(length=64, null=True, default=None, index=True)
    #: The reply given to the requester (答复), and how the matter was settled on the spot, if it was.
    reply = Text(default="")


class DutyShift(Table, tablename="service_duty_shift"):
    """首席接访员 the community leader on duty at the front desk on one day (one per community and day)."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    day = Date(index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)


TABLES: list[type[Table]] = [ServiceRequest, DutyShift]
