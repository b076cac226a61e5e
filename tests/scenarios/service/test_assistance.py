"""三强化 assistance visits through the API: monitored households, monthly visits on the 两不愁三保障 + drinking-water
checklist with the thresholds of domain-rules §4, problems opened and rectified, the month's plan and 月走访覆盖率.

荷畔 (conftest): 王秀英's household in grid A (陈网格's), 张伟's in grid B (吴网格's); the clock stands on Monday
30 Nov 2026, 09:00.
"""

from __future__ import annotations

from meihao import Principal, list_work_items

from .conftest import BASE

A = f"{BASE}/assistance"
FINE = {k: {"status": "ok"} for k in ("food_clothing", "schooling", "medical", "housing", "water")}


async def monitored(w) -> dict[str, int]:
    ids = {}
    async with w.client("community_admin") as admin:
        for name, category, helper in (("王秀英", "脱贫不稳定户", "grid_worker"), ("张伟", "边缘易致贫户", "grid_worker_out")):
            made = await admin.post(f"{A}/households", json={"household": w.residents[name]["household_id"], "category": category,
                                                             "helper": w.staff[helper]["id"]})
            assert made.status_code == 201, made.text
            ids[name] = made.json()["id"]
    return ids


async def visit(client, household: int, status: int = 201, **body) -> dict:
    answer = await client.post(f"{A}/households/{household}/visits", json={"checks": FINE, **body})
    assert answer.status_code == status, answer.text
    return answer.json()


async def test_households_are_put_under_monitoring_by_the_admin(hepan):
    w = hepan
    ids = await monitored(w)
    async with w.client("community_admin") as admin:
        again = await admin.post(f"{A}/households", json={"household": w.residents["王秀英"]["household_id"], "category": "脱贫不稳定户",
                                                          "helper": w.staff["grid_worker"]["id"]})
        unknown = await admin.post(f"{A}/households", json={"household": w.residents["王秀英"]["household_id"], "category": "低保户",
                                                            "helper": w.staff["grid_worker"]["id"]})
        outside = await admin.post(f"{A}/households", json={"household": w.other_resident["household_id"], "category": "脱贫不稳定户",
                                                             "helper": w.staff["grid_worker"]["id"]})
        listed = (await admin.get(f"{A}/households")).json()
    assert (again.status_code, again.json()["field"]) == (409, "household")
    assert (unknown.status_code, unknown.json()["field"]) == (400, "category")
    assert (outside.status_code, outside.json()["field"]) == (404, "household")
    assert [(h["id"], h["category"], h["helper_name"], h["since"], h["last_visited_on"]) for h in listed] == [
        (ids["王秀英"], "脱贫不稳定户", "陈网格", "2026-11-30", None), (ids["张伟"], "边缘易致贫户", "吴网格", "2026-11-30", None)]
    async with w.client("grid_worker") as worker:
        mine = (await worker.get(f"{A}/households")).json()
        refused = await worker.post(f"{A}/households", json={"household": w.residents["王秀英"]["household_id"], "category": "脱贫不稳定户",
                                                             "helper": w.staff["grid_worker"]["id"]})
    assert [h["id"] for h in mine] == [ids["王秀英"]] and refused.status_code == 403


async def test_a_visit_judges_housing_and_water_at_the_thresholds(hepan):
    w = hepan
    ids = await monitored(w)
    async with w.client("grid_worker") as worker:
        # on each threshold: 35 L a person a day, a 20-minute trip, 36 days without water: fine; grade B: safe
        fine = await visit(worker, ids["王秀英"], housing_grade="B", water_litres=35, water_trip_minutes=20, water_outage_days=36)
        assert (fine["problems"], fine["checks"]["water"], fine["checks"]["housing"]) == ([], {"status": "ok", "note": ""},
                                                                                         {"status": "ok", "note": ""})
        # one past each: three reasons on the water item, and grade C ticked fine is still a problem
        bad = await visit(worker, ids["王秀英"], housing_grade="C", water_litres=34, water_trip_minutes=21, water_outage_days=37)
        households = (await worker.get(f"{A}/households")).json()
    assert bad["checks"]["housing"] == {"status": "problem", "note": "住房安全等级C级，须改造"}
    assert bad["checks"]["water"] == {"status": "problem", "note": "人均日用水34升，低于35升；单次取水21分钟，超过20分钟；全年断水37天，超过36天"}
    assert len(bad["problems"]) == 2
    assert [(h["last_visited_on"], h["housing_grade"], h["water_ok"]) for h in households] == [("2026-11-30", "C", False)]
    items = await list_work_items(w.mh, Principal.system(), w.community, scenario="service", workflow="assistance_problem")
    titles = sorted(i["title"] for i in items.rows)
    assert titles == [f"帮扶走访问题：住房安全有保障（监测户 {ids['王秀英']}）", f"帮扶走访问题：饮水安全有保障（监测户 {ids['王秀英']}）"]


async def test_a_visit_needs_every_item_and_a_note_for_a_problem(hepan):
    w = hepan
    ids = await monitored(w)
    async with w.client("grid_worker") as worker:
        partial = await visit(worker, ids["王秀英"], 400, checks={k: v for k, v in FINE.items() if k != "schooling"})
        silent = await visit(worker, ids["王秀英"], 400, checks={**FINE, "medical": {"status": "problem"}})
        future = await visit(worker, ids["王秀英"], 400, visited_on="2026-12-01")
        old = await visit(worker, ids["王秀英"], 400, visited_on="2026-09-28")
        oldest = await visit(worker, ids["王秀英"], visited_on="2026-09-29")  # 62 days before 30 Nov
        skipped = await visit(worker, ids["王秀英"], checks={**FINE, "water": {"status": "not_checked"}})
    assert (partial["field"], silent["field"], future["field"], old["field"]) == (
        "checks.schooling", "checks.medical.note", "visited_on", "visited_on")
    assert oldest["visited_on"] == "2026-09-29" and skipped["checks"]["water"] == {"status": "not_checked", "note": ""}
    assert skipped["problems"] == []


