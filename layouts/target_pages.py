"""The /targets (目标指标) and /target/<id> pages, from their view models (dashboard/target_views.py)."""
from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import formatting as fmt
from dashboard.target_views import TargetDetail, goal_text, target_href
from layouts import drill_parts as dp
from layouts import tips
from layouts.drill_page import drill_page
from layouts.sharing_pages import WALL

TARGETS_CRUMB = ("目标指标", "/targets")
STATUS_TONE = {"已达标": "is-green", "按期可达": "is-green", "滞后": "is-yellow", "逾期未达标": "is-red",
               "未设期限": "is-none"}
LIST_COLUMNS = [("target_link", "目标", "link"), ("level", "级别", "plain"), ("current_text", "实际值", "plain"),
                ("goal_text", "目标值", "plain"), ("deadline", "期限", "date"), ("status", "状态", "plain"),
                ("reach", "按当前趋势", "text"),
                ("source_doc", "依据文件", "text")]


def value_text(value, unit: str) -> str:
    if value is None or pd.isna(value):
        return fmt.MISSING
    return fmt.percent(value) if unit == "%" else f"{fmt.count(value)} {unit}"


def targets_table(targets: pd.DataFrame) -> pd.DataFrame:
    return targets.assign(
        target_link=[f"[{n}]({target_href(t)})" for n, t in zip(targets["name"], targets["target_id"])],
        current_text=[value_text(v, u) for v, u in zip(targets["current"], targets["unit"])],
        goal_text=[goal_text(v, u) for v, u in zip(targets["target"], targets["unit"])])


def detail_block(detail: TargetDetail, as_of) -> html.Div:
    t, row = detail.target, detail.row
    current = row.get("current")
    status = row.get("status", "滞后")
    tip = tips.tip(t.indicator_id, value_text(current, t.unit), head=f"{t.name} {value_text(current, t.unit)}",
                   as_of=as_of, document=t.source_doc)
    deadline = fmt.day(t.deadline) if t.deadline else "未设期限"
    parts = [dp.stat_row(
        dp.stat_card("实际值", value_text(current, t.unit), tip),
        dp.stat_card("目标值", goal_text(t.target, t.unit), tip, f"{t.level}级目标"),
        dp.stat_card("期限", deadline, tip),
        dp.stat_card("状态", status, tip, detail.reach, tone=STATUS_TONE.get(status, "")),
    ), html.P([html.B(detail.reach, className="cw-reach"), html.Br(), f"依据文件：{t.source_doc or fmt.MISSING}"],
              className="cw-target-doc")]
    if detail.checklist is not None:
        done = sum(1 for i in detail.checklist if i.done)
        parts.append(dp.card(f"清单（已完成 {done} / {len(detail.checklist)}）", html.Ul([
            html.Li([html.Span("✔" if i.done else "○", className="cw-check-mark" + (" is-done" if i.done else "")),
                     html.Span(i.item, className="cw-check-item"),
                     html.Span(f"完成于 {fmt.day(i.done)}" if i.done else "未完成或未登记完成日期",
                               className="cw-muted")]) for i in detail.checklist
        ], className="cw-checklist") if detail.checklist else html.P(
            "文件未列出事项；在配置 [targets.milestones] 中登记本市的事项与完成日期", className="cw-muted")))
    hover = "<br>".join(tips.lines(t.indicator_id, as_of=as_of, document=t.source_doc))
    parts.append(dp.card("历史与趋势", dp.graph(dp.trend_figure(
        detail.history, name=t.name, hover=hover, unit=t.unit, target=t.target, trend=detail.trend,
        deadline=t.deadline, height=300), "target-history"),
        note="虚线：近180日最小二乘趋势，延伸至期限"))
    return html.Div(parts, className="cw-target-detail")


def targets_page(targets: pd.DataFrame, detail: TargetDetail | None, *, as_of, notices: list[str], sort,
                 page: int) -> html.Div:
    counts = targets["status"].value_counts().to_dict() if len(targets) else {}
    summary = "，".join(f"{k} {v} 项" for k, v in counts.items()) or "未配置目标"
    body = [dp.url_state(), html.P(f"共 {len(targets)} 项目标：{summary}", className="cw-muted"),
            dp.grid("targets", targets_table(targets), LIST_COLUMNS, sort=sort, page=page, page_size=20),
            dp.download_links("targets", {})]
    if detail is not None:
        body = [dp.card(detail.target.name, detail_block(detail, as_of)), *body]
    return drill_page("目标指标", [WALL, ("目标指标", None)], body, query_notices=notices, page_id="drill-targets")


def target_page(detail: TargetDetail, *, as_of, notices: list[str]) -> html.Div:
    return drill_page(detail.target.name, [WALL, TARGETS_CRUMB, (detail.target.name, None)],
                      [dp.url_state(), detail_block(detail, as_of)], query_notices=notices, page_id="drill-target")
