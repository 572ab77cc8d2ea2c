"""Selections: small pure functions from published frames and a scope (全市, or one district) to
what a panel draws. They only pick rows of frames that dashboard/incident_frames.py aggregated at
pull time; none groups incident rows.

``district`` is a 区县 region_id, or None for 全市.
"""
from __future__ import annotations

import pandas as pd


def _rows_of(frame: pd.DataFrame | None, district: str, column: str = "district_id") -> pd.DataFrame | None:
    if not isinstance(frame, pd.DataFrame) or column not in frame.columns:
        return None
    return frame[frame[column].astype(str) == str(district)].drop(columns=[column]).reset_index(drop=True)


def scoped(city: pd.DataFrame | None, by_district: pd.DataFrame | None, district: str | None) -> pd.DataFrame | None:
    """The city frame, or the district's rows of its ``*_by_district`` twin (same columns)."""
    return city if district is None else _rows_of(by_district, district)


def latest_incidents(latest: pd.DataFrame | None, latest_by_district: pd.DataFrame | None,
                     district: str | None) -> pd.DataFrame | None:
    """The ticker's newest incidents: the city's, or the district's own newest (never the city's
    filtered, which would leave a quiet district with few rows)."""
    if district is None or not isinstance(latest_by_district, pd.DataFrame):
        return latest
    return latest_by_district[latest_by_district["district_id"].astype(str) == str(district)].reset_index(drop=True)


def area_counts(by_district: pd.DataFrame | None, by_street: pd.DataFrame | None,
                district: str | None) -> pd.DataFrame | None:
    """The counts of the areas a view ranks, with their id as ``area_id``: the districts of the
    city, or the streets (镇街) of one district."""
    if district is None:
        if not isinstance(by_district, pd.DataFrame) or "district_id" not in by_district.columns:
            return None
        return by_district.rename(columns={"district_id": "area_id"})
    streets = _rows_of(by_street, district)
    return None if streets is None else streets.rename(columns={"street_id": "area_id"})


def category_columns(category_district: pd.DataFrame | None, category_street: pd.DataFrame | None,
                     district: str | None) -> pd.DataFrame | None:
    """category × column counts (``category``, ``column_id``, ``incidents``) of the 分类 heatmap: the
    city's columns are its districts, a district's are its streets."""
    if district is None:
        frame, column = category_district, "district_id"
    else:
        frame, column = _rows_of(category_street, district), "street_id"
    if not isinstance(frame, pd.DataFrame) or column not in frame.columns:
        return None
    return frame[["category", column, "incidents"]].rename(columns={column: "column_id"})


def period_row(summary: pd.DataFrame | None, period: str) -> pd.Series | None:
    """The row of an incident summary (city or district) for one period label (今日, 近30日, …)."""
    if not isinstance(summary, pd.DataFrame) or "period" not in summary.columns:
        return None
    rows = summary[summary["period"] == period]
    return None if rows.empty else rows.iloc[0]


def area_order(regions: pd.DataFrame | None, district: str | None, present) -> list[str]:
    """Column order of the 分类 heatmap: the city's districts (or the district's streets) by
    region_id as the regions frame lists them, then any others the counts name (e.g. 未知区域)."""
    present = [str(p) for p in present]
    known: list[str] = []
    if isinstance(regions, pd.DataFrame) and "region_id" in regions.columns:
        ids = regions["region_id"].astype(str)
        if district is None:
            level = regions["level"] if "level" in regions.columns else pd.Series("区县", index=regions.index)
            known = sorted(ids[level == "区县"])
        else:
            parent = "district_id" if "district_id" in regions.columns else "parent_id"
            if parent in regions.columns and "level" in regions.columns:
                known = sorted(ids[(regions["level"] == "镇街") & (regions[parent].astype(str) == str(district))])
    seen = set(present)
    return [k for k in known if k in seen] + sorted(seen - set(known))
