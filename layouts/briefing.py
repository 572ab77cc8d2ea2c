"""/briefing (通报): the print-styled page Chromium prints to the A4 PDF (dashboard/capture.py
``capture_pdf``), built from its view model (dashboard/briefing_view.py). It needs the ``view_briefing``
permission (its register_page; every role that may ``export`` holds it, and so does the exports'
service token), which the auth layer checks on the server before the layout runs.

The scoreboard and target tables use the /scoreboard and /targets pages' own column texts, so a
number reads the same in the 通报 as on those pages. assets/briefing.css lays it out for paper.
"""
from __future__ import annotations

from datetime import date

import dash
from dash import dcc, html

from dashboard import formatting as fmt
from dashboard import pages
from dashboard.briefing_view import SECTIONS, Briefing
from layouts import briefing_figures as bf
from layouts.drill_parts import LIGHT_TEXT
from layouts import tips
from layouts.scoreboard_page import PERIOD_TEXT, RATE_COLUMNS, score_text, weights_text
from layouts.target_pages import targets_table

PAGE_ID = "briefing-page"


def table(headers: list[str], rows: list[list], table_id: str, widths: list[str] | None = None) -> html.Table:
    """A print table: its header repeats on every page it continues on, no row splits (briefing.css)."""
    cols = html.Colgroup([html.Col(style={"width": w}) for w in widths]) if widths else None
    return html.Table([
        cols,
        html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
        html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
    ], className="cw-brief-table", id=table_id)


def section(number: int, *children, note: str = "") -> html.Section:
    return html.Section([html.H2(SECTIONS[number], className="cw-brief-h2"),
                         html.P(note, className="cw-brief-note") if note else None, *children],
                        className="cw-brief-section")


def kpi_section(view: Briefing) -> html.Section:
    rows = [[html.B(k.name), html.Span(k.value, className="cw-brief-num"), k.scope,
             html.Span([k.formula, html.Br(), f"不计入：{k.excluded}"] if k.excluded else k.formula), k.source]
            for k in view.kpis]
    return section(0, table(["指标", "数值", "范围与统计期", "口径", "依据"], rows, "briefing-kpis",
                            ["16%", "11%", "19%", "34%", "20%"]),
                   note="各指标口径取自指标口径手册（DESIGN.md），与大屏及下钻页面一致。")


def chart(title: str, figure, graph_id: str, caption: str) -> html.Figure:
    return html.Figure([html.Figcaption(title, className="cw-brief-chart-title"),
                        dcc.Graph(id=graph_id, figure=figure, config=bf.CONFIG, className="cw-brief-graph"),
                        html.P(caption, className="cw-brief-chart-note")], className="cw-brief-chart")


def chart_section(view: Briefing, geography, today: date) -> html.Section:
    sharing = tips.indicator("sharing_rate")
    return section(1, html.Div([
        chart("数据共享与汇聚", bf.sharing_figure(view.sharing, view.sharing_target), "briefing-sharing",
              f"口径：{sharing.formula}。历史取自指标历史。"),
        chart("上云燃尽（累计）", bf.burnup_figure(view.burnup, view.cloud_target, today), "briefing-burnup",
              f"口径：{tips.indicator('cloud_burnup').formula}。"),
        chart("事件趋势（近30日）", bf.incident_figure(view.incidents_daily), "briefing-incidents",
              f"口径：{tips.indicator('incident_count').formula}，按受理日期计。"),
        chart("一张图：各区县近30日事件", bf.map_figure(view.map_frames.get("by_district"), geography), "briefing-map",
              "颜色越深事件越多；数字为近30日受理事件数。"),
    ], className="cw-brief-charts"))


def _rates(row) -> list[str]:
    return [fmt.percent(getattr(row, key)) for key, _h, _k in RATE_COLUMNS]


