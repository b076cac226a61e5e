"""Chinese that reads right: the public wording helpers (meihao.zh_*), each boundary on both sides, with literal expectations."""

from __future__ import annotations

import random
from datetime import date, datetime, time

import pytest

from meihao import (
    surname_of,
    zh_address,
    zh_committee,
    zh_date,
    zh_interval,
    zh_join,
    zh_overdue,
    zh_salutation,
    zh_signature,
    zh_time,
    zh_when,
)


def at(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(0), "凌晨0点"),  # midnight
        (at(0, 30), "凌晨0点半"),
        (at(4, 59), "凌晨4点59分"),
        (at(5), "早上5点"),
        (at(8, 59), "早上8点59分"),
        (at(9), "上午9点"),
        (at(9, 30), "上午9点半"),
        (at(11, 59), "上午11点59分"),
        (at(12), "中午12点"),
        (at(12, 30), "中午12点半"),
        (at(12, 59), "中午12点59分"),
        (at(13), "下午1点"),
        (at(14, 15), "下午2点15分"),
        (at(14, 5), "下午2点05分"),
        (at(18, 59), "下午6点59分"),
        (at(19), "晚7点"),
        (at(23, 59), "晚11点59分"),
    ],
)
def test_time_of_day_on_each_side_of_each_boundary(moment: time, expected: str) -> None:
    assert zh_time(moment) == expected


def test_dates_have_no_leading_zero_and_say_the_weekday() -> None:
    assert zh_when(datetime(2026, 12, 1, 19, 0)) == "12月1日（周二）晚7点"
    assert zh_date(date(2026, 3, 1)) == "3月1日（周日）"
    assert zh_date(date(2026, 3, 7), weekday=False) == "3月7日"
    assert zh_date(date(2027, 1, 5), year=True) == "2027年1月5日（周二）"
    assert [zh_date(date(2026, 11, 30))] + [zh_date(date(2026, 12, d)) for d in range(1, 7)] == [
        "11月30日（周一）", "12月1日（周二）", "12月2日（周三）", "12月3日（周四）", "12月4日（周五）", "12月5日（周六）", "12月6日（周日）",
    ]
    assert zh_when(datetime(2026, 10, 1, 9, 30)) == "10月1日（周四）上午9点半"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=DAILY", "每天"),
        ("FREQ=DAILY;INTERVAL=2", "每两天"),
        ("FREQ=WEEKLY", "每周"),
        ("FREQ=WEEKLY;BYDAY=TU", "每周二"),
        ("FREQ=WEEKLY;BYDAY=TU,TH", "每周二、周四"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "每两周的周六"),
        ("FREQ=WEEKLY;INTERVAL=2", "每两周"),
        ("FREQ=MONTHLY", "每月"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "每月1日"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "每月15日"),
        ("FREQ=MONTHLY;BYDAY=2SA", "每月第二个周六"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "每月最后一个周五"),
        ("FREQ=MONTHLY;INTERVAL=2", "每两个月"),
        ("FREQ=MONTHLY;INTERVAL=3", "每季度"),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=10", "每季度10日"),
        ("FREQ=MONTHLY;INTERVAL=6", "每半年"),
        ("FREQ=YEARLY", "每年"),
        ("FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=1", "每年10月1日"),
        ("RRULE:FREQ=WEEKLY;BYDAY=SU", "每周日"),
    ],
)
def test_intervals_from_rrules(rule: str, expected: str) -> None:
    assert zh_interval(rule) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, "每天"), (6, "每6天"), (7, "每周"), (10, "每10天"), (14, "每两周"), (27, "每27天"), (28, "每月"), (30, "每月"),
        (31, "每月"), (32, "每32天"), (88, "每88天"), (89, "每季度"), (91, "每季度"), (92, "每季度"), (93, "每93天"), (365, "每年"),
    ],
)
def test_intervals_from_days(days: int, expected: str) -> None:
    assert zh_interval(days) == expected


def test_lunar_yearly() -> None:
    assert zh_interval(lunar=(8, 15)) == "每年农历八月十五"
    assert zh_interval(lunar=(9, 9)) == "每年农历九月初九"
    assert zh_interval(lunar=(1, 1)) == "每年农历正月初一"
    assert zh_interval(lunar=(12, 8)) == "每年农历腊月初八"
    assert zh_interval(lunar=(5, 10)) == "每年农历五月初十"
    assert zh_interval(lunar=(7, 11)) == "每年农历七月十一"
    assert zh_interval(lunar=(11, 20)) == "每年农历冬月二十"
    assert zh_interval(lunar=(3, 23)) == "每年农历三月廿三"
    assert zh_interval(lunar=(12, 30)) == "每年农历腊月三十"


