"""The Excel workbook (dashboard/workbook.py) of a small pulled demo city, opened with openpyxl: its
sheets, each panel sheet's values against what the wall's own view model draws for the same frames
(全市 and one district), number formats, the 口径 sheet against the indicators the wall's hovers
name, the as-of time and scope on every sheet, Chinese headers, and ``python run.py snapshot --xlsx``."""
from __future__ import annotations

import html
import io
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard import formatting as fmt
from dashboard import runtime, wall_view
from dashboard.indicators import REGISTRY
from dashboard.workbook import NUMBER_FORMATS, WorkbookError, build_workbook, text_width
from layouts.wall_canvas import wall_geometry
from layouts.wall_panels import Ctx, district_names
from tests.demo_app import demo_test_client

REPO = Path(__file__).resolve().parents[1]
SHEETS = ["数据说明", "关键指标", "共享率", "部门共享率排名", "交换量", "一张图", "事件排行", "上云率", "部门上云状态",
          "上云累计", "时段热力", "分类热力", "最新事件", "目标指标", "部门绩效", "目标状态", "口径"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    demo_test_client(tmp_path_factory.mktemp("workbook"))  # pulls a 2,000-incident demo city, installs the app
    return runtime.current()


@pytest.fixture(scope="module")
def district(city):
    rid, name = next(iter(district_names(city.geography).items()))
    return f"district:{rid}", name


class Drawn:
    """A workbook and the wall's parts of the same view, from the same frames and day."""

    def __init__(self, rt, view: str):
        runtime.install(rt)
        self.ctx = Ctx(wall_geometry(rt.settings.city.canvas, rt.settings.city.text_scale), rt.settings,
                       rt.geography, view, wall_view.date.today())
        self.parts = wall_view.page_parts(wall_view.Frames(rt.store, wall_view.DATASETS), self.ctx)
        self.book = load_workbook(io.BytesIO(build_workbook(rt.settings, rt.store, view, today=self.ctx.today)))

    def table(self, name: str) -> tuple[list[str], list[list], list[str]]:
        """(headers, rows, the header lines above them) of a sheet."""
        rows = list(self.book[name].iter_rows(values_only=True))
        blank = next(i for i, r in enumerate(rows) if all(v is None for v in r))
        width = sum(1 for v in rows[blank + 1] if v is not None)
        return (list(rows[blank + 1][:width]), [list(r[:width]) for r in rows[blank + 2:]],
                [r[0] for r in rows[:blank]])

    def items(self, name: str) -> dict:
        return {row[0]: row[1] for row in self.table(name)[1]}

    def shown(self, kind: str, name: str) -> str:
        """The visible text of an HTML part (its hovers left out)."""
        markup = re.sub(r' data-[a-z-]+="[^"]*"', "", self.parts[kind, name])
        return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


@pytest.fixture(scope="module", params=["city", "district"])
def drawn(request, city, district):
    return Drawn(city, "city" if request.param == "city" else district[0])


def test_the_sheets_are_the_cover_the_panels_the_briefing_tables_and_the_registry(drawn):
    assert drawn.book.sheetnames == SHEETS


def test_the_incident_panels_equal_the_walls_figures(drawn):
    heat = drawn.parts["panel", "hour_weekday"]["data"][0]
    headers, rows, _ = drawn.table("时段热力")
    assert headers[:25] == ["星期", *[f"{h}时" for h in range(24)]] and [r[0] for r in rows] == heat["y"]
    assert [r[1:25] for r in rows] == heat["z"]

    figure = drawn.parts["panel", "category_district"]["data"][0]
    headers, rows, _ = drawn.table("分类热力")
    assert headers[1:-1] == figure["x"]  # the same columns (districts, or the district's streets) in order
    sheet = {r[0]: r[1:-1] for r in rows}
    named = [c for c in figure["y"] if c != "其他"]
    for category, z in zip(figure["y"], figure["z"]):
        if category != "其他":
            assert sheet[category] == z, category
        else:  # the wall's 其他 row: every category it does not name (and 其他 itself), summed
            rest = [c for c in sheet if c not in named]
            assert [sum(sheet[c][j] for c in rest) for j in range(len(figure["x"]))] == z

    # the ranking beside the map: each listed area's count, and the totals over it
    listed = re.findall(r'cw-dname">([^<]*)</span><span class="cw-dcount">([^<]*)<', drawn.parts["extra", "districts"])
    _, rows, _ = drawn.table("事件排行")
    counts = {r[2]: r[3] for r in rows[:-1]}
    for name, count in listed:
        if not name.startswith("其他（"):
            assert fmt.count(counts[name]) == count, name
    total = rows[-1]
    assert total[0] == "合计"
    assert drawn.shown("extra", "districts").startswith(
        f"近30日事件 {fmt.count(total[3])} 今日新增 {fmt.count(total[4])} 超期未办结（全部） {fmt.count(total[5])}")

    # the map: one trace per district, its hover's figures
    _, rows, _ = drawn.table("一张图")
    by_name = {r[1]: r for r in rows}
    traces = [t for t in drawn.parts["panel", "map"]["data"] if t.get("fill") == "toself"]
    assert len(traces) == len(rows)
    for trace in traces:
        row = by_name[trace["name"]]
        assert (f"近30日事件 <b>{fmt.count(row[2])}</b> 件 · 今日 {fmt.count(row[3])} 件<br>未办结（全部） "
                f"{fmt.count(row[4])} 件 · 超期（全部） {fmt.count(row[5])} 件<br>近30日办结率 {fmt.percent(row[6])}") \
            in trace["text"]

    ticker = re.findall(r'data-key="([^"]+)"', drawn.parts["panel", "ticker"])
    _, rows, _ = drawn.table("最新事件")
    assert [r[6] for r in rows] == ticker and ticker


def test_the_programme_panels_equal_the_walls_figures_and_markup(drawn):
    exchange = drawn.parts["panel", "exchange"]["data"]
    _, rows, _ = drawn.table("交换量")
    days = rows[:-1]
    assert [f"{r[0]:%Y-%m-%d}" for r in days] == exchange[0]["x"]
    assert [r[1] for r in days] == exchange[0]["y"] and [r[2] for r in days] == exchange[1]["y"]
    assert rows[-1][0] == "合计" and f"近30日合计 {fmt.count(rows[-1][1])} 条" in drawn.shown("caption", "exchange")

    burnup = drawn.parts["panel", "burnup"]["data"]
    _, rows, _ = drawn.table("上云累计")
    assert [f"{r[0]:%Y-%m-%d}" for r in rows] == burnup[0]["x"]
    assert [r[1] for r in rows] == burnup[0]["y"]
    assert [None if r[2] == "—" else r[2] for r in rows] == burnup[1]["y"]

    sharing = drawn.items("共享率")
    meter = drawn.shown("panel", "sharing")
    assert meter.startswith(f"{fmt.percent(sharing['政务数据共享率'])} 共享率 目标 ≥ {fmt.percent(sharing['目标'])}")
    assert f"距目标 {sharing['距目标（百分点）']:.1f} 个百分点" in meter
    for label in ("无条件共享", "有条件共享", "不予共享"):
        assert f"{label} {fmt.count(sharing[label + '（条）'])}" in meter

    cloud = drawn.items("上云率")
    ring = drawn.shown("panel", "cloud")
    assert ring.startswith(f"{fmt.percent(cloud['非涉密系统上云率'])} 上云率")
    for label in ("已上云", "迁移中", "未迁移", "经批准暂缓", "未批准暂缓", "逾期未迁"):
        assert f"{label} {cloud[label + '（个）']}" in ring

    ranked = re.findall(r'cw-bar-rank">(\d+)</span><span class="cw-bar-name">([^<]*)</span>.*?cw-bar-value[^"]*">([^<]*)<',
                        drawn.parts["panel", "ranking"])
    _, rows, _ = drawn.table("部门共享率排名")
    sheet = {r[1]: r for r in rows}
    assert ranked and len(rows) > len(ranked)  # the whole list; the wall shows its best and worst
    for rank, name, value in ranked:
        assert (sheet[name][0], fmt.percent(sheet[name][3])) == (int(rank), value), name

    stacked = re.findall(r'cw-stack-row"[^>]*><span class="cw-bar-name">([^<]*)</span>.*?cw-bar-value cw-muted">([^<]*)<',
                         drawn.parts["panel", "migration"])
    _, rows, _ = drawn.table("部门上云状态")
    assert [n for n, _ in stacked] == [r[0] for r in rows[:len(stacked)]]  # the wall's rows lead the list
    for (name, rate), row in zip(stacked, rows):
        assert fmt.percent(row[7], 0) == rate

    bullets = re.findall(r'cw-bullet-name[^>]*>([^<]*)</span><b class="cw-bullet-status[^>]*>([^<]*)</b>',
                         drawn.parts["panel", "targets"])
    _, rows, _ = drawn.table("目标指标")
    assert [(html.unescape(n), s) for n, s in bullets] == [(r[0], r[6]) for r in rows[:len(bullets)]]


def test_the_kpi_sheet_equals_the_tiles(drawn):
    kpis = {row[0]: row for row in drawn.table("关键指标")[1]}
    assert drawn.shown("kpi", "sharing").startswith(fmt.percent(kpis["政务数据共享率"][3]).replace("%", " %"))
    assert drawn.shown("kpi", "cloud").startswith(fmt.percent(kpis["非涉密系统上云率"][3]).replace("%", " %"))
    assert drawn.shown("kpi", "today") == (f"{fmt.count(kpis['今日事件'][3])} 件 全部 未办结 "
                                           f"{fmt.count(kpis['未办结事件（全部）'][3])} 全部 超期 "
                                           f"{fmt.count(kpis['超期未办结（全部）'][3])}")
    assert drawn.shown("kpi", "closure").startswith(
        f"{fmt.percent(kpis['事件办结率'][3]).replace('%', ' %')} 按期办结率 {fmt.percent(kpis['按期办结率'][3])}")
    assert drawn.shown("kpi", "targets").startswith(f"{kpis['目标 · 已达标'][3]} / {kpis['已配置目标'][3]} 项")
    assert kpis["今日事件"][1] == drawn.ctx.scope and kpis["政务数据共享率"][1] == "全市"


def test_the_briefing_tables_are_the_scoreboard_and_the_targets_trends(city):
    from dashboard import programme_data

    runtime.install(city)
    board = programme_data.select_scoreboard({}, [])
    targets = programme_data.select_targets({}, [])
    drawn = Drawn(city, "city")
    headers, rows, lines = drawn.table("部门绩效")
    assert headers[:6] == ["排名", "部门", "部门编号", "得分", "较上期", "信号灯"]
    scored = rows[:len(board.ranked)]
    assert [r[2] for r in scored] == list(board.ranked["dept_id"])
    assert [f"{r[3]:.1f}" for r in scored] == [f"{v * 100:.1f}" for v in board.ranked["score"]]
    assert {r[2] for r in scored if r[9] == "是"} == set(board.lagging["dept_id"]) and len(board.lagging)
    assert any(f"列入通报 {len(board.lagging)} 个部门" in line for line in lines)
    _, rows, _ = drawn.table("目标状态")
    assert [r[0] for r in rows] == list(targets["name"]) and [r[8] for r in rows] == list(targets["reach"])
    assert all(r[8].startswith("已达到") for r in rows if r[6] == "已达标")  # never 未达到 beside 已达标
    forecast = [r for r in rows if isinstance(r[7], datetime)]
    for row in forecast:  # a forecast date is the date the trend's text names
        assert fmt.day(row[7]) in row[8]


def test_rates_are_percent_counts_have_thousands_and_dates_are_iso(drawn):
    def formats(name: str) -> dict[str, set[str]]:
        headers, rows, lines = drawn.table(name)
        top = len(lines) + 2  # 1-based row of the first data row
        sheet = drawn.book[name]
        return {h: {sheet.cell(r, c + 1).number_format for r in range(top, top + len(rows))
                    if isinstance(sheet.cell(r, c + 1).value, (int, float)) or sheet.cell(r, c + 1).is_date}
                for c, h in enumerate(headers)}

    ranking = formats("部门共享率排名")
    assert ranking["政务数据共享率"] == {NUMBER_FORMATS["percent"]} == {"0.0%"}
    assert ranking["目录条目"] == {"#,##0"}
    exchange = formats("交换量")
    assert exchange["日期"] == {"yyyy-mm-dd"} and exchange["交换记录（条）"] == {"#,##0"}
    assert formats("一张图")["近30日办结率"] == {"0.0%"}
    assert formats("最新事件")["受理时间"] == {"yyyy-mm-dd hh:mm"}
    assert formats("部门绩效")["得分"] == {"0.0"}
    sharing = drawn.book["共享率"]
    cells = {row[0].value: row[1] for row in sharing.iter_rows() if row[0].value and len(row) > 1}
    assert cells["政务数据共享率"].number_format == "0.0%" and cells["不予共享（条）"].number_format == "#,##0"
    assert cells["期限"].number_format == "yyyy-mm-dd"


def _wall_indicators(parts: dict) -> set[str]:
    """The registry ids whose 口径 line ('口径：<formula>') a wall hover shows."""
    formulas = {i.formula: i.id for i in REGISTRY.values()}
    text = "\n".join(html.unescape(p) if isinstance(p, str) else str(p) for p in parts.values())
    found = {f.strip() for f in re.findall(r"口径：([^\n<\"']+)", text)}
    assert found and found <= set(formulas), found - set(formulas)
    return {formulas[f] for f in found}


def test_the_registry_sheet_covers_every_indicator_the_wall_shows(drawn):
    headers, rows, _ = drawn.table("口径")
    assert headers == ["指标编号", "指标", "单位", "口径（计算公式）", "统计期", "不计入", "依据文件", "所在工作表"]
    sheet = {r[0]: r for r in rows}
    shown = _wall_indicators(drawn.parts)
    assert shown <= set(sheet) and len(shown) >= 8
    for indicator_id in shown:
        entry = REGISTRY[indicator_id]
        assert sheet[indicator_id][1:5] == [entry.name, entry.unit, entry.formula, entry.period]
        assert sheet[indicator_id][6] == entry.source_text() and sheet[indicator_id][7] != "—"


def test_every_sheet_says_its_as_of_time_and_scope(drawn, city):
    pulls = {f"{pd.Timestamp(city.store.frame(ds, 'as_of')['as_of'].iloc[0]):%Y-%m-%d %H:%M}"
             for ds in city.store.datasets()}  # each dataset's pull, to the minute
    for name in SHEETS:
        _, _, lines = drawn.table(name)
        as_of = [line for line in lines if line.startswith("数据截至：")]
        assert len(as_of) == 1 and "—" not in as_of[0], (name, lines)
        assert set(re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", as_of[0])) <= pulls, (name, as_of)
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", as_of[0]), (name, as_of)
        assert lines[1].startswith("范围：") and ("全市" in lines[1] or drawn.ctx.scope in lines[1]), name
    for name in ("时段热力", "分类热力", "事件排行", "最新事件"):  # the panels that follow the view
        assert drawn.table(name)[2][1].startswith(f"范围：{drawn.ctx.scope}"), name
    assert drawn.table("交换量")[2][2].startswith("统计期：近30日（")


def test_headers_are_chinese_frozen_and_their_columns_fit(drawn):
    for name in SHEETS:
        headers, _, lines = drawn.table(name)
        sheet = drawn.book[name]
        assert all(CJK.search(h) for h in headers), (name, headers)
        assert sheet.freeze_panes == f"A{len(lines) + 3}", name  # everything above the first data row stays
        # openpyxl reads columns of one width as one range (min … max)
        widths = {c: d.width for d in sheet.column_dimensions.values() for c in range(d.min, d.max + 1)}
        for c, header in enumerate(headers, start=1):
            assert widths[c] >= min(text_width(header), 60), (name, header, widths[c])


def test_sheets_print_on_a4_landscape_with_their_headers_on_every_page(drawn):
    for name in SHEETS:
        _, _, lines = drawn.table(name)
        sheet = drawn.book[name]
        header = len(lines) + 2  # 1-based row of the table's headers
        assert sheet.print_title_rows == f"${header}:${header}", name
        assert (sheet.page_setup.paperSize, sheet.page_setup.orientation) == (9, "landscape"), name
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页", name


def test_an_unknown_view_is_refused_in_chinese(city):
    with pytest.raises(WorkbookError) as caught:
        build_workbook(city.settings, city.store, "district:nowhere")
    assert "视图 district:nowhere 无效" in caught.value.message and "district:" in caught.value.message


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "citywall.toml"
    config.write_text((REPO / "config" / "citywall.toml").read_text(encoding="utf-8")
                      .replace('data_dir = "../data"', f'data_dir = "{tmp_path / "data"}"')
                      .replace("incidents = 60000", "incidents = 2000").replace("live = true", "live = false"),
                      encoding="utf-8")
    return config


def _run(config: Path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYWALL_")}
    return subprocess.run([sys.executable, "run.py", "--config", str(config), "snapshot", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env=env)


def test_cli_snapshot_xlsx_writes_a_workbook_of_a_demo_city_from_nothing(tmp_path):
    config = _config(tmp_path)
    out = tmp_path / "out" / "大屏数据.xlsx"
    done = _run(config, "--xlsx", str(out))
    assert done.returncode == 0, done.stderr
    assert "尚无数据：正在拉取一次" in done.stdout and f"工作簿已保存: {out}" in done.stdout
    book = load_workbook(out)
    assert book.sheetnames == SHEETS and book["关键指标"].max_row > 10

    wrong = _run(config, "--xlsx", str(out), "--view", "district:nowhere")
    assert wrong.returncode == 1 and "导出工作簿失败：视图 district:nowhere 无效" in wrong.stderr
    page = _run(config, "--xlsx", str(out), "--page", "/incidents")
    assert page.returncode == 1 and "--page 只用于 --png 截图" in page.stderr
    neither = _run(config)
    assert neither.returncode == 2 and "请至少给出 --png、--pdf、--xlsx 之一" in neither.stderr
