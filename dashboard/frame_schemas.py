"""The schemas of the published frames: for each dataset, each frame it publishes with its required
columns and the kind of each. The frame store checks every publish against them
(:meth:`dashboard.store.FrameStore.publish`), so a renamed column or frame refuses the publish with a
Chinese error naming the frame and the column, and the last good version stays, instead of a panel
quietly drawing 暂无数据.

**Adding a frame** (a puller publishing something new): add it under its dataset in
:data:`FRAME_SCHEMAS`, ``"frame name": {"column": KIND, …}``, with the columns its readers rely on
(more columns may be published). A frame not listed under a listed dataset is refused; a dataset
not listed at all is not checked (add it when it is published by the app). The kinds are checked on
the column's dtype only (no scan of the values), so a check costs the same at 2 million rows:

* ``TEXT``: strings (pandas ``str`` or ``object``); ``NUMBER``: integers or floats, not booleans;
* ``DATETIME``: ``datetime64``; ``BOOL``: booleans (or ``object`` holding them with gaps);
* ``CATEGORY``: a pandas categorical (the incidents cube's keys, compared by their codes).

An empty frame, or a column of missing values only, fits any kind.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandas.api import types

from dashboard.errors import MessageError

TEXT, NUMBER, DATETIME, BOOL, CATEGORY = "文本", "数值", "日期时间", "布尔", "分类"

_KIND_OK = {
    TEXT: lambda s: types.is_string_dtype(s) or types.is_object_dtype(s),
    NUMBER: lambda s: types.is_numeric_dtype(s) and not types.is_bool_dtype(s),
    DATETIME: types.is_datetime64_any_dtype,
    BOOL: lambda s: types.is_bool_dtype(s) or types.is_object_dtype(s),
    CATEGORY: lambda s: isinstance(s.dtype, pd.CategoricalDtype),
}

AS_OF = {"as_of": DATETIME, "rows": NUMBER}  # every dataset's pull time (dashboard/frames.py as_of_frame)
_INCIDENT_SUMMARY = {"period": TEXT, "incidents": NUMBER, "closed": NUMBER, "closure_rate": NUMBER,
                     "ontime_rate": NUMBER, "mean_handling_hours": NUMBER, "overdue_open": NUMBER,
                     "overdue_open_all": NUMBER, "open_all": NUMBER}
_AREA_COUNTS = {"district_id": TEXT, "incidents_30d": NUMBER, "open": NUMBER, "overdue": NUMBER, "today": NUMBER,
                "closed_recent": NUMBER, "closure_rate_30d": NUMBER}
_LATEST = {"incident_id": TEXT, "source": TEXT, "category": TEXT, "region_id": TEXT, "reported_at": DATETIME,
           "deadline_at": DATETIME, "status": TEXT, "district_id": TEXT, "overdue": BOOL}
_CATALOG_COUNTS = {c: NUMBER for c in ("resources", "shared", "unconditional", "conditional", "not_shared",
                                       "gov_resources", "gov_mounted", "city_resources", "city_mounted",
                                       "sharing_rate", "gov_aggregation_rate", "city_aggregation_rate")}
_SYSTEM_STATUS_COUNTS = {c: NUMBER for c in ("已上云", "迁移中", "未迁移", "暂缓")}
_HISTORY = {"indicator_id": TEXT, "date": DATETIME, "value": NUMBER}
_DEPT_TOTALS = {"dept_id": TEXT, "records": NUMBER, "api_calls": NUMBER}
_PAIRS = {"provider_dept": TEXT, "consumer_dept": TEXT, "records": NUMBER, "api_calls": NUMBER}
# the /incidents drill-down's cube (dashboard/incident_cube.py): keys, then additive measures
_CUBE_KEYS = {"category": CATEGORY, "source": CATEGORY, "status": CATEGORY}
_CUBE_MEASURES = {m: NUMBER for m in ("incidents", "closed", "ontime", "handling_hours", "overdue")}
_LEVEL_KEYS = {"district": {"district_id": CATEGORY}, "street": {"district_id": CATEGORY, "street_id": CATEGORY},
               "grid": {"district_id": CATEGORY, "street_id": CATEGORY, "grid_id": CATEGORY}}
_INCIDENT_CUBE = {
    **{f"cube_{level}": {"day": DATETIME, **keys, **_CUBE_KEYS, **_CUBE_MEASURES} for level, keys in _LEVEL_KEYS.items()},
    "hours_district": {"day": DATETIME, "hour": NUMBER, **_LEVEL_KEYS["district"], **_CUBE_KEYS, **_CUBE_MEASURES},
    "detail": {"incident_id": TEXT, "reported_at": DATETIME, **_LEVEL_KEYS["grid"], **_CUBE_KEYS,
               "deadline_at": DATETIME, "closed_at": DATETIME, "handling_hours": NUMBER, "overdue": BOOL,
               "lon": NUMBER, "lat": NUMBER, "id_rank": NUMBER},
}

FRAME_SCHEMAS: dict[str, dict[str, dict[str, str]]] = {
    "departments": {"departments": {"dept_id": TEXT, "name": TEXT}, "as_of": AS_OF},
    "regions": {"regions": {"region_id": TEXT, "name": TEXT, "level": TEXT, "parent_id": TEXT, "district_id": TEXT,
                            "street_id": TEXT}, "as_of": AS_OF},
    "catalog": {
        "summary": {**_CATALOG_COUNTS, "departments": NUMBER},
        "by_dept": {"dept_id": TEXT, **_CATALOG_COUNTS},
        "by_share_type": {"data_class": TEXT, "share_type": TEXT, "resources": NUMBER},
        "items": {"resource_id": TEXT, "dept_id": TEXT, "name": TEXT, "data_class": TEXT, "share_type": TEXT,
                  "mounted": BOOL},
        "as_of": AS_OF,
    },
    "exchange": {
        "summary": {"records_30d": NUMBER, "api_calls_30d": NUMBER, "records_last_day": NUMBER, "last_day": DATETIME,
                    "active_pairs_30d": NUMBER, "records_total": NUMBER},
        "daily": {"date": DATETIME, "records": NUMBER, "api_calls": NUMBER},
        "by_provider_30d": _DEPT_TOTALS, "by_consumer_30d": _DEPT_TOTALS,
        "pairs_30d": _PAIRS,
        "daily_by_provider": {"date": DATETIME, "provider_dept": TEXT, "records": NUMBER, "api_calls": NUMBER},
        "daily_by_consumer": {"date": DATETIME, "consumer_dept": TEXT, "records": NUMBER, "api_calls": NUMBER},
        "daily_pairs": {"date": DATETIME, **_PAIRS},
        "as_of": AS_OF,
    },
    "systems": {
        "summary": {"systems": NUMBER, "classified": NUMBER, "nonclassified": NUMBER, **_SYSTEM_STATUS_COUNTS,
                    "exempt_approved": NUMBER, "deferred_approved": NUMBER, "deferred_unapproved": NUMBER,
                    "behind_plan": NUMBER, "cloud_migration_rate": NUMBER},
        "by_dept_status": {"dept_id": TEXT, **_SYSTEM_STATUS_COUNTS, "total": NUMBER, "cloud_migration_rate": NUMBER,
                           "exempt_approved": NUMBER},
        "burnup": {"month": DATETIME, "planned_cum": NUMBER, "actual_cum": NUMBER, "total": NUMBER},
        "exempt_approved": {"system_id": TEXT, "dept_id": TEXT, "name": TEXT, "status": TEXT},
        "systems": {"system_id": TEXT, "dept_id": TEXT, "name": TEXT, "status": TEXT, "exempt_approved": BOOL,
                    "planned_date": DATETIME, "migrated_date": DATETIME, "overdue": BOOL},
        "as_of": AS_OF,
    },
    "network": {
        "summary": {"units": NUMBER, "connected": NUMBER, "network_rate": NUMBER},
        "by_level": {"level": TEXT, "units": NUMBER, "connected": NUMBER, "network_rate": NUMBER},
        "as_of": AS_OF,
    },
    "incidents": {
        "summary": _INCIDENT_SUMMARY,
        "summary_by_district": {**_INCIDENT_SUMMARY, "district_id": TEXT},
        "by_district": _AREA_COUNTS,
        "by_street": {**_AREA_COUNTS, "street_id": TEXT},
        "by_grid": {"region_id": TEXT, "district_id": TEXT, "incidents_30d": NUMBER, "lon": NUMBER, "lat": NUMBER},
        "density": {"lon": NUMBER, "lat": NUMBER, "incidents": NUMBER},
        "hour_weekday": {"weekday": NUMBER, "hour": NUMBER, "incidents": NUMBER},
        "hour_weekday_by_district": {"weekday": NUMBER, "hour": NUMBER, "incidents": NUMBER, "district_id": TEXT},
        "category_district": {"category": TEXT, "district_id": TEXT, "incidents": NUMBER},
        "category_street": {"category": TEXT, "district_id": TEXT, "street_id": TEXT, "incidents": NUMBER},
        "by_category": {"category": TEXT, "incidents": NUMBER},
        "by_source": {"source": TEXT, "incidents": NUMBER},
        "daily": {"date": DATETIME, "reported": NUMBER, "closed": NUMBER},
        "latest": _LATEST,
        "latest_by_district": _LATEST,
        "region_match": {"rows": NUMBER, "with_region": NUMBER, "unmatched": NUMBER, "share": NUMBER, "examples": TEXT},
        **_INCIDENT_CUBE,
        "as_of": AS_OF,
    },
    "indicator_history": {"history": _HISTORY, "latest": _HISTORY, "as_of": AS_OF},
    "department_history": {"history": {"dept_id": TEXT, **_HISTORY}, "as_of": AS_OF},
    "targets": {
        "targets": {"target_id": TEXT, "indicator_id": TEXT, "name": TEXT, "level": TEXT, "unit": TEXT, "target": NUMBER,
                    "deadline": DATETIME, "comparator": TEXT, "source_doc": TEXT, "current": NUMBER,
                    "forecast": NUMBER, "status": TEXT},
        "as_of": AS_OF,
    },
}


class FrameSchemaError(MessageError, ValueError):
    """A publish whose frames break their schemas; ``.message`` says which frame and column, in Chinese."""


def _kind_check(kind: str) -> pa.Check:
    ok = _KIND_OK[kind]
    return pa.Check(lambda s: len(s) == 0 or bool(ok(s)) or bool(s.isna().all()), name=kind)


def _schema(columns: dict[str, str]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema({c: pa.Column(checks=_kind_check(k), nullable=True) for c, k in columns.items()},
                              strict=False)


_SCHEMAS = {ds: {name: _schema(cols) for name, cols in frames.items()} for ds, frames in FRAME_SCHEMAS.items()}


def frame_problems(dataset: str, name: str, frame: pd.DataFrame) -> list[str]:
    """What is wrong with one frame of a publish, in Chinese (nothing for a dataset without schemas)."""
    schemas = _SCHEMAS.get(dataset)
    if schemas is None:
        return []
    where = f"数据集 {dataset} 的帧 {name}"
    if name not in schemas:
        return [f"{where} 没有登记模式：请在 dashboard/frame_schemas.py 的 FRAME_SCHEMAS 中登记它的列"]
    if hasattr(frame, "schema_frame"):  # a detail on disk (dashboard/detail_file.py): its columns and kinds
        frame = frame.schema_frame()
    if not isinstance(frame, pd.DataFrame):
        return [f"{where} 不是数据表（{type(frame).__name__}）"]
    try:
        schemas[name].validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        out = []
        for case in errors.failure_cases.to_dict("records"):
            if case["check"] == "column_in_dataframe":
                out.append(f"{where} 缺少列「{case['failure_case']}」（现有列：{'、'.join(map(str, frame.columns))}）")
            else:
                column = case["column"]
                out.append(f"{where} 的列「{column}」应为{case['check']}，实际为 {frame[column].dtype}")
        return out
    return []


def check_frames(dataset: str, frames: dict[str, pd.DataFrame]) -> None:
    """Raise :class:`FrameSchemaError` naming every frame and column that breaks its schema."""
    problems = [p for name, frame in frames.items() for p in frame_problems(dataset, name, frame)]
    if problems:
        raise FrameSchemaError(f"发布被拒绝，保留上一版数据：{'；'.join(problems)}")
