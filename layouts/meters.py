"""The wall's light panels drawn as HTML and CSS: rate meters, rankings, stacked status bars and
target bullets.

These panels are rows of labelled bars and one ring; a Plotly graph for each costs a text-measuring
layout pass in the browser on the wall's first paint, while the same picture in a few dozen
elements costs almost nothing (benchmarks/README.md). Plotly stays for what needs axes or a map.

Like the figures (:mod:`layouts.figure_base`), every function here only selects from ready-to-draw frames, formats
numbers through :mod:`dashboard.formatting`, returns Dash components (the wall renders them once
per data version into one markup block, :mod:`layouts.markup`), and answers a missing or empty
frame with "暂无数据", never an exception. Colours come from the CSS (assets/wall.css) through
classes; widths and angles are inline styles in percent and degrees, so everything scales with the
canvas. Hover details are ``data-tip`` texts (shown by wall.js); clickable rows carry ``data-href`` (wall.js opens it in place).
"""
from __future__ import annotations

import math

import pandas as pd
from dash import html

from dashboard import formatting as fmt
from dashboard.formatting import _missing
from dashboard.selections import (SYSTEM_STATUS_ORDER, _names, _num, has_columns, migration_laggards, ordered_targets,
                                  ranking_rows)
from dashboard.targets import LAGGING, MET, NO_DEADLINE, ON_TRACK, OVERDUE
from layouts import theme, tips
from layouts.figure_base import CLOUD_DEFAULT_TARGET, NO_DATA, SHARING_DEFAULT_TARGET, value_text
from layouts.links import _href, department_href

STATUS_TONES = {MET: "good", ON_TRACK: "accent", LAGGING: "warn", OVERDUE: "bad", NO_DEADLINE: "muted"}
SYSTEM_STATUS_CLASSES = {"已上云": "s-cloud", "迁移中": "s-moving", "未迁移": "s-waiting", "暂缓": "s-deferred"}
#: the cloud ring's parts: the statuses, with 暂缓 split by approval (summary column, label, colour class)
RING_PARTS = (("已上云", "已上云", "s-cloud"), ("迁移中", "迁移中", "s-moving"), ("未迁移", "未迁移", "s-waiting"),
              ("deferred_approved", "经批准暂缓", "s-exempt"), ("deferred_unapproved", "未批准暂缓", "s-deferred"))
EXEMPT_LISTED = 8  # approved 暂缓 systems named in their hover (the rest counted)
GAUGE_SWEEP = 270  # degrees of the rate gauge's arc, open at the bottom
GAUGE_START = 180 + (360 - GAUGE_SWEEP) / 2  # where the arc starts, clockwise from 12 o'clock: symmetric about 6


def no_data(text: str = NO_DATA) -> html.Div:
    return html.Div(text, className="cw-no-data")


def rate_tone(value, target, warn_band: float = 0.1) -> str:
    """'good' at or past the target, 'warn' within ``warn_band`` of it, else 'bad'; '' without both."""
    v, t = _num(value), _num(target)
    if v is None or t is None:
        return ""
    return "good" if v >= t - 1e-12 else ("warn" if v >= t - warn_band else "bad")


def _gap_line(rate: float, target: float, tone: str) -> html.Div:
    if tone == "good":
        return html.Div(html.B("已达标", className="is-good"))
    # a larger text scale drops this line (assets/wall.css .is-text-large .cw-gap-line): rate and target stand above it
    return html.Div([html.Span("距目标 ", className="cw-muted"), html.B(f"{(target - rate) * 100:.1f}", className=f"is-{tone}"),
                     html.Span(" 个百分点", className="cw-muted")], className="cw-gap-line")


def _target_line(target: float, deadline, digits: int = 1) -> html.Div:
    return html.Div([html.Span("目标 ", className="cw-muted"), html.B(f"≥ {fmt.percent(target, digits)}", className="is-warn"),
                     html.Span(f" · 期限 {fmt.day(deadline) if not _missing(deadline) else '未配置'}", className="cw-muted cw-target-deadline")])


