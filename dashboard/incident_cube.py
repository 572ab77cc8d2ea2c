"""The incidents cube the /incidents drill-down selects from, built once per pull.

Every frame is keyed by categorical columns (region ids, category, source, status as pandas
categoricals, written to Parquet as dictionaries) and carries additive measures, so any selection
(a region of any level, a period, a category, a source, a status) is a sum over rows of one frame:

* ``cube_district`` / ``cube_street`` / ``cube_grid``: day × region × category × source × status
  with ``incidents``, ``closed``, ``ontime``, ``handling_hours`` (the closed ones' closed_at −
  reported_at, summed) and ``overdue`` (open and past its deadline at the pull). The district and
  street roll-ups serve the city, district and street selections with far fewer rows than the
  grid cube (at 2,000,000 incidents about 120 k, 430 k and 1.4 M rows);
* ``hours_district``: day × hour × 区县 × category × source × status, for the hour × weekday
  heatmap and a selection of one weekday or hour (a cell of the wall's heatmap) of the city or a
  district. Its size is bounded by days × 24 × districts × keys whatever the incident count (an
  hour cube by 网格 had almost one row per incident: 1.9 M rows for 2 M incidents); the hour
  questions of a 镇街 or 网格 (a few thousand incidents each) are answered from ``detail``;
* ``detail``: one row per incident, newest first, for the paged table, its download, the hour
  questions below 区县 and the density of points below the last polygon level.

``grid_id`` is the incident's own region id (a 网格 in the demo city; whatever the source gives
elsewhere, e.g. a 区县 where the city has district polygons only).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.incident_arrays import row_measures
from dashboard.incident_frames import region_of
from datasources.contracts import CLOSED

KEYS = ("category", "source", "status")
MEASURES = ("incidents", "closed", "ontime", "handling_hours", "overdue")
LEVEL_KEYS = {"district": ("district_id",), "street": ("district_id", "street_id"),
              "grid": ("district_id", "street_id", "grid_id")}
DETAIL_COLUMNS = ("incident_id", "reported_at", "district_id", "street_id", "grid_id", "category", "source",
                  "status", "deadline_at", "closed_at", "handling_hours", "overdue", "lon", "lat", "id_rank")
#: every frame this module publishes with its columns, in order (the frame-schema registry's entries)
FRAME_COLUMNS: dict[str, tuple[str, ...]] = {
    **{f"cube_{level}": ("day", *keys, *KEYS, *MEASURES) for level, keys in LEVEL_KEYS.items()},
    "hours_district": ("day", "hour", *LEVEL_KEYS["district"], *KEYS, *MEASURES),
    "detail": DETAIL_COLUMNS,
}


def _categorical(values: pd.Series) -> pd.Series:
    return values.astype(str).astype("category") if not isinstance(values.dtype, pd.CategoricalDtype) else \
        values.cat.rename_categories(lambda c: str(c))


def incident_detail(rows: pd.DataFrame, now, regions: pd.DataFrame | None) -> pd.DataFrame:
    """One row per incident with its district, street and grid, handling hours and overdue flag,
    newest first (the table's default order)."""
    now = pd.Timestamp(now)
    closed = (rows["status"] == CLOSED).to_numpy()
    hours = ((rows["closed_at"] - rows["reported_at"]) / pd.Timedelta(hours=1)).where(closed)
    detail = pd.DataFrame({
        "incident_id": rows["incident_id"].astype(str),
        "reported_at": rows["reported_at"],
        "district_id": region_of(rows, regions, "district_id"),
        "street_id": region_of(rows, regions, "street_id"),
        "grid_id": _categorical(rows["region_id"].fillna("未知区域")),
        "category": _categorical(rows["category"]), "source": _categorical(rows["source"]),
        "status": _categorical(rows["status"]),
        "deadline_at": rows["deadline_at"], "closed_at": rows["closed_at"],
        "handling_hours": hours.astype(float),
        "overdue": (~closed & (rows["deadline_at"] < now).to_numpy()),
        "lon": rows["lon"].astype(float), "lat": rows["lat"].astype(float),
    })
    # each id's place in text order, so the table sorts by id without comparing strings
    detail["id_rank"] = pc.rank(pa.array(detail["incident_id"].to_numpy(dtype=object), pa.string()), "ascending") \
        .to_numpy().astype(np.int32)
    order = np.argsort(-detail["reported_at"].to_numpy().astype("datetime64[ns]").astype(np.int64), kind="stable")
    return detail.iloc[order].reset_index(drop=True)


def _rollup(frame: pd.DataFrame, keys: tuple[str, ...], measures: tuple[str, ...]) -> pd.DataFrame:
    """Sum ``measures`` by ``keys`` (categoricals grouped by their codes: grouping strings would cost
    seconds at millions of rows), keeping the categories."""
    codes = pd.DataFrame({k: frame[k].cat.codes if isinstance(frame[k].dtype, pd.CategoricalDtype) else frame[k]
                          for k in keys})
    summed = pd.concat([codes, frame[list(measures)]], axis=1).groupby(list(keys), sort=True, as_index=False).sum()
    for k in keys:
        if isinstance(frame[k].dtype, pd.CategoricalDtype):
            summed[k] = pd.Categorical.from_codes(summed[k].to_numpy(), dtype=frame[k].dtype)
    return summed


def incident_cube(detail: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The cube and its roll-ups (see the module's docstring) from :func:`incident_detail`."""
    base = pd.DataFrame({
        "day": detail["reported_at"].dt.normalize(), "hour": detail["reported_at"].dt.hour.astype(np.int8),
        **{k: detail[k] for k in (*LEVEL_KEYS["grid"], *KEYS)},
        **row_measures(detail),
    })
    base = base[base["day"].notna()]
    return cube_of(base, base, detail)


def cube_of(days: pd.DataFrame, hours: pd.DataFrame, detail: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The roll-ups from ``days`` (day, the district/street/grid ids, KEYS and MEASURES, at or below
    one day), ``hours`` (day, hour, district_id, KEYS and MEASURES, at or below one hour; aggregates
    pushed down into the source database are such), and ``detail``."""
    cube_grid = _rollup(days, ("day", *LEVEL_KEYS["grid"], *KEYS), MEASURES)
    cube_street = _rollup(cube_grid, ("day", *LEVEL_KEYS["street"], *KEYS), MEASURES)
    cube_district = _rollup(cube_street, ("day", *LEVEL_KEYS["district"], *KEYS), MEASURES)
    hours_district = _rollup(hours, ("day", "hour", *LEVEL_KEYS["district"], *KEYS), MEASURES)
    return {"cube_district": cube_district, "cube_street": cube_street, "cube_grid": cube_grid,
            "hours_district": hours_district, "detail": detail}
