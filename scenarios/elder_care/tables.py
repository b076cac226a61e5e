"""The elder_care tables: the register of elders with their visit plan, visits, overdue alerts, nursing-home visits."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Community, Resident, Staff


class Elder(Table, tablename="elder_care_elder"):
    """登记老人 an elder on the register, drawn from the community's residents.

    The community, grid and age are the resident's (never copied, so a move or a corrected
    birth date is seen at once). The welfare visit plan lives here too: the interval follows
    the care level unless ``interval_days`` overrides it, counted from the last contact
    (or ``plan_starts_on`` before the first); ``next_due_on`` is kept up to date so that the
    daily check and the dashboard are one indexed query.
    """

    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, unique=True, index=True)
    #: ``high_risk`` (高风险), ``key`` (重点) or ``general`` (一般).
    care_level = Varchar(length=16, default="general", index=True)
    living_alone = Boolean(default=False, index=True)
    #: 空巢: living only with a spouse who is old too, the children away (issue 16).
    empty_nest = Boolean(default=False)
    #: 留守: the children work far away; an elder left behind in the community (issue 16).
    left_behind = Boolean(default=False)
    #: Loss of self-care (失能), an assessed level: ``none``, ``partial`` (半失能) or ``full`` (失能). The column
    #: kept its first name (SQLite cannot rename a column); the API calls it ``self_care_loss`` (issue 16).
    disability = Varchar(length=16, default="none")
    #: The disability certificate's grade (残疾证 1–4, 1 the most severe); None: no certificate. 重残 = grades 1–2.
    disability_grade = Integer(null=True, default=None)
    #: The civil-affairs ledger's categories an elder is in, comma-wrapped (",dementia,subsistence_allowance,"):
    #: ``dementia`` 失智, ``family_planning_special`` 计划生育特殊家庭, ``dispersed_extreme_poverty`` 分散供养特困,
    #: ``subsistence_allowance`` 低保. 失能 and 重残 are the two fields above.
    categories = Varchar(length=200, default="")
    emergency_contact_name = Varchar(length=64, default="")
    emergency_contact_relation = Varchar(length=32, default="")
    #: E.164; shown masked only.
    emergency_contact_phone = Varchar(length=20, default="")
    #: The responsible visitor: a staff member of the grid team, or a volunteer resident.
    visitor_staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    visitor_resident = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None)
    #: Overrides the care level's interval when set.
    interval_days = Integer(null=True, default=None)
    plan_starts_on = Date()
    last_contact_on = Date(null=True, default=None)
    next_due_on = Date(index=True)
    #: A visit asked for a follow-up: the next visit is due by this day at the latest (setting ``follow_up_revisit_days``).
    revisit_on = Date(null=True, default=None)
    notes = Text(default="")
    active = Boolean(default=True, index=True)
    #: Why an elder left the register: ``moved``, ``deceased``, ``nursing_home``, ``other``.
    ended_reason = Varchar(length=16, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Visit(Table, tablename="elder_care_visit"):
    """探访记录 one welfare visit or contact: who, when, how, what was found, whether to follow up."""

    elder = ForeignKey(Elder, on_delete=OnDelete.cascade, index=True)
    visitor_staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    visitor_resident = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None)
    visited_at = Timestamptz(index=True)
    #: ``home`` (上门入户), ``phone`` (电话) or ``video`` (视频).
    method = Varchar(length=8)
    #: The checklist: {area: {"status": "ok" | "concern" | "not_checked", "note": …}} for health, finances,
    #: carers, housing_safety, needs; plus "needs_list" (care, rehab, companionship, adaptation…).
    findings = JSON(default="{}")
    concerns = Integer(default=0)
    follow_up_needed = Boolean(default=False, index=True)
    follow_up_note = Text(default="")
    #: The kernel work item (``meihao.workitems``) opened for the follow-up; None when none was needed.
    follow_up_item = Integer(null=True, default=None)
    #: The referral handed over to health (``meihao.hand_over``, intake ``health.referral``): its reference
    #: (``health.referral:7``), or "" when none was made (no health concern, or health not on in the community).
    referral = Varchar(length=64, default="")
    recorded_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class OverdueAlert(Table, tablename="elder_care_alert"):
    """One overdue reminder sent: unique per (elder, due date, level), so the daily check never repeats one.

    ``level`` is ``visitor`` (the responsible visitor) or ``escalation`` (the grid leaders,
    once ``missed_intervals`` reaches the community's setting).
    """

    elder = ForeignKey(Elder, on_delete=OnDelete.cascade, index=True)
    due_on = Date()
    level = Varchar(length=12)
    missed_intervals = Integer(default=1)
    #: Days past the first missed due date when the alert was raised (escalation is by days overdue per tier).
    days_overdue = Integer(default=0)
    #: [["staff", 3], ["resident", 17]]: who was told.
    recipients = JSON(default="[]")
    #: The kernel activity of the notice (0 when nobody could be told).
    notice = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None)


class NursingHomeVisit(Table, tablename="elder_care_nursing_home_visit"):
    """志愿者敬老院慰问 a volunteer visit to a nursing home: a kernel activity plus its roster."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    #: The kernel activity that carries the time and the reminders.
    activity = Integer(index=True)
    nursing_home = Varchar(length=100)
    title = Varchar(length=200)
    description = Text(default="")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    #: ``scheduled`` or ``cancelled``.
    status = Varchar(length=16, default="scheduled")
    created_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class RosterEntry(Table, tablename="elder_care_roster"):
    """A volunteer (a resident) on a nursing-home visit's roster, with a task (打扫卫生, 理发, 陪聊…)."""

    visit = ForeignKey(NursingHomeVisit, on_delete=OnDelete.cascade, index=True)
    volunteer = ForeignKey(Resident, on_delete=OnDelete.cascade, index=True)
    task = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class CommunityLink(Table, tablename="elder_care_community"):
    """What enabling elder_care set up in a community: the yearly Double Ninth (重阳) activity."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, unique=True)
    double_ninth_activity = Integer(null=True, default=None)


class Campaign(Table, tablename="elder_care_campaign"):
    """加密探访 extra visits in extreme weather or on holidays: every target elder is due for a visit between ``starts_on``
    and ``ends_on`` (inclusive, the community's dates). The targets are fixed when it starts (``CampaignElder``)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=100)
    #: ``weather`` (极端天气), ``holiday`` (节假日), ``other``
    reason = Varchar(length=16, default="other")
    starts_on = Date(index=True)
    ends_on = Date(index=True)
    #: The target groups, comma-wrapped (",high_risk,living_alone,").
    groups = Varchar(length=200, default="")
    #: ``active`` or ``cancelled``
    status = Varchar(length=16, default="active")
    #: The visitors were told at the start / reminded before the end (once each).
    start_notified = Boolean(default=False)
    end_reminded = Boolean(default=False)
    created_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class CampaignElder(Table, tablename="elder_care_campaign_elder"):
    """One target elder of a campaign (unique per campaign and elder), and the first visit or contact within its range
    (None: not yet)."""

    campaign = ForeignKey(Campaign, on_delete=OnDelete.cascade, index=True)
    elder = ForeignKey(Elder, on_delete=OnDelete.cascade, index=True)
    visit = Integer(null=True, default=None)
    visited_on = Date(null=True, default=None)


TABLES: list[type[Table]] = [Elder, Visit, OverdueAlert, NursingHomeVisit, RosterEntry, CommunityLink, Campaign, CampaignElder]
