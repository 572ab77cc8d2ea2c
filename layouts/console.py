"""The operator console (大屏控制, ``/console``, control_wall): the named wall screens (connected or not,
what each shows), a form that sends a view to one screen or to all, and the last commands sent.

Built from :func:`dashboard.wall_control_view.console_view`'s view model only. The form's view URL box
(``IDS["url"]``) takes any view URL, e.g. the command bar's resolved one; the server checks it.
"""
from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.wall_control_view import ConsoleView, console_view
from layouts.drill_page import drill_page
from layouts.status import _table

IDS = {"screens": "console-screens", "recent": "console-recent",
       "tick": "console-tick", "target": "console-target", "view": "console-view", "url": "console-url",
       "send": "console-send", "result": "console-result"}
COMMAND_BAR = "console"  # its command bar's name (layouts/command_bar.py): callbacks/console.py reads its view
REFRESH_MS = 5000  # the screens table: a heartbeat is at most 30 s old, so a few seconds is plenty


def screens_table(view: ConsoleView):
    if not view.screens:
        return html.P("尚无大屏。用 python run.py token add --name 大厅屏 --screen main 签发绑定大屏名称的令牌，"
                      "再在大屏上打开 /wall?screen=main&kiosk=1&token=…", className="cw-muted")
    return _table(["大屏名称", "状态", "正在显示", "最近连接"],
                  [[r.name, r.state, r.showing, r.last_seen] for r in view.screens],
                  row_classes=["is-online" if r.online else "is-offline" for r in view.screens],
                  className="cw-console-screens")


def recent_table(view: ConsoleView):
    if not view.recent:
        return html.P("尚未发送过视图。", className="cw-muted")
    return _table(["时间", "大屏", "视图", "发送人"], view.recent, className="cw-console-recent")


def layout(**_query) -> html.Div:
    view = console_view()
    # the header's command bar is the console's own: the view a sentence resolves to fills the send form
    return drill_page("大屏控制", [("大屏", "/wall"), ("大屏控制", None)], [
        html.H2("大屏"),
        html.Div(screens_table(view), id=IDS["screens"]),
        dcc.Interval(id=IDS["tick"], interval=REFRESH_MS),
        html.H2("发送视图"),
        html.Div([
            dcc.Dropdown(id=IDS["target"], options=view.screen_options, placeholder="选择大屏", clearable=False,
                         style={"width": "220px"}),
            dcc.Dropdown(id=IDS["view"], options=view.view_options, placeholder="选择视图", clearable=False,
                         style={"width": "260px"}),
            dcc.Input(id=IDS["url"], placeholder="下钻页面地址，如 /incidents?region=…", maxLength=500,
                      style={"width": "420px"}),
            html.Button("发送到大屏", id=IDS["send"], n_clicks=0, className="cw-back"),
        ], className="cw-pager"),
        html.Div(id=IDS["result"], className="cw-drill-note", role="status"),
        html.H2("最近的控制命令"),
        html.Div(recent_table(view), id=IDS["recent"]),
    ], page_id="console-page", bar=COMMAND_BAR)


dash.register_page(__name__, path="/console", title="大屏控制", name="大屏控制", layout=layout, permission="control_wall",
                   draws_graphs=False)
