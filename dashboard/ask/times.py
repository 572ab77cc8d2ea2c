"""Time expressions of 一句话响应: a 时段 (a span of past days a view shows) or a 期限 (a deadline).

All times are in the city's zone (``city.timezone``, dashboard/city_time.py; Asia/Shanghai unless set),
and "now" is a parameter (a test pins it). The rules:

- weeks start on Monday (本周 is Monday to today, 上周 Monday to Sunday of the week before);
- a month without a year (3月) is its most recent occurrence not in the future; so is a day (3月5日)
  read as a 时段. A day read as a deadline (3月5日前) is its next occurrence not in the past;
- 近N天 is today and the N − 1 days before (近7天 is /incidents' 近7日); 近N周 is 7N days, 近N个月
  30N days (近一个月 is 近30日), 近N年 365N days;
- N天内 ends at the end of the N-th day after today: the day it is said is not counted
  (《民法典》第二百零一条: 按照年、月、日计算期间的，开始的当日不计入); N小时内 is N hours from now;
  N个工作日内 skips Saturdays and Sundays (not public holidays, which no data here lists);
- a deadline without a time of day (明天前, 12月5日前) ends at the end of that day; 中午 is 12:00,
  上午 before 12:00, 下午 18:00, 晚上 the end of the day; 下午3点 is 15:00;
- a 时段 reaching past today stops at today (a view shows what happened).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dashboard import city_time

TIMEZONE = ZoneInfo(city_time.DEFAULT)  # the zone when none is given: city.timezone's default
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUM = r"(?:\d{1,4}|[零〇一二两三四五六七八九十]{1,3})"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Period:
    """A span of days, inclusive, in /incidents' terms: ``key`` is its period value
    (dashboard/incident_query.py PERIODS), "range" with ``first``/``last`` when none fits."""
    first: date
    last: date
    key: str = "range"


@dataclass(frozen=True)
class TimeMatch:
    """One time expression at [start, end) of the sentence: a period or a deadline, or neither
    with a notice (a month that has not come yet)."""
    start: int
    end: int
    period: Period | None = None
    deadline: datetime | None = None
    notice: str = ""


def number(text: str) -> int:
    """'18' → 18, '三' → 3, '十二' → 12, '二十三' → 23, '两' → 2."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + _DIGITS[ch]
    return value


def local_now(now: datetime | None, timezone: str | ZoneInfo = TIMEZONE) -> datetime:
    """``now`` in the city's ``timezone`` (a naive one is taken as the city's time); None is the
    clock's now. Every day and deadline the rules make is in the zone of this moment."""
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    if now is None:
        return datetime.now(zone)
    return now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)


def _day_end(day: date, zone) -> datetime:
    return datetime.combine(day, END_OF_DAY, zone)


def _span(first: date, last: date, today: date, key: str | None = None) -> Period:
    last = min(last, today)
    if key is None:
        key = "today" if first == last == today else "range"
    return Period(first, last, key)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_span(year: int, month: int, today: date) -> Period:
    last = date(year, month, calendar.monthrange(year, month)[1])
    key = "month" if (year, month) == (today.year, today.month) else None
    return _span(date(year, month, 1), last, today, key)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# ---- the rules: each a pattern and what a match means ------------------------------------------------

_NAMED_PERIODS = {
    "昨天": lambda t: _span(t - timedelta(days=1), t - timedelta(days=1), t),
    "前天": lambda t: _span(t - timedelta(days=2), t - timedelta(days=2), t),
    "本周": lambda t: _span(_monday(t), t, t),
    "上周": lambda t: _span(_monday(t) - timedelta(days=7), _monday(t) - timedelta(days=1), t),
    "本月": lambda t: _span(t.replace(day=1), t, t, "month"),
    "上月": lambda t: _month_span(*((t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12)), t),
    "本季度": lambda t: _span(_quarter_start(t), t, t, "quarter"),
    "上季度": lambda t: _span(_quarter_start(_quarter_start(t) - timedelta(days=1)),
                            _quarter_start(t) - timedelta(days=1), t),
    "今年": lambda t: _span(date(t.year, 1, 1), t, t, "year"),
    "去年": lambda t: _span(date(t.year - 1, 1, 1), date(t.year - 1, 12, 31), t),
}
_PERIOD_WORDS = {"昨天": "昨天", "昨日": "昨天", "前天": "前天", "本周": "本周", "这周": "本周", "这星期": "本周",
                 "本星期": "本周", "这一周": "本周", "这个星期": "本周", "上周": "上周", "上星期": "上周",
                 "上一周": "上周", "上个星期": "上周", "本月": "本月", "这个月": "本月", "当月": "本月", "本月份": "本月",
                 "上月": "上月", "上个月": "上月", "本季度": "本季度", "这个季度": "本季度", "本季": "本季度",
                 "上季度": "上季度", "上个季度": "上季度", "今年": "今年", "本年": "今年", "本年度": "今年", "去年": "去年"}
