"""Small building blocks of the wall: panel frames, stale badges, KPI tiles, the header, the ticker.

Every function returns Dash components and takes plain values or ready-to-draw frames; none reads
the frame store. Sizes are in design-canvas pixels and every size in the CSS is a multiple of
``--s`` (the canvas scale: 1 on 1920×1080, 2 on 3840×2160), so text and borders scale with the canvas.

Stale state is written into ids: a panel's id is ``{"type": PANEL, "name": …, "ds": "catalog targets"}``
and its badge's ``{"type": BADGE, …}``; one clientside callback marks every panel whose datasets are
stale (see callbacks/wall.py).
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from dash import dcc, html

from dashboard import formatting as fmt
from dashboard import periods
from dashboard.selections import _num, has_columns, period_row, target_for
from dashboard.targets import LAGGING, MET, ON_TRACK, OVERDUE, STATUSES
from layouts import tips
from layouts.links import district_href
from layouts.markup import html_block
from layouts.meters import rate_tone

# ids the header owns (collected with every other id in layouts.wall_ids.IDS)
PANEL = "wall-panel"  # pattern-matching id types
BADGE = "wall-badge"
CLOCK_TIME, CLOCK_DATE = "wall-clock-time", "wall-clock-date"  # filled by wall.js
UPDATED, VIEW_LABEL = "wall-updated", "wall-view-label"
GRAPH_CONFIG = {"displayModeBar": False, "responsive": False, "scrollZoom": False, "doubleClick": False,
                "showTips": False}


def _ds(datasets) -> str:
    return " ".join([datasets] if isinstance(datasets, str) else datasets)


def box_style(box) -> dict:
    """Absolute position and size in canvas px from an (x, y, w, h) box."""
    x, y, w, h = box
    return {"left": f"{x}px", "top": f"{y}px", "width": f"{w}px", "height": f"{h}px"}


def stale_from(fresh: dict | None, datasets) -> tuple[str, str]:
    """(badge, reason) of the stalest of ``datasets`` in a freshness map ``{ds: {"b", "r", "a"}}``
    that lists only stale datasets; ('', '') when all are fresh."""
    worst = None
    for ds in ([datasets] if isinstance(datasets, str) else datasets):
        info = (fresh or {}).get(ds)
        if info and (worst is None or (info.get("a") is None) or
                     (worst.get("a") is not None and info.get("a", 0) > worst.get("a", 0))):
            worst = info
            if info.get("a") is None:
                break
    return (worst.get("b", ""), worst.get("r", "")) if worst else ("", "")


def stale_badge(badge: str = "", reason: str = "", *, name: str, datasets) -> html.Span:
    """The red/amber "数据滞后 · 3 小时前" badge; empty (and hidden by CSS) while the data is fresh."""
    return html.Span(badge, id={"type": BADGE, "name": name, "ds": _ds(datasets)}, className="cw-badge",
                     title=reason or None)


def panel(title: str, children, *, name: str, datasets, box, href: str | None = None, tooltip: str = "",
          fresh: dict | None = None, className: str = "", subtitle: str = "") -> html.Section:
    """A framed panel with a title bar (a link to its drill-down) and its stale badge."""
    badge, reason = stale_from(fresh, datasets)
    head = [dcc.Link([html.Span(title, className="cw-panel-title-text"),
                      # (a component's truth is its number of children: an HtmlBlock scope has none)
                      html.Span(subtitle, className="cw-panel-subtitle") if subtitle is not None and subtitle != "" else None,
                      html.Span("›", className="cw-more") if href else None],
                     href=href or "#", className="cw-panel-title", title=tooltip or None),
            stale_badge(badge, reason, name=name, datasets=datasets)]
    classes = " ".join(c for c in ("cw-panel", className, "is-stale" if badge else "") if c)
    return html.Section(
        [html.Header(head, className="cw-panel-head"), html.Div(children, className="cw-panel-body")],
        id={"type": PANEL, "name": name, "ds": _ds(datasets)}, className=classes, style=box_style(box),
        **{"data-href": href or ""},
    )


def graph(graph_id: str, figure, *, points: bool = False, className: str = "") -> dcc.Graph:
    """A fixed-size graph (no mode bar, not responsive). ``points``: its points navigate on click
    (so a click elsewhere on the panel does not)."""
    classes = " ".join(c for c in ("cw-graph", "cw-graph--points" if points else "", className) if c)
    return dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG, responsive=False, className=classes)


# ---- KPI tiles -----------------------------------------------------------------------------------

def kpi_tile(label: str, body, *, name: str, datasets, body_id: str, box, href: str | None = None,
             fresh: dict | None = None, scope=None) -> html.Div:
    """A KPI 翻牌 tile: label (and, for a tile that follows the view, its ``scope`` block: 全市 or
    the district) and stale badge on top, the big number (``body``, see kpi_* below) under it. The
    numbers carry their own hovers (layouts/tips.py)."""
    badge, reason = stale_from(fresh, datasets)
    classes = "cw-kpi" + (" is-stale" if badge else "")
    return html.Div([
        html.Div([html.Span(label, className="cw-kpi-label"), scope,
                  stale_badge(badge, reason, name=name, datasets=datasets)], className="cw-kpi-head"),
        html_block(body, id=body_id, className="cw-kpi-body"),
    ], id={"type": PANEL, "name": name, "ds": _ds(datasets)}, className=classes, style=box_style(box),
        **{"data-href": href or ""})


def _big(value: str, unit: str = "", tone: str = "") -> list:
    return [html.Span(value, className="cw-num" + (f" is-{tone}" if tone else "")),
            html.Span(unit, className="cw-unit") if unit else None]


def _split_percent(value) -> tuple[str, str]:
    text = fmt.percent(value)
    return (text[:-1], "%") if text.endswith("%") else (text, "")


def _row0(frame: pd.DataFrame | None, column: str):
    return frame.iloc[0][column] if has_columns(frame, column) else None


def _subs(*lines, tip: str | None = None) -> list:
    extra = {"data-tip": tip} if tip else {}
    return [html.Div(line, className="cw-kpi-sub", **extra) for line in lines]


def _value(children, tip: str) -> html.Div:
    return html.Div(children, className="cw-kpi-value", **{"data-tip": tip})


def kpi_rate(summary: pd.DataFrame | None, column: str, targets: pd.DataFrame | None, indicator_id: str,
             default_target: float | None = None, today=None, *, as_of=None) -> list:
    """A rate tile's body (a city programme: 全市): the rate; beneath, its target (the configured one
    that matters now) and the gap. One hover: the rate's 口径, target, document and as-of time."""
    value = _row0(summary, column)
    target_row = target_for(targets, indicator_id, today)
    target = target_row["target"] if target_row else default_target
    number, unit = _split_percent(value)
    tone = rate_tone(value, target)
    goal = [html.Span("全市 · ", className="cw-muted cw-kpi-aside"), html.Span(f"目标 {fmt.percent(target, 0)}", className="cw-muted")]
    if target is None:
        lines = [[html.Span("全市 · 未配置目标", className="cw-muted")]]
    elif _num(value) is None:
        lines = [goal]
    elif tone == "good":
        lines = [goal, [html.Span("已达标", className="is-good")]]
    else:
        lines = [goal, [html.Span("差 ", className="cw-muted"),
                        html.Span(f"{(float(target) - float(value)) * 100:.1f}", className=f"cw-sub-num is-{tone}"),
                        html.Span(" 个百分点", className="cw-muted cw-kpi-pp")]]
    document = (target_row or {}).get("source_doc") or None
    tip = tips.tip(indicator_id, fmt.percent(value), as_of=as_of, today=today, document=document,
                   details=[f"目标 ≥ {fmt.percent(target, 0)}" if target is not None else "未配置目标"])
    return [_value(_big(number, unit, tone), tip), *_subs(*lines, tip=tip)]


