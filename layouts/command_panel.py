"""The wall's 指挥调度 panel (一句话响应) as HTML: today's, open and overdue instructions, the overdue
ones per department, and the latest steps of the loop, from the view model
:class:`dashboard.instructions_view.CommandPanel` only.

It shares the box of 省级目标指标 in turn (assets/wall-faces.js): the bottom row has no room for a fifth
panel, and the targets change slowly and stay summed up in the 目标达标 tile meanwhile. Every number's
hover is the indicator registry's (layouts/tips.py); overdue is red.
"""
from __future__ import annotations

from dash import html

from dashboard import formatting as fmt
from dashboard.instructions_view import CommandPanel
from layouts import theme, tips
from layouts.links import _href
from layouts.map_labels import text_width
from layouts.meters import bar_track

#: the three counts: (indicator of dashboard/indicators.py, label, the panel's field)
STATS = (("instructions_issued_today", "今日下达", "issued_today"), ("open_instructions", "未办结", "open"),
         ("overdue_instructions", "超期", "overdue"))
STATS_PX = 36 * 1.1 + 2 * 6 + 8  # the counts' row (its big number, padding) and the gap under it (wall-command.css)
LIST_HEAD_EM = 1.7  # the heading over each list, its rule and margin
ROW_EM = 1.55  # a row of either list (assets/wall-command.css .cw-cmd-row)
DEPT_EM = 8  # a department's name column: 示范市城市管理局 whole
LIST_GAP_PX = 20  # between the two lists, in canvas px at scale 1 (.cw-cmd-lists column-gap)
EVENTS_SHARE = 0.55  # the latest steps' share of the width (.cw-cmd-lists 0.9fr 1.1fr)


def fit_text(text: str, em: float) -> str:
    """``text`` cut with "…" where it would pass ``em`` label widths (the whole line is in its hover):
    a line the wall cannot show whole is shortened here, never cut off by the browser."""
    if text_width(text, 1) <= em:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch, 1) + 1 > em:
            break
        out += ch
    return out.rstrip() + "…"


def is_idle(panel: CommandPanel | None) -> bool:
    """Nothing to follow: no instruction open, and none issued or moved today."""
    return panel is None or not (panel.open or panel.issued_today or any(e.today for e in panel.latest))


def rows_that_fit(height: float, scale: float, text_scale: float) -> int:
    """Rows of each list under the counts at the label size (fewer, bigger ones at a larger text scale)."""
    label = theme.font_px(theme.LABEL_PX, scale, text_scale)
    return max(1, int((height - STATS_PX * scale - LIST_HEAD_EM * label) // (ROW_EM * label)))


def short_name(name: str, city: str) -> str:
    """A department's name without the city's (示范市城市管理局 → 城市管理局): the wall's header names the city."""
    return name[len(city):] if city and name.startswith(city) and len(name) > len(city) else name


def _stat(indicator_id: str, label: str, value: int, as_of) -> html.Div:
    tone = " is-bad" if indicator_id == "overdue_instructions" and value else ""
    return html.Div([html.Span(label, className="cw-cmd-label"),
                     html.B([html.Span(fmt.count(value), className="cw-num"), html.Span("条", className="cw-unit")],
                            className="cw-cmd-value" + tone,
                            **{"data-tip": tips.tip(indicator_id, f"{fmt.count(value)} 条", as_of=as_of)})],
                    className="cw-cmd-stat")


def _late_rows(panel: CommandPanel, rows: int, as_of, city: str) -> list:
    if not panel.overdue_by_department:
        return [html.Div("暂无超期指令", className="cw-cmd-none is-good")]
    most = max(n for _, n in panel.overdue_by_department)
    out = []
    shown = panel.overdue_by_department if len(panel.overdue_by_department) <= rows else \
        panel.overdue_by_department[:rows - 1]
    for name, n in shown:
        out.append(html.Div([
            html.Span(fit_text(short_name(name, city), DEPT_EM), className="cw-cmd-dept"),
            bar_track(n / most, "bad"),
            html.B(fmt.count(n), className="cw-cmd-count is-bad"),
        ], className="cw-cmd-row", **{"data-tip": tips.tip("overdue_instructions", f"{fmt.count(n)} 条",
                                                           scope=name, as_of=as_of),
                                      "data-href": _href("/tasks")}))
    rest = panel.overdue_by_department[len(shown):]
    if rest:
        others = sum(n for _, n in rest)
        out.append(html.Div(f"另有 {len(rest)} 个部门 · {fmt.count(others)} 条", className="cw-cmd-more",
                            **{"data-tip": "\n".join(f"{name} {n} 条" for name, n in rest)}))
    return out


def _event_rows(panel: CommandPanel, rows: int, em: float, city: str) -> list:
    """Who did what to which instruction (城市管理局 签收 处置滨江区…); the whole line, with the
    instruction's number, in the hover."""
    if not panel.latest:
        return [html.Div("暂无指令动态", className="cw-cmd-none")]
    return [html.Div([html.Span(e.when, className="cw-cmd-when"),
                      html.Span(fit_text(f"{short_name(e.who, city)} {e.step} {e.subject}", em - text_width(e.when, 1) - 1),
                                className="cw-cmd-text")],
                     className="cw-cmd-row cw-cmd-event", **{"data-tip": f"{e.when} {e.text}"})
            for e in panel.latest[:rows]]


def command_panel(panel: CommandPanel | None, *, width: float = 620, height: float = 250, scale: float = 1.0,
                  text_scale: float = 1.0, as_of=None, city: str = "") -> html.Div:
    """The panel's body: the three counts over two lists (超期 · 按部门 and 最新动态), as many rows as
    fit ``height`` canvas px; ``as_of``: when the instructions were read; ``city``: the city's name,
    left out of its departments'. ``panel`` None: the app database has not been read (yet)."""
    if panel is None:
        return html.Div("指令数据暂不可用", className="cw-no-data", **{"data-idle": "1"})
    rows = rows_that_fit(height, scale, text_scale)
    events_em = (width - LIST_GAP_PX * scale) * EVENTS_SHARE / theme.font_px(theme.LABEL_PX, scale, text_scale)
    return html.Div([
        html.Div([_stat(ind, label, getattr(panel, field), as_of) for ind, label, field in STATS],
                 className="cw-cmd-stats"),
        html.Div([
            html.Div([html.Div("超期 · 按部门", className="cw-cmd-head"), *_late_rows(panel, rows, as_of, city)],
                     className="cw-cmd-list cw-cmd-late"),
            html.Div([html.Div("最新动态", className="cw-cmd-head"), *_event_rows(panel, rows, events_em, city)],
                     className="cw-cmd-list cw-cmd-events"),
        ], className="cw-cmd-lists"),
    ], className="cw-cmd", **({"data-idle": "1"} if is_idle(panel) else {}))
