"""一句话响应 beyond the sentence table: the time rules at the edges of weeks, months and years,
Asia/Shanghai, bad input, the lexicon built once per data version and kept in the data folder, and
jieba loaded only when a sentence needs it."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from dashboard.ask import AskError, ask
from dashboard.ask import lexicon as lex
from dashboard.ask.parser import MAX_CHARS, parse
from dashboard.ask.times import TIMEZONE, local_now, number, scan
from dashboard.settings import load_settings
from dashboard.store import MemoryFrameStore
from tests.ask_fixtures import ALIASES, NOW, fixture_lexicon, frames
from tests.auth_helpers import ROOT


def whole(text: str, now: datetime):
    """The time expression that spans all of ``text``."""
    found = [m for m in scan(text, now) if m.start == 0 and m.end == len(text)]
    assert len(found) == 1, (text, found)
    return found[0]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)


@pytest.mark.parametrize("now,first,last", [
    (at(2026, 11, 30, 9), date(2026, 11, 30), date(2026, 11, 30)),  # a Monday: 本周 is that day
    (at(2026, 12, 6, 22), date(2026, 11, 30), date(2026, 12, 6)),  # a Sunday: still the week of Monday 11-30
])
def test_weeks_start_on_monday(now, first, last):
    period = whole("本周", now).period
    assert (period.first, period.last) == (first, last)
    before = whole("上周", now).period
    assert (before.first, before.last) == (first - timedelta(days=7), first - timedelta(days=1))


def test_a_month_without_a_year_is_its_most_recent_occurrence_not_in_the_future():
    january = at(2027, 1, 15, 8)
    december = whole("12月", january).period
    assert (december.first, december.last, december.key) == (date(2026, 12, 1), date(2026, 12, 31), "range")
    this_month = whole("1月", january).period
    assert (this_month.first, this_month.last, this_month.key) == (date(2027, 1, 1), date(2027, 1, 15), "month")
    assert whole("2027年3月", january).period is None
    assert whole("2027年3月", january).notice == "时段「2027年3月」尚未到来，已忽略"


def test_within_n_days_ends_at_the_end_of_the_nth_day_after_today():
    assert whole("三天内", at(2026, 12, 31, 23, 50)).deadline == at(2027, 1, 3, 23, 59, 59)
    assert whole("3个工作日内", at(2026, 12, 4, 9)).deadline == at(2026, 12, 9, 23, 59, 59)  # Fri → Wed
    assert whole("24小时内", at(2026, 12, 1, 10)).deadline == at(2026, 12, 2, 10)


def test_deadlines_read_a_date_without_a_year_as_its_next_occurrence():
    assert whole("1月5日前", at(2026, 12, 20, 9)).deadline == at(2027, 1, 5, 23, 59, 59)
    assert whole("明天中午", at(2026, 12, 31, 9)).deadline == at(2027, 1, 1, 12)
    assert whole("今晚8点半前", at(2026, 12, 1, 9)).deadline == at(2026, 12, 1, 20, 30)


def test_now_is_taken_in_asia_shanghai():
    utc = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)  # already 12-01 01:00 in Shanghai
    assert local_now(utc) == at(2026, 12, 1, 1)
    assert whole("今天", local_now(utc)).period.first == date(2026, 12, 1)
    assert local_now(datetime(2026, 12, 1, 8)) == at(2026, 12, 1, 8)  # a naive time is Shanghai's
    result = parse("今天18点前", fixture_lexicon(), utc)
    assert result.now.isoformat() == "2026-12-01T01:00:00+08:00"
    assert result.entities[0].value == "2026-12-01T18:00:00+08:00"


def test_chinese_numbers():
    assert [number(t) for t in ("18", "三", "十", "十二", "二十", "二十三", "两")] == [18, 3, 10, 12, 20, 23, 2]


@pytest.mark.parametrize("sentence,message", [
    ("", "句子为空：请输入一句话，如「看看高新区本周城管的超期件」"),
    ("   ", "句子为空：请输入一句话，如「看看高新区本周城管的超期件」"),
    ("看" * (MAX_CHARS + 1), f"句子过长（{MAX_CHARS + 1} 字）：最多 {MAX_CHARS} 字，请拆成几句"),
])
def test_bad_sentences_get_a_chinese_error(sentence, message):
    with pytest.raises(AskError) as caught:
        parse(sentence, fixture_lexicon(), NOW)
    assert caught.value.message == message


def test_an_alias_to_a_name_the_city_does_not_have_is_reported_and_left_out():
    built = lex.build_lexicon(frames(), "示范市", {**ALIASES, "某某": "不存在的局"})
    assert built.problems == ["[ask] aliases 中「某某」指向的「不存在的局」不在本市的名称中，已忽略"]
    assert "某某" not in built.terms and built.terms["老城"][0].label == "古城街道"


def _store_with(data: dict) -> MemoryFrameStore:
    store = MemoryFrameStore()
    store.publish("regions", {"regions": data["regions"]})
    store.publish("departments", {"departments": data["departments"]})
    return store


def test_the_lexicon_is_built_once_per_data_version_and_kept_in_the_data_folder(tmp_path, monkeypatch):
    settings = load_settings(environ={"CITYWALL_APP__DATA_DIR": str(tmp_path)})
    data = frames()
    store = _store_with(data)
    built = []
    real = lex.build_lexicon
    monkeypatch.setattr(lex, "build_lexicon", lambda *a, **k: built.append(1) or real(*a, **k))
    first = lex.lexicon_for(store, settings)
    assert lex.lexicon_for(store, settings) is first and built == [1]
    files = list((tmp_path / "ask").glob("lexicon-*.pickle"))
    assert [f.name for f in files] == [f"lexicon-{first.key}.pickle"]
    lex._LEXICONS.clear()  # a new process: the data folder's file, not a new build
    again = lex.lexicon_for(store, settings)
    assert built == [1] and again.key == first.key and again.terms == first.terms
    renamed = data["regions"].assign(name=data["regions"]["name"].replace("滨江区", "滨海区"))
    store.publish("regions", {"regions": renamed})  # a new version: a new lexicon, the old file removed
    newer = lex.lexicon_for(store, settings)
    assert built == [1, 1] and "滨海区" in newer.terms and "滨江区" not in newer.terms
    assert [f.name for f in (tmp_path / "ask").glob("lexicon-*.pickle")] == [f"lexicon-{newer.key}.pickle"]


def test_ask_reads_the_stores_current_data(tmp_path):
    settings = load_settings(environ={"CITYWALL_APP__DATA_DIR": str(tmp_path)})
    result = ask("请城管局三天内核查滨江区", _store_with(frames()), settings, now=NOW)
    assert result.view.url == "/incidents?region=430906"
    assert (result.instruction.department_id, result.instruction.region_id, result.instruction.text) == \
        ("D002", "430906", "核查滨江区")
    assert result.instruction.deadline == at(2026, 12, 4, 23, 59, 59)


def test_ask_reads_its_days_and_deadlines_in_the_citys_zone(tmp_path):
    """city.timezone, not a fixed Asia/Shanghai: at 17:30 UTC it is already tomorrow in Beijing but
    still today in a city on Asia/Urumqi time (UTC+6)."""
    settings = load_settings(environ={"CITYWALL_APP__DATA_DIR": str(tmp_path)})
    urumqi = settings.model_copy(update={"city": settings.city.model_copy(update={"timezone": "Asia/Urumqi"})})
    utc = datetime(2026, 12, 1, 17, 30, tzinfo=timezone.utc)
    store = _store_with(frames())
    result = ask("请城管局明天中午前核查滨江区", store, urumqi, now=utc)
    assert result.now.isoformat() == "2026-12-01T23:30:00+06:00"
    assert result.instruction.deadline.isoformat() == "2026-12-02T12:00:00+06:00"
    yesterday = ask("看看滨江区昨天的事件", store, urumqi, now=utc).view.url
    assert yesterday.endswith("from=2026-11-30&to=2026-11-30")  # Beijing's 昨天 is already 12-01
    beijing = ask("请城管局明天中午前核查滨江区", store, settings, now=utc)
    assert beijing.instruction.deadline.isoformat() == "2026-12-03T12:00:00+08:00"


def test_jieba_and_pypinyin_load_only_when_needed(tmp_path):
    """Importing the parser starts nothing; a sentence of known words does not load jieba; a
    sentence with an unknown word does, with its dictionary and cache in the folder given."""
    script = f"""
