"""Scheduled jobs of the culture scenario: ask the organiser for last night's attendance count."""

from __future__ import annotations

from datetime import datetime

from meihao import CommunityInfo, Job, Meihao

from .services import shows


async def ask_attendance(meihao: Meihao, community: CommunityInfo, now: datetime) -> None:
    """The morning after a show (from the setting attendance_ask_hour), ask its organiser for the attendance count."""
    await shows.ask_for_attendance(meihao, community, now)


JOBS = [
    # Hourly, so that the community's attendance_ask_hour decides when "the morning" begins;
    # a show is asked about once (the show row is claimed before the notice is sent).
    Job("culture.ask_attendance", ask_attendance, ("cron", {"minute": 5}), per_community=True,
        description="Ask organisers for the attendance count of last night's shows", misfire_grace_time=None),
]
