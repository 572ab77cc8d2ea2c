"""What every wall figure shares: fixed-size layouts and axes in design-canvas px, the empty figure,
margins for HTML captions and tick labels, ticks in the wall's count units, the colour scales.

Rules every figure builder (layouts/chart_figures.py, layouts/map_figure.py) keeps:

* it only *selects* from the pre-aggregated frames of :mod:`dashboard.frames`, through the pure
  functions of :mod:`dashboard.selections`; it never aggregates raw rows;
* it draws with ``plotly.graph_objects`` on fixed ``width``/``height`` in design-canvas pixels,
  with every line scaled by ``scale`` (1.0 on the 1920×1080 canvas, 2.0 on 3840×2160) and every font
  from the type scale of :mod:`layouts.theme` (``scale`` × ``text_scale``, the city's
  ``city.text_scale``), as are the margins that hold text;
* the look comes from the one template registered in :mod:`layouts.theme` (never set here);
* ``uirevision`` is set, so a redraw keeps what the viewer did (legend clicks, zoom);
* labels and hovers are Chinese and numbers go through :mod:`dashboard.formatting`;
* a missing or empty frame gives a figure that says "暂无数据", never an exception.

Clickable points carry their drill-down URL in ``customdata`` (the string itself, or the first
element of a row, :mod:`layouts.links`); ``assets/wall.js`` navigates there on click.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from dashboard import formatting as fmt
from dashboard import periods
from dashboard.formatting import _missing
from layouts import theme

NO_DATA = "暂无数据"


NUMBER_FONT = theme.NUMBER_FONT_FAMILY


HEAT_SCALE = [[0.0, "#0b1f45"], [0.25, "#0f4c8a"], [0.5, "#1c9bd6"], [0.75, "#ffc24b"], [1.0, "#ff5a6e"]]


MAP_SCALE = [[0.0, "#0c2452"], [0.35, "#12509a"], [0.7, "#1f9fe0"], [1.0, "#6ff0ff"]]


DENSITY_SCALE = [[0.0, "rgba(255,194,75,0)"], [0.3, "rgba(255,194,75,0.35)"], [0.65, "rgba(255,138,61,0.7)"],
                 [1.0, "rgba(255,90,110,0.95)"]]


SHARING_DEFAULT_TARGET = 0.9


EXCHANGE_DAYS = periods.EXCHANGE_DAYS  # the exchange trend's period, its total over the same days


CLOUD_DEFAULT_TARGET = 0.8


def _px(value: float, scale: float) -> float:
    return round(value * scale, 2)


def _font(step: float, scale: float, text_scale: float = 1.0) -> float:
    """A type-scale step (theme.TICK_PX, LABEL_PX, TEXT_PX) in canvas px."""
    return theme.font_px(step, scale, text_scale)


def _base_layout(width: int, height: int, scale: float, uirevision: str, *, margin=(8, 8, 8, 8),
                 text_scale: float = 1.0, **extra) -> dict:
    """``margin`` in design px: the parts that hold text are given already multiplied by ``text_scale``."""
    left, right, top, bottom = (round(m * scale) for m in margin)
    layout = dict(
        width=int(width), height=int(height), autosize=False, uirevision=uirevision,
        margin=dict(l=left, r=right, t=top, b=bottom, pad=0),
        font=dict(size=_font(theme.LABEL_PX, scale, text_scale)),
        hoverlabel=dict(font=dict(size=_font(theme.LABEL_PX, scale, text_scale))),
        showlegend=False,
    )
    layout.update(extra)
    return layout


def _axis(scale: float, text_scale: float = 1.0, **extra) -> dict:
    """An axis of the wall's fixed-size figures. The margins are explicit, so plotly.js need not
    measure its tick labels: no automargin, a fixed tick angle (``auto`` measures every label for
    overlaps) and labels allowed past the plot (the default checks each label's box against the div
    after placing each label, a forced layout per label on a fresh page)."""
    axis = dict(tickfont=dict(size=_font(theme.TICK_PX, scale, text_scale)), gridwidth=max(1, round(scale)), linewidth=max(1, round(scale)),
                fixedrange=True, automargin=False, zeroline=False, tickangle=0, ticklabeloverflow="allow")
    axis.update(extra)
    return axis


def empty_figure(width: int, height: int, scale: float = 1.0, text: str = NO_DATA, uirevision: str = "empty",
                 text_scale: float = 1.0) -> go.Figure:
    """A blank figure with one centred message ("暂无数据")."""
    return go.Figure(layout=_base_layout(
        width, height, scale, uirevision, text_scale=text_scale,
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                          font=dict(size=_font(theme.TEXT_PX, scale, text_scale), color=theme.MUTED))],
    ))


CAPTION_ROW_EM = 1.4  # the HTML caption over a graph (assets/wall.css .cw-caption-row), in label font sizes


def caption_margin(text_scale: float = 1.0) -> float:
    """The top margin (design px) that leaves room for a graph's HTML caption row."""
    return CAPTION_ROW_EM * theme.LABEL_PX * text_scale + 4


def tick_margin(labels, text_scale: float = 1.0) -> float:
    """The margin (design px) beside an axis for its widest tick label; below an axis (``labels``
    None) one line of ticks."""
    if labels is None:
        return 1.3 * theme.TICK_PX * text_scale + 4
    return max((text_px(t, theme.TICK_PX * text_scale) for t in labels), default=0) + 8


def text_px(text: str, size: float) -> float:
    """Rough rendered width of a label at ``size`` px (CJK full width, other characters about half):
    explicit margins instead of plotly's automargin, which costs a second layout pass per graph."""
    return sum(size if ord(ch) > 0x2E80 else 0.58 * size for ch in str(text))


def nice_ticks(vmax: float, n: int = 4) -> list[float]:
    """0 and round steps up to at least ``vmax`` (about ``n`` intervals): 0, 2万, 4万, …"""
    if not vmax or vmax <= 0 or not math.isfinite(vmax):
        return [0.0, 1.0]
    raw = vmax / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= raw:
            step = m * magnitude
            break
    return [i * step for i in range(int(math.ceil(vmax / step - 1e-9)) + 1)]


def tick_text(value: float) -> str:
    """A short axis tick in the wall's count units: 3000000 → '300万', 250000 → '25万', 2500 → '2,500'."""
    if abs(value) >= 1e8:
        return f"{value / 1e8:g}亿"
    if abs(value) >= 1e4:
        return f"{value / 1e4:g}万"
    return fmt.count(value)


def value_text(value, unit: str) -> str:
    """A target or indicator value in its unit: 0.82 with '%' → '82.0%', 6 with '项' → '6 项'."""
    if _missing(value):
        return fmt.MISSING
    if unit == "%":
        return fmt.percent(value)
    if unit == "小时":
        return fmt.hours(value)
    return f"{fmt.count(value)} {unit}".strip()  # counts (个, 项, 条): whole items


def scale_max(z) -> float:
    """The top of a count's colour scale from 0 (the map's, the heatmaps'): the largest count, at
    least 1. Figures set it as ``zmax`` (with ``zmin`` alone plotly.js scales to the data's own
    range) and the HTML scales print it."""
    z = np.asarray(z, dtype=float)
    return max(float(np.nanmax(z)) if z.size and not np.isnan(z).all() else 0.0, 1.0)
