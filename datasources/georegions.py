"""The regions dataset built from the city's own geography (``kind = "geo"``): one region per
feature of the GeoJSON configured in ``[city.geo]``, so a real city needs no separate regions export.

Each feature gives ``region_id`` (its ``city.geo.id_property``), ``name`` (``name_property``),
``level`` (区县 / 镇街 / 网格, from the file it is in: districts, streets, grids) and ``parent_id``
(a ``parent_id`` property, or DataV's nested ``parent.<id_property>``). Every other property comes
along flattened (``parent.adcode``), so ``columns`` can map another one, e.g. ``"district_code" =
"parent_id"``. The contract then checks the result like any other source's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from datasources.adapters import SourceError

if TYPE_CHECKING:
    from dashboard.settings import Settings, SourceSettings


def read_geo(source: SourceSettings, settings: Settings) -> pd.DataFrame:
    from dashboard.geo import load_geography

    geography = load_geography(settings)
    if not geography.layers:
        raise SourceError(source.name, "kind = \"geo\" 需要在 [city.geo] 中配置 districts（区县边界 GeoJSON）")
    id_property = settings.city.geo.id_property if settings.city.geo.districts else "region_id"
    parts = []
    for level, collection in geography.layers.items():
        properties = pd.json_normalize([f.get("properties") or {} for f in collection["features"]], sep=".")
        regions = geography.regions[geography.regions["level"] == level].reset_index(drop=True)
        nested_parent = f"parent.{id_property}"
        if level != "区县" and nested_parent in properties.columns:
            regions["parent_id"] = regions["parent_id"].where(
                regions["parent_id"].notna(), properties[nested_parent].map(_id_text))
        properties = properties.drop(columns=[c for c in ("region_id", "name", "level", "parent_id")
                                              if c in properties.columns])
        parts.append(pd.concat([regions[["region_id", "name", "level", "parent_id"]], properties], axis=1))
    return pd.concat(parts, ignore_index=True)


def _id_text(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