import sys
from pathlib import Path
from dashboard.ask import segmenter
from dashboard.ask.parser import parse
from tests.ask_fixtures import NOW, fixture_lexicon
assert "jieba" not in sys.modules and "pypinyin" not in sys.modules
lexicon = fixture_lexicon()
segmenter.use_folder(Path({str(tmp_path)!r}))
parse("看看高新区本周", lexicon, NOW)
assert "jieba" not in sys.modules
print([s.text for s in parse("看看高新区的占道经营", lexicon, NOW).unknown])
assert "jieba" in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['占道经营']"
    assert done.stderr == ""  # jieba's "Building prefix dict" lines are quiet
    assert len(list(tmp_path.glob("jieba-words-*.txt"))) == 1 and list(tmp_path.glob("jieba.u*.cache"))


def test_a_bad_alias_setting_stops_start_up_in_chinese():
    from dashboard.settings import SettingsError

    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"CITYWALL_ASK__ALIASES": '{ " " = "古城街道" }'})
    assert "ask.aliases" in str(caught.value) and "别名 [' '] 无效：词与名称都不能为空，词不超过 20 个字" in str(caught.value)


def test_the_lexicon_key_is_the_same_in_every_process(tmp_path):
    """A new process finds the pickle another one wrote: the key never depends on hash order."""
    script = ("from dashboard.settings import load_settings\nfrom dashboard.store import MemoryFrameStore\n"
              "from dashboard.ask.lexicon import lexicon_key\n"
              "print(lexicon_key(MemoryFrameStore(), load_settings(environ={})))")
    keys = {subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert len(keys) == 1 and len(next(iter(keys))) == 20
