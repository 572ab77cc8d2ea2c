"""The /sharing (数据共享), /department/<id> and /exchange pages, from their view models
(dashboard/programme_views.py)."""
from __future__ import annotations

import plotly.graph_objects as go
from dash import html

from dashboard import formatting as fmt
from dashboard.programme_views import (EXCHANGE_PERIODS, LIGHT_FILTERS, DepartmentView, ExchangeQuery, ExchangeView,
                                       SharingView)
from layouts import drill_parts as dp
from layouts import theme, tips
from layouts.drill_page import drill_page

WALL = ("大屏", "/wall")
SHARING_CRUMB = ("数据共享", "/sharing")

RANKING_COLUMNS = [("rank", "排名", "count"), ("department", "部门", "link"), ("light", "信号灯", "light"),
                   ("sharing_rate", "共享率", "percent"), ("resources", "目录条目", "count"),
                   ("shared", "可共享条目", "count"), ("gov_aggregation_rate", "政务数据汇聚率", "percent"),
                   ("city_aggregation_rate", "城市数据汇聚率", "percent")]
ITEM_COLUMNS = [("resource_id", "资源编号", "plain"), ("name", "资源名称", "text"), ("data_class", "数据类别", "plain"),
                ("share_type", "共享类型", "plain"), ("mounted", "已挂接", "yesno")]
SYSTEM_COLUMNS = [("system_id", "系统编号", "plain"), ("name", "系统名称", "text"), ("status", "上云状态", "plain"),
                  ("planned_date", "计划上云", "date"), ("migrated_date", "实际上云", "date"),
                  ("overdue", "逾期未上云", "yesno"), ("exempt_approved", "经批准暂缓", "yesno")]
SANKEY_NODE_GAP = 26  # px; the sankey's labels are 13 px type
PAIR_COLUMNS = [("provider", "提供部门", "text"), ("consumer", "使用部门", "text"), ("records", "交换记录", "count"),
                ("api_calls", "接口调用", "count")]


def department_link(dept_id: str, name: str) -> str:
    from layouts.links import department_href

    return f"[{name}]({department_href(dept_id)})"


def thresholds_note(green_at: float, yellow_at: float) -> str:
    return (f"信号灯：≥{fmt.percent(green_at, 0)} 绿灯，{fmt.percent(yellow_at, 0)}–{fmt.percent(green_at, 0)} 黄灯，"
            f"<{fmt.percent(yellow_at, 0)} 红灯（阈值见配置 [scoreboard]）")


def sharing_page(view: SharingView, *, as_of, targets: dict, notices: list[str], sort, page: int,
                 query: dict) -> html.Div:
    cards, graphs = [], []
    for card in view.cards:
        entry = tips.indicator(card.indicator_id)
        target = targets.get(card.indicator_id)
        value = fmt.percent(card.value)
        tip = tips.tip(card.indicator_id, value, as_of=as_of)
        sub = f"目标 {fmt.percent(target['target'], 0)}（{fmt.day(target['deadline'])}）" if target else "未配置目标"
        cards.append(dp.stat_card(f"全市{entry.name}", value, tip, sub))
        graphs.append(dp.card(f"{entry.name} · 趋势", dp.graph(dp.trend_figure(
            card.trend, name=entry.name, hover="<br>".join(tips.lines(card.indicator_id, as_of=as_of)),
            target=target["target"] if target else None), f"sharing-trend-{card.indicator_id}")))
    ranking = view.ranking.assign(department=[department_link(d, n) for d, n in
                                              zip(view.ranking["dept_id"], view.ranking["name"])],
                                  light=[dp.LIGHT_TEXT.get(v, fmt.MISSING) for v in view.ranking["light"]])
    counts = "，".join(f"{dp.LIGHT_TEXT[k]} {view.counts.get(k, 0)} 个" for k in ("红", "黄", "绿"))
    body = [
        dp.url_state(),
        dp.stat_row(*cards),
        dp.columns(*graphs, layout="thirds"),
        dp.card("部门共享率排名", html.P([thresholds_note(view.green_at, view.yellow_at), html.Br(), counts],
                                        className="cw-muted"),
                dp.grid("sharing", ranking, RANKING_COLUMNS, sort=sort, page=page),
                dp.download_links("sharing", query), note="点部门名称进入部门详情"),
    ]
    return drill_page("数据共享", [WALL, ("数据共享", None)], body, query_notices=notices,
                      filters=[dp.select("light", "信号灯", LIGHT_FILTERS, view.query.light, default="all")],
                      page_id="drill-sharing")


def sankey(view: DepartmentView) -> go.Figure:
    """Records given (this department → consumers) and received (providers → this department), 近30日."""
    providers = [f"{p}（提供）" for p in view.received["partner"]]
    consumers = [f"{c}（使用）" for c in view.given["partner"]]
    labels = [*providers, view.name, *consumers]
    me = len(providers)
    source = [*range(len(providers)), *([me] * len(consumers))]
    target = [*([me] * len(providers)), *range(me + 1, me + 1 + len(consumers))]
    values = [*view.received["records"].astype(float), *view.given["records"].astype(float)]
    colors = [theme.WARN] * len(providers) + [theme.ACCENT] + [theme.GOOD] * len(consumers)
    fig = go.Figure(go.Sankey(
        # pad: the space between two nodes of a side, more than a label's line, so that the labels of
        # small partners (nodes a pixel high) do not run into each other
        node=dict(label=labels, color=colors, pad=SANKEY_NODE_GAP, thickness=14, line=dict(width=0),
                  hovertemplate="%{label}<br>近30日交换记录 %{value:,.0f} 条<extra></extra>"),
        link=dict(source=source, target=target, value=values, color="rgba(39,211,255,0.25)",
                  hovertemplate="%{source.label} → %{target.label}<br>近30日交换记录 <b>%{value:,.0f}</b> 条"
                                "<extra></extra>")))
    side = max(len(providers), len(consumers), 1)
    fig.update_layout(height=max(320, 120 + (SANKEY_NODE_GAP + 8) * side), margin=dict(l=8, r=8, t=8, b=8),
                      paper_bgcolor=theme.PANEL, font=dict(color=theme.TEXT, size=13))
    return fig


