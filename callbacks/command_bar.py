"""The command bar's callbacks (layouts/command_bar.py), for every bar on any page (``MATCH`` on its name).

Callback graph ("cs" = clientside, assets/command-bar.js; no server round trip)::

    input.value ─ cs settle ─→ sentence   (once typing pauses 250 ms: never a request per keystroke)
    sentence ────────────────┐
    chip-remove ALL ─────────┼─ interpret ─→ suggestions, chips, order, message, open, view, edits
    chip-alt ALL ────────────┘
    input.n_submit, view ─ cs submit ─→ pending, history   (opens view.url when it is the sentence's)
    suggestion ALL, past ALL ─ cs fill ─→ input.value, pending
    input.id (page load) ─ caller ─→ caller ─ cs show ─→ root.className   (who; hidden unless view_drilldowns)
    history, caller ─ cs history ─→ history-list
    issue.n_clicks, edits ─ issue ─→ issued                (dashboard.instructions.issue_from_sentence)

The server side reads only the parser's lexicon, made once per data version from the published frames.
"""
from __future__ import annotations

from dash import ALL, MATCH, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update

from dashboard import runtime
from dashboard.ask.bar import bar_view
from dashboard.permissions import PERMISSIONS, current_caller, has_permission, protect_callbacks, require_permission
from layouts import command_bar as layout
from layouts.command_bar import TYPES, bar_id, item_id

protect_callbacks("view_drilldowns", "cmdbar-*")
protect_callbacks("dispatch", TYPES["issued"])
protect_callbacks("view_wall", TYPES["caller"])  # whoever sees a page may learn whether its bar is theirs


def issue_instruction(sentence: str, edits: dict | None, caller) -> str:
    """The bar's instruction (the sentence with its chips' edits, as shown) issued by ``caller`` now, through
    :func:`dashboard.instructions.issue_from_sentence`: a Chinese confirmation, or why it was not issued
    (no department, no deadline …). The one place the command bar is wired to the instructions."""
    from datetime import datetime

    from dashboard import instructions
    from dashboard.ask import ask
    from dashboard.ask.chips import edited
    from dashboard.ask.lexicon import lexicon_for
    from dashboard.errors import MessageError

    current = runtime.current()
    now = datetime.now(instructions.TIMEZONE)
    try:
        result = edited(ask(sentence, current.store, current.settings, now=now),
                        lexicon_for(current.store, current.settings), edits)
        item = instructions.issue_from_sentence(current.engine, result, caller, now)
    except MessageError as exc:
        return f"未下达：{exc.message}"
    deadline = datetime.fromtimestamp(item.deadline_at, instructions.TIMEZONE).strftime("%Y-%m-%d %H:%M")
    return f"已下达指令 #{item.id}：{item.department}，期限 {deadline}（在「指令」页 /tasks 跟踪办理）"


def _issuing() -> tuple[bool, str]:
    """(whether this caller can issue the bar's instruction, the Chinese hint when not)."""
    if not has_permission("dispatch"):
        return False, f"当前账号没有「{PERMISSIONS['dispatch']}」权限"
    return True, ""


@callback(Output(bar_id("caller", MATCH), "data"), Input(bar_id("input", MATCH), "id"))
def caller(_id):
    """Who the bar serves (its history is theirs), and whether they may use it: the page itself is
    the same for every caller. The exports' capture service draws pages without it."""
    who = current_caller()
    return {"user": who.name, "allowed": has_permission("view_drilldowns", who) and who.kind != "capture"}


@callback(
    Output(bar_id("suggestions", MATCH), "children"), Output(bar_id("chips", MATCH), "children"),
    Output(bar_id("order", MATCH), "children"), Output(bar_id("message", MATCH), "children"),
    Output(bar_id("open", MATCH), "href"), Output(bar_id("open", MATCH), "children"),
    Output(bar_id("view", MATCH), "data"), Output(bar_id("edits", MATCH), "data"),
    Input(bar_id("sentence", MATCH), "data"),
    Input(item_id("chip-remove", MATCH, ALL), "n_clicks"), Input(item_id("chip-alt", MATCH, ALL), "n_clicks"),
    State(bar_id("edits", MATCH), "data"),
    prevent_initial_call=True)
