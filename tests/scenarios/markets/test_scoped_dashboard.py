"""The dashboard's figures are the caller's: a grid worker counts their grid's elders, and the market money
is shown only to those who may read the proceeds (``meihao_metrics`` gets the viewer)."""

from __future__ import annotations

from tests.scenarios.elder_care.test_scoped_dashboard import figures


async def test_market_proceeds_are_left_out_for_those_who_may_not_read_them(huayang):
    w = huayang
    assert "proceeds_this_year" in await figures(w, "community_admin", "huayang", "markets")
    assert "proceeds_this_year" in await figures(w, "street_admin", "huayang", "markets")
    worker = await figures(w, "grid_worker", "huayang", "markets")
    assert sorted(worker) == ["stall_capacity", "stalls_filled"]
