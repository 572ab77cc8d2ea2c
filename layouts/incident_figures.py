"""Figures of the /incidents drill-down, from its view model (dashboard/incident_view.py).

The map is the wall's SVG map (layouts/map_figure.py, map_projection.py: one filled trace per region, names from
layouts/map_labels.py, the density glow as a PNG from layouts/raster.py), drawn for the level
below the region in view; below the last polygon level it outlines the region and lights its
incidents' lon/lat. Clickable points carry their URL in ``customdata``, which assets/incidents.js
opens in place.

Each view of the page draws its figures the first time it is asked for, so they are built as plain
plotly.js figure dicts (what dcc.Graph sends the browser), with the ``citywall`` template's JSON made
once: a ``go.Figure`` validates every property on construction and again to serialise it, which was
most of a first draw's server time. tests/test_incident_figures.py checks each figure against
plotly.py's validators instead, so a misspelt property still fails.
"""
from __future__ import annotations

import base64
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.io as pio

from dashboard import formatting as fmt
from layouts import map_labels, theme
from layouts.figure_base import DENSITY_SCALE, HEAT_SCALE, MAP_SCALE, empty_figure, scale_max
from layouts.map_figure import DISTRICT_OUTLINE
from layouts.map_projection import fit_view, svg_layer
from layouts.raster import (LONE_POINT_LEVEL, _parse_colour, _rgba, density_levels, density_raster, gaussian_kernel,
                            png_data_uri, png_indexed, sample_scale, scale_palette)

MAP_SIZE = (900, 560)  # the map's design size; the browser scales it to its column
FONT = 14


@lru_cache(maxsize=1)
def _template() -> dict:
    """The registered ``citywall`` template (layouts/theme.py) as JSON, made once: what a go.Figure
    would embed in every figure."""
    return pio.templates["citywall"].to_plotly_json()


def _figure(data: list, layout: dict) -> dict:
    return {"data": data, "layout": {**layout, "template": _template()}}


def _typed(values: np.ndarray) -> dict:
    """A float32 array as plotly.js's typed-array spec (base64, 4 bytes a value), as plotly.py sends it."""
    return {"dtype": "f4", "bdata": base64.b64encode(np.ascontiguousarray(values, dtype=np.float32).tobytes()).decode()}


def _empty(width: int, height: int, **options) -> dict:
    return empty_figure(width, height, **options).to_plotly_json()


def _layout(height: int, uirevision: str, **extra) -> dict:
    layout = dict(height=height, autosize=True, uirevision=uirevision, margin=dict(l=48, r=12, t=12, b=36),
                  font=dict(size=FONT), hoverlabel=dict(font=dict(size=FONT), align="left"), showlegend=False)
    layout.update(extra)
    return layout


def _box(svg, indices) -> tuple[float, float, float, float] | None:
    boxes = [svg.boxes[i] for i in indices if svg.boxes[i] is not None]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _glow(svg, points, x_range, y_range, width, height) -> list[dict]:
    lon, lat = points
    if not len(lon):
        return []
    px, py = svg.project(lon, lat)
    cols = 200
    rows = max(8, round(cols * height / width))
    sigma = 10 / 3 * cols / width
    weight = np.ones(len(lon))
    raster = density_raster(px, py, weight, x_range, y_range, (rows, cols), sigma)
    # a lone incident glows orange (as on the wall's map), where many cluster it turns red
    lone = float(gaussian_kernel(sigma).max()) ** 2 / LONE_POINT_LEVEL
    levels = density_levels(raster, max(lone, float(raster.max()) * 0.6))
    if levels is None:
        return []
    return [dict(source=png_data_uri(png_indexed(levels, scale_palette(DENSITY_SCALE))), xref="x", yref="y",
                 x=x_range[0], y=y_range[1], sizex=round(x_range[1] - x_range[0], 4),
                 sizey=round(y_range[1] - y_range[0], 4), xanchor="left", yanchor="top", sizing="stretch",
                 layer="above", opacity=0.9)]