def _legend_line(label: str, value, swatch: str) -> html.Div:
    return html.Div([html.I(className=f"cw-swatch {swatch}"), html.Span(f"{label} ", className="cw-muted"),
                     html.B(fmt.count(value))])


def rate_meter(shape: str, background: str, tick_deg: float, rate: float, tone: str, label: str, tip: str,
               lines: list) -> html.Div:
    """A round meter (``shape``: cw-meter-arc or cw-meter-ring) with the target tick and the rate in
    its centre, and the text ``lines`` beside it; ``tip`` is the rate's hover (layouts/tips.py)."""
    return html.Div([
        html.Div([
            html.Div(className=shape, style={"background": background}),
            html.I(className="cw-meter-tick", style={"transform": f"rotate({tick_deg:.1f}deg)"}),
            html.Div([html.B(fmt.percent(rate), className=f"cw-meter-value is-{tone}"),
                      html.Span(label, className="cw-meter-label")], className="cw-meter-centre"),
        ], className="cw-meter"),
        html.Div(lines, className="cw-meter-lines"),
    ], className="cw-meter-panel", **{"data-tip": tip})


def gauge_background(rate: float) -> str:
    """The gauge arc as one conic gradient: the rate in accent, the rest of the sweep as track."""
    filled = max(0.0, min(rate, 1.0)) * GAUGE_SWEEP
    return (f"conic-gradient(from {GAUGE_START:g}deg, var(--cw-accent) 0deg {filled:.1f}deg, "
            f"var(--cw-track) {filled:.1f}deg {GAUGE_SWEEP}deg, transparent {GAUGE_SWEEP}deg)")


def tick_angle(fraction: float, sweep: float = 360.0, start: float = 0.0) -> float:
    """Clockwise degrees from 12 o'clock of a tick at ``fraction`` of an arc starting at ``start``."""
    return (start + max(0.0, min(fraction, 1.0)) * sweep) % 360


def sharing_meter(summary: pd.DataFrame | None, target: float | None = SHARING_DEFAULT_TARGET, *,
                  deadline=None, as_of=None) -> html.Div:
    """政务数据共享率 on a 270° gauge against its target (a tick), with the share-type counts beside it."""
    rate = _num(summary.iloc[0]["sharing_rate"]) if has_columns(summary, "sharing_rate") else None
    if rate is None:
        return no_data()
    row = summary.iloc[0]
    target = SHARING_DEFAULT_TARGET if _num(target) is None else float(target)
    tone = rate_tone(rate, target, 0.1)
    lines = [_target_line(target, deadline), _gap_line(rate, target, tone)]
    lines += [_legend_line(label, row[col], swatch) for label, col, swatch in (
        ("无条件共享", "unconditional", "is-accent"), ("有条件共享", "conditional", "is-good"),
        ("不予共享", "not_shared", "is-bad")) if col in row.index]
    tip = tips.tip("sharing_rate", fmt.percent(rate), as_of=as_of, details=[f"目标 ≥ {fmt.percent(target)}"] + [
        f"{label} {fmt.count(row[col])} 条" for label, col in (("无条件共享", "unconditional"), ("有条件共享", "conditional"),
                                                          ("不予共享", "not_shared")) if col in row.index])
    return rate_meter("cw-meter-arc", gauge_background(rate), tick_angle(target, GAUGE_SWEEP, GAUGE_START), rate, tone,
                      "共享率", tip, lines)


def ring_background(counts: list[int], classes=tuple(part[2] for part in RING_PARTS)) -> str:
    """The systems by ring part as one conic gradient from 12 o'clock, clockwise, 已上云 first."""
    total = sum(counts) or 1
    stops, at = [], 0.0
    for colour, n in zip(classes, counts):
        end = at + 360 * n / total
        stops.append(f"var(--cw-{colour}) {at:.1f}deg {end:.1f}deg")
        at = end
    return "conic-gradient(" + ", ".join(stops) + ")"


def ring_counts(row: pd.Series) -> list[int]:
    """The systems in each of :data:`RING_PARTS` (a summary without the approval split counts all
    暂缓 as unapproved)."""
    counts = [int(_num(row.get(column)) or 0) for column, _, _ in RING_PARTS]
    if "deferred_approved" not in row.index:
        counts[-1] = int(_num(row.get("暂缓")) or 0)
    return counts


