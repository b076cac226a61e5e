"""The application deadline at its last minute and at its first closed minute; the stall cap at exactly the cap.

A market on the second Saturday of the month at 9:00 (14 March 2026): applications close 48
hours before, at 09:00 on Thursday 12 March (local).
"""

from __future__ import annotations

import pytest

P = "/api/communities/huayang/markets"


async def _market_day(w, capacity: int = 2) -> int:
    async with w.client("community_admin") as admin:
        created = await admin.post(f"{P}/markets", json={
            "venue": "华阳社区党群服务中心广场", "rrule": "FREQ=MONTHLY;BYDAY=2SA", "first_day": "2026-03-01", "opens_at": "09:00",
            "closes_at": "11:30", "capacity": capacity})
        assert created.status_code == 201, created.text
    day = created.json()["next_days"][0]
    assert (day["day"], day["applications_close_at"][:19]) == ("2026-03-14", "2026-03-12T01:00:00")
    return day["id"]


@pytest.mark.parametrize(
    ("hour", "minute", "status"),
    [(8, 58, 201), (8, 59, 201), (9, 0, 409), (9, 1, 409)],
)
async def test_applications_close_at_exactly_the_deadline(huayang, hour, minute, status):
    w = huayang
    day_id = await _market_day(w)
    w.at(2026, 3, 12, hour, minute)
    async with w.client("grid_worker") as worker:
        response = await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": w.residents["王秀英"]["id"], "goods": "手工皂"})
    assert response.status_code == status, response.text
    if status == 409:
        assert response.json()["detail"] == "market_day_id: applications for this market day closed at 2026-03-12 09:00"


@pytest.mark.parametrize("capacity", [1, 2, 3])
async def test_approval_fills_exactly_the_capacity(huayang, capacity):
    w = huayang
    day_id = await _market_day(w, capacity)
    statuses = []
    async with w.client("grid_worker") as worker, w.client("community_admin") as admin:
        for name in ("王秀英", "李建国", "张伟", "刘芳"):
            applied = await worker.post(f"{P}/days/{day_id}/applications", json={"resident_id": w.residents[name]["id"], "goods": "绿植"})
            assert applied.status_code == 201, applied.text
            decided = await admin.post(f"{P}/applications/{applied.json()['id']}/approve")
            assert decided.status_code == 200, decided.text
            statuses.append(decided.json()["status"])
    assert statuses == ["approved"] * capacity + ["waitlisted"] * (4 - capacity)
