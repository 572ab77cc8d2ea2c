"""系统管理 page (admins): users, kiosk tokens (add, revoke) and the audit log (filter, download).

Built from :func:`dashboard.admin_view.admin_view`'s view model only."""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import audit
from dashboard.admin_view import AUDIT_PAGE_ROWS, AdminView, AuditFilter, current_admin_view
from layouts.drill_page import drill_page
from layouts.status import _table

IDS = {"body": "admin-body", "token_name": "admin-token-name", "token_add": "admin-token-add",
       "token_made": "admin-token-made", "revoke": "admin-revoke", "actor": "admin-actor", "action": "admin-action",
       "since": "admin-since", "until": "admin-until", "download": "admin-download",
       "download_button": "admin-download-button", "notices": "admin-notices"}


_FIELD = {"width": "220px"}


def admin_body(view: AdminView) -> html.Div:
    tokens = [[*cells, html.Button("吊销", id={"type": IDS["revoke"], "token": token_id}, n_clicks=0,
                                   className="cw-back") if active else ""]
              for token_id, cells, active in view.tokens]
    return html.Div([
        html.H2("用户（命令行管理: python run.py user add / disable / list）"),
        _table(["用户名", "角色", "所属部门", "状态", "创建于"], view.users),
        html.H2("大屏令牌"),
        _table(["编号", "名称", "创建者", "创建于", "最近使用", "状态", ""], tokens) if tokens else html.P("尚无令牌。"),
        html.H2("审计记录"),
        html.P(f"显示最近 {view.audit_total_shown} 条（最多 {AUDIT_PAGE_ROWS} 条；下载含全部符合条件的记录）",
               className="cw-muted"),
        _table(list(audit.COLUMNS), view.audit_rows, className="cw-audit") if view.audit_rows else html.P("没有符合条件的记录。"),
    ])


def layout(**_query) -> html.Div:
    view = current_admin_view()
    actions = [{"label": label, "value": key} for key, label in audit.ACTIONS.items()]
    return drill_page("系统管理", [("大屏", "/wall"), ("系统管理", None)], [
        html.Div([
            dcc.Input(id=IDS["token_name"], placeholder="新令牌名称（如 大厅屏）", maxLength=100, style=_FIELD),
            html.Button("新增大屏令牌", id=IDS["token_add"], n_clicks=0, className="cw-back"),
            html.A("退出登录", href="/logout", className="cw-back"),
        ], className="cw-pager"),
        html.Div(id=IDS["token_made"], className="cw-drill-note"),
        html.Div([
            "审计筛选: ",
            dcc.Dropdown(id=IDS["actor"], options=view.actors, placeholder="全部用户", style={"width": "200px"}),
            dcc.Dropdown(id=IDS["action"], options=actions, placeholder="全部操作", style={"width": "200px"}),
            dcc.Input(id=IDS["since"], placeholder="起始日期 YYYY-MM-DD", debounce=True, style=_FIELD),
            dcc.Input(id=IDS["until"], placeholder="截止日期 YYYY-MM-DD", debounce=True, style=_FIELD),
            html.Button("下载审计记录（CSV）", id=IDS["download_button"], n_clicks=0, className="cw-back"),
            dcc.Download(id=IDS["download"]),
        ], className="cw-pager"),
        html.Div(id=IDS["notices"], className="cw-drill-note"),
        html.Div(admin_body(view), id=IDS["body"]),
    ], page_id="admin-page")


# the revoke buttons are on the page only while tokens exist: named for the validation layout
dash.register_page(__name__, path="/admin", title="系统管理", name="系统管理", layout=layout, permission="admin",
                   validation_layout=lambda: html.Button(id={"type": IDS["revoke"], "token": 0}), draws_graphs=False)
