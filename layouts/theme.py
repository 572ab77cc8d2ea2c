"""The command-centre colours and type scale, shared by the CSS (assets/) and one Plotly template
registered once.

The type scale is read from 5 m: in design px on a 1920 px wide canvas at ``city.text_scale`` 1, no
axis tick is under :data:`TICK_PX` and no other text under :data:`LABEL_PX`. Every size grows with
the canvas (twice on 3840×2160) and with ``city.text_scale``. The figures take their fonts from
:func:`font_px`; the HTML from the same steps as CSS variables in assets/wall.css (``--fs-tick``,
``--fs-label``, ``--fs-text``, ``--fs-title``, multiples of ``--tu``), which a unit test keeps equal
to the constants here.
"""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

BACKGROUND = "#050d1f"
PANEL = "#0a1a36"
GRID = "#17305a"
TEXT = "#d6e6ff"
MUTED = "#7f9cc7"
ACCENT = "#27d3ff"
GOOD = "#2ee59d"
WARN = "#ffc24b"
BAD = "#ff5a6e"
COLORWAY = ["#27d3ff", "#2ee59d", "#ffc24b", "#ff8a3d", "#b07cff", "#ff5a6e", "#4f8bff", "#7fffd4"]
FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
# big numbers: a narrow DIN-like face where one is installed locally (no font files are shipped)
NUMBER_FONT_FAMILY = ("Bahnschrift, 'DIN Alternate', 'DIN Condensed', 'Liberation Sans Narrow', 'Arial Narrow', "
                      "'DejaVu Sans Condensed', " + FONT_FAMILY)
MAP_BACKGROUND = "#061431"  # the map's own background where no tile server is configured

# the type scale, in design px at 1920 px of canvas width and text_scale 1
TICK_PX = 14  # axis tick labels: the smallest text on the wall
LABEL_PX = 16  # any other label: legends, keys, cell values, map names, bullets, sub-lines
TEXT_PX = 18  # the rows people read first: rankings, the ticker, the district list
TITLE_PX = 20  # panel titles
TYPE_SCALE = {"tick": TICK_PX, "label": LABEL_PX, "text": TEXT_PX, "title": TITLE_PX}
LINE_HEIGHT = 1.3  # of a text row, in font sizes: for counting how many rows fit a panel


def text_unit(scale: float, text_scale: float = 1.0) -> float:
    """Canvas px per type-scale px: the canvas scale (1 on 1920×1080, 2 on 3840×2160) times
    ``city.text_scale``."""
    return float(scale) * float(text_scale)


def font_px(step: float, scale: float, text_scale: float = 1.0) -> float:
    """A type-scale step (e.g. :data:`LABEL_PX`) in canvas px."""
    return round(step * text_unit(scale, text_scale), 2)


def rows_that_fit(height: float, step: float, scale: float, text_scale: float = 1.0,
                  line_height: float = LINE_HEIGHT) -> int:
    """How many rows of text at ``step`` fit ``height`` canvas px (at least 1): fewer, bigger rows
    when the text scale grows."""
    return max(1, int(height // (font_px(step, scale, text_scale) * line_height)))

pio.templates["citywall"] = go.layout.Template(layout=go.Layout(
    font=dict(family=FONT_FAMILY, color=TEXT, size=LABEL_PX),
    paper_bgcolor="rgba(0,0,0,0)",
    plot_bgcolor="rgba(0,0,0,0)",
    colorway=COLORWAY,
    margin=dict(l=8, r=8, t=8, b=8),
    xaxis=dict(gridcolor=GRID, linecolor=GRID, zerolinecolor=GRID, tickfont=dict(color=MUTED)),
    yaxis=dict(gridcolor=GRID, linecolor=GRID, zerolinecolor=GRID, tickfont=dict(color=MUTED)),
    legend=dict(font=dict(color=MUTED), bgcolor="rgba(0,0,0,0)"),
    hoverlabel=dict(bgcolor=PANEL, bordercolor=ACCENT, font=dict(family=FONT_FAMILY, color=TEXT)),
    separators=".,",
))
pio.templates.default = "citywall"