def scoreboard_section(view: Briefing) -> html.Section:
    board = view.board
    rows = [[str(r.rank), r.name, score_text(r.score),
             fmt.MISSING if r.change is None else f"{r.change * 100:+.1f}", LIGHT_TEXT.get(r.light, fmt.MISSING),
             *_rates(r)] for r in board.ranked.itertuples()]
    rule = (f"得分 = {weights_text(board)}（满分 100）。≥{board.green_at * 100:g} 分绿灯，"
            f"{board.yellow_at * 100:g}–{board.green_at * 100:g} 分黄灯，<{board.yellow_at * 100:g} 分红灯并列入通报。"
            f"较上期：与{PERIOD_TEXT[board.period]}（{fmt.day(board.previous_day)}）的得分相比。")
    parts = [table(["排名", "部门", "得分", "较上期", "信号灯", *[h for _k, h, _t in RATE_COLUMNS]], rows, "briefing-scoreboard",
                   ["8%", "30%", "10%", "10%", "10%", "11%", "10%", "11%"])
             if rows else html.P("暂无可计分的部门", className="cw-brief-note")]
    if len(board.apart):
        parts.append(html.P("不计分的部门（分母为空，不排名，不列入通报）：" + "；".join(
            f"{r.name}（{r.reason}）" for r in board.apart.itertuples()), className="cw-brief-note"))
    return section(2, *parts, note=rule)


def lagging_section(view: Briefing) -> html.Section:
    board = view.board
    if board.lagging.empty:
        return section(3, html.P(f"本期没有得分低于 {board.yellow_at * 100:g} 分的部门。", className="cw-brief-note"))
    rows = []
    for r in board.lagging.itertuples():
        low = [f"{tips.indicator(k).name} {fmt.percent(getattr(r, k))}" for k, _h, _t in RATE_COLUMNS
               if getattr(r, k) is not None and getattr(r, k) < board.yellow_at]
        rows.append([str(r.rank), r.name, score_text(r.score),
                     fmt.MISSING if r.change is None else f"{r.change * 100:+.1f}", "、".join(low) or fmt.MISSING])
    return section(3, table(["排名", "部门", "得分", "较上期", "低于阈值的指标"], rows, "briefing-lagging",
                            ["8%", "30%", "10%", "10%", "42%"]),
                   note=f"以下 {len(rows)} 个部门得分低于 {board.yellow_at * 100:g} 分（红灯），予以通报，请限期整改。")


def targets_section(view: Briefing) -> html.Section:
    if view.targets.empty or "target_id" not in view.targets.columns:
        return section(4, html.P("未配置目标", className="cw-brief-note"))
    frame = targets_table(view.targets)
    rows = [[r.name, r.level, r.current_text, r.goal_text, fmt.day(r.deadline) if r.deadline is not None else "未设期限",
             r.status, r.reach, r.source_doc or fmt.MISSING] for r in frame.itertuples()]
    return section(4, table(["目标", "级别", "实际值", "目标值", "期限", "状态", "按当前趋势（预计达到日期）", "依据文件"],
                            rows, "briefing-targets", ["14%", "6%", "9%", "8%", "15%", "10%", "21%", "17%"]),
                   note="预计达到日期按近180日最小二乘趋势推算，与目标指标页面一致。")


def sources_section(view: Briefing) -> html.Section:
    rows = [[s.label, s.sources, s.published, s.age, s.data_as_of, s.state, s.reason or fmt.MISSING]
            for s in view.sources]
    return section(5, table(["数据集", "数据源（责任单位）", "最近发布", "距今", "数据本身截至", "状态", "说明"], rows,
                            "briefing-sources", ["10%", "22%", "16%", "9%", "13%", "8%", "22%"]),
                   note=f"本通报数据截至 {view.as_of}。状态为“滞后”的数据集沿用最近一次成功发布的数据。")


def briefing_page(view: Briefing, geography, today: date) -> html.Div:
    return html.Div([
        html.Header([
            html.Div(f"{view.city}智慧城市运行指挥中心", className="cw-brief-issuer"),
            html.H1(view.title, className="cw-brief-title"),
            html.Div([html.Span(f"通报期：{view.period}"), html.Span(f"印发日期：{view.issued}"),
                      html.Span(f"数据截至：{view.as_of}")], className="cw-brief-meta"),
        ], className="cw-brief-head"),
        kpi_section(view), chart_section(view, geography, today), scoreboard_section(view), lagging_section(view),
        targets_section(view), sources_section(view),
    ], className="cw-briefing", id=PAGE_ID)


def layout(**_query) -> html.Div:
    from dashboard.briefing_data import current_briefing

    view, geography, today = current_briefing()
    return briefing_page(view, geography, today)


dash.register_page(__name__, path="/briefing", title="通报", name="通报", layout=layout, page_kind=pages.WALL,
                   permission="view_briefing")
