"""Pullers: read a source, validate it, aggregate it and publish ready-to-draw frames.

One :class:`Puller` serves a process. ``run_source`` is what each scheduled job calls. A run:

1. reads the source (datasources.adapters) and validates it against its dataset contract;
2. keeps the good rows as the source's *last good* rows and the quarantined rows, with reasons, in
   the app database;
3. rebuilds the dataset from the last good rows of *all* its sources (incidents from 12345, the grid
   system and 110 become one frame with a ``source`` column), builds its frames and publishes them;
4. writes the day's indicator values to indicator_history, and republishes the history and the
   target statuses;
5. logs itself (source, start, end, rows ok, rows quarantined, error).

A failed run keeps the last good frames, marks the dataset stale with the error, and the scheduler
retries it with backoff.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from dashboard import db
from dashboard.frames import PullContext, as_of_frame, build_frames, indicator_values
from dashboard.settings import Settings, SourceSettings
from dashboard.store import FrameStore
from dashboard.targets import (configured_targets, forecast_value, item_count, milestone_value, target_status,
                               with_milestones)
from datasources.contracts import ContractError, validate

log = logging.getLogger("citywall.pull")

#: Pull order for a full refresh: incidents roll up by the regions published before them.
DATASET_ORDER = ("departments", "regions", "catalog", "exchange", "systems", "network", "incidents",
                 "indicator_history")


@dataclass(frozen=True)
class PullResult:
    source: str
    dataset: str
    started_at: float
    finished_at: float
    rows_ok: int = 0
    rows_quarantined: int = 0
    error: str = ""
    version: int = 0
    skipped: bool = False  # the previous run of this source was still going

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def seconds(self) -> float:
        return self.finished_at - self.started_at


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


class Puller:
    def __init__(self, settings: Settings, store: FrameStore, engine=None, *, clock=datetime.now) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine if engine is not None else db.connect(settings.database_url)
        self.clock = clock
        self._last_good: dict[str, pd.DataFrame] = {}
        self._source_errors: dict[str, str] = {}
        self._locks = {s.name: threading.Lock() for s in settings.sources}
        self._dataset_locks = {s.dataset: threading.Lock() for s in settings.sources}
        self._raw_dir = settings.data_dir / "raw"

    # ---- one source ------------------------------------------------------------------------------
    def run_source(self, name: str, trigger: str = "schedule") -> PullResult:
        source = self.settings.source(name)
        lock = self._locks[name]
        if not lock.acquire(blocking=False):  # a slow run is still going: skip, don't pile up
            now = time.time()
            return PullResult(name, source.dataset, now, now, error="上一次拉取仍在进行，本次跳过", skipped=True)
        try:
            return self._run(source, trigger)
        finally:
            lock.release()

    def _run(self, source: SourceSettings, trigger: str) -> PullResult:
        from datasources.adapters import SourceError, read_source

        started = time.time()
        now = self.clock()
        try:
            raw = read_source(source, self.settings)
            result = validate(source.dataset, raw, date_format=source.date_format, now=now,
                              bbox=self.settings.city.bbox if source.dataset == "incidents" else None)
            if source.dataset == "indicator_history":
                # the source wins: corrected past days and today replace what the app database holds
                db.write_history(self.engine, result.good)
            self._keep_last_good(source, result.good)
            db.replace_quarantine(self.engine, source.name, source.dataset, result.quarantined)
            self._source_errors.pop(source.name, None)
            version = self._rebuild(source.dataset, now)
        except (SourceError, ContractError) as exc:
            return self._failed(source, started, str(exc), trigger)
        except Exception as exc:  # a bug or an unexpected source shape must not stop the scheduler
            log.exception("pull of %s failed", source.name)
            return self._failed(source, started, f"数据源「{source.name}」处理失败: {type(exc).__name__}: {exc}", trigger)
        finished = time.time()
        db.log_run(self.engine, source=source.name, dataset=source.dataset, started_at=started,
                   finished_at=finished, rows_ok=result.rows_ok, rows_quarantined=result.rows_quarantined,
                   error="", trigger=trigger)
        log.info("pulled %s: %d ok, %d quarantined in %.2fs", source.name, result.rows_ok,
                 result.rows_quarantined, finished - started)
        return PullResult(source.name, source.dataset, started, finished, result.rows_ok,
                          result.rows_quarantined, "", version)

    def _failed(self, source: SourceSettings, started: float, error: str, trigger: str) -> PullResult:
        self._source_errors[source.name] = error
        failing = tuple(s.name for s in self.settings.sources_for(source.dataset) if s.name in self._source_errors)
        self.store.mark_failed(source.dataset, "；".join(self._source_errors[s] for s in failing), failing)
        finished = time.time()
        db.log_run(self.engine, source=source.name, dataset=source.dataset, started_at=started,
                   finished_at=finished, rows_ok=0, rows_quarantined=0, error=error, trigger=trigger)
        log.warning("pull of %s failed: %s", source.name, error)
        return PullResult(source.name, source.dataset, started, finished, error=error,
                          version=self.store.status(source.dataset).version)

    # ---- last good rows per source ---------------------------------------------------------------
    def _raw_path(self, source: SourceSettings) -> Path:
        return self._raw_dir / f"{_safe_name(source.name)}.parquet"

    def _keep_last_good(self, source: SourceSettings, good: pd.DataFrame) -> None:
        self._last_good[source.name] = good
        # A dataset fed by several sources is rebuilt from each one's last good rows; keep them on
        # disk so a restart while one source is down still has its rows. A single-source dataset's
        # published frames are its last good data already.
        if len(self.settings.sources_for(source.dataset)) > 1:
            self._raw_dir.mkdir(parents=True, exist_ok=True)
            good.to_parquet(self._raw_path(source), index=False)

    def _last_good_rows(self, source: SourceSettings) -> pd.DataFrame | None:
        if source.name not in self._last_good and self._raw_path(source).exists():
            self._last_good[source.name] = pd.read_parquet(self._raw_path(source))
        return self._last_good.get(source.name)

    # ---- publish ---------------------------------------------------------------------------------
    def _rebuild(self, dataset: str, now: datetime) -> int:
        with self._dataset_locks[dataset]:
            if dataset == "indicator_history":
                return self._publish_history_and_targets(now)
            parts = [r for s in self.settings.sources_for(dataset) if (r := self._last_good_rows(s)) is not None]
            rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
            regions = self.store.frame("regions", "regions")
            ctx = PullContext(now=now, regions=regions)
            version = self._publish_if_changed(dataset, build_frames(dataset, rows, ctx),
                                               {"rows": len(rows), "sources": [s.name for s in self.settings.sources_for(dataset)]})
            failing = tuple(s.name for s in self.settings.sources_for(dataset) if s.name in self._source_errors)
            if failing:  # published with another source's last good rows: still stale
                self.store.mark_failed(dataset, "；".join(self._source_errors[s] for s in failing), failing)
            values = indicator_values(dataset, rows, ctx)
        if values:
            db.upsert_history(self.engine, values, now.date())
            self._publish_history_and_targets(now)
        return version

    def _publish_if_changed(self, dataset: str, frames: dict[str, pd.DataFrame], meta: dict) -> int:
        """Publish a new version only when a frame differs, so walls redraw only what changed."""
        current = self.store.snapshot(dataset)
        if current is not None and set(current.frames) == set(frames) and all(
                _same(current.frames[k], v) for k, v in frames.items() if k != "as_of"):
            return self.store.confirm(dataset)
        return self.store.publish(dataset, frames, meta)

    def _publish_history_and_targets(self, now: datetime) -> int:
        today = now.date()
        for indicator_id, items in self.settings.targets.milestones.items():
            db.upsert_history(self.engine, {indicator_id: milestone_value(items, today)}, today)
        # a checklist's history is exact (it steps up on each item's done date) and wins over a source's
        history = with_milestones(db.load_history(self.engine), self.settings.targets.milestones, today)
        ctx = PullContext(now=now)
        version = self._publish_if_changed("indicator_history", build_frames("indicator_history", history, ctx),
                                           {"rows": len(history)})
        targets = evaluate_targets(self.settings, history, today)
        self._publish_if_changed("targets", {"targets": targets, "as_of": as_of_frame(now, len(targets))}, {})
        return version

    # ---- everything ------------------------------------------------------------------------------
    def run_all(self, trigger: str = "manual") -> list[PullResult]:
        order = {d: i for i, d in enumerate(DATASET_ORDER)}
        sources = sorted(self.settings.sources, key=lambda s: order.get(s.dataset, 99))
        return [self.run_source(s.name, trigger) for s in sources]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal values, whatever the dtype details a Parquet round trip changes (datetime64[s] → [ms])."""
    try:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                      check_index_type=False, check_column_type=False)
        return True
    except (AssertionError, TypeError, ValueError):
        return False


