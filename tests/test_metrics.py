"""GET /metrics: Prometheus text with request latency and the kernel's figures, no personal data, optional token."""

from __future__ import annotations

import re
from datetime import date

from meihao.scheduling.tables import JobRun
from meihao.testing import ANONYMOUS, Factories, make_client
from meihao.web import metrics


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        if metric.split("{")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    raise AssertionError(f"{name} {labels} not in the metrics")


async def _scrape(client, **headers: str) -> str:
    metrics._last_refresh = 0.0  # no caching between the scrapes of a test
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_need_no_login_and_count_the_register(meihao):
    f = Factories(meihao)
    place = await f.place("hepan")
    await f.resident(place["household_id"], name="王秀英", phone="13912345678", birth_date=date(1950, 1, 2))
    async with make_client(meihao, ANONYMOUS) as client:
        text = await _scrape(client)
    assert _value(text, "meihao_database_up") == 1
    assert _value(text, "meihao_communities") == 1
    assert _value(text, "meihao_residents") == 1
    assert _value(text, "meihao_reminders", status="sent") == 0
    assert _value(text, "meihao_info", database="sqlite" if meihao.db.is_sqlite else "postgresql") == 1


async def test_request_latency_is_recorded_per_route_template_without_ids_or_personal_data(meihao):
    f = Factories(meihao)
    place = await f.place("hepan")
    resident = await f.resident(place["household_id"], name="赵大海", phone="13912345678", birth_date=date(1950, 1, 2),
                                id_card="370125195001020038", gender="male")
    path = "/api/residents/{resident_id}"
    async with make_client(meihao) as client:
        assert (await client.get(f"/api/residents/{resident['id']}")).status_code == 200
        # the histogram lives as long as the process: other tests may have counted this route before, with other
        # status codes too (a 404 is a series of its own, and may come first in the text)
        before = _value(await _scrape(client), "meihao_http_request_duration_seconds_count", method="GET", path=path, status_code="200")
        for _ in range(3):
            assert (await client.get(f"/api/residents/{resident['id']}")).status_code == 200
        await client.get("/api/residents", params={"name": "赵大海"})
        text = await _scrape(client)
    assert _value(text, "meihao_http_request_duration_seconds_count", method="GET", path=path, status_code="200") == before + 3
    assert f"/api/residents/{resident['id']}" not in text
    # the real values, not what the code under test would show of them
    for personal in ("赵大海", "13912345678", "+8613912345678", "370125195001020038"):
        assert personal not in text


async def test_job_runs_and_their_last_success_are_exposed(meihao):
    now = meihao.clock.now()
    await JobRun.insert(
        JobRun(schedule_id="meihao:x", job_id="x.daily", outcome="success", started_at=now, finished_at=now),
        JobRun(schedule_id="meihao:x", job_id="x.daily", outcome="error", started_at=now, finished_at=now, error="boom"),
    )
    async with make_client(meihao, ANONYMOUS) as client:
        text = await _scrape(client)
    assert _value(text, "meihao_job_runs", outcome="success") == 1
    assert _value(text, "meihao_job_runs", outcome="error") == 1
    assert abs(_value(text, "meihao_job_last_success_timestamp_seconds", job="x.daily") - now.timestamp()) < 1


async def test_with_a_metrics_token_the_endpoint_asks_for_it(make_meihao):
    mh = await make_meihao(metrics_token="scrape-secret")
    async with make_client(mh, ANONYMOUS) as client:
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        text = await _scrape(client, Authorization="Bearer scrape-secret")
    assert "meihao_database_up" in text