def test_overdue() -> None:
    assert [zh_overdue(d) for d in (-2, -1, 0, 1, 2, 30)] == ["还有2天到期", "还有1天到期", "今天到期", "已逾期1天", "已逾期2天", "已逾期30天"]


@pytest.mark.parametrize(
    ("name", "gender", "age", "expected"),
    [
        ("王小明", "male", 17, "尊敬的王小明同学"),
        ("王小明", "male", 18, "尊敬的王先生"),
        ("张丽", "female", 18, "尊敬的张女士"),
        ("李建国", "male", 49, "尊敬的李先生"),
        ("李建国", "male", 50, "尊敬的李建国叔叔"),
        ("王秀兰", "female", 49, "尊敬的王女士"),
        ("王秀兰", "female", 50, "尊敬的王秀兰阿姨"),
        ("王秀兰", "female", 69, "尊敬的王秀兰阿姨"),
        ("王秀兰", "female", 70, "尊敬的王奶奶"),
        ("李建国", "male", 69, "尊敬的李建国叔叔"),
        ("李建国", "male", 70, "尊敬的李爷爷"),
        ("欧阳修文", "male", 80, "尊敬的欧阳爷爷"),
        ("王秀兰", "", 75, "尊敬的王秀兰"),  # gender unknown: the full name alone
        ("王秀兰", None, None, "尊敬的王秀兰"),
        ("王秀兰", "female", None, "尊敬的王女士"),  # age unknown
    ],
)
def test_salutations_at_each_threshold(name: str, gender: str | None, age: int | None, expected: str) -> None:
    assert zh_salutation(name, gender, age) == expected


def test_salutation_thresholds_and_words_are_settings() -> None:
    assert zh_address("王建国", "male", 65, grandparent_age=65, grandfather="大爷") == "王大爷"
    assert zh_address("王秀兰", "female", 64, grandparent_age=65, grandmother="大娘") == "王秀兰阿姨"
    assert zh_address("王秀兰", "female", 65, grandparent_age=65, grandmother="大娘") == "王大娘"
    assert zh_address("王秀兰", "female", 40, aunt_age=40) == "王秀兰阿姨"


def test_surnames() -> None:
    assert [surname_of(n) for n in ("王秀兰", "欧阳修文", "司马", "诸葛亮", "李")] == ["王", "欧阳", "司", "诸葛", "李"]


def test_committee_and_no_repeated_words() -> None:
    assert zh_committee("荷畔社区") == "荷畔社区居民委员会"
    assert zh_committee("荷畔") == "荷畔社区居民委员会"
    assert zh_committee("太平村") == "太平村村民委员会"
    assert zh_committee("社区1") == "社区1居民委员会"  # never 社区1社区
    assert zh_signature("雅居园社区") == "——雅居园社区居民委员会"
    assert zh_join("荷畔社区", "社区活动") == "荷畔社区活动"
    assert zh_join("荷畔", "社区活动") == "荷畔社区活动"
    assert zh_join("华阳社区", "活动") == "华阳社区活动"


def test_demo_emergency_contacts_fit_the_relation() -> None:
    from meihao.scenarios.elder_care.demo import emergency_contact

    rng = random.Random(3)
    male_given = {"建国", "志强", "国庆", "立新", "伟", "海涛", "军"}
    seen = set()
    for elder, gender in [("王建国", "male"), ("李秀兰", "female")] * 200:
        contact = emergency_contact(rng, elder, gender)
        name, relation = contact["emergency_contact_name"], contact["emergency_contact_relation"]
        seen.add((gender, relation))
        is_male = name[1:] in male_given
        if relation in ("儿子", "女婿", "侄子"):
            assert is_male, (elder, contact)
        if relation in ("女儿", "儿媳", "外甥女"):
            assert not is_male, (elder, contact)
        if relation == "老伴":
            assert is_male == (gender == "female") and name[0] != elder[0], (elder, contact)
        if relation in ("儿子", "女儿"):
            assert (name[0] == elder[0]) == (gender == "male"), (elder, contact)  # children carry their father's surname
        if relation == "侄子":
            assert name[0] == elder[0], (elder, contact)
        if relation in ("儿媳", "女婿", "外甥女"):
            assert name[0] != elder[0], (elder, contact)
    assert len(seen) == 16  # every relation came up for a man and for a woman