_NAMED = re.compile("|".join(sorted(map(re.escape, _PERIOD_WORDS), key=len, reverse=True)))
_RECENT = re.compile(rf"(?:最近|近|过去)(?P<n>{NUM}|半)?(?:个)?(?P<u>天|日|周|星期|个月|月|年)")
_MONTH = re.compile(rf"(?:(?P<y>\d{{4}}|今|去)年)?(?P<m>{NUM})月份?")
_YEAR = re.compile(r"(?P<y>\d{4})年(?:度)?")
_WITHIN = re.compile(rf"限?(?P<n>{NUM}|半)(?:个)?(?P<u>天|日|小时|周|星期|工作日)(?:之内|以内|内)")
_UNTIL_END = re.compile(r"限?(?P<w>本周|这周|本月底|本月|这个月|月底|今年|本年|年底)(?:之内|以内|内|前|之前|以前)")
_DAY = (rf"(?P<rel>今天|今日|明天|明日|后天|大后天)|(?:(?P<y>\d{{4}})年)?(?P<m>{NUM})月(?P<d>{NUM})[日号]"
        r"|(?P<next>下)?(?:周|星期)(?P<wd>[一二三四五六日天])")
_PART = r"(?P<part>上午|中午|下午|傍晚|晚上|今晚|凌晨|早上)"
_CLOCK = rf"(?P<h>{NUM})[点时](?:(?P<half>半)|(?P<mi>{NUM})分?)?"
_MOMENT = re.compile(rf"(?P<limit>限)?(?:{_DAY})?{_PART}?(?:{_CLOCK})?(?P<before>之前|以前|前)?")
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_PART_DEFAULT = {"上午": time(12), "中午": time(12), "下午": time(18), "傍晚": time(19), "晚上": END_OF_DAY,
                 "今晚": END_OF_DAY, "凌晨": time(6), "早上": time(9)}
_AFTERNOON = frozenset({"下午", "傍晚", "晚上", "今晚"})


def _recent(m: re.Match, today: date) -> Period | None:
    n = 1 if not m["n"] else (0.5 if m["n"] == "半" else number(m["n"]))
    if n <= 0:  # 近0天 names no day
        return None
    days = {"天": 1, "日": 1, "周": 7, "星期": 7, "个月": 30, "月": 30, "年": 365}[m["u"]]
    total = max(1, round(n * days))
    key = {1: "today", 7: "7d", 30: "30d"}.get(total)
    return _span(today - timedelta(days=total - 1), today, today, key)


def _month(m: re.Match, today: date) -> TimeMatch | Period | None:
    month = number(m["m"])
    if not 1 <= month <= 12:
        return None
    year = {"今": today.year, "去": today.year - 1}.get(m["y"] or "", None)
    if year is None and m["y"]:
        year = int(m["y"])
    if year is None:  # the most recent occurrence not in the future
        year = today.year if month <= today.month else today.year - 1
    if (year, month) > (today.year, today.month):
        return None
    return _month_span(year, month, today)


def _within(m: re.Match, now: datetime) -> datetime:
    n = 0.5 if m["n"] == "半" else number(m["n"])
    unit = m["u"]
    if unit == "小时":
        return now + timedelta(hours=n)
    if unit == "工作日":
        day, left = now.date(), int(n)
        while left > 0:
            day += timedelta(days=1)
            left -= day.weekday() < 5
        return _day_end(day, now.tzinfo)
    days = int(n * (7 if unit in ("周", "星期") else 1))
    return _day_end(now.date() + timedelta(days=days), now.tzinfo)


def _until_end(word: str, now: datetime) -> datetime:
    today = now.date()
    if word in ("本周", "这周"):
        return _day_end(_monday(today) + timedelta(days=6), now.tzinfo)
    if word in ("今年", "本年", "年底"):
        return _day_end(date(today.year, 12, 31), now.tzinfo)
    return _day_end(date(today.year, today.month, calendar.monthrange(today.year, today.month)[1]), now.tzinfo)


