"""The /cloud (上云) page, from its view model (dashboard/cloud_views.py)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard import formatting as fmt
from dashboard.cloud_views import STATUS_FILTERS, CloudView
from layouts import drill_parts as dp
from layouts import theme, tips
from layouts.drill_page import drill_page
from layouts.sharing_pages import WALL, department_link, thresholds_note

BY_DEPT_COLUMNS = [("department", "部门", "link"), ("light", "信号灯", "light"),
                   ("cloud_migration_rate", "上云率", "percent"), ("total", "非涉密系统", "count"),
                   ("已上云", "已上云", "count"), ("迁移中", "迁移中", "count"), ("未迁移", "未迁移", "count"),
                   ("暂缓", "暂缓", "count")]
SYSTEM_COLUMNS = [("system_id", "系统编号", "plain"), ("name", "系统名称", "text"), ("department", "部门", "text"),
                  ("status", "上云状态", "plain"), ("planned_date", "计划上云", "date"),
                  ("migrated_date", "实际上云", "date"), ("overdue", "逾期未上云", "yesno")]
EXEMPT_COLUMNS = [("system_id", "系统编号", "plain"), ("name", "系统名称", "text"), ("department", "部门", "text"),
                  ("status", "状态", "plain")]


def burnup_figure(view: CloudView, as_of) -> go.Figure:
    """Planned against actual cumulative systems on the cloud, the projection to the deadline and
    the target's line."""
    frame = view.burnup
    hover = "<br>".join(tips.lines("cloud_burnup", as_of=as_of))
    fig = go.Figure()
    if len(frame):
        months = pd.to_datetime(frame["month"])
        fig.add_trace(go.Scatter(x=months, y=frame["planned_cum"], name="计划累计", mode="lines",
                                 line=dict(color=theme.WARN, dash="dash", width=2),
                                 hovertemplate="%{x|%Y年%m月}<br>计划累计 <b>%{y:,}</b> 个<br>" + hover + "<extra></extra>"))
        fig.add_trace(go.Scatter(x=months, y=frame["actual_cum"], name="实际累计", mode="lines",
                                 line=dict(color=theme.ACCENT, width=2.4), fill="tozeroy",
                                 fillcolor="rgba(39,211,255,0.14)",
                                 hovertemplate="%{x|%Y年%m月}<br>实际累计 <b>%{y:,}</b> 个<br>" + hover + "<extra></extra>"))
    if len(view.projection):
        fig.add_trace(go.Scatter(x=view.projection["month"], y=view.projection["projected"], name="按趋势预测",
                                 mode="lines", line=dict(color=theme.BAD, dash="dot", width=2),
                                 hovertemplate="%{x|%Y年%m月}<br>按近12个月趋势预计 <b>%{y:,.0f}</b> 个<extra></extra>"))
    if view.goal:
        fig.add_hline(y=view.goal, line=dict(color=theme.GOOD, dash="dot", width=1.2),
                      annotation_text=f"目标 {fmt.count(view.goal)} 个", annotation_font_color=theme.GOOD)
    if view.target:
        fig.add_vline(x=pd.Timestamp(view.target["deadline"]), line=dict(color=theme.MUTED, dash="dot", width=1))
    fig.update_layout(height=320, margin=dict(l=56, r=16, t=28, b=36), paper_bgcolor=theme.PANEL,
                      plot_bgcolor=theme.PANEL, font=dict(color=theme.TEXT, size=14), hovermode="closest",
                      legend=dict(orientation="h", y=1.1, x=0), xaxis=dict(gridcolor=theme.GRID, tickformat="%Y-%m"),
                      yaxis=dict(gridcolor=theme.GRID, rangemode="tozero"))
    return fig


def projection_text(view: CloudView) -> str:
    if not view.target or not len(view.projection) or not view.goal:
        return "未配置上云率目标或历史不足，无法预测"
    last = float(view.projection["projected"].iloc[-1])
    verdict = "可按期达到" if last >= view.goal else "按当前趋势期限内无法达到"
    return (f"按近12个月趋势，至 {fmt.day(view.target['deadline'])} 预计上云 {fmt.count(round(last))} 个，"
            f"目标 {fmt.count(view.goal)} 个：{verdict}")


def cloud_page(view: CloudView, *, names: dict[str, str], as_of, thresholds: tuple[float, float],
               notices: list[str], sort, page: int, query: dict) -> html.Div:
    c = view.counts
    rate = fmt.percent(view.rate)
    target = view.target
    target_line = (f"目标 {fmt.percent(target['target'], 0)}（{fmt.day(target['deadline'])}，{target['source_doc']}）"
                   if target else "未配置目标")
    tip = tips.tip("cloud_migration_rate", rate, as_of=as_of, document=target["source_doc"] if target else None)
    by_dept = view.by_dept.assign(department=[department_link(d, n) for d, n in zip(view.by_dept["dept_id"],
                                                                                  view.by_dept["name"])],
                                  light=[dp.LIGHT_TEXT.get(v, fmt.MISSING) for v in view.by_dept["light"]])
    exempt = dp.grid("exempt", view.exempt, EXEMPT_COLUMNS, main=False) if len(view.exempt) else \
        html.P("没有经批准暂缓的系统", className="cw-muted")
    body = [
        dp.url_state(),
        dp.stat_row(
            dp.stat_card("全市非涉密系统上云率", rate, tip, target_line),
            dp.stat_card("已上云 / 非涉密系统", f"{fmt.count(c['已上云'])} / {fmt.count(c['nonclassified'])}", tip,
                         f"涉密系统 {fmt.count(c['classified'])} 个不计入"),
            dp.stat_card("逾期未上云", f"{fmt.count(c['behind_plan'])} 个", tip, "计划日期已过仍未上云（经批准暂缓除外）",
                         tone="is-bad" if c["behind_plan"] else ""),
            dp.stat_card("经批准暂缓", f"{fmt.count(c['deferred_approved'])} 个", tip,
                         f"未经批准的暂缓 {fmt.count(c['deferred_unapproved'])} 个")),
        dp.card("上云进度：计划与实际（累计）", html.P(projection_text(view), className="cw-muted"),
                dp.graph(burnup_figure(view, as_of), "cloud-burnup")),
        dp.card("各部门上云状态", html.P(thresholds_note(*thresholds), className="cw-muted"),
                dp.grid("cloud_depts", by_dept, BY_DEPT_COLUMNS, page_size=10, main=False),
                dp.download_links("cloud_depts", {})),
        dp.card("经批准暂缓（单独列示）", exempt, note="仍计入上云率分母"),
        dp.card("各部门信息系统", dp.grid("systems", view.systems, SYSTEM_COLUMNS, sort=sort, page=page),
                dp.download_links("cloud_systems", query), note="按部门、状态筛选见上方"),
    ]
    options = dict(sorted(names.items()))
    return drill_page("上云进度", [WALL, ("上云", None)], body, query_notices=notices, page_id="drill-cloud",
                      filters=[dp.select("dept", "部门", options, view.query.dept, clearable=True),
                               dp.select("status", "系统状态", STATUS_FILTERS, view.query.status, default="all")])
