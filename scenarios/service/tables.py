"""The service tables: residents' requests (诉求) beside their work items, and the 首席接访员 duty roster."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Building, Community, Grid, Household, Resident, Staff


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
    #: Handed over to another scene (转为网格事件/吹哨): the receiver's reference (``governance.event:7``) and console path.
    handed_to = Varchar(length=80, default="")
    handed_path = Varchar(length=200, default="")


class DutyShift(Table, tablename="service_duty_shift"):
    """首席接访员 the community leader on duty at the front desk on one day (one per community and day)."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    day = Date(index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False)


class AssistedHousehold(Table, tablename="service_assisted_household"):
    """三强化: a household under monitoring (防返贫监测对象) and its helper (帮扶责任人), who visits it every month.

    ``grid`` is the household's (kept for the scope); the last visit updates the household's file:
    ``last_visited_on``, ``housing_grade`` (A/B safe, C/D must be repaired) and ``water_ok``.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, null=False, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=False, index=True)
    category = Varchar(length=32)
    helper = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    since = Date()
    active = Boolean(default=True)
    last_visited_on = Date(null=True, default=None)
    housing_grade = Varchar(length=1, default="")
    water_ok = Boolean(null=True, default=None)
    #: Taken off monitoring (``active`` false): the day and why (风险消除, moved away …).
    ended_on = Date(null=True, default=None)
    end_reason = Text(default="")


class AssistanceVisit(Table, tablename="service_assistance_visit"):
    """A monthly visit to a monitored household: the 两不愁三保障 + drinking-water checklist, each item ok / problem /
    not checked (``checks``), the figures measured, and the work items its problems opened (``problem_items``)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    household = ForeignKey(AssistedHousehold, on_delete=OnDelete.cascade, null=False, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=False, index=True)
    helper = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    visited_on = Date(index=True)
    checks = JSON(default="{}")
    housing_grade = Varchar(length=1, default="")
    water_litres = Integer(null=True, default=None)
    water_trip_minutes = Integer(null=True, default=None)
    water_outage_days = Integer(null=True, default=None)
    problem_items = JSON(default="[]")
    note = Text(default="")
    recorded_at = Timestamptz(default=TimestamptzNow())


class HotlineReply(Table, tablename="service_hotline_reply"):
    """The answer (答复) or the closing (办结) of a 12345 work order, posted back to the platform's webhook.

    ``delivery_id`` (unique) is the platform's number with the event and its turn (``12345:<external id>:reply:1``):
    the same on every retry, so the platform takes each answer once. ``state``: ``pending`` (next try at
    ``next_attempt_at``), ``sent``, ``failed`` (refused for good, or out of tries: ``last_error`` says why).
    """

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    request = ForeignKey(ServiceRequest, on_delete=OnDelete.cascade, null=False, index=True)
    external_id = Varchar(length=64)
    event = Varchar(length=16)
    delivery_id = Varchar(length=160, unique=True)
    text = Text(default="")
    state = Varchar(length=16, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class JointMeeting(Table, tablename="service_joint_meeting"):
    """三强化 信息互通: a quarterly joint meeting (专题会议) with the departments (住建, 民政, 残联 …) on the monitored households.

    ``quarter`` is ``2026-Q4`` (from ``held_on``); ``households`` the monitored households discussed (ids of
    ``service_assisted_household``); ``decisions`` ``[{"text", "assignee", "item"}]``: a decision with an assignee is
    a work item (workflow ``service.meeting_action``) whose state is the item's. ``activity``: the kernel activity it
    was planned as, whose invited staff were reminded ahead.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    quarter = Varchar(length=7, index=True)
    title = Varchar(length=100, default="")
    held_on = Date()
    departments = JSON(default="[]")
    households = JSON(default="[]")
    minutes = Text(default="")
    decisions = JSON(default="[]")
    recorded_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    #: The kernel activity the meeting was planned as (``POST …/assistance/meetings/planned``), if it was: one record each (checked under a lock: SQLite cannot add a UNIQUE column).
    activity = Integer(null=True, default=None, index=True)


class MeetingPlan(Table, tablename="service_meeting_plan"):
    """三强化 信息互通: a joint meeting planned ahead as a kernel activity (``activity``) for the community's admins and the
    staff invited (``staff``: the departments' staff who will come), who are reminded before it; its record, once held,
    is the ``service_joint_meeting`` row whose ``activity`` is the same."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    activity = Integer(unique=True, index=True)
    title = Varchar(length=100)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    venue = Varchar(length=200, default="")
    departments = JSON(default="[]")
    staff = JSON(default="[]")
    planned_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    planned_at = Timestamptz(default=TimestamptzNow())


class InspectionProblem(Table, tablename="service_inspection_problem"):
    """三强化 督导检查: a problem on the discipline office's (纪工委) list (问题清单), rectified by the community and
    closed (销号) by the supervisor; its state and deadline are the work item ``item`` (workflow ``service.inspection_problem``)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    item = Integer(null=True, default=None, unique=True, index=True)
    category = Varchar(length=32)
    text = Text()
    household = ForeignKey(AssistedHousehold, on_delete=OnDelete.set_null, null=True, default=None)
    found_on = Date()
    found_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [ServiceRequest, DutyShift, AssistedHousehold, AssistanceVisit, HotlineReply, JointMeeting, MeetingPlan, InspectionProblem]
