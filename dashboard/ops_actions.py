"""What /ops does on the server, each behind its named permission and written to the audit trail:
queue a refresh (one source or all), cancel it, accept or discard a held publish, download the
rejected rows. Callbacks and routes call these; a refusal is :class:`PermissionDenied` (403 in Chinese).

Refreshes and accepts go through the job queue (dashboard/jobs.py): the process running the jobs does
the pulling, whichever process served the click.
"""
from __future__ import annotations

import flask

from dashboard import audit, downloads, jobs, runtime
from dashboard.ops_view import JobProgress, OpsView, download_frame, job_progress, ops_view, source_known
from dashboard.permissions import PermissionDenied, require_permission
from dashboard.publish_guard import HeldPublishes

def _guarded(permission: str, action: str, target: str):
    try:
        return require_permission(permission)
    except PermissionDenied:
        audit.record(action, target, "denied", detail=f"缺少权限 {permission}")
        raise


def view() -> OpsView:
    """/ops's table, newly read (the page is for whoever may refresh)."""
    require_permission("refresh")
    return ops_view()


def request_refresh(source: str | None = None) -> tuple[JobProgress, bool]:
    """Queue a refresh of ``source`` (None: every source); (its progress, whether it was queued now).
    A refresh of the same source already queued or running is handed back instead of a second one."""
    target = source or "全部数据源"
    caller = _guarded("refresh", "refresh", target)
    if source is not None and not source_known(source):
        raise ValueError(f"没有名为「{source}」的数据源")
    job, queued = jobs.enqueue(runtime.current().engine, "refresh_source" if source else "refresh_all", source,
                               requested_by=caller.name or caller.kind)
    audit.record("refresh", target, detail=f"已排队，任务 {job.id}" if queued else f"已在进行，任务 {job.id}")
    return job_progress(job), queued


def cancel(job_id: int) -> bool:
    _guarded("refresh", "cancel", f"job {job_id}")
    flagged = jobs.request_cancel(runtime.current().engine, job_id)
    audit.record("cancel", f"任务 {job_id}", detail="已请求取消" if flagged else "任务已结束")
    return flagged


def progress(job_id: int) -> JobProgress | None:
    job = jobs.get(runtime.current().engine, job_id)
    return job_progress(job) if job is not None else None


def accept_held(source: str) -> JobProgress:
    caller = _guarded("accept_guard", "accept_guard", source)
    job, _ = jobs.enqueue(runtime.current().engine, "accept", source, requested_by=caller.name or caller.kind)
    audit.record("accept_guard", source, detail=f"已排队，任务 {job.id}")
    return job_progress(job)


def discard_held(source: str) -> bool:
    _guarded("accept_guard", "discard_guard", source)
    rt = runtime.current()
    dropped = HeldPublishes(rt.engine, rt.settings.data_dir / "held").discard(source) is not None
    audit.record("discard_guard", source, detail="已放弃" if dropped else "没有暂缓的发布")
    return dropped


def quarantine_file(source: str, kind: str) -> tuple[bytes, str, str]:
    """(bytes, file name, mimetype) of the rejected rows as CSV (UTF-8 with BOM, which Excel reads) or
    Excel, masked per ``app.mask_personal``."""
    _guarded("view_raw_rows", "download", f"隔离行 {source or '全部'}")
    frame = download_frame(source)
    name = f"隔离行-{source or '全部'}"
    audit.record("download", f"隔离行 {source or '全部'}", detail=f"{len(frame)} 行，{kind.upper()}")
    return downloads.frame_file(frame, kind, "隔离行"), f"{name}.{kind}", downloads.MIMETYPES[kind]


def install(server: flask.Flask) -> None:
    """The download routes of the rejected rows (a refusal is answered by dashboard/auth_gate.py)."""
    from urllib.parse import quote

    @server.route("/ops/quarantine.<kind>")
    def quarantine_download(kind: str):
        if kind not in ("csv", "xlsx"):
            return flask.Response("只提供 CSV（.csv）或 Excel（.xlsx）下载", status=404, mimetype="text/plain")
        source = flask.request.args.get("source", "")
        if source and not source_known(source):
            return flask.Response(f"没有名为「{source}」的数据源", status=404, mimetype="text/plain")
        body, filename, mimetype = quarantine_file(source, kind)
        response = flask.Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