async def test_another_grids_household_is_the_missing_one(hepan):
    w = hepan
    ids = await monitored(w)
    async with w.client("grid_worker_out") as other:
        hidden = await other.post(f"{A}/households/{ids['王秀英']}/visits", json={"checks": FINE})
        missing = await other.post(f"{A}/households/987654/visits", json={"checks": FINE})
        read = await other.get(f"{A}/households/{ids['王秀英']}/visits")
    assert (hidden.status_code, read.status_code, missing.status_code) == (404, 404, 404)
    assert hidden.json()["detail"].replace(str(ids["王秀英"]), "ID") == missing.json()["detail"].replace("987654", "ID")


async def test_the_months_plan_and_coverage(hepan):
    w = hepan
    ids = await monitored(w)
    async with w.client("community_admin") as admin:
        before = (await admin.get(f"{A}/plan?month=2026-11")).json()
    assert (before["households"], before["covered"], before["coverage"]) == (2, 0, 0.0)
    async with w.client("grid_worker") as worker:
        found = await visit(worker, ids["王秀英"], checks={**FINE, "schooling": {"status": "problem", "note": "孙子初二辍学在家"}})
    async with w.client("community_admin") as admin:
        november = (await admin.get(f"{A}/plan?month=2026-11")).json()
        december = (await admin.get(f"{A}/plan?month=2026-12")).json()
        october = (await admin.get(f"{A}/plan?month=2026-10")).json()
        metrics = {m["key"]: m["value"] for m in (await admin.get("/api/communities/hepan/dashboard")).json()
                   if m["scenario"] == "service"}
        bad = await admin.get(f"{A}/plan?month=2026-13")
    assert [(r["household"]["id"], r["visits"], r["due"], r["done"]) for r in november["rows"]] == [
        (ids["王秀英"], 1, 0, True), (ids["张伟"], 0, 1, False)]
    assert (november["covered"], november["coverage"]) == (1, 0.5)
    assert (december["covered"], december["coverage"]) == (0, 0.0)  # a November visit does not count in December
    assert (october["households"], october["coverage"]) == (0, None)  # monitored since 30 November
    assert (metrics["visit_coverage"], metrics["open_problems"]) == (0.5, 1)
    assert bad.status_code == 400
    async with w.client("grid_worker") as worker:
        mine = (await worker.get(f"{A}/plan?month=2026-11")).json()
    assert (mine["households"], mine["coverage"]) == (1, 1.0)

    # 整改销号: the other grid's worker cannot see it; the helper rectifies it
    problem = found["problems"][0]
    async with w.client("grid_worker_out") as other:
        hidden = await other.post(f"{A}/problems/{problem}/rectify", json={"note": "已联系学校复学"})
    async with w.client("grid_worker") as worker:
        empty = await worker.post(f"{A}/problems/{problem}/rectify", json={"note": " "})
        done = await worker.post(f"{A}/problems/{problem}/rectify", json={"note": "已联系学校，12月1日复学"})
        twice = await worker.post(f"{A}/problems/{problem}/rectify", json={"note": "再次"})
    assert (hidden.status_code, empty.status_code, done.status_code, done.json(), twice.status_code) == (
        404, 400, 201, {"state": "rectified"}, 409)
    async with w.client("community_admin") as admin:
        metrics = {m["key"]: m["value"] for m in (await admin.get("/api/communities/hepan/dashboard")).json()
                   if m["scenario"] == "service"}
    assert metrics["open_problems"] == 0


def test_every_setting_has_a_chinese_label_and_hint():
    import msgspec

    from meihao.scenarios.service.schemas import ServiceSettings
    from meihao.web.console.settings_form import field_comments, humanise, schema_translations

    catalogue = schema_translations(ServiceSettings, "zh_CN")
    comments = field_comments(ServiceSettings)
    untranslated = [text for f in msgspec.inspect.type_info(ServiceSettings).fields
                    for text in (humanise(f.name), comments.get(f.name)) if text and catalogue.gettext(text) == text]
    assert untranslated == []
    assert catalogue.gettext("Water min litres") == "人均日用水量下限（升）"


def test_the_assistance_settings_refuse_values_out_of_range():
    import pytest

    from meihao.scenarios.service.schemas import ServiceSettings

    assert (ServiceSettings().assistance_visits_per_month, ServiceSettings().water_min_litres) == (1, 35)
    assert ServiceSettings(water_max_outage_days=0).water_max_outage_days == 0
    assert ServiceSettings(hotline_reply_attempts=20, hotline_reply_url="https://12345.example/reply").hotline_reply_attempts == 20
    for bad in ({"assistance_visits_per_month": 0}, {"water_min_litres": 0}, {"water_max_trip_minutes": 241},
                {"water_max_outage_days": 366}, {"household_categories": []}, {"assistance_problem_working_days": 61},
                {"hotline_reply_url": "ftp://platform"}, {"hotline_reply_attempts": 0}, {"hotline_reply_attempts": 21}):
        with pytest.raises(ValueError, match=f"^{next(iter(bad))}"):
            ServiceSettings(**bad)
