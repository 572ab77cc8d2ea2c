"""数据状态 page: datasets (freshness and data age), held publishes, the pull log, each source's check
report and every quarantined row, paged, with its whole raw row (personal data masked).

Built from :mod:`dashboard.status_view`'s view models only."""
from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import dcc, html

from dashboard import formatting as fmt, pages
from dashboard.freshness import DATASET_LABELS
from dashboard.source_check import SourceReport
from dashboard.status_view import QuarantinePage, StatusView, status_page

IDS = {"interval": "status-interval", "body": "status-body", "query": "status-query",
       "download": "status-download", "download_button": "status-download-button"}


def _table(headers: list[str], rows: list[list], row_classes: list[str] | None = None, className: str = "") -> html.Table:
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in headers])),
        html.Tbody([html.Tr([html.Td(c) for c in row], className=(row_classes or [""] * len(rows))[i])
                    for i, row in enumerate(rows)]),
    ], className=f"cw-table {className}".strip())


def _page_link(label: str, page: int, source: str) -> dcc.Link:
    query = urlencode({k: v for k, v in (("qpage", page), ("qsource", source)) if v})
    return dcc.Link(label, href=f"/status?{query}#quarantine", className="cw-pager-link")


def _report(report: SourceReport) -> html.Details:
    label = DATASET_LABELS.get(report.dataset, report.dataset)
    if report.error:
        return html.Details([html.Summary(f"{report.source} · {label} · 读取失败"), html.P(report.error)],
                            className="cw-check is-bad")
    facts = [f"读取 {fmt.count(report.rows_read)} 行，合格 {fmt.count(report.rows_ok)}，隔离 {fmt.count(report.rows_quarantined)}"]
    if report.region_match_rate is not None:
        facts.append(f"区域匹配 {fmt.percent(report.region_match_rate)}")
    if report.date_first:
        facts.append(f"数据 {report.date_first[:10]} 至 {report.date_last[:10]}")
    facts.append(f"发布 {report.publish_change}")
    headers = [[h.header, "、".join(h.feeds) or "（未使用）"] for h in report.headers]
    reasons = [[g.reason, fmt.count(g.count), html.Div([html.Div(" · ".join(f"{k}: {v}" for k, v in e.items()),
                                                                 className="cw-raw") for e in g.examples])]
               for g in report.reasons]
    return html.Details([
        html.Summary(f"{report.source} · {label} · " + " · ".join(facts)),
        html.P(f"检查于 {fmt.moment(report.checked_at)}" + (f"；{report.regions}" if report.regions else "")
               + (f"；缺少必需列: {'、'.join(report.missing)}" if report.missing else "")),
        _table(["文件自带的列", "映射到合约列"], headers),
        html.H3("前几行（映射后）"),
        _table(report.sample_columns, [[r.get(c, "") for c in report.sample_columns] for r in report.sample_rows]),
        html.H3("隔离原因"),
        _table(["原因", "行数", "示例（原始行，已脱敏）"], reasons) if reasons else html.P("没有隔离行。"),
    ], className="cw-check" + (" is-bad" if report.held else ""))


def _quarantine(q: QuarantinePage) -> html.Div:
    filters = [_page_link("全部", 1, "")] + [_page_link(s, 1, s) for s in q.sources]
    pager = html.Div([
        _page_link("上一页", q.page - 1, q.source) if q.page > 1 else html.Span("上一页", className="cw-muted"),
        html.Span(f"第 {q.page} / {q.pages} 页 · 共 {fmt.count(q.total)} 行", className="cw-pager-info"),
        _page_link("下一页", q.page + 1, q.source) if q.page < q.pages else html.Span("下一页", className="cw-muted"),
    ], className="cw-pager")
    rows = [[r.source, r.dataset, r.row_number, r.reason, html.Div(r.raw, className="cw-raw")] for r in q.rows]
    return html.Div([
        html.Div(["数据源: ", *filters], className="cw-pager"),
        pager,
        html.Button("下载全部隔离行（CSV，已脱敏）" if not q.source else f"下载「{q.source}」的隔离行（CSV，已脱敏）",
                    id=IDS["download_button"], className="cw-back", n_clicks=0) if q.total else None,
        _table(["数据源", "数据集", "源行号", "原因", "原始行（完整，已脱敏）"], rows, className="cw-quarantine")
        if rows else html.P("没有隔离行。"),
    ], id="quarantine")


def status_components(view: StatusView) -> html.Div:
    datasets = [[d.label, d.dataset, d.version, d.published, d.age, d.as_of or fmt.MISSING, d.state, d.reason]
                for d in view.datasets]
    return html.Div([
        html.H2("数据集"),
        _table(["数据集", "标识", "版本", "最近成功", "拉取年龄", "数据截至", "状态", "说明"], datasets,
               ["is-stale" if d.stale else "" for d in view.datasets])
        if datasets else html.P("尚无数据集发布。请运行 python run.py pull。"),
        *([html.H2("暂缓的发布（发布保护）"),
           _table(["数据源", "数据集", "暂缓于", "行数（上次 → 本次）", "原因", "确认无误后放行"], view.held,
                  ["is-stale"] * len(view.held))] if view.held else []),
        html.H2("最近拉取"),
        _table(["数据源", "数据集", "开始", "耗时", "合格行", "隔离行", "触发", "结果"], view.runs)
        if view.runs else html.P("尚无拉取记录。"),
        *(_raw_sections(view) if view.quarantine is not None else
          [html.P("数据源检查与隔离行（含原始行、文件路径与地址）需要「查看原始行与错误详情」权限：请以运维或管理员账号登录。",
                  className="cw-drill-note cw-raw-hidden")]),
    ])


def _raw_sections(view: StatusView) -> list:
    return [
        html.H2("数据源检查（最近一次拉取；命令行: python run.py check-source 数据源）"),
        html.Div([_report(r) for r in view.reports]) if view.reports else html.P("尚无检查记录。"),
        html.H2("隔离行（不符合数据合约，未参与统计）"),
        _quarantine(view.quarantine),
    ]


def layout(qpage=None, qsource=None, **_query) -> html.Div:
    page = status_page(qpage, qsource)
    return html.Div([
        html.H1(f"{page.city_name} · 数据状态"),
        dcc.Interval(id=IDS["interval"], interval=page.refresh_ms),
        dcc.Store(id=IDS["query"], data=page.query),
        dcc.Download(id=IDS["download"]),
        html.Div(status_components(page.view), id=IDS["body"]),
        dcc.Link("‹ 返回大屏", href="/wall", className="cw-back"),  # wall-nav.js keeps the wall's own parameters
    ], className="cw-page")


# registered after `layout` exists: Dash only finds layouts itself for modules in a pages folder
# the download button is on the page only while rows are quarantined: named for the validation layout
dash.register_page(__name__, path="/status", title="数据状态", name="数据状态", layout=layout, page_kind=pages.WALL,
                   validation_layout=lambda: html.Button(id=IDS["download_button"]), permission="view_drilldowns")