def kpi_today(summary: pd.DataFrame | None, *, scope: str = tips.CITY, as_of=None, today=None) -> list:
    """今日事件 in ``scope``: today's incidents; beneath, open and overdue incidents of all time,
    labelled so (全部未办结, 全部超期: they are not today's). The tile is wider than the rate tiles
    (:data:`layouts.wall_canvas.KPI_WEIGHTS`) so that six-digit counts fit."""
    row = period_row(summary, "今日")
    count = None if row is None else _num(row.get("incidents"))
    open_all = None if row is None else _num(row.get("open_all"))
    overdue = None if row is None else _num(row.get("overdue_open_all"))
    kw = dict(scope=scope, as_of=as_of, today=today)
    return [_value(_big(fmt.count(count), "件" if count is not None else ""),
                   tips.tip("incident_count", f"{fmt.count(count)} 件", days=1, **kw)),
            *_subs([html.Span("全部", className="cw-muted cw-kpi-aside"), html.Span("未办结", className="cw-muted"),
                    html.Span(" ", className="cw-muted"), html.Span(fmt.count(open_all), className="cw-sub-num")],
                   tip=tips.tip("open_incidents", f"{fmt.count(open_all)} 件", **kw)),
            *_subs([html.Span("全部", className="cw-muted cw-kpi-aside"), html.Span("超期", className="cw-muted"),
                    html.Span(" ", className="cw-muted"),
                    html.Span(fmt.count(overdue), className="cw-sub-num" + (" is-bad" if overdue else ""))],
                   tip=tips.tip("overdue_open", f"{fmt.count(overdue)} 件", **kw))]


