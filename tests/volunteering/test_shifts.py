"""Kernel volunteering: teams, shifts with the number needed, sign-ups (staff and the resident's own page), check-in and
check-out by a signed, expiring QR code, no-shows with their points penalty, verifying in scope, and the certificate PDF."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from meihao import Conflict, Forbidden, InvalidInput, NotFound, award_points, points_balance
from meihao.access.principals import principal_for
from meihao.access.tables import Staff
from meihao.testing import ANONYMOUS, SceneWorld, form_token, make_page_client
from meihao.volunteering import certificate, ledger, shifts
from meihao.volunteering.tables import VolunteerService, VolunteerSignup

SH = ZoneInfo("Asia/Shanghai")


@pytest_asyncio.fixture
async def world(meihao) -> SceneWorld:
    # Monday 2 March 2026, 09:00 in Shanghai; a grid leader of A and one of B
    return await SceneWorld.build(meihao, staff={"leader": ("grid_leader", "A", "孙网格长"), "leader_b": ("grid_leader", "B", "钱网格长")},
                                  start=datetime(2026, 3, 2, 9, 0, tzinfo=SH))


async def who(w: SceneWorld, key: str):
    staff = await Staff.select().where(Staff.id == w.staff[key]["id"]).first()
    return await principal_for(w.mh, staff)


async def shift_at(w: SceneWorld, admin, *, needed: int = 2, day: int = 7, start: int = 9, end: int = 11, title: str = "邻里节·百家宴帮厨"):
    return await shifts.create_shift(w.mh, admin, w.community, title=title, place="荷畔社区广场",
                                     starts_at=datetime(2026, 3, day, start, tzinfo=SH), ends_at=datetime(2026, 3, day, end, tzinfo=SH),
                                     needed=needed)


async def test_teams_members_and_their_scope(world):
    w = world
    admin, worker, out = await who(w, "community_admin"), await who(w, "grid_worker"), await who(w, "grid_worker_out")
    team = await shifts.create_team(w.mh, admin, w.community, name="荷畔老街坊志愿服务队", kind="community")
    assert (team["name"], team["kind"], team["members"]) == ("荷畔老街坊志愿服务队", "community", 0)
    partner = await shifts.create_team(w.mh, admin, w.community, name="社工站助老队", kind="partner", partner="阳光社工事务所")
    assert partner["partner"] == "阳光社工事务所"
    with pytest.raises(InvalidInput, match="^partner: 1 to 200 characters, got 0$"):
        await shifts.create_team(w.mh, admin, w.community, name="某单位", kind="partner")
    with pytest.raises(InvalidInput, match="^kind: one of community, civilization_practice, social_work_station, partner, got 'club'$"):
        await shifts.create_team(w.mh, admin, w.community, name="俱乐部", kind="club")
    with pytest.raises(Conflict, match="^name: a team named 荷畔老街坊志愿服务队 already exists$"):
        await shifts.create_team(w.mh, admin, w.community, name="荷畔老街坊志愿服务队", kind="community")
    with pytest.raises(Forbidden):  # grid workers record, they do not set teams up
        await shifts.create_team(w.mh, worker, w.community, name="一网格队", kind="community")
    wang, zhang = w.residents["王秀英"]["id"], w.residents["张伟"]["id"]
    member = await shifts.add_member(w.mh, worker, team["id"], wang, skills="理发, 量血压", availability="周末上午")
    assert (member["skills"], member["availability"]) == ("理发, 量血压", "周末上午")
    with pytest.raises(Conflict, match=f"^resident_id: resident {wang} is already in the team$"):
        await shifts.add_member(w.mh, worker, team["id"], wang)
    # 张伟 is in grid B: for grid A's worker the same 404 as a missing resident
    with pytest.raises(NotFound, match=f"^resident_id: resident {zhang} not found$"):
        await shifts.add_member(w.mh, worker, team["id"], zhang)
    await shifts.add_member(w.mh, out, team["id"], zhang)
    # each sees the members they look after, and the number of all
    seen = await shifts.get_team(worker, team["id"])
    assert ([m["name"] for m in seen["member_list"]], seen["members"]) == (["王秀英"], 2)
    assert [(t["name"], t["members"]) for t in await shifts.list_teams(admin, w.community["id"])] == [("社工站助老队", 0), ("荷畔老街坊志愿服务队", 2)]
    # staff of the other community: the team is the 404 of a missing one
    other_admin = await principal_for(w.mh, await Staff.select().where(
        Staff.id == (await w.factories.staff("community_admin", community=w.other_slug))["id"]).first())
    with pytest.raises(NotFound, match=f"^volunteer team {team['id']} not found$"):
        await shifts.get_team(other_admin, team["id"])


async def test_shift_limits_and_places(world):
    w = world
    admin, worker = await who(w, "community_admin"), await who(w, "grid_worker")
    start = datetime(2026, 3, 7, 9, tzinfo=SH)
    with pytest.raises(InvalidInput, match="^needed: 1 to 200 volunteers, got 0$"):
        await shifts.create_shift(w.mh, admin, w.community, title="帮厨", starts_at=start, ends_at=start + timedelta(hours=2), needed=0)
    await shifts.create_shift(w.mh, admin, w.community, title="帮厨", starts_at=start, ends_at=start + timedelta(hours=2), needed=200)
    with pytest.raises(InvalidInput, match="^needed: 1 to 200 volunteers, got 201$"):
        await shifts.create_shift(w.mh, admin, w.community, title="帮厨", starts_at=start, ends_at=start + timedelta(hours=2), needed=201)
    with pytest.raises(InvalidInput, match="^ends_at: after the start$"):
        await shifts.create_shift(w.mh, admin, w.community, title="帮厨", starts_at=start, ends_at=start, needed=1)
    await shifts.create_shift(w.mh, admin, w.community, title="帮厨", starts_at=start, ends_at=start + timedelta(hours=12), needed=1)
    with pytest.raises(InvalidInput, match="^ends_at: a shift lasts at most 12 hours$"):
        await shifts.create_shift(w.mh, admin, w.community, title="帮厨", starts_at=start, ends_at=start + timedelta(hours=12, minutes=1), needed=1)
    shift = await shift_at(w, admin, needed=1)
    wang, zhang = w.residents["王秀英"]["id"], w.residents["张伟"]["id"]
    signed = await shifts.sign_up(w.mh, worker, shift["id"], wang)
    assert (signed["state"], signed["taken"]) == ("signed_up", 1)
    with pytest.raises(Conflict, match=f"^resident_id: resident {wang} is already signed up$"):
        await shifts.sign_up(w.mh, worker, shift["id"], wang)
    with pytest.raises(Conflict, match=r"^shift_id: the shift is full \(1 of 1 places taken\)$"):
        await shifts.sign_up(w.mh, admin, shift["id"], zhang)
    await shifts.cancel_signup(w.mh, worker, signed["id"])
    assert (await shifts.sign_up(w.mh, admin, shift["id"], zhang))["taken"] == 1  # the place freed
    # sign-ups close when the shift starts: a second before is fine, at the start not
    roomy = await shift_at(w, admin, needed=5, title="敬老院探访")
    w.travel_to(datetime(2026, 3, 7, 8, 59, 59, tzinfo=SH))
    await shifts.sign_up(w.mh, worker, roomy["id"], wang)
    w.travel_to(datetime(2026, 3, 7, 9, 0, tzinfo=SH))
    with pytest.raises(InvalidInput, match=f"^shift_id: shift {roomy['id']} has started, sign-ups are closed$"):
        await shifts.sign_up(w.mh, admin, roomy["id"], zhang)


async def test_check_in_and_out_by_code_records_service_to_verify(world):
    w = world
    admin, worker, out = await who(w, "community_admin"), await who(w, "grid_worker"), await who(w, "grid_worker_out")
    leader, leader_b = await who(w, "leader"), await who(w, "leader_b")
    shift = await shift_at(w, admin)
    wang = w.residents["王秀英"]["id"]
    signup = await shifts.sign_up(w.mh, worker, shift["id"], wang)
    code = await shifts.checkin_code(w.mh, signup["id"])
    # the code names the sign-up and its expiry (11:00 + 60 minutes), never the resident
    number, expires, _mac = code.split(".")
    assert (int(number), int(expires)) == (signup["id"], int(datetime(2026, 3, 7, 12, 0, tzinfo=SH).timestamp()))
    forged = f"{number}.{int(expires) + 3600}.{_mac}"
    with pytest.raises(InvalidInput, match="^code: not a volunteer check-in code$"):
        shifts.read_code(w.mh, forged)
    # check-in opens 60 minutes before the start
    w.travel_to(datetime(2026, 3, 7, 7, 59, tzinfo=SH))
    with pytest.raises(InvalidInput, match="^code: check-in opens 60 minutes before the shift$"):
        await shifts.check_in_out(w.mh, worker, code)
    # grid B's worker: the same 404 as a missing sign-up
    with pytest.raises(NotFound, match=f"^sign-up {signup['id']} not found$"):
        await shifts.check_in_out(w.mh, out, code)
    w.travel_to(datetime(2026, 3, 7, 8, 0, tzinfo=SH))
    assert (await shifts.check_in_out(w.mh, worker, code))["state"] == "checked_in"
    # checked out at 10:45: counted from the start (09:00, not 08:00) to the check-out: 1 h 45 min
    w.travel_to(datetime(2026, 3, 7, 10, 45, tzinfo=SH))
    done = await shifts.check_in_out(w.mh, worker, code)
    assert (done["state"], done["minutes"]) == ("served", 105)
    service = await ledger.get_service(admin, done["service"])
    assert (service["state"], service["hours"], service["activity"], str(service["served_on"]), service["subject_table"]) == (
        "recorded", 1.75, "邻里节·百家宴帮厨", "2026-03-07", "meihao_volunteer_shift")
    with pytest.raises(Conflict, match=f"^sign-up {signup['id']} is served: nothing to check$"):
        await shifts.check_in_out(w.mh, worker, code)
    # verification only by staff who lead in scope: grid B's leader gets the 404, grid A's verifies
    assert [r["id"] for r in await ledger.services_to_verify(leader_b, w.community["id"])] == []
    with pytest.raises(NotFound):
        await ledger.verify_service(w.mh, leader_b, service["id"])
    assert [r["id"] for r in await ledger.services_to_verify(leader, w.community["id"])] == [service["id"]]
    await ledger.verify_service(w.mh, leader, service["id"])
    assert await points_balance(admin, wang) == 1  # 1.75 hours at 1 point an hour, rounded down
    # the code stops working at 12:00 (the end plus 60 minutes): a second before it still reads
    w.travel_to(datetime(2026, 3, 7, 11, 59, 59, tzinfo=SH))
    assert shifts.read_code(w.mh, code) == signup["id"]
    w.travel_to(datetime(2026, 3, 7, 12, 0, tzinfo=SH))
    with pytest.raises(InvalidInput, match=r"^code: the code has expired \(the shift is over\)$"):
        shifts.read_code(w.mh, code)


async def test_check_out_after_the_end_counts_until_the_end(world):
    w = world
    admin, worker = await who(w, "community_admin"), await who(w, "grid_worker")
    shift = await shift_at(w, admin)
    signup = await shifts.sign_up(w.mh, worker, shift["id"], w.residents["王秀英"]["id"])
    code = await shifts.checkin_code(w.mh, signup["id"])
    w.travel_to(datetime(2026, 3, 7, 9, 20, tzinfo=SH))
    await shifts.check_in_out(w.mh, worker, code)
    w.travel_to(datetime(2026, 3, 7, 11, 30, tzinfo=SH))
    assert (await shifts.check_in_out(w.mh, worker, code))["minutes"] == 100  # 09:20 to 11:00


async def test_no_shows_after_the_codes_expire_with_the_penalty_never_below_zero(world):
    w = world
    w.mh.settings.volunteer_no_show_penalty_points = 5
    admin, worker, leader = await who(w, "community_admin"), await who(w, "grid_worker"), await who(w, "leader")
    shift = await shift_at(w, admin, needed=3)
    wang, zhang = w.residents["王秀英"]["id"], w.residents["张伟"]["id"]
    await award_points(w.mh, admin, w.community, wang, 8, reason="楼道清理")
    await award_points(w.mh, admin, w.community, zhang, 3, reason="楼道清理")
    await shifts.sign_up(w.mh, worker, shift["id"], wang)
    await shifts.sign_up(w.mh, admin, shift["id"], zhang)
    w.travel_to(datetime(2026, 3, 7, 11, 59, tzinfo=SH))
    with pytest.raises(InvalidInput, match=r"^shift_id: no-shows are recorded once the check-in codes expire \(60 minutes after the end\)$"):
        await shifts.record_no_shows(w.mh, admin, shift["id"])
    with pytest.raises(Forbidden):
        await shifts.record_no_shows(w.mh, worker, shift["id"])
    w.travel_to(datetime(2026, 3, 7, 12, 0, tzinfo=SH))
    result = await shifts.record_no_shows(w.mh, admin, shift["id"])
    assert result == {"shift": shift["id"], "no_shows": 2, "points_taken": 8}  # 5 from 王秀英, 3 (all she had) from 张伟
    assert (await points_balance(admin, wang), await points_balance(admin, zhang)) == (3, 0)
    assert {r["state"] for r in await VolunteerSignup.select(VolunteerSignup.state)} == {"no_show"}
    with pytest.raises(Conflict, match=f"^volunteer shift {shift['id']}: no-shows already recorded$"):
        await shifts.record_no_shows(w.mh, leader, shift["id"])


async def test_no_penalty_by_default(world):
    w = world
    admin, worker = await who(w, "community_admin"), await who(w, "grid_worker")
    shift = await shift_at(w, admin)
    wang = w.residents["王秀英"]["id"]
    await award_points(w.mh, admin, w.community, wang, 8, reason="楼道清理")
    await shifts.sign_up(w.mh, worker, shift["id"], wang)
    w.travel_to(datetime(2026, 3, 8, 9, 0, tzinfo=SH))
    assert (await shifts.record_no_shows(w.mh, admin, shift["id"]))["points_taken"] == 0
    assert await points_balance(admin, wang) == 8


async def test_certificate_from_verified_records_only(world):
    w = world
    admin, leader = await who(w, "community_admin"), await who(w, "leader")
    wang = w.residents["王秀英"]["id"]
    from datetime import date

    kept = await ledger.record_service(w.mh, admin, w.community, wang, hours=2.5, activity="敬老院助老服务", served_on=date(2026, 2, 1))
    await ledger.verify_service(w.mh, leader, kept["id"])
    rejected = await ledger.record_service(w.mh, admin, w.community, wang, hours=3, activity="记错的服务", served_on=date(2026, 2, 2))
    await ledger.verify_service(w.mh, leader, rejected["id"], approve=False)
    await ledger.record_service(w.mh, admin, w.community, wang, hours=1, activity="待核实的服务", served_on=date(2026, 2, 3))
    data = await certificate.certificate_data(w.mh, admin, wang)
    assert ([r["activity"] for r in data["records"]], data["hours"], data["minutes"]) == (["敬老院助老服务"], "2.5", 150)
    pdf = await certificate.certificate_pdf(w.mh, admin, wang)
    assert pdf.startswith(b"%PDF-")
    pypdfium2 = pytest.importorskip("pypdfium2")
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "志愿服务证明" in text and "敬老院助老服务" in text and "2.5 小时" in text and "荷畔社区" in text
    assert "记错的服务" not in text and "待核实的服务" not in text
    out = await who(w, "grid_worker_out")
    with pytest.raises(NotFound):
        await certificate.certificate_pdf(w.mh, out, wang)
    assert (await certificate.certificate_data(w.mh, admin, wang, year=2025))["records"] == []


# -- pages -------------------------------------------------------------------------------------------


async def test_pages_for_staff_and_the_resident(world):
    w = world
    admin = await who(w, "community_admin")
    team = await shifts.create_team(w.mh, admin, w.community, name="荷畔老街坊志愿服务队", kind="community")
    async with make_page_client(w.mh, w.staff["community_admin"]["id"]) as page:
        token = await form_token(page)
        home = await page.get(f"/volunteering/{w.slug}")
        assert home.status_code == 200 and "荷畔老街坊志愿服务队" in home.text
        # a bad form re-shows with the error at the field
        bad = await page.post(f"/volunteering/{w.slug}/shifts", data={"title": "帮厨", "day": "2026-03-07", "start": "09:00",
                                                                       "end": "08:00", "needed": "2", "_csrf_token": token})
        assert bad.status_code == 400 and 'id="f-end-note"' in bad.text
        made = await page.post(f"/volunteering/{w.slug}/shifts", data={"title": "邻里节·百家宴帮厨", "place": "广场", "day": "2026-03-07",
                                                                        "start": "09:00", "end": "11:00", "needed": "2",
                                                                        "team": str(team["id"]), "_csrf_token": token})
        assert made.status_code == 303
        shift_path = made.headers["location"]
        nobody = await page.post(f"{shift_path}/signups", data={"resident": "不存在的人", "_csrf_token": token})
        assert nobody.status_code == 400 and 'id="f-resident-note"' in nobody.text
        ok = await page.post(f"{shift_path}/signups", data={"resident": "张伟", "_csrf_token": token})
        assert ok.status_code == 303
        assert "张伟" in (await page.get(shift_path)).text
        # the other community's page: 404
        assert (await page.get(f"/volunteering/{w.other_slug}")).status_code == 404
    shift_id = int(shift_path.rsplit("/", 1)[1])
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as page:
        # grid B's worker sees the shift and 张伟's sign-up
        assert "张伟" in (await page.get(shift_path)).text
    other_admin = await w.factories.staff("community_admin", community=w.other_slug)
    async with make_page_client(w.mh, other_admin["id"]) as page:
        assert (await page.get(shift_path)).status_code == 404
        assert (await page.get(f"/volunteering/{w.slug}/teams/{team['id']}")).status_code == 404
        assert (await page.get(f"/volunteering/{w.slug}/residents/{w.residents['王秀英']['id']}/certificate.pdf")).status_code == 404
    # the resident signs up on her own page and gets her code
    link = (await w.link("王秀英")).rsplit("/", 1)[1]
    async with make_page_client(w.mh, ANONYMOUS) as page:
        mine = await page.get(f"/r/inbox/{link}/volunteering")
        assert mine.status_code == 200 and "邻里节·百家宴帮厨" in mine.text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', mine.text).group(1)
        signed = await page.post(f"/r/inbox/{link}/volunteering/signup", data={"shift": str(shift_id), "_csrf_token": token})
        assert signed.status_code == 303
        after = await page.get(f"/r/inbox/{link}/volunteering")
        assert "<svg" in after.text and "/volunteering/scan/" not in after.text  # the code is drawn, its address not shown
        full = await page.post(f"/r/inbox/{link}/volunteering/signup", data={"shift": str(shift_id), "_csrf_token": token})
        assert full.status_code == 409
        assert (await page.get("/r/inbox/not-a-token/volunteering")).status_code == 404
    row = await VolunteerSignup.select().where(VolunteerSignup.resident == w.residents["王秀英"]["id"]).first()
    assert (row["state"], row["signed_up_by"]) == ("signed_up", None)
    # staff scan her code at the venue: check in, then out; then verify on the records page
    code = await shifts.checkin_code(w.mh, row["id"])
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        token = await form_token(page)
        early = (await page.get(f"/volunteering/scan/{code}")).text  # 2 March: the shift is on the 7th
        assert "王秀英" in early and "2026-03-07 08:00开始签到。" in early and "vol-big" not in early
        w.travel_to(datetime(2026, 3, 7, 9, 0, tzinfo=SH))
        assert 'class="vol-big"' in (await page.get(f"/volunteering/scan/{code}")).text
        assert (await page.post(f"/volunteering/scan/{code}", data={"_csrf_token": token})).status_code == 303
        w.travel_to(datetime(2026, 3, 7, 10, 30, tzinfo=SH))
        assert (await page.post(f"/volunteering/scan/{code}", data={"_csrf_token": token})).status_code == 303
        assert (await page.get("/volunteering/scan/bad.1.x")).status_code == 400
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as page:
        assert (await page.get(f"/volunteering/scan/{code}")).status_code == 404
    service = await VolunteerService.select().first()
    assert (service["minutes"], service["state"]) == (90, "recorded")
    async with make_page_client(w.mh, w.staff["leader_b"]["id"]) as page:
        token = await form_token(page)
        assert "王秀英" not in (await page.get(f"/volunteering/{w.slug}/records")).text
        refused = await page.post(f"/volunteering/{w.slug}/records/{service['id']}", data={"decision": "verify", "_csrf_token": token})
        assert refused.status_code == 404
    async with make_page_client(w.mh, w.staff["leader"]["id"]) as page:
        token = await form_token(page)
        assert "王秀英" in (await page.get(f"/volunteering/{w.slug}/records")).text
        assert (await page.post(f"/volunteering/{w.slug}/records/{service['id']}", data={"decision": "verify", "_csrf_token": token})).status_code == 303
        pdf = await page.get(f"/volunteering/{w.slug}/residents/{w.residents['王秀英']['id']}/certificate.pdf")
        assert (pdf.status_code, pdf.headers["content-type"][:15], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")


async def test_her_teams_and_sign_ups_are_in_her_data_export(world):
    from meihao.volunteering.hookimpls import meihao_resident_data

    w = world
    admin = await who(w, "community_admin")
    wang = w.residents["王秀英"]["id"]
    assert await meihao_resident_data(wang) is None
    team = await shifts.create_team(w.mh, admin, w.community, name="荷畔老街坊志愿服务队", kind="community")
    await shifts.add_member(w.mh, admin, team["id"], wang, skills="理发", availability="周末上午")
    shift = await shift_at(w, admin)
    await shifts.sign_up(w.mh, admin, shift["id"], wang)
    data = await meihao_resident_data(wang)
    assert [(t["team"], t["skills"], t["availability"]) for t in data["volunteer_teams"]] == [("荷畔老街坊志愿服务队", "理发", "周末上午")]
    assert [(s["shift"], s["state"]) for s in data["volunteer_signups"]] == [("邻里节·百家宴帮厨", "signed_up")]


def test_a_long_certificate_continues_on_a_second_page():
    from datetime import date

    pypdfium2 = pytest.importorskip("pypdfium2")
    records = [{"served_on": date(2026, 1, 1) + timedelta(days=i), "activity": f"楼道清理{i + 1}", "minutes": 60} for i in range(29)]
    data = {"resident": 1, "name": "王秀英", "community": "荷畔社区", "year": 2026, "records": records, "minutes": 29 * 60, "hours": "29",
            "star": 0, "issued_on": date(2026, 12, 1)}
    pdf = pypdfium2.PdfDocument(certificate.render_certificate(data))
    assert len(pdf) == 2  # 28 records a page
    first, second = (pdf[i].get_textpage().get_text_range() for i in range(2))
    assert "共 29 次、29 小时" in first and "楼道清理28" in first and "楼道清理29" not in first
    assert "楼道清理29" in second and "第 2 页，共 2 页" in second and "出具单位：荷畔社区居民委员会（盖章）" in second


async def test_a_no_show_penalty_can_be_reversed(world):
    from meihao import reverse_points
    from meihao.volunteering.tables import PointsEntry, PointsTransfer

    w = world
    w.mh.settings.volunteer_no_show_penalty_points = 2
    admin = await who(w, "community_admin")
    wang = w.residents["王秀英"]["id"]
    await award_points(w.mh, admin, w.community, wang, 3, reason="楼道清理")
    shift = await shift_at(w, admin)
    await shifts.sign_up(w.mh, admin, shift["id"], wang)
    w.travel_to(datetime(2026, 3, 8, 9, 0, tzinfo=SH))
    await shifts.record_no_shows(w.mh, admin, shift["id"])
    penalty = await PointsTransfer.select().where(PointsTransfer.kind == "penalty").first()
    assert (penalty["points"], penalty["reason"]) == (-2, "未到岗：邻里节·百家宴帮厨")
    entries = await PointsEntry.select(PointsEntry.account, PointsEntry.points).where(PointsEntry.transfer == penalty["id"]).order_by(PointsEntry.id)
    assert entries == [{"account": "resident", "points": -2}, {"account": "issued", "points": 2}]
    await reverse_points(w.mh, admin, penalty["id"], reason="她请过假")
    assert await points_balance(admin, wang) == 3


async def test_the_last_place_goes_to_one_of_two_at_once(world):
    import asyncio

    w = world
    admin, leader_b = await who(w, "community_admin"), await who(w, "leader_b")
    shift = await shift_at(w, admin, needed=1)
    results = await asyncio.gather(shifts.sign_up(w.mh, admin, shift["id"], w.residents["王秀英"]["id"]),
                                   shifts.sign_up(w.mh, leader_b, shift["id"], w.residents["张伟"]["id"]), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert await VolunteerSignup.count().where(VolunteerSignup.shift == shift["id"]) == 1
