"""Tables of work items: the items, their history (every transition), their clocks and their escalation notices."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Float, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.access.tables import Staff
from meihao.register.tables import Community, Department, Grid


class WorkItem(Table, tablename="meihao_work_item"):
    """A thing with a lifecycle and due times (a request, a grid event, a follow-up), owned by a scene.

    ``subject_table``/``subject_id`` point at the scene's own record; ``state`` is a state of the
    scene's :class:`~meihao.Workflow`; ``paused`` is true while ``state`` is one of its pause
    states (a copy of the state's meaning, for queries: paused time itself is rebuilt from the
    history). ``department`` is the department the item is sent to, if any (governance's 派单).
    """

    scenario = Varchar(length=64, index=True)
    workflow = Varchar(length=64)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True, null=False)
    kind = Varchar(length=64, default="")
    subject_table = Varchar(length=64, default="")
    subject_id = Integer(null=True, default=None)
    assignee = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    department = ForeignKey(Department, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    title = Varchar(length=200, default="")
    state = Varchar(length=32, index=True)
    paused = Boolean(default=False)
    final = Boolean(default=False, index=True)
    opened_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)


class WorkItemEvent(Table, tablename="meihao_work_item_event"):
    """One step in an item's history: opened, a transition, an assignment or an extension; who, when, why."""

    item = ForeignKey(WorkItem, on_delete=OnDelete.cascade, index=True, null=False)
    at = Timestamptz(default=TimestamptzNow())
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    actor = Varchar(length=100, default="")
    action = Varchar(length=16)  # open | transition | assign | extend
    from_state = Varchar(length=32, default="")
    to_state = Varchar(length=32, default="")
    reason = Text(default="")
    detail = JSON(default="{}")


class WorkItemClock(Table, tablename="meihao_work_item_clock"):
    """One clock of an item (sign-off, first response, resolution) with its rule and its current deadline.

    The rule (``working_days`` or ``working_hours``, ``by_close``) is fixed when the item opens;
    ``started_at``, ``stopped_at``, ``due_at`` and ``yellow_at`` are recomputed from the history
    at every change (``due_at`` NULL: not started, or paused now).
    """

    item = ForeignKey(WorkItem, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=32)
    working_days = Integer(null=True, default=None)
    working_hours = Float(null=True, default=None)
    by_close = Boolean(default=False)
    started_at = Timestamptz(null=True, default=None)
    stopped_at = Timestamptz(null=True, default=None)
    due_at = Timestamptz(null=True, default=None, index=True)
    yellow_at = Timestamptz(null=True, default=None)
    paused_seconds = Integer(default=0)
    extensions = Integer(default=0)
    calendar_version = Varchar(length=40, default="")


class WorkItemEscalation(Table, tablename="meihao_work_item_escalation"):
    """An escalation level of one clock of one item: when it is reached, when its notice may go, and
    when it went (once: unique per item, clock and level). Rows not yet sent are replaced whenever
    the deadline moves; a sent row stays and is never sent again."""

    item = ForeignKey(WorkItem, on_delete=OnDelete.cascade, index=True, null=False)
    clock = Varchar(length=32)
    level = Varchar(length=32)
    reach = Varchar(length=32)
    reached_at = Timestamptz()
    notify_at = Timestamptz(index=True)
    sent_at = Timestamptz(null=True, default=None, index=True)
    recipients = JSON(default="[]")


class WorkItemCallback(Table, tablename="meihao_work_item_callback"):
    """A call-back (回访) to the person who raised an item, after it was answered or closed.

    ``result`` is ``satisfied`` (满意), ``basically_satisfied`` (基本满意), ``unsatisfied`` (不满意)
    or ``unreachable`` (联系不上: not a valid call-back); ``contacted`` (the handler got in touch,
    是否联系) and ``resolved`` (the matter is solved, 是否解决) are the person's answers. An item
    may be called back again after it was reopened (重办); only its ``latest`` call-back counts
    in the 三率.
    """

    item = ForeignKey(WorkItem, on_delete=OnDelete.cascade, index=True, null=False)
    at = Timestamptz(default=TimestamptzNow())
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    actor = Varchar(length=100, default="")
    result = Varchar(length=32)
    contacted = Boolean(default=False)
    resolved = Boolean(default=False)
    note = Text(default="")
    latest = Boolean(default=True)


WORKITEM_TABLES: list[type[Table]] = [WorkItem, WorkItemEvent, WorkItemClock, WorkItemEscalation, WorkItemCallback]