def kpi_closure(summary: pd.DataFrame | None, period: str = "近30日", *, scope: str = tips.CITY, as_of=None,
                today=None) -> list:
    """事件办结率 (big) / 按期办结率 (beneath) of ``scope`` over ``period``."""
    row = period_row(summary, period)
    closure = None if row is None else row.get("closure_rate")
    ontime = None if row is None else row.get("ontime_rate")
    number, unit = _split_percent(closure)
    kw = dict(scope=scope, as_of=as_of, today=today, days=periods.PERIODS[period])
    return [_value(_big(number, unit), tips.tip("incident_closure_rate", fmt.percent(closure), **kw)),
            *_subs([html.Span("按期办结率 ", className="cw-muted"),
                    html.Span(fmt.percent(ontime), className="cw-sub-num " + ("is-good" if (_num(ontime) or 0) >= 0.9 else "is-warn"))],
                   tip=tips.tip("ontime_closure_rate", fmt.percent(ontime), **kw)),
            *_subs([html.Span(f"统计期 {period}", className="cw-muted cw-kpi-aside")], tip=tips.period_text("incident_closure_rate", today, periods.PERIODS[period]))]


def target_counts(targets: pd.DataFrame | None) -> dict[str, int]:
    """How many targets are in each status (未设期限 ones in neither 按期可达 nor 滞后), plus 'total'."""
    if not has_columns(targets, "status"):
        return {"total": 0, **{s: 0 for s in STATUSES}}
    counts = targets["status"].value_counts()
    return {"total": int(len(targets)), **{s: int(counts.get(s, 0)) for s in STATUSES}}


def kpi_targets(targets: pd.DataFrame | None, *, as_of=None) -> list:
    """目标达标 (全市): met / total, with the on-track, lagging and overdue counts (a 未设期限 target is in
    the total and in none of them: the tile has no room for a fourth count; its bullet says 未设期限)."""
    counts = target_counts(targets)
    tip = tips.tip("target_attainment", f"{counts[MET]} / {counts['total']} 项", as_of=as_of, details=[
        f"{status} {counts[status]} 项" for status in STATUSES])
    if not counts["total"]:
        return [html.Div(_big(fmt.MISSING), className="cw-kpi-value"), *_subs([html.Span("未配置目标", className="cw-muted")])]
    tone = "good" if counts[MET] == counts["total"] else ("bad" if counts[OVERDUE] else "warn")
    value = [html.Span(str(counts[MET]), className=f"cw-num is-{tone}"), html.Span("/", className="cw-sep"),
             html.Span(str(counts["total"]), className="cw-num cw-num--second"), html.Span("项", className="cw-unit")]
    return [_value(value, tip),
            *_subs([html.Span("全市 · ", className="cw-muted cw-kpi-aside"), html.Span("按期可达 ", className="cw-muted"), html.Span(str(counts[ON_TRACK]), className="cw-sub-num")],
                   [html.Span("滞后 ", className="cw-muted"),
                    html.Span(str(counts[LAGGING]), className="cw-sub-num" + (" is-warn" if counts[LAGGING] else "")),
                    html.Span(" · 逾期 ", className="cw-muted"),
                    html.Span(str(counts[OVERDUE]), className="cw-sub-num" + (" is-bad" if counts[OVERDUE] else ""))],
                   tip=tip)]


