"""街道网格学院统计: a row per community the caller manages, summed in SQL; a community's admin sees their own row only.

银山 (the world's community) requires 4 学时 / 2 学分 here, 北苑 (the world's other community, switched on for this
test) 5 / 2: one attended session of 4 / 2 meets the first and misses the second by one hour.
"""

from __future__ import annotations

from meihao.register.community_scenarios import enable
from tests.scenarios.education.conftest import BASE, at, enrol, plan

OTHER = "/api/communities/beiyuan/education"


async def _attend(w, who: str, enrolment_id: int, base: str = BASE) -> None:
    async with w.client(who) as client:
        assert (await client.post(f"{base}/enrolments/{enrolment_id}/check-in")).status_code == 200
        assert (await client.post(f"{base}/enrolments/{enrolment_id}/check-out")).status_code == 200


async def _street(w, who: str, base: str = BASE, year: int | None = None):
    async with w.client(who) as client:
        return await client.get(f"{base}/street-report" + (f"?year={year}" if year else ""))


def _row(r: dict) -> tuple:
    return (r["community"], r["venues"], r["courses"], r["sessions_held"], r["sessions_planned"], r["sessions_cancelled"], r["enrolments"],
            r["attendances"], r["learners"], r["hours"], r["attendance_rate"], r["staff"], r["staff_met"], r["completion_rate"])


async def _year_in_two_communities(w) -> None:
    async with w.client("street_admin") as street:
        assert (await street.put("/api/communities/yinshan/scenarios/education",
                                 json={"settings": {"required_hours": 4, "required_credits": 2}})).status_code == 200
    await enable(w.mh, "beiyuan", "education", {"required_hours": 5, "required_credits": 2})
    w.staff["other_admin"] = await w.factories.staff("community_admin", community="beiyuan", name="北苑管理员")
    async with w.client("other_admin") as other:
        venue = (await other.post(f"{OTHER}/venues", json={"name": "北苑社区党群服务中心", "kind": "main", "capacity": 30})).json()
        course = (await other.post(f"{OTHER}/courses", json={"title": "矛盾纠纷调解", "kind": "required", "hours": 4, "credits": 2})).json()
        e = (await other.post(f"{OTHER}/sessions", json={"course_id": course["id"], "venue_id": venue["id"],
                                                           "starts_at": at(2026, 3, 10, 9).isoformat(),
                                                           "ends_at": at(2026, 3, 10, 12).isoformat()})).json()
        mine = (await other.post(f"{OTHER}/sessions/{e['id']}/enrolments", json={})).json()
    a = await plan(w, capacity=2)  # 14 March 09:00-12:00
    d = await plan(w, "phones", at(2026, 3, 14, 14), hours=2)
    b = await plan(w, starts=at(2026, 3, 21, 9))
    c = await plan(w, starts=at(2026, 3, 28, 9))
    worker = (await enrol(w, "grid_worker", a["id"])).json()
    await enrol(w, "leader", a["id"])
    wang = (await enrol(w, "leader", d["id"], {"resident_id": w.residents["王秀英"]["id"]})).json()
    await enrol(w, "part_time", b["id"])
    await enrol(w, "grid_worker_out", c["id"])
    async with w.client("community_admin") as admin:
        assert (await admin.post(f"{BASE}/sessions/{c['id']}/cancel", json={"reason": "停电"})).status_code == 200
    w.travel_to(at(2026, 3, 10, 8, 30))
    await _attend(w, "other_admin", mine["id"], OTHER)
    w.travel_to(at(2026, 3, 14, 8, 30))
    await _attend(w, "leader", worker["id"])
    w.travel_to(at(2026, 3, 14, 13, 30))
    await _attend(w, "leader", wang["id"])


YINSHAN = ("银山社区", 2, 2, 2, 1, 1, 4, 2, 2, 6, 0.6667, 5, 1, 0.2)
BEIYUAN = ("beiyuan社区", 1, 1, 1, 0, 0, 1, 1, 1, 4, 1.0, 1, 0, 0.0)