async def _reminded(meihao, environ: dict[str, str]) -> list[str]:
    """Bodies the market reminder puts in the inboxes of 张伟 (man, 76), 王秀英 (woman, 76) and Anna (English), under these settings."""
    from meihao import ActivityIn, create_activity
    from meihao.config import load_settings
    from meihao.reminders.recipients import inbox
    from meihao.testing import drain
    from tests.reminders.conftest import build_street

    street = await build_street(meihao)
    meihao.settings = load_settings(environ=environ, database_url=meihao.settings.database_url, data_key=meihao.settings.data_key)
    people = [street.residents[n]["id"] for n in ("张伟", "王秀英", "Anna")]
    await create_activity(meihao, "hepan", ActivityIn(
        scene="markets", title="睦邻善市公益市集", venue="荷畔广场", starts_at=datetime(2026, 3, 7, 9, 0), ends_at=datetime(2026, 3, 7, 11, 0),
        audience={"residents": people}, reminder_offsets=[1440], channels=["inbox"],
    ))
    street.clock.set(datetime(2026, 3, 6, 9, 0, tzinfo=street.community.tz))
    assert (await drain(street.engine)).sent == 3
    return [(await inbox("resident", p))[0]["body"] for p in people]


async def test_a_reminder_is_addressed_by_the_settings_and_signed_and_english_keeps_its_form(meihao):
    # born 1 January 1950: 76 on the market day
    text = "睦邻善市公益市集将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会"
    assert await _reminded(meihao, {"MEIHAO_SALUTATION_GRANDPARENT_AGE": "76", "MEIHAO_SALUTATION_GRANDFATHER": "大爷"}) == [
        f"尊敬的张大爷：\n{text}", f"尊敬的王奶奶：\n{text}", "Reminder: 睦邻善市公益市集 at 2026-03-07 09:00, 荷畔广场",
    ]


async def test_one_year_below_the_grandparent_age_is_uncle_and_aunt(meihao):
    text = "睦邻善市公益市集将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会"
    assert await _reminded(meihao, {"MEIHAO_SALUTATION_GRANDPARENT_AGE": "77"}) == [
        f"尊敬的张伟叔叔：\n{text}", f"尊敬的王秀英阿姨：\n{text}", "Reminder: 睦邻善市公益市集 at 2026-03-07 09:00, 荷畔广场",
    ]


def test_salutation_ages_out_of_order_stop_start_up_naming_the_setting() -> None:
    from meihao.config import load_settings
    from meihao.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="MEIHAO_SALUTATION_AUNT_AGE") as refused:
        load_settings(environ={"MEIHAO_SALUTATION_AUNT_AGE": "80"}, with_data_key=False)
    assert "80, 70" in str(refused.value)


async def test_subjects_a_reminder_says_what_it_is_a_notice_keeps_its_title(make_meihao):
    from meihao import ActivityIn, NoticeIn, create_activity, notify
    from meihao.testing import drain
    from tests.reminders.conftest import build_street
    from tests.test_hooks import Pigeons

    pigeons = Pigeons()
    mh = await make_meihao(plugins=[("pigeons", pigeons)])
    street = await build_street(mh)
    wang = street.residents["王秀英"]["id"]
    await create_activity(mh, "hepan", ActivityIn(
        scene="markets", title="睦邻善市公益市集", venue="荷畔广场", starts_at=datetime(2026, 3, 7, 9, 0), ends_at=datetime(2026, 3, 7, 11, 0),
        audience={"residents": [wang]}, reminder_offsets=[1440], channels=["pigeon"],
    ))
    await notify(mh, "hepan", NoticeIn(scene="markets", key="t:1", title="睦邻善市公益市集摊位申请", body="摊位已确认", residents=[wang], channels=["pigeon"]))
    await drain(street.engine)  # the notice goes now
    street.clock.set(datetime(2026, 3, 6, 9, 0, tzinfo=street.community.tz))
    await drain(street.engine)
    assert sorted((m.subject, m.body) for m in pigeons.sent) == [
        ("活动提醒：睦邻善市公益市集", "尊敬的王奶奶：\n睦邻善市公益市集将于3月7日（周六）上午9点在荷畔广场举行，欢迎参加。\n——荷畔社区居民委员会"),
        ("睦邻善市公益市集摊位申请", "尊敬的王奶奶：\n摊位已确认\n——荷畔社区居民委员会"),
    ]
