"""The wall's design canvas (every element's box) and its views (the playlist, the view in the URL).
Pure functions of settings and district names."""
from __future__ import annotations

from dashboard import selections as sel
from layouts.wall_ids import IDS

#: seconds each panel sharing a box shows before the next (指挥调度 and 省级目标指标, assets/wall-faces.js)
FACE_SECONDS = 20
#: the KPI tiles' shares of the row: 今日事件's sub-lines (全部未办结 999,999) are the longest text
KPI_WEIGHTS = {"sharing": 0.97, "aggregation": 0.97, "cloud": 0.97, "today": 1.15, "closure": 0.97, "targets": 0.97}


def wall_geometry(canvas: tuple[int, int] = (1920, 1080), text_scale: float = 1.0) -> dict:
    """Every element's box (x, y, w, h) in canvas px, and the scale ``s``.

    Designed on 1920×1080 (s = 1); a 3840×2160 canvas doubles every size; a wider canvas
    (7680×2160) keeps the side columns and the bottom row's proportions and widens the centre.
    A bigger ``text_scale`` (city.text_scale) makes the KPI tiles taller (their lines of text) and
    the map lower.
    """
    W, H = int(canvas[0]), int(canvas[1])
    s = min(W / 1920, H / 1080)
    m, g = 14 * s, 12 * s
    header_h, bottom_h, kpi_h = 84 * s, 300 * s, 128 * s * text_scale
    top = header_h + 6 * s
    main_h = H - top - g - bottom_h - m
    side_w = min(456 * s, 0.3 * W)
    centre_x = m + side_w + g
    right_x = W - m - side_w
    centre_w = right_x - g - centre_x

    def column(x):
        h1, h2 = main_h * 196 / 662, main_h * 262 / 662
        return [(x, top, side_w, h1), (x, top + h1 + g, side_w, h2), (x, top + h1 + h2 + 2 * g, side_w, main_h - h1 - h2 - 2 * g)]

    sharing, ranking, exchange = column(m)
    cloud, migration, burnup = column(right_x)
    tiles = {}
    tile_gap = 10 * s
    unit_w = (centre_w - 5 * tile_gap) / sum(KPI_WEIGHTS.values())
    x = centre_x
    for name in IDS["kpi"]:
        tiles[name] = (x, top, unit_w * KPI_WEIGHTS[name], kpi_h)
        x += unit_w * KPI_WEIGHTS[name] + tile_gap
    bottom_y = H - m - bottom_h
    avail = W - 2 * m - 3 * g
    shares = (410, 420, 376, 650)
    widths = [avail * w / sum(shares) for w in shares]
    xs = [m]
    for w in widths[:-1]:
        xs.append(xs[-1] + w + g)
    boxes = {
        "header": (0, 0, W, header_h), "sharing": sharing, "ranking": ranking, "exchange": exchange,
        "map": (centre_x, top + kpi_h + g, centre_w, main_h - kpi_h - g),
        "cloud": cloud, "migration": migration, "burnup": burnup,
        "hour_weekday": (xs[0], bottom_y, widths[0], bottom_h),
        "category_district": (xs[1], bottom_y, widths[1], bottom_h),
        "ticker": (xs[2], bottom_y, widths[2], bottom_h),
        "targets": (xs[3], bottom_y, widths[3], bottom_h),
    }
    out = {k: tuple(int(round(v)) for v in b) for k, b in boxes.items()}
    out["kpi"] = {k: tuple(int(round(v)) for v in b) for k, b in tiles.items()}
    out["s"] = s
    out["canvas"] = (W, H)
    return out


# ---- views (playlist) -------------------------------------------------------------------------------

def playlist_views(playlist: list[str], districts: dict[str, str]) -> list[dict]:
    """Expand the configured playlist into views: 'city', 'district:<id>', 'districts' (each district)."""
    views: list[dict] = []
    for entry in playlist or ["city"]:
        entry = str(entry).strip()
        if entry == "city":
            views.append({"id": "city", "label": "全市"})
        elif entry == "districts":
            views.extend({"id": f"district:{rid}", "label": name} for rid, name in districts.items())
        elif entry.startswith("district:") and entry.split(":", 1)[1] in districts:
            rid = entry.split(":", 1)[1]
            views.append({"id": f"district:{rid}", "label": districts[rid]})
    return views or [{"id": "city", "label": "全市"}]


def view_label(view: str | None, districts: dict[str, str]) -> str:
    rid = sel.parse_view(view)
    return f"当前视图：{districts.get(rid, '全市') if rid else '全市'}"


def valid_view(view: str | None, districts: dict[str, str]) -> str:
    rid = sel.parse_view(view)
    return f"district:{rid}" if rid in districts else "city"

