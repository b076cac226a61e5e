"""Cron jobs fire at the community's wall-clock time from the first fire on, whatever zone the server is in."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from meihao import Job
from meihao.scheduling.scheduler import build_trigger

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("utc_hour", [1, 9, 13, 20])
def test_the_first_fire_of_a_community_cron_job_is_the_next_local_time(utc_hour):
    job = Job("markets.open_days", lambda: None, ("cron", {"hour": 2, "minute": 40}), per_community=True)
    now = datetime(2026, 11, 28, utc_hour, 5, tzinfo=timezone.utc)
    fire = build_trigger(job, "Asia/Shanghai", start_time=now).next()
    local = now.astimezone(SHANGHAI)
    expected_day = local.date() if (local.hour, local.minute) < (2, 40) else local.date().fromordinal(local.date().toordinal() + 1)
    assert fire == datetime.combine(expected_day, datetime.min.time().replace(hour=2, minute=40), tzinfo=SHANGHAI)
    assert fire > now
