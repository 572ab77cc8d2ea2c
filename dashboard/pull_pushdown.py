"""A pull of an incidents source aggregated in its own database (``push_down = true``).

The steps of :meth:`dashboard.pullers.Puller._run`, on aggregates instead of rows: read (the SQL of
datasources/sql_incidents.py), the quarantine of the rows the contract refuses, the publish guard,
the frames (dashboard/aggregate_frames.py), the day's indicator values and the log. A publish the
guard would hold fails instead: no raw rows came over to keep for ``pull --accept``; the next pull
judges again. The check-source report and the region match need the rows, and are not made.

The table's detail (every good row) is written to Parquet chunk by chunk straight from the source's
``COPY`` (dashboard/detail_file.py) and published as that file, read with DuckDB; a city of at most
``detail_rows`` incidents has it loaded into memory instead, where numpy pages it faster.
"""
from __future__ import annotations

import logging
import time
from functools import partial

import pandas as pd

from dashboard import db, locks
from dashboard.aggregate_frames import aggregate_frames, indicator_values
from dashboard.detail_file import DetailFile, write_detail
from dashboard.frames import as_of_frame
from dashboard.incident_cube import incident_detail
from dashboard.publish_guard import judge
from dashboard.pull_result import PullResult

log = logging.getLogger("citywall.pull")


def district_region_ids(regions: pd.DataFrame | None) -> list[list[str]]:
    """The region ids of each district (the regions frame's lineage), for the newest rows per district."""
    if regions is None or regions.empty or "district_id" not in regions.columns:
        return []
    known = regions[regions["district_id"].notna()]
    return [sorted(part["region_id"].astype(str)) for _, part in known.groupby("district_id")]


def district_of(regions: pd.DataFrame | None) -> dict[str, str] | None:
    """Each region's 区县 (the regions frame's lineage; regions without one are left out: 未知区域), or
    None without a regions frame (each region is then its own district), for the hour cube's grain."""
    if regions is None or regions.empty or "district_id" not in regions.columns:
        return None
    first = regions.drop_duplicates("region_id")  # as region_of: a repeated region id's first row
    known = first[first["district_id"].notna()]
    return dict(zip(known["region_id"].astype(str), known["district_id"].astype(str)))


def run_pushed_down(puller, source, run_id: int, started: float, now, checkpoint):
    from datasources.sql_incidents import read_incident_aggregates

    settings = puller.settings
    regions = puller.store.frame("regions", "regions")
    staged = settings.data_dir / "staging" / f"detail-{run_id}.parquet"
    detail_to = partial(_detail_file, staged, now, regions)
    try:
        agg = read_incident_aggregates(source, settings, now, district_region_ids(regions), district_of(regions),
                                       detail_to)
        if agg.rows_ok <= source.detail_rows:  # a small city's table pages faster from memory (numpy)
            agg.detail = agg.detail.to_pandas()
        return _publish(puller, source, run_id, started, now, checkpoint, regions, agg)
    finally:
        _tidy(staged, getattr(puller.store.frame(source.dataset, "detail"), "path", None))


def _tidy(staged, held) -> None:
    """The staged detail goes once published (a disk store linked it into its version folder); a store
    that holds the file where it was written (in memory) keeps it and the one before (a reader may
    still page the previous version)."""
    if held != staged:
        staged.unlink(missing_ok=True)
    files = sorted(staged.parent.glob("detail-*.parquet"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in files if p != held][1:]:
        old.unlink(missing_ok=True)


def _detail_file(path, now, regions, chunks) -> DetailFile:
    """The pull's detail written chunk by chunk (dashboard/detail_file.py), never all rows in memory."""
    return write_detail(path, (incident_detail(chunk, now, regions) for chunk in chunks))


def _publish(puller, source, run_id: int, started: float, now, checkpoint, regions, agg):
    settings, engine = puller.settings, puller.engine
    checkpoint(agg.rows_read)
    rows_before = db.last_published_rows(engine, source.name)
    verdict = judge(source, rows_before=rows_before, rows_read=agg.rows_read, rows_ok=agg.rows_ok)
    db.replace_quarantine(engine, source.name, source.dataset, agg.quarantined)
    checkpoint()
    if verdict.held:
        reason = f"数据源「{source.name}」发布保护: {verdict.reason}（汇总拉取不保留原始行，下次拉取重新判断）"
        return puller._failed(source, run_id, started, reason, rows=(agg.rows_ok, len(agg.quarantined)))
    frames = aggregate_frames(agg, now, regions)
    frames["as_of"] = as_of_frame(now, agg.rows_ok)
    with locks.held(engine, f"dataset:{source.dataset}", settings.app.lock_expiry_seconds,
                    wait=settings.app.pull_deadline_seconds) as got:
        if not got:
            raise RuntimeError(f"数据集 {source.dataset} 正被另一次拉取重建，等待超时")
        as_of = agg.newest_reported.to_pydatetime().timestamp() if agg.newest_reported is not None else None
        version = puller._publish_if_changed(source.dataset, frames, {
            "rows": agg.rows_ok, "sources": [source.name], "data_as_of": as_of})
    puller._source_errors.pop(source.name, None)
    values = indicator_values(frames, now)
    if values:
        db.upsert_history(engine, values, now.date())
        puller._publish_history_and_targets(now)
    finished = time.time()
    db.finish_run(engine, run_id, finished_at=finished, rows_ok=agg.rows_ok, rows_quarantined=len(agg.quarantined),
                  error="")
    log.info("pulled %s (aggregated in the database): %d ok, %d quarantined in %.2fs", source.name, agg.rows_ok,
             len(agg.quarantined), finished - started)
    return PullResult(source.name, source.dataset, started, finished, agg.rows_ok, len(agg.quarantined), "", version)
