"""一句话响应's table: each sentence of tests/ask_sentences.txt with every field of its result.

The table covers every entity kind (regions at each level with their short forms, the city's own
aliases, departments, categories, sources, statuses, indicators and their synonyms, targets,
pages, incidents), every time expression of the issue, pinyin initials with and without
collisions, ambiguous words read by their context, instructions with and without a department or
deadline, and sentences with words nobody knows."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.ask.parser import parse
from dashboard.ask.result import KIND_LABELS
from tests.ask_fixtures import NOW, fixture_lexicon, lines_of

TABLE = Path(__file__).with_name("ask_sentences.txt")


def _rows() -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, list[str]]] = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("  "):
            rows[-1][1].append(line.strip())
        else:
            rows.append((line, []))
    return rows


ROWS = _rows()


@pytest.fixture(scope="module")
def lexicon():
    return fixture_lexicon()


def test_the_table_has_at_least_80_sentences_and_each_states_its_view_and_instruction():
    assert len(ROWS) >= 80
    assert len({s for s, _ in ROWS}) == len(ROWS)
    for sentence, lines in ROWS:
        assert lines[0].startswith("视图 ") and lines[1].startswith("指令 "), sentence


def test_the_table_covers_every_kind_of_entity_and_every_time_expression_of_the_issue():
    kinds = {line.split(" | ")[1] for _, lines in ROWS for line in lines if line.startswith("词 ")}
    assert kinds == set(KIND_LABELS)
    sentences = "\n".join(s for s, _ in ROWS)
    for words in ("今天", "昨天", "本周", "上周", "本月", "近7天", "近一个月", "3月", "2026年3月", "今天18点前", "明天中午",
                  "三天内", "处置", "核查", "上报", "整改", "限"):
        assert words in sentences, words
    vias = {line.split(" | ")[5] for _, lines in ROWS for line in lines if line.startswith("词 ")}
    assert {"全称", "简称", "别名", "同义词", "拼音首字母", "编号", "时间", "词表"} <= vias
    assert any(line.startswith("未识别 ") for _, lines in ROWS for line in lines)


def test_every_field_of_a_result_is_in_the_lines_the_table_compares(lexicon):
    data = parse("请城管三天内整改滨江区占道经营", lexicon, NOW).to_json()
    assert set(data) == {"sentence", "now", "view", "instruction", "entities", "ignored", "unknown", "notices"}
    assert set(data["view"]) == {"path", "url", "title", "filters", "indicator"}
    assert set(data["instruction"]) == {"action", "text", "department_id", "department", "region_id", "region",
                                        "incident_id", "category", "deadline"}
    assert set(data["entities"][0]) == {"kind", "kind_label", "text", "start", "end", "value", "label", "via", "level",
                                        "alternatives"}
    assert data["sentence"] == "请城管三天内整改滨江区占道经营" and data["now"] == "2026-12-01T10:30:00+08:00"


@pytest.mark.parametrize("sentence,expected", ROWS, ids=[s for s, _ in ROWS])
def test_sentence(lexicon, sentence, expected):
    result = parse(sentence, lexicon, NOW)
    assert lines_of(result) == expected
    for entity in result.entities:  # a span is the sentence's own words
        assert sentence[entity.start:entity.end] == entity.text
    for span in (*result.ignored, *result.unknown):
        assert sentence[span.start:span.end] == span.text
