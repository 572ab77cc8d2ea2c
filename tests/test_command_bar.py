"""The command bar without a browser: suggestions from the lexicon's index, chips from a parsed result,
chip edits recomposed by the parser's composition, the bar's view model and its components."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from dash import html

from dashboard.ask.bar import bar_view
from dashboard.ask.chips import chips_of, edited, normal_edits
from dashboard.ask.parser import MAX_CHARS, parse
from dashboard.ask.suggest import TIME_WORDS, build_index, index_for, suggest
from dashboard.pages import components
from dashboard.settings import load_settings
from dashboard.store import MemoryFrameStore
from layouts import command_bar as layout
from tests.ask_fixtures import NOW, fixture_lexicon, frames

LEXICON = fixture_lexicon()
INDEX = build_index(LEXICON)
SENTENCE = "看看高新区本周城管的超期件 哈哈"


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def shown(sentence: str) -> list[tuple[str, str, str]]:
    return [(s.insert, s.kind_label, s.via) for s in suggest(sentence, INDEX)]


# ---- suggestions ---------------------------------------------------------------------------------------

def test_the_end_of_the_sentence_is_completed_from_the_lexicon_with_full_names_for_short_forms():
    found = suggest("看看高", INDEX)
    assert (found[0].insert, found[0].kind_label, found[0].sentence) == ("高新区", "区县", "看看高新区")
    assert ("示范市高新区人民政府", "部门", "简称") in shown("看看高")
    assert shown("滨江")[0] == ("滨江区", "区县", "简称")  # the short form suggests the name it stands for
    assert [s for s in shown("本周城") if s[1] == "事件分类"] == [("城管", "事件分类", "别名"),
                                                               ("城市管理", "事件分类", "全称")]


def test_pinyin_initials_list_every_candidate_where_they_collide():
    found = suggest("看看gxq", INDEX)
    assert [(s.insert, s.kind_label, s.via) for s in found] == [("高新区", "区县", "拼音首字母"),
                                                               ("示范市高新区人民政府", "部门", "拼音首字母")]
    assert found[0].sentence == "看看高新区" and found[0].replaces == 3
    assert shown("hb") == [("湖滨镇", "镇街", "拼音首字母")]


def test_words_that_select_nothing_and_what_is_typed_already_are_not_suggested():
    assert shown("") == [] and shown("   ") == [] and shown("看看") == []  # 看看: a filler
    assert "本周" not in [s[0] for s in shown("高新区本周")]  # typed whole already
    assert shown("高新区本周") == [("本周内", "期限", "时间")]


def test_every_time_word_suggested_is_one_the_parser_reads():
    for word in TIME_WORDS:
        entities = parse(word, LEXICON, NOW).entities
        assert [(e.kind, e.text) for e in entities] in ([("period", word)], [("deadline", word)]), word


def test_the_index_is_made_once_per_lexicon():
    assert index_for(LEXICON) is index_for(LEXICON)
    assert not {"看看", "的", "请"} & set(INDEX.words)


# ---- chips ---------------------------------------------------------------------------------------------

def test_chips_name_each_entity_and_every_unknown_word_in_the_sentences_order():
    chips = chips_of(parse(SENTENCE, LEXICON, NOW), LEXICON)
    assert [(c.kind_label, c.label, c.removable, c.unknown) for c in chips] == [
        ("区县", "高新区", True, False), ("时段", "本周（2026-11-30 至 2026-12-01）", True, False),
        ("事件分类", "城市管理", True, False), ("指标", "超期未办结", True, False), ("未识别", "哈哈", False, True)]
    assert [(a.index, a.kind_label, a.label) for a in chips[2].alternatives] == [(0, "部门", "示范市城市管理局")]


def test_removing_a_chip_opens_what_the_sentence_without_it_opens():
    parsed = parse(SENTENCE, LEXICON, NOW)
    assert query(parsed.view.url)["region"] == "430971"
    without_region = edited(parsed, LEXICON, {"removed": [0]})
    assert without_region.view.url == parse("看看本周城管的超期件", LEXICON, NOW).view.url
    assert "region" not in query(without_region.view.url)
    assert [c.label for c in chips_of(parsed, LEXICON, {"removed": [0]})][0].startswith("本周")
    assert edited(parsed, LEXICON, {}) is parsed


def test_switching_a_chip_reads_its_words_otherwise_and_can_switch_back():
    parsed = parse(SENTENCE, LEXICON, NOW)
    switched = edited(parsed, LEXICON, {"switched": {"2": 0}})  # 城管: the department, not the category
    assert "category" not in query(switched.view.url) and query(switched.view.url)["region"] == "430971"
    chip = chips_of(parsed, LEXICON, {"switched": {"2": 0}})[2]
    assert (chip.kind_label, chip.label, chip.edited) == ("部门", "示范市城市管理局", True)
    assert [(a.index, a.kind_label, a.label) for a in chip.alternatives] == [(-1, "事件分类", "城市管理")]


def test_an_instruction_is_recomposed_from_the_edited_chips():
    parsed = parse("请城管局今天18点前处置滨江区的占道经营", LEXICON, NOW)
    assert parsed.instruction.department_id == "D002"
    kinds = [e.kind for e in parsed.entities]
    no_department = edited(parsed, LEXICON, {"removed": [kinds.index("department")]})
    assert no_department.instruction.department_id is None and "指令未指明承办部门" in no_department.notices
    assert no_department.instruction.region_id == "430906"
    no_verb = edited(parsed, LEXICON, {"removed": [kinds.index("action")]})
    assert no_verb.instruction is None


def test_edits_the_page_sends_back_are_checked():
    assert normal_edits({"removed": [0, 9, "x", -1], "switched": {"1": 0, "a": 1, "2": "x", "3": -1}}, 4) == \
        (frozenset({0}), {1: 0})
    assert normal_edits(None, 3) == (frozenset(), {}) and normal_edits(["bad"], 3) == (frozenset(), {})


# ---- the bar's view model ------------------------------------------------------------------------------

@pytest.fixture
def city(tmp_path):
    settings = load_settings(environ={"CITYWALL_APP__DATA_DIR": str(tmp_path)})
    data, store = frames(), MemoryFrameStore()
    store.publish("regions", {"regions": data["regions"]})
    store.publish("departments", {"departments": data["departments"]})
    return store, settings


def test_the_bar_shows_suggestions_chips_and_the_view_of_a_sentence(city):
    view = bar_view("看看滨江区城管局", {}, *city, now=NOW)
    assert view.url == "/incidents?region=430906" and view.title == "事件 · 一张图" and view.error == ""
    assert [c.label for c in view.chips] == ["滨江区", "示范市城市管理局"]
    assert view.view_json() == {"sentence": "看看滨江区城管局", "url": view.url, "title": "事件 · 一张图"}
    assert bar_view("看看滨江区", {"removed": [0]}, *city, now=NOW).url != view.url
    assert bar_view("  ", {}, *city) == bar_view("  ", None, *city) and bar_view(None, {}, *city).url == ""


def test_a_sentence_too_long_gets_the_parsers_chinese_message_not_a_traceback(city):
    view = bar_view("看" * (MAX_CHARS + 1), {}, *city, now=NOW)
    assert view.error.startswith(f"句子过长（{MAX_CHARS + 1} 字）") and view.url == "" and view.chips == ()
    assert [line.children for line in layout.message(view)] == [view.error]


# ---- components ----------------------------------------------------------------------------------------

def test_chip_components_remove_and_switch_by_pattern_ids_and_an_unknown_word_has_no_button():
    chips = chips_of(parse(SENTENCE, LEXICON, NOW), LEXICON)
    row = layout.chip_row("drill", chips)
    buttons = [c.id for c in components(row) if isinstance(c, html.Button)]
    assert {"type": "cmdbar-chip-remove", "bar": "drill", "index": 0} in buttons
    assert {"type": "cmdbar-chip-alt", "bar": "drill", "index": "2:0"} in buttons
    assert len([b for b in buttons if b["type"] == "cmdbar-chip-remove"]) == 4  # not the unknown word's
    assert "is-unknown" in row[-1].className and "哈哈" in str(row[-1].children)


def test_the_instruction_button_is_disabled_with_a_chinese_hint_when_it_cannot_issue():
    order = parse("请城管局今天18点前处置滨江区的占道经营", LEXICON, NOW).instruction
    panel = layout.instruction_panel("drill", order, can_issue=False, hint="当前账号没有「下达指令」权限")
    button = next(c for c in components(panel) if isinstance(c, html.Button))
    assert button.disabled is True and button.children == "下达指令"
    assert "当前账号没有「下达指令」权限" in [c.children for c in components(panel) if isinstance(c, html.Span)]
    terms = panel.children[1].children  # dt, dd, dt, dd …
    assert [(t.children, d.children) for t, d in zip(terms[::2], terms[1::2])] == [
        ("承办部门", "示范市城市管理局"), ("区域", "滨江区"), ("期限", "2026-12-01 18:00"), ("内容", "处置滨江区的占道经营")]
    assert next(c for c in components(layout.instruction_panel("drill", order, True))
                if isinstance(c, html.Button)).disabled is False
    assert layout.instruction_panel("drill", None, False) is None


def test_every_drill_page_has_the_bar_in_its_header_hidden_until_the_server_says_whose_it_is():
    from layouts.drill_page import drill_page

    page = drill_page("标题", [("大屏", "/wall"), ("标题", None)], html.Div())
    header = page.children[0]
    bars = [c for c in components(header) if getattr(c, "id", None) == layout.bar_id("root", "drill")]
    assert len(bars) == 1 and bars[0].className == "cw-cmdbar is-off"
    history = next(c for c in components(bars[0]) if getattr(c, "id", None) == layout.bar_id("history", "drill"))
    assert history.storage_type == "local"
