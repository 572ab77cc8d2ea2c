"""The wall's charts: the exchange trend, the cloud burn-up, and the two incident heatmaps (hour ×
weekday, category × district). The rules of :mod:`layouts.figure_base` hold here."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import formatting as fmt
from dashboard.selections import (_num, burnup_actuals, category_district_matrix, exchange_window, has_columns,
                                  hour_weekday_matrix)
from dashboard.targets import required_count
from layouts import theme
from layouts.figure_base import (CLOUD_DEFAULT_TARGET, EXCHANGE_DAYS, HEAT_SCALE, NUMBER_FONT, _axis, _base_layout,
                                 _font, _px, caption_margin, empty_figure, nice_ticks, scale_max, text_px, tick_margin,
                                 tick_text)
from layouts.links import _href, district_href, in_view

def exchange_trend(daily: pd.DataFrame | None, days: int = EXCHANGE_DAYS, *, today=None, width: int = 436,
                   height: int = 134, scale: float = 1.0, text_scale: float = 1.0, hover_note: str = "") -> go.Figure:
    """近 ``days`` 日数据交换量: exchanged records as an area, API calls as a line on the right axis
    (their key and the total are HTML above the plot: layouts/captions.py); ``hover_note``: the
    口径 lines every day's hover ends with (layouts/tips.py)."""
    note = f"<br>{hover_note}" if hover_note else ""
    frame = exchange_window(daily, days, today)
    if frame is None:
        return empty_figure(width, height, scale, uirevision="exchange-trend", text_scale=text_scale)
    dates = pd.to_datetime(frame["date"])
    records = frame["records"].astype(float).to_numpy()
    hover_day = [f"{fmt.day(d)} {fmt.WEEKDAYS_SHORT[d.weekday()]}" for d in dates]
    data = [go.Scatter(
        name="交换记录", x=dates.dt.strftime("%Y-%m-%d").tolist(), y=records.tolist(), mode="lines", line=dict(color=theme.ACCENT, width=_px(2, scale), shape="spline",
                                                                   smoothing=0.6),
        fill="tozeroy", fillcolor="rgba(39,211,255,0.16)",
        customdata=[[h, fmt.count(v)] for h, v in zip(hover_day, records)],
        hovertemplate="%{customdata[0]}<br>交换记录 <b>%{customdata[1]}</b> 条" + note + "<extra></extra>",
    )]
    ticks = nice_ticks(float(np.nanmax(records)) if len(records) else 0, 3 if text_scale < 1.25 else 2)
    side = tick_margin(["200万"], text_scale)
    layout = _base_layout(
        width, height, scale, "exchange-trend", text_scale=text_scale,
        margin=(side, side if "api_calls" in frame.columns else 8, caption_margin(text_scale), tick_margin(None, text_scale)),
        xaxis=_axis(scale, text_scale, type="date", tickformat="%m-%d", nticks=max(3, round(6 / text_scale)),
                    showgrid=False, tickcolor=theme.GRID, ticks="outside", ticklen=_px(3, scale)),
        yaxis=_axis(scale, text_scale, range=[0, ticks[-1] * 1.02], tickvals=ticks, ticktext=[tick_text(t) for t in ticks],
                    showgrid=True),
    )
    if "api_calls" in frame.columns:
        calls = frame["api_calls"].astype(float).to_numpy()
        cticks = nice_ticks(float(np.nanmax(calls)) if len(calls) else 0, 3)
        data.append(go.Scatter(
            name="接口调用", x=dates.dt.strftime("%Y-%m-%d").tolist(), y=calls.tolist(), yaxis="y2", mode="lines",
            line=dict(color=theme.WARN, width=_px(1.6, scale), dash="dot"),
            customdata=[[h, fmt.count(v)] for h, v in zip(hover_day, calls)],
            hovertemplate="%{customdata[0]}<br>接口调用 <b>%{customdata[1]}</b> 次" + note + "<extra></extra>",
        ))
        # scale the calls axis to the records axis' number of steps so the grid lines coincide
        cstep = cticks[1] if len(cticks) > 1 else 1
        cvals = [i * cstep for i in range(len(ticks))]
        layout["yaxis2"] = _axis(scale, text_scale, overlaying="y", side="right", range=[0, cvals[-1] * 1.02],
                                 tickvals=cvals, ticktext=[tick_text(t) for t in cvals], showgrid=False,
                                 tickfont=dict(size=_font(theme.TICK_PX, scale, text_scale), color=theme.WARN))
    return go.Figure(data=data, layout=layout)


