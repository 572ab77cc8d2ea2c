"""Constants the demo city's parts share: its name and centre, its tables and files, the time spans."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np



CITY_NAME = "示范市"
CENTER_LON, CENTER_LAT = 112.95, 28.20
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(CENTER_LAT))

TABLES = ("departments", "regions", "catalog", "exchange", "systems", "incidents", "network",
          "indicator_history", "department_history")
GEO_FILES = {"区县": "districts.geojson", "镇街": "streets.geojson", "网格": "grids.geojson"}
#: rows deliberately broken in each dataset (validation must quarantine exactly these)
DELIBERATE_QUARANTINE = {"incidents": 5, "catalog": 3}

INCIDENT_HISTORY_DAYS = 400
EXCHANGE_DAYS = 450
HISTORY_DAYS = 450
DEPARTMENT_HISTORY_DAYS = 180  # back-filled per-department history: the scoreboard's 较上期 works from the start
MAX_TOP_UP = timedelta(days=14)
VERSION = "2"  # 2: department_history

_EPOCH = datetime(1970, 1, 1)
_TS_FMT = "%Y-%m-%d %H:%M:%S"
_SQL_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "INTEGER",
              "datetime": "TEXT", "date": "TEXT"}
_CHUNK = 100_000


def _fmt_ts(sec: np.ndarray) -> list[str]:
    """Epoch seconds → 'YYYY-MM-DD HH:MM:SS' strings (vectorised)."""
    a = np.asarray(sec, dtype=np.int64).astype("datetime64[s]").astype("S19")
    a.view(np.uint8).reshape(-1, 19)[:, 10] = ord(" ")
    return a.astype("U19").tolist()


def _fmt_day(days: np.ndarray) -> list[str]:
    """Epoch days → 'YYYY-MM-DD'."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("U10").tolist()


def _epoch_s(t: datetime) -> int:
    return int((t - _EPOCH).total_seconds())


def _epoch_day(d: date) -> int:
    return (d - _EPOCH.date()).days
