"""Incident region ids that match nothing on the map.

With real GeoJSON and a regions source whose ids differ, every incident lands in 未知区域 and the map is
all zero while the tile counts thousands. The puller measures, once per publish, how many incident rows
have a region_id that reaches no district of the geography (neither an id in the GeoJSON nor, through
the regions dataset, a child of one), publishes it as the ``region_match`` frame of incidents, and
/status, ``run.py pull``, check-source and the map's caption report it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

EXAMPLES = 5
COLUMNS = ["rows", "with_region", "unmatched", "share", "examples"]


def geography_ids(settings) -> set[str] | None:
    """The district ids of the city's GeoJSON (the map's fills); None when the city has no map."""
    from dashboard.geo import load_geography
    from dashboard.settings import SettingsError

    try:
        regions = load_geography(settings).regions
    except (SettingsError, OSError):  # an unreadable GeoJSON is the map's to report; here: no map
        return None
    if not len(regions):
        return None
    return set(regions.loc[regions["level"] == "区县", "region_id"].astype(str)) or None


def region_match(rows: pd.DataFrame, district_ids: set[str] | None, regions: pd.DataFrame | None) -> pd.DataFrame | None:
    """One row: incident rows, rows with a region_id, rows whose region_id reaches no district of the map
    (itself, or its 区县 through the regions dataset), their share of all rows, and the commonest unmatched
    ids with counts ("G9（120）、X1（3）"). None without a map."""
    if not district_ids or "region_id" not in rows.columns:
        return None
    # judge each distinct id once (a city has thousands of grids, a pull millions of rows)
    codes, ids = pd.factorize(rows["region_id"])
    district = pd.Series(ids, dtype=object)
    if regions is not None and len(regions) and "district_id" in regions.columns:
        lookup = pd.Series(regions["district_id"].to_numpy(), index=regions["region_id"].to_numpy())
        district = district.map(lookup[~lookup.index.duplicated()]).fillna(district)
    off_map = ~district.isin(district_ids).to_numpy()
    per_id = np.bincount(codes[codes >= 0], minlength=len(ids))  # factorize codes missing ids as -1
    unmatched = int(per_id[off_map].sum())
    top = pd.Series(per_id[off_map], index=ids[off_map]).sort_values(ascending=False, kind="stable").head(EXAMPLES)
    examples = "、".join(f"{rid}（{n}）" for rid, n in top.items())
    total = len(rows)
    return pd.DataFrame([{"rows": total, "with_region": int((codes >= 0).sum()), "unmatched": unmatched,
                          "share": unmatched / total if total else 0.0, "examples": examples}], columns=COLUMNS)


def describe(frame: pd.DataFrame | None) -> str:
    """'1,234 条事件（12.3%）的区域编码不在地图中，例: G9（120）' or '' when all match."""
    from dashboard import formatting as fmt

    if frame is None or not len(frame) or not int(frame["unmatched"].iloc[0]):
        return ""
    row = frame.iloc[0]
    return (f"{fmt.count(row['unmatched'])} 条事件（{fmt.percent(row['share'])}）的区域编码不在地图中"
            f"，例: {row['examples']}")
