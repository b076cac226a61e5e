"""The texts of show reminders: the audience's and the elders' earlier one."""

from __future__ import annotations

from typing import Any


def render(activity: dict[str, Any], language: str) -> str | None:
    """The text of a show reminder: for the audience, or the elders' earlier one (front rows kept for them)."""
    source = str(activity.get("source", ""))
    title, venue, starts = activity.get("title", ""), activity.get("venue", ""), activity.get("starts_at", "")
    description = activity.get("description", "")
    when = activity.get("when") or starts  # 3月7日（周六）晚7点 (meihao.zh_when); English keeps its own form
    if source.startswith("culture.show:"):
        if language == "en":
            return f"Opera in your neighbourhood: {title}, {starts} at {venue}. Free for everyone, come and enjoy!"
        return f"【{title}】{when}在{venue}开演" + (f"，{description}" if description else "") + "，免费观看，欢迎乡亲们来看戏！"
    if source.startswith("culture.show_elders:"):
        if language == "en":
            return f"Opera in your neighbourhood: {title}, {starts} at {venue}. The front rows are kept for elders: come early!"
        return f"【{title}】{when}在{venue}开演，前排座位优先留给老年人，欢迎您提前到场入座。"
    return None  # notices and anything else: as the kernel renders them
