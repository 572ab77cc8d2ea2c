"""What /ops does on the server, each behind its named permission and written to the audit trail:
queue a refresh (one source or all), cancel it, accept or discard a held publish, download the
rejected rows. Callbacks and routes call these; a refusal is :class:`PermissionDenied` (403 in Chinese).

Refreshes and accepts go through the job queue (dashboard/jobs.py): the process running the jobs does
the pulling, whichever process served the click.
"""
from __future__ import annotations

import io
import logging

import flask

from dashboard import jobs, runtime
from dashboard.ops_view import JobProgress, OpsView, download_frame, job_progress, ops_view, source_known
from dashboard.permissions import PermissionDenied, current_caller, require_permission
from dashboard.publish_guard import HeldPublishes

log = logging.getLogger("citywall.ops")


def _audit(action: str, target: str, outcome: str) -> None:
    """The one place /ops writes the audit trail (who is the current caller). Wired to
    ``dashboard.audit.record`` once the audit trail lands; until then a log line."""
    caller = current_caller()
    where = flask.request.remote_addr if flask.has_request_context() else ""
    log.info("audit: %s %s %s by %s from %s", action, target, outcome, caller.name or caller.kind, where)


def _guarded(permission: str, action: str, target: str):
    try:
        return require_permission(permission)
    except PermissionDenied:
        _audit(action, target, "refused")
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
    _audit("refresh", target, f"queued job {job.id}" if queued else f"already running as job {job.id}")
    return job_progress(job), queued


def cancel(job_id: int) -> bool:
    _guarded("refresh", "cancel", f"job {job_id}")
    flagged = jobs.request_cancel(runtime.current().engine, job_id)
    _audit("cancel", f"job {job_id}", "flagged" if flagged else "not running")
    return flagged


def progress(job_id: int) -> JobProgress | None:
    job = jobs.get(runtime.current().engine, job_id)
    return job_progress(job) if job is not None else None


def accept_held(source: str) -> JobProgress:
    caller = _guarded("accept_guard", "guard_accept", source)
    job, _ = jobs.enqueue(runtime.current().engine, "accept", source, requested_by=caller.name or caller.kind)
    _audit("guard_accept", source, f"queued job {job.id}")
    return job_progress(job)


def discard_held(source: str) -> bool:
    _guarded("accept_guard", "guard_discard", source)
    rt = runtime.current()
    dropped = HeldPublishes(rt.engine, rt.settings.data_dir / "held").discard(source) is not None
    _audit("guard_discard", source, "discarded" if dropped else "nothing held")
    return dropped


def quarantine_file(source: str, kind: str) -> tuple[bytes, str, str]:
    """(bytes, file name, mimetype) of the rejected rows as CSV (UTF-8 with BOM, which Excel reads) or
    Excel, masked per ``app.mask_personal``."""
    _guarded("view_raw_rows", "quarantine_download", source or "全部")
    frame = download_frame(source)
    name = f"隔离行-{source or '全部'}"
    _audit("quarantine_download", source or "全部", f"{len(frame)} rows as {kind}")
    if kind == "xlsx":
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, sheet_name="隔离行")
        return buffer.getvalue(), f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return frame.to_csv(index=False).encode("utf-8-sig"), f"{name}.csv", "text/csv; charset=utf-8"


def install(server: flask.Flask) -> None:
    """The download routes, and a refused callback or route answering 403 with the Chinese reason."""
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

    @server.errorhandler(PermissionDenied)
    def refused(exc: PermissionDenied):
        return flask.Response(exc.message, status=403, mimetype="text/plain")