def evaluate_targets(settings: Settings, history: pd.DataFrame, today: date) -> pd.DataFrame:
    """Every configured target with its current value, least-squares forecast (a value the indicator
    can take, None past the deadline) and status, from the history as of ``today``."""
    rows = []
    for t in configured_targets(settings.targets):
        series = history[history["indicator_id"] == t.indicator_id].set_index("date")["value"].sort_index()
        series = series[series.index <= pd.Timestamp(today)]
        series.index = series.index.date if len(series) else series.index
        current = float(series.iloc[-1]) if len(series) else None
        items = item_count(t.indicator_id, settings.targets.milestones)
        forecast = forecast_value(t, series, today, items) if len(series) else None
        rows.append({
            "target_id": t.target_id, "indicator_id": t.indicator_id, "name": t.name, "level": t.level,
            "unit": t.unit, "target": t.target, "deadline": pd.Timestamp(t.deadline),
            "comparator": t.comparator, "source_doc": t.source_doc, "binding": t.binding, "preset": t.preset,
            "current": current, "forecast": forecast, "status": target_status(current, t, series, today, items),
        })
    columns = ["target_id", "indicator_id", "name", "level", "unit", "target", "deadline", "comparator",
               "source_doc", "binding", "preset", "current", "forecast", "status"]
    return pd.DataFrame(rows, columns=columns)
