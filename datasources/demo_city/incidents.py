"""The demo city's incidents: the model (sources, categories, rhythms, hot spots, deadlines) and the
rows it generates, base history and hourly top-ups alike."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np

from datasources.demo_city.common import (DELIBERATE_QUARANTINE, INCIDENT_HISTORY_DAYS, _CHUNK, _TS_FMT, _epoch_s,
                                          _fmt_ts)
from datasources.demo_city.geography import HEX_KM, _lonlat, build_city


SOURCES = ("12345热线", "网格巡查", "110联动")
_SOURCE_PREFIX = ("RX", "WG", "LD")
_SOURCE_SHARE = np.array([0.60, 0.30, 0.10])
CATEGORIES = ("市容环境", "环境保护", "交通出行", "住房物业", "城市管理", "市场监管", "劳动保障", "公共安全",
              "水电气暖", "教育医疗", "噪声扰民", "其他")
_CATEGORY_MIX = np.array([
    # 市容 环保 交通 住房 城管 市监 劳保 公安 水电 教医 噪声 其他
    [12, 8, 9, 15, 10, 9, 8, 3, 9, 6, 7, 4],     # 12345热线
    [30, 12, 6, 5, 25, 5, 0, 8, 3, 0, 2, 4],     # 网格巡查
    [0, 2, 20, 5, 4, 3, 8, 30, 0, 2, 20, 6],     # 110联动
], dtype=float)
_MONTH_FACTOR = np.ones((12, len(CATEGORIES)))
_MONTH_FACTOR[:, 8] = [1.8, 1.6, 1.1, 0.8, 0.8, 1.1, 1.7, 1.8, 1.1, 0.8, 0.9, 1.4]   # 水电气暖: 冬夏高峰
_MONTH_FACTOR[:, 10] = [0.8, 0.7, 0.9, 1.0, 1.2, 1.3, 1.5, 1.5, 1.2, 1.0, 0.9, 0.8]  # 噪声扰民: 夏季
_MONTH_FACTOR[:, 6] = [1.9, 1.5, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.2, 1.6]   # 劳动保障: 年底讨薪
_MONTH_FACTOR[:, 1] = [0.9, 0.9, 1.0, 1.1, 1.2, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9, 0.9]   # 环境保护
LIMIT_HOURS = np.array([72, 120, 72, 240, 120, 168, 360, 24, 48, 168, 48, 168], dtype=float)
_STUCK = np.array([0.035, 0.05, 0.025, 0.11, 0.05, 0.06, 0.11, 0.02, 0.035, 0.06, 0.035, 0.06])
_HOURS = np.array([
    [0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.70, 1.30, 1.90, 2.00, 1.80, 1.20, 1.10, 1.60, 1.80, 1.70,
     1.50, 1.10, 0.90, 0.80, 0.70, 0.55, 0.40],
    [0, 0, 0, 0, 0, 0, 0.05, 0.40, 1.50, 2.20, 2.20, 1.60, 0.50, 0.60, 1.80, 2.00, 1.80, 1.00, 0.20, 0.05,
     0.02, 0, 0, 0],
    [0.60, 0.50, 0.40, 0.30, 0.25, 0.25, 0.35, 0.60, 0.90, 1.00, 1.10, 1.10, 1.00, 1.00, 1.00, 1.10, 1.10,
     1.20, 1.30, 1.40, 1.40, 1.30, 1.10, 0.80],
])
_HOURS = _HOURS / _HOURS.sum(axis=1, keepdims=True) * 24
_WEEK = np.array([  # Monday … Sunday
    [1.15, 1.05, 1.00, 1.00, 0.98, 0.75, 0.70],
    [1.05, 1.05, 1.05, 1.05, 1.00, 0.35, 0.30],
    [0.95, 0.95, 0.95, 1.00, 1.10, 1.15, 1.05],
])
_TREND_PER_YEAR = 0.22
_TREND_REF_HOUR = 438_288  # 2020-01-01 00:00 in epoch hours


@dataclass
class IncidentModel:
    seed: int
    grid_ids: np.ndarray
    grid_district: np.ndarray
    grid_cdf: np.ndarray       # (category, grid) cumulative, normalised
    cell_start: np.ndarray
    cell_count: np.ndarray
    cells: np.ndarray
    cell_x: np.ndarray
    cell_y: np.ndarray
    district_eff: np.ndarray
    category_eff: np.ndarray


@lru_cache(maxsize=4)
def incident_model(seed: int) -> IncidentModel:
    city = build_city(seed)
    rng = np.random.default_rng([seed, 0x1C1])
    n_g = len(city.grids)
    hot = np.minimum((1 - rng.random(n_g)) ** (-1 / 1.4), 40.0)  # power law: a few grids run hot
    grid_district = np.array([g["district"] for g in city.grids])
    affinity = rng.lognormal(0, 0.35, (len(city.districts), len(CATEGORIES)))
    w = hot[None, :] * affinity[grid_district, :].T  # (category, grid)
    cdf = np.cumsum(w, axis=1)
    cdf /= cdf[:, -1:]
    return IncidentModel(
        seed, np.array([g["region_id"] for g in city.grids], dtype=object), grid_district, cdf,
        city.grid_cell_start, city.grid_cell_count, city.grid_cells, city.x, city.y,
        district_eff=rng.uniform(0.75, 1.35, len(city.districts)),
        category_eff=rng.uniform(0.8, 1.2, len(CATEGORIES)))


def _hour_weights(hours: np.ndarray) -> np.ndarray:
    """Relative arrival intensity per (hour, source) for epoch hours."""
    hours = np.asarray(hours, dtype=np.int64)
    hod = hours % 24
    dow = ((hours // 24) + 3) % 7
    days = (hours // 24).astype("datetime64[D]")
    doy = (days - days.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    trend = np.exp(_TREND_PER_YEAR * (hours - _TREND_REF_HOUR) / 8766.0)
    season = 1 + 0.08 * np.cos(2 * np.pi * (doy - 200) / 365.25)
    w = _SOURCE_SHARE[None, :] * _HOURS.T[hod] * _WEEK.T[dow]
    return w * (trend * season)[:, None]


def _attributes(rng, model: IncidentModel, t: np.ndarray, src: np.ndarray) -> dict[str, np.ndarray]:
    """Everything about incidents reported at epoch seconds ``t`` from sources ``src``."""
    n = len(t)
    month = ((t // 86400).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) % 12
    u_cat, u_grid, u_cell = rng.random(n), rng.random(n), rng.random(n)
    jit_a, jit_r = rng.uniform(0, 2 * np.pi, n), np.sqrt(rng.random(n)) * 0.35 * HEX_KM
    kind, z, e = rng.random(n), rng.standard_normal(n), rng.exponential(1.0, n)
    u_disp = rng.exponential(1.0, n)
    cat = np.empty(n, np.int64)
    for s in range(len(SOURCES)):
        for mo in range(12):
            sel = (src == s) & (month == mo)
            if sel.any():
                p = _CATEGORY_MIX[s] * _MONTH_FACTOR[mo]
                cdf = np.cumsum(p) / p.sum()
                cat[sel] = np.minimum(np.searchsorted(cdf, u_cat[sel], side="right"), len(CATEGORIES) - 1)
    grid = np.empty(n, np.int64)
    for c in range(len(CATEGORIES)):
        sel = cat == c
        if sel.any():
            grid[sel] = np.minimum(np.searchsorted(model.grid_cdf[c], u_grid[sel], side="right"),
                                   len(model.grid_ids) - 1)
    cell = model.cells[model.cell_start[grid] + np.minimum((u_cell * model.cell_count[grid]).astype(np.int64),
                                                           model.cell_count[grid] - 1)]
    lon, lat = _lonlat(model.cell_x[cell] + jit_r * np.cos(jit_a), model.cell_y[cell] + jit_r * np.sin(jit_a))
    limit = LIMIT_HOURS[cat] * np.where(src == 2, 0.5, 1.0) * 3600
    eff = model.district_eff[model.grid_district[grid]] * model.category_eff[cat]
    stuck_p = _STUCK[cat] * model.district_eff[model.grid_district[grid]]
    normal = limit * 0.25 * eff * np.exp(0.7 * z)
    slow = limit * (1 + np.exp(0.6 * z)) * eff
    stuck = limit + e * 365 * 86400  # hard cases: some stay open for months
    duration = np.where(kind < stuck_p, stuck, np.where(kind < stuck_p + 0.02, slow, normal))
    duration = np.maximum(duration, 600).astype(np.int64)
    dispatch = np.minimum(u_disp * np.where(src == 1, 0.25, 1.0) * 3600, duration * 0.5).astype(np.int64)
    return {"cat": cat, "grid": grid, "lon": np.round(lon, 6), "lat": np.round(lat, 6),
            "deadline": t + limit.astype(np.int64), "close": t + duration, "dispatch": t + np.maximum(dispatch, 1)}


def _hour_batch(model: IncidentModel, scale: float, hour: int) -> dict[str, np.ndarray]:
    """All incidents arriving in one epoch hour: the same rows whoever asks and whenever."""
    rng = np.random.default_rng([model.seed, 0x4C1, hour])
    counts = rng.poisson(scale * _hour_weights(np.array([hour]))[0])
    src = np.repeat(np.arange(len(SOURCES)), counts)
    offs = rng.integers(0, 3600, len(src))
    order = np.argsort(offs, kind="stable")
    t = hour * 3600 + offs[order]
    src = src[order]
    out = _attributes(rng, model, t, src)
    out.update(t=t, src=src, k=np.arange(len(t)))
    return out


def _concat(batches: list[dict]) -> dict[str, np.ndarray]:
    keys = ("t", "src", "k", "cat", "grid", "lon", "lat", "deadline", "close", "dispatch")
    if not batches:
        return {k: np.array([], np.float64 if k in ("lon", "lat") else np.int64) for k in keys}
    return {k: np.concatenate([b[k] for b in batches]) for k in keys}


def _incident_ids(t: np.ndarray, src: np.ndarray, k: np.ndarray) -> list[str]:
    hours = (t // 3600) * 3600
    uniq, inv = np.unique(hours, return_inverse=True)
    stamps = [s[2:4] + s[5:7] + s[8:10] + s[11:13] for s in _fmt_ts(uniq)]
    return [f"{_SOURCE_PREFIX[s]}{stamps[h]}{kk:05d}" for s, h, kk in zip(src.tolist(), inv.tolist(), k.tolist())]


def incident_status(rows: dict[str, np.ndarray], now_s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(closed, dispatched, status) of generated incidents as they stand at ``now_s``."""
    closed = rows["close"] <= now_s
    dispatched = rows["dispatch"] <= now_s
    return closed, dispatched, np.where(closed, "已办结", np.where(dispatched, "处置中", "受理")).astype(object)