def interpret(sentence, _removes, _switches, edits):
    trigger = ctx.triggered_id
    bar = trigger["bar"]
    chip_edit = trigger["type"] != TYPES["sentence"]
    if chip_edit:
        if not ctx.triggered[0]["value"]:  # a chip just drawn, not clicked
            return (no_update,) * 8
        edits = _with_edit(edits, trigger)
    else:
        edits = {}
    current = runtime.current()
    view = bar_view(sentence, edits, current.store, current.settings)
    return (no_update if chip_edit else layout.suggestion_list(bar, view.suggestions), layout.chip_row(bar, view.chips),
            layout.instruction_panel(bar, view.instruction, *_issuing()), layout.message(view), view.url or "",
            layout.open_label(view), {**view.view_json(), "suggestions": [s.sentence for s in view.suggestions]},
            view.edits)


def _with_edit(edits, trigger: dict) -> dict:
    """The edits with the clicked chip's: removed, or switched to an alternative (-1: back to the parsed one)."""
    edits = edits if isinstance(edits, dict) else {}
    removed, switched = list(edits.get("removed") or []), dict(edits.get("switched") or {})
    if trigger["type"] == TYPES["chip-remove"]:
        removed.append(int(trigger["index"]))
    else:
        chip, alternative = (int(part) for part in str(trigger["index"]).split(":"))
        if alternative < 0:
            switched.pop(str(chip), None)
        else:
            switched[str(chip)] = alternative
    return {"removed": removed, "switched": switched}


@callback(Output(bar_id("issued", MATCH), "children"), Input(bar_id("issue", MATCH), "n_clicks"),
          State(bar_id("view", MATCH), "data"), State(bar_id("edits", MATCH), "data"), prevent_initial_call=True)
def issue(clicks, view, edits):
    if not clicks or not isinstance(view, dict) or not view.get("sentence"):
        return no_update
    return issue_instruction(view["sentence"], edits, require_permission("dispatch"))


clientside_callback(ClientsideFunction("cmdbar", "settle"), Output(bar_id("sentence", MATCH), "data"),
                    Input(bar_id("input", MATCH), "value"), prevent_initial_call=True)

clientside_callback(ClientsideFunction("cmdbar", "submit"),
                    Output(bar_id("pending", MATCH), "data"), Output(bar_id("history", MATCH), "data"),
                    Input(bar_id("input", MATCH), "n_submit"), Input(bar_id("view", MATCH), "data"),
                    State(bar_id("input", MATCH), "value"), State(bar_id("pending", MATCH), "data"),
                    State(bar_id("history", MATCH), "data"), State(bar_id("caller", MATCH), "data"),
                    prevent_initial_call=True)

clientside_callback(ClientsideFunction("cmdbar", "fill"),
                    Output(bar_id("input", MATCH), "value"), Output(bar_id("pending", MATCH), "data", allow_duplicate=True),
                    Input(item_id("suggestion", MATCH, ALL), "n_clicks"), Input(item_id("past", MATCH, ALL), "n_clicks"),
                    State(bar_id("view", MATCH), "data"), State(bar_id("history", MATCH), "data"),
                    State(bar_id("caller", MATCH), "data"),
                    prevent_initial_call=True)

clientside_callback(ClientsideFunction("cmdbar", "history"),
                    Output(bar_id("history-list", MATCH), "children"),
                    Input(bar_id("history", MATCH), "data"), Input(bar_id("caller", MATCH), "data"))

clientside_callback(ClientsideFunction("cmdbar", "show"), Output(bar_id("root", MATCH), "className"),
                    Input(bar_id("caller", MATCH), "data"), prevent_initial_call=True)
