"""The command-centre colours, shared by the CSS (assets/) and one Plotly template registered once."""
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

pio.templates["citywall"] = go.layout.Template(layout=go.Layout(
    font=dict(family=FONT_FAMILY, color=TEXT, size=14),
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
