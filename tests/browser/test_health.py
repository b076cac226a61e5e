"""health's pages in Chromium: 雅居园's doctor records a follow-up on a phone (a wrong reading first), the grid worker sees
the patient without a reading; contracts (a renewal) and referrals on a desktop; axe on each page."""

from __future__ import annotations

import re

from tests.browser.conftest import log_in, serious_violations, shoot

BASE = "/c/yajuyuan/health"
DOCTOR = """SELECT u.username FROM health_team_member m JOIN meihao_staff s ON s.id = m.staff JOIN piccolo_user u ON u.id = s.user
            JOIN health_team t ON t.id = m.team JOIN meihao_community c ON c.id = t.community WHERE c.slug = 'yajuyuan'
            ORDER BY s.id LIMIT 1"""


def test_a_doctor_records_a_follow_up_on_a_phone_and_the_grid_worker_sees_no_reading(phone, served):
    doctor = served.sql(DOCTOR)[0][0]
    log_in(phone, served, doctor)
    phone.goto(f"{BASE}/follow-ups")
    assert phone.locator("h1").inner_text() == "慢病随访"
    assert serious_violations(phone) == []
    shoot(phone, "health-follow-ups-phone")

    first = phone.locator("a.hl-name").first
    name = first.inner_text()
    patient_id = int(re.search(r"/patients/(\d+)", first.get_attribute("href")).group(1))
    first.click()
    assert phone.locator("h1").inner_text() == name
    visits_before = served.sql("SELECT count(*) FROM health_follow_up WHERE patient = ?", patient_id)[0][0]

    # a diastolic above the systolic: shown at the field, nothing saved
    phone.fill("#f-systolic", "120")
    phone.fill("#f-diastolic", "130")
    phone.fill("#f-glucose", "6.2")
    phone.fill("#f-symptoms", "偶有头晕")
    phone.click("button:has-text('保存随访记录')")
    assert phone.locator("[role=alert]").inner_text() == "请检查标红的项目，本次尚未保存。"
    assert phone.locator("#e-diastolic").inner_text() == "舒张压应低于收缩压。"
    assert phone.locator("#f-symptoms").input_value() == "偶有头晕"
    assert served.sql("SELECT count(*) FROM health_follow_up WHERE patient = ?", patient_id)[0][0] == visits_before
    assert serious_violations(phone) == []
    shoot(phone, "health-follow-up-errors-phone")

    phone.fill("#f-systolic", "152")
    phone.fill("#f-diastolic", "94")
    phone.fill("#f-medication_change", "氨氯地平加量至10mg")
    phone.click("button:has-text('保存随访记录')")
    assert re.search(rf"{BASE}/patients/{patient_id}\?recorded=\d+$", phone.url)
    notice = phone.locator(".hl-outcome").inner_text()
    assert notice.startswith("随访已保存："), notice
    assert served.sql("SELECT count(*) FROM health_follow_up WHERE patient = ?", patient_id)[0][0] == visits_before + 1
    assert serious_violations(phone) == []
    shoot(phone, "health-follow-up-saved-phone")

    # the grid worker of the patient's grid: status and due date, not a reading
    grid = served.sql("""SELECT g.code FROM health_patient p JOIN meihao_resident r ON r.id = p.resident JOIN meihao_grid g ON g.id = r.grid
                         WHERE p.id = ?""", patient_id)[0][0]
    phone.context.clear_cookies()
    log_in(phone, served, f"yajuyuan-{grid.lower()}-grid-worker-1")
    phone.goto(f"{BASE}/patients/{patient_id}")
    assert phone.locator("h1").inner_text() == name
    body = phone.locator("main").inner_text()
    assert "病种和检测数据仅限本人的家庭医生团队查看。" in body
    for secret in ("152", "氨氯地平", "偶有头晕", "记录随访", "高血压", "糖尿病"):
        assert secret not in body, secret
    assert serious_violations(phone) == []
    shoot(phone, "health-patient-grid-worker-phone")

    phone.goto(f"{BASE}/referrals")
    assert phone.locator("h1").inner_text() == "转诊转介"
    assert phone.locator("form.hl-close").count() == 0
    assert serious_violations(phone) == []
    shoot(phone, "health-referrals-grid-worker-phone")


def test_contracts_and_referrals_on_a_desktop(page, served):
    doctor = served.sql(DOCTOR)[0][0]
    log_in(page, served, doctor)
    page.goto(f"{BASE}/contracts")
    assert page.locator("h1").inner_text() == "家庭医生签约"
    assert serious_violations(page) == []
    shoot(page, "health-contracts-desktop")

    before = served.sql("SELECT count(*) FROM health_contract")[0][0]
    renew = page.locator("a.button:has-text('续约')").first
    contract_id = int(re.search(r"renew=(\d+)", renew.get_attribute("href")).group(1))
    ends_on = served.sql("SELECT ends_on FROM health_contract WHERE id = ?", contract_id)[0][0]
    renew.click()
    assert page.locator("h2#sign-h").inner_text() == "续约"
    assert page.locator("#f-starts_on").input_value() > str(ends_on)
    page.check("input[name=priority_groups][value=hypertension]")
    shoot(page, "health-contract-renew-desktop")
    page.click("form button.primary:has-text('续约')")
    assert "签约成功" in page.locator("p.notice").inner_text()
    assert served.sql("SELECT count(*) FROM health_contract")[0][0] == before + 1
    assert page.locator(f"#contract-{contract_id} .hl-facts").inner_text().startswith("已续约")
    assert serious_violations(page) == []
    shoot(page, "health-contract-renewed-desktop")

    page.goto(f"{BASE}/referrals")
    assert page.locator("h1").inner_text() == "转诊转介"
    assert serious_violations(page) == []
    shoot(page, "health-referrals-desktop")

    page.goto(f"{BASE}/follow-ups")
    page.locator("a.hl-name").first.click()
    assert page.locator("h2#form-h").inner_text() == "记录随访"
    assert serious_violations(page) == []
    shoot(page, "health-patient-desktop")