def exempt_tip(exempt: pd.DataFrame | None, departments: pd.DataFrame | None, count: int, as_of=None) -> str:
    """The hover of 经批准暂缓: each approved system by name (its department), listed apart."""
    names = _names(departments, "dept_id", "short_name", "name")
    listed = []
    if has_columns(exempt, "name"):
        for t in exempt.head(EXEMPT_LISTED).itertuples(index=False):
            dept = names.get(str(getattr(t, "dept_id", "")), str(getattr(t, "dept_id", "") or ""))
            listed.append(f"· {t.name}（{dept}）" if dept else f"· {t.name}")
        if len(exempt) > EXEMPT_LISTED:
            listed.append(f"· 另有 {len(exempt) - EXEMPT_LISTED} 个")
    return tips.tip("cloud_migration_rate", head=f"全市 经批准暂缓上云的非涉密系统 {count} 个（单独列示，仍计入上云率分母）",
                    details=listed, as_of=as_of)


def cloud_meter(summary: pd.DataFrame | None, target: float | None = CLOUD_DEFAULT_TARGET, *,
                deadline=None, as_of=None, exempt: pd.DataFrame | None = None,
                departments: pd.DataFrame | None = None) -> html.Div:
    """非涉密系统上云率: a ring of the systems by status (已上云 first, from 12 o'clock; 暂缓 split into
    经批准暂缓 and 未批准暂缓) with a tick at the target, the rate in the centre and the counts beside
    it; the approved exemptions are listed apart on their hover."""
    rate = _num(summary.iloc[0]["cloud_migration_rate"]) if has_columns(summary, "cloud_migration_rate") else None
    row = summary.iloc[0] if rate is not None else None
    counts = ring_counts(row) if row is not None else []
    if rate is None or sum(counts) == 0:
        return no_data()
    target = CLOUD_DEFAULT_TARGET if _num(target) is None else float(target)
    tone = rate_tone(rate, target, 0.15)
    items = []
    for (column, label, colour), c in zip(RING_PARTS, counts):
        extra = {"data-tip": exempt_tip(exempt, departments, c, as_of)} if column == "deferred_approved" else {}
        items.append(html.Span([html.I(className=f"cw-swatch {colour}"), f"{label} ", html.B(str(c))],
                               className="cw-legend-item", **extra))
    behind = int(_num(row.get("behind_plan")) or 0) if "behind_plan" in row.index else None
    if behind is not None:  # the grid's sixth cell: the five parts take five
        items.append(html.Span([html.Span("逾期未迁 ", className="cw-muted"), html.B(str(behind), className="is-bad")],
                               className="cw-legend-item"))
    legend = html.Div(items, className="cw-legend cw-legend--grid")
    shares = [f"{label} {c} 个系统（{c / sum(counts):.0%}）" for (_, label, _), c in zip(RING_PARTS, counts)]
    tip = tips.tip("cloud_migration_rate", fmt.percent(rate), as_of=as_of, details=[
        f"目标 ≥ {fmt.percent(target, 0)}", f"非涉密系统 {fmt.count(sum(counts))} 个", *shares,
        *([f"逾期未迁（计划日期已过、未经批准暂缓）{behind} 个"] if behind is not None else [])])
    return rate_meter("cw-meter-ring", ring_background(counts), tick_angle(target), rate, tone, "上云率", tip,
                      [_target_line(target, deadline, 0), _gap_line(rate, target, tone), legend])


def bar_track(fraction: float, tone: str, className: str = "cw-bar-track", tick: float | None = None) -> html.Span:
    """A bar in one element: the track's gradient fills ``fraction`` in the tone's colour (CSS
    variables, no child elements: the wall's panels hold a few hundred bars)."""
    style = {"--fill": f"{max(0.0, min(fraction, 1.0)) * 100:.1f}%"}
    if tick is not None:
        style["--tick"] = f"{max(0.0, min(tick, 1.0)) * 100:.1f}%"
    return html.Span(className=f"{className} is-{tone}" + (" has-tick" if tick is not None else ""), style=style)


