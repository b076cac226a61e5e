"""Audiences stay inside the activity's community, and grid staff remind only their own grids (issue 11, finding 6)."""

from __future__ import annotations

import msgspec
import pytest

from meihao.access.tables import StaffAssignment
from meihao.errors import InvalidInput
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.tables import Reminder
from meihao.tables import Building, Department
from meihao.testing import drain, make_client
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at

PLAN = {
    "scene": "health",
    "title": "健康体检",
    "starts_at": "2026-03-07T09:00:00",
    "ends_at": "2026-03-07T11:00:00",
    "reminder_offsets": [1440],
    "channels": ["inbox"],
}


async def test_grid_staff_remind_only_their_own_grids(meihao):
    street = await build_street(meihao)
    worker_a = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    admin = await street.factories.staff("community_admin", community="hepan")
    building_b = (await Building.select(Building.id).where(Building.grid == street.grid_b).first())["id"]
    building_a = (await Building.select(Building.id).where(Building.grid == street.grid_a).first())["id"]
    r = street.residents
    async with make_client(meihao, worker_a["id"]) as client:
        for audience, field in [
            ({"everyone": True}, "audience.grids"),
            ({"tags": ["elder"]}, "audience.grids"),
            ({"grids": [street.grid_b]}, "audience.grids"),
            ({"grids": [street.grid_a, street.grid_b]}, "audience.grids"),
            ({"buildings": [building_b]}, "audience.buildings"),
            ({"residents": [r["张伟"]["id"]]}, "audience.residents"),
            ({"residents": [r["王秀英"]["id"], r["刘芳"]["id"]]}, "audience.residents"),
        ]:
            answer = await client.post("/api/communities/hepan/activities", json={**PLAN, "audience": audience})
            assert (answer.status_code, answer.json().get("field")) == (403, field), (audience, answer.text)
        for audience in (
            {"everyone": True, "grids": [street.grid_a]},
            {"tags": ["elder"], "buildings": [building_a]},
            {"residents": [r["王秀英"]["id"]]},
            {"staff": [worker_a["id"]]},
        ):
            answer = await client.post("/api/communities/hepan/activities", json={**PLAN, "audience": audience})
            assert answer.status_code == 201, (audience, answer.text)
        mine = answer.json()["id"]
        widened = await client.patch(f"/api/activities/{mine}", json={"audience": {"everyone": True}})
        assert (widened.status_code, widened.json()["field"]) == (403, "audience.grids")
    async with make_client(meihao, admin["id"]) as client:  # the community's admin holds meihao.activity.audience.community
        answer = await client.post("/api/communities/hepan/activities", json={**PLAN, "audience": {"everyone": True}})
        assert answer.status_code == 201


async def test_nothing_in_an_audience_reaches_outside_the_community(meihao):
    street = await build_street(meihao)
    street_admin = await street.factories.street_admin()
    await street.factories.community("huayang")
    other_grid = await street.factories.grid("huayang", code="H")
    outsider = await street.factories.staff("community_admin", community="huayang")
    foreign = await street.factories.resident((await street.factories.place("huayang"))["household_id"], name="外人")
    for audience, field in [
        ({"staff": [outsider["id"]]}, "audience.staff"),
        ({"grids": [other_grid["id"]]}, "audience.grids"),
        ({"residents": [foreign["id"]]}, "audience.residents"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await create_activity(meihao, "hepan", msgspec.convert({**PLAN, "audience": audience}, ActivityIn))
        assert refused.value.field == field
    # the street's admin works in every community (staff_works_in): a visit they organise may remind them
    assert (await create_activity(meihao, "hepan", msgspec.convert({**PLAN, "audience": {"staff": [street_admin["id"]]}}, ActivityIn)))["id"]
    # so do the departments' staff, who hold no community (governance's 督办 tells them)
    await Department.insert(Department(code="chengguan", name="街道城管中队", kind="department"))
    department = await street.factories.staff("department_staff", department="chengguan")
    assert (await create_activity(meihao, "hepan", msgspec.convert({**PLAN, "audience": {"staff": [department["id"]]}}, ActivityIn)))["id"]
    worker = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    async with make_client(meihao, worker["id"]) as client:  # but grid staff name the community's own staff only
        answer = await client.post("/api/communities/hepan/activities", json={**PLAN, "audience": {"staff": [street_admin["id"]]}})
        assert answer.json() == {
            "status_code": 403, "detail": "audience.staff: you may remind staff of this community only", "field": "audience.staff",
        }
    async with make_client(meihao) as client:
        answer = await client.post("/api/communities/hepan/activities", json={**PLAN, "audience": {"staff": [outsider["id"]]}})
        assert answer.json() == {
            "status_code": 400,
            "detail": f"audience.staff: staff {outsider['id']} has no role in this activity's community",
            "field": "audience.staff",
        }


async def test_staff_who_left_the_community_are_not_reminded(meihao):
    street = await build_street(meihao)
    mover = await street.factories.staff("community_admin", community="hepan")
    stays = await street.factories.staff("grid_worker", grid_id=street.grid_a)
    huayang = await street.factories.community("huayang")
    await create_activity(meihao, "hepan", msgspec.convert({**PLAN, "audience": {"staff": [mover["id"], stays["id"]]}}, ActivityIn))
    await StaffAssignment.update({StaffAssignment.community: huayang["id"]}).where(StaffAssignment.staff == mover["id"])
    street.clock.set(at(2026, 3, 6, 9, 0))
    await drain(street.engine)
    assert [r["recipient_id"] for r in await Reminder.select(Reminder.recipient_id)] == [stays["id"]]
