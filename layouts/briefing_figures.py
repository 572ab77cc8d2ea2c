"""The 通报's charts, for paper: static figures in a light print theme (white paper, dark text, ink
colours that stay apart in greyscale), at a fixed size that fits half an A4 text column.

The cloud burn-up is the wall's own figure (layouts/chart_figures.py) recoloured by
:func:`for_print`; the sharing rates, the incident trend and the district map are drawn here, the map
from the same projection and counts as the wall's SVG map, without its screen-only density glow.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import formatting as fmt
from dashboard.print_fonts import CSS_FAMILY
from dashboard.selections import _names, district_incidents
from layouts import theme
from layouts.chart_figures import migration_burnup
from layouts.figure_base import CLOUD_DEFAULT_TARGET, scale_max
from layouts.map_projection import fit_view, svg_layer
from layouts.raster import _rgba, sample_scale

WIDTH, HEIGHT = 330, 230  # CSS px: two charts side by side in the A4 text column (assets/briefing.css)
INK, MUTED_INK, RULE = "#1a1a1a", "#555555", "#d5dbe5"
BLUE, ORANGE, GREEN, RED, GREY = "#1f5fbf", "#d9822b", "#2e8b57", "#c0392b", "#777777"
#: the wall's screen colours → their print colours (the burn-up is the wall's figure, recoloured)
PRINT_COLOURS = {theme.ACCENT: BLUE, theme.WARN: ORANGE, theme.GOOD: GREEN, theme.BAD: RED, theme.MUTED: MUTED_INK,
                 theme.GRID: RULE, theme.TEXT: INK, theme.PANEL: "#ffffff", theme.BACKGROUND: "#ffffff",
                 "rgba(39,211,255,0.14)": "rgba(31,95,191,0.12)", "rgba(39,211,255,0.16)": "rgba(31,95,191,0.12)"}
MAP_PRINT_SCALE = [[0.0, "#eef3fa"], [0.4, "#a9c4e8"], [0.75, "#4f83c9"], [1.0, "#1f4f99"]]
FONT = dict(family=CSS_FAMILY, color=INK, size=11)
CONFIG = {"staticPlot": True, "displayModeBar": False}

PRINT_TEMPLATE = go.layout.Template(layout=go.Layout(
    font=FONT, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", colorway=[BLUE, ORANGE, GREEN, RED, GREY],
    xaxis=dict(gridcolor=RULE, linecolor="#999999", zerolinecolor=RULE, tickfont=dict(color=MUTED_INK, size=10)),
    yaxis=dict(gridcolor=RULE, linecolor="#999999", zerolinecolor=RULE, tickfont=dict(color=MUTED_INK, size=10)),
    legend=dict(font=dict(color=INK, size=10), bgcolor="rgba(0,0,0,0)", orientation="h", x=0, y=1.02,
                yanchor="bottom"),
))


def _recolour(value):
    if isinstance(value, str):
        return PRINT_COLOURS.get(value, value)
    if isinstance(value, dict):
        return {k: _recolour(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_recolour(v) for v in value]
    return value


def for_print(figure: go.Figure) -> go.Figure:
    """A figure of the wall in the print theme: its screen colours swapped for ink, white paper."""
    spec = _recolour(figure.to_plotly_json())
    out = go.Figure(spec)
    out.update_layout(template=PRINT_TEMPLATE, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", font=FONT)
    return out


def _layout(**extra) -> dict:
    layout = dict(template=PRINT_TEMPLATE, width=WIDTH, height=HEIGHT, autosize=False,
                  margin=dict(l=44, r=10, t=30, b=30), showlegend=True)
    layout.update(extra)
    return layout


def _empty(text: str = "暂无数据") -> go.Figure:
    return go.Figure(layout=_layout(showlegend=False, xaxis=dict(visible=False), yaxis=dict(visible=False),
                                    annotations=[dict(text=text, x=0.5, y=0.5, xref="paper", yref="paper",
                                                      showarrow=False, font=dict(color=MUTED_INK, size=13))]))


def sharing_figure(series: dict[str, pd.DataFrame], target: float | None) -> go.Figure:
    """政务数据共享率 and the two 汇聚率 over their recorded history, with the sharing target."""
    drawn = {name: s for name, s in series.items() if len(s)}
    if not drawn:
        return _empty()
    fig = go.Figure(layout=_layout(yaxis=dict(tickformat=".0%", rangemode="tozero"),
                                   xaxis=dict(tickformat="%Y-%m", nticks=5)))
    for (name, s), colour, dash in zip(drawn.items(), (BLUE, ORANGE, GREEN), ("solid", "dash", "dot")):
        fig.add_trace(go.Scatter(x=s["date"], y=s["value"], mode="lines", name=name,
                                 line=dict(color=colour, width=2, dash=dash)))
    if target is not None:
        fig.add_hline(y=target, line=dict(color=RED, width=1, dash="dot"), annotation_text=f"共享率目标 {fmt.percent(target, 0)}",
                      annotation_font=dict(color=RED, size=10), annotation_position="top left")
    return fig


def burnup_figure(burnup: pd.DataFrame | None, target: float | None, today) -> go.Figure:
    """上云燃尽（累计）: the wall's figure in print colours, with its key as a legend."""
    wall = migration_burnup(burnup, CLOUD_DEFAULT_TARGET if target is None else target, today=today,
                            width=WIDTH, height=HEIGHT)
    if not wall.data:
        return _empty()
    fig = for_print(wall)
    fig.update_layout(showlegend=True, legend=PRINT_TEMPLATE.layout.legend, margin=dict(l=44, r=10, t=30, b=30),
                      xaxis=dict(tickfont=dict(size=10)), yaxis=dict(tickfont=dict(size=10)))
    fig.update_annotations(font_size=10)  # the wall's label size is for reading from 5 m
    return fig