def department_page(view: DepartmentView, *, as_of: dict, notices: list[str], sort, page: int,
                    query: dict) -> html.Div:
    scope = view.name
    cards = [dp.stat_card(tips.indicator(k).name, fmt.percent(view.rates[k]),
                          tips.tip(k, fmt.percent(view.rates[k]), scope=scope,
                                   as_of=as_of["systems" if k == "cloud_migration_rate" else "catalog"]))
             for k in ("sharing_rate", "aggregation_rate", "cloud_migration_rate")]
    share = ", ".join(f"{t} {fmt.count(n)}" for t, n in zip(view.share_types["share_type"], view.share_types["resources"]))
    mounting = "；".join(f"{r.data_class}类 已挂接 {fmt.count(r.mounted)} / 未挂接 {fmt.count(r.not_mounted)}"
                         for r in view.mounting.itertuples())
    counts = view.system_counts
    systems_line = (f"非涉密系统 {fmt.count(counts['total'])} 个：已上云 {counts['已上云']}，迁移中 {counts['迁移中']}，"
                    f"未迁移 {counts['未迁移']}，暂缓 {counts['暂缓']}")
    trend_hover = "<br>".join(tips.lines("sharing_rate", as_of=as_of["department_history"]))
    flows = dp.graph(sankey(view), "department-sankey") if len(view.given) or len(view.received) else \
        html.P("近30日没有与其他部门的数据交换", className="cw-muted")
    body = [
        dp.url_state(),
        dp.stat_row(*cards),
        dp.columns(
            dp.card("共享率趋势", dp.graph(dp.trend_figure(view.trend, name=f"{scope}共享率", hover=trend_hover),
                                       "department-trend"), note="部门每日指标历史"),
            dp.card("交换伙伴（近30日）", flows, note="左：向本部门提供；右：使用本部门数据")),
        dp.card("资源目录", html.P([f"按共享类型：{share}", html.Br(), f"按挂接状态：{mounting}"], className="cw-muted"),
                dp.grid("items", view.items, ITEM_COLUMNS, sort=sort, page=page), dp.download_links("department_items", {"dept": view.dept_id})),
        dp.card("信息系统与上云状态", html.P(systems_line, className="cw-muted"),
                dp.grid("systems", view.systems, SYSTEM_COLUMNS, main=False),
                dp.download_links("department_systems", {"dept": view.dept_id})),
    ]
    return drill_page(f"部门 · {view.name}", [WALL, SHARING_CRUMB, (view.name, None)], body, query_notices=notices,
                      page_id="drill-department")


def exchange_page(view: ExchangeView, *, names: dict[str, str], as_of, notices: list[str], sort, page: int,
                  query: dict) -> html.Div:
    q = view.query
    period = EXCHANGE_PERIODS[q.period][0]
    scope = " → ".join(filter(None, [names.get(q.provider) if q.provider else "全部提供部门",
                                     names.get(q.consumer) if q.consumer else "全部使用部门"]))
    days = (view.end - view.start).days + 1 if view.start and view.end else None
    tip = tips.tip("exchange_records", f"{fmt.count(view.records)} 条", scope=scope, days=days, as_of=as_of)
    fig = go.Figure(go.Bar(x=view.daily["date"], y=view.daily["records"], marker_color=theme.ACCENT, name="交换记录",
                           customdata=[fmt.count(v) for v in view.daily["records"]],
                           hovertemplate="%{x|%Y年%m月%d日}<br>交换记录 <b>%{customdata}</b> 条<br>"
                                         + "<br>".join(tips.lines("exchange_records", as_of=as_of, days=1))
                                         + "<extra></extra>"))
    fig.update_layout(height=300, margin=dict(l=64, r=16, t=12, b=36), paper_bgcolor=theme.PANEL,
                      plot_bgcolor=theme.PANEL, font=dict(color=theme.TEXT, size=14), bargap=0.1,
                      xaxis=dict(gridcolor=theme.GRID, tickformat="%m月%d日"), yaxis=dict(gridcolor=theme.GRID, rangemode="tozero"))
    options = dict(sorted(names.items(), key=lambda kv: kv[0]))
    body = [
        dp.url_state(),
        dp.stat_row(dp.stat_card(f"交换记录（{period}）", f"{fmt.count(view.records)} 条", tip, scope),
                    dp.stat_card(f"接口调用（{period}）", f"{fmt.count(view.api_calls)} 次", tip, scope)),
        dp.card(f"每日交换量 · {period}", dp.graph(fig, "exchange-daily"), note=scope),
        dp.card("交换最多的部门对（近30日）", dp.grid("pairs", view.pairs, PAIR_COLUMNS, sort=sort, page=page),
                dp.download_links("exchange_pairs", query)),
    ]
    return drill_page("数据交换", [WALL, SHARING_CRUMB, ("数据交换", None)], body, query_notices=notices,
                      filters=[
                          dp.select("provider", "提供部门", options, q.provider, clearable=True),
                          dp.select("consumer", "使用部门", options, q.consumer, clearable=True),
                          dp.select("period", "时段", {k: v[0] for k, v in EXCHANGE_PERIODS.items()}, q.period,
                                    default=ExchangeQuery().period)],
                      page_id="drill-exchange")