def migration_burnup(burnup: pd.DataFrame | None, target: float | None = CLOUD_DEFAULT_TARGET, *, today=None,
                     width: int = 436, height: int = 134, scale: float = 1.0, text_scale: float = 1.0,
                     hover_note: str = "") -> go.Figure:
    """上云燃尽（累计）: systems actually on the cloud against the plan, month by month, with the
    target line (the fewest systems that meet the target: target × non-classified systems, rounded
    up, dashboard.targets.required_count). Actuals stop at the current month. The key and
    the progress are HTML above the plot (layouts/captions.py)."""
    if not has_columns(burnup, "month", "planned_cum", "actual_cum"):
        return empty_figure(width, height, scale, uirevision="burnup", text_scale=text_scale)
    frame, months, now_month, actual, total = burnup_actuals(burnup, today)
    planned = frame["planned_cum"].astype(float)
    month_text = [f"{m.year}年{m.month}月" for m in months]
    month_axis = months.dt.strftime("%Y-%m-%d").tolist()
    note = f"<br>{hover_note}" if hover_note else ""
    data = [
        go.Scatter(name="计划累计", x=month_axis, y=planned.tolist(), mode="lines", line=dict(color=theme.WARN, width=_px(1.8, scale), dash="dash"),
                   customdata=[[t, fmt.count(v)] for t, v in zip(month_text, planned)],
                   hovertemplate="%{customdata[0]}<br>计划累计上云 <b>%{customdata[1]}</b> 个" + note + "<extra></extra>"),
        go.Scatter(name="实际累计", x=month_axis, y=[None if pd.isna(v) else float(v) for v in actual], mode="lines", line=dict(color=theme.ACCENT, width=_px(2.4, scale)),
                   fill="tozeroy", fillcolor="rgba(39,211,255,0.14)",
                   customdata=[[t, fmt.count(None if pd.isna(v) else v)] for t, v in zip(month_text, actual)],
                   hovertemplate="%{customdata[0]}<br>实际累计上云 <b>%{customdata[1]}</b> 个" + note + "<extra></extra>"),
    ]
    ymax = max(float(np.nanmax(planned)) if len(planned) else 0, float(np.nanmax(actual)) if actual.notna().any() else 0,
               total or 0)
    target = CLOUD_DEFAULT_TARGET if _num(target) is None else float(target)
    shapes, annotations = [], []
    if total:
        goal = required_count(target, total)
        shapes.append(dict(type="line", xref="paper", x0=0, x1=1, y0=goal, y1=goal,
                           line=dict(color=theme.GOOD, width=_px(1.4, scale), dash="dot")))
        annotations.append(dict(x=0, y=goal, xref="paper", text=f"{fmt.percent(target, 0)}目标 {fmt.count(goal)} 个",
                                xanchor="left", yanchor="bottom", showarrow=False,
                                font=dict(size=_font(theme.LABEL_PX, scale, text_scale), color=theme.GOOD)))
    if months.min() <= now_month <= months.max():
        shapes.append(dict(type="line", x0=now_month, x1=now_month, yref="paper", y0=0, y1=1,
                           line=dict(color=theme.MUTED, width=max(1, round(scale)), dash="dot")))
    ticks = nice_ticks(ymax, 3 if text_scale < 1.25 else 2)
    layout = _base_layout(
        width, height, scale, "burnup", text_scale=text_scale, shapes=shapes, annotations=annotations,
        margin=(tick_margin([tick_text(t) for t in ticks], text_scale), 10, caption_margin(text_scale),
                tick_margin(None, text_scale)),
        xaxis=_axis(scale, text_scale, type="date", tickformat="%Y", dtick="M12", showgrid=False, ticks="outside",
                    ticklen=_px(3, scale), tickcolor=theme.GRID),
        yaxis=_axis(scale, text_scale, range=[0, ticks[-1] * 1.04], tickvals=ticks, ticktext=[tick_text(t) for t in ticks]),
    )
    return go.Figure(data=data, layout=layout)