def _insert_incidents(conn: sqlite3.Connection, model: IncidentModel, rows: dict[str, np.ndarray],
                      now_s: int) -> int:
    """Insert generated incidents as they stand at ``now_s``; open ones go to demo_pending."""
    n = len(rows["t"])
    src_label = np.array(SOURCES, dtype=object)
    cat_label = np.array(CATEGORIES, dtype=object)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        sl = {k: v[a:b] for k, v in rows.items()}
        closed, dispatched, status = incident_status(sl, now_s)
        close_text = np.array(_fmt_ts(sl["close"]), dtype=object)
        closed_col = np.where(closed, close_text, None)
        ids = _incident_ids(sl["t"], sl["src"], sl["k"])
        cur = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM incidents")
        first_rowid = cur.fetchone()[0] + 1
        conn.executemany(
            "INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?,?,?)",
            zip(ids, src_label[sl["src"]].tolist(), cat_label[sl["cat"]].tolist(),
                model.grid_ids[sl["grid"]].tolist(), sl["lon"].tolist(), sl["lat"].tolist(),
                _fmt_ts(sl["t"]), _fmt_ts(sl["deadline"]), closed_col.tolist(), status.tolist()))
        open_idx = np.flatnonzero(~closed)
        if len(open_idx):
            disp = np.where(dispatched[open_idx], None, np.array(_fmt_ts(sl["dispatch"][open_idx]), dtype=object))
            conn.executemany("INSERT INTO demo_pending VALUES (?,?,?)",
                             zip((first_rowid + open_idx).tolist(), disp.tolist(), close_text[open_idx].tolist()))
    return n