def _bar_row(rank, name: str, fraction: float, value: str, tone: str, href: str, tip: str) -> html.Div:
    return html.Div([
        html.Span(str(rank), className="cw-bar-rank"),
        html.Span(name, className="cw-bar-name"),
        bar_track(fraction, tone),
        html.B(value, className=f"cw-bar-value is-{tone}"),
    ], className="cw-bar-row", **{"data-href": href, "data-tip": tip})


def dept_ranking(by_dept: pd.DataFrame | None, departments: pd.DataFrame | None, n: int = 5, *,
                 as_of=None) -> html.Div:
    """部门共享率排名: the top ``n`` (green) above the bottom ``n`` (red), rank 1 at the top; each row
    opens its department."""
    best, worst, total = ranking_rows(by_dept, departments, n)
    if total == 0:
        return no_data()
    about = "\n".join(tips.lines("sharing_rate", as_of=as_of))

    def rows(part: pd.DataFrame, tone: str) -> list:
        out = []
        for t in part.itertuples(index=False):
            shared, resources = getattr(t, "shared", None), getattr(t, "resources", None)
            tip = (f"{t.name}\n排名 第 {t.rank} 名 / 共 {total} 个部门\n政务数据共享率 {fmt.percent(t.sharing_rate)}"
                   + (f"\n可共享 {fmt.count(shared)} / {fmt.count(resources)} 条" if resources is not None else "")
                   + "\n" + about)
            out.append(_bar_row(t.rank, t.name, float(t.sharing_rate), fmt.percent(t.sharing_rate), tone,
                                department_href(t.dept_id), tip))
        return out

    children = rows(best, "good")
    if len(worst):
        children += [html.Div("⋯", className="cw-bar-gap")] + rows(worst, "bad")
    return html.Div(children, className="cw-bars")


def dept_migration_stack(by_dept_status: pd.DataFrame | None, departments: pd.DataFrame | None,
                         n: int = 8, *, as_of=None) -> html.Div:
    """部门上云状态: the departments furthest behind, their systems stacked 已上云 / 迁移中 / 未迁移 /
    暂缓 on one scale (the largest department fills the track), the rate at the end."""
    frame = migration_laggards(by_dept_status, departments, n)
    if frame.empty:
        return no_data()
    widest = float(frame["total"].max()) or 1.0
    about = "\n".join(tips.lines("cloud_migration_rate", as_of=as_of))
    legend = html.Div([html.Span([html.I(className=f"cw-swatch {SYSTEM_STATUS_CLASSES[s]}"), s], className="cw-legend-item")
                       for s in SYSTEM_STATUS_ORDER], className="cw-legend")
    rows = []
    for t in frame.itertuples(index=False):
        counts = {s: int(getattr(t, s, 0) or 0) for s in SYSTEM_STATUS_ORDER}
        segments = [html.I(className=f"cw-stack-seg {SYSTEM_STATUS_CLASSES[s]}", style={"width": f"{c / widest * 100:.2f}%"})
                    for s, c in counts.items() if c]
        tip = f"{t.name}\n" + "\n".join(f"{s} {c} 个" for s, c in counts.items()) + f"\n部门上云率 {fmt.percent(t.cloud_migration_rate)}\n{about}"
        href = department_href(t.dept_id)
        rows.append(html.Div([html.Span(t.name, className="cw-bar-name"), html.Span(segments, className="cw-stack"),
                            html.Span(fmt.percent(t.cloud_migration_rate, 0), className="cw-bar-value cw-muted")],
                           className="cw-stack-row", **{"data-href": href, "data-tip": tip}))
    return html.Div([legend, html.Div(rows, className="cw-stack-rows")], className="cw-bars")


TARGET_ROW_EM = 1.75  # one bullet, a line of label text (assets/wall.css .cw-bullet), in label font sizes
TARGET_COLUMN_EM = 36  # the narrowest column of bullets: name │ bar │ actual / target │ deadline status