def _moment_day(m: re.Match, today: date, ahead: bool) -> date | None:
    """The day a moment names (today when it names a time of day only); ``ahead``: a date without
    a year is read as its next occurrence. None for a date that does not exist (2月30日)."""
    if m["rel"]:
        return today + timedelta(days=_RELATIVE_DAYS[m["rel"]])
    if m["wd"]:
        return _monday(today) + timedelta(days=_WEEKDAYS[m["wd"]] + (7 if m["next"] else 0))
    if m["m"]:
        month, day = number(m["m"]), number(m["d"])
        year = int(m["y"]) if m["y"] else today.year
        try:
            found = date(year, month, day)
            if not m["y"] and ahead and found < today:
                found = date(year + 1, month, day)
            elif not m["y"] and not ahead and found > today:
                found = date(year - 1, month, day)
        except ValueError:
            return None
        return found
    return today  # a time of day alone: today


def _clock(m: re.Match) -> time | None:
    part = m["part"]
    if m["h"] is None:
        return _PART_DEFAULT.get(part) if part else None
    hour, minute = number(m["h"]), (30 if m["half"] else number(m["mi"]) if m["mi"] else 0)
    if part in _AFTERNOON and hour < 12 or part == "中午" and hour < 5:
        hour += 12
    if hour == 24 and minute == 0:
        return END_OF_DAY
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _moment(m: re.Match, now: datetime) -> TimeMatch | None:
    has_day = bool(m["rel"] or m["wd"] or m["m"])
    if not (has_day or m["part"] or m["h"]):
        return None
    today = now.date()
    deadline_words = bool(m["limit"] or m["before"] or m["part"] or m["h"])
    day = _moment_day(m, today, ahead=deadline_words or m["rel"] not in (None, "今天", "今日"))
    if day is None:
        return None
    at = _clock(m)
    if (m["part"] or m["h"]) and at is None:
        return None
    if deadline_words or day > today:
        return TimeMatch(m.start(), m.end(), deadline=datetime.combine(day, at or END_OF_DAY, now.tzinfo))
    return TimeMatch(m.start(), m.end(), period=_span(day, day, today))


def scan(text: str, now: datetime) -> list[TimeMatch]:
    """Every time expression that starts anywhere in ``text`` (overlapping ones too: the parser
    picks the cover of the sentence), the longest of each rule at each position."""
    today = now.date()
    found: list[TimeMatch] = []
    for i, ch in enumerate(text):
        if not (ch.isdigit() or ch in _STARTS):
            continue
        for pattern, meaning in _RULES:
            m = pattern.match(text, i)
            if m is None or m.end() == i:
                continue
            hit = meaning(m, now, today)
            if hit is not None:
                found.append(hit)
    return found


def _as_match(m: re.Match, period: Period | None, deadline: datetime | None = None, notice: str = "") -> TimeMatch:
    return TimeMatch(m.start(), m.end(), period, deadline, notice)


def _month_rule(m, now, today):
    period = _month(m, today)
    if period is None and 1 <= number(m["m"]) <= 12:
        return _as_match(m, None, notice=f"时段「{m.group(0)}」尚未到来，已忽略")
    return None if period is None else _as_match(m, period)


def _year_rule(m, now, today):
    year = int(m["y"])
    if year > today.year or year < 2000:
        return _as_match(m, None, notice=f"时段「{m.group(0)}」不在可选范围，已忽略")
    return _as_match(m, _span(date(year, 1, 1), date(year, 12, 31), today, "year" if year == today.year else None))


_RULES = (
    (_NAMED, lambda m, now, today: _as_match(m, _NAMED_PERIODS[_PERIOD_WORDS[m.group(0)]](today))),
    (_RECENT, lambda m, now, today: (lambda p: p and _as_match(m, p))(_recent(m, today))),
    (_MONTH, _month_rule),
    (_YEAR, _year_rule),
    (_WITHIN, lambda m, now, today: _as_match(m, None, _within(m, now))),
    (_UNTIL_END, lambda m, now, today: _as_match(m, None, _until_end(m["w"], now))),
    (_MOMENT, lambda m, now, today: _moment(m, now)),
)
_STARTS = frozenset("昨前本这上当今去最近过限明后大周星下中傍晚凌早半月年" + "".join(_DIGITS) + "十")
