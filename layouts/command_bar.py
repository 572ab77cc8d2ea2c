"""The command bar (一句话响应): a text box with suggestions as you type, the interpretation as chips,
Enter opens the view, a history of recent sentences; ``/`` focuses it (assets/command-bar.js).

:func:`command_bar` is self-contained: every id is a pattern-matching id ``{"type": …, "bar": name}``
from :data:`TYPES`, so several pages (the drill-down pages' header, the operator console) mount
their own bar under their own name and callbacks/command_bar.py serves them all with ``MATCH``.
The parts the callback fills in are rendered here from plain view models (dashboard/ask/bar.py).
"""
from __future__ import annotations

from urllib.parse import unquote

from dash import dcc, html

from dashboard.formatting import MISSING as EMPTY

PARTS = ("root", "input", "panel", "history-list", "suggestions", "chips", "order", "message", "open", "view",
         "sentence", "edits", "pending", "caller", "history", "suggestion", "chip-remove", "chip-alt", "past", "issue", "issued")
TYPES = {part: f"cmdbar-{part}" for part in PARTS}  # every id of the bar, in one place
PLACEHOLDER = "一句话：如「看看高新区本周城管的超期件」（按 / 聚焦）"


def bar_id(part: str, bar: str) -> dict:
    return {"type": TYPES[part], "bar": bar}


def item_id(part: str, bar: str, index) -> dict:
    return {"type": TYPES[part], "bar": bar, "index": index}


def command_bar(bar: str = "drill") -> html.Div:
    """The bar named ``bar`` (unique on its page). The same for every caller (a page may be built once
    for all): it stays hidden until the server has said who the caller is and that they may use it."""
    return html.Div([
        dcc.Input(id=bar_id("input", bar), type="text", value="", placeholder=PLACEHOLDER,
                  autoComplete="off", spellCheck=False, n_submit=0, className="cw-cmdbar-input"),
        html.Div([
            html.Div(id=bar_id("history-list", bar), className="cw-cmdbar-history"),
            html.Div(id=bar_id("suggestions", bar), className="cw-cmdbar-suggestions"),
            html.Div(id=bar_id("chips", bar), className="cw-cmdbar-chips"),
            html.Div(id=bar_id("order", bar), className="cw-cmdbar-order"),
            html.Div(id=bar_id("message", bar), className="cw-cmdbar-message", role="status"),
            dcc.Link("", id=bar_id("open", bar), href="", className="cw-cmdbar-open"),
        ], id=bar_id("panel", bar), className="cw-cmdbar-panel"),
        dcc.Store(id=bar_id("sentence", bar)),  # the box's value once typing pauses (assets/command-bar.js)
        dcc.Store(id=bar_id("view", bar)),
        dcc.Store(id=bar_id("edits", bar), data={}),
        dcc.Store(id=bar_id("pending", bar)),
        dcc.Store(id=bar_id("caller", bar)),  # {"user": name, "allowed": bool}, from the server
        dcc.Store(id=bar_id("history", bar), storage_type="local"),  # {user: [sentence, …]}, newest first
    ], id=bar_id("root", bar), className="cw-cmdbar is-off", role="search", **{"aria-label": "一句话响应：输入一句话，回车打开视图"})


def validation_components(bar: str = "drill") -> list:
    """The bar's parts that only a callback puts on the page (suggestions, chips, history, 下达指令)."""
    return [html.Button(id=item_id(part, bar, 0)) for part in ("suggestion", "chip-remove", "past")] + [
        html.Button(id=item_id("chip-alt", bar, "0:0")), html.Button(id=bar_id("issue", bar)),
        html.Div(id=bar_id("issued", bar))]


# ---- the parts a callback fills in, from dashboard/ask/bar.py's BarView ----------------------------------

def suggestion_list(bar: str, suggestions) -> list:
    return [html.Button([html.Span(s.insert, className="cw-cmdbar-word"),
                         html.Span(f"{s.kind_label} · {s.via}", className="cw-cmdbar-kind")],
                        id=item_id("suggestion", bar, i), n_clicks=0, className="cw-cmdbar-suggestion", type="button",
                        **{"data-sentence": s.sentence})
            for i, s in enumerate(suggestions)]


def _chip(bar: str, chip) -> html.Span:
    if chip.unknown:
        return html.Span([html.Span("未识别：", className="cw-chip-kind"), html.Span(chip.label)],
                         className="cw-chip is-unknown", title="没有读懂这个词：它不影响打开的视图")
    parts = [html.Span(f"{chip.kind_label}：", className="cw-chip-kind"), html.Span(chip.label, className="cw-chip-value")]
    if chip.alternatives:  # 城管: 事件分类 城市管理, or 部门 城市管理局
        parts.append(html.Details([
            html.Summary("改为", className="cw-chip-switch", title=f"「{chip.text}」也可读作其他含义"),
            html.Div([html.Button(f"{a.kind_label}：{a.label}", id=item_id("chip-alt", bar, f"{chip.index}:{a.index}"),
                                  n_clicks=0, type="button", className="cw-chip-alt") for a in chip.alternatives],
                     className="cw-chip-alts"),
        ], className="cw-chip-menu"))
    parts.append(html.Button("×", id=item_id("chip-remove", bar, chip.index), n_clicks=0, type="button",
                             className="cw-chip-remove", title=f"去掉「{chip.label}」", **{"aria-label": f"去掉{chip.label}"}))
    return html.Span(parts, className="cw-chip" + (" is-edited" if chip.edited else ""), title=f"句中：{chip.text}")


def chip_row(bar: str, chips) -> list:
    return [_chip(bar, c) for c in chips]


def _deadline(order) -> str:
    return order.deadline.strftime("%Y-%m-%d %H:%M") if order.deadline else EMPTY


def instruction_panel(bar: str, order, can_issue: bool, hint: str = "") -> html.Div | None:
    """The instruction a sentence gives, and the 下达指令 button (disabled with ``hint`` when it cannot be issued)."""
    if order is None:
        return None
    rows = [("承办部门", order.department or "未指明"), ("区域", order.region or EMPTY), ("期限", _deadline(order)),
            ("内容", order.text or EMPTY)]
    return html.Div([
        html.Div("将下达的指令", className="cw-cmdbar-order-title"),
        html.Dl([part for label, value in rows for part in (html.Dt(label), html.Dd(value))]),
        html.Button("下达指令", id=bar_id("issue", bar), n_clicks=0, type="button", disabled=not can_issue,
                    className="cw-cmdbar-issue btn btn-primary"),
        html.Span("" if can_issue else hint, className="cw-cmdbar-hint"),
        html.Div(id=bar_id("issued", bar), className="cw-cmdbar-issued", role="status"),
    ])


def open_label(view) -> list:
    """「打开：事件 · 一张图 /incidents?…」, the URL decoded so it reads in Chinese."""
    if not view.url:
        return []
    return [html.Span("回车打开：", className="cw-cmdbar-kind"), html.B(view.title), " ",
            html.Code(unquote(view.url), className="cw-cmdbar-url")]


def message(view) -> list:
    if view.error:
        return [html.Div(view.error, className="cw-cmdbar-error")]
    return [html.Div(n, className="cw-cmdbar-notice") for n in view.notices]
