"""The markets scenario's tables: partner merchants, markets, market days, stall applications, charity proceeds."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Community, Grid, Resident, Staff


class Merchant(Table, tablename="markets_merchant"):
    """合作商户 a partner merchant that may take a stall (a shop, the post office, a social organisation).

    ``contact_resident`` is the merchant's contact person when they live in the community:
    reminders reach people through the register, so a merchant without one is not reminded.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    kind = Varchar(length=32, default="shop")
    contact_name = Varchar(length=64, default="")
    #: E.164; shown masked only.
    contact_phone = Varchar(length=20, default="")
    contact_resident = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Market(Table, tablename="markets_market"):
    """睦邻善市公益市集 a charity market: a venue, a recurring schedule and its stall capacity.

    Its days are the occurrences of a kernel activity (``activity``, for the whole community);
    a second recurring activity (``stall_activity``) starts at set-up time and reminds the
    stallholders of each day. Times of day are the community's local wall clock.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    venue = Varchar(length=200)
    grid = ForeignKey(Grid, on_delete=OnDelete.set_null, null=True, default=None)
    rrule = Text()
    holiday_policy = Varchar(length=20, default="skip")
    first_day = Date()
    until = Date(null=True, default=None)
    opens_at = Varchar(length=5)
    closes_at = Varchar(length=5)
    setup_minutes = Integer()
    capacity = Integer()
    close_hours = Integer()
    organiser = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    #: ``active`` or ``cancelled``.
    status = Varchar(length=16, default="active", index=True)
    activity = Integer(index=True)
    stall_activity = Integer(index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    #: ``charity_sale`` (义卖), ``free_clinic`` (义诊), ``convenience`` (便民服务) or ``swap`` (以物易物/跳蚤市场).
    kind = Varchar(length=20, default="charity_sale")
    #: What each stall pays: ``none``, ``stall_fee`` (摊位费) or ``contribution`` (爱心捐赠), ``fee_fen`` per stall.
    money = Varchar(length=16, default="none")
    fee_fen = Integer(default=0)
    #: Where the money goes: the beneficiary project (受益项目) and the charity receiving it (接收善款的慈善组织).
    beneficiary = Varchar(length=200, default="")
    receiving_charity = Varchar(length=200, default="")
    #: A weekend market day that falls on an adjusted working day (调休上班): ``skip`` or ``move``.
    rest_day_policy = Varchar(length=16, default="skip")
    #: Home-made food (自制食品): ``forbid``, ``approval`` (decided one by one) or ``allow``.
    home_made_food = Varchar(length=16, default="approval")
    #: Stalls may take volunteer points (积分) instead of or besides yuan (the kernel's points ledger).
    accepts_points = Boolean(default=False)


class MarketDay(Table, tablename="markets_day"):
    """One market day: an occurrence of the market's activity, with its own capacity and application state.

    ``occurrence`` and ``stall_occurrence`` are the occurrence keys of the community and the
    stallholder activities (their original start in UTC), which stay the same when a holiday
    moves the day. Unique per (market, occurrence).
    """

    market = ForeignKey(Market, on_delete=OnDelete.cascade, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    occurrence = Varchar(length=40)
    stall_occurrence = Varchar(length=40, index=True)
    day = Date(index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    #: None: the market's capacity.
    capacity = Integer(null=True, default=None)
    #: ``open`` (taking applications), ``closed`` (applications closed) or ``cancelled``.
    status = Varchar(length=16, default="open", index=True)
    closed_at = Timestamptz(null=True, default=None)
    cancel_reason = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())
    #: A day moved off an adjusted working Saturday or Sunday: the day it would have been, and its own one-off activities.
    moved_from = Date(null=True, default=None)
    own_activity = Integer(null=True, default=None)
    own_stall_activity = Integer(null=True, default=None, index=True)
    #: The public statement (公示) after the market day, as published, and when.
    statement = Text(default="")
    statement_published_at = Timestamptz(null=True, default=None)


class Application(Table, tablename="markets_application"):
    """A stall application for one market day, by a resident or a partner merchant.

    ``status``: ``pending`` → ``approved`` | ``waitlisted`` | ``refused``; ``approved`` and
    ``waitlisted`` → ``cancelled``; ``waitlisted`` → ``approved`` when a stall frees.
    ``contact`` is the resident reminded before set-up (the applicant, or the merchant's
    contact person); ``grid`` is the applicant's grid, for scope (None for a merchant).
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    market = ForeignKey(Market, on_delete=OnDelete.cascade, index=True)
    market_day = ForeignKey(MarketDay, on_delete=OnDelete.cascade, index=True)
    # A resident or merchant removed from the register leaves the stall and its proceeds on record.
    resident = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    merchant = ForeignKey(Merchant, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    contact = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    goods = Varchar(length=200)
    status = Varchar(length=16, default="pending", index=True)
    reason = Text(default="")
    applied_at = Timestamptz(default=TimestamptzNow())
    #: When it joined the waiting list; promotion takes the earliest.
    waitlisted_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = Varchar(length=100, default="")
    #: The stall sells home-made food (自制食品): many communities forbid it or decide it one by one.
    home_made_food = Boolean(default=False)
    #: The market's stall fee or contribution waived for this stall (减免), with the reason.
    fee_waived = Boolean(default=False)
    waiver_reason = Varchar(length=200, default="")


class Proceeds(Table, tablename="markets_proceeds"):
    """善款 charity proceeds of one stall on one market day, in fen (分). Unique per application."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    market = ForeignKey(Market, on_delete=OnDelete.cascade, index=True)
    market_day = ForeignKey(MarketDay, on_delete=OnDelete.cascade, index=True)
    application = ForeignKey(Application, on_delete=OnDelete.cascade, unique=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=True, default=None)
    amount_fen = Integer()
    #: Free-service stalls (义诊, 便民服务) record the people served instead of yuan (``amount_fen`` 0).
    people_served = Integer(null=True, default=None)
    note = Varchar(length=200, default="")
    recorded_by = Varchar(length=100, default="")
    recorded_at = Timestamptz(default=TimestamptzNow())


class PointsPayment(Table, tablename="markets_points_payment"):
    """积分 points a resident paid at a stall of a market that accepts them, spent through the kernel's points ledger
    (``transfer`` is the kernel's transfer id; the ledger, not this row, is the record of the balance)."""

    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    market = ForeignKey(Market, on_delete=OnDelete.cascade, index=True)
    market_day = ForeignKey(MarketDay, on_delete=OnDelete.cascade, index=True)
    application = ForeignKey(Application, on_delete=OnDelete.cascade, index=True)
    #: The stall's grid (scoping, like its proceeds).
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=True, default=None)
    resident = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None)
    points = Integer()
    transfer = Integer()
    note = Varchar(length=200, default="")
    recorded_by = Varchar(length=100, default="")
    recorded_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [Merchant, Market, MarketDay, Application, Proceeds, PointsPayment]