def target_layout(n: int, width: float, height: float, scale: float = 1.0,
                  text_scale: float = 1.0) -> tuple[int, int, int]:
    """(columns, rows per column, bullets shown) for ``n`` targets in a ``width``×``height`` px area
    at the type scale: two columns when one does not fit and the panel is wide enough; when even
    those do not fit, the last place says how many more there are."""
    label = theme.font_px(theme.LABEL_PX, scale, text_scale)
    row_h = TARGET_ROW_EM * label
    cols = 1 if n * row_h <= height or width < 2 * TARGET_COLUMN_EM * label else 2
    rows_fit = max(1, int(height // row_h))
    capacity = rows_fit * cols
    if n <= capacity:
        return cols, math.ceil(n / cols), n
    return cols, rows_fit, capacity - 1


def target_bullets(targets: pd.DataFrame | None, *, width: float = 620, height: float = 250,
                   scale: float = 1.0, text_scale: float = 1.0, as_of=None) -> html.Div:
    """省级/市级目标指标: one bullet per target — the actual as a bar in its status colour and the target
    as a tick; name, deadline and status above, actual / target beside; the indicator's 口径 and the
    target's source document on hover.

    Rates are drawn on 0–100%; counts on 0 to a little past the larger of target and actual.
    """
    frame = ordered_targets(targets)
    if frame.empty:
        return no_data()
    cols, rows, shown = target_layout(len(frame), width, height, scale, text_scale)
    items = []
    for t in frame.head(shown).itertuples(index=False):
        unit = getattr(t, "unit", "%") or "%"
        comparator = getattr(t, "comparator", ">=") or ">="
        target, current = _num(t.target), _num(getattr(t, "current", None))
        axis_max = max(1.0, target or 0, current or 0) if unit == "%" else (max(target or 0, current or 0) * 1.15 or 1.0)
        status = getattr(t, "status", "") or ""
        tone = STATUS_TONES.get(status, "muted")
        level = getattr(t, "level", "") or ""
        deadline = getattr(t, "deadline", None)
        sign = {">=": "≥", "<=": "≤", "==": "="}.get(comparator, "")
        forecast = _num(getattr(t, "forecast", None))
        dl = pd.Timestamp(deadline) if not _missing(deadline) else None
        tip = (f"{t.name}（{level}级）\n实际 {value_text(current, unit)} · 目标 {sign} {value_text(target, unit)}"
               f"\n期限 {fmt.day(deadline) if dl is not None else '未设（文件未定，由城市配置）'} · {status or '—'}"
               f"\n趋势预测（期限日） {value_text(forecast, unit) if forecast is not None else '—'}"
               "\n" + "\n".join(tips.lines(str(getattr(t, "indicator_id", "") or ""), as_of=as_of,
                                            document=getattr(t, "source_doc", "") or None)))
        href = _href("/targets", target=getattr(t, "target_id", None))
        fill = 0.0 if current is None else max(0.0, min(current / axis_max, 1.0))
        tick = None if target is None else min(target / axis_max, 1.0)
        # level, deadline and target are data attributes drawn by CSS (::before/::after): fewer elements
        items.append(html.Div([
            html.Div([html.Span(str(t.name), className="cw-bullet-name" + (" is-province" if level == "省" else ""),
                                **{"data-level": level}),
                      html.B(status, className=f"cw-bullet-status is-{tone}",
                             **{"data-deadline": f"{dl.year}-{dl.month:02d} " if dl is not None else ""})],
                     className="cw-bullet-head"),
            html.Div([bar_track(fill, tone, "cw-bar-track cw-bullet-track", tick),
                      html.B(value_text(current, unit), className=f"cw-bullet-value is-{tone}",
                             **{"data-target": f" / {sign}{value_text(target, unit)}"})], className="cw-bullet-body"),
        ], className="cw-bullet", **{"data-href": href, "data-tip": tip}))
    if shown < len(frame):
        items.append(html.Div(f"另有 {len(frame) - shown} 项目标 · 点击查看全部 ›",
                            className="cw-bullet cw-bullet-more", **{"data-href": "/targets"}))
    return html.Div(items, className="cw-bullets", style={"gridTemplateColumns": f"repeat({cols}, 1fr)",
                                                          "gridTemplateRows": f"repeat({rows}, 1fr)"})
