"""A pull of an incidents source aggregated in its own database (``push_down = true``).

The steps of :meth:`dashboard.pullers.Puller._run`, on aggregates instead of rows: read (the SQL of
datasources/sql_incidents.py), the quarantine of the rows the contract refuses, the publish guard,
the frames (dashboard/aggregate_frames.py), the day's indicator values and the log. A publish the
guard would hold fails instead: no raw rows came over to keep for ``pull --accept``; the next pull
judges again. The check-source report and the region match need the rows, and are not made.
"""
from __future__ import annotations

import logging
import time

import pandas as pd

from dashboard import db, locks
from dashboard.aggregate_frames import aggregate_frames, indicator_values
from dashboard.frames import as_of_frame
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

    settings, engine = puller.settings, puller.engine
    regions = puller.store.frame("regions", "regions")
    agg = read_incident_aggregates(source, settings, now, source.detail_rows, district_region_ids(regions),
                                   district_of(regions))
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
