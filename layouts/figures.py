"""Pure figure builders for the wall: ready-to-draw frames in → ``go.Figure`` out.

Rules every function here keeps:

* it only *selects* from the pre-aggregated frames of :mod:`dashboard.frames` (sorting, picking
  the top rows, reshaping a 7×24 table); it never aggregates raw rows;
* it draws with ``plotly.graph_objects`` on fixed ``width``/``height`` in design-canvas pixels,
  with every line scaled by ``scale`` (1.0 on the 1920×1080 canvas, 2.0 on 3840×2160) and every font
  from the type scale of :mod:`layouts.theme` (``scale`` × ``text_scale``, the city's
  ``city.text_scale``), as are the margins that hold text;
* the look comes from the one template registered in :mod:`layouts.theme` (never set here);
* ``uirevision`` is set, so a redraw keeps what the viewer did (legend clicks, zoom);
* labels and hovers are Chinese and numbers go through :mod:`dashboard.formatting`;
* a missing or empty frame gives a figure that says "暂无数据", never an exception.

Clickable points carry their drill-down URL in ``customdata`` (the string itself, or the first
element of a row); ``assets/wall.js`` navigates there on click.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import formatting as fmt
from dashboard import periods
from dashboard.formatting import _missing
from dashboard.geo import fit_zoom, outer_rings, rings_bounds
from dashboard.selections import area_order
from dashboard.targets import required_count
from layouts.raster import (LONE_POINT_LEVEL, _parse_colour, _rgba, density_levels, density_raster, gaussian_kernel,
                            png_data_uri, png_indexed, sample_scale, scale_palette)
from layouts import map_labels, theme

NO_DATA = "暂无数据"
NUMBER_FONT = theme.NUMBER_FONT_FAMILY
SYSTEM_STATUS_ORDER = ("已上云", "迁移中", "未迁移", "暂缓")
HEAT_SCALE = [[0.0, "#0b1f45"], [0.25, "#0f4c8a"], [0.5, "#1c9bd6"], [0.75, "#ffc24b"], [1.0, "#ff5a6e"]]
MAP_SCALE = [[0.0, "#0c2452"], [0.35, "#12509a"], [0.7, "#1f9fe0"], [1.0, "#6ff0ff"]]
DENSITY_SCALE = [[0.0, "rgba(255,194,75,0)"], [0.3, "rgba(255,194,75,0.35)"], [0.65, "rgba(255,138,61,0.7)"],
                 [1.0, "rgba(255,90,110,0.95)"]]
SHARING_DEFAULT_TARGET = 0.9
EXCHANGE_DAYS = periods.EXCHANGE_DAYS  # the exchange trend's period, its total over the same days
CLOUD_DEFAULT_TARGET = 0.8


# ---- shared helpers ---------------------------------------------------------------------------

def has_columns(frame, *columns: str) -> bool:
    """A non-empty DataFrame with every named column."""
    return isinstance(frame, pd.DataFrame) and not frame.empty and all(c in frame.columns for c in columns)


def _num(value) -> float | None:
    if _missing(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _px(value: float, scale: float) -> float:
    return round(value * scale, 2)


def _font(step: float, scale: float, text_scale: float = 1.0) -> float:
    """A type-scale step (theme.TICK_PX, LABEL_PX, TEXT_PX) in canvas px."""
    return theme.font_px(step, scale, text_scale)


def _base_layout(width: int, height: int, scale: float, uirevision: str, *, margin=(8, 8, 8, 8),
                 text_scale: float = 1.0, **extra) -> dict:
    """``margin`` in design px: the parts that hold text are given already multiplied by ``text_scale``."""
    left, right, top, bottom = (round(m * scale) for m in margin)
    layout = dict(
        width=int(width), height=int(height), autosize=False, uirevision=uirevision,
        margin=dict(l=left, r=right, t=top, b=bottom, pad=0),
        font=dict(size=_font(theme.LABEL_PX, scale, text_scale)),
        hoverlabel=dict(font=dict(size=_font(theme.LABEL_PX, scale, text_scale))),
        showlegend=False,
    )
    layout.update(extra)
    return layout


def _axis(scale: float, text_scale: float = 1.0, **extra) -> dict:
    """An axis of the wall's fixed-size figures. The margins are explicit, so plotly.js need not
    measure its tick labels: no automargin, a fixed tick angle (``auto`` measures every label for
    overlaps) and labels allowed past the plot (the default checks each label's box against the div
    after placing each label, a forced layout per label on a fresh page)."""
    axis = dict(tickfont=dict(size=_font(theme.TICK_PX, scale, text_scale)), gridwidth=max(1, round(scale)), linewidth=max(1, round(scale)),
                fixedrange=True, automargin=False, zeroline=False, tickangle=0, ticklabeloverflow="allow")
    axis.update(extra)
    return axis


def empty_figure(width: int, height: int, scale: float = 1.0, text: str = NO_DATA, uirevision: str = "empty",
                 text_scale: float = 1.0) -> go.Figure:
    """A blank figure with one centred message ("暂无数据")."""
    return go.Figure(layout=_base_layout(
        width, height, scale, uirevision, text_scale=text_scale,
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                          font=dict(size=_font(theme.TEXT_PX, scale, text_scale), color=theme.MUTED))],
    ))


CAPTION_ROW_EM = 1.4  # the HTML caption over a graph (assets/wall.css .cw-caption-row), in label font sizes


def caption_margin(text_scale: float = 1.0) -> float:
    """The top margin (design px) that leaves room for a graph's HTML caption row."""
    return CAPTION_ROW_EM * theme.LABEL_PX * text_scale + 4


