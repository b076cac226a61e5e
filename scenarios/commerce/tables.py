"""The commerce tables: partners and their contracts, service offers with time slots, bookings, the community
enterprise's ledger and month closes, quarterly statements, the merchant alliance's shops, discounts and complaints."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meihao.tables import Community, Grid, Resident, Staff


class Partner(Table, tablename="commerce_partner"):
    """合作单位 a partner of the community enterprise (the postal service, a health provider, a housekeeping firm).

    The contract runs ``contract_starts_on``..``contract_ends_on`` (inclusive); ``alerted_for`` is the end date
    whose expiry alert was sent, so that a renewed contract is alerted again before its new end.
    """

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=64)
    #: ``postal``, ``health``, ``housekeeping``, ``catering``, ``other``
    kind = Varchar(length=16)
    contact = Varchar(length=64, default="")
    contract_starts_on = Date()
    contract_ends_on = Date(index=True)
    alerted_for = Date(null=True, default=None)
    active = Boolean(default=True)


class Offer(Table, tablename="commerce_offer"):
    """便民服务 a service offered to residents (parcel collection, housekeeping, meal help, the health hut)."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    partner = ForeignKey(Partner, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    #: ``parcel``, ``housekeeping``, ``meal``, ``health_hut``, ``other``
    service = Varchar(length=16)
    title = Varchar(length=64)
    venue = Varchar(length=100, default="")
    #: What a booking costs the resident, in fen (0: free).
    price_fen = Integer(default=0)
    active = Boolean(default=True)


class Slot(Table, tablename="commerce_slot"):
    """A time slot of an offer, with the number of bookings it takes."""

    offer = ForeignKey(Offer, on_delete=OnDelete.cascade, null=False, index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    capacity = Integer()
    cancelled = Boolean(default=False)


class Booking(Table, tablename="commerce_booking"):
    """预约 a resident's booking of a slot, by staff (``by`` ``staff``) or by the resident through her link (``resident``).

    ``status``: ``booked``, ``cancelled``, ``served`` (the service was given), ``no_show``.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    slot = ForeignKey(Slot, on_delete=OnDelete.cascade, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.cascade, null=False, index=True)
    status = Varchar(length=16, default="booked")
    by = Varchar(length=16, default="staff")
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    cancel_reason = Text(default="")
    reminded = Boolean(default=False)
    #: When staff marked it ``served`` (came) or ``no_show``.
    attended_at = Timestamptz(null=True, default=None)


class LedgerEntry(Table, tablename="commerce_ledger_entry"):
    """强社公司账目 one entry of the community enterprise's ledger, in fen.

    ``kind``: ``income`` (with its ``service`` and, if any, ``partner``), ``cost``, ``public_good`` (公益投入,
    money put back into community causes). ``month`` is ``YYYY-MM`` of ``day``.
    """

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    month = Varchar(length=7, index=True)
    day = Date()
    kind = Varchar(length=16)
    amount_fen = Integer()
    service = Varchar(length=16, default="")
    partner = ForeignKey(Partner, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    note = Text(default="")
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class MonthClose(Table, tablename="commerce_month_close"):
    """月结 a closed month of the ledger, with its totals (no entry of the month can be written after it)."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    month = Varchar(length=7)
    income_fen = Integer(default=0)
    cost_fen = Integer(default=0)
    public_good_fen = Integer(default=0)
    entries = Integer(default=0)
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    closed_at = Timestamptz(default=TimestamptzNow())


class Statement(Table, tablename="commerce_statement"):
    """财务公开 the quarterly public statement of the enterprise's accounts, published as a notice."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    year = Integer()
    quarter = Integer()
    income_fen = Integer(default=0)
    cost_fen = Integer(default=0)
    public_good_fen = Integer(default=0)
    #: The text published (what residents read).
    body = Text(default="")
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    published_at = Timestamptz(default=TimestamptzNow())


class Shop(Table, tablename="commerce_shop"):
    """商户 a shop of the merchant alliance (商户联盟), in a grid of the community."""

    community = ForeignKey(Community, on_delete=OnDelete.cascade, null=False, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    name = Varchar(length=64)
    address = Varchar(length=100, default="")
    in_alliance = Boolean(default=True)


class Discount(Table, tablename="commerce_discount"):
    """居民优惠 a discount a shop of the alliance gives residents, until ``valid_until`` (inclusive)."""

    shop = ForeignKey(Shop, on_delete=OnDelete.cascade, null=False, index=True)
    description = Varchar(length=200)
    valid_until = Date(null=True, default=None)
    active = Boolean(default=True)


class Complaint(Table, tablename="commerce_complaint"):
    """商居矛盾 a complaint between a shop and residents (``noise`` 噪音, ``fumes`` 油烟, ``pavement`` 占道).

    ``handed_to`` is the receipt's reference when it was handed to governance as a grid event.
    """

    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    grid = ForeignKey(Grid, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    shop = ForeignKey(Shop, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.set_null, null=True, default=None)
    category = Varchar(length=16)
    text = Text(default="")
    #: ``open``, ``handed_over``, ``resolved``
    status = Varchar(length=16, default="open")
    handed_to = Varchar(length=64, default="")
    staff = ForeignKey(Staff, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [Partner, Offer, Slot, Booking, LedgerEntry, MonthClose, Statement, Shop, Discount, Complaint]