# ---- header ----------------------------------------------------------------------------------------

def updated_text(published: list[float | None], ages: list[float | None], stale: bool) -> list:
    """'数据更新于 14:05:09 · 最旧数据 12 分钟前' from the datasets' publish times and ages."""
    latest = max((p for p in published if p), default=None)
    known = [a for a in ages if a is not None]
    oldest = None if (not known or len(known) < len(ages)) else max(known)
    when = fmt.moment(latest)[-8:] if latest else fmt.MISSING
    return [html.Span("数据更新于 ", className="cw-muted"), html.Span(when, className="cw-mono"),
            html.Span(" · 最旧数据 ", className="cw-muted"),
            html.Span(fmt.age(oldest), className="is-bad" if stale else "")]


def header(city: str, *, updated, view_label: str, toolbar, box) -> html.Header:
    """City name and title in the middle, the client-side clock on the left (filled by wall.js),
    the data's last update, the current view and the toolbar on the right."""
    return html.Header([
        html.Div([html.Div(id=CLOCK_TIME, className="cw-clock-time"),
                  html.Div(id=CLOCK_DATE, className="cw-clock-date")], className="cw-header-left"),
        html.Div([html.H1([html.Span(city, className="cw-city"), html.Span("智慧城市运行指挥中心")]),
                  html.Div("一块屏展示 · 一张图指挥 · 一句话响应", className="cw-motto")], className="cw-header-title"),
        html.Div([html.Div(updated, id=UPDATED, className="cw-updated"),
                  html.Div([html.Span(view_label, id=VIEW_LABEL, className="cw-view-label"), toolbar],
                           className="cw-header-tools")], className="cw-header-right"),
    ], className="cw-header", style=box_style(box))


def toolbar(scale_mode: str) -> html.Div:
    """Controls hidden in kiosk mode: scale mode (handled in wall.js, no server round trip) and the
    data status page."""
    modes = (("fit", "适应"), ("fill-width", "铺满宽度"), ("stretch", "拉伸"))
    return html.Div([
        html.Div([html.Button(label, className="cw-tool" + (" is-active" if key == scale_mode else ""),
                              **{"data-scale": key}, title=f"缩放方式：{label}") for key, label in modes],
                 className="cw-tool-group"),
        dcc.Link("数据状态", href="/status", className="cw-tool cw-tool-link"),
    ], className="cw-toolbar")


# ---- lists ------------------------------------------------------------------------------------------

STATUS_CLASS = {"受理": "is-new", "处置中": "is-doing", "已办结": "is-done"}


def ticker_rows(latest: pd.DataFrame | None, names: dict[str, str] | None = None, today: date | None = None, *,
                as_of=None) -> list:
    """最新事件: one row per incident, newest first; a row from before ``today`` shows its date. wall.js
    copies the rows once below the list, so the scroll loops seamlessly, and keeps the scroll anchored
    on a row when the list changes."""
    overdue_rule = tips.indicator("overdue_open").formula
    as_of_line = f"数据截至：{tips.as_of_text(as_of)}"
    if not has_columns(latest, "incident_id", "reported_at"):
        return [html.Li("暂无数据", className="cw-ticker-empty")]
    names = names or {}
    today = today or date.today()
    rows = []
    for r in latest.itertuples(index=False):
        when = pd.Timestamp(r.reported_at)
        status = getattr(r, "status", "") or ""
        overdue = bool(getattr(r, "overdue", False)) and status != "已办结"
        district = names.get(str(getattr(r, "district_id", "")), str(getattr(r, "district_id", "") or ""))
        grid = names.get(str(getattr(r, "region_id", "")), "")
        source = getattr(r, "source", "") or ""
        rows.append(html.Li([
            html.Span(fmt.clock(when, today), className="cw-t-time" + ("" if when.date() == today else " is-earlier")),
            html.Span(district, className="cw-t-district"),
            html.Span(getattr(r, "category", "") or "", className="cw-t-cat"),
            html.Span("超期" if overdue else status,
                      className="cw-t-status " + ("is-overdue" if overdue else STATUS_CLASS.get(status, ""))),
        ], className="cw-ticker-row", **{"data-key": str(r.incident_id), "data-tip": "\n".join([
            f"{fmt.moment(when)} · {district}{(' ' + grid) if grid else ''}{(' · ' + source) if source else ''}"
            f" · {r.incident_id}",
            f"状态：{'超期' if overdue else status}（超期 = {overdue_rule}）", as_of_line])}))
    return rows