def tick_margin(labels, text_scale: float = 1.0) -> float:
    """The margin (design px) beside an axis for its widest tick label; below an axis (``labels``
    None) one line of ticks."""
    if labels is None:
        return 1.3 * theme.TICK_PX * text_scale + 4
    return max((text_px(t, theme.TICK_PX * text_scale) for t in labels), default=0) + 8


def text_px(text: str, size: float) -> float:
    """Rough rendered width of a label at ``size`` px (CJK full width, other characters about half):
    explicit margins instead of plotly's automargin, which costs a second layout pass per graph."""
    return sum(size if ord(ch) > 0x2E80 else 0.58 * size for ch in str(text))


def nice_ticks(vmax: float, n: int = 4) -> list[float]:
    """0 and round steps up to at least ``vmax`` (about ``n`` intervals): 0, 2万, 4万, …"""
    if not vmax or vmax <= 0 or not math.isfinite(vmax):
        return [0.0, 1.0]
    raw = vmax / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= raw:
            step = m * magnitude
            break
    return [i * step for i in range(int(math.ceil(vmax / step - 1e-9)) + 1)]


def tick_text(value: float) -> str:
    """A short axis tick in the wall's count units: 3000000 → '300万', 250000 → '25万', 2500 → '2,500'."""
    if abs(value) >= 1e8:
        return f"{value / 1e8:g}亿"
    if abs(value) >= 1e4:
        return f"{value / 1e4:g}万"
    return fmt.count(value)


def value_text(value, unit: str) -> str:
    """A target or indicator value in its unit: 0.82 with '%' → '82.0%', 6 with '项' → '6 项'."""
    if _missing(value):
        return fmt.MISSING
    if unit == "%":
        return fmt.percent(value)
    if unit == "小时":
        return fmt.hours(value)
    return f"{fmt.count(value)} {unit}".strip()  # counts (个, 项, 条): whole items


def target_for(targets: pd.DataFrame | None, indicator_id: str, today: date | None = None) -> dict | None:
    """The configured target of an indicator that matters now: the nearest deadline on or after
    ``today``, else the most recent one already past. None when none is configured."""
    if not has_columns(targets, "indicator_id", "target", "deadline"):
        return None
    rows = targets[targets["indicator_id"] == indicator_id]
    if rows.empty:
        return None
    today = pd.Timestamp(today or date.today())
    deadlines = pd.to_datetime(rows["deadline"])
    future = rows[deadlines >= today]
    pick = future.loc[pd.to_datetime(future["deadline"]).idxmin()] if not future.empty \
        else rows.loc[deadlines.idxmax()]
    return pick.to_dict()


def _names(frame: pd.DataFrame | None, key: str, *columns: str) -> dict[str, str]:
    """id → first non-empty of ``columns`` (e.g. short_name, then name)."""
    if not has_columns(frame, key):
        return {}
    keys = [str(k) for k in frame[key].tolist()]
    out: dict[str, str] = {}
    for col in reversed([c for c in columns if c in frame.columns]):
        out.update((k, v) for k, v in zip(keys, frame[col].tolist()) if isinstance(v, str) and v.strip())
    return out


def _href(path: str, **params) -> str:
    params = {k: v for k, v in params.items() if v is not None and v != ""}
    return path + ("?" + urlencode(params) if params else "")


def district_href(region_id: str, **params) -> str:
    return _href(f"/district/{quote(str(region_id), safe='')}", **params)


def department_href(dept_id: str) -> str:
    return f"/department/{quote(str(dept_id), safe='')}"


# ---- 数据共享 ------------------------------------------------------------------------------------