def drill_map(view, centroids: pd.DataFrame | None) -> dict:
    """The region's next level as filled polygons (more incidents, brighter), or its outline with its
    incidents' density where no polygon level is below it."""
    width, height = MAP_SIZE
    layer = view.layer
    if not layer or not layer.get("features"):
        return _empty(width, height, text="暂无地图数据", uirevision="incidents-map")
    svg = svg_layer(layer)
    at = {rid: i for i, rid in enumerate(svg.ids)}
    drawn = [at[r] for r in view.ids if r in at] or ([at[view.outline]] if view.outline in at else [])
    box = _box(svg, drawn) or _box(svg, range(len(svg.ids)))
    x_range, y_range = fit_view(box, width, height, padding=0.05)
    data = []
    if view.ids:
        counts = np.asarray(view.counts, dtype=float)
        fills = sample_scale(MAP_SCALE, counts / scale_max(counts))
        outline = _rgba(_parse_colour(DISTRICT_OUTLINE))
        for rid, count, href, fill in zip(view.ids, view.counts, view.hrefs, fills):
            if rid not in at:
                continue
            k = at[rid]
            name = view.names.get(rid, rid)
            data.append(dict(
                type="scatter", x=_typed(svg.xs[k]), y=_typed(svg.ys[k]), mode="lines", fill="toself",
                fillcolor=_rgba(fill), name=name, line=dict(color=outline, width=1.2), hoveron="fills",
                hoverinfo="text", text=f"<b>{name}</b><br>事件 <b>{fmt.count(count)}</b> 件<br><i>点击下钻</i>",
                customdata=[href]))
    elif view.outline in at:
        k = at[view.outline]
        data.append(dict(type="scatter", x=_typed(svg.xs[k]), y=_typed(svg.ys[k]), mode="lines", fill="toself",
                         fillcolor="rgba(18,80,154,0.35)", line=dict(color=theme.WARN, width=2.5), hoverinfo="skip",
                         name=view.names.get(view.outline, view.outline)))
    images = _glow(svg, view.points, x_range, y_range, width, height) if view.points is not None else []
    if centroids is not None and len(centroids) and view.ids:
        shown = centroids[centroids["region_id"].astype(str).isin(set(view.ids))]
        # a grid's name repeats its district and street ('西城区-翠屏街道-第03网格'): the map is inside them
        short = {rid: view.names.get(rid, rid).rsplit("-", 1)[-1] for rid in view.ids}
        data.extend(map_labels.svg_name_specs(shown, svg, short, None, x_range, y_range, width, height, 1.0))
    axis = dict(visible=False, fixedrange=True, showgrid=False, zeroline=False)
    return _figure(data, _layout(
        height, f"incidents-map:{view.outline or ','.join(view.ids[:1])}", margin=dict(l=0, r=0, t=0, b=0),
        dragmode=False, hovermode="closest", plot_bgcolor=theme.MAP_BACKGROUND, images=images,
        xaxis=dict(axis, range=list(x_range)), yaxis=dict(axis, range=list(y_range), scaleanchor="x", scaleratio=1)))


def daily_trend(daily: pd.DataFrame, note: str) -> dict:
    """Incidents reported each day of the period, and how many of them are closed."""
    if daily.empty:
        return _empty(600, 260, uirevision="incidents-daily")
    dates = daily["date"].to_numpy().astype("datetime64[D]")
    x = np.datetime_as_string(dates).tolist()
    days = [fmt.day(d) for d in dates.tolist()]
    data = [dict(type="bar", x=x, y=daily["incidents"].tolist(), name="受理", marker=dict(color=theme.ACCENT),
                 customdata=days, hovertemplate="%{customdata}<br>受理 <b>%{y:,}</b> 件" + note + "<extra></extra>"),
            dict(type="scatter", x=x, y=daily["closed"].tolist(), name="其中已办结", mode="lines",
                 line=dict(color=theme.GOOD, width=2), customdata=days,
                 hovertemplate="%{customdata}<br>其中已办结 <b>%{y:,}</b> 件<extra></extra>")]
    return _figure(data, _layout(
        260, "incidents-daily", showlegend=True, legend=dict(orientation="h", x=0, y=1.12),
        xaxis=dict(type="date", tickformat="%m-%d", fixedrange=True), yaxis=dict(fixedrange=True, rangemode="tozero"),
        bargap=0.15))


def weekday_hour(z: np.ndarray, hrefs: list[list[str]], note: str) -> dict:
    """Incidents by weekday × hour of 受理; a cell opens the selection of that hour."""
    days = list(fmt.WEEKDAYS_SHORT)
    hours = [f"{h}时" for h in range(24)]
    return _figure([dict(
        type="heatmap", z=z.tolist(), x=hours, y=days, colorscale=HEAT_SCALE, zmin=0, zmax=scale_max(z), xgap=2, ygap=2,
        customdata=hrefs, showscale=False,
        hovertemplate="%{y} %{x}<br>事件 <b>%{z:,.0f}</b> 件" + note + "<extra></extra>")],
        _layout(260, "incidents-hours", yaxis=dict(autorange="reversed", fixedrange=True),
                       xaxis=dict(fixedrange=True, tickvals=hours[::3], ticktext=[str(h) for h in range(0, 24, 3)])))


def category_bars(categories: pd.DataFrame, hrefs: list[str], note: str, n: int = 12) -> dict:
    """The selection's incidents by category, largest on top; a bar selects that category."""
    if categories.empty:
        return _empty(600, 300, uirevision="incidents-categories")
    top = categories.head(n).iloc[::-1]
    return _figure([dict(
        type="bar", x=top["incidents"].tolist(), y=top["category"].tolist(), orientation="h",
        marker=dict(color=theme.ACCENT), customdata=list(hrefs[:n])[::-1],
        hovertemplate="%{y}<br>事件 <b>%{x:,}</b> 件" + note + "<extra></extra>")],
        _layout(max(220, 26 * len(top) + 48), "incidents-categories", margin=dict(l=96, r=16, t=8, b=28),
                       xaxis=dict(fixedrange=True), yaxis=dict(fixedrange=True)))