def district_list(areas: pd.DataFrame | None, names: dict[str, str], focus: str | None = None, limit: int = 12, *,
                  scope: str = tips.CITY, area_label: str = "区县", as_of=None, today=None) -> list:
    """The figures beside the map for ``scope``: its 近30日, today's and overdue incidents, and the
    event ranking of its areas (``area_id``: the city's districts, or a district's streets), each
    row linking to its drill-down. The three figures are the sums of the areas' rows, so they equal
    the district's own numbers everywhere else on the wall."""
    if not has_columns(areas, "area_id", "incidents_30d"):
        return [html.Div("暂无数据", className="cw-muted")]
    frame = areas.assign(area_id=areas["area_id"].astype(str))
    named = frame[frame["area_id"].isin(names)] if names else frame
    named = named.sort_values(["incidents_30d", "area_id"], ascending=[False, True], kind="mergesort")
    listed = named.head(limit if len(named) <= limit else limit - 1)
    rest = frame[~frame["area_id"].isin(listed["area_id"])]  # past the top N, or of no known area (未知区域)
    rest = rest[rest["incidents_30d"] > 0]
    top = max(float(frame["incidents_30d"].max()), 1.0) if len(frame) else 1.0
    kw = dict(scope=scope, as_of=as_of, today=today)
    about = "\n".join(tips.lines("incident_count", as_of=as_of, today=today))
    rows = []
    for i, r in enumerate(listed.itertuples(index=False), start=1):
        rid = r.area_id
        rows.append(html.A([  # an <a href> in the markup, as dcc.Link renders there; wall.js opens it in place
            html.Span(str(i), className="cw-rank"),
            html.Span(names.get(rid, rid), className="cw-dname"),
            html.Span(fmt.count(r.incidents_30d), className="cw-dcount"),
            html.Span(html.Span(style={"width": f"{100 * float(r.incidents_30d) / top:.1f}%"}), className="cw-dbar"),
        ], href=district_href(rid), className="cw-drow" + (" is-focus" if rid == focus else ""),
            **{"data-tip": f"{names.get(rid, rid)} 近30日事件 {fmt.count(r.incidents_30d)} 件\n{about}"}))

    if len(rest):  # so the ranking's rows sum to the figures above it
        other = int(rest["incidents_30d"].sum())
        rows.append(html.Div([
            html.Span("", className="cw-rank"), html.Span(f"其他（{len(rest)} 个）", className="cw-dname"),
            html.Span(fmt.count(other), className="cw-dcount"),
            html.Span(html.Span(style={"width": f"{100 * other / top:.1f}%"}), className="cw-dbar"),
        ], className="cw-drow is-other", **{"data-tip": f"其他 近30日事件 {fmt.count(other)} 件（"
                                                        + "、".join(names.get(r, r) for r in rest["area_id"]) + f"）\n{about}"}))

    def stat(label: str, column: str, indicator_id: str, days: int | None, tone: str = ""):
        value = frame[column].sum() if column in frame.columns else None
        return html.Div([html.Span(label, className="cw-muted"), html.B(fmt.count(value), className=tone or None)],
                        className="cw-dstat", **{"data-tip": tips.tip(indicator_id, f"{fmt.count(value)} 件", days=days, **kw)})

    summary = html.Div([
        stat("近30日事件", "incidents_30d", "incident_count", periods.INCIDENT_DAYS),
        stat("今日新增", "today", "incident_count", 1),
        stat("超期未办结（全部）", "overdue", "overdue_open", None, "is-bad"),
    ], className="cw-dstats")
    return [summary, html.Div(f"{scope}{area_label}事件排行 · 近30日", className="cw-dhead"), html.Div(rows, className="cw-drows")]


def region_names(*frames) -> dict[str, str]:
    """region_id → name from the regions frame and/or the geography's regions (first wins)."""
    out: dict[str, str] = {}
    for frame in reversed(frames):
        if has_columns(frame, "region_id", "name"):
            out.update(zip((str(r) for r in frame["region_id"].tolist()), (str(n) for n in frame["name"].tolist())))
    return out

