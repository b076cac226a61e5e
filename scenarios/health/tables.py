"""The health tables: doctor teams, the chronic-disease register and its follow-ups, the 65+ checks, family-doctor contracts."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Community, Resident, Staff


class DoctorTeam(Table, tablename="health_team"):
    """家庭医生团队 a doctor team of the community health service centre (or the partner provider) serving the community."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=64)
    #: Who the team works for: 社区卫生服务中心, or the partner provider.
    provider = Varchar(length=64, default="")
    active = Boolean(default=True)


class TeamMember(Table, tablename="health_team_member"):
    """A staff member of a doctor team (a doctor, a nurse, a public-health worker); one row per team and staff."""

    team = ForeignKey(DoctorTeam, on_delete=OnDelete.cascade, null=False, index=True)
    staff = ForeignKey(Staff, on_delete=OnDelete.cascade, null=False, index=True)


class Patient(Table, tablename="health_patient"):
    """慢病管理 one resident on the register for one condition (``hypertension`` 高血压, ``diabetes`` 2型糖尿病).

    ``next_due`` is the date of the next follow-up (always a working day), set by the last visit's
    result; ``status`` that result (``routine``, ``recheck``, ``referred``, ``emergency``);
    ``uncontrolled`` how many follow-ups in a row were not controlled; ``tracing_item`` the open
    tracing work item when a follow-up was missed.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=False, index=True)
    condition = Varchar(length=16)
    team = ForeignKey(DoctorTeam, on_delete=OnDelete.restrict, null=False, index=True)
    registered_on = Date()
    next_due = Date(index=True)
    status = Varchar(length=16, default="routine")
    uncontrolled = Integer(default=0)
    tracing_item = Integer(null=True, default=None)
    active = Boolean(default=True)


class FollowUp(Table, tablename="health_follow_up"):
    """随访 a face-to-face follow-up: the readings, symptoms, side effects, medication change, and what they decided.

    The readings and the free texts are sensitive (PIPL art. 28): read by the patient's doctor team and
    holders of ``health.reading.read`` only. Glucose is kept in tenths of mmol/L (7.0 → 70).
    """

    patient = ForeignKey(Patient, on_delete=OnDelete.cascade, null=False, index=True)
    visited_on = Date(index=True)
    systolic = Integer(null=True, default=None)
    diastolic = Integer(null=True, default=None)
    glucose_tenths = Integer(null=True, default=None)
    symptoms = Text(default="")
    side_effects = Boolean(default=False)
    new_complication = Boolean(default=False)
    medication_change = Text(default="")
    #: ``controlled``, ``recheck``, ``referral``, ``emergency``
    decision = Varchar(length=16)
    next_due = Date()
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())


class HealthCheck(Table, tablename="health_check"):
    """老年人健康管理 the yearly health check of a resident 65+, with its items (sensitive)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=False, index=True)
    year = Integer(index=True)
    checked_on = Date()
    #: JSON: the items recorded (self-care assessment, physical examination, tests, guidance).
    items = Text(default="{}")
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)


class Contract(Table, tablename="health_contract"):
    """家庭医生签约 a resident's contract with one doctor team, ``starts_on``..``ends_on`` (inclusive, at least a year)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=False, index=True)
    team = ForeignKey(DoctorTeam, on_delete=OnDelete.restrict, null=False, index=True)
    starts_on = Date()
    ends_on = Date(index=True)
    #: JSON lists: the packages (``basic`` and extras) and the priority groups the resident belongs to.
    packages = Text(default="[]")
    priority_groups = Text(default="[]")
    #: ``active``, ``ended`` (expired or replaced by a renewal), ``cancelled``
    status = Varchar(length=16, default="active")
    renewal_reminded = Boolean(default=False)


class Referral(Table, tablename="health_referral"):
    """转介 a health concern another scene handed over (an elder visit that found one): for the doctor team to see the resident.

    ``reason`` is health data (what the visitor found): read by the doctor team and holders of ``health.reading.read``
    only; the rest of the team in scope sees that the resident was referred (``已转介``) and when. ``team`` is the
    resident's doctor team (their patient entry's, else their contract's), or None: every team of the community is told.
    ``source`` names the sender's record (``elder_care.visit:12``).
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=False, index=True)
    team = ForeignKey(DoctorTeam, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    source = Varchar(length=64, default="")
    title = Varchar(length=200, default="")
    reason = Text(default="")
    #: ``open`` (to see), ``closed`` (the team saw the resident or decided; ``outcome`` says what)
    status = Varchar(length=16, default="open", index=True)
    outcome = Text(default="")
    handed_by = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)


TABLES: list[type[Table]] = [DoctorTeam, TeamMember, Patient, FollowUp, HealthCheck, Contract, Referral]
