"""Per-department history: each department's 共享率, 汇聚率 and 上云率 day by day.

The pullers write today's values after every catalog and systems pull (:func:`department_values`
from the frames the pull built, so every value is the same pooled ratio the wall shows), and a
``department_history`` source (the demo city back-fills 180 days) may send past days; the source
wins for the days it sends, as for indicator_history. The published frame ``department_history`` /
``history`` is what the department page's trend and the scoreboard's change since the last period
select from.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from dashboard import db
from datasources.contracts import DEPARTMENT_INDICATORS  # noqa: F401  kept per department, scoreboard order
COLUMNS = ["dept_id", "indicator_id", "date", "value"]


def _rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def department_values(dataset: str, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Today's (dept_id, indicator_id, value) rows a pull of ``dataset`` contributes, from its built
    frames: catalog → sharing_rate and aggregation_rate, systems → cloud_migration_rate. A
    department with an empty denominator has no row (its value is "—", not 0)."""
    if dataset == "catalog" and "by_dept" in frames:
        by_dept = frames["by_dept"]
        values = {"sharing_rate": _rate(by_dept["shared"], by_dept["resources"]),
                  "aggregation_rate": _rate(by_dept["gov_mounted"] + by_dept["city_mounted"], by_dept["resources"])}
    elif dataset == "systems" and "by_dept_status" in frames:
        by_dept = frames["by_dept_status"]
        values = {"cloud_migration_rate": _rate(by_dept["已上云"], by_dept["total"])}
    else:
        return pd.DataFrame(columns=["dept_id", "indicator_id", "value"])
    parts = [pd.DataFrame({"dept_id": by_dept["dept_id"].astype(str), "indicator_id": key, "value": series})
             for key, series in values.items()]
    return pd.concat(parts, ignore_index=True).dropna(subset=["value"]).reset_index(drop=True)


def write(engine: Engine, rows: pd.DataFrame, on: date | None = None) -> int:
    """Upsert rows by (dept_id, indicator_id, date); ``on`` dates rows that carry no date (today's
    values). Rows without a value are skipped. → rows written."""
    rows = rows.dropna(subset=["value"])
    dates = [on] * len(rows) if on is not None else [pd.Timestamp(d).date() for d in rows["date"]]
    records = [{"dept_id": str(d), "indicator_id": str(i), "date": day, "value": float(v)}
               for d, i, day, v in zip(rows["dept_id"], rows["indicator_id"], dates, rows["value"])]
    if records:
        with engine.begin() as conn:
            db._upsert(conn, records, db.department_history, db.DEPARTMENT_HISTORY_KEY)
    return len(records)


def load(engine: Engine) -> pd.DataFrame:
    """The whole table, sorted by department, indicator and date (dates as Timestamps)."""
    table = db.department_history
    with engine.connect() as conn:
        frame = pd.read_sql(select(*(table.c[k] for k in COLUMNS)), conn)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.sort_values(["dept_id", "indicator_id", "date"]).reset_index(drop=True)
