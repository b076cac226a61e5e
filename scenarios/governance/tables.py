"""The governance tables: grid events and their orders (派单), whistles and each department's call, patrol plans and logs.

Every event, order and call is also a kernel work item (``item``): the kernel keeps its history,
clocks and escalations; the rows here keep what the scene's lists, scopes and figures select on,
including each clock's due time copied from the kernel at every step.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Building, Community, Department, Grid, Staff


class Event(Table, tablename="governance_event"):
    """网格事件 a grid event on its closed loop: 发现 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.set_null, null=True, default=None)
    #: ``patrol``, ``hotline`` (12345), ``resident``, ``service_desk``, ``handed_over`` (by another scene: commerce's complaints).
    source = Varchar(length=16)
    #: A code of categories.toml.
    category = Varchar(length=32, index=True)
    place = Varchar(length=200, default="")
    text = Text()
    external_id = Varchar(length=64, default="")
    #: reported, registered, dispatched, processing, fed_back, checked, closed, dismissed
    state = Varchar(length=16, index=True)
    item = Integer(index=True)
    reported_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    #: Who checks the feedback (核查): the grid worker who reported it, else the grid's full-time worker.
    checker = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    reported_at = Timestamptz(index=True)
    dispatch_due_at = Timestamptz(null=True, default=None)
    check_due_at = Timestamptz(null=True, default=None)
    dismiss_reason = Text(default="")
    closed_at = Timestamptz(null=True, default=None, index=True)
    #: Set at the close: handled by the grid's own team (小事不出网格), and fed back by the order's deadline.
    handled_in_grid = Boolean(null=True, default=None)
    closed_on_time = Boolean(null=True, default=None)


class Order(Table, tablename="governance_order"):
    """派单 an event handed to a department or to someone of the grid's team; 退单 with a reason ends it."""

    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, index=True)
    department = ForeignKey(Department, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    assignee = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    item = Integer(index=True)
    #: dispatched, signed, fed_back, accepted, returned
    state = Varchar(length=16, index=True)
    dispatched_at = Timestamptz(index=True)
    dispatched_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    sign_due_at = Timestamptz(null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    signed_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    resolve_due_at = Timestamptz(null=True, default=None)
    fed_back_at = Timestamptz(null=True, default=None)
    feedback = Text(default="")
    returned_at = Timestamptz(null=True, default=None)
    return_reason = Text(default="")
    reworks = Integer(default=0)


class Whistle(Table, tablename="governance_whistle"):
    """吹哨 a whistle: the community summons departments (街乡吹哨、部门报到)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    event = ForeignKey(Event, on_delete=OnDelete.set_null, null=True, default=None)
    #: ``advance`` (工作推进哨) or ``tackle`` (攻坚克难哨).
    level = Varchar(length=16)
    #: ``beyond_power``, ``joint_enforcement``, ``emergency``.
    reason = Varchar(length=24)
    title = Varchar(length=200)
    text = Text()
    blown_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    blown_at = Timestamptz(index=True)
    closed_at = Timestamptz(null=True, default=None)


class WhistleCall(Table, tablename="governance_whistle_call"):
    """One department summoned by a whistle: it signs, contacts, reports on site or replies; the community rates it."""

    whistle = ForeignKey(Whistle, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    department = ForeignKey(Department, on_delete=OnDelete.restrict, index=True)
    item = Integer(index=True)
    #: summoned, signed, contacted, reported, rated
    state = Varchar(length=16, index=True)
    sign_due_at = Timestamptz(null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    signed_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    contact_due_at = Timestamptz(null=True, default=None)
    contacted_at = Timestamptz(null=True, default=None)
    report_due_at = Timestamptz(null=True, default=None)
    reported_at = Timestamptz(null=True, default=None)
    report_kind = Varchar(length=8, default="")
    report_text = Text(default="")
    speed_rating = Integer(null=True, default=None)
    quality_rating = Integer(null=True, default=None)
    rating_comment = Text(default="")
    rated_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    rated_at = Timestamptz(null=True, default=None)


class Supervision(Table, tablename="governance_supervision"):
    """督办 one supervision notice: a department late on one clock of an order or a call, told once (unique)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    #: ``order`` or ``call``.
    kind = Varchar(length=8)
    record = Integer()
    clock = Varchar(length=16)
    department = ForeignKey(Department, on_delete=OnDelete.restrict, null=True, default=None)
    due_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


class PatrolPlan(Table, tablename="governance_patrol_plan"):
    """巡查计划 who patrols a grid, and how often (``daily`` or ``workdays``)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.cascade, index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, index=True)
    frequency = Varchar(length=16, default="daily")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class PatrolLog(Table, tablename="governance_patrol_log"):
    """巡查日志 one day's patrol of a grid by one person."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.cascade, index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, index=True)
    patrolled_on = Date(index=True)
    notes = Text(default="")
    events_found = Integer(default=0)
    recorded_at = Timestamptz(default=TimestamptzNow())


class MissedPatrol(Table, tablename="governance_missed_patrol"):
    """A day a planned patrol has no log, told to the grid's leaders once (unique per plan and day)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    plan = ForeignKey(PatrolPlan, on_delete=OnDelete.cascade, index=True)
    day = Date(index=True)
    notice = Integer(default=0)


TABLES: list[type[Table]] = [Event, Order, Whistle, WhistleCall, Supervision, PatrolPlan, PatrolLog, MissedPatrol]
