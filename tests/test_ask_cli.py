"""一句话响应 on the demo city, pulled for real: the issue's two sentences in process, and
``python run.py ask`` in its own process (text, --json) and through the same main() (bad input, no
data yet)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dashboard.ask import ask
from tests.ask_fixtures import NOW, lines_of
from tests.auth_helpers import ROOT, demo_config, pulled_city

ISSUE_VIEW = "看看高新区本周城管的超期件"
ISSUE_ORDER = "请城管局今天18点前处置滨江区的占道经营"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return pulled_city(tmp_path_factory.mktemp("ask-city"), incidents=300)


def _run(config, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", "--config", str(config), "ask", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_issues_sentences_on_the_demo_city(city):
    assert lines_of(ask(ISSUE_VIEW, city.store, city.settings, now=NOW)) == [
        "视图 事件 · 一张图 | /incidents | /incidents?region=430971&period=range&from=2026-11-30&to=2026-12-01"
        "&category=城市管理 | region=430971 period=range from=2026-11-30 to=2026-12-01 category=城市管理 | overdue_open",
        "指令 -",
        "词 2-5 高新区 | region | 区县 | 430971 | 高新区 | 全称 | 区县 | -",
        "词 5-7 本周 | period | 时段 | 2026-11-30/2026-12-01 | 本周（2026-11-30 至 2026-12-01） | 时间 | - | -",
        "词 7-9 城管 | category | 事件分类 | 城市管理 | 城市管理 | 别名 | - | department:D002:示范市城市管理局",
        "词 10-13 超期件 | indicator | 指标 | overdue_open | 超期未办结 | 同义词 | - | -",
        "忽略 0-2 看看", "忽略 9-10 的",
    ]
    assert lines_of(ask(ISSUE_ORDER, city.store, city.settings, now=NOW)) == [
        "视图 事件 · 一张图 | /incidents | /incidents?region=430906 | region=430906 period=30d | -",
        "指令 处置 | 处置滨江区的占道经营 | D002 | 示范市城市管理局 | 430906 | 滨江区 | - | - | 2026-12-01T18:00:00+08:00",
        "词 1-4 城管局 | department | 部门 | D002 | 示范市城市管理局 | 简称 | - | -",
        "词 4-10 今天18点前 | deadline | 期限 | 2026-12-01T18:00:00+08:00 | 2026-12-01 18:00 | 时间 | - | -",
        "词 10-12 处置 | action | 指令动作 | 处置 | 处置 | 词表 | - | -",
        "词 12-15 滨江区 | region | 区县 | 430906 | 滨江区 | 全称 | 区县 | -",
        "忽略 0-1 请", "忽略 15-16 的", "未识别 16-20 占道经营",
    ]


def test_the_demo_citys_grids_pinyin_and_incidents(city):
    grid = ask("滨江区古城街道第3网格的事件", city.store, city.settings, now=NOW)
    assert (grid.view.url, [e.label for e in grid.entities]) == (
        "/incidents?region=430906001003", ["滨江区", "古城街道", "滨江区-古城街道-第03网格", "事件 · 一张图"])
    initials = ask("gcjd", city.store, city.settings, now=NOW)
    assert [(e.value, e.via) for e in initials.entities] == [("430906001", "拼音首字母")]
    incident = str(city.store.frame("incidents", "detail")["incident_id"].iloc[0])
    order = ask(f"请公安局核查{incident}", city.store, city.settings, now=NOW)
    assert order.view.url == f"/incident/{incident}"
    assert (order.instruction.department_id, order.instruction.incident_id) == ("D001", incident)


def test_run_py_ask_prints_the_view_the_instruction_the_words_and_the_unknown_ones(city):
    done = _run(city.config, ISSUE_ORDER, "--now", "2026-12-01T10:30")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"句子：{ISSUE_ORDER}",
        "视图：事件 · 一张图  /incidents?region=430906",
        "  筛选：区域 滨江区 · 统计期 近30日",
        "指令：处置滨江区的占道经营（处置）",
        "  承办部门：示范市城市管理局（D002）",
        "  区域：滨江区（430906）",
        "  事件：—",
        "  事件分类：—",
        "  期限：2026-12-01 18:00",
        "识别的词：",
        "  第 2–4 字「城管局」→ 部门：示范市城市管理局（D002），简称",
        "  第 5–10 字「今天18点前」→ 期限：2026-12-01 18:00（2026-12-01T18:00:00+08:00），时间",
        "  第 11–12 字「处置」→ 指令动作：处置，词表",
        "  第 13–15 字「滨江区」→ 区县：滨江区（430906），全称",
        "忽略的词：请、的",
        "未识别的词：「占道经营」（第 17–20 字）",
    ]


def test_run_py_ask_json_is_the_same_result(city):
    done = _run(city.config, ISSUE_VIEW, "--json", "--now", "2026-12-01T10:30")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ask(ISSUE_VIEW, city.store, city.settings, now=NOW).to_json()


def test_run_py_ask_bad_input_gets_chinese_errors(city, tmp_path, capsys):
    """The command's own process is tested above; its errors are checked through the same main()."""
    from dashboard.cli import main

    def run(config, *args):
        code = main(["--config", str(config), "ask", *args])
        out = capsys.readouterr()
        return code, out.out, out.err.strip()

    assert run(city.config, "  ") == (2, "", "句子为空：请输入一句话，如「看看高新区本周城管的超期件」")
    assert run(city.config, "看" * 201) == (2, "", "句子过长（201 字）：最多 200 字，请拆成几句")
    assert run(city.config, ISSUE_VIEW, "--now", "明天") == (2, "", "--now 的值「明天」不是 ISO 时刻（应如 2026-12-01T10:30）")
    assert run(demo_config(tmp_path), ISSUE_VIEW) == (
        1, "", "尚无数据：请先运行 python run.py pull（或 serve）拉取本市数据，再解析句子")