def _base_incidents(seed: int, model: IncidentModel, n_base: int, h0: int, h1: int,
                    window_hours: int = 720):
    """Exactly ``n_base`` incidents in epoch hours [h0, h1), following the same intensity,
    yielded in time order one ~30-day window at a time so memory stays flat at any size."""
    rng = np.random.default_rng([seed, 0xBA5, h1])
    w = _hour_weights(np.arange(h0, h1))
    counts = rng.multinomial(n_base, (w / w.sum()).ravel()).reshape(w.shape)
    for number, a in enumerate(range(0, h1 - h0, window_hours)):
        c = counts[a:a + window_hours]
        wrng = np.random.default_rng([seed, 0xBA5, h1, number])
        cellx = np.repeat(np.arange(c.size), c.ravel())
        n = len(cellx)
        t = (h0 + a + cellx // len(SOURCES)) * 3600 + wrng.integers(0, 3600, n)
        src = cellx % len(SOURCES)
        del cellx
        order = np.argsort(t, kind="stable")
        t, src = t[order], src[order]
        hr = t // 3600
        out = _attributes(wrng, model, t, src)
        out.update(t=t, src=src, k=np.arange(n) - np.searchsorted(hr, hr, side="left"))
        yield out


def _bad_incidents(as_of: datetime, model: IncidentModel, rows: dict[str, np.ndarray]) -> list[tuple]:
    """The deliberate bad rows: each breaks exactly one rule of the incidents contract.
    ``rows`` is a batch of generated incidents, one of which is pushed a second time."""
    def at(days_ago: float, hour: int) -> datetime:
        d = (as_of - timedelta(days=days_ago)).replace(hour=hour, minute=17, second=42, microsecond=0)
        return d

    def s(t: datetime) -> str:
        return t.strftime(_TS_FMT)

    def bid(t: datetime, prefix: str, k: int) -> str:
        return f"{prefix}{t.strftime('%y%m%d%H')}{k:05d}"

    gid = str(model.grid_ids[0])
    lon0, lat0 = (round(float(v), 6) for v in _lonlat(model.cell_x[model.cells[0]], model.cell_y[model.cells[0]]))
    out = []
    t1 = at(20, 10)  # closed before it was reported (clock of the handling system)
    out.append((bid(t1, "RX", 90001), SOURCES[0], "住房物业", gid, lon0, lat0, s(t1), s(t1 + timedelta(days=10)),
                s(t1 - timedelta(hours=3)), "已办结"))
    t2 = at(9, 15)  # a status code from the source system nobody mapped
    out.append((bid(t2, "WG", 90002), SOURCES[1], "市容环境", gid, lon0, lat0, s(t2), s(t2 + timedelta(days=3)),
                None, "9"))
    i = len(rows["t"]) // 2  # the same ticket pushed twice
    dup = _incident_ids(rows["t"][i:i + 1], rows["src"][i:i + 1], rows["k"][i:i + 1])[0]
    t3 = datetime(1970, 1, 1) + timedelta(seconds=int(rows["t"][i]) + 1800)
    out.append((dup, SOURCES[int(rows["src"][i])], "其他", gid, lon0, lat0, s(t3), s(t3 + timedelta(days=7)),
                s(t3 + timedelta(days=2)), "已办结"))
    t4 = at(3, 11)  # placeholder coordinates
    out.append((bid(t4, "RX", 90003), SOURCES[0], "交通出行", gid, 0.0, 0.0, s(t4), s(t4 + timedelta(days=3)),
                s(t4 + timedelta(hours=20)), "已办结"))
    t5 = at(5, 9)  # a typo in the year
    typo = s(t5).replace(str(t5.year), str(t5.year + 100), 1)
    out.append((bid(t5, "LD", 90004), SOURCES[2], "噪声扰民", gid, lon0, lat0, typo, None, None, "受理"))
    return out


def _hour_of(t: datetime) -> int:
    return _epoch_s(t) // 3600


def generated_incidents(seed: int, model: IncidentModel, incidents: int, as_of: datetime):
    """Exactly ``incidents`` rows, in the order they are written: the base hours in ~30-day batches
    (dicts of arrays), the deliberate bad rows (a list of row tuples), then the hour of ``as_of`` (its
    dict carries ``scale``, the rate the live top-up keeps). Memory stays flat at any size."""
    now_s = _epoch_s(as_of)
    h1 = _hour_of(as_of)
    h0 = h1 - INCIDENT_HISTORY_DAYS * 24
    scale = incidents / float(_hour_weights(np.arange(h0, h1)).sum())
    partial = _hour_batch(model, scale, h1)
    keep = partial["t"] <= now_s
    partial = {k: v[keep] for k, v in partial.items()}
    n_bad = DELIBERATE_QUARANTINE["incidents"]
    n_base = max(incidents - n_bad - len(partial["t"]), 1)
    middle = None  # the batch holding the middle of the history (or the last one with rows)
    for batch in _base_incidents(seed, model, n_base, h0, h1):
        yield batch
        if len(batch["t"]) and (middle is None or middle["t"][-1] < (h0 + h1) // 2 * 3600):
            middle = batch
    yield _bad_incidents(as_of, model, middle)
    del middle, batch
    yield {**partial, "scale": scale}
