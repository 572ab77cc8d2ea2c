"""系统管理 page: the audit filter and download, kiosk tokens added and revoked (each audited)."""
from __future__ import annotations

import io

from dash import ALL, Input, Output, State, callback, ctx, dcc, no_update

from dashboard import accounts, audit, runtime
from dashboard.admin_view import AuditFilter, audit_rows, current_admin_view
from dashboard.permissions import protect_callbacks, require_permission
from layouts.admin import IDS, admin_body

protect_callbacks("admin", "admin-*")


@callback(Output(IDS["body"], "children"), Output(IDS["notices"], "children"), Output(IDS["token_made"], "children"),
          Input(IDS["actor"], "value"), Input(IDS["action"], "value"), Input(IDS["since"], "value"),
          Input(IDS["until"], "value"), Input(IDS["token_add"], "n_clicks"),
          Input({"type": IDS["revoke"], "token": ALL}, "n_clicks"), State(IDS["token_name"], "value"),
          prevent_initial_call=True)
def refresh_admin(actor, action, since, until, _add, _revoke, token_name):
    caller = require_permission("admin")
    engine = runtime.current().engine
    made = no_update
    trigger = ctx.triggered_id
    if trigger == IDS["token_add"] and _add:
        try:
            token, secret = accounts.add_token(engine, str(token_name or ""), caller.name)
        except accounts.AccountError as exc:
            made = str(exc)
        else:
            audit.record("token_add", token.name)
            made = f"已新增令牌「{token.name}」。大屏地址（只显示这一次）: /wall?kiosk=1&token={secret}"
    elif isinstance(trigger, dict) and trigger.get("type") == IDS["revoke"] and any(_revoke or []):
        token = accounts.revoke_token(engine, str(trigger["token"]))
        audit.record("token_revoke", token.name)
        made = f"已吊销令牌「{token.name}」"
    flt, notices = AuditFilter.from_values(actor, action, since, until)
    return admin_body(current_admin_view(flt)), "；".join(notices), made


@callback(Output(IDS["download"], "data"), Input(IDS["download_button"], "n_clicks"),
          State(IDS["actor"], "value"), State(IDS["action"], "value"), State(IDS["since"], "value"),
          State(IDS["until"], "value"), prevent_initial_call=True)
def download_audit(n_clicks, actor, action, since, until):
    if not n_clicks:
        return no_update
    require_permission("admin")
    flt, _ = AuditFilter.from_values(actor, action, since, until)
    buffer = io.StringIO()
    audit.write_csv(audit_rows(runtime.current().engine, flt, limit=None), buffer)
    audit.record("export", "审计记录", detail=f"用户={flt.actor or '全部'} 操作={flt.action or '全部'}")
    return dcc.send_bytes(buffer.getvalue().encode("utf-8-sig"), "审计记录.csv")
