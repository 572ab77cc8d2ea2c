"""Pure figure builders for the wall: ready-to-draw frames in → ``go.Figure`` out.

Rules every function here keeps:

* it only *selects* from the pre-aggregated frames of :mod:`dashboard.frames` (sorting, picking
  the top rows, reshaping a 7×24 table); it never aggregates raw rows;
* it draws with ``plotly.graph_objects`` on fixed ``width``/``height`` in design-canvas pixels,
  with every font and line scaled by ``scale`` (1.0 on the 1920×1080 canvas, 2.0 on 3840×2160);
* the look comes from the one template registered in :mod:`layouts.theme` (never set here);
* ``uirevision`` is set, so a redraw keeps what the viewer did (legend clicks, zoom);
* labels and hovers are Chinese and numbers go through :mod:`dashboard.formatting`;
* a missing or empty frame gives a figure that says "暂无数据", never an exception.

Clickable points carry their drill-down URL in ``customdata`` (the string itself, or the first
element of a row); ``assets/wall.js`` navigates there on click.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import formatting as fmt
from dashboard.geo import fit_zoom
from dashboard.targets import LAGGING, MET, ON_TRACK, OVERDUE
from layouts import theme

NO_DATA = "暂无数据"
NUMBER_FONT = theme.NUMBER_FONT_FAMILY
STATUS_COLORS = {MET: theme.GOOD, ON_TRACK: theme.ACCENT, LAGGING: theme.WARN, OVERDUE: theme.BAD}
STATUS_ORDER = (OVERDUE, LAGGING, ON_TRACK, MET)
SYSTEM_STATUS_COLORS = {"已上云": theme.ACCENT, "迁移中": theme.WARN, "未迁移": "#3d5f96", "暂缓": "#8a7fb8"}
SYSTEM_STATUS_ORDER = ("已上云", "迁移中", "未迁移", "暂缓")
HEAT_SCALE = [[0.0, "#0b1f45"], [0.25, "#0f4c8a"], [0.5, "#1c9bd6"], [0.75, "#ffc24b"], [1.0, "#ff5a6e"]]
MAP_SCALE = [[0.0, "#0c2452"], [0.35, "#12509a"], [0.7, "#1f9fe0"], [1.0, "#6ff0ff"]]
DENSITY_SCALE = [[0.0, "rgba(255,194,75,0)"], [0.3, "rgba(255,194,75,0.35)"], [0.65, "rgba(255,138,61,0.7)"],
                 [1.0, "rgba(255,90,110,0.95)"]]
SHARING_DEFAULT_TARGET = 0.9
CLOUD_DEFAULT_TARGET = 0.8


# ---- shared helpers ---------------------------------------------------------------------------

def has_columns(frame, *columns: str) -> bool:
    """A non-empty DataFrame with every named column."""
    return isinstance(frame, pd.DataFrame) and not frame.empty and all(c in frame.columns for c in columns)


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


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


def _base_layout(width: int, height: int, scale: float, uirevision: str, *, margin=(8, 8, 8, 8),
                 **extra) -> dict:
    left, right, top, bottom = (round(m * scale) for m in margin)
    layout = dict(
        width=int(width), height=int(height), autosize=False, uirevision=uirevision,
        margin=dict(l=left, r=right, t=top, b=bottom, pad=0),
        font=dict(size=_px(14, scale)),
        hoverlabel=dict(font=dict(size=_px(14, scale))),
        showlegend=False,
    )
    layout.update(extra)
    return layout


def _axis(scale: float, **extra) -> dict:
    axis = dict(tickfont=dict(size=_px(12, scale)), gridwidth=max(1, round(scale)), linewidth=max(1, round(scale)),
                fixedrange=True, automargin=False, zeroline=False)
    axis.update(extra)
    return axis


def empty_figure(width: int, height: int, scale: float = 1.0, text: str = NO_DATA, uirevision: str = "empty") -> go.Figure:
    """A blank figure with one centred message ("暂无数据")."""
    return go.Figure(layout=_base_layout(
        width, height, scale, uirevision,
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                          font=dict(size=_px(18, scale), color=theme.MUTED))],
    ))


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
    if unit == "条":
        return f"{fmt.count(value)} 条"
    return f"{float(value):g} {unit}".strip()


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

def sharing_gauge(summary: pd.DataFrame | None, target: float | None = SHARING_DEFAULT_TARGET, *,
                  deadline=None, width: int = 436, height: int = 150, scale: float = 1.0) -> go.Figure:
    """政务数据共享率 as a gauge against its target, with the share-type counts beside it."""
    if not has_columns(summary, "sharing_rate"):
        return empty_figure(width, height, scale, uirevision="sharing-gauge")
    row = summary.iloc[0]
    rate = _num(row["sharing_rate"])
    if rate is None:
        return empty_figure(width, height, scale, uirevision="sharing-gauge")
    target = SHARING_DEFAULT_TARGET if _num(target) is None else float(target)
    met = rate >= target - 1e-12
    color = theme.GOOD if met else (theme.WARN if rate >= target - 0.1 else theme.BAD)
    gauge = go.Indicator(
        mode="gauge+number", value=rate * 100, domain=dict(x=[0.0, 0.52], y=[0.0, 1.0]),
        number=dict(suffix="%", valueformat=".1f", font=dict(size=_px(30, scale), color=color, family=NUMBER_FONT)),
        gauge=dict(
            shape="angular",
            axis=dict(range=[0, 100], tickvals=[0, 25, 50, 75, 100], tickfont=dict(size=_px(10, scale), color=theme.MUTED),
                      tickwidth=max(1, round(scale)), tickcolor=theme.GRID, ticklen=_px(4, scale)),
            bar=dict(color=theme.ACCENT, thickness=0.32),
            bgcolor="rgba(39,211,255,0.07)", borderwidth=0,
            steps=[dict(range=[0, target * 100], color="rgba(23,48,90,0.55)")],
            threshold=dict(line=dict(color=theme.WARN, width=_px(3, scale)), thickness=0.95, value=target * 100),
        ),
    )
    gap = (target - rate) * 100
    lines = [
        f"<span style='color:{theme.MUTED}'>目标</span> <b style='color:{theme.WARN}'>≥ {fmt.percent(target)}</b>",
        (f"<span style='color:{theme.MUTED}'>期限 {fmt.day(deadline)}</span>" if not _missing(deadline) else
         f"<span style='color:{theme.MUTED}'>期限 未配置</span>"),
        (f"<b style='color:{theme.GOOD}'>已达标</b>" if met else
         f"<span style='color:{theme.MUTED}'>距目标</span> <b style='color:{color}'>{gap:.1f}</b>"
         f"<span style='color:{theme.MUTED}'> 个百分点</span>"),
    ]
    for label, col, swatch in (("无条件共享", "unconditional", theme.ACCENT), ("有条件共享", "conditional", theme.GOOD),
                               ("不予共享", "not_shared", theme.BAD)):
        if col in row.index:
            lines.append(f"<span style='color:{swatch}'>■</span> <span style='color:{theme.MUTED}'>{label}</span> "
                         f"<b>{fmt.count(row[col])}</b>")
    step = 1.0 / (len(lines) + 0.4)
    annotations = [dict(text=text, x=0.6, y=1 - step * (i + 0.7), xref="paper", yref="paper", xanchor="left",
                        yanchor="middle", showarrow=False, align="left",
                        font=dict(size=_px(15 if i == 0 else 13.5, scale), color=theme.TEXT))
                   for i, text in enumerate(lines)]
    return go.Figure(data=[gauge], layout=_base_layout(width, height, scale, "sharing-gauge",
                                                        margin=(14, 4, 14, 0), annotations=annotations))


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


def dept_ranking(by_dept: pd.DataFrame | None, departments: pd.DataFrame | None, n: int = 5, *,
                 width: int = 436, height: int = 216, scale: float = 1.0) -> go.Figure:
    """部门共享率排名: the top ``n`` (green) above the bottom ``n`` (red), rank 1 at the top."""
    best, worst, total = ranking_rows(by_dept, departments, n)
    if total == 0:
        return empty_figure(width, height, scale, uirevision="dept-ranking")
    gap_label = "⋯"
    order = [f"{r}  {nm}" for r, nm in zip(best["rank"], best["name"])]
    if len(worst):
        order += [gap_label] + [f"{r}  {nm}" for r, nm in zip(worst["rank"], worst["name"])]

    def trace(part: pd.DataFrame, color: str, fill: str, label: str) -> go.Bar:
        rates = part["sharing_rate"].astype(float).to_numpy()
        shared = part["shared"] if "shared" in part.columns else [None] * len(part)
        resources = part["resources"] if "resources" in part.columns else [None] * len(part)
        custom = [[department_href(d), nm, int(r), fmt.percent(v), fmt.count(s), fmt.count(t)]
                  for d, nm, r, v, s, t in zip(part["dept_id"], part["name"], part["rank"], rates, shared, resources)]
        return go.Bar(
            name=label, orientation="h", x=rates.tolist(), y=[f"{r}  {nm}" for r, nm in zip(part["rank"], part["name"])],
            marker=dict(color=fill, line=dict(color=color, width=max(1, round(scale)))),
            text=[fmt.percent(v) for v in rates], textposition="outside", cliponaxis=False,
            textfont=dict(size=_px(13, scale), color=color, family=NUMBER_FONT),
            customdata=custom,
            hovertemplate=("<b>%{customdata[1]}</b><br>排名 第 %{customdata[2]} 名 / 共 " + str(total) + " 个部门"
                           "<br>政务数据共享率 %{customdata[3]}<br>可共享 %{customdata[4]} / %{customdata[5]} 条"
                           "<extra></extra>"),
        )

    data = [trace(best, theme.GOOD, "rgba(46,229,157,0.55)", f"前 {len(best)} 名")]
    if len(worst):
        data.append(trace(worst, theme.BAD, "rgba(255,90,110,0.55)", f"后 {len(worst)} 名"))
    left = max(text_px(label, 13) for label in order) + 12
    layout = _base_layout(
        width, height, scale, "dept-ranking", margin=(left, 44, 2, 2), bargap=0.32,
        xaxis=_axis(scale, range=[0, 1.0], visible=False),
        yaxis=_axis(scale, type="category", categoryorder="array", categoryarray=order, autorange="reversed",
                    tickfont=dict(size=_px(13, scale), color=theme.TEXT), ticklabelstandoff=round(6 * scale),
                    showgrid=False),
    )
    return go.Figure(data=data, layout=layout)


def exchange_trend(daily: pd.DataFrame | None, days: int = 30, *, width: int = 436, height: int = 134,
                   scale: float = 1.0) -> go.Figure:
    """近 ``days`` 日数据交换量: exchanged records as an area, API calls as a line on the right axis."""
    if not has_columns(daily, "date", "records"):
        return empty_figure(width, height, scale, uirevision="exchange-trend")
    frame = daily.sort_values("date").tail(days)
    dates = pd.to_datetime(frame["date"])
    records = frame["records"].astype(float).to_numpy()
    hover_day = [f"{fmt.day(d)} {fmt.WEEKDAYS_SHORT[d.weekday()]}" for d in dates]
    data = [go.Scatter(
        name="交换记录", x=dates.dt.strftime("%Y-%m-%d").tolist(), y=records.tolist(), mode="lines", line=dict(color=theme.ACCENT, width=_px(2, scale), shape="spline",
                                                                   smoothing=0.6),
        fill="tozeroy", fillcolor="rgba(39,211,255,0.16)",
        customdata=[[h, fmt.count(v)] for h, v in zip(hover_day, records)],
        hovertemplate="%{customdata[0]}<br>交换记录 <b>%{customdata[1]}</b> 条<extra></extra>",
    )]
    ticks = nice_ticks(float(np.nanmax(records)) if len(records) else 0, 3)
    layout = _base_layout(
        width, height, scale, "exchange-trend", margin=(46, 46 if "api_calls" in frame.columns else 8, 26, 22),
        xaxis=_axis(scale, type="date", tickformat="%m-%d", nticks=6, showgrid=False, tickcolor=theme.GRID,
                    ticks="outside", ticklen=_px(3, scale)),
        yaxis=_axis(scale, range=[0, ticks[-1] * 1.02], tickvals=ticks, ticktext=[tick_text(t) for t in ticks],
                    showgrid=True),
    )
    if "api_calls" in frame.columns:
        calls = frame["api_calls"].astype(float).to_numpy()
        cticks = nice_ticks(float(np.nanmax(calls)) if len(calls) else 0, 3)
        data.append(go.Scatter(
            name="接口调用", x=dates.dt.strftime("%Y-%m-%d").tolist(), y=calls.tolist(), yaxis="y2", mode="lines",
            line=dict(color=theme.WARN, width=_px(1.6, scale), dash="dot"),
            customdata=[[h, fmt.count(v)] for h, v in zip(hover_day, calls)],
            hovertemplate="%{customdata[0]}<br>接口调用 <b>%{customdata[1]}</b> 次<extra></extra>",
        ))
        # scale the calls axis to the records axis' number of steps so the grid lines coincide
        cstep = cticks[1] if len(cticks) > 1 else 1
        cvals = [i * cstep for i in range(len(ticks))]
        layout["yaxis2"] = _axis(scale, overlaying="y", side="right", range=[0, cvals[-1] * 1.02], tickvals=cvals,
                                 ticktext=[tick_text(t) for t in cvals], showgrid=False,
                                 tickfont=dict(size=_px(12, scale), color=theme.WARN))
    total = float(np.nansum(records))
    layout["annotations"] = [
        dict(text=f"<span style='color:{theme.ACCENT}'>━</span> 交换记录（条）"
                  + (f"   <span style='color:{theme.WARN}'>┅</span> 接口调用（次）" if len(data) > 1 else ""),
             x=0, y=1, xref="paper", yref="paper", xanchor="left", yanchor="bottom", yshift=_px(6, scale),
             showarrow=False, font=dict(size=_px(12, scale), color=theme.MUTED)),
        dict(text=f"近{len(frame)}日合计 <b style='color:{theme.ACCENT}'>{fmt.count(total)}</b> 条",
             x=1, y=1, xref="paper", yref="paper", xanchor="right", yanchor="bottom", yshift=_px(6, scale),
             showarrow=False, font=dict(size=_px(12.5, scale), color=theme.TEXT)),
    ]
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
    geometry = feature.get("geometry") or {}
    polygons = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        polygons = [polygons]
    xs, ys = [], []
    for polygon in polygons:
        for ring in polygon[:1]:
            xs.extend(p[0] for p in ring)
            ys.extend(p[1] for p in ring)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


_DISPLAY_LAYERS: dict[int, tuple[dict, dict]] = {}


def display_layer(layer: dict) -> dict:
    """The layer with each ring's coordinates as an (n, 2) float array, built once per layer.

    The browser receives the same GeoJSON, but serializing it is one orjson call per ring instead of
    a Python walk over every coordinate (the wall's layout carries the whole district layer)."""
    hit = _DISPLAY_LAYERS.get(id(layer))
    if hit is not None and hit[0] is layer:
        return hit[1]

    def rings(geometry: dict) -> dict:
        kind, coords = geometry.get("type"), geometry.get("coordinates") or []
        if kind == "Polygon":
            coords = [np.asarray(ring, dtype=float) for ring in coords]
        elif kind == "MultiPolygon":
            coords = [[np.asarray(ring, dtype=float) for ring in polygon] for polygon in coords]
        return {"type": kind, "coordinates": coords}

    features = [{"type": "Feature", "id": f.get("id"), "properties": {"name": (f.get("properties") or {}).get("name")},
                 "geometry": rings(f.get("geometry") or {})} for f in layer.get("features", [])]
    converted = {"type": "FeatureCollection", "features": features}
    if len(_DISPLAY_LAYERS) > 16:
        _DISPLAY_LAYERS.clear()
    _DISPLAY_LAYERS[id(layer)] = (layer, converted)
    return converted


def parse_view(view: str | None) -> str | None:
    """'district:<region_id>' → region_id; 'city' / None → None."""
    if view and isinstance(view, str) and view.startswith("district:"):
        return view.split(":", 1)[1] or None
    return None


def incident_map(by_district: pd.DataFrame | None, by_grid: pd.DataFrame | None, geography, focus: str | None = None,
                 tiles: str = "", *, density: pd.DataFrame | None = None, width: int = 700, height: int = 480,
                 scale: float = 1.0) -> go.Figure:
    """一张图: 近30日 incidents per district (choropleth over the city's own GeoJSON) with a grid-level
    density layer (grid points, or the lon/lat density bins where there are no grids).

    District names are SVG annotations at the centroids (MapLibre text would need a glyph server).
    ``focus`` (a district id) zooms to that district and dims the others. The map is fixed (no pan
    or scroll zoom), so the labels stay on their districts.
    """
    layer = geography.layer("区县") if geography is not None else None
    uirev = f"map:{focus or 'city'}"
    if not layer or not layer.get("features"):
        return empty_figure(width, height, scale, text="暂无地图数据", uirevision=uirev)
    features = [f for f in layer["features"] if f.get("id") is not None]
    ids = [str(f["id"]) for f in features]
    regions = geography.regions if isinstance(getattr(geography, "regions", None), pd.DataFrame) else None
    names = _names(regions, "region_id", "name")
    stats = by_district.set_index(by_district["district_id"].astype(str)) if has_columns(by_district, "district_id", "incidents_30d") else None

    def stat(rid, col):
        if stats is None or rid not in stats.index or col not in stats.columns:
            return None
        return _num(stats.at[rid, col])

    z = np.array([stat(rid, "incidents_30d") or 0 for rid in ids], dtype=float)
    focus = focus if focus in ids else None
    uirev = f"map:{focus or 'city'}"
    custom = [[district_href(rid), names.get(rid, rid), fmt.count(stat(rid, "incidents_30d") or 0),
               fmt.count(stat(rid, "open") or 0), fmt.count(stat(rid, "overdue") or 0),
               fmt.percent(stat(rid, "closure_rate_30d")), fmt.count(stat(rid, "today") or 0)] for rid in ids]
    line_w = [(_px(3.2, scale) if rid == focus else _px(1.2, scale)) for rid in ids]
    opacity = [1.0 if (focus is None or rid == focus) else 0.35 for rid in ids]
    data = [go.Choroplethmap(
        geojson=display_layer(layer), locations=ids, z=z.tolist(), featureidkey="id", zmin=0, zmax=max(float(z.max()), 1.0),
        colorscale=MAP_SCALE, marker=dict(line=dict(color=[theme.WARN if rid == focus else "#5fd8ff" for rid in ids],
                                                    width=line_w), opacity=opacity),
        colorbar=dict(title=dict(text="近30日事件", font=dict(size=_px(12, scale), color=theme.MUTED)),
                      thickness=_px(10, scale), len=0.42, x=0.01, xanchor="left", y=0.04, yanchor="bottom",
                      tickfont=dict(size=_px(11, scale), color=theme.MUTED), outlinewidth=0, bgcolor="rgba(5,13,31,0.55)"),
        customdata=custom,
        hovertemplate=("<b>%{customdata[1]}</b><br>近30日事件 <b>%{customdata[2]}</b> 件 · 今日 %{customdata[6]} 件"
                       "<br>未办结 %{customdata[3]} 件 · 超期 %{customdata[4]} 件<br>近30日办结率 %{customdata[5]}"
                       "<br><i>点击进入区县</i><extra></extra>"),
        name="区县",
    )]
    points = None
    if has_columns(by_grid, "lon", "lat", "incidents_30d"):
        points = by_grid.loc[by_grid["lon"].notna() & by_grid["lat"].notna(), ["lon", "lat", "incidents_30d"]]
        points = points.rename(columns={"incidents_30d": "weight"})
    if (points is None or points.empty) and has_columns(density, "lon", "lat", "incidents"):
        points = density[["lon", "lat", "incidents"]].rename(columns={"incidents": "weight"})
    if points is not None and not points.empty:
        weight = points["weight"].astype(float).to_numpy()
        data.append(go.Densitymap(
            lon=points["lon"].astype(float).round(5).tolist(), lat=points["lat"].astype(float).round(5).tolist(),
            z=weight.tolist(),
            radius=_px(16 if focus is None else 26, scale), colorscale=DENSITY_SCALE, showscale=False,
            zmin=0, zmax=float(np.quantile(weight, 0.98)) if len(weight) > 1 else float(weight.max() or 1),
            hoverinfo="skip", name="网格事件密度",
        ))
    bounds = geography.bounds
    if focus is not None:
        bounds = feature_bounds(features[ids.index(focus)]) or bounds
    center = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    zoom = fit_zoom(bounds, width, height, padding=0.06 if focus is None else 0.18)
    annotations = []
    if regions is not None and has_columns(regions, "region_id", "lon", "lat"):
        cent = regions[regions["region_id"].astype(str).isin(ids)]
        if "level" in cent.columns:
            cent = cent[cent["level"] == "区县"]
        for rid, lon, lat in zip(cent["region_id"].astype(str), cent["lon"], cent["lat"]):
            px, py = project(float(lon), float(lat), center, zoom, width, height)
            if not (0.03 < px < 0.97 and 0.04 < py < 0.96):
                continue
            dim = focus is not None and rid != focus
            annotations.append(dict(
                text=f"<b>{names.get(rid, rid)}</b>", x=px, y=py, xref="paper", yref="paper", showarrow=False,
                font=dict(size=_px(15 if rid == focus else 13, scale), color=theme.MUTED if dim else "#ffffff"),
                bgcolor="rgba(5,13,31,0.45)", borderpad=round(2 * scale), opacity=0.7 if dim else 1.0,
            ))
    layout = _base_layout(
        width, height, scale, uirev, margin=(0, 0, 0, 0), dragmode=False, annotations=annotations,
        map=dict(style=map_style(tiles), center=dict(lon=center[0], lat=center[1]), zoom=zoom, uirevision=uirev),
    )
    return go.Figure(data=data, layout=layout)


# ---- 上云进度 -------------------------------------------------------------------------------------

def cloud_ring(summary: pd.DataFrame | None, target: float | None = CLOUD_DEFAULT_TARGET, *, deadline=None,
               width: int = 436, height: int = 150, scale: float = 1.0) -> go.Figure:
    """非涉密系统上云率: a ring of the systems by status (已上云 first, from 12 o'clock) inside a thin
    track with a tick at the target, the rate in the centre and the counts beside it."""
    if not has_columns(summary, "cloud_migration_rate"):
        return empty_figure(width, height, scale, uirevision="cloud-ring")
    row = summary.iloc[0]
    rate = _num(row["cloud_migration_rate"])
    counts = [int(_num(row.get(s)) or 0) for s in SYSTEM_STATUS_ORDER]
    if rate is None or sum(counts) == 0:
        return empty_figure(width, height, scale, uirevision="cloud-ring")
    target = CLOUD_DEFAULT_TARGET if _num(target) is None else float(target)
    met = rate >= target - 1e-12
    color = theme.GOOD if met else (theme.WARN if rate >= target - 0.15 else theme.BAD)
    side = min(height / width, 0.45)
    tick = 0.006
    data = [
        go.Pie(values=[target, tick, max(1 - target - tick, 0)], hole=0.9, sort=False, direction="clockwise",
               rotation=0, marker=dict(colors=["rgba(127,156,199,0.22)", theme.WARN, "rgba(127,156,199,0.22)"],
                                       line=dict(width=0)),
               textinfo="none", hoverinfo="skip", domain=dict(x=[0, side], y=[0, 1]), name="目标"),
        go.Pie(labels=list(SYSTEM_STATUS_ORDER), values=counts, hole=0.74, sort=False, direction="clockwise",
               rotation=0, marker=dict(colors=[SYSTEM_STATUS_COLORS[s] for s in SYSTEM_STATUS_ORDER],
                                       line=dict(color=theme.BACKGROUND, width=max(1, round(scale)))),
               textinfo="none", domain=dict(x=[side * 0.09, side * 0.91], y=[0.09, 0.91]), name="系统状态",
               hovertemplate="%{label}<br><b>%{value}</b> 个系统（%{percent}）<extra></extra>"),
    ]
    cx = side / 2
    gap = (target - rate) * 100
    swatches = "   ".join(f"<span style='color:{SYSTEM_STATUS_COLORS[s]}'>●</span> {s} <b>{c}</b>"
                           for s, c in zip(SYSTEM_STATUS_ORDER[:2], counts[:2]))
    swatches2 = "   ".join(f"<span style='color:{SYSTEM_STATUS_COLORS[s]}'>●</span> {s} <b>{c}</b>"
                            for s, c in zip(SYSTEM_STATUS_ORDER[2:], counts[2:]))
    lines = [
        f"<span style='color:{theme.MUTED}'>目标</span> <b style='color:{theme.WARN}'>≥ {fmt.percent(target, 0)}</b>"
        + (f"<span style='color:{theme.MUTED}'> · {fmt.day(deadline)}</span>" if not _missing(deadline) else ""),
        (f"<b style='color:{theme.GOOD}'>已达标</b>" if met else
         f"<span style='color:{theme.MUTED}'>距目标</span> <b style='color:{color}'>{gap:.1f}</b>"
         f"<span style='color:{theme.MUTED}'> 个百分点</span>"),
        swatches, swatches2,
        f"<span style='color:{theme.MUTED}'>非涉密系统</span> <b>{fmt.count(sum(counts))}</b>"
        + (f"<span style='color:{theme.MUTED}'> · 逾期未迁</span> <b style='color:{theme.BAD}'>{int(_num(row.get('behind_plan')) or 0)}</b>"
           if "behind_plan" in row.index else ""),
    ]
    step = 1.0 / (len(lines) + 0.4)
    annotations = [
        dict(text=fmt.percent(rate), x=cx, y=0.56, xref="paper", yref="paper", showarrow=False,
             font=dict(size=_px(24, scale), color=color, family=NUMBER_FONT)),
        dict(text="上云率", x=cx, y=0.33, xref="paper", yref="paper", showarrow=False,
             font=dict(size=_px(12, scale), color=theme.MUTED)),
    ] + [dict(text=text, x=side + 0.06, y=1 - step * (i + 0.7), xref="paper", yref="paper", xanchor="left",
              yanchor="middle", showarrow=False, align="left",
              font=dict(size=_px(15 if i < 2 else 13.5, scale), color=theme.TEXT)) for i, text in enumerate(lines)]
    return go.Figure(data=data, layout=_base_layout(width, height, scale, "cloud-ring", margin=(6, 4, 6, 6),
                                                     annotations=annotations))


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


def dept_migration_stack(by_dept_status: pd.DataFrame | None, departments: pd.DataFrame | None, n: int = 8, *,
                         width: int = 436, height: int = 216, scale: float = 1.0) -> go.Figure:
    """部门上云状态: the departments furthest behind, their systems stacked 已上云 / 迁移中 / 未迁移 / 暂缓."""
    frame = migration_laggards(by_dept_status, departments, n)
    if frame.empty:
        return empty_figure(width, height, scale, uirevision="dept-migration")
    labels = list(frame["name"])
    hrefs = [department_href(d) for d in frame["dept_id"]]
    data = []
    for status in SYSTEM_STATUS_ORDER:
        counts = frame[status].astype(int).to_numpy()
        data.append(go.Bar(
            name=status, orientation="h", y=labels, x=counts.tolist(), marker=dict(color=SYSTEM_STATUS_COLORS[status], line=dict(width=0)),
            customdata=[[h, nm, c, fmt.percent(r)] for h, nm, c, r in zip(hrefs, labels, counts, frame["cloud_migration_rate"])],
            hovertemplate=("<b>%{customdata[1]}</b><br>" + status + " <b>%{customdata[2]}</b> 个"
                           "<br>部门上云率 %{customdata[3]}<extra></extra>"),
        ))
    totals = frame["total"].astype(float).to_numpy()
    xmax = float(totals.max()) if len(totals) else 1.0
    annotations = [dict(x=t, y=nm, text=fmt.percent(r, 0), xanchor="left", xshift=_px(5, scale), showarrow=False,
                        font=dict(size=_px(12, scale), color=theme.MUTED, family=NUMBER_FONT))
                   for t, nm, r in zip(totals, labels, frame["cloud_migration_rate"])]
    left = max(text_px(label, 13) for label in labels) + 12
    layout = _base_layout(
        width, height, scale, "dept-migration", margin=(left, 40, 30, 20), barmode="stack", bargap=0.35,
        xaxis=_axis(scale, range=[0, xmax * 1.02], nticks=5, showgrid=True),
        yaxis=_axis(scale, type="category", autorange="reversed", showgrid=False,
                    tickfont=dict(size=_px(13, scale), color=theme.TEXT), ticklabelstandoff=round(6 * scale)),
        annotations=annotations + [dict(
            text="   ".join(f"<span style='color:{SYSTEM_STATUS_COLORS[s]}'>■</span> {s}" for s in SYSTEM_STATUS_ORDER),
            x=0, y=1, xref="paper", yref="paper", xanchor="left", yanchor="bottom", yshift=_px(6, scale),
            showarrow=False, font=dict(size=_px(12.5, scale), color=theme.MUTED))],
    )
    return go.Figure(data=data, layout=layout)


def migration_burnup(burnup: pd.DataFrame | None, target: float | None = CLOUD_DEFAULT_TARGET, *, today=None,
                     width: int = 436, height: int = 134, scale: float = 1.0) -> go.Figure:
    """上云燃尽（累计）: systems actually on the cloud against the plan, month by month, with the
    target line (target × non-classified systems). Actuals stop at the current month."""
    if not has_columns(burnup, "month", "planned_cum", "actual_cum"):
        return empty_figure(width, height, scale, uirevision="burnup")
    frame = burnup.sort_values("month")
    months = pd.to_datetime(frame["month"])
    now_month = pd.Timestamp(today or datetime.now()).to_period("M").to_timestamp()
    actual = frame["actual_cum"].astype(float).where(months <= now_month)
    planned = frame["planned_cum"].astype(float)
    month_text = [f"{m.year}年{m.month}月" for m in months]
    month_axis = months.dt.strftime("%Y-%m-%d").tolist()
    data = [
        go.Scatter(name="计划累计", x=month_axis, y=planned.tolist(), mode="lines", line=dict(color=theme.WARN, width=_px(1.8, scale), dash="dash"),
                   customdata=[[t, fmt.count(v)] for t, v in zip(month_text, planned)],
                   hovertemplate="%{customdata[0]}<br>计划累计上云 <b>%{customdata[1]}</b> 个<extra></extra>"),
        go.Scatter(name="实际累计", x=month_axis, y=[None if pd.isna(v) else float(v) for v in actual], mode="lines", line=dict(color=theme.ACCENT, width=_px(2.4, scale)),
                   fill="tozeroy", fillcolor="rgba(39,211,255,0.14)",
                   customdata=[[t, fmt.count(None if pd.isna(v) else v)] for t, v in zip(month_text, actual)],
                   hovertemplate="%{customdata[0]}<br>实际累计上云 <b>%{customdata[1]}</b> 个<extra></extra>"),
    ]
    total = _num(frame["total"].iloc[-1]) if "total" in frame.columns else None
    ymax = max(float(np.nanmax(planned)) if len(planned) else 0, float(np.nanmax(actual)) if actual.notna().any() else 0,
               total or 0)
    target = CLOUD_DEFAULT_TARGET if _num(target) is None else float(target)
    shapes, annotations = [], []
    if total:
        goal = target * total
        shapes.append(dict(type="line", xref="paper", x0=0, x1=1, y0=goal, y1=goal,
                           line=dict(color=theme.GOOD, width=_px(1.4, scale), dash="dot")))
        annotations.append(dict(x=0, y=goal, xref="paper", text=f"{fmt.percent(target, 0)}目标 {fmt.count(goal)} 个",
                                xanchor="left", yanchor="bottom", showarrow=False,
                                font=dict(size=_px(11.5, scale), color=theme.GOOD)))
    if months.min() <= now_month <= months.max():
        shapes.append(dict(type="line", x0=now_month, x1=now_month, yref="paper", y0=0, y1=1,
                           line=dict(color=theme.MUTED, width=max(1, round(scale)), dash="dot")))
    annotations.append(dict(
        text=f"<span style='color:{theme.ACCENT}'>━</span> 实际累计   <span style='color:{theme.WARN}'>╍</span> 计划累计",
        x=0, y=1, xref="paper", yref="paper", xanchor="left", yanchor="bottom", yshift=_px(6, scale), showarrow=False,
        font=dict(size=_px(12, scale), color=theme.MUTED)))
    last = actual.dropna()
    if len(last):
        annotations.append(dict(
            text=f"已上云 <b style='color:{theme.ACCENT}'>{fmt.count(last.iloc[-1])}</b>"
                 + (f" / {fmt.count(total)} 个" if total else " 个"),
            x=1, y=1, xref="paper", yref="paper", xanchor="right", yanchor="bottom", yshift=_px(6, scale),
            showarrow=False, font=dict(size=_px(12.5, scale), color=theme.TEXT)))
    ticks = nice_ticks(ymax, 3)
    layout = _base_layout(
        width, height, scale, "burnup", margin=(40, 10, 26, 22), shapes=shapes, annotations=annotations,
        xaxis=_axis(scale, type="date", tickformat="%Y-%m", nticks=5, showgrid=False, ticks="outside",
                    ticklen=_px(3, scale), tickcolor=theme.GRID),
        yaxis=_axis(scale, range=[0, ticks[-1] * 1.04], tickvals=ticks, ticktext=[tick_text(t) for t in ticks]),
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
                         scale: float = 1.0) -> go.Figure:
    """事件时段热力: 近30日 incidents by hour of day × weekday."""
    if not has_columns(hour_weekday, "weekday", "hour", "incidents"):
        return empty_figure(width, height, scale, uirevision="hour-weekday")
    z = hour_weekday_matrix(hour_weekday)
    days = list(fmt.WEEKDAYS_SHORT)
    hours = [f"{h}时" for h in range(24)]
    hrefs = [[_href("/incidents", weekday=d, hour=h) for h in range(24)] for d in range(7)]
    gap = max(1, round(2 * scale))
    data = [go.Heatmap(
        z=z.tolist(), x=hours, y=days, colorscale=HEAT_SCALE, zmin=0, xgap=gap, ygap=gap, customdata=hrefs,
        colorbar=dict(thickness=_px(8, scale), len=1, x=1.0, xpad=_px(4, scale), outlinewidth=0,
                      tickfont=dict(size=_px(10.5, scale), color=theme.MUTED)),
        hovertemplate="%{y} %{x}<br>近30日事件 <b>%{z:,.0f}</b> 件<extra></extra>",
    )]
    peak = np.unravel_index(int(np.argmax(z)), z.shape)
    layout = _base_layout(
        width, height, scale, "hour-weekday", margin=(40, 6, 22, 26),
        xaxis=_axis(scale, tickvals=[hours[h] for h in range(0, 24, 3)], ticktext=[str(h) for h in range(0, 24, 3)],
                    showgrid=False, ticks=""),
        yaxis=_axis(scale, autorange="reversed", showgrid=False, ticks="", tickfont=dict(size=_px(12, scale), color=theme.TEXT)),
        annotations=[dict(text=f"高峰 <b style='color:{theme.WARN}'>{days[peak[0]]} {peak[1]}时</b> · "
                               f"{fmt.count(z[peak])} 件   <span style='color:{theme.MUTED}'>横轴：时</span>",
                          x=0, y=1, xref="paper", yref="paper", xanchor="left", yanchor="bottom", yshift=_px(5, scale),
                          showarrow=False, font=dict(size=_px(12, scale), color=theme.TEXT))],
    )
    return go.Figure(data=data, layout=layout)


def category_district_matrix(category_district: pd.DataFrame | None, regions: pd.DataFrame | None,
                             max_categories: int = 8) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """(categories, district ids, district names, z) for the category × district heatmap.

    Districts in the order of the regions frame (stable from refresh to refresh), then any others the
    incidents name (e.g. 未知区域); categories by their 近30日 total, the largest ``max_categories``.
    (A reshape of the small published frame, a few hundred rows: plain Python is faster than pandas.)
    """
    if not has_columns(category_district, "category", "district_id", "incidents"):
        return [], [], [], np.zeros((0, 0))
    cats = [str(c) for c in category_district["category"].tolist()]
    dists = [str(d) for d in category_district["district_id"].tolist()]
    values = [float(v) for v in category_district["incidents"].tolist()]
    known: list[str] = []
    if has_columns(regions, "region_id"):
        ids = [str(r) for r in regions["region_id"].tolist()]
        levels = regions["level"].tolist() if "level" in regions.columns else ["区县"] * len(ids)
        known = sorted(r for r, lv in zip(ids, levels) if lv == "区县")
    present = set(dists)
    districts = [d for d in known if d in present] + sorted(present - set(known))
    totals: dict[str, float] = {}
    for c, v in zip(cats, values):
        totals[c] = totals.get(c, 0.0) + v
    categories = sorted(totals, key=lambda c: (-totals[c], c))[:max_categories]
    row = {c: i for i, c in enumerate(categories)}
    col = {d: j for j, d in enumerate(districts)}
    z = np.zeros((len(categories), len(districts)))
    for c, d, v in zip(cats, dists, values):
        if c in row:
            z[row[c], col[d]] += v
    names = _names(regions, "region_id", "name")
    return categories, districts, [names.get(d, d) for d in districts], z


def category_district_heatmap(category_district: pd.DataFrame | None, regions: pd.DataFrame | None, *,
                              focus: str | None = None, width: int = 400, height: int = 250,
                              scale: float = 1.0, max_categories: int | None = None) -> go.Figure:
    """分类 × 区县: 近30日 incidents of the largest categories in each district, counts in the cells."""
    if max_categories is None:
        max_categories = max(3, min(10, int((height / scale - 48) // 24)))
    categories, districts, names, z = category_district_matrix(category_district, regions, max_categories)
    if not categories:
        return empty_figure(width, height, scale, uirevision="category-district")
    hrefs = [[district_href(d, category=c) for d in districts] for c in categories]
    gap = max(1, round(2 * scale))
    show_text = (width - 90 * scale) / max(len(districts), 1) >= 30 * scale
    data = [go.Heatmap(
        z=z.tolist(), x=names, y=categories, colorscale=HEAT_SCALE, zmin=0, xgap=gap, ygap=gap, showscale=False,
        customdata=hrefs, texttemplate="%{z:,.0f}" if show_text else None,
        textfont=dict(size=_px(11, scale), color="#ffffff", family=NUMBER_FONT),
        hovertemplate="%{x} · %{y}<br>近30日事件 <b>%{z:,.0f}</b> 件<extra></extra>",
    )]
    tilted = len(districts) > 8
    left = max(text_px(c, 12) for c in categories) + 8
    bottom = (max(text_px(n, 12) for n in names) * 0.6 + 14) if tilted else 24
    layout = _base_layout(
        width, height, scale, "category-district", margin=(left, 4, 6, bottom),
        xaxis=_axis(scale, side="bottom", showgrid=False, ticks="", type="category",
                    tickangle=-35 if tilted else 0, tickfont=dict(size=_px(12, scale), color=theme.TEXT)),
        yaxis=_axis(scale, autorange="reversed", showgrid=False, ticks="", type="category",
                    tickfont=dict(size=_px(12, scale), color=theme.TEXT)),
    )
    if focus in districts:
        i = districts.index(focus)
        layout["shapes"] = [dict(type="rect", xref="x", yref="paper", x0=i - 0.5, x1=i + 0.5, y0=0, y1=1,
                                 line=dict(color=theme.WARN, width=_px(2, scale)))]
    return go.Figure(data=data, layout=layout)


# ---- 目标指标 --------------------------------------------------------------------------------------

def _progress(current, target, comparator: str) -> float | None:
    """Achievement 0..1+ toward a target (for '<=', reaching a value at or under the target)."""
    cur, tgt = _num(current), _num(target)
    if cur is None or tgt is None:
        return None
    if comparator == "<=":
        return 1.0 if cur <= tgt else (tgt / cur if cur else 0.0)
    return cur / tgt if tgt else 1.0


def ordered_targets(targets: pd.DataFrame | None) -> pd.DataFrame:
    """Targets in a stable order for the wall: 省级 first, then by deadline and name."""
    if not has_columns(targets, "name", "target"):
        return pd.DataFrame(columns=["name", "target"])
    frame = targets.copy()
    frame["_level"] = frame["level"].map({"省": 0, "市": 1}).fillna(2) if "level" in frame.columns else 2
    frame["_deadline"] = pd.to_datetime(frame["deadline"]) if "deadline" in frame.columns else pd.NaT
    return frame.sort_values(["_level", "_deadline", "name"], kind="mergesort").drop(
        columns=["_level", "_deadline"]).reset_index(drop=True)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def target_bullets(targets: pd.DataFrame | None, *, width: int = 620, height: int = 250, scale: float = 1.0) -> go.Figure:
    """省级/市级目标指标: one bullet per target — the actual as a bar in its status colour and the target
    as a tick; the name, deadline and status above, actual / target beside; the source document on hover.

    Rates are drawn on 0–100%; counts on 0 to a little past the larger of target and actual. Targets
    that do not fit the panel are counted in a note (the 目标 drill-down lists them all).
    """
    frame = ordered_targets(targets)
    if frame.empty:
        return empty_figure(width, height, scale, uirevision="target-bullets")
    n = len(frame)
    row_h = 35 * scale
    cols = 1 if n * row_h <= height or width < 520 * scale else 2
    rows_fit = max(1, int(height // row_h))
    capacity = rows_fit * cols
    shown = frame if n <= capacity else frame.head(capacity - 1)
    rows = math.ceil(len(shown) / cols) if n <= capacity else rows_fit
    col_w, col_gap, track = 1.0, 0.07, 0.62
    name_chars = max(6, int((width / cols / scale - 150) // 12.5))
    base, ys, lens, colors, custom, tgt_x, tgt_y, annotations = [], [], [], [], [], [], [], []
    labels: dict[str, list] = {"name": [], "status": [], "value": []}
    for i, t in enumerate(shown.itertuples(index=False)):
        c, r = divmod(i, rows)
        x0 = c * (col_w + col_gap)
        unit = getattr(t, "unit", "%") or "%"
        comparator = getattr(t, "comparator", ">=") or ">="
        target, current = _num(t.target), _num(getattr(t, "current", None))
        # rates on 0–100%; counts on 0 to a little past the larger of target and actual
        axis_max = max(1.0, target or 0, current or 0) if unit == "%" else (max(target or 0, current or 0) * 1.15 or 1.0)
        status = getattr(t, "status", "") or ""
        color = STATUS_COLORS.get(status, theme.MUTED)
        y = r + 0.74
        frac = 0.0 if current is None else max(0.0, min(current / axis_max, 1.0))
        base.append(x0)
        ys.append(y)
        lens.append(frac * track)
        colors.append(color)
        deadline = getattr(t, "deadline", None)
        doc = getattr(t, "source_doc", "") or "—"
        level = getattr(t, "level", "") or ""
        sign = {">=": "≥", "<=": "≤", "==": "="}.get(comparator, "")
        forecast = _num(getattr(t, "forecast", None))
        custom.append([_href("/targets", target=getattr(t, "target_id", None)), t.name, level, value_text(current, unit),
                       f"{sign} {value_text(target, unit)}", fmt.day(deadline), status or "—", doc,
                       value_text(forecast, unit) if forecast is not None else "—"])
        if target is not None:
            tgt_x.append(x0 + track * min(target / axis_max, 1.0))
            tgt_y.append(y)
        dl = pd.Timestamp(deadline) if not _missing(deadline) else None
        # the labels are text traces, not annotations: plotly lays out one text trace far faster than
        # dozens of annotations (this panel is on the wall's first paint)
        labels["name"].append((x0, r + 0.3, f"<span style='color:{theme.ACCENT if level == '省' else theme.MUTED}'>{level}</span> "
                                            f"{_short(str(t.name), name_chars)}"))
        labels["status"].append((x0 + col_w, r + 0.3,
                                 (f"<span style='color:{theme.MUTED}'>{dl.year}-{dl.month:02d}</span> " if dl is not None else "")
                                 + f"<b style='color:{color}'>{status}</b>"))
        labels["value"].append((x0 + col_w, y, f"<b style='color:{color}'>{value_text(current, unit)}</b>"
                                               f"<span style='color:{theme.MUTED}'> / {sign}{value_text(target, unit)}</span>"))
    hover = ("<b>%{customdata[1]}</b>（%{customdata[2]}级）<br>实际 <b>%{customdata[3]}</b> · 目标 %{customdata[4]}"
             "<br>期限 %{customdata[5]} · %{customdata[6]}<br>趋势预测（期限日） %{customdata[8]}"
             "<br>依据：%{customdata[7]}<extra></extra>")
    data = [
        go.Bar(orientation="h", base=base, x=[track] * len(base), y=ys, width=0.3,
               marker=dict(color="rgba(39,211,255,0.08)", line=dict(color=theme.GRID, width=max(1, round(scale)))),
               customdata=custom, hovertemplate=hover, name="目标"),
        go.Bar(orientation="h", base=base, x=lens, y=ys, width=0.18, marker=dict(color=colors, line=dict(width=0)),
               customdata=custom, hovertemplate=hover, name="实际"),
        go.Scatter(x=tgt_x, y=tgt_y, mode="markers", hoverinfo="skip", name="目标值",
                   marker=dict(symbol="line-ns", size=_px(15, scale), line=dict(color=theme.WARN, width=_px(2.5, scale)))),
    ]
    for key, position, size, family in (("name", "middle right", 12.5, None), ("status", "middle left", 12, None),
                                        ("value", "middle left", 13, NUMBER_FONT)):
        xs_, ys_, texts_ = zip(*labels[key])
        data.append(go.Scatter(x=list(xs_), y=list(ys_), text=list(texts_), mode="text", textposition=position,
                               textfont=dict(size=_px(size, scale), color=theme.TEXT, **({"family": family} if family else {})),
                               hoverinfo="skip", cliponaxis=False, name=f"标签-{key}"))
    if len(shown) < n:
        annotations.append(dict(
            text=f"另有 {n - len(shown)} 项目标 · 点击查看全部 ›", x=(cols - 1) * (col_w + col_gap) + col_w,
            y=rows - 0.5, xref="x", yref="y", xanchor="right", yanchor="middle", showarrow=False,
            font=dict(size=_px(12, scale), color=theme.ACCENT)))
    layout = _base_layout(
        width, height, scale, "target-bullets", margin=(2, 4, 0, 0), barmode="overlay",
        xaxis=dict(visible=False, range=[-0.005, cols * col_w + (cols - 1) * col_gap + 0.005], fixedrange=True),
        yaxis=dict(visible=False, range=[rows, 0], fixedrange=True),
        annotations=annotations, hovermode="closest",
    )
    return go.Figure(data=data, layout=layout)
