"""The map's geometry: web-mercator and km projections, a district layer prepared once per GeoJSON
layer for the SVG map (and for MapLibre), and the view that fits a box. numpy only."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from dashboard.geo import outer_rings, rings_bounds

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
