"""Importing a register (人口台账导入) in Chromium: a community admin uploads a file with mistakes and reads the report,
then a good one, confirms the count and finds the residents in the register; desktop and phone, screenshots, axe."""

from __future__ import annotations

from tests.browser.conftest import log_in, serious_violations, shoot

HEADER = "姓名,性别,出生日期,身份证号,联系电话,社区,网格,楼栋,单元,房号,标签"


def _files(served, tmp_path) -> tuple[str, str, str]:
    grid = served.sql("SELECT g.name FROM meihao_grid g JOIN meihao_community c ON c.id = g.community WHERE c.slug = 'hepan' ORDER BY g.id")[0][0]
    good = "\r\n".join([
        HEADER,
        f"导入甲,男,,110101195505050098,13900139002,,{grid},导入楼,,101,",
        f"导入乙,女,,110101197008120082,,,{grid},导入楼,,102,",
    ]) + "\r\n"
    bad = "\r\n".join([
        HEADER,
        f"导入甲,男,,110101195505050097,13900139002,,{grid},导入楼,,101,",
        f",女,,110101198001010029,,,{grid},导入楼,,102,",
    ]) + "\r\n"
    (tmp_path / "good.csv").write_bytes(good.encode("gbk"))
    (tmp_path / "bad.csv").write_bytes(bad.encode("gbk"))
    return str(tmp_path / "good.csv"), str(tmp_path / "bad.csv"), grid


def test_a_community_admin_checks_then_imports_a_register(page, served, tmp_path):
    good, bad, _ = _files(served, tmp_path)
    log_in(page, served, "hepan-admin")
    page.goto("/register/import")
    assert page.locator("h1").inner_text() == "导入人口台账"
    assert serious_violations(page) == []
    shoot(page, "register-import-desktop")

    page.set_input_files("#f-file", bad)
    page.click("button:has-text('检查文件')")
    page.wait_for_load_state()
    assert page.locator(".import-report .alert").inner_text() == "发现 2 处问题：请改好文件再检查，改好之前一行也不会导入。"
    rows = page.locator("table.import-problems tbody tr")
    assert [rows.nth(i).inner_text().split("\t") for i in range(rows.count())] == [
        ["2", "D 身份证号", "身份证号校验位不对，请核对"], ["3", "A 姓名", "姓名不能为空"],
    ]
    assert serious_violations(page) == []
    shoot(page, "register-import-report-desktop")

    before = served.sql("SELECT count(*) FROM meihao_resident")[0][0]
    page.set_input_files("#f-file", good)
    page.click("button:has-text('检查文件')")
    page.wait_for_load_state()
    assert page.locator(".import-counts").inner_text().splitlines() == ["将导入居民：2 位", "新建网格：0 个", "新建楼栋：1 栋", "新建住户：2 户"]
    shoot(page, "register-import-confirm-desktop")
    assert served.sql("SELECT count(*) FROM meihao_resident")[0][0] == before
    page.click("button:has-text('确认导入 2 位居民')")
    page.wait_for_load_state()
    assert page.locator(".notice").first.inner_text().startswith("已导入 2 位居民。")
    assert served.sql("SELECT count(*) FROM meihao_resident")[0][0] == before + 2
    assert served.sql("SELECT name FROM meihao_resident WHERE name LIKE '导入%' ORDER BY name") == [("导入乙",), ("导入甲",)]


def test_the_report_on_a_phone(phone, served, tmp_path):
    _, bad, _ = _files(served, tmp_path)
    log_in(phone, served, "hepan-admin")
    phone.goto("/register/import")
    assert serious_violations(phone) == []
    shoot(phone, "register-import-phone")
    phone.set_input_files("#f-file", bad)
    phone.click("button:has-text('检查文件')")
    phone.wait_for_load_state()
    assert phone.locator("table.import-problems tbody tr").count() == 2
    assert serious_violations(phone) == []
    shoot(phone, "register-import-report-phone")
