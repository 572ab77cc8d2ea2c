"""大屏控制 (/console): send a view to a screen (control_wall, audited), and the screens table kept fresh."""
from __future__ import annotations

from dash import Input, Output, State, callback, no_update

from dashboard.permissions import protect_callbacks, require_permission
from dashboard.wall_control import WallControlError
from dashboard.wall_control_view import CHOICE_URL, console_view, send_view, view_url_of
from layouts.command_bar import bar_id
from layouts.console import COMMAND_BAR, IDS, recent_table, screens_table

protect_callbacks("control_wall", "console-*")


@callback(Output(IDS["result"], "children"), Input(IDS["send"], "n_clicks"), Input(IDS["url"], "n_submit"),
          State(IDS["target"], "value"), State(IDS["view"], "value"), State(IDS["url"], "value"),
          prevent_initial_call=True)
def send(n_clicks, n_submit, screen, choice, url):
    """The form's view (or the URL typed, when no view is chosen) to the chosen screen."""
    if not (n_clicks or n_submit):
        return no_update
    require_permission("control_wall")
    if not screen:
        return "请选择要控制的大屏（或“全部大屏”）"
    try:
        command = send_view(screen, view_url_of(choice or ("url" if url else None), url))
    except WallControlError as exc:
        return f"未发送：{exc.message}"
    where = "全部大屏" if command.screen == "*" else f"大屏「{command.screen}」"
    return f"已发送到{where}：{command.label}（约 2 秒内切换）"


@callback(Output(IDS["screens"], "children"), Output(IDS["recent"], "children"), Output(IDS["target"], "options"),
          Input(IDS["tick"], "n_intervals"), Input(IDS["result"], "children"), prevent_initial_call=True)
def refresh(_n, _result):
    require_permission("control_wall")
    view = console_view()
    return screens_table(view), recent_table(view), view.screen_options


@callback(Output(IDS["url"], "value"), Output(IDS["view"], "value"),
          Input(bar_id("view", COMMAND_BAR), "data"), prevent_initial_call=True)
def take_the_bars_view(view):
    """The view the console's command bar resolved a sentence to goes into the send form: one click
    (发送到大屏) sends it to the chosen screen."""
    url = view.get("url") if isinstance(view, dict) else None
    return (url, CHOICE_URL) if url else (no_update, no_update)
