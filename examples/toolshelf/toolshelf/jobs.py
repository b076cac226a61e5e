"""toolshelf's daily job: a reminder the working day before a loan is due, and a notice each day it is overdue.

Idempotent: each notice's key names the loan and the day, so a second run that day sends nothing.
"""

from __future__ import annotations

from datetime import date

from meihao import CommunityInfo, Meihao, NoticeIn, community_today, notify, scenario_settings, working_calendar

from . import services


async def remind_borrowers(meihao: Meihao, community: CommunityInfo) -> int:
    settings = await scenario_settings(meihao, community.id, "toolshelf")
    today = community_today(meihao, community)
    calendar = await working_calendar(meihao, community)
    due_next = calendar.add_working_days(today, 1)
    sent = 0
    for loan in await services.open_loans(community):
        if loan["due_on"] < today:
            key, title = f"toolshelf.overdue:{loan['id']}:{today.isoformat()}", "借用工具已逾期"
            body = f"您借用的{loan['tool_name']}应于{_day(loan['due_on'])}归还，请尽快送回社区工具架。"
        elif settings.remind_before_due and today < loan["due_on"] <= due_next:
            key, title = f"toolshelf.due:{loan['id']}", "借用工具即将到期"
            body = f"您借用的{loan['tool_name']}请于{_day(loan['due_on'])}前归还。"
        else:
            continue
        notice = NoticeIn(key=key, title=title, body=body, residents=[loan["resident"]])
        if await notify(meihao, community.slug, notice, scenario="toolshelf") is not None:
            sent += 1
    return sent


def _day(day: date) -> str:
    return f"{day.month}月{day.day}日"
