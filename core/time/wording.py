"""Chinese that reads right in what residents and staff receive: dates, times, intervals, how overdue, greetings, signatures.

The forms follow how residents' committees write notices (居委会通知): 12月1日（周二）晚7点, with no
leading zero and no ISO date; 每周二 / 每月 / 每季度 rather than a count of days; 已逾期3天;
尊敬的王秀兰阿姨 and a signature by the 居民委员会. English texts keep their own forms and do not
use these helpers. See docs/plugins.md ("Chinese wording") for the customs and their sources.
"""

from __future__ import annotations

from datetime import date, datetime, time

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_RRULE_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_ORDINALS = {1: "第一个", 2: "第二个", 3: "第三个", 4: "第四个", 5: "第五个", -1: "最后一个"}
_DIGITS = "〇一二三四五六七八九十"
_LUNAR_MONTHS = ("正月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "冬月", "腊月")
# Two-character surnames (复姓) that occur in registers; everything else is the first character.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 夏侯 司徒 令狐 宇文 轩辕 端木 南宫 西门 独孤 呼延 万俟 澹台 公冶 濮阳 太史".split()
)

#: Where the times of day begin (hour, inclusive): 凌晨 0–4, 早上 5–8, 上午 9–11, 中午 12, 下午 13–18, 晚 19–23.
#: 19:00 is the evening as residents' notices use it (晚7点 for an evening meeting or show).
DAY_PARTS = ((0, "凌晨"), (5, "早上"), (9, "上午"), (12, "中午"), (13, "下午"), (19, "晚"))


def zh_number(n: int) -> str:
    """一 … 九十九 for counting words (两 for 2 is the caller's choice): 10 → 十, 15 → 十五, 21 → 二十一."""
    if n <= 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def zh_date(day: date | datetime, *, weekday: bool = True, year: bool = False) -> str:
    """``12月1日（周二）``: month and day without leading zeros, the weekday in full-width brackets."""
    text = f"{day.year}年" if year else ""
    text += f"{day.month}月{day.day}日"
    return text + (f"（{WEEKDAYS[day.weekday()]}）" if weekday else "")


def zh_time(moment: time | datetime) -> str:
    """``晚7点``, ``上午9点半``, ``下午2点15分``, ``中午12点``, ``凌晨0点``: a 12-hour clock after the part of the day."""
    hour, minute = moment.hour, moment.minute
    part = [name for start, name in DAY_PARTS if hour >= start][-1]
    shown = hour if hour <= 12 else hour - 12
    if minute == 0:
        rest = "点"
    elif minute == 30:
        rest = "点半"
    else:
        rest = f"点{minute:02d}分"
    return f"{part}{shown}{rest}"


def zh_when(moment: datetime, *, weekday: bool = True, year: bool = False) -> str:
    """``12月1日（周二）晚7点``: :func:`zh_date` then :func:`zh_time`, for a local (community time) datetime."""
    return zh_date(moment, weekday=weekday, year=year) + zh_time(moment)


def _times(count: int, unit: str) -> str:
    """每周 / 每两周 / 每3周: 两 for 2, digits beyond (as notices write them)."""
    if count == 1:
        return f"每{unit}"
    return f"每{'两' if count == 2 else count}{'个' if unit == '月' else ''}{unit}"


def zh_lunar_date(month: int, day: int) -> str:
    """``八月十五``, ``九月初九``, ``正月初一``, ``冬月廿三``, ``腊月初八``: the customary month and day names."""
    if day <= 10:
        day_text = "初" + zh_number(day)
    elif day < 20:
        day_text = zh_number(day)
    elif day == 20:
        day_text = "二十"
    elif day < 30:
        day_text = "廿" + _DIGITS[day - 20]
    else:
        day_text = "三十"
    return _LUNAR_MONTHS[month - 1] + day_text


def zh_interval(rule: str | int | None = None, *, lunar: tuple[int, int] | None = None) -> str:
    """How often, as a notice says it.

    ``rule`` is an RFC 5545 RRULE (``FREQ=WEEKLY;BYDAY=TU`` → 每周二, ``FREQ=MONTHLY;BYDAY=2SA`` →
    每月第二个周六, ``FREQ=MONTHLY;INTERVAL=3`` → 每季度) or a number of days (7 → 每周, 30 → 每月,
    91 → 每季度; a count with no customary name stays 每10天). ``lunar=(8, 15)`` is yearly on a
    lunar date: 每年农历八月十五.
    """
    if lunar is not None:
        return "每年农历" + zh_lunar_date(*lunar)
    if rule is None or rule == "":
        return ""
    if isinstance(rule, int):
        return _days(rule)
    parts = dict(p.split("=", 1) for p in rule.upper().removeprefix("RRULE:").split(";") if "=" in p)
    freq, count = parts.get("FREQ", ""), int(parts.get("INTERVAL", "1"))
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    if freq == "DAILY":
        return _times(count, "天")
    if freq == "WEEKLY":
        names = "、".join(WEEKDAYS[_RRULE_DAYS[d[-2:]]] for d in days)
        if not names:
            return _times(count, "周")
        return names.join(("每", "")) if count == 1 else f"{_times(count, '周')}的{names}"
    if freq == "MONTHLY":
        head = {3: "每季度", 6: "每半年", 12: "每年"}.get(count) or _times(count, "月")
        if "BYMONTHDAY" in parts:
            return head + "、".join(f"{d}日" if int(d) > 0 else "最后一天" for d in parts["BYMONTHDAY"].split(","))
        if days:
            return head + "、".join(_nth(d[:-2]) + WEEKDAYS[_RRULE_DAYS[d[-2:]]] for d in days)
        return head
    if freq == "YEARLY":
        head = _times(count, "年")
        if "BYMONTH" in parts and "BYMONTHDAY" in parts:
            return f"{head}{int(parts['BYMONTH'])}月{int(parts['BYMONTHDAY'])}日"
        return head
    return rule


