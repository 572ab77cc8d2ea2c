"""Where the map's district names go, so that no two of them overlap.

A real city's central districts are small (长沙's 芙蓉 / 天心 / 开福 / 雨花, 西安's 莲湖 / 新城 / 碑林):
at the wall's label size their names, drawn at their centroids, cover each other. The placement is
greedy and runs on the server, in the map's own pixels (y down), on estimated text boxes at the
label's font size:

1. the labels are taken in order of ``weight`` (the district in focus first, then the larger
   districts), so a big district keeps its name on its centroid;
2. a label goes on its anchor if its box overlaps no label placed before it;
3. else it moves away from the anchor, in eight directions at growing distances, and is drawn with a
   leader line back to its anchor;
4. where no place is free within reach, the label is dropped: the district's name stays in its hover.

Pure functions: :func:`place_labels` is memoised on its (hashable) input, so the map's figure,
rebuilt at every data publish, computes the placement once per geography, view and size. The last
two functions turn the placement into the map's Plotly parts (layouts/map_figure.py draws the map).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import plotly.graph_objects as go

from layouts import theme

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in plot px, y down

# the directions a crowded label tries, nearest first: right, left, up, down, then the diagonals
DIRECTIONS = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1))
REACH = 4  # how far a label may move from its anchor, in label heights


@dataclass(frozen=True)
class Label:
    """A name to place: its anchor (the district's centroid) in plot px, its font size and priority."""
    key: str
    text: str
    x: float
    y: float
    size: float
    weight: float = 0.0


@dataclass(frozen=True)
class Placement:
    key: str
    x: float  # the label's centre in plot px
    y: float
    box: Box
    moved: bool  # away from its anchor: drawn with a leader line


def text_width(text: str, size: float) -> float:
    """Estimated width of ``text`` at ``size`` px: CJK full width, other characters about 0.6."""
    return sum(size if ord(ch) > 0x2E80 else 0.6 * size for ch in str(text))


def label_box(text: str, size: float, x: float, y: float) -> Box:
    """The box of a bold label centred on (x, y), with its halo: a fifth of the size on each side."""
    pad = 0.2 * size
    half_w, half_h = text_width(text, size) / 2 + pad, 0.6 * size + pad
    return (x - half_w, y - half_h, x + half_w, y + half_h)


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(box: Box, width: float, height: float) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def _candidates(label: Label):
    """(centre x, centre y, moved) where the label may go: its anchor, then around it."""
    yield label.x, label.y, False
    x0, y0, x1, y1 = label_box(label.text, label.size, 0, 0)
    half_w, half_h = (x1 - x0) / 2, (y1 - y0) / 2
    step = 0.6 * (y1 - y0)
    for ring in range(1, int(REACH / 0.6) + 1):
        gap = ring * step
        for dx, dy in DIRECTIONS:
            yield label.x + dx * (half_w + gap), label.y + dy * (half_h + gap), True


@lru_cache(maxsize=64)
def place_labels(labels: tuple[Label, ...], width: float, height: float) -> tuple[Placement, ...]:
    """The labels that fit without overlapping, each at its anchor or moved near it (see the module
    doc); a label that fits nowhere is left out."""
    placed: list[Placement] = []
    for label in sorted(labels, key=lambda lb: (-lb.weight, lb.key)):
        for x, y, moved in _candidates(label):
            box = label_box(label.text, label.size, x, y)
            if _inside(box, width, height) and not any(overlaps(box, p.box) for p in placed):
                placed.append(Placement(label.key, round(x, 2), round(y, 2), box, moved))
                break
    return tuple(placed)


def leader_end(anchor: tuple[float, float], box: Box) -> tuple[float, float]:
    """Where a leader line from ``anchor`` meets the edge of a moved label's ``box``."""
    ax, ay = anchor
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    dx, dy = ax - cx, ay - cy
    if dx == 0 and dy == 0:
        return cx, cy
    half_w, half_h = (box[2] - box[0]) / 2, (box[3] - box[1]) / 2
    t = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return cx + dx * t, cy + dy * t


def district_labels(anchors, names: dict, focus: str | None, areas: dict, width: float, height: float,
                    scale: float, text_scale: float = 1.0) -> tuple[tuple[Placement, tuple[float, float]], ...]:
    """The map's district names placed: ``anchors`` are (region id, x, y) in plot px (y down), the
    district in focus is placed first and larger (theme.TEXT_PX), then the others by ``areas``
    (larger first) at theme.LABEL_PX. → (placement, its anchor) for each name drawn."""
    labels, at = [], {}
    for rid, x, y in anchors:
        size = theme.font_px(theme.TEXT_PX if rid == focus else theme.LABEL_PX, scale, text_scale)
        weight = math.inf if rid == focus else float(areas.get(rid) or 0.0)
        labels.append(Label(rid, names.get(rid, rid), round(float(x), 1), round(float(y), 1), size, weight))
        at[rid] = (round(float(x), 1), round(float(y), 1))
    return tuple((p, at[p.key]) for p in place_labels(tuple(labels), round(width), round(height)))


# ---- the placed names as Plotly parts of the map (layouts/map_figure.py) ---------------------------------

DIM_NAME = "rgba(127,156,199,0.7)"  # theme.MUTED at 70 %: the names around a district in focus
LEADER = "rgba(255,255,255,0.8)"


def _size(focus: bool, scale: float, text_scale: float) -> float:
    return theme.font_px(theme.TEXT_PX if focus else theme.LABEL_PX, scale, text_scale)


def svg_name_traces(*args, **options) -> list[go.Scatter]:
    """:func:`svg_name_specs` as plotly.py traces."""
    return [go.Scatter(**{k: v for k, v in spec.items() if k != "type"}) for spec in svg_name_specs(*args, **options)]


def svg_name_specs(centroids, svg, names: dict, focus: str | None, x_range, y_range, width: int, height: int,
                   scale: float, text_scale: float = 1.0) -> list[dict]:
    """The SVG map's district names (those whose centroid is inside the view), placed without
    overlaps, as one text trace (white with a dark halo, muted around a district in focus), after
    one trace of the leader lines of the names moved off their centroids, as plotly.js trace dicts
    (a drill-down draws them per view: plotly.py's validation would cost more than the placing).
    One trace draws in one pass; as annotations, each name cost the wall's first draw a text
    measurement of its own."""
    cx, cy = svg.project(centroids["lon"].to_numpy(), centroids["lat"].to_numpy())
    (x0, x1), (y0, y1) = x_range, y_range
    span_x, span_y = x1 - x0, y1 - y0
    anchors = [(rid, (x - x0) / span_x * width, (y1 - y) / span_y * height)
               for rid, x, y in zip(centroids["region_id"].astype(str), cx, cy)
               if 0.03 < (x - x0) / span_x < 0.97 and 0.04 < (y - y0) / span_y < 0.96]
    at = {rid: i for i, rid in enumerate(svg.ids)}
    areas = {rid: (b[2] - b[0]) * (b[3] - b[1]) for rid in at if (b := svg.boxes[at[rid]])}

    def data_xy(px, py):
        return round(x0 + px / width * span_x, 3), round(y1 - py / height * span_y, 3)

    xs, ys, texts, sizes, colours, lx, ly = [], [], [], [], [], [], []
    for p, anchor in district_labels(anchors, names, focus, areas, width, height, scale, text_scale):
        x, y = data_xy(p.x, p.y)
        xs.append(x)
        ys.append(y)
        texts.append(f"<b>{names.get(p.key, p.key)}</b>")
        sizes.append(_size(p.key == focus, scale, text_scale))
        colours.append(DIM_NAME if focus is not None and p.key != focus else "#ffffff")
        if p.moved:
            for point in (anchor, leader_end(anchor, p.box)):
                lx_, ly_ = data_xy(*point)
                lx.append(lx_)
                ly.append(ly_)
            lx.append(None)
            ly.append(None)
    leaders = dict(type="scatter", x=lx, y=ly, mode="lines", hoverinfo="skip", showlegend=False, name="区县名称引线",
                   line=dict(color=LEADER, width=round(1.5 * scale, 2)))
    shadow = f"0 0 {round(3 * scale, 2)}px {theme.BACKGROUND}"
    return [leaders, dict(type="scatter", x=xs, y=ys, mode="text", text=texts, hoverinfo="skip", showlegend=False,
                          name="区县名称", textfont=dict(size=sizes, color=colours, shadow=shadow))]


def maplibre_name(text: str, placed: Placement, anchor, focus: bool, dim: bool, width: int, height: int,
                  scale: float, text_scale: float = 1.0) -> dict:
    """A district's name on the MapLibre map as an annotation at its placement: white on a dark plate,
    muted around a district in focus, with a line to its centroid (``anchor``, plot px) where it moved."""
    return dict(text=f"<b>{text}</b>", x=placed.x / width, y=1 - placed.y / height, xref="paper", yref="paper",
                showarrow=placed.moved, ax=round(anchor[0] - placed.x, 1), ay=round(anchor[1] - placed.y, 1),
                axref="pixel", ayref="pixel", arrowhead=0, arrowcolor=LEADER, arrowwidth=max(1, round(scale)),
                font=dict(size=_size(focus, scale, text_scale), color=theme.MUTED if dim else "#ffffff"),
                bgcolor="rgba(5,13,31,0.45)", borderpad=round(2 * scale), opacity=0.7 if dim else 1.0)
