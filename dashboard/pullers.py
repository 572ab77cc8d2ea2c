"""Pullers: read a source, validate it, aggregate it and publish ready-to-draw frames.

One :class:`Puller` serves a process. ``run_source`` is what each scheduled job calls. A run:

1. reads the source (datasources.adapters) and validates it against its dataset contract;
2. keeps the quarantined rows, with reasons and their whole raw rows, and the source's check-source
   report (dashboard/source_check.py) in the app database;
3. asks the publish guard (dashboard/publish_guard.py): a pull that would blank or gut the source's
   data is held, keeps the last good frames and is logged as held (``run.py pull --accept`` lets it
   through);
4. keeps the good rows as the source's *last good* rows, rebuilds the dataset from the last good rows of
   *all* its sources (incidents from 12345, the grid system and 110 become one frame with a ``source``
   column), builds its frames and publishes them with the newest row's time (``data_as_of``);
5. writes the day's indicator values to indicator_history, and republishes the history and the
   target statuses; catalog and systems pulls also write each department's values to
   department_history (dashboard/department_history.py) and republish it;
6. logs itself (source, start, end, rows ok, rows quarantined, error, status): the row is written when
   the run starts (``running``) and completed when it ends, so a process killed mid-run leaves a trace
   that the next start marks ``interrupted`` (dashboard/jobs.py's ``recover``).

A failed run keeps the last good frames, marks the dataset stale with the error, and the scheduler
retries it with backoff. One pull per source runs at a time across processes (a lock in the app
database, dashboard/locks.py): a run that finds another still going is skipped and logged; if that one
is past its deadline (``pull_deadline_seconds``), the dataset is marked stale. A run started from the
job queue checks its job's cancel flag between its steps (``checkpoint``) and publishes nothing when
cancelled.
"""
from __future__ import annotations

import logging
import time
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from dashboard import db, department_history, formatting as fmt, locks
from dashboard.freshness import data_as_of
from dashboard.frames import PullContext, as_of_frame, build_frames, indicator_values
from dashboard.frame_schemas import FrameSchemaError
from dashboard.publish_guard import HeldPublishes, judge, safe_name
from dashboard.pull_result import PullResult
from dashboard.region_match import describe as describe_regions, geography_ids, region_match
from dashboard.settings import Settings, SourceSettings
from dashboard.source_check import build_report, raw_rows_of, save_report
from dashboard.store import FrameStore
from dashboard.targets import (configured_targets, forecast_value, item_count, milestone_value, target_status,
                               with_milestones)
from datasources.contracts import ContractError, validate

log = logging.getLogger("citywall.pull")

#: Pull order for a full refresh: incidents roll up by the regions published before them.
DATASET_ORDER = ("departments", "regions", "catalog", "exchange", "systems", "network", "incidents",
                 "indicator_history", "department_history")


#: datasets whose frames count days up to the pull's day: 今日 / 近7日 / 近30日 of the incidents, the
#: exchange's 近30日, the systems' plan dates passed (逾期未迁)
DAY_ANCHORED = ("incidents", "exchange", "systems")


