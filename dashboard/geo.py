"""The city's geography: district / street / grid polygons from local GeoJSON, keyed by region_id.

A real city points ``[city.geo]`` at its GIS export (any id property, e.g. ``adcode``); the demo city
uses the GeoJSON it generated. Coordinates are drawn as given (usually GCJ-02).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import orjson
import pandas as pd

from dashboard.settings import Settings, SettingsError

LEVEL_FILES = (("区县", "districts"), ("镇街", "streets"), ("网格", "grids"))


@dataclass(frozen=True)
class Geography:
    layers: dict[str, dict] = field(default_factory=dict)  # level → FeatureCollection (feature id = region_id)
    regions: pd.DataFrame = field(default_factory=pd.DataFrame)  # region_id, name, level, parent_id, lon, lat
    bounds: tuple[float, float, float, float] = (73.0, 18.0, 135.0, 54.0)

    @property
    def center(self) -> tuple[float, float]:
        return (self.bounds[0] + self.bounds[2]) / 2, (self.bounds[1] + self.bounds[3]) / 2

    def layer(self, level: str) -> dict | None:
        return self.layers.get(level)


def outer_rings(geometry: dict | None) -> list:
    """The outer ring of each polygon of a Polygon or MultiPolygon (holes and other types ignored)."""
    kind, coords = (geometry or {}).get("type"), (geometry or {}).get("coordinates") or []
    if kind == "Polygon":
        return coords[:1]
    if kind == "MultiPolygon":
        return [polygon[0] for polygon in coords if polygon]
    return []


def rings_bounds(rings) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) over the rings' points; None without any."""
    xs, ys = [], []
    for ring in rings:
        xs.extend(p[0] for p in ring)
        ys.extend(p[1] for p in ring)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _centroid(geometry: dict) -> tuple[float, float]:
    """Area-weighted centroid of the outer rings (good enough for labels and density points)."""
    total = cx = cy = 0.0
    for ring in outer_rings(geometry):
        for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
            cross = x0 * y1 - x1 * y0
            total += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
    if abs(total) < 1e-15:
        ring = outer_rings(geometry)[0]
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    return cx / (3 * total), cy / (3 * total)


def load_layer(path: Path, level: str, id_property: str, name_property: str) -> tuple[dict, pd.DataFrame]:
    """Read one GeoJSON file, set each feature's id to its ``id_property`` as text, list its regions."""
    try:
        collection = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise SettingsError(f"city.geo: 找不到 GeoJSON 文件 {path}") from None
    except orjson.JSONDecodeError as exc:
        raise SettingsError(f"city.geo: {path} 不是合法的 JSON: {exc}") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not features:
        raise SettingsError(f"city.geo: {path} 不是含要素的 FeatureCollection")
    records = []
    for feature in features:
        props = feature.get("properties") or {}
        if id_property not in props:
            raise SettingsError(f"city.geo.id_property = {id_property!r}: {path} 的要素没有该属性；"
                                f"可用属性: {sorted(props)}")
        region_id = str(props[id_property])
        feature["id"] = region_id
        lon, lat = _centroid(feature["geometry"])
        parent = props.get("parent_id")
        if isinstance(parent, dict):  # DataV-style exports nest the parent as {"adcode": …}
            parent = parent.get(id_property)
        records.append({"region_id": region_id, "name": str(props.get(name_property, region_id)), "level": level,
                        "parent_id": None if parent is None or level == "区县" else str(parent),
                        "lon": lon, "lat": lat})
    return collection, pd.DataFrame(records)


def _bounds(collections: list[dict]) -> tuple[float, float, float, float]:
    return rings_bounds(ring for collection in collections for feature in collection["features"]
                        for ring in outer_rings(feature["geometry"]))


def geo_paths(settings: Settings) -> dict[str, Path]:
    """level → GeoJSON path: the configured files, or the demo city's generated ones."""
    geo = settings.city.geo
    if geo.districts:
        configured = {"区县": geo.districts, "镇街": geo.streets, "网格": geo.grids}
        return {level: settings.resolve(p) for level, p in configured.items() if p}
    from datasources.demo import demo_geo_dir

    folder = demo_geo_dir(settings)
    return {level: folder / f"{stem}.geojson" for level, stem in LEVEL_FILES if (folder / f"{stem}.geojson").exists()}


def load_geography(settings: Settings) -> Geography:
    geo = settings.city.geo
    id_property = geo.id_property if geo.districts else "region_id"
    name_property = geo.name_property if geo.districts else "name"
    return _load(tuple(sorted((lv, str(p)) for lv, p in geo_paths(settings).items())), id_property, name_property)


@lru_cache(maxsize=8)
def _load(paths: tuple[tuple[str, str], ...], id_property: str, name_property: str) -> Geography:
    layers, frames = {}, []
    for level, path in paths:
        collection, regions = load_layer(Path(path), level, id_property, name_property)
        layers[level] = collection
        frames.append(regions)
    if not layers:
        return Geography()
    return Geography(layers, pd.concat(frames, ignore_index=True), _bounds(list(layers.values())))


def fit_zoom(bounds: tuple[float, float, float, float], width_px: int, height_px: int, padding: float = 0.05) -> float:
    """The web-mercator zoom that fits ``bounds`` into a map of the given pixel size."""
    min_lon, min_lat, max_lon, max_lat = bounds

    def merc(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lon_zoom = math.log2(width_px * 360 / (512 * max(max_lon - min_lon, 1e-6)))
    lat_zoom = math.log2(height_px * 2 * math.pi / (512 * max(merc(max_lat) - merc(min_lat), 1e-9)))
    return max(0.0, min(lon_zoom, lat_zoom) - math.log2(1 + 2 * padding))