def _nth(number: str) -> str:
    # BYDAY=2SA is the second Saturday; a bare SA in a monthly rule is every Saturday of the month.
    return (_ORDINALS.get(int(number)) or f"第{number}个") if number else "每个"


def _days(days: int) -> str:
    # A visit plan's 30, 31 or 91 days are "monthly" and "quarterly" to the people who keep them.
    named = {1: "每天", 7: "每周", 14: "每两周", 182: "每半年", 183: "每半年", 365: "每年", 366: "每年"}
    if days in named:
        return named[days]
    if 28 <= days <= 31:
        return "每月"
    if 59 <= days <= 62:
        return "每两个月"
    if 89 <= days <= 92:
        return "每季度"
    return f"每{days}天"


def zh_overdue(days: int) -> str:
    """``已逾期3天``; ``今天到期`` on the due day; ``还有2天到期`` before it."""
    if days > 0:
        return f"已逾期{days}天"
    if days == 0:
        return "今天到期"
    return f"还有{-days}天到期"


def surname_of(name: str) -> str:
    """The surname: two characters for a 复姓 (欧阳), else the first character."""
    name = name.strip()
    return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]


def zh_address(name: str, gender: str | None, age: int | None, *, adult_age: int = 18, aunt_age: int = 50, grandparent_age: int = 70,
               grandfather: str = "爷爷", grandmother: str = "奶奶") -> str:
    """How a residents' committee addresses a resident (称呼), without 尊敬的.

    ``grandparent_age`` and over: surname + 爷爷/奶奶 (王爷爷; in Shandong many say 大爷/大娘: the words are
    settings); ``aunt_age`` up to it: full name + 叔叔/阿姨 (王秀兰阿姨); adults below: surname + 先生/女士
    (李先生); under ``adult_age``: full name + 同学. With the gender unknown, the full name alone; with the
    age unknown, 先生/女士.
    """
    name = name.strip()
    if gender not in ("male", "female"):
        return name
    male = gender == "male"
    if age is None or adult_age <= age < aunt_age:
        return surname_of(name) + ("先生" if male else "女士")
    if age < adult_age:
        return f"{name}同学"
    if age < grandparent_age:
        return name + ("叔叔" if male else "阿姨")
    return surname_of(name) + (grandfather if male else grandmother)


def zh_salutation(name: str, gender: str | None, age: int | None, **thresholds: object) -> str:
    """``尊敬的王秀兰阿姨``: 尊敬的 and :func:`zh_address` (same keywords)."""
    return "尊敬的" + zh_address(name, gender, age, **thresholds)  # type: ignore[arg-type]


def zh_join(head: str, tail: str) -> str:
    """``荷畔社区`` + ``社区活动`` → ``荷畔社区活动``: the words where the two overlap are written once."""
    for size in range(min(len(head), len(tail)), 0, -1):
        if head.endswith(tail[:size]):
            return head + tail[size:]
    return head + tail


def zh_committee(community: str) -> str:
    """The community's self-governing committee: 荷畔社区 → 荷畔社区居民委员会, 荷畔 → 荷畔社区居民委员会; a village (…村) → …村村民委员会."""
    community = community.strip()
    if community.endswith("村"):
        return community + "村民委员会"
    return (community if "社区" in community else community + "社区") + "居民委员会"


def zh_signature(community: str) -> str:
    """``——荷畔社区居民委员会``: the line that signs a text to residents."""
    return "——" + zh_committee(community)


__all__ = [
    "DAY_PARTS",
    "WEEKDAYS",
    "surname_of",
    "zh_address",
    "zh_committee",
    "zh_date",
    "zh_interval",
    "zh_join",
    "zh_lunar_date",
    "zh_number",
    "zh_overdue",
    "zh_salutation",
    "zh_signature",
    "zh_time",
    "zh_when",
]