def incident_figure(daily: pd.DataFrame) -> go.Figure:
    """近30日 事件: reported per day as bars, closed per day as a line."""
    if daily.empty or not (daily["reported"].sum() or daily["closed"].sum()):
        return _empty()
    fig = go.Figure(layout=_layout(xaxis=dict(tickformat="%m-%d", nticks=6), yaxis=dict(rangemode="tozero"),
                                   bargap=0.25))
    fig.add_trace(go.Bar(x=daily["date"], y=daily["reported"], name="受理", marker=dict(color="#a9c4e8")))
    fig.add_trace(go.Scatter(x=daily["date"], y=daily["closed"], mode="lines", name="办结",
                             line=dict(color=ORANGE, width=2)))
    return fig


def map_figure(by_district: pd.DataFrame | None, geography, height: int = HEIGHT) -> go.Figure:
    """近30日 incidents per district on the city's own district outlines, names and counts on top."""
    layer = geography.layer("区县") if geography is not None else None
    if not layer or not layer.get("features"):
        return _empty("暂无地图数据")
    svg = svg_layer(layer)
    z = district_incidents(by_district, geography)
    regions = geography.regions if isinstance(getattr(geography, "regions", None), pd.DataFrame) else None
    names = _names(regions, "region_id", "name")
    boxes = [b for b in svg.boxes if b is not None]
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    width = WIDTH
    x_range, y_range = fit_view(box, width, height, padding=0.03)
    fig = go.Figure(layout=_layout(height=height, margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
                                   xaxis=dict(visible=False, range=list(x_range)),
                                   yaxis=dict(visible=False, range=list(y_range), scaleanchor="x", scaleratio=1)))
    label_x, label_y, labels, colours = [], [], [], []
    zmax = scale_max(z)
    fills = sample_scale(MAP_PRINT_SCALE, z / zmax)
    for i, rid in enumerate(svg.ids):
        fig.add_trace(go.Scatter(x=svg.xs[i], y=svg.ys[i], mode="lines", fill="toself", fillcolor=_rgba(fills[i]),
                                 line=dict(color="#ffffff", width=1), name=names.get(rid, rid)))
        if svg.boxes[i] is not None:
            x0, y0, x1, y1 = svg.boxes[i]
            label_x.append((x0 + x1) / 2)
            label_y.append((y0 + y1) / 2)
            labels.append(f"{names.get(rid, rid)}<br>{fmt.count(z[i])}")
            colours.append("#ffffff" if z[i] / zmax > 0.6 else INK)  # light names on the darkest fills
    fig.add_trace(go.Scatter(x=label_x, y=label_y, mode="text", text=labels, name="区县名称",
                             textfont=dict(size=9, color=colours)))
    return fig
