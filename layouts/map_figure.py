"""一张图: the incident map figure. Without a tile server an SVG map on plain axes (one filled trace per
district, the density glow as a PNG, names as a text trace); with one a MapLibre map over the tiles.
The rules of :mod:`layouts.figure_base` hold here."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import formatting as fmt
from dashboard.geo import fit_zoom
from dashboard.selections import _density_points, _names, _num, district_incidents, has_columns
from layouts import map_labels, theme
from layouts.figure_base import DENSITY_SCALE, MAP_SCALE, _base_layout, _px, empty_figure, scale_max
from layouts.links import district_href
from layouts.map_projection import (_mercator, display_layer, feature_bounds, fit_view, project, svg_layer)
from layouts.raster import (LONE_POINT_LEVEL, _parse_colour, _rgba, density_levels, density_raster, gaussian_kernel,
                            png_data_uri, png_indexed, sample_scale, scale_palette)

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


DISTRICT_OUTLINE = "#5fd8ff"


DIMMED = 0.35  # opacity of the districts around the one in focus


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
