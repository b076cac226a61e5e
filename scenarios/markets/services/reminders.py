"""Market reminders: who is reminded before set-up (the stallholders audience) and the text of each reminder."""

from __future__ import annotations

from typing import Any

from ..tables import Application, Market, MarketDay


def stallholders(community_id: int, activity_id: int | None = None, occurrence: str | None = None) -> Any:
    """Residents to remind before set-up: the contacts of approved stalls of the day being fanned out.

    Without an activity (a preview) it is every approved stallholder of the community's coming days.
    """
    query = Application.select(Application.contact).where(
        Application.community == community_id, Application.status == "approved", Application.contact.is_not_null()
    )
    if activity_id is not None:
        # a day moved off an adjusted working weekend day has a one-off stallholders' activity of its own
        own = Application.market_day.is_in(MarketDay.select(MarketDay.id).where(MarketDay.own_stall_activity == activity_id))
        of_market = Application.market.is_in(Market.select(Market.id).where(Market.stall_activity == activity_id))
        if occurrence is not None:
            of_market = of_market & Application.market_day.is_in(
                MarketDay.select(MarketDay.id).where(MarketDay.stall_occurrence == occurrence, MarketDay.own_stall_activity.is_null()))
        return query.where(own | of_market)
    if occurrence is not None:
        query = query.where(Application.market_day.is_in(MarketDay.select(MarketDay.id).where(MarketDay.stall_occurrence == occurrence)))
    return query


#: What the community reminder says after the time and place, by the market's kind: only a charity sale (义卖)
#: says its proceeds go to community causes.
INVITATIONS = {
    "charity_sale": ("义卖所得全部用于社区公益，欢迎街坊邻居来逛！", "All proceeds go to community charity; neighbours welcome!"),
    "free_clinic": ("义诊免费，欢迎有需要的居民前来。", "Free health checks and advice; residents welcome."),
    "convenience": ("便民服务免费，欢迎居民前来。", "Free services for residents; all welcome."),
    "swap": ("欢迎带上闲置物品来交换！", "Bring things you no longer need to swap!"),
}


def render(activity: dict[str, Any], language: str) -> str | None:
    """The text of a market reminder: the community's, or the stallholders' before set-up."""
    source = str(activity.get("source", ""))
    title, venue, starts = activity.get("title", ""), activity.get("venue", ""), activity.get("starts_at", "")
    when = activity.get("when") or starts  # 3月7日（周六）上午9点 (meihao.zh_when); English keeps its own form
    if source.startswith("markets.market:"):
        parts = source.split(":")
        zh, en = INVITATIONS.get(parts[2] if len(parts) > 2 else "charity_sale", INVITATIONS["charity_sale"])
        if language == "en":
            return f"Market: {title}, {starts} at {venue}. {en}"
        return f"【{title}】{when}在{venue}开市，{zh}"
    if source.startswith("markets.stalls:"):
        if language == "en":
            return f"Stallholders of {title.split('·')[0]}: set-up starts {starts} at {venue}. Please arrive on time."
        return f"摊主提醒：{title.split('·')[0]}{when}开始在{venue}摆摊，请按时到场，带好摊位物品。"
    return None  # notices and anything else: as the kernel renders them
