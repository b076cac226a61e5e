"""商户联盟: the merchant alliance's shops, their discounts for residents, and complaints between shops and residents
(noise, cooking fumes, pavement use), handed to governance as grid events when it is on in the community."""

from __future__ import annotations

from typing import Any

from meihao import (
    CommunityInfo,
    Conflict,
    HandOver,
    InvalidInput,
    NotFound,
    Principal,
    audit,
    can_hand_over,
    community_today,
    hand_over,
    scope_where,
    scoped_resident,
    transaction,
)
from meihao.tables import Grid

from ..schemas import CATEGORIES, EVENT_CATEGORY, ComplaintIn, ComplaintOut, DiscountIn, DiscountOut, ShopIn, ShopOut
from ..tables import Complaint, Discount, Shop
from .common import GOVERNANCE_EVENT


def _shop_out(row: dict[str, Any]) -> ShopOut:
    return ShopOut(id=row["id"], name=row["name"], grid_id=row["grid"], address=row["address"], in_alliance=row["in_alliance"])


async def _grid_in(community: CommunityInfo, grid_id: int | None) -> None:
    if grid_id is not None and not await Grid.exists().where(Grid.id == grid_id, Grid.community == community.id):
        raise NotFound(f"grid_id: grid {grid_id} not found", field="grid_id")


async def shop_in(community: CommunityInfo, shop_id: int, field: str = "shop_id") -> dict[str, Any]:
    row = await Shop.select().where(Shop.id == shop_id, Shop.community == community.id).first()
    if row is None:
        raise NotFound(f"{field}: shop {shop_id} not found" if field else f"shop {shop_id} not found", field=field or None)
    return row


async def create_shop(mh: Any, principal: Principal, community: CommunityInfo, data: ShopIn) -> ShopOut:
    await _grid_in(community, data.grid_id)
    async with transaction(mh):
        row = Shop(community=community.id, grid=data.grid_id, name=data.name.strip(), address=data.address.strip())
        await row.save()
        await audit(principal, "commerce.shop.create", "commerce_shop", row.id, community_id=community.id, detail={"name": row.name})
    return _shop_out(await shop_in(community, row.id))


async def list_shops(community: CommunityInfo) -> list[ShopOut]:
    rows = await Shop.select().where(Shop.community == community.id).order_by(Shop.name).order_by(Shop.id)
    return [_shop_out(r) for r in rows]


def _discount_out(row: dict[str, Any]) -> DiscountOut:
    return DiscountOut(id=row["id"], shop_id=row["shop"], shop=row["shop_name"], description=row["description"],
                       valid_until=row["valid_until"])


async def add_discount(mh: Any, principal: Principal, community: CommunityInfo, shop_id: int, data: DiscountIn) -> DiscountOut:
    shop = await shop_in(community, shop_id, "")
    if not shop["in_alliance"]:
        raise Conflict(f"shop {shop_id} is not in the merchant alliance", field="shop_id")
    if data.valid_until is not None and data.valid_until < community_today(mh, community):
        raise InvalidInput("valid_until: a day that has not passed", field="valid_until")
    async with transaction(mh):
        row = Discount(shop=shop_id, description=data.description.strip(), valid_until=data.valid_until)
        await row.save()
        await audit(principal, "commerce.discount.create", "commerce_discount", row.id, community_id=community.id,
                    detail={"shop_id": shop_id})
    found = await Discount.select(*_DISCOUNT).where(Discount.id == row.id).first()
    return _discount_out(found)


_DISCOUNT = (Discount.id, Discount.shop, Discount.shop.name.as_alias("shop_name"), Discount.description, Discount.valid_until)


async def list_discounts(mh: Any, community: CommunityInfo) -> list[DiscountOut]:
    """The discounts residents can use today: active, of a shop in the alliance, not past their last day."""
    today = community_today(mh, community)
    rows = await Discount.select(*_DISCOUNT).where(
        Discount.shop.community == community.id, Discount.shop.in_alliance.eq(True), Discount.active.eq(True),
        Discount.valid_until.is_null() | (Discount.valid_until >= today)).order_by(Discount.shop.name).order_by(Discount.id)
    return [_discount_out(r) for r in rows]


