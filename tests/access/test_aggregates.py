"""Scope on sums and counts, not only on rows: a grid leader's totals leave out the other grids.

The matrix world (tests/access/test_matrix.py) has, in alpha, grids a1 and a2 and in beta grid
b1, each with one paid market stall, one show held yesterday and one elder on the register.
Here each place's figures get amounts that add up differently (1, 20, 300), so every total
says which places it counted. Every role asks for every total; the answers are written out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.access.test_matrix import ROLES, world, world_app, world_template  # noqa: F401 (fixtures)

AMOUNTS = {"a1": ("1.00", 1), "a2": ("20.00", 20), "b1": ("300.00", 300)}


def _year(days_ago: int) -> int:
    return (datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=days_ago)).year


async def _record_figures(client, w) -> None:
    street = {"Authorization": f"Bearer {w.tokens['street_admin']}"}
    for place, (yuan, people) in AMOUNTS.items():
        base = f"/api/communities/{w.slugs[place]}"
        paid = await client.put(f"{base}/markets/applications/{w.places[place]['mk_paid_app_id']}/proceeds", json={"amount": yuan}, headers=street)
        assert paid.status_code == 200, paid.text
        held = await client.put(f"{base}/culture/shows/{w.places[place]['cu_held_show_id']}/record",
                                json={"attendance": people, "satisfaction": "satisfied"}, headers=street)
        assert held.status_code == 200, held.text


# role -> (status, total) of alpha's proceeds: the street and alpha's admin count a1 and a2, the
# grid leader of a1 only a1; the others may not read proceeds
PROCEEDS = {
    "street_admin": (200, "21.00"), "community_admin": (200, "21.00"), "grid_leader": (200, "1.00"), "grid_worker": (403, None),
    "grid_part_time": (403, None), "dispatched": (403, None), "department_staff": (403, None),
}

# role -> (status, shows delivered, audience reached, venues) of alpha's culture summary
CULTURE = {
    "street_admin": (200, 2, 21, 2), "community_admin": (200, 2, 21, 2), "grid_leader": (200, 1, 1, 1), "grid_worker": (200, 1, 1, 1),
    "grid_part_time": (200, 1, 1, 1), "dispatched": (200, 1, 1, 1), "department_staff": (403, None, None, None),
}

# role -> (status, total) of alpha's elder register
ELDERS = {
    "street_admin": (200, 2), "community_admin": (200, 2), "grid_leader": (200, 1), "grid_worker": (200, 1), "grid_part_time": (200, 1),
    "dispatched": (403, None), "department_staff": (403, None),
}


@pytest.mark.parametrize("role", ROLES)
async def test_proceeds_totals_count_only_the_callers_grids(world, role):  # noqa: F811 (the matrix world fixture)
    mh, client, w = world
    await _record_figures(client, w)
    headers = {"Authorization": f"Bearer {w.tokens[role]}"}
    status, total = PROCEEDS[role]
    year = _year(7)  # the paid stall was on last week's market day
    everything = await client.get(f"/api/communities/alpha/markets/proceeds?year={year}", headers=headers)
    one_market = await client.get(f"/api/communities/alpha/markets/markets/{w.places['a1']['mk_market_id']}/proceeds?year={year}", headers=headers)
    assert (everything.status_code, one_market.status_code) == (status, status), everything.text
    if status == 200:
        assert everything.json()["total"] == total
        assert [m["stalls"] for m in everything.json()["markets"]] == [1 if total == "1.00" else 2]
        assert one_market.json()["total"] == total


@pytest.mark.parametrize("role", ROLES)
async def test_culture_summary_counts_only_the_callers_grids(world, role):  # noqa: F811 (the matrix world fixture)
    mh, client, w = world
    await _record_figures(client, w)
    response = await client.get(f"/api/communities/alpha/culture/summary?year={_year(1)}", headers={"Authorization": f"Bearer {w.tokens[role]}"})
    status, shows, audience, venues = CULTURE[role]
    assert response.status_code == status, response.text
    if status == 200:
        summary = response.json()
        assert (summary["shows_delivered"], summary["audience_reached"], summary["venues"]) == (shows, audience, venues)


@pytest.mark.parametrize("role", ROLES)
async def test_the_elder_register_total_counts_only_the_callers_grids(world, role):  # noqa: F811 (the matrix world fixture)
    mh, client, w = world
    response = await client.get("/api/communities/alpha/elder_care/elders", headers={"Authorization": f"Bearer {w.tokens[role]}"})
    status, total = ELDERS[role]
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["total"] == total
        assert len(response.json()["items"]) == total
