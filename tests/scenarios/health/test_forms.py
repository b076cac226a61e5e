"""The console's health forms: a follow-up through the form on each side of every threshold (the outcome and the next due
date shown after saving), bad input re-shown at its field with nothing saved, family-doctor contracts signed, renewed
and ended, referrals from follow-ups and from elder visits closed; grid staff never see a reading on any of the pages,
another grid's record is the 404 page as a missing one, and a community without the scene answers 404."""

from __future__ import annotations

import re

from meihao import HandOver, Principal
from meihao.scenarios.health.services import referrals
from meihao.scenarios.health.tables import Contract, FollowUp, Referral
from meihao.testing import form_token, make_page_client

from .conftest import at
from .test_patients import register

PAGES = "/c/hepan/health"


def main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def text(html: str) -> str:
    """The page's main region as words: tags dropped, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main(html))).strip()


def errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="error" id="e-(\w+)">([^<]*)</p>', html))


def outcome(html: str) -> str:
    found = re.search(r'<div class="notice hl-outcome" role="status">(.*?)</div>', html, re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip() if found else ""


async def follow_up(page, patient_id: int, **fields: str):
    token = await form_token(page, f"{PAGES}/patients/{patient_id}")
    return await page.post(f"{PAGES}/patients/{patient_id}/follow-ups", data={"_csrf_token": token, **fields})


async def saved(page, patient_id: int, **fields: str) -> str:
    """Record through the form; the outcome the page shows after the redirect."""
    posted = await follow_up(page, patient_id, **fields)
    assert posted.status_code == 303, posted.text
    assert re.fullmatch(rf"{PAGES}/patients/{patient_id}\?recorded=\d+", posted.headers["location"])
    return outcome((await page.get(posted.headers["location"])).text)


async def test_the_readings_decide_the_next_step_on_each_side_of_every_threshold(world):
    w = world
    async with w.client("doctor") as doctor:
        wang = (await register(doctor, w, "王建国"))["id"]
        zhang = (await register(doctor, w, "张伟", "diabetes"))["id"]
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        # Monday 2 March 2026: a quarter is 31 May (a Sunday) → Friday 29 May; two weeks is Monday 16 March
        assert await saved(page, wang, systolic="139", diastolic="89") == "随访已保存：控制满意。 下次常规随访：2026-05-29。"
        assert await saved(page, wang, systolic="140", diastolic="89") == "随访已保存：两周内复查。 请于2026-03-16前复查。"
        assert await saved(page, wang, systolic="139", diastolic="90") == "随访已保存：转诊。 请办理转诊，并于2026-03-16前随访。"
        assert await saved(page, wang, systolic="139", diastolic="89") == "随访已保存：控制满意。 下次常规随访：2026-05-29。"
        assert await saved(page, wang, systolic="179", diastolic="109") == "随访已保存：两周内复查。 请于2026-03-16前复查。"
        assert await saved(page, wang, systolic="180", diastolic="100") == (
            "随访已保存：紧急转诊。 请立即转诊，已通知家庭医生团队；并于2026-03-16前随访。")
        assert await saved(page, wang, systolic="130", diastolic="110") == (
            "随访已保存：紧急转诊。 请立即转诊，已通知家庭医生团队；并于2026-03-16前随访。")
        assert await saved(page, wang, systolic="130", diastolic="80", side_effects="yes") == "随访已保存：两周内复查。 请于2026-03-16前复查。"
        assert await saved(page, wang, systolic="130", diastolic="80", new_complication="yes") == (
            "随访已保存：转诊。 请办理转诊，并于2026-03-16前随访。")
        assert await saved(page, wang, systolic="130", diastolic="80", emergency_signs="yes", symptoms="剧烈头痛") == (
            "随访已保存：紧急转诊。 请立即转诊，已通知家庭医生团队；并于2026-03-16前随访。")

        assert await saved(page, zhang, glucose="6.9") == "随访已保存：控制满意。 下次常规随访：2026-05-29。"
        assert await saved(page, zhang, glucose="7.0") == "随访已保存：两周内复查。 请于2026-03-16前复查。"
        assert await saved(page, zhang, glucose="16.6") == "随访已保存：转诊。 请办理转诊，并于2026-03-16前随访。"
        assert await saved(page, zhang, glucose="16.7") == "随访已保存：紧急转诊。 请立即转诊，已通知家庭医生团队；并于2026-03-16前随访。"
        assert await saved(page, zhang, glucose="4.0") == "随访已保存：控制满意。 下次常规随访：2026-05-29。"
        assert await saved(page, zhang, glucose="3.9", medication_change="二甲双胍减量") == (
            "随访已保存：紧急转诊。 请立即转诊，已通知家庭医生团队；并于2026-03-16前随访。")

        html = (await page.get(f"{PAGES}/patients/{zhang}")).text
        body = text(html)
        assert "病种 2型糖尿病" in body and "最近随访结果 紧急转诊" in body
        assert "2026-03-02 3.9 紧急转诊 2026-03-16 二甲双胍减量" in body
    assert [r["decision"] for r in await FollowUp.select(FollowUp.decision).where(FollowUp.patient == wang).order_by(FollowUp.id)] == [
        "controlled", "recheck", "referral", "controlled", "recheck", "emergency", "emergency", "recheck", "referral", "emergency"]


async def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(world):
    w = world
    async with w.client("doctor") as doctor:
        wang = (await register(doctor, w, "王建国"))["id"]
        zhang = (await register(doctor, w, "张伟", "diabetes"))["id"]
    cases = [
        (wang, {"systolic": "120", "diastolic": "130"}, {"diastolic": "舒张压应低于收缩压。"}),
        (wang, {"systolic": "120", "diastolic": "120"}, {"diastolic": "舒张压应低于收缩压。"}),
        (wang, {"systolic": "301", "diastolic": "80"}, {"systolic": "请填写40至300之间的数值（mmHg）。"}),
        (wang, {"systolic": "39", "diastolic": "19"}, {"systolic": "请填写40至300之间的数值（mmHg）。",
                                                       "diastolic": "请填写20至200之间的数值（mmHg）。"}),
        (wang, {"systolic": "一百二", "diastolic": "80"}, {"systolic": "请填写整数（mmHg）。"}),
        (wang, {"systolic": "", "diastolic": ""}, {"systolic": "高血压随访须填写血压。"}),
        (wang, {"systolic": "", "diastolic": "80"}, {"systolic": "请同时填写收缩压和舒张压。"}),
        (wang, {"systolic": "130", "diastolic": "80", "visited_on": "2026-03-03"}, {"visited_on": "随访日期不能晚于今天。"}),
        (wang, {"systolic": "130", "diastolic": "80", "visited_on": "3月1日"}, {"visited_on": "请按“2026-03-10”的格式填写日期。"}),
        (zhang, {"glucose": ""}, {"glucose": "糖尿病随访须填写空腹血糖。"}),
        (zhang, {"glucose": "abc"}, {"glucose": "请填写空腹血糖（mmol/L），如 6.8。"}),
        (zhang, {"glucose": "50.1"}, {"glucose": "请填写0.5至50.0之间的数值（mmol/L）。"}),
        (zhang, {"glucose": "0.4"}, {"glucose": "请填写0.5至50.0之间的数值（mmol/L）。"}),
    ]
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        for patient_id, fields, expected in cases:
            response = await follow_up(page, patient_id, symptoms="头晕", **fields)
            assert response.status_code == 400, (fields, response.text)
            assert errors(response.text) == expected, fields
            assert '<p class="alert" role="alert">请检查标红的项目，本次尚未保存。</p>' in response.text
            for name, value in fields.items():  # what was typed is shown again
                assert f'name="{name}" type="{"date" if name == "visited_on" else "text"}"' in response.text
                assert f'value="{value}"' in response.text, name
            assert ">头晕</textarea>" in response.text
        # the edge itself is fine: 40/20 and 300/200 mmHg, 0.5 and 50 mmol/L
        assert (await follow_up(page, wang, systolic="300", diastolic="200")).status_code == 303
        assert (await follow_up(page, wang, systolic="40", diastolic="20")).status_code == 303
        assert (await follow_up(page, zhang, glucose="50")).status_code == 303
        assert (await follow_up(page, zhang, glucose="0.5")).status_code == 303
    assert await FollowUp.count() == 4


async def test_grid_staff_see_no_reading_and_cannot_record_and_another_grid_is_the_404_page(world):
    w = world
    async with w.client("doctor") as doctor:
        wang = (await register(doctor, w, "王建国"))["id"]
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        await saved(page, wang, systolic="156", diastolic="97", symptoms="头晕乏力", medication_change="氨氯地平加量")
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:
        html = (await page.get(f"{PAGES}/patients/{wang}")).text
        body = text(html)
        assert "状态 待随访 下次随访 2026-03-16" in body and "病种和检测数据仅限本人的家庭医生团队查看。" in body
        for secret in ("156", "97", "头晕乏力", "氨氯地平", "高血压", "复查", "记录随访", "<form method=\"post\""):
            assert secret not in main(html), secret
        token = await form_token(page, f"{PAGES}/patients/{wang}")
        refused = await page.post(f"{PAGES}/patients/{wang}/follow-ups", data={"_csrf_token": token, "systolic": "120", "diastolic": "80"})
        assert refused.status_code == 403
        hidden = await page.get(f"{PAGES}/patients/{wang}", params={"recorded": "1"})  # the outcome is the team's too
        assert "随访已保存" not in hidden.text
    async with make_page_client(w.mh, w.staff["doctor2"]["id"]) as page:  # same grid and permission, not on the team: 403
        token = await form_token(page, f"{PAGES}/patients/{wang}")
        refused = await page.post(f"{PAGES}/patients/{wang}/follow-ups", data={"_csrf_token": token, "systolic": "120", "diastolic": "80"})
        assert refused.status_code == 403
        assert "156" not in main((await page.get(f"{PAGES}/patients/{wang}")).text)
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as page:  # grid B: the same 404 as a missing patient
        other = await page.get(f"{PAGES}/patients/{wang}")
        missing = await page.get(f"{PAGES}/patients/987654")
        assert other.status_code == missing.status_code == 404
        assert re.sub(r"\d+", "N", main(other.text)) == re.sub(r"\d+", "N", main(missing.text))
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:  # a community without the scene
        for path in (f"/patients/{wang}", "/contracts", "/referrals"):
            assert (await page.get(f"/c/beiyuan/health{path}")).status_code == 404
    assert await FollowUp.count() == 1


def contract_rows(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<details.*?</details>|<a class=\"button\".*?</a>|<[^>]+>", " ", li, flags=re.DOTALL)).strip()
            for li in re.findall(r'<li class="hl-row hl-contract[^"]*"[^>]*>(.*?)</li>', main(html), re.DOTALL)]


async def sign(page, **fields: str | list[str]):
    token = await form_token(page, f"{PAGES}/contracts")
    return await page.post(f"{PAGES}/contracts", data={"_csrf_token": token, **fields})


async def test_contracts_are_signed_renewed_and_ended_through_the_form(world):
    w = world
    team = str(w.team)
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        # 2 March 2026 to 28 February 2027 is 364 days: one short of the year
        short = await sign(page, resident="李秀兰", team_id=team, starts_on="2026-03-02", ends_on="2027-02-28", packages=["elderly"])
        assert short.status_code == 400 and errors(short.text) == {"ends_on": "签约期不少于365天，请选择更晚的截止日期。"}
        assert 'value="李秀兰"' in short.text
        nobody = await sign(page, resident="李秀", team_id=team, starts_on="2026-03-02", ends_on="2027-03-01")
        assert errors(nobody.text) == {"resident": "您负责的范围内没有这个姓名或编号的居民。"}
        empty = await sign(page, resident="", team_id=team, starts_on="", ends_on="2027-03-01")
        assert errors(empty.text) == {"resident": "请填写居民的登记姓名或编号。", "starts_on": "请按“2026-03-10”的格式填写日期。"}
        assert await Contract.count() == 0

        done = await sign(page, resident="李秀兰", team_id=team, starts_on="2026-03-02", ends_on="2027-03-01",
                          packages=["elderly", "chronic"], priority_groups=["elderly", "hypertension"])
        assert done.status_code == 303, done.text
        first = int(done.headers["location"].rsplit("=", 1)[1])
        html = (await page.get(done.headers["location"])).text
        assert f"签约成功（签约编号 {first}）。" in html
        # the renewal reminder goes out 30 days before the end
        assert contract_rows(html) == [("李秀兰 签约中 · 家医一队 · 2026-03-02 – 2027-03-01 2027-01-30起提醒续约 "
                                        "基础包、慢病管理包、老年人包 · 老年人、高血压患者")]
        again = await sign(page, resident="李秀兰", team_id=team, starts_on="2027-03-01", ends_on="2028-02-29")
        assert errors(again.text) == {"resident": "该居民在这段时间内已有签约；续约请从原签约到期的次日开始。"}

    w.travel_to(at(2027, 1, 29, 9, 0))
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        assert contract_rows((await page.get(f"{PAGES}/contracts")).text)[0].startswith("李秀兰 签约中 · ")
    w.travel_to(at(2027, 1, 30, 9, 0))
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        html = (await page.get(f"{PAGES}/contracts")).text
        assert contract_rows(html)[0].startswith("李秀兰 待续约 · ")
        form = (await page.get(f"{PAGES}/contracts", params={"renew": str(first)})).text
        assert 'id="f-starts_on" name="starts_on" type="date" value="2027-03-02"' in form
        assert 'id="f-ends_on" name="ends_on" type="date" value="2028-03-01"' in form
        assert 'value="李秀兰"' not in form and f'name="resident" type="text" value="{w.residents["李秀兰"]["id"]}"' in form
        renewed = await sign(page, resident=str(w.residents["李秀兰"]["id"]), team_id=team, starts_on="2027-03-02", ends_on="2028-03-01",
                             packages=["elderly"], priority_groups=["elderly"])
        assert renewed.status_code == 303, renewed.text
        second = int(renewed.headers["location"].rsplit("=", 1)[1])
        rows = contract_rows((await page.get(f"{PAGES}/contracts")).text)
        assert rows == ["李秀兰 已续约 · 家医一队 · 2026-03-02 – 2027-03-01 基础包、慢病管理包、老年人包 · 老年人、高血压患者",
                        "李秀兰 未开始 · 家医一队 · 2027-03-02 – 2028-03-01 基础包、老年人包 · 老年人"]

        # ending: why is required; the last day within the contract
        token = await form_token(page, f"{PAGES}/contracts")
        no_reason = await page.post(f"{PAGES}/contracts/{second}/end", data={"_csrf_token": token, "reason": " "})
        assert no_reason.status_code == 400 and errors(no_reason.text) == {} and "请填写解约原因。" in no_reason.text
        assert f'id="e{second}-reason">请填写解约原因。</p>' in no_reason.text
        late = await page.post(f"{PAGES}/contracts/{second}/end", data={"_csrf_token": token, "reason": "迁出本社区", "ends_on": "2028-03-02"})
        assert f'id="e{second}-ends_on">截止日期不能晚于原签约到期日。</p>' in late.text
        early = await page.post(f"{PAGES}/contracts/{second}/end", data={"_csrf_token": token, "reason": "迁出本社区", "ends_on": "2027-03-01"})
        assert f'id="e{second}-ends_on">截止日期不能早于签约开始日期。</p>' in early.text
        ended = await page.post(f"{PAGES}/contracts/{second}/end", data={"_csrf_token": token, "reason": "迁出本社区", "ends_on": "2027-03-02"})
        assert ended.status_code == 303 and ended.headers["location"] == f"{PAGES}/contracts?ended={second}"
        assert (await Contract.select(Contract.status, Contract.ends_on).where(Contract.id == second).first())["status"] == "ended"
        twice = await page.post(f"{PAGES}/contracts/{second}/end", data={"_csrf_token": token, "reason": "迁出本社区"})
        assert twice.status_code == 400 and "该签约已经结束。" in twice.text

    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:  # grid staff: who and when, never a package
        html = (await page.get(f"{PAGES}/contracts")).text
        # the renewal ended, so the first contract is due for renewal again
        assert contract_rows(html) == ["李秀兰 待续约 · 家医一队 · 2026-03-02 – 2027-03-01 2027-01-30起提醒续约"]
        assert "老年人包" not in main(html) and "新签约" not in main(html) and "解约" not in main(html)
    async with make_page_client(w.mh, w.staff["doctor2"]["id"]) as page:  # grid A only: 张伟's contract (grid B) is the 404 page
        async with w.client("doctor") as doctor:
            zhang = await doctor.post("/api/communities/hepan/health/contracts", json={
                "resident_id": w.residents["张伟"]["id"], "team_id": w.team, "starts_on": "2027-01-01", "ends_on": "2027-12-31"})
        token = await form_token(page, f"{PAGES}/contracts")
        other = await page.post(f"{PAGES}/contracts/{zhang.json()['id']}/end", data={"_csrf_token": token, "reason": "迁出"})
        missing = await page.post(f"{PAGES}/contracts/987654/end", data={"_csrf_token": token, "reason": "迁出"})
        assert other.status_code == missing.status_code == 404
        assert all("张伟" not in row for row in contract_rows((await page.get(f"{PAGES}/contracts")).text))


def referral_rows(html: str, css: str = "hl-referral") -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<form.*?</form>|<[^>]+>", " ", li, flags=re.DOTALL)).strip()
            for li in re.findall(rf'<li class="hl-row {css}[^"]*"[^>]*>(.*?)</li>', main(html), re.DOTALL)]


async def test_referrals_from_follow_ups_and_elder_visits_are_listed_and_closed(world):
    w = world
    async with w.client("doctor") as doctor:
        wang = (await register(doctor, w, "王建国"))["id"]
    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        await saved(page, wang, systolic="182", diastolic="100")
    receipt = await referrals.accept_referral(HandOver(community="hepan", source="elder_care.visit:12", title="老人探访发现健康问题",
                                                       body="健康状况：近期头晕、走路不稳", resident_id=w.residents["王建国"]["id"]),
                                              w.mh, Principal.system())
    ref = int(receipt.reference.rsplit(":", 1)[1])
    assert receipt.path == "/c/hepan/health/referrals"

    async with make_page_client(w.mh, w.staff["doctor"]["id"]) as page:
        html = (await page.get(f"{PAGES}/referrals")).text
        assert re.findall(r'<a class="hl-name" href="[^"]*">([^<]*)</a>\s*<span class="hl-facts">([^<]*)</span>', main(html)) == [
            ("王建国", "紧急转诊 · 应于2026-03-16前随访 · 高血压")]
        assert referral_rows(html) == [f"王建国 转介单 {ref} · 老人探访 · 2026-03-02 · 待处理 健康状况：近期头晕、走路不稳"]
        token = await form_token(page, f"{PAGES}/referrals")
        empty = await page.post(f"{PAGES}/referrals/{ref}/close", data={"_csrf_token": token, "outcome": "  "})
        assert empty.status_code == 400 and f'<p class="error" id="e-outcome-{ref}">请填写团队的处理情况。</p>' in empty.text
        done = await page.post(f"{PAGES}/referrals/{ref}/close", data={"_csrf_token": token, "outcome": "已上门测血压，纳入随访"})
        assert done.status_code == 303 and done.headers["location"] == f"{PAGES}/referrals?closed={ref}"
        assert f"转介单 {ref} 已处理。" in (await page.get(done.headers["location"])).text
        again = await page.post(f"{PAGES}/referrals/{ref}/close", data={"_csrf_token": token, "outcome": "再次办结"})
        assert again.status_code == 400 and "该转介已处理。" in again.text
        closed = (await page.get(f"{PAGES}/referrals", params={"state": "closed"})).text
        assert referral_rows(closed) == [f"王建国 转介单 {ref} · 老人探访 · 2026-03-02 · 已处理 健康状况：近期头晕、走路不稳 处理情况：已上门测血压，纳入随访"]
        assert (await page.get(f"{PAGES}/referrals", params={"state": "x"})).status_code == 400
    assert (await Referral.select(Referral.outcome).where(Referral.id == ref).first())["outcome"] == "已上门测血压，纳入随访"

    second = await referrals.accept_referral(HandOver(community="hepan", source="elder_care.visit:13", title="老人探访发现健康问题",
                                                      body="血压高", resident_id=w.residents["王建国"]["id"]), w.mh, Principal.system())
    ref2 = int(second.reference.rsplit(":", 1)[1])
    async with make_page_client(w.mh, w.staff["grid_worker"]["id"]) as page:  # who and when; no concern, no reading, no form
        html = (await page.get(f"{PAGES}/referrals")).text
        assert referral_rows(html) == [f"王建国 转介单 {ref2} · 老人探访 · 2026-03-02 · 待处理"]
        assert re.findall(r'<span class="hl-facts">([^<]*)</span>', main(html))[0] == "已转诊 · 应于2026-03-16前随访"
        for secret in ("血压高", "182", "紧急", "高血压", "hl-close"):
            assert secret not in main(html), secret
        token = await form_token(page, f"{PAGES}/referrals")
        refused = await page.post(f"{PAGES}/referrals/{ref2}/close", data={"_csrf_token": token, "outcome": "已提醒"})
        assert refused.status_code == 403
    async with make_page_client(w.mh, w.staff["grid_worker_out"]["id"]) as page:  # grid B: nothing listed, 404 as a missing one
        html = (await page.get(f"{PAGES}/referrals")).text
        assert referral_rows(html) == [] and "王建国" not in main(html)
        token = await form_token(page, f"{PAGES}/referrals")
        other = await page.post(f"{PAGES}/referrals/{ref2}/close", data={"_csrf_token": token, "outcome": "已提醒"})
        missing = await page.post(f"{PAGES}/referrals/987654/close", data={"_csrf_token": token, "outcome": "已提醒"})
        assert other.status_code == missing.status_code == 404
    assert (await Referral.select(Referral.status).where(Referral.id == ref2).first())["status"] == "open"
