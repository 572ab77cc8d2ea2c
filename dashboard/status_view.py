"""What the 数据状态 page shows, as a view model: read from the frame store and the app database here,
so that layouts/status.py only builds components and callbacks/status.py only asks for a new one."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson
import pandas as pd

from dashboard import db, formatting as fmt, runtime
from dashboard.freshness import DATASET_LABELS, freshness
from dashboard.masking import mask_row
from dashboard.permissions import has_permission
from dashboard.publish_guard import HeldPublishes
from dashboard.source_check import SourceReport, load_reports

QUARANTINE_PAGE = 50
RUN_RESULTS = {"ok": "成功", "failed": "失败", "held": "暂缓发布", "skipped": "跳过", "accepted": "已放行",
               "running": "运行中", "interrupted": "中断", "cancelled": "已取消", "discarded": "已放弃"}
TRIGGERS = {"schedule": "定时", "retry": "重试", "manual": "手动", "cli": "命令行", "startup": "启动",
            "benchmark": "基准测试", "test": "测试"}


@dataclass(frozen=True)
class DatasetRow:
    label: str
    dataset: str
    version: int
    published: str
    age: str
    as_of: str  # "数据截至 2020-01-06" or ""
    state: str  # 正常 | 滞后
    reason: str
    stale: bool


@dataclass(frozen=True)
class QuarantineRow:
    source: str
    dataset: str
    row_number: int
    reason: str
    raw: str  # the whole raw row, personal data masked: "工单编号: H6 · 来电人: 孙** · …"


@dataclass(frozen=True)
class QuarantinePage:
    rows: list[QuarantineRow]
    page: int  # 1-based
    pages: int
    total: int
    source: str  # "" = every source
    sources: list[str] = field(default_factory=list)  # sources with quarantined rows, for the filter


@dataclass(frozen=True)
class StatusView:
    datasets: list[DatasetRow]
    held: list[list[str]]  # source, dataset, held at, rows before → after, reason, command
    runs: list[list[str]]
    reports: list[SourceReport]
    quarantine: QuarantinePage | None  # None (and no reports) for a caller without view_raw_rows


def raw_text(row_json: str, personal, mask: bool) -> str:
    try:
        values = orjson.loads(row_json)
    except orjson.JSONDecodeError:
        return row_json
    if not isinstance(values, dict):
        return row_json
    return " · ".join(f"{k}: {v}" for k, v in mask_row(values, personal, mask).items())


def quarantine_download(rt, source: str = "") -> pd.DataFrame:
    """Every quarantined row (of one source, or all) for the CSV download: reason, source row number
    and the whole raw row, one column per source column, personal data masked."""
    settings = rt.settings
    personal = {s.name: s.personal for s in settings.sources}
    frame = db.quarantined_rows(rt.engine, source or None, limit=None)
    records = []
    for q in frame.itertuples():
        values = orjson.loads(q.row_json)
        records.append({"数据源": q.source, "数据集": DATASET_LABELS.get(q.dataset, q.dataset),
                        "源行号": q.row_number, "原因": q.reason,
                        **mask_row(values if isinstance(values, dict) else {}, personal.get(q.source, ()),
                                   settings.app.mask_personal)})
    return pd.DataFrame(records, columns=None if records else ["数据源", "数据集", "源行号", "原因"])


def quarantine_page(rt, page: int = 1, source: str = "") -> QuarantinePage:
    """One page of every quarantined row (``QUARANTINE_PAGE`` a page), each with its whole raw row."""
    engine, settings = rt.engine, rt.settings
    total = db.count_quarantined(engine, source or None)
    pages = max(1, -(-total // QUARANTINE_PAGE))
    page = min(max(1, page), pages)
    frame = db.quarantined_rows(engine, source or None, limit=QUARANTINE_PAGE, offset=(page - 1) * QUARANTINE_PAGE)
    personal = {s.name: s.personal for s in settings.sources}
    rows = [QuarantineRow(q.source, DATASET_LABELS.get(q.dataset, q.dataset), int(q.row_number or 0), q.reason,
                          raw_text(q.row_json, personal.get(q.source, ()), settings.app.mask_personal))
            for q in frame.itertuples()]
    with_rows = [s.name for s in settings.sources if db.count_quarantined(engine, s.name)]
    return QuarantinePage(rows, page, pages, total, source, with_rows)


#: a failed run's error for a caller without view_raw_rows
ERROR_HIDDEN = "（错误详情需「查看原始行与错误详情」权限）"


def status_view(rt, page: int = 1, source: str = "", details: bool = False) -> StatusView:
    """The page's view model; source errors, check reports and quarantined rows (URLs, paths, raw
    rows) only with ``details`` (the caller holds view_raw_rows)."""
    now = time.time()
    datasets = []
    for name, status in rt.store.statuses().items():
        fresh = freshness(rt.settings, status, now)
        datasets.append(DatasetRow(DATASET_LABELS.get(name, name), name, status.version, fmt.moment(status.published_at),
                                   fmt.age(fresh.age_seconds), fresh.as_of, "滞后" if fresh.stale else "正常",
                                   fresh.shown_reason(details), fresh.stale))
    held = [[h.source, DATASET_LABELS.get(h.dataset, h.dataset), fmt.moment(h.held_at),
             f"{'首次' if h.rows_before is None else fmt.count(h.rows_before)} → {fmt.count(h.rows_after)}", h.reason,
             f"python run.py pull --accept {h.source}"] for h in HeldPublishes(rt.engine, rt.settings.data_dir / "held").all()]
    runs = [[r.source, DATASET_LABELS.get(r.dataset, r.dataset), fmt.moment(r.started_at),
             fmt.duration((r.finished_at or r.started_at) - r.started_at), fmt.count(r.rows_ok),
             fmt.count(r.rows_quarantined), TRIGGERS.get(r.trigger, r.trigger),
             RUN_RESULTS.get(r.status, r.status) + (f": {r.error if details else ERROR_HIDDEN}" if r.error else "")]
            for r in db.recent_runs(rt.engine, limit=50).itertuples()]
    if not details:
        return StatusView(datasets, held, runs, [], None)
    reports = load_reports(rt.engine)
    ordered = [reports[s.name] for s in rt.settings.sources if s.name in reports]
    return StatusView(datasets, held, runs, ordered, quarantine_page(rt, page, source))


def current_status_view(page: int = 1, source: str = "") -> StatusView:
    """The running app's status view for the current caller (the page's refresh callback asks for this)."""
    return status_view(runtime.current(), page, source, has_permission("view_raw_rows"))


@dataclass(frozen=True)
class StatusPage:
    """The 数据状态 page: its heading, refresh period, the query it was opened with, and the view."""
    city_name: str
    refresh_ms: int
    query: dict  # {"page": 1-based page of quarantined rows, "source": "" or one source}
    view: StatusView


def _page_number(text) -> int:
    try:
        return max(1, int(text))
    except (TypeError, ValueError):
        return 1


def status_page(qpage=None, qsource=None) -> StatusPage:
    """The page for the URL's ``qpage`` and ``qsource`` (a bad page number is page 1)."""
    rt = runtime.current()
    query = {"page": _page_number(qpage), "source": qsource or ""}
    return StatusPage(rt.settings.city.name, rt.settings.app.refresh_seconds * 1000, query,
                      status_view(rt, query["page"], query["source"], has_permission("view_raw_rows")))
