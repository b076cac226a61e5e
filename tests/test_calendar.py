"""The working calendar's data on SQLite and PostgreSQL: the seeded official years, `meihao calendar load/show/override`,
the street's overrides, versions and stored deadlines, and doctor's November warning."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest

from meihao import Deadline, InvalidInput, NotFound, working_calendar
from meihao.access.tables import AuditLog
from meihao.operations.doctor import diagnose
from meihao.register.calendar import (
    list_overrides,
    load_official_year,
    official_days,
    official_years,
    parse_schedule,
    read_schedule_file,
    remove_override,
    set_override,
)
from meihao.testing import Factories, boot_for_tests
from meihao.time.clock import FakeClock
from tests.commands import run

SH = ZoneInfo("Asia/Shanghai")

# The 2027 schedule in the documented format (dates made up for the test: the State Council
# had not published 2027 when this was written).
SCHEDULE_2027 = """\
year = 2027
source = "test notice 2027"

[[holidays]]
name = "元旦 New Year's Day"
date = 2027-01-01

[[holidays]]
name = "春节 Spring Festival"
start = 2027-02-05
end = 2027-02-11

[[workdays]]
name = "春节 Spring Festival"
date = 2027-02-13
"""


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def _environ(mh) -> dict[str, str]:
    return {"MEIHAO_DATABASE_URL": mh.settings.database_url, "MEIHAO_DATA_KEY": mh.settings.data_key, "MEIHAO_ROLE": "web"}


# -- a fresh install -----------------------------------------------------------------------


async def test_a_fresh_install_knows_the_years_of_the_pinned_package(meihao):
    years = await official_years()
    assert [y["year"] for y in years] == list(range(2004, 2027))
    y2025 = next(y for y in years if y["year"] == 2025)
    assert (y2025["holidays"], y2025["workdays"], y2025["source"]) == (28, 5, "chinese-calendar 1.11.0")
    days = await official_days(2026)
    assert {"day": date(2026, 2, 14), "kind": "workday", "name": "春节 Spring Festival"} in days
    assert {"day": date(2026, 10, 1), "kind": "holiday", "name": "国庆节 National Day"} in days

    cal = await working_calendar(meihao)
    assert cal.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert cal.add_working_days(at(2025, 11, 14, 17, 0), 1) == at(2025, 11, 17, 17, 0)
    assert cal.add_working_hours(at(2025, 11, 17, 11, 0), 2) == at(2025, 11, 17, 14, 30)
    assert 2027 not in cal.known_years


# -- loading a year --------------------------------------------------------------------------


async def test_loading_a_year_adds_it_and_loading_it_again_replaces_it(meihao, tmp_path):
    before = await working_calendar(meihao)
    assert before.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 5)  # 2027 unknown: a plain Friday

    path = tmp_path / "2027.toml"
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    await load_official_year(meihao, read_schedule_file(path))
    loaded = await working_calendar(meihao)
    assert loaded.version != before.version and 2027 in loaded.known_years
    assert loaded.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 12)
    assert loaded.is_workday(date(2027, 2, 13))  # the make-up Saturday
    last = (await official_years())[-1]
    assert {k: v for k, v in last.items() if k != "loaded_at"} == {"year": 2027, "source": "test notice 2027", "holidays": 8, "workdays": 1}

    # the same data again: the same version
    await load_official_year(meihao, read_schedule_file(path))
    assert (await working_calendar(meihao)).version == loaded.version

    # corrected: the holiday ends on the 10th and the make-up day moves; the old days are gone
    path.write_text(SCHEDULE_2027.replace("end = 2027-02-11", "end = 2027-02-10").replace("date = 2027-02-13", "date = 2027-02-20"),
                    encoding="utf-8")
    await load_official_year(meihao, read_schedule_file(path))
    corrected = await working_calendar(meihao)
    assert corrected.version not in (before.version, loaded.version)
    assert corrected.is_workday(date(2027, 2, 11)) and not corrected.is_workday(date(2027, 2, 13))
    assert corrected.is_workday(date(2027, 2, 20))
    assert [d["day"] for d in await official_days(2027) if d["kind"] == "workday"] == [date(2027, 2, 20)]
    assert await AuditLog.count().where(AuditLog.action == "calendar.load") == 3


def test_the_json_format_reads_the_same(tmp_path):
    path = tmp_path / "2027.json"
    path.write_text('{"year": 2027, "holidays": [{"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"}],'
                    ' "workdays": [{"name": "元旦", "date": "2027-01-04"}]}', encoding="utf-8")
    schedule = read_schedule_file(path)
    assert sorted(schedule.holidays) == [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)]
    assert schedule.workdays == {date(2027, 1, 4): "元旦"}


@pytest.mark.parametrize(("data", "message"), [
    ({"holidays": []}, "year: must be a year such as 2027, got None"),
    ({"year": 2027, "holiday": []}, "holiday: unknown key"),
    ({"year": 2027, "holidays": [{"name": "元旦", "date": "2027-02-30"}]}, "holidays[0].date: '2027-02-30' is not a date"),
    ({"year": 2027, "holidays": [{"name": "元旦"}]}, "holidays[0].start: missing"),
    ({"year": 2027, "holidays": [{"date": "2027-01-01"}]}, "holidays[0].name: give the holiday's name"),
    ({"year": 2027, "holidays": [{"name": "x", "start": "2027-01-03", "end": "2027-01-01"}]},
     "holidays[0].end: 2027-01-01 is before the start 2027-01-03"),
    ({"year": 2027, "holidays": [{"name": "x", "date": "2028-01-01"}]}, "holidays[0]: 2028-01-01 is not in 2027"),
    ({"year": 2027, "holidays": [{"name": "x", "date": "2027-01-01", "when": 1}]}, "holidays[0].when: unknown key"),
    ({"year": 2027, "holidays": [{"name": "x", "date": "2027-01-01"}], "workdays": [{"name": "x", "date": "2027-01-01"}]},
     "workdays[0]: 2027-01-01 is already listed (holidays[0])"),
    ({"year": 2027, "workdays": [{"name": "x", "date": "2027-01-04"}]}, "holidays: no holiday listed for 2027"),
])
def test_a_bad_schedule_names_the_field(data, message):
    with pytest.raises(InvalidInput) as err:
        parse_schedule(data, where="f.toml")
    assert err.value.message.startswith("f.toml: ") and message in err.value.message


async def test_the_cli_loads_shows_and_refuses_a_bad_file_in_one_line(meihao, tmp_path):
    good = tmp_path / "2027.toml"
    good.write_text(SCHEDULE_2027, encoding="utf-8")
    before = (await working_calendar(meihao)).version
    loaded = run(tmp_path, "calendar", "load", str(good), **_environ(meihao))
    assert loaded.returncode == 0, loaded.stderr
    after = (await working_calendar(meihao)).version
    assert loaded.stdout.strip() == f"loaded 2027: 8 holiday day(s), 1 make-up workday(s); version {before} → {after}"

    bad = tmp_path / "bad.toml"
    bad.write_text(SCHEDULE_2027.replace("date = 2027-02-13", 'date = "13 Feb"'), encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text("year = 2027\n[[holidays]\nname = 1\n", encoding="utf-8")
    for path, words in ((bad, ["workdays[0].date: '13 Feb' is not a date"]), (broken, ["not valid TOML", "line 2"]),
                        (tmp_path / "missing.toml", ["cannot read it"])):
        result = run(tmp_path, "calendar", "load", str(path), **_environ(meihao))
        output = result.stdout + result.stderr
        assert result.returncode != 0 and "Traceback" not in output, output
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and all(w in lines[0] for w in words), output
    assert (await working_calendar(meihao)).version == after  # nothing was written

    shown = run(tmp_path, "calendar", "show", "2027", **_environ(meihao))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[:3] == [
        f"2027 (test notice 2027), calendar version {after}",
        "2027-01-01 Fri  holiday          元旦 New Year's Day",
        "2027-02-05 Fri  holiday          春节 Spring Festival",
    ]
    assert "2027-02-13 Sat  make-up workday  春节 Spring Festival" in shown.stdout
    years = run(tmp_path, "calendar", "show", **_environ(meihao))
    assert "2027    8 holiday day(s)   1 make-up workday(s)  test notice 2027" in years.stdout
    assert "2004   22 holiday day(s)   6 make-up workday(s)  chinese-calendar 1.11.0" in years.stdout


# -- the street's overrides --------------------------------------------------------------------


async def test_overrides_close_a_workday_and_open_a_sunday_for_the_street_or_one_community(meihao):
    factories = Factories(meihao)
    hepan = await factories.community("hepan")
    await factories.community("huayang")
    street_before = await working_calendar(meihao)

    await set_override(meihao, date(2025, 11, 17), open=False, reason="台风停工 typhoon")
    street = await working_calendar(meihao)
    assert street.version != street_before.version
    assert not street.is_workday(date(2025, 11, 17))
    assert street.add_working_days(at(2025, 11, 14, 17, 0), 1) == at(2025, 11, 18, 17, 0)

    await set_override(meihao, date(2025, 11, 16), open=True, reason="荷畔 extra working Sunday", community="hepan")
    assert (await working_calendar(meihao, "hepan")).add_working_days(date(2025, 11, 14), 1) == date(2025, 11, 16)
    assert (await working_calendar(meihao, hepan)).is_workday(date(2025, 11, 16))  # the community as routes pass it
    assert not (await working_calendar(meihao, "huayang")).is_workday(date(2025, 11, 16))
    assert not (await working_calendar(meihao)).is_workday(date(2025, 11, 16))
    # the street's typhoon day reaches every community; one community may open it again
    assert not (await working_calendar(meihao, "huayang")).is_workday(date(2025, 11, 17))
    await set_override(meihao, date(2025, 11, 17), open=True, reason="华阳 not hit", community="huayang")
    assert (await working_calendar(meihao, "huayang")).is_workday(date(2025, 11, 17))
    assert not (await working_calendar(meihao, "hepan")).is_workday(date(2025, 11, 17))

    # setting a day again replaces its override; removing it restores the calendar and its version
    await set_override(meihao, date(2025, 11, 17), open=True, reason="forecast was wrong")
    assert (await working_calendar(meihao)).is_workday(date(2025, 11, 17))
    listed = await list_overrides(2025)
    assert [(o["day"], o["community"], o["open"], o["reason"]) for o in listed] == [
        (date(2025, 11, 16), "hepan", True, "荷畔 extra working Sunday"),
        (date(2025, 11, 17), "huayang", True, "华阳 not hit"),
        (date(2025, 11, 17), None, True, "forecast was wrong"),
    ]
    await remove_override(meihao, date(2025, 11, 17))
    assert (await working_calendar(meihao)).version == street_before.version

    with pytest.raises(InvalidInput, match="reason"):
        await set_override(meihao, date(2025, 11, 18), open=False, reason=" ")
    with pytest.raises(NotFound):
        await set_override(meihao, date(2025, 11, 18), open=False, reason="x", community="nowhere")
    with pytest.raises(NotFound, match="no override on 2025-11-18"):
        await remove_override(meihao, date(2025, 11, 18))


async def test_the_cli_sets_and_removes_an_override(meihao, tmp_path):
    closed = run(tmp_path, "calendar", "override", "2025-11-17", "--closed", "--reason", "台风", **_environ(meihao))
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.strip() == "2025-11-17: closed for the whole street"
    assert not (await working_calendar(meihao)).is_workday(date(2025, 11, 17))
    assert "2025-11-17 Mon  closed           whole street: 台风 (by meihao calendar override)" in run(
        tmp_path, "calendar", "show", "2025", **_environ(meihao)).stdout
    refusals = ((("--closed",), "reason"), ((), "--closed, --open or --remove"), (("--open", "--reason", "x", "--community", "nowhere"), "nowhere"))
    for args, words in refusals:
        result = run(tmp_path, "calendar", "override", "2025-11-18", *args, **_environ(meihao))
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode != 0 and len(lines) == 1 and words in lines[0], result.stdout + result.stderr
    removed = run(tmp_path, "calendar", "override", "2025-11-17", "--remove", **_environ(meihao))
    assert removed.returncode == 0, removed.stderr
    assert (await working_calendar(meihao)).is_workday(date(2025, 11, 17))


# -- deadlines keep their calendar -----------------------------------------------------------


async def test_a_stored_deadline_keeps_its_calendar_until_recomputed(meihao):
    cal = await working_calendar(meihao)
    deadline = Deadline.compute(cal, at(2025, 11, 14, 17, 0), working_days=1)
    stored = msgspec.json.encode(deadline)  # as a scene keeps it
    assert deadline.due_at == at(2025, 11, 17, 17, 0)

    await set_override(meihao, date(2025, 11, 17), open=False, reason="台风")
    changed = await working_calendar(meihao)
    kept = msgspec.json.decode(stored, type=Deadline)
    assert kept.due_at == at(2025, 11, 17, 17, 0) and not kept.is_current(changed)
    recomputed = kept.recompute(changed)
    assert recomputed.due_at == at(2025, 11, 18, 17, 0) and recomputed.is_current(changed)


# -- doctor: next year's schedule from 1 November -------------------------------------------------


async def _calendar_check(mh, when: datetime):
    def boot_at(settings):
        booted = boot_for_tests(settings)
        booted.clock = FakeClock(when)  # the doctor reads the time from the clock
        return booted

    checks = await diagnose(_environ(mh), boot=boot_at)
    mh.db.activate()  # the doctor's own instance took the tables over; give them back to the test's
    return next(c for c in checks if c.name == "calendar")


async def test_doctor_warns_from_1_november_when_next_years_schedule_is_missing(meihao, tmp_path):
    last_of_october = datetime(2026, 10, 31, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Shanghai
    first_of_november = datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)    # 00:00 on 1 November in Shanghai
    check = await _calendar_check(meihao, last_of_october)
    assert (check.status, check.summary) == ("ok", "official schedule loaded for 2026")
    check = await _calendar_check(meihao, first_of_november)
    assert check.status == "warning"
    assert check.summary.startswith("2027's official schedule is not loaded yet")
    assert "meihao calendar load FILE" in check.fix

    path = tmp_path / "2027.toml"
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    await load_official_year(meihao, read_schedule_file(path))
    check = await _calendar_check(meihao, first_of_november)
    assert (check.status, check.summary) == ("ok", "official schedule loaded for 2026, 2027")
    # in 2028 with nothing loaded for it: this year's schedule is missing
    check = await _calendar_check(meihao, datetime(2028, 3, 1, tzinfo=timezone.utc))
    assert check.status == "warning" and check.summary.startswith("no official schedule for 2028")


# -- the street admins' API --------------------------------------------------------------------


async def test_street_admins_close_and_open_days_over_http(meihao, meihao_client):
    factories = Factories(meihao)
    await factories.community("hepan")
    admin = await factories.staff("community_admin", community="hepan")

    put = await meihao_client.put("/api/working-calendar/overrides/2025-11-17", json={"open": False, "reason": "台风停工 typhoon"})
    assert put.status_code == 200, put.text
    assert put.json() == {"day": "2025-11-17", "community": None, "open": False, "reason": "台风停工 typhoon", "created_by": "街道管理员"}
    assert not (await working_calendar(meihao)).is_workday(date(2025, 11, 17))
    opened = await meihao_client.put("/api/working-calendar/overrides/2025-11-16", json={"open": True, "reason": "x", "community": "hepan"})
    assert opened.status_code == 200 and (await working_calendar(meihao, "hepan")).is_workday(date(2025, 11, 16))
    listed = await meihao_client.get("/api/working-calendar/overrides", params={"year": 2025})
    assert [(o["day"], o["community"], o["open"]) for o in listed.json()] == [("2025-11-16", "hepan", True), ("2025-11-17", None, False)]
    overview = (await meihao_client.get("/api/working-calendar")).json()
    assert overview["version"] == (await working_calendar(meihao)).version
    assert overview["working_hours"] == ["08:30-12:00", "13:30-17:30"] and overview["years"][0]["year"] == 2004

    for body, field in (({"open": False, "reason": " "}, "reason"), ({"open": False}, "reason"), ({"open": "no", "reason": "x"}, "open"),
                        ({"open": False, "reason": "x", "when": 1}, "when")):
        bad = await meihao_client.put("/api/working-calendar/overrides/2025-11-18", json=body)
        assert bad.status_code == 400 and field in bad.text, (body, bad.text)
    assert (await meihao_client.put("/api/working-calendar/overrides/2025-02-30", json={"open": False, "reason": "x"})).status_code == 400
    nowhere = await meihao_client.put("/api/working-calendar/overrides/2025-11-18", json={"open": False, "reason": "x", "community": "nowhere"})
    assert nowhere.status_code == 404

    token = await factories.token(admin["id"])
    refused = await meihao_client.put("/api/working-calendar/overrides/2025-11-18", json={"open": False, "reason": "x"},
                                      headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and "meihao.calendar.manage" in refused.text

    assert (await meihao_client.delete("/api/working-calendar/overrides/2025-11-17")).status_code == 204
    assert (await meihao_client.delete("/api/working-calendar/overrides/2025-11-17")).status_code == 404
    assert (await working_calendar(meihao)).is_workday(date(2025, 11, 17))


def test_the_guides_example_file_loads():
    guide = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
    example = guide.split("### The official schedule file", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    schedule = parse_schedule(tomllib.loads(example), where="guide")
    assert (schedule.year, len(schedule.holidays), schedule.workdays) == (2027, 8, {date(2027, 2, 13): "春节 Spring Festival"})


# -- years named in the configuration file, loaded by `meihao migrate` -------------------------------------


def test_calendar_files_are_read_from_the_config_files_folder_or_the_environment(tmp_path):
    from meihao.config import load_settings

    config = tmp_path / "etc" / "meihao.toml"
    config.parent.mkdir()
    config.write_text('calendar_files = ["calendars/2027.toml", "/srv/2028.toml"]\n', encoding="utf-8")
    settings = load_settings(environ={"MEIHAO_DATA_KEY": "x" * 43 + "="}, config_file=config)
    assert settings.calendar_files == [f"{tmp_path}/etc/calendars/2027.toml", "/srv/2028.toml"]
    from_env = load_settings(environ={"MEIHAO_DATA_KEY": "x" * 43 + "=", "MEIHAO_CALENDAR_FILES": "a.toml, /b/2028.json"})
    assert from_env.calendar_files == ["a.toml", "/b/2028.json"]
    assert load_settings(environ={"MEIHAO_DATA_KEY": "x" * 43 + "="}).calendar_files == []


async def test_migrate_loads_the_years_of_the_config_file_once(meihao, tmp_path):
    config = tmp_path / "etc" / "meihao.toml"
    (tmp_path / "etc" / "calendars").mkdir(parents=True)
    schedule = tmp_path / "etc" / "calendars" / "2027.toml"
    schedule.write_text(SCHEDULE_2027, encoding="utf-8")
    config.write_text('calendar_files = ["calendars/2027.toml"]\n', encoding="utf-8")
    env = {**_environ(meihao), "MEIHAO_CONFIG": str(config)}
    before = (await working_calendar(meihao)).version

    first = run(tmp_path, "migrate", **env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == f"calendar 2027 from {schedule}: loaded"
    loaded = await working_calendar(meihao)
    assert loaded.version != before and loaded.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 12)
    stamp = [y["loaded_at"] for y in await official_years() if y["year"] == 2027]

    # again with the same file: nothing is written, the version stays
    second = run(tmp_path, "migrate", **env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[-1] == f"calendar 2027 from {schedule}: already loaded, unchanged"
    assert (await working_calendar(meihao)).version == loaded.version
    assert [y["loaded_at"] for y in await official_years() if y["year"] == 2027] == stamp
    assert await AuditLog.count().where(AuditLog.action == "calendar.load") == 1

    # the file corrected (the holiday ends a day earlier): loaded again, a new version
    schedule.write_text(SCHEDULE_2027.replace("end = 2027-02-11", "end = 2027-02-10"), encoding="utf-8")
    third = run(tmp_path, "migrate", **env)
    assert third.stdout.splitlines()[-1] == f"calendar 2027 from {schedule}: loaded", third.stderr
    corrected = await working_calendar(meihao)
    assert corrected.version not in (before, loaded.version) and corrected.is_workday(date(2027, 2, 11))

    # a bad file stops migrate in one line, before anything is written
    schedule.write_text(SCHEDULE_2027.replace("date = 2027-02-13", 'date = "13 Feb"'), encoding="utf-8")
    bad = run(tmp_path, "migrate", **env)
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert bad.returncode != 0 and "Traceback" not in bad.stdout + bad.stderr, bad.stdout + bad.stderr
    assert len(lines) == 1 and "workdays[0].date: '13 Feb' is not a date" in lines[0], bad.stderr
    assert (await working_calendar(meihao)).version == corrected.version
