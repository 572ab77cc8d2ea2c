"""The lines of HTML that go with the wall's figures: their keys, headline numbers and colour scales.

In a Plotly figure each of these is an annotation or a colour bar, and plotly.js measures every one
of them on the wall's first draw (a colour bar also costs a margin pass): together about a tenth of
the wall's time to ready (benchmarks/README.md). As HTML laid over the figure's top margin they cost
the browser nothing it does not already do for the panel's title.

Like :mod:`layouts.meters`, every function takes ready-to-draw frames, shares its arithmetic with
the figure it explains (:mod:`layouts.chart_figures`, :mod:`layouts.map_figure`), and returns Dash components that the wall renders
once per data version into markup. A missing frame gives no caption (the figure says "暂无数据"),
except the map's legend, which shows 0 … 1 like the map's fills while the districts have no counts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from dash import html

from dashboard import formatting as fmt
from dashboard import periods
from layouts import tips
from dashboard import selections as sel
from layouts import figure_base as fb


def css_gradient(colorscale: list) -> str:
    """A plotly colour scale ``[[0, colour], …, [1, colour]]`` as a left-to-right CSS gradient."""
    stops = ", ".join(f"{colour} {position * 100:g}%" for position, colour in colorscale)
    return f"linear-gradient(90deg, {stops})"


def colour_scale(colorscale: list, top: float, title: str = "") -> html.Span:
    """0 ▬▬▬ top: the scale a heatmap or the map is coloured on."""
    return html.Span([html.Span(title, className="cw-scale-title") if title else None,
                      html.Span("0", className="cw-scale-end"),
                      html.Span(className="cw-scale-bar", style={"background": css_gradient(colorscale)}),
                      html.Span(fmt.count(top), className="cw-scale-end")], className="cw-scale")


def line_key(glyph: str, tone: str, label: str) -> html.Span:
    """A line's key: its glyph in its colour (━ solid, ┅ dotted, ╍ dashed) and what it counts."""
    return html.Span([html.Span(glyph, className=f"cw-key-glyph is-{tone}"), label], className="cw-key")


def caption(left: list, right, tip: str | None = None) -> html.Div:
    """The row over a figure's top margin: keys or a headline on the left, a number or scale on the
    right; ``tip``: the hover of its number."""
    return html.Div([html.Span(left, className="cw-caption-left"), html.Span(right, className="cw-caption-right")],
                    className="cw-caption-row", **({"data-tip": tip} if tip else {}))


def _stat(before: str, value: str, after: str, tone: str = "accent") -> list:
    return [before, html.B(value, className=f"is-{tone}"), after]


def exchange_caption(daily: pd.DataFrame | None, days: int = fb.EXCHANGE_DAYS, today=None, *, as_of=None) -> list:
    """Keys of the exchange trend's lines and the total records of its period (the same days), with
    the total's hover (layouts/tips.py)."""
    frame = sel.exchange_window(daily, days, today)
    if frame is None:
        return []
    keys = [line_key("━", "accent", "交换记录")]  # their units are in the total and the hovers: one line at the label size
    if "api_calls" in frame.columns:
        keys.append(line_key("┅", "warn", "接口调用"))
    total = float(np.nansum(frame["records"].astype(float).to_numpy()))
    calls = float(np.nansum(frame["api_calls"].astype(float).to_numpy())) if "api_calls" in frame.columns else None
    tip = tips.tip("exchange_records", f"{fmt.count(total)} 条", today=today, days=days, as_of=as_of,
                   details=[f"接口调用 {fmt.count(calls)} 次"] if calls is not None else [])
    return [caption(keys, _stat(f"{periods.label(days)}合计 ", fmt.count(total), " 条"), tip)]


def burnup_caption(burnup: pd.DataFrame | None, today=None, *, as_of=None) -> list:
    """Keys of the burn-up's lines and the systems on the cloud now (of all non-classified systems)."""
    if not sel.has_columns(burnup, "month", "planned_cum", "actual_cum"):
        return []
    *_, actual, total = sel.burnup_actuals(burnup, today)
    keys = [line_key("━", "accent", "实际累计"), line_key("╍", "warn", "计划累计")]
    done = actual.dropna()
    right = _stat("已上云 ", fmt.count(done.iloc[-1]), f" / {fmt.count(total)} 个" if total else " 个") if len(done) else None
    tip = tips.tip("cloud_burnup", f"已上云 {fmt.count(done.iloc[-1]) if len(done) else fmt.MISSING} / {fmt.count(total)} 个",
                   today=today, as_of=as_of)
    return [caption(keys, right, tip)]


def hour_weekday_caption(hour_weekday: pd.DataFrame | None, *, scope: str = tips.CITY, today=None, as_of=None) -> list:
    """The busiest hour of the week in ``scope`` and the heatmap's colour scale."""
    if not sel.has_columns(hour_weekday, "weekday", "hour", "incidents"):
        return []
    z = sel.hour_weekday_matrix(hour_weekday)
    day, hour = np.unravel_index(int(np.argmax(z)), z.shape)
    peak = ["高峰 ", html.B(f"{fmt.WEEKDAYS_SHORT[day]} {hour}时", className="is-warn"), f" · {fmt.count(z[day, hour])} 件",
            html.Span("横轴：时", className="cw-caption-note")]
    tip = tips.tip("incident_count", f"高峰 {fmt.WEEKDAYS_SHORT[day]} {hour}时 {fmt.count(z[day, hour])} 件", scope=scope,
                   today=today, as_of=as_of, details=[f"合计 {fmt.count(z.sum())} 件（星期 × 小时）"])
    return [caption(peak, colour_scale(fb.HEAT_SCALE, fb.scale_max(z)), tip)]


def map_legend(by_district: pd.DataFrame | None, geography, region_match: pd.DataFrame | None = None) -> list:
    """The map's colour scale: 0 to the most 近30日 incidents of a district, and a warning when
    incidents carry region ids the map does not have (the puller's ``region_match`` frame)."""
    z = sel.district_incidents(by_district, geography)
    unmatched = int(region_match["unmatched"].iloc[0]) if region_match is not None and len(region_match) else 0
    warning = [html.Div(f"{fmt.count(unmatched)} 条事件的区域编码不在地图中", className="cw-map-warning")] if unmatched else []
    if not len(z):
        return warning
    return [colour_scale(fb.MAP_SCALE, fb.scale_max(z), "近30日事件"), *warning]
