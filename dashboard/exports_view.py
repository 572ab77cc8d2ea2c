"""What /exports shows (the archive's list, the export buttons, a job's progress) and /ops's export rows,
as view models read from the app database here: layouts/exports.py only builds components."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dashboard import exports, formatting as fmt, jobs, runtime
from dashboard.export_producers import PRODUCERS
from dashboard.ops_view import JobProgress

TRIGGERS = {"manual": "手动", "schedule": "定时", "cli": "命令行"}
#: the buttons of /exports, in order: (kind, its text)
BUTTONS = (("png", "导出大屏 PNG"), ("pdf", "导出通报 PDF"), ("xlsx", "导出数据 Excel"))


@dataclass(frozen=True)
class ExportRow:
    id: int
    made_at: str
    kind: str  # 大屏 PNG
    view: str
    data_version: str
    made_by: str  # who, and 定时 / 手动
    size: str
    status: str  # 完成 / 失败
    failed: bool
    error: str
    href: str | None  # the download, when the file is there


@dataclass(frozen=True)
class ExportButton:
    kind: str
    text: str
    available: bool
    note: str  # why it is not available


@dataclass(frozen=True)
class ExportsView:
    rows: list[ExportRow]
    buttons: list[ExportButton]
    views: list[tuple[str, str]]  # (view, label) the PNG can show: 全市 and each district
    retention: str
    schedule: str
    job: JobProgress | None  # an export queued or running now


def file_size(size: int | None) -> str:
    if size is None:
        return fmt.MISSING
    for unit, word in ((1 << 20, "MB"), (1 << 10, "KB")):
        if size >= unit:
            return f"{size / unit:.1f} {word}"
    return f"{size} B"


def download_href(export_id: int) -> str:
    return f"/exports/file/{export_id}"


def export_row(export: exports.Export, archive) -> ExportRow:
    kind = PRODUCERS[export.kind].label if export.kind in PRODUCERS else export.kind
    has_file = exports.file_of(archive, export) is not None
    return ExportRow(export.id, fmt.moment(export.created_at), kind, export.view_label or export.view,
                     export.data_version or fmt.MISSING,
                     f"{export.created_by or '匿名'}（{TRIGGERS.get(export.trigger, export.trigger)}）",
                     file_size(export.size_bytes), exports.STATUSES.get(export.status, export.status),
                     export.status == "failed", export.error, download_href(export.id) if has_file else None)


def export_progress(job: jobs.Job) -> JobProgress:
    """排队中 → 截图中 / 生成中 → 归档中 → 完成 (or 失败 with the reason)."""
    if job.status == "queued":
        text = "排队中，等待执行任务的进程领取"
    elif job.active:
        text = job.stage or "开始"
    elif job.status == "done":
        text = "完成 · 已归档，可在下方列表下载"
    else:  # the reason follows in the watcher's last line, and on the archive's row
        text = {"failed": "失败"}.get(job.status) or jobs.JOB_STATUSES.get(job.status, job.status)
    return JobProgress(job.id, job.label, job.status, job.sources_done, max(job.sources_total, 2), text, job.active,
                       job.error)


def recent_rows(rt=None, limit: int = 200, status: str | None = None) -> list[ExportRow]:
    rt = rt or runtime.current()
    archive = exports.folder(rt.settings)
    return [export_row(e, archive) for e in exports.recent(rt.engine, limit, status)]


def exports_view(districts: dict[str, str], rt=None) -> ExportsView:
    rt = rt or runtime.current()
    export = rt.settings.export
    buttons = [ExportButton(kind, text, PRODUCERS[kind].available,
                            "" if PRODUCERS[kind].available else "尚未可用") for kind, text in BUTTONS]
    active = [j for j in jobs.active_jobs(rt.engine) if j.kind == "export"]
    return ExportsView(
        recent_rows(rt), buttons, [("city", "全市")] + [(f"district:{k}", v) for k, v in districts.items()],
        f"保留 {export.retention_days} 天" if export.retention_days else "永久保留",
        f"每日通报：cron {export.daily_briefing}（北京时间）" if export.daily_briefing else "每日通报：未开启",
        export_progress(active[0]) if active else None)


def download_name(city: str, export: exports.Export) -> str:
    """示范市-大屏 PNG-全市-20261202-0800.png"""
    kind = PRODUCERS[export.kind].label if export.kind in PRODUCERS else export.kind
    return f"{city}-{kind}-{export.view_label or export.view}-{datetime.fromtimestamp(export.created_at):%Y%m%d-%H%M}." \
           f"{export.kind}".replace(" ", "").replace("/", "_")