async def test_the_street_sees_every_community_and_their_total(world):
    w = world
    await _year_in_two_communities(w)
    w.travel_to(at(2026, 3, 15, 10))
    for base in (BASE, OTHER):  # reached under any community running the scene: the same rows
        response = await _street(w, "street_admin", base)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [_row(r) for r in body["communities"]] == [YINSHAN, BEIYUAN]
        assert _row(body["total"]) == ("合计", 3, 3, 3, 1, 1, 5, 3, 3, 10, 0.75, 6, 1, 0.1667)
    async with w.client("street_admin") as street:
        csv = await street.get(f"{BASE}/street-report.csv?year=2026")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "社区,培训场地,课程,已开课次,待开课次,取消课次,报名人次,签到签退人次,到课率,参训人数,学时,应训人员,已达标,完成率"
    assert lines[1:] == ["银山社区,2,2,2,1,1,4,2,66.7%,2,6,5,1,20.0%", "beiyuan社区,1,1,1,0,0,1,1,100.0%,1,4,1,0,0.0%",
                         "合计,3,3,3,1,1,5,3,75.0%,3,10,6,1,16.7%"]


async def test_a_community_admin_sees_their_own_row_only_and_grid_staff_none(world):
    w = world
    await _year_in_two_communities(w)
    w.travel_to(at(2026, 3, 15, 10))
    mine = (await _street(w, "community_admin")).json()
    assert [_row(r) for r in mine["communities"]] == [YINSHAN]
    assert _row(mine["total"]) == ("合计", *YINSHAN[1:])
    theirs = (await _street(w, "other_admin", OTHER)).json()
    assert [_row(r) for r in theirs["communities"]] == [BEIYUAN] and _row(theirs["total"]) == ("合计", *BEIYUAN[1:])
    # 银山's admin does not reach 北苑's path at all
    assert (await _street(w, "community_admin", OTHER)).status_code == 403
    for who in ("leader", "grid_worker", "part_time"):
        assert (await _street(w, who)).status_code == 403


async def test_held_planned_and_the_requirement_at_their_edges(world):
    w = world
    await _year_in_two_communities(w)
    w.travel_to(at(2026, 3, 14, 15, 59))  # the phones class ends at 16:00: still ahead
    row = (await _street(w, "street_admin")).json()["communities"][0]
    assert (row["sessions_held"], row["sessions_planned"], row["attendance_rate"]) == (1, 2, 0.5)
    w.travel_to(at(2026, 3, 14, 16, 0))
    row = (await _street(w, "street_admin")).json()["communities"][0]
    assert (row["sessions_held"], row["sessions_planned"], row["attendance_rate"]) == (2, 1, 0.6667)
    # 4 of 4 学时 meets 银山's requirement; 4 of 5 misses 北苑's; at 4 the 北苑 admin meets it
    rows = (await _street(w, "street_admin")).json()["communities"]
    assert [(r["community"], r["staff_met"]) for r in rows] == [("银山社区", 1), ("beiyuan社区", 0)]
    async with w.client("street_admin") as street:
        assert (await street.put("/api/communities/beiyuan/scenarios/education",
                                 json={"settings": {"required_hours": 4, "required_credits": 2}})).status_code == 200
    rows = (await _street(w, "street_admin")).json()["communities"]
    assert [(r["community"], r["staff_met"], r["completion_rate"]) for r in rows] == [("银山社区", 1, 0.2), ("beiyuan社区", 1, 1.0)]


async def test_another_year_and_nothing_to_show(world):
    w = world
    await _year_in_two_communities(w)
    last = (await _street(w, "street_admin", year=2025)).json()
    assert [(r["community"], r["sessions_held"], r["enrolments"], r["hours"], r["attendance_rate"], r["staff"], r["staff_met"])
            for r in last["communities"]] == [("银山社区", 0, 0, 0, None, 5, 0), ("beiyuan社区", 0, 0, 0, None, 1, 0)]
    bad = await _street(w, "street_admin", year=1999)
    assert (bad.status_code, bad.json()["detail"]) == (400, "year: between 2000 and 2100")
