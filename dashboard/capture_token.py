"""The exports' service token: how the server's own headless Chromium signs in to capture a page.

It is a row of the kiosk-token table of ``scope`` capture (migration 0008_capture_token): only its
sha256 is in the app database, the plain secret in ``data_dir/capture-token`` (mode 0600), so every
process of the city (the web server, the scheduler, ``run.py snapshot``) sends the same token, and
any of them serving the page knows it. The capture's browser sends it in the :data:`HEADER` header
of every request (never in a URL or a cookie). It lets the capture see what it draws (the wall, the
drill-down pages, the 通报: :data:`~dashboard.permissions.CAPTURE_PERMISSIONS`) and nothing else: no
raw rows, downloads, refreshes or exports; whoever asked for the export was checked before.

The first capture of a city issues it (audited, by 系统). ``run.py token list`` shows it,
``run.py token revoke <编号或名称>`` revokes it, after which every capture fails with
:data:`REVOKED` until ``run.py token capture`` issues a new one.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import Engine

from dashboard import accounts
from dashboard.errors import MessageError

HEADER = "X-CityWall-Capture"
#: who asked for the capture (informative: it goes into the audit row's detail), percent-encoded
ON_BEHALF_HEADER = "X-CityWall-Capture-For"
NAME = "导出截图服务"
FILE_NAME = "capture-token"
ISSUE_COMMAND = "python run.py token capture"
REVOKED = (f"导出截图的服务令牌已被吊销或已失效，未生成导出：请运行 {ISSUE_COMMAND} 签发新的服务令牌"
           "（只读：只能查看大屏、下钻页面与通报），然后重新导出")


class CaptureTokenError(MessageError, RuntimeError):
    """The service token cannot be used; ``.message`` says in Chinese how to issue a new one."""

    def __init__(self, message: str = REVOKED):
        super().__init__(message)


def secret_file(settings) -> Path:
    return Path(settings.data_dir) / FILE_NAME


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def _write(path: Path, secret: str) -> None:
    """The secret into ``path``, readable by this account only (0600 from its creation on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret + "\n")
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def issue(engine: Engine, settings, created_by: str, *, revoke_others: bool = True) -> accounts.KioskToken:
    """A new service token (every active one before it revoked), its secret written to the data dir."""
    for old in accounts.list_tokens(engine) if revoke_others else ():
        if old.scope == accounts.CAPTURE_SCOPE and old.active:
            accounts.revoke_token(engine, str(old.id))
    token, secret = accounts.add_token(engine, NAME, created_by, scope=accounts.CAPTURE_SCOPE)
    _write(secret_file(settings), secret)
    return token


def secret(engine: Engine, settings) -> str:
    """The service token's secret, for a capture now: issued on the city's first capture; a
    :class:`CaptureTokenError` once it was revoked (or its file lost)."""
    from dashboard import audit
    from dashboard.permissions import Caller

    held = _read(secret_file(settings))
    if held and accounts.token_of(engine, held, scope=accounts.CAPTURE_SCOPE) is not None:
        return held
    if held or any(t.scope == accounts.CAPTURE_SCOPE for t in accounts.list_tokens(engine)):
        raise CaptureTokenError()  # revoked, or another data dir's: an administrator decides, never this code
    # two processes making their first capture at once may both issue one: both stay valid
    token = issue(engine, settings, "系统", revoke_others=False)
    audit.record("token_add", token.name, caller=Caller(name="系统", kind="capture"), engine=engine, address="",
                 detail="首次导出时自动签发的只读服务令牌")
    return _read(secret_file(settings))