def hour_weekday_heatmap(hour_weekday: pd.DataFrame | None, *, width: int = 436, height: int = 250,
                         scale: float = 1.0, text_scale: float = 1.0, hover_note: str = "",
                         district: str | None = None) -> go.Figure:
    """事件时段热力: 近30日 incidents by hour of day × weekday (the peak and the colour scale are HTML
    above the plot: layouts/captions.py); a cell opens that weekday and hour in /incidents, in the
    ``district`` in view."""
    if not has_columns(hour_weekday, "weekday", "hour", "incidents"):
        return empty_figure(width, height, scale, uirevision="hour-weekday", text_scale=text_scale)
    z = hour_weekday_matrix(hour_weekday)
    days = list(fmt.WEEKDAYS_SHORT)
    hours = [f"{h}时" for h in range(24)]
    hrefs = [[in_view(_href("/incidents", weekday=d, hour=h), district) for h in range(24)] for d in range(7)]
    gap = max(1, round(2 * scale))
    data = [go.Heatmap(
        z=z.tolist(), x=hours, y=days, colorscale=HEAT_SCALE, zmin=0, zmax=scale_max(z), xgap=gap, ygap=gap,
        customdata=hrefs,
        showscale=False,
        hovertemplate="%{y} %{x}<br>近30日事件 <b>%{z:,.0f}</b> 件" + (f"<br>{hover_note}" if hover_note else "")
                      + "<extra></extra>",
    )]
    every = 3 if text_scale < 1.25 else 6  # hours between ticks
    layout = _base_layout(
        width, height, scale, "hour-weekday", text_scale=text_scale,
        margin=(tick_margin(days, text_scale), 6, caption_margin(text_scale), tick_margin(None, text_scale)),
        xaxis=_axis(scale, text_scale, tickvals=[hours[h] for h in range(0, 24, every)],
                    ticktext=[str(h) for h in range(0, 24, every)], showgrid=False, ticks=""),
        yaxis=_axis(scale, text_scale, autorange="reversed", showgrid=False, ticks="",
                    tickfont=dict(size=_font(theme.TICK_PX, scale, text_scale), color=theme.TEXT)),
    )
    return go.Figure(data=data, layout=layout)


def category_district_heatmap(category_district: pd.DataFrame | None, regions: pd.DataFrame | None, *,
                              focus: str | None = None, district: str | None = None, width: int = 400,
                              height: int = 250, scale: float = 1.0, max_categories: int | None = None,
                              text_scale: float = 1.0, hover_note: str = "") -> go.Figure:
    """分类 × 区县 (or, for ``district``, 分类 × 镇街): 近30日 incidents of the largest categories in
    each column, the rest in 其他, counts in the cells where every count fits its cell at the label
    size (else on hover only); ``hover_note``: the 口径 lines (layouts/tips.py)."""
    label = _font(theme.LABEL_PX, scale, text_scale)
    if max_categories is None:  # rows of 1.5 label lines under a line of district names
        max_categories = max(3, min(10, int((height - 3 * label) // (1.5 * label))))
    categories, districts, names, z = category_district_matrix(category_district, regions, max_categories, district)
    if not categories:
        return empty_figure(width, height, scale, uirevision="category-district", text_scale=text_scale)
    hrefs = [[district_href(d, category=c) for d in districts] for c in categories]
    gap = max(1, round(2 * scale))
    tick = theme.TICK_PX * text_scale
    left = max(text_px(c, tick) for c in categories) + 8
    widest = max((text_px(f"{v:,.0f}", label) for v in z.ravel()), default=0)
    cell_w = (width - (left + 4) * scale) / max(len(districts), 1)
    show_text = cell_w >= widest + 6 * scale
    data = [go.Heatmap(
        z=z.tolist(), x=names, y=categories, colorscale=HEAT_SCALE, zmin=0, zmax=scale_max(z), xgap=gap, ygap=gap,
        showscale=False,
        customdata=hrefs, texttemplate="%{z:,.0f}" if show_text else None,
        textfont=dict(size=label, color="#ffffff", family=NUMBER_FONT),
        hovertemplate="%{x} · %{y}<br>近30日事件 <b>%{z:,.0f}</b> 件" + (f"<br>{hover_note}" if hover_note else "")
                      + "<extra></extra>",
    )]
    tilted = max(text_px(n, tick) for n in names) * scale > cell_w - 4 * scale  # names wider than their column
    # names tilted by 35°: the widest one's drop below the axis, plus a line of its height
    bottom = (max(text_px(n, tick) for n in names) * 0.58 + tick * 0.85 + 8) if tilted else tick_margin(None, text_scale)
    layout = _base_layout(
        width, height, scale, f"category-district:{district or 'city'}", margin=(left, 4, 6, bottom),
        text_scale=text_scale,
        xaxis=_axis(scale, text_scale, side="bottom", showgrid=False, ticks="", type="category",
                    tickangle=-35 if tilted else 0, tickfont=dict(size=_font(theme.TICK_PX, scale, text_scale), color=theme.TEXT)),
        yaxis=_axis(scale, text_scale, autorange="reversed", showgrid=False, ticks="", type="category",
                    tickfont=dict(size=_font(theme.TICK_PX, scale, text_scale), color=theme.TEXT)),
    )
    if focus in districts:
        i = districts.index(focus)
        layout["shapes"] = [dict(type="rect", xref="x", yref="paper", x0=i - 0.5, x1=i + 0.5, y0=0, y1=1,
                                 line=dict(color=theme.WARN, width=_px(2, scale)))]
    return go.Figure(data=data, layout=layout)
