"""What /exports does on the server, behind the ``export`` permission: queue an export on the job queue,
read its progress, list the archive, hand out an archived file (each download audited). Callbacks and
the download route call these; a refusal is :class:`PermissionDenied` (401/403 in Chinese, audited by
dashboard/auth_gate.py)."""
from __future__ import annotations

import flask

from dashboard import audit, exports, jobs, runtime
from dashboard.export_jobs import export_params
from dashboard.export_producers import ExportError, check_view, producer, view_label
from dashboard.exports_view import ExportsView, download_name, export_progress, exports_view
from dashboard.ops_view import JobProgress
from dashboard.permissions import require_permission

PERMISSION = "export"


def _districts() -> dict[str, str]:
    from dashboard.wall_view import geography_of
    from layouts.wall_panels import district_names

    return district_names(geography_of(runtime.current()))


def view() -> ExportsView:
    """/exports's view model (the page and its callbacks: dashboard/auth_gate.py has checked ``export``)."""
    return exports_view(_districts())


def request_export(kind: str, view_name: str | None = None) -> tuple[JobProgress, bool]:
    """Queue an export of ``kind`` (its default view unless given); (its progress, queued now). The same
    export already queued or running is handed back instead of a second one."""
    caller = require_permission(PERMISSION)
    made = producer(kind)
    if not made.available:
        raise ExportError(f"{made.label} 导出尚未可用")
    districts = _districts()
    target = check_view(view_name or made.default_view, districts)
    job, queued = jobs.enqueue(runtime.current().engine, "export", requested_by=caller.name or caller.kind,
                               params=export_params(kind, target, view_label(target, districts)))
    audit.record("export", job.label, detail=f"已排队，任务 {job.id}" if queued else f"已在进行，任务 {job.id}")
    return export_progress(job), queued


def progress(job_id: int) -> JobProgress | None:
    job = jobs.get(runtime.current().engine, job_id)
    return export_progress(job) if job is not None and job.kind == "export" else None


def archived_file(export_id: int) -> tuple[str, str, str] | None:
    """(file path, download name, mimetype) of an archived export, audited; None when there is none."""
    require_permission(PERMISSION)
    rt = runtime.current()
    export = exports.get(rt.engine, export_id)
    path = exports.file_of(exports.folder(rt.settings), export) if export is not None else None
    if path is None:
        audit.record("download", f"导出文件 {export_id}", "failed", detail="没有该导出文件")
        return None
    audit.record("download", f"导出文件 {export_id}", detail=download_name(rt.settings.city.name, export))
    return str(path), download_name(rt.settings.city.name, export), producer(export.kind).mimetype


def install(server: flask.Flask) -> None:
    """The archive's download route."""

    @server.route("/exports/file/<int:export_id>")
    def export_download(export_id: int):
        found = archived_file(export_id)
        if found is None:
            return flask.Response(f"没有编号为 {export_id} 的导出文件（可能已按保留期删除）", status=404,
                                  mimetype="text/plain")
        path, name, mimetype = found
        return flask.send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