COLUMNS = (Complaint.id, Complaint.shop, Complaint.shop.name.as_alias("shop_name"), Complaint.grid, Complaint.category, Complaint.text,
           Complaint.status, Complaint.handed_to, Complaint.created_at, Complaint.resident)


def _complaint_out(row: dict[str, Any], governance_on: bool) -> ComplaintOut:
    return ComplaintOut(id=row["id"], shop_id=row["shop"], shop=row["shop_name"], grid_id=row["grid"], category=row["category"],
                        text=row["text"], status=row["status"], handed_to=row["handed_to"],
                        can_hand_over=governance_on and row["status"] == "open", created_at=row["created_at"])


async def record_complaint(mh: Any, principal: Principal, community: CommunityInfo, data: ComplaintIn) -> ComplaintOut:
    """商居矛盾: placed in the shop's grid unless another is given; the grid must be in the caller's scope."""
    shop = await shop_in(community, data.shop_id)
    grid_id = data.grid_id if data.grid_id is not None else shop["grid"]
    await _grid_in(community, grid_id)
    if grid_id is None and not principal.manages_community(community.id):
        raise InvalidInput("grid_id: say in which of your grids it happens", field="grid_id")
    if grid_id is not None:
        if not (principal.manages_community(community.id) or grid_id in principal.grid_ids):
            raise NotFound(f"grid_id: grid {grid_id} not found", field="grid_id")
    if data.resident_id is not None:
        await scoped_resident(principal, community, data.resident_id, "resident_id")
    async with transaction(mh):
        row = Complaint(community=community.id, grid=grid_id, shop=data.shop_id, resident=data.resident_id, category=data.category,
                        text=data.text.strip(), staff=principal.staff_id, created_at=mh.clock.now())
        await row.save()
        await audit(principal, "commerce.complaint.create", "commerce_complaint", row.id, community_id=community.id,
                    detail={"shop_id": data.shop_id, "category": data.category})
    return await get_complaint(mh, principal, community, row.id)


async def get_complaint(mh: Any, principal: Principal, community: CommunityInfo, complaint_id: int) -> ComplaintOut:
    row = await Complaint.select(*COLUMNS).where(
        Complaint.id == complaint_id, *scope_where(principal, community, (Complaint.community, Complaint.grid))).first()
    if row is None:
        raise NotFound(f"complaint {complaint_id} not found")
    return _complaint_out(row, await can_hand_over(mh, GOVERNANCE_EVENT, community.slug))


async def list_complaints(mh: Any, principal: Principal, community: CommunityInfo, *, open_only: bool = False) -> list[ComplaintOut]:
    query = Complaint.select(*COLUMNS).where(*scope_where(principal, community, (Complaint.community, Complaint.grid)))
    if open_only:
        query = query.where(Complaint.status == "open")
    rows = await query.order_by(Complaint.created_at, ascending=False).order_by(Complaint.id, ascending=False)
    governance_on = await can_hand_over(mh, GOVERNANCE_EVENT, community.slug)
    return [_complaint_out(r, governance_on) for r in rows]


async def hand_to_governance(mh: Any, principal: Principal, community: CommunityInfo, complaint_id: int) -> ComplaintOut:
    """转办: the complaint becomes a grid event in governance (``governance.event``, ``data["category"]`` the event's
    category); the complaint keeps the receipt's reference. 409 when handed over already or governance is off."""
    async with transaction(mh, lock=("commerce.complaint", str(complaint_id))):
        found = await get_complaint(mh, principal, community, complaint_id)
        if found.status != "open":
            raise Conflict(f"complaint {complaint_id} was handed over already ({found.handed_to})", field="status")
        row = await Complaint.select(Complaint.resident).where(Complaint.id == complaint_id).first()
        receipt = await hand_over(mh, GOVERNANCE_EVENT, HandOver(
            community=community.slug, source=f"commerce.complaint:{complaint_id}",
            title=f"{found.shop}：{CATEGORIES[found.category]}", body=found.text, grid_id=found.grid_id, resident_id=row["resident"],
            data={"category": EVENT_CATEGORY[found.category], "kind": found.category}), principal)
        await Complaint.update({Complaint.status: "handed_over", Complaint.handed_to: receipt.reference}).where(Complaint.id == complaint_id)
    return await get_complaint(mh, principal, community, complaint_id)