def ranking_rows(by_dept: pd.DataFrame | None, departments: pd.DataFrame | None, n: int = 5,
                 value: str = "sharing_rate") -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The best ``n`` and worst ``n`` departments by ``value`` (best first, worst last), with rank
    and display name; and how many departments were ranked. Departments without a rate are left out."""
    empty = pd.DataFrame(columns=["dept_id", "name", "rank", value])
    if not has_columns(by_dept, "dept_id", value):
        return empty, empty, 0
    frame = by_dept[by_dept[value].notna()].copy()
    frame["dept_id"] = frame["dept_id"].astype(str)
    tiebreak = "resources" if "resources" in frame.columns else ("total" if "total" in frame.columns else None)
    keys, ascending = [value], [False]
    if tiebreak:
        keys, ascending = [value, tiebreak], [False, False]
    frame = frame.sort_values(keys + ["dept_id"], ascending=ascending + [True], kind="mergesort").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    names = _names(departments, "dept_id", "short_name", "name")
    frame["name"] = [names.get(d, d) for d in frame["dept_id"]]
    if len(frame) <= 2 * n:
        return frame, frame.iloc[0:0], len(frame)
    return frame.head(n), frame.tail(n), len(frame)


def exchange_window(daily: pd.DataFrame | None, days: int = EXCHANGE_DAYS, today=None) -> pd.DataFrame | None:
    """近 ``days`` 日 of the ``exchange.daily`` frame (dashboard/periods.py: today and the days before
    it, a day without rows as 0), oldest first; None without the frame."""
    if not has_columns(daily, "date", "records"):
        return None
    index = periods.daily_index(days, today or date.today())
    frame = daily.assign(date=pd.to_datetime(daily["date"])).set_index("date")
    columns = [c for c in ("records", "api_calls") if c in frame.columns]
    return frame[columns].reindex(index, fill_value=0).rename_axis("date").reset_index()


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


# ---- 一张图 ---------------------------------------------------------------------------------------

def map_style(tiles: str = "", background: str = theme.MAP_BACKGROUND) -> dict:
    """A MapLibre style with no glyphs and no sprites, so the map requests nothing off the host.

    Without a tile server only a dark background; with one (e.g. an intranet 天地图 server) a raster
    source with that URL template under the district layer.
    """
    # ``sources`` must not be empty: plotly.js drops an empty object when it diffs a figure update, and
    # MapLibre then rejects the style ("missing required property sources"). An inline, empty GeoJSON
    # source requests nothing.
    style: dict = {"version": 8,
                   "sources": {"citywall-none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
                   "layers": [{"id": "citywall-bg", "type": "background", "paint": {"background-color": background}}]}
    if tiles:
        style["sources"]["citywall-tiles"] = {"type": "raster", "tiles": [tiles], "tileSize": 256}
        style["layers"].append({"id": "citywall-tiles", "type": "raster", "source": "citywall-tiles",
                                "paint": {"raster-opacity": 0.55}})
    return style


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, 85.05), -85.05)
    return (lon + 180.0) / 360.0, (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2


def project(lon: float, lat: float, center: tuple[float, float], zoom: float, width: float, height: float) -> tuple[float, float]:
    """Where (lon, lat) lands on a web-mercator map of ``width``×``height`` px, in paper units (0..1, y up)."""
    world = 512 * 2 ** zoom
    x, y = _mercator(lon, lat)
    cx, cy = _mercator(*center)
    return 0.5 + (x - cx) * world / width, 0.5 - (y - cy) * world / height


def feature_bounds(feature: dict) -> tuple[float, float, float, float] | None:
    return rings_bounds(outer_rings(feature.get("geometry")))


def once_per_layer(build):
    """Memoise ``build(layer)`` by the layer object's identity: a GeoJSON layer is read once and kept,
    and a reloaded one is a new object."""
    memo: dict[int, tuple[dict, object]] = {}

    @functools.wraps(build)
    def cached(layer: dict):
        hit = memo.get(id(layer))
        if hit is not None and hit[0] is layer:
            return hit[1]
        out = build(layer)
        if len(memo) > 16:
            memo.clear()
        memo[id(layer)] = (layer, out)  # the entry keeps the layer alive, so its id stays its own
        return out
    return cached


@once_per_layer
def display_layer(layer: dict) -> dict:
    """The layer with each ring's coordinates as an (n, 2) float array, built once per layer.

    The browser receives the same GeoJSON, but serializing it is one orjson call per ring instead of
    a Python walk over every coordinate (the wall's layout carries the whole district layer)."""

    def rings(geometry: dict) -> dict:
        kind, coords = geometry.get("type"), geometry.get("coordinates") or []
        if kind == "Polygon":
            coords = [np.asarray(ring, dtype=float) for ring in coords]
        elif kind == "MultiPolygon":
            coords = [[np.asarray(ring, dtype=float) for ring in polygon] for polygon in coords]
        return {"type": kind, "coordinates": coords}

    features = [{"type": "Feature", "id": f.get("id"), "properties": {"name": (f.get("properties") or {}).get("name")},
                 "geometry": rings(f.get("geometry") or {})} for f in layer.get("features", [])]
    return {"type": "FeatureCollection", "features": features}


KM_PER_DEGREE = 111.32
DISTRICT_OUTLINE = "#5fd8ff"
DIMMED = 0.35  # opacity of the districts around the one in focus


@dataclass(frozen=True)
class SvgLayer:
    """A district layer projected once for the SVG map (x east, y north, in km from the layer's centre).

    Per feature: the outer rings as x and y arrays (float32, rounded to 1 m, rings separated by NaN,
    which plotly.js draws as gaps: one filled trace per district) and their bounding box. float32
    arrays travel as base64 typed arrays (4 bytes a coordinate) and skip plotly.py's per-element
    validation of lists. Holes are left out: a district's fill only needs its outline, and a hole's
    area belongs to another district drawn over it."""
    ids: tuple[str, ...]
    xs: tuple[np.ndarray, ...]
    ys: tuple[np.ndarray, ...]
    boxes: tuple[tuple[float, float, float, float] | None, ...]
    origin: tuple[float, float]  # lon, lat of the projection's centre

    def project(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        return project_km(lon, lat, self.origin)


def project_km(lon, lat, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat → km east and north of ``origin``. An equirectangular projection at the origin's
    latitude: across a city (< 200 km) its distortion stays far below a pixel."""
    lon0, lat0 = origin
    x = (np.asarray(lon, dtype=float) - lon0) * math.cos(math.radians(lat0)) * KM_PER_DEGREE
    y = (np.asarray(lat, dtype=float) - lat0) * KM_PER_DEGREE
    return x, y


@once_per_layer
def svg_layer(layer: dict) -> SvgLayer:
    """The layer projected for the SVG map, built once per layer object: the figure is rebuilt on every
    data publish, the polygons only when the city's GeoJSON is reloaded."""
    features = [f for f in layer.get("features", []) if f.get("id") is not None]
    rings = [[np.asarray(ring, dtype=float)[:, :2] for ring in outer_rings(f.get("geometry")) if len(ring)]
             for f in features]
    every = [ring for feature_rings in rings for ring in feature_rings]
    if every:
        stacked = np.concatenate(every)
        lo, hi = stacked.min(axis=0), stacked.max(axis=0)
        origin = (float(lo[0] + hi[0]) / 2, float(lo[1] + hi[1]) / 2)
    else:
        origin = (0.0, 0.0)
    gap = np.full((1, 2), np.nan)
    xs, ys, boxes = [], [], []
    for feature_rings in rings:
        parts = []
        for ring in feature_rings:
            x, y = project_km(ring[:, 0], ring[:, 1], origin)
            xy = np.round(np.column_stack([x, y]), 3)
            keep = np.ones(len(xy), dtype=bool)  # drop points that round onto their predecessor
            keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
            parts.append(xy[keep])
        joined = np.concatenate([p for part in parts for p in (gap, part)][1:]) if parts else np.empty((0, 2))
        xs.append(joined[:, 0].astype(np.float32))
        ys.append(joined[:, 1].astype(np.float32))
        if parts:
            both = np.concatenate(parts)
            boxes.append((float(both[:, 0].min()), float(both[:, 1].min()), float(both[:, 0].max()), float(both[:, 1].max())))
        else:
            boxes.append(None)
    return SvgLayer(tuple(str(f["id"]) for f in features), tuple(xs), tuple(ys), tuple(boxes), origin)


def fit_view(box: tuple[float, float, float, float], width: float, height: float,
             padding: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """x and y ranges that show ``box`` (x0, y0, x1, y1) with ``padding`` (a fraction of its size) on a
    width×height plot at the same scale on both axes, centred."""
    x0, y0, x1, y1 = box
    per_px = max((x1 - x0) * (1 + 2 * padding) / max(width, 1), (y1 - y0) * (1 + 2 * padding) / max(height, 1), 1e-6)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = width * per_px / 2, height * per_px / 2
    return (round(cx - half_w, 4), round(cx + half_w, 4)), (round(cy - half_h, 4), round(cy + half_h, 4))


def parse_view(view: str | None) -> str | None:
    """'district:<region_id>' → region_id; 'city' / None → None."""
    if view and isinstance(view, str) and view.startswith("district:"):
        return view.split(":", 1)[1] or None
    return None


def _density_points(by_grid: pd.DataFrame | None, density: pd.DataFrame | None) -> pd.DataFrame | None:
    """lon, lat, weight: the grid points with their 近30日 incidents, else the lon/lat density bins."""
    points = None
    if has_columns(by_grid, "lon", "lat", "incidents_30d"):
        points = by_grid.loc[by_grid["lon"].notna() & by_grid["lat"].notna(), ["lon", "lat", "incidents_30d"]]
        points = points.rename(columns={"incidents_30d": "weight"})
    if (points is None or points.empty) and has_columns(density, "lon", "lat", "incidents"):
        points = density[["lon", "lat", "incidents"]].rename(columns={"incidents": "weight"})
    return points if points is not None and not points.empty else None


def incident_map(by_district: pd.DataFrame | None, by_grid: pd.DataFrame | None, geography, focus: str | None = None,
                 tiles: str = "", *, density: pd.DataFrame | None = None, width: int = 700, height: int = 480,
                 scale: float = 1.0, text_scale: float = 1.0, hover_note: str = "") -> go.Figure:
    """一张图: 近30日 incidents per district over the city's own GeoJSON, with a grid-level density
    layer (grid points, or the lon/lat density bins where there are no grids).

    Without a tile server (the default) the map is SVG on plain axes: one filled trace per district,
    the density glow as a small PNG computed here, names as one text trace. A WebGL map (MapLibre) costs
    the wall ~0.4 s to draw in software-rendered browsers and buys nothing without tiles. With a tile
    server the districts and the density go on a MapLibre map over the tiles.

    ``focus`` (a district id) zooms to that district and dims the others. The map is fixed (no pan or
    scroll zoom), so the labels stay on their districts.
    """
    layer = geography.layer("区县") if geography is not None else None
    uirev = f"map:{focus or 'city'}"
    if not layer or not layer.get("features"):
        return empty_figure(width, height, scale, text="暂无地图数据", uirevision=uirev, text_scale=text_scale)
    features = [f for f in layer["features"] if f.get("id") is not None]
    ids = [str(f["id"]) for f in features]
    regions = geography.regions if isinstance(getattr(geography, "regions", None), pd.DataFrame) else None
    names = _names(regions, "region_id", "name")
    stats = by_district.set_index(by_district["district_id"].astype(str)) if has_columns(by_district, "district_id", "incidents_30d") else None

    def stat(rid, col):
        if stats is None or rid not in stats.index or col not in stats.columns:
            return None
        return _num(stats.at[rid, col])

    z = district_incidents(by_district, geography)
    zmax = scale_max(z)
    focus = focus if focus in ids else None
    uirev = f"map:{focus or 'city'}"
    custom = [[district_href(rid), names.get(rid, rid), fmt.count(stat(rid, "incidents_30d") or 0),
               fmt.count(stat(rid, "open") or 0), fmt.count(stat(rid, "overdue") or 0),
               fmt.percent(stat(rid, "closure_rate_30d")), fmt.count(stat(rid, "today") or 0)] for rid in ids]
    points = _density_points(by_grid, density)
    centroids = None
    if regions is not None and has_columns(regions, "region_id", "lon", "lat"):
        centroids = regions[regions["region_id"].astype(str).isin(ids)]
        if "level" in centroids.columns:
            centroids = centroids[centroids["level"] == "区县"]
    args = dict(layer=layer, features=features, ids=ids, names=names, z=z, zmax=zmax, custom=custom, focus=focus,
                points=points, centroids=centroids, bounds=geography.bounds, width=width, height=height,
                scale=scale, text_scale=text_scale, uirev=uirev, hover=map_hover(hover_note))
    return _maplibre_map(tiles=tiles, **args) if tiles else _svg_map(**args)


def scale_max(z) -> float:
    """The top of a count's colour scale from 0 (the map's, the heatmaps'): the largest count, at
    least 1. Figures set it as ``zmax`` (with ``zmin`` alone plotly.js scales to the data's own
    range) and the HTML scales print it."""
    z = np.asarray(z, dtype=float)
    return max(float(np.nanmax(z)) if z.size and not np.isnan(z).all() else 0.0, 1.0)


def district_incidents(by_district: pd.DataFrame | None, geography) -> np.ndarray:
    """近30日 incidents of each district of the map's layer (0 where the frame has none)."""
    layer = geography.layer("区县") if geography is not None else None
    ids = [str(f["id"]) for f in (layer or {}).get("features", []) if f.get("id") is not None]
    if not ids or not has_columns(by_district, "district_id", "incidents_30d"):
        return np.zeros(len(ids))
    counts = dict(zip(by_district["district_id"].astype(str), by_district["incidents_30d"]))
    return np.array([_num(counts.get(rid)) or 0 for rid in ids], dtype=float)


MAP_HOVER = ("<b>{1}</b><br>近30日事件 <b>{2}</b> 件 · 今日 {6} 件<br>未办结（全部） {3} 件 · 超期（全部） {4} 件"
             "<br>近30日办结率 {5}<br><i>点击进入区县</i>")


def map_hover(note: str = "") -> str:
    """A district's hover, ``{0}``…``{6}`` for its URL and figures, with the 口径 lines ``note``
    before the click hint (braces in the note are kept as text)."""
    if not note:
        return MAP_HOVER
    safe = note.replace("{", "{{").replace("}", "}}")
    return MAP_HOVER.replace("<br><i>点击进入区县</i>", f"<br>{safe}<br><i>点击进入区县</i>")


MAP_LEGEND_BAND_EM = 3.2  # the map's HTML legend at the bottom (assets/wall.css .cw-map-legend), in label sizes


def legend_band(scale: float, text_scale: float = 1.0) -> float:
    """The height (canvas px) at the bottom of the map that the legend covers, with its margin: a
    district in focus is drawn above it."""
    return MAP_LEGEND_BAND_EM * theme.font_px(theme.LABEL_PX, scale, text_scale)


def _svg_map(*, layer, features, ids, names, z, zmax, custom, focus, points, centroids, bounds, width, height,
             scale, text_scale, uirev, hover) -> go.Figure:
    svg = svg_layer(layer)
    at = {rid: i for i, rid in enumerate(svg.ids)}
    box = svg.boxes[at[focus]] if focus is not None else None
    if box is None:
        (bx0, bx1), (by0, by1) = svg.project([bounds[0], bounds[2]], [bounds[1], bounds[3]])
        box = (float(bx0), float(by0), float(bx1), float(by1))
    if focus is None:
        x_range, y_range = fit_view(box, width, height, padding=0.06)
    else:  # the district above the legend's band, so the legend never covers it
        band = legend_band(scale, text_scale)
        x_range, (y0, y1) = fit_view(box, width, height - band, padding=0.18)
        y_range = (round(y0 - band * (y1 - y0) / (height - band), 4), y1)
    fills = sample_scale(MAP_SCALE, z / zmax)
    outline = _parse_colour(DISTRICT_OUTLINE)
    # the district in focus last, so its outline is drawn over its neighbours' fills
    order = [i for i, rid in enumerate(ids) if rid != focus] + [i for i, rid in enumerate(ids) if rid == focus]
    data = []
    for i in order:
        rid, k = ids[i], at[ids[i]]
        dim = DIMMED if focus is not None and rid != focus else 1.0
        data.append(go.Scatter(
            x=svg.xs[k], y=svg.ys[k], mode="lines", fill="toself", fillcolor=_rgba(fills[i], dim),
            line=dict(color=theme.WARN if rid == focus else _rgba(outline, dim),
                      width=_px(3.2, scale) if rid == focus else _px(1.2, scale)),
            # plotly.js hovers a fill with the trace's scalar ``text`` (it ignores hovertemplate there),
            # and a click on a fill has no point number: dcc.Graph then passes the trace's whole
            # customdata, whose first element wall.js opens (the district's URL)
            hoveron="fills", hoverinfo="text", text=hover.format(*custom[i]), customdata=[custom[i][0]],
            hoverlabel=dict(align="left"),  # a fill's label sits beside the district, right-aligned by default
            name=names.get(rid, rid), showlegend=False,
        ))
    images = []
    if points is not None:
        px_x, px_y = svg.project(points["lon"].to_numpy(), points["lat"].to_numpy())
        cols = 160
        rows = max(8, round(cols * height / max(width, 1)))
        # the glow's width in px as on the MapLibre heatmap (radius ≈ 3 σ), in raster cells
        sigma = _px(16 if focus is None else 26, scale) / 3 * cols / max(width, 1)
        weight = np.nan_to_num(points["weight"].to_numpy(dtype=float))
        raster = density_raster(px_x, px_y, weight, x_range, y_range, (rows, cols), sigma)
        # as on the MapLibre heatmap (zmax = the weights' 98th percentile), a lone point of that weight
        # glows orange and only where hot grids cluster does it turn red; the few hottest grids must
        # not wash the rest out
        top = float(np.quantile(weight, 0.98)) * float(gaussian_kernel(sigma).max()) ** 2 / LONE_POINT_LEVEL
        levels = density_levels(raster, top)
        if levels is not None:
            # layer "above": the glow lies over the fills; hover and click still reach the districts
            # (plotly.js hit-tests the axes' drag layer, not the picture)
            png = png_indexed(levels, scale_palette(DENSITY_SCALE))
            images.append(dict(source=png_data_uri(png), xref="x", yref="y", x=x_range[0], y=y_range[1],
                               sizex=round(x_range[1] - x_range[0], 4), sizey=round(y_range[1] - y_range[0], 4),
                               xanchor="left", yanchor="top", sizing="stretch", layer="above", opacity=0.9))
    if centroids is not None:
        data.extend(map_labels.svg_name_traces(centroids, svg, names, focus, x_range, y_range, width, height, scale,
                                               text_scale))
    axis = dict(visible=False, fixedrange=True, showgrid=False, zeroline=False, automargin=False)
    layout = _base_layout(
        width, height, scale, uirev, margin=(0, 0, 0, 0), text_scale=text_scale, dragmode=False, hovermode="closest",
        plot_bgcolor=theme.MAP_BACKGROUND, images=images,
        xaxis=dict(axis, range=list(x_range)), yaxis=dict(axis, range=list(y_range), scaleanchor="x", scaleratio=1),
    )
    return go.Figure(data=data, layout=layout)


def _maplibre_map(*, layer, features, ids, names, z, zmax, custom, focus, points, centroids, bounds, tiles, width,
                  height, scale, text_scale, uirev, hover) -> go.Figure:
    line_w = [(_px(3.2, scale) if rid == focus else _px(1.2, scale)) for rid in ids]
    opacity = [1.0 if (focus is None or rid == focus) else DIMMED for rid in ids]
    data = [go.Choroplethmap(
        geojson=display_layer(layer), locations=ids, z=z.tolist(), featureidkey="id", zmin=0, zmax=zmax,
        colorscale=MAP_SCALE, marker=dict(line=dict(color=[theme.WARN if rid == focus else DISTRICT_OUTLINE for rid in ids],
                                                    width=line_w), opacity=opacity),
        showscale=False,  # the scale is the HTML legend over the map (layouts/captions.py)
        customdata=custom,
        hovertemplate=hover.format(*(f"%{{customdata[{n}]}}" for n in range(7))) + "<extra></extra>",
        name="区县",
    )]
    if points is not None:
        weight = points["weight"].astype(float).to_numpy()
        data.append(go.Densitymap(
            lon=points["lon"].astype(float).round(5).tolist(), lat=points["lat"].astype(float).round(5).tolist(),
            z=weight.tolist(),
            radius=_px(16 if focus is None else 26, scale), colorscale=DENSITY_SCALE, showscale=False,
            zmin=0, zmax=float(np.quantile(weight, 0.98)) if len(weight) > 1 else float(weight.max() or 1),
            hoverinfo="skip", name="网格事件密度",
        ))
    if focus is not None:
        bounds = feature_bounds(features[ids.index(focus)]) or bounds
    center = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    if focus is None:
        zoom = fit_zoom(bounds, width, height, padding=0.06)
    else:  # the district above the legend's band: the map's centre moves south by half the band
        band = legend_band(scale, text_scale)
        zoom = fit_zoom(bounds, width, height - band, padding=0.18)
        mx, my = _mercator(*center)
        my += band / 2 / (512 * 2 ** zoom)
        center = (center[0], math.degrees(2 * math.atan(math.exp(math.pi * (1 - 2 * my))) - math.pi / 2))
    annotations = []
    if centroids is not None:
        anchors = []
        for rid, lon, lat in zip(centroids["region_id"].astype(str), centroids["lon"], centroids["lat"]):
            px, py = project(float(lon), float(lat), center, zoom, width, height)
            if 0.03 < px < 0.97 and 0.04 < py < 0.96:
                anchors.append((rid, px * width, (1 - py) * height))
        areas = {rid: (b[2] - b[0]) * (b[3] - b[1]) for rid, f in zip(ids, features) if (b := feature_bounds(f))}
        for p, anchor in map_labels.district_labels(anchors, names, focus, areas, width, height, scale, text_scale):
            annotations.append(map_labels.maplibre_name(names.get(p.key, p.key), p, anchor, p.key == focus,
                                                        focus is not None and p.key != focus, width, height, scale,
                                                        text_scale))
    layout = _base_layout(
        width, height, scale, uirev, margin=(0, 0, 0, 0), text_scale=text_scale, dragmode=False, annotations=annotations,
        map=dict(style=map_style(tiles), center=dict(lon=center[0], lat=center[1]), zoom=zoom, uirevision=uirev),
    )
    return go.Figure(data=data, layout=layout)


# ---- 上云进度 -------------------------------------------------------------------------------------

def migration_laggards(by_dept_status: pd.DataFrame | None, departments: pd.DataFrame | None, n: int = 8) -> pd.DataFrame:
    """The ``n`` departments lowest in 上云率 (more systems first on ties), lowest first, with names."""
    if not has_columns(by_dept_status, "dept_id", "cloud_migration_rate"):
        return pd.DataFrame(columns=["dept_id", "name", "cloud_migration_rate", *SYSTEM_STATUS_ORDER])
    frame = by_dept_status.copy()
    frame["dept_id"] = frame["dept_id"].astype(str)
    for status in SYSTEM_STATUS_ORDER:
        if status not in frame.columns:
            frame[status] = 0
    if "total" not in frame.columns:
        frame["total"] = frame[list(SYSTEM_STATUS_ORDER)].sum(axis=1)
    frame = frame[frame["total"] > 0].sort_values(["cloud_migration_rate", "total", "dept_id"],
                                                  ascending=[True, False, True], kind="mergesort").head(n)
    names = _names(departments, "dept_id", "short_name", "name")
    frame["name"] = [names.get(d, d) for d in frame["dept_id"]]
    return frame.reset_index(drop=True)


def burnup_actuals(burnup: pd.DataFrame, today=None):
    """(frame by month, its months, the current month, actual_cum up to the current month (NaN
    after), the non-classified systems in total or None)."""
    frame = burnup.sort_values("month")
    months = pd.to_datetime(frame["month"])
    now_month = pd.Timestamp(today or datetime.now()).to_period("M").to_timestamp()
    total = _num(frame["total"].iloc[-1]) if "total" in frame.columns and len(frame) else None
    return frame, months, now_month, frame["actual_cum"].astype(float).where(months <= now_month), total


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


# ---- 事件 ------------------------------------------------------------------------------------------

def hour_weekday_matrix(hour_weekday: pd.DataFrame | None) -> np.ndarray:
    """The 7×24 matrix (周一..周日 × 0..23 时) of the ``hour_weekday`` frame; missing cells are 0."""
    z = np.zeros((7, 24))
    if has_columns(hour_weekday, "weekday", "hour", "incidents"):
        wd = hour_weekday["weekday"].astype(int).to_numpy()
        hr = hour_weekday["hour"].astype(int).to_numpy()
        ok = (wd >= 0) & (wd < 7) & (hr >= 0) & (hr < 24)
        z[wd[ok], hr[ok]] = hour_weekday["incidents"].astype(float).to_numpy()[ok]
    return z


def hour_weekday_heatmap(hour_weekday: pd.DataFrame | None, *, width: int = 436, height: int = 250,
                         scale: float = 1.0, text_scale: float = 1.0, hover_note: str = "") -> go.Figure:
    """事件时段热力: 近30日 incidents by hour of day × weekday (the peak and the colour scale are HTML
    above the plot: layouts/captions.py)."""
    if not has_columns(hour_weekday, "weekday", "hour", "incidents"):
        return empty_figure(width, height, scale, uirevision="hour-weekday", text_scale=text_scale)
    z = hour_weekday_matrix(hour_weekday)
    days = list(fmt.WEEKDAYS_SHORT)
    hours = [f"{h}时" for h in range(24)]
    hrefs = [[_href("/incidents", weekday=d, hour=h) for h in range(24)] for d in range(7)]
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


OTHER = "其他"


def category_rows(totals: dict[str, float], max_categories: int) -> tuple[list[str], set[str]]:
    """The heatmap's rows: the largest categories by total, and, when there are more than
    ``max_categories`` (or a category is itself named 其他), one last row 其他 that holds the rest,
    so every column still sums to its area's total. → (rows, the categories folded into 其他)."""
    named = sorted((c for c in totals if c != OTHER), key=lambda c: (-totals[c], c))
    if len(named) + (OTHER in totals) <= max_categories:
        return named + ([OTHER] if OTHER in totals else []), {OTHER} & set(totals)
    kept = named[:max(max_categories - 1, 1)]
    return kept + [OTHER], set(totals) - set(kept)


def category_district_matrix(category_district: pd.DataFrame | None, regions: pd.DataFrame | None,
                             max_categories: int = 8, district: str | None = None
                             ) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """(categories, column ids, column names, z) for the 分类 heatmap: the city's districts as
    columns (``district_id`` or ``column_id`` counts), or a district's streets (``district``, with
    ``column_id`` counts from dashboard.selections.category_columns).

    Columns in the order of the regions frame (stable from refresh to refresh), then any others the
    incidents name (e.g. 未知区域); categories by their 近30日 total, the largest first and the rest in
    one 其他 row (:func:`category_rows`), so a column sums to its area's count in the rankings.
    (A reshape of the small published frame, a few hundred rows: plain Python is faster than pandas.)
    """
    column = "column_id" if has_columns(category_district, "column_id") else "district_id"
    if not has_columns(category_district, "category", column, "incidents"):
        return [], [], [], np.zeros((0, 0))
    cats = [str(c) for c in category_district["category"].tolist()]
    dists = [str(d) for d in category_district[column].tolist()]
    values = [float(v) for v in category_district["incidents"].tolist()]
    columns = area_order(regions, district, set(dists))
    totals: dict[str, float] = {}
    for c, v in zip(cats, values):
        totals[c] = totals.get(c, 0.0) + v
    categories, folded = category_rows(totals, max_categories)
    row = {c: i for i, c in enumerate(categories)}
    col = {d: j for j, d in enumerate(columns)}
    z = np.zeros((len(categories), len(columns)))
    for c, d, v in zip(cats, dists, values):
        z[row[OTHER] if c in folded else row[c], col[d]] += v
    names = _names(regions, "region_id", "name")
    return categories, columns, [names.get(d, d) for d in columns], z


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


# ---- 目标指标 --------------------------------------------------------------------------------------

def ordered_targets(targets: pd.DataFrame | None) -> pd.DataFrame:
    """Targets in a stable order for the wall: 省级 first, then by deadline and name."""
    if not has_columns(targets, "name", "target"):
        return pd.DataFrame(columns=["name", "target"])
    frame = targets.copy()
    frame["_level"] = frame["level"].map({"省": 0, "市": 1}).fillna(2) if "level" in frame.columns else 2
    frame["_deadline"] = pd.to_datetime(frame["deadline"]) if "deadline" in frame.columns else pd.NaT
    return frame.sort_values(["_level", "_deadline", "name"], kind="mergesort").drop(
        columns=["_level", "_deadline"]).reset_index(drop=True)