class Puller:
    def __init__(self, settings: Settings, store: FrameStore, engine=None, *, clock=datetime.now) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine if engine is not None else db.connect(settings.database_url)
        self.clock = clock
        self.held = HeldPublishes(self.engine, settings.data_dir / "held")
        self._last_good: dict[str, tuple[float, pd.DataFrame]] = {}  # source → (file mtime or 0, rows)
        self._source_errors: dict[str, str] = {}
        self._region_matches: dict[str, pd.DataFrame | None] = {}
        self._raw_dir = settings.data_dir / "raw"
        self.owner = locks.process_owner()

    def recover(self) -> None:
        """At the start of a process that pulls: log rows a killed process left ``running`` become
        ``interrupted``, and the staging folders a killed publish left in the frame store go."""
        from dashboard.jobs import recover

        pulls, jobs = recover(self.engine)
        removed = self.store.clean_staging()
        if pulls or jobs or removed:
            log.warning("recovered after a crash: %d pulls and %d jobs interrupted, %d staging folders removed",
                        pulls, jobs, removed)

    def _source_lock(self, name: str, wait: float = 0.0):
        return locks.held(self.engine, f"pull:{name}", self.settings.app.lock_expiry_seconds, wait=wait)

    # ---- one source ------------------------------------------------------------------------------
    def run_source(self, name: str, trigger: str = "schedule", checkpoint=None) -> PullResult:
        """Pull one source, unless another pull of it runs (in any process): then skip and log.
        ``checkpoint(rows_read=None)`` is called between the steps and may raise jobs.Cancelled."""
        source = self.settings.source(name)
        with self._source_lock(name) as got:
            if not got:  # a slow run is still going: skip, don't pile up
                return self.skipped(name, trigger)
            return self._run(source, trigger, checkpoint or (lambda read=None: None))

    def skipped(self, name: str, trigger: str = "schedule") -> PullResult:
        """Log a run skipped because the previous one is still going; past its deadline, that one
        makes the dataset stale (the wall must not look current while a pull hangs)."""
        source = self.settings.source(name)
        now = time.time()
        held_since = locks.lock_info(self.engine, f"pull:{name}")
        error = "上一次拉取仍在进行，本次跳过"
        if held_since is not None:
            running = now - held_since[1]
            limit = source.pull_deadline_seconds or self.settings.app.pull_deadline_seconds
            error = f"上一次拉取仍在进行（已 {fmt.duration(running)}），本次跳过"
            if running > limit:
                overdue = f"数据源「{name}」拉取已进行 {fmt.duration(running)}，超过时限 {limit:g} 秒仍未结束"
                self._source_errors[name] = overdue
                self._mark_failed(source.dataset)
                error = f"{error}；{overdue}"
        db.log_run(self.engine, source=name, dataset=source.dataset, started_at=now, finished_at=now, rows_ok=0,
                   rows_quarantined=0, error=error, trigger=trigger, status="skipped", owner=self.owner)
        log.warning("pull of %s skipped: %s", name, error)
        return PullResult(name, source.dataset, now, now, error=error, skipped=True)

    def _run(self, source: SourceSettings, trigger: str, checkpoint) -> PullResult:
        from dashboard.jobs import Cancelled
        from datasources.adapters import SourceError, map_raw, read_raw

        started = time.time()
        run_id = db.start_run(self.engine, source=source.name, dataset=source.dataset, started_at=started,
                              trigger=trigger, owner=self.owner)
        now = self.clock()
        try:
            if source.push_down:  # aggregated in the source database: no raw rows come here
                from dashboard.pull_pushdown import run_pushed_down

                return run_pushed_down(self, source, run_id, started, now, checkpoint)
            raw = read_raw(source, self.settings)
            checkpoint(len(raw))
            mapped = map_raw(raw, source)
            result = validate(source.dataset, mapped, date_format=source.date_format, now=now,
                              bbox=self.settings.city.bbox if source.dataset == "incidents" else None)
            checkpoint()  # the last chance to stop: from here on the pull keeps and publishes
            rows_before = db.last_published_rows(self.engine, source.name)
            verdict = judge(source, rows_before=rows_before, rows_read=len(mapped), rows_ok=result.rows_ok)
            quarantined = raw_rows_of(result.quarantined, raw)
            db.replace_quarantine(self.engine, source.name, source.dataset, quarantined)
            matched = self._match_regions(source, result.good)
            save_report(self.engine, build_report(
                source, raw, mapped, result.good, quarantined, region_match=matched, rows_before=rows_before,
                verdict=verdict, mask=self.settings.app.mask_personal))
            if verdict.held:
                self.held.hold(source, result.good, verdict, rows_before=rows_before,
                               rows_quarantined=result.rows_quarantined)
                return self._failed(source, run_id, started, f"数据源「{source.name}」发布保护: {verdict.reason}",
                                    status="held", rows=(result.rows_ok, result.rows_quarantined))
            version = self._publish_good(source, result.good, now)
        except Cancelled:
            return self._cancelled(source, run_id, started)
        except (SourceError, ContractError, FrameSchemaError) as exc:
            return self._failed(source, run_id, started, str(exc))
        except Exception as exc:  # a bug or an unexpected source shape must not stop the scheduler
            log.exception("pull of %s failed", source.name)
            return self._failed(source, run_id, started, f"数据源「{source.name}」处理失败: {type(exc).__name__}: {exc}")
        finished = time.time()
        db.finish_run(self.engine, run_id, finished_at=finished, rows_ok=result.rows_ok,
                      rows_quarantined=result.rows_quarantined, error="")
        log.info("pulled %s: %d ok, %d quarantined in %.2fs", source.name, result.rows_ok,
                 result.rows_quarantined, finished - started)
        notes = tuple(filter(None, [describe_regions(matched)]))
        return PullResult(source.name, source.dataset, started, finished, result.rows_ok,
                          result.rows_quarantined, "", version, notes=notes)

    def accept(self, name: str, trigger: str = "cli") -> PullResult:
        """Let a held publish through (``run.py pull --accept NAME``), from any process."""
        source = self.settings.source(name)
        held = self.held.get(name)
        now = time.time()
        if held is None:
            return PullResult(name, source.dataset, now, now, error=f"数据源「{name}」没有被暂缓的发布，无需放行")
        with self._source_lock(name, wait=self.settings.app.lock_expiry_seconds) as got:
            if not got:
                return PullResult(name, source.dataset, now, time.time(),
                                  error=f"数据源「{name}」正在拉取，请待其结束后再放行")
            rows = self.held.rows(held)
            self._match_regions(source, rows)
            version = self._publish_good(source, rows, self.clock())
        finished = time.time()
        db.log_run(self.engine, source=name, dataset=source.dataset, started_at=now, finished_at=finished,
                   rows_ok=len(rows), rows_quarantined=held.rows_quarantined, error="", trigger=trigger,
                   status="accepted", owner=self.owner)
        log.info("accepted the held publish of %s: %d rows", name, len(rows))
        return PullResult(name, source.dataset, now, finished, len(rows), held.rows_quarantined, "", version)

    def _publish_good(self, source: SourceSettings, good: pd.DataFrame, now: datetime) -> int:
        """The source's good rows become its last good rows, and its dataset is rebuilt and published."""
        if source.dataset == "indicator_history":
            # the source wins: corrected past days and today replace what the app database holds
            db.write_history(self.engine, good)
        elif source.dataset == "department_history":
            department_history.write(self.engine, good)
        self._keep_last_good(source, good)
        self.held.release(source.name)  # published: by an accept, or a later pull that passed on its own
        self._source_errors.pop(source.name, None)
        return self._rebuild(source.dataset, now)

    def _mark_failed(self, dataset: str) -> None:
        failing = tuple(s.name for s in self.settings.sources_for(dataset) if s.name in self._source_errors)
        if failing:
            self.store.mark_failed(dataset, "；".join(self._source_errors[s] for s in failing), failing)

    def _failed(self, source: SourceSettings, run_id: int, started: float, error: str, *, status: str = "failed",
                rows: tuple[int, int] = (0, 0)) -> PullResult:
        self._source_errors[source.name] = error
        self._mark_failed(source.dataset)
        finished = time.time()
        db.finish_run(self.engine, run_id, finished_at=finished, rows_ok=rows[0], rows_quarantined=rows[1],
                      error=error, status=status)
        log.warning("pull of %s %s: %s", source.name, status, error)
        return PullResult(source.name, source.dataset, started, finished, *rows, error=error,
                          version=self.store.status(source.dataset).version, held=status == "held")

    def _cancelled(self, source: SourceSettings, run_id: int, started: float) -> PullResult:
        """Cancelled before publishing: the last good frames stay, and the dataset is not marked failed."""
        error = "操作员已取消本次拉取（未发布）"
        finished = time.time()
        db.finish_run(self.engine, run_id, finished_at=finished, rows_ok=0, rows_quarantined=0, error=error,
                      status="cancelled")
        log.info("pull of %s cancelled", source.name)
        return PullResult(source.name, source.dataset, started, finished, error=error,
                          version=self.store.status(source.dataset).version, cancelled=True)

    def _match_regions(self, source: SourceSettings, good: pd.DataFrame) -> pd.DataFrame | None:
        if source.dataset != "incidents":
            return None
        matched = region_match(good, geography_ids(self.settings), self.store.frame("regions", "regions"))
        self._region_matches[source.name] = matched
        return matched

    # ---- last good rows per source ---------------------------------------------------------------
    def _raw_path(self, source: SourceSettings) -> Path:
        return self._raw_dir / f"{safe_name(source.name)}.parquet"

    def _keep_last_good(self, source: SourceSettings, good: pd.DataFrame) -> None:
        # A dataset fed by several sources is rebuilt from each one's last good rows; keep them on
        # disk so a restart while one source is down still has its rows, and so that a pull or an accept
        # in another process reaches this one. A single-source dataset's published frames are its last
        # good data already.
        mtime = 0.0
        if len(self.settings.sources_for(source.dataset)) > 1:
            self._raw_dir.mkdir(parents=True, exist_ok=True)
            good.to_parquet(self._raw_path(source), index=False)
            mtime = self._raw_path(source).stat().st_mtime
        self._last_good[source.name] = (mtime, good)

    def _last_good_rows(self, source: SourceSettings) -> pd.DataFrame | None:
        path = self._raw_path(source)
        kept = self._last_good.get(source.name)
        if path.exists() and (kept is None or (kept[0] and path.stat().st_mtime > kept[0])):
            self._last_good[source.name] = kept = (path.stat().st_mtime, pd.read_parquet(path))
        return None if kept is None else kept[1]

    # ---- publish ---------------------------------------------------------------------------------
    def _rebuild(self, dataset: str, now: datetime) -> int:
        # two sources of one dataset, pulled at once in two processes, rebuild it one after the other
        with locks.held(self.engine, f"dataset:{dataset}", self.settings.app.lock_expiry_seconds,
                        wait=self.settings.app.pull_deadline_seconds) as got:
            if not got:
                raise RuntimeError(f"数据集 {dataset} 正被另一次拉取重建，等待超时")
            if dataset == "indicator_history":
                return self._publish_history_and_targets(now)
            if dataset == "department_history":
                return self._publish_department_history(now)
            parts = [r for s in self.settings.sources_for(dataset) if (r := self._last_good_rows(s)) is not None]
            rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
            regions = self.store.frame("regions", "regions")
            ctx = PullContext(now=now, regions=regions)
            frames = build_frames(dataset, rows, ctx)
            if dataset == "incidents":
                sources = self.settings.sources_for(dataset)
                matched = self._region_matches.get(sources[0].name) if len(sources) == 1 else \
                    region_match(rows, geography_ids(self.settings), regions)
                if matched is not None:
                    frames["region_match"] = matched
            version = self._publish_if_changed(dataset, frames, {
                "rows": len(rows), "sources": [s.name for s in self.settings.sources_for(dataset)],
                "data_as_of": data_as_of(dataset, rows)})
            self._mark_failed(dataset)  # published with another source's last good rows: still stale
            values = indicator_values(dataset, rows, ctx)
            by_department = department_history.department_values(dataset, frames)
        if len(by_department):
            department_history.write(self.engine, by_department, now.date())
            self._publish_department_history(now)
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

    def _publish_department_history(self, now: datetime) -> int:
        # catalog and systems pulls both republish it, maybe in two processes: one after the other
        with locks.held(self.engine, "publish:department_history", self.settings.app.lock_expiry_seconds,
                        wait=self.settings.app.pull_deadline_seconds) as got:
            if not got:
                raise RuntimeError("部门指标历史正被另一次拉取发布，等待超时")
            history = department_history.load(self.engine)
            return self._publish_if_changed("department_history", {"history": history,
                                                                   "as_of": as_of_frame(now, len(history))},
                                            {"rows": len(history)})

    # ---- everything ------------------------------------------------------------------------------
    def reanchor(self) -> list[str]:
        """When a day begins: rebuild the datasets whose frames count days up to today (今日, 近30日,
        逾期) from their last good rows, so the wall's 今日 is the new day before the next pull. A
        dataset this process holds no rows of (nothing pulled since it started, a push_down source)
        waits for its next pull. → the datasets rebuilt."""
        rebuilt = []
        for dataset in DAY_ANCHORED:
            if any(self._last_good_rows(s) is not None for s in self.settings.sources_for(dataset)):
                self._rebuild(dataset, self.clock())
                rebuilt.append(dataset)
        log.info("统计期跨日：已按新的一天重建 %s", "、".join(rebuilt) or "（无）")
        return rebuilt

    def run_all(self, trigger: str = "manual") -> list[PullResult]:
        return [self.run_source(s.name, trigger) for s in pull_order(self.settings)]


def pull_order(settings: Settings) -> list[SourceSettings]:
    """Every source in the order a full refresh pulls them."""
    order = {d: i for i, d in enumerate(DATASET_ORDER)}
    return sorted(settings.sources, key=lambda s: order.get(s.dataset, 99))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal values, whatever the dtype details a Parquet round trip changes (datetime64[s] → [ms]).
    Compared by row hashes, which pandas computes column-wise: assert_frame_equal boxed every cell of
    a categorical column in Python (≈ 20 s for the 60,000-incident demo city's frames)."""
    if not isinstance(a, pd.DataFrame) or not isinstance(b, pd.DataFrame):  # a detail on disk: always anew
        return False
    if a.shape != b.shape or list(a.columns) != list(b.columns):
        return False
    try:
        return bool((_row_hashes(a) == _row_hashes(b)).all())
    except (TypeError, ValueError):
        return False


def _row_hashes(frame: pd.DataFrame):
    columns = {}
    for name, column in frame.items():
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(column.dtype):
            column = column.dt.as_unit("ns")  # the same instant hashes the same whatever its unit
        columns[name] = column.reset_index(drop=True)
    return pd.util.hash_pandas_object(pd.DataFrame(columns), index=False).to_numpy()


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
