"""The demo city's geography: a hexagonal lattice inside an irregular outline, districts, streets and
grids grown inside each other, polygons traced from their cells, and the GeoJSON files."""
from __future__ import annotations

import heapq
import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from datasources.demo_city.common import (CENTER_LAT, CENTER_LON, CITY_NAME, GEO_FILES, KM_PER_DEG_LAT,
                                          KM_PER_DEG_LON)


HEX_KM = 0.46            # hexagon centre-to-corner; its width (√3·s ≈ 0.80 km) is ~0.008° of lon
CITY_RADIUS_KM = 27.0    # mean radius of the outline: ~4,000 cells
_SQ3 = math.sqrt(3.0)
_DIRS = ((1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1))
# corners of a pointy-top hexagon, counter-clockwise, in lattice units (X·√3/2·s, Y·s/2)
_CORNER_DX = (1, 0, -1, -1, 0, 1)
_CORNER_DY = (1, 2, 1, -1, -2, -1)
_VERTEX_JITTER = 0.12    # × HEX_KM, per coordinate

_DISTRICT_IDS = {"东湖区": "430902", "西城区": "430903", "南湖区": "430904", "北山区": "430905",
                 "滨江区": "430906", "高新区": "430971", "经开区": "430972"}
_STREET_NAMES = (
    "湖滨 望城 桃源 青石 清溪 东塘 文昌 书院 金盆 银杉 红星 新河 雨湖 洪山 月塘 白沙 黎明 高桥 "
    "枫林 梅溪 龙泉 天顶 星湾 柳林 松雅 丁香 乌石 莲花 雷家 荷塘 马坡 石门 双江 梨园 杨柳 凤凰 "
    "金霞 银盆 竹山 长岭 龙湾 鹤岭 望湖 锦绣 云台 新桥 沙湾 黄花 麓谷 玉屏 楠竹 东屯 西林 南塘 "
    "北渡 花桥 茶园 古城 仙岭 金桂 洞井 同心 永安 和平 兴隆 城南 江北 观音 狮子 石燕 乔口 福临 "
    "柏林 大托 暮云 榔梨 黄兴 铜官 靖港 跳马 含浦 坪塘 莲湖 白鹭 翠屏 凤岭 清泉").split()
_VILLAGE_HEAD = list("金银石田高新大小东西南北上下龙凤桃李杨柳松竹梅兰荷枫青白红黄")
_VILLAGE_TAIL = list("塘湾冲坪桥岭山湖园坝港洲庄堰铺")


@dataclass
class City:
    seed: int
    x: np.ndarray            # cell centre, km east of the city centre
    y: np.ndarray            # cell centre, km north
    q: np.ndarray            # axial lattice coordinates
    r: np.ndarray
    district: np.ndarray     # per cell: district index
    street: np.ndarray       # per cell: street index
    grid: np.ndarray         # per cell: grid index
    districts: list[dict]    # {region_id, name}
    streets: list[dict]      # {region_id, name, district, kind, rho}
    grids: list[dict]        # {region_id, name, street, district}
    vertex_keys: np.ndarray  # sorted keys of every lattice corner of the city
    vertex_jitter: np.ndarray  # (n, 2) km
    grid_cell_start: np.ndarray
    grid_cell_count: np.ndarray
    grid_cells: np.ndarray   # cell indices sorted by grid


def _lonlat(x_km, y_km):
    return CENTER_LON + np.asarray(x_km) / KM_PER_DEG_LON, CENTER_LAT + np.asarray(y_km) / KM_PER_DEG_LAT


def _vkey(X, Y):
    return (np.asarray(X, dtype=np.int64) + 4096) * 8192 + (np.asarray(Y, dtype=np.int64) + 4096)


def _pick_seeds(members: np.ndarray, k: int, rng, x, y, weight=None, candidates: int = 24) -> list[int]:
    """Mitchell's best candidate: well spread seed cells, denser where ``weight`` is higher."""
    k = min(k, len(members))
    w = np.ones(len(members)) if weight is None else np.asarray(weight, dtype=float)
    p = w / w.sum()
    chosen = [int(rng.choice(members, p=p))]
    for _ in range(k - 1):
        cand = rng.choice(len(members), size=candidates, p=p)
        cx, cy = x[members[cand]], y[members[cand]]
        d = np.min(np.hypot(cx[:, None] - x[chosen][None, :], cy[:, None] - y[chosen][None, :]), axis=1)
        d = d * np.sqrt(w[cand])
        best = int(np.argmax(d))
        if d[best] <= 0:  # all candidates already chosen: take any free member
            free = np.setdiff1d(members, chosen)
            chosen.append(int(free[0]))
        else:
            chosen.append(int(members[cand[best]]))
    return chosen


def _grow(members: np.ndarray, seeds: list[int], neighbours, x, y, rng, wavelength: float,
          amp: float) -> np.ndarray:
    """Label each member cell with the index of a seed: a connected, noisy discrete Voronoi.

    Cells are claimed in order of (distance to the seed × a smooth per-seed noise), but only by
    growing from cells a seed already holds, so every region is connected and inside ``members``.
    """
    pos = {int(c): i for i, c in enumerate(members)}
    mx, my = x[members], y[members]
    sx, sy = x[seeds], y[seeds]
    scales = np.array([1.0, 0.55, 0.3, 0.17])     # several octaves: wavy at every scale
    weights = np.array([1.0, 0.7, 0.45, 0.3])
    ang = rng.uniform(0, 2 * np.pi, (len(seeds), len(scales)))
    phase = rng.uniform(0, 2 * np.pi, (len(seeds), len(scales)))
    k = (2 * np.pi / (wavelength * scales))[None, :, None]
    waves = np.sin(k * (np.cos(ang)[:, :, None] * mx[None, None, :] + np.sin(ang)[:, :, None] * my[None, None, :])
                   + phase[:, :, None])
    noise = np.tensordot(weights, waves, axes=([0], [1])) / weights.sum()
    cost = np.hypot(mx[None, :] - sx[:, None], my[None, :] - sy[:, None]) * (1 + amp * noise)
    label = np.full(len(members), -1, dtype=np.int64)
    heap = [(-1.0, j, pos[s]) for j, s in enumerate(seeds)]
    heapq.heapify(heap)
    while heap:
        _, j, i = heapq.heappop(heap)
        if label[i] >= 0:
            continue
        label[i] = j
        for nb in neighbours[int(members[i])]:
            p = pos.get(nb)
            if p is not None and label[p] < 0:
                heapq.heappush(heap, (float(cost[j, p]), j, p))
    return label


@lru_cache(maxsize=4)
def build_city(seed: int) -> City:
    """The geography of the demo city for ``seed`` (deterministic; cached per process)."""
    rng = np.random.default_rng([seed, 0x6E0])
    # -- outline: cells whose centre lies inside a noisy radius ------------------------------
    harmonics = [(kk, 0.20 / kk ** 0.7 * rng.uniform(0.5, 1.0), rng.uniform(0, 2 * np.pi)) for kk in range(2, 8)]
    reach = CITY_RADIUS_KM * (1 + sum(a for _, a, _ in harmonics)) + 2
    m = int(reach / (1.5 * HEX_KM)) + 3
    qq, rr = np.meshgrid(np.arange(-m, m + 1), np.arange(-m, m + 1), indexing="ij")
    qq, rr = qq.ravel(), rr.ravel()
    xx = _SQ3 * HEX_KM * (qq + rr / 2)
    yy = 1.5 * HEX_KM * rr
    theta = np.arctan2(yy, xx)
    limit = CITY_RADIUS_KM * (1 + sum(a * np.sin(kk * theta + ph) for kk, a, ph in harmonics))
    inside = np.hypot(xx, yy) <= limit
    index = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(qq, rr))}

    def nbrs(i):
        a, b = int(qq[i]), int(rr[i])
        for da, db in _DIRS:
            j = index.get((a + da, b + db))
            if j is not None:
                yield j

    # keep the component holding the centre, then fill any enclosed holes
    start = index[(0, 0)]
    inside[start] = True
    keep = np.zeros(len(qq), bool)
    keep[start] = True
    stack = [start]
    while stack:
        i = stack.pop()
        for j in nbrs(i):
            if inside[j] and not keep[j]:
                keep[j] = True
                stack.append(j)
    outside = np.zeros(len(qq), bool)
    border = [i for i in range(len(qq)) if abs(qq[i]) == m or abs(rr[i]) == m]
    for i in border:
        if not keep[i]:
            outside[i] = True
    stack = [i for i in border if outside[i]]
    while stack:
        i = stack.pop()
        for j in nbrs(i):
            if not keep[j] and not outside[j]:
                outside[j] = True
                stack.append(j)
    city = np.flatnonzero(~outside)
    order = np.lexsort((qq[city], rr[city]))
    city = city[order]
    q, r, x, y = qq[city], rr[city], xx[city], yy[city]
    cidx = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(q, r))}
    neighbours = [[cidx[(int(a) + da, int(b) + db)] for da, db in _DIRS if (int(a) + da, int(b) + db) in cidx]
                  for a, b in zip(q, r)]
    n_cells = len(q)
    all_cells = np.arange(n_cells)
    rho = np.hypot(x, y)

    # -- districts ---------------------------------------------------------------------------
    d_seeds = _pick_seeds(all_cells, 7, rng, x, y, candidates=40)
    district = _grow(all_cells, d_seeds, neighbours, x, y, rng, wavelength=26.0, amp=0.38)
    names = [None] * 7
    sx, sy = x[d_seeds], y[d_seeds]
    free = set(range(7))
    for name, key in (("东湖区", sx), ("西城区", -sx), ("北山区", sy), ("南湖区", -sy)):
        j = max(free, key=lambda i: key[i])
        names[j] = name
        free.remove(j)
    rest = sorted(free, key=lambda i: rho[d_seeds[i]])
    for name, j in zip(("滨江区", "高新区", "经开区"), rest):
        names[j] = name
    d_order = sorted(range(7), key=lambda j: _DISTRICT_IDS[names[j]])
    remap = np.empty(7, dtype=np.int64)
    remap[d_order] = np.arange(7)
    district = remap[district]
    districts = [{"region_id": _DISTRICT_IDS[names[j]], "name": names[j]} for j in d_order]

    # -- streets inside districts --------------------------------------------------------------
    density = 0.5 + 1.5 * np.exp(-rho / 10.0)
    street = np.empty(n_cells, dtype=np.int64)
    streets: list[dict] = []
    pool = list(rng.permutation(_STREET_NAMES))
    for di, d in enumerate(districts):
        members = np.flatnonzero(district == di)
        n_st = int(np.clip(round(len(members) / n_cells * 46), 4, 8))
        seeds = _pick_seeds(members, n_st, rng, x, y, weight=density[members])
        seeds.sort(key=lambda c: (round(float(rho[c]), 6), c))
        lab = _grow(members, seeds, neighbours, x, y, rng, wavelength=11.0, amp=0.45)
        for j, s in enumerate(seeds):
            urban = rho[s] < 0.5 * CITY_RADIUS_KM or d["name"] in ("高新区", "经开区", "西城区")
            kind = "街道" if urban else "镇"
            streets.append({"region_id": f"{d['region_id']}{j + 1:03d}", "name": str(pool.pop()) + kind,
                            "district": di, "kind": kind, "rho": float(rho[s])})
        street[members] = lab + (len(streets) - len(seeds))

    # -- grids inside streets -------------------------------------------------------------------
    load = np.bincount(street, weights=density, minlength=len(streets))
    total_grids = int(rng.integers(500, 621))
    per_street = np.maximum(3, np.round(total_grids * load / load.sum())).astype(int)
    grid = np.empty(n_cells, dtype=np.int64)
    grids: list[dict] = []
    for si, st in enumerate(streets):
        members = np.flatnonzero(street == si)
        seeds = _pick_seeds(members, int(per_street[si]), rng, x, y, weight=density[members] ** 2)
        seeds.sort(key=lambda c: (-round(float(y[c]), 6), round(float(x[c]), 6)))
        lab = _grow(members, seeds, neighbours, x, y, rng, wavelength=4.0, amp=0.35)
        dname = districts[st["district"]]["name"]
        for j in range(len(seeds)):
            grids.append({"region_id": f"{st['region_id']}{j + 1:03d}",
                          "name": f"{dname}-{st['name']}-第{j + 1:02d}网格",
                          "street": si, "district": st["district"]})
        grid[members] = lab + (len(grids) - len(seeds))

    # -- lattice corners, jittered once for the whole city -------------------------------------
    X = (2 * q + r)[:, None] + np.array(_CORNER_DX)[None, :]
    Y = (3 * r)[:, None] + np.array(_CORNER_DY)[None, :]
    keys = np.unique(_vkey(X, Y))
    jitter = rng.uniform(-_VERTEX_JITTER, _VERTEX_JITTER, (len(keys), 2)) * HEX_KM

    order = np.argsort(grid, kind="stable")
    counts = np.bincount(grid, minlength=len(grids))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return City(seed, x, y, q, r, district, street, grid, districts, streets, grids, keys, jitter,
                starts.astype(np.int64), counts.astype(np.int64), order.astype(np.int64))


def _trace(city: City, cells: np.ndarray) -> list[list[list[tuple[int, int]]]]:
    """Polygons (lists of rings of lattice corners) of a set of cells: outer rings CCW, holes CW."""
    edges: set = set()
    for c in cells:
        X0, Y0 = 2 * int(city.q[c]) + int(city.r[c]), 3 * int(city.r[c])
        vs = [(X0 + dx, Y0 + dy) for dx, dy in zip(_CORNER_DX, _CORNER_DY)]
        for k in range(6):
            a, b = vs[k], vs[(k + 1) % 6]
            if (b, a) in edges:
                edges.remove((b, a))
            else:
                edges.add((a, b))
    succ = dict(edges)  # on a hexagonal lattice each boundary corner has exactly one way on
    rings = []
    for start in sorted(succ):
        if start not in succ:
            continue
        ring = [start]
        v = succ.pop(start)
        while v != start:
            ring.append(v)
            v = succ.pop(v)
        rings.append(ring)

    def area(ring):
        xs = np.array([p[0] for p in ring], float) * _SQ3 / 2
        ys = np.array([p[1] for p in ring], float) / 2
        return 0.5 * float(np.sum(xs * np.roll(ys, -1) - np.roll(xs, -1) * ys))

    outers = [g for g in rings if area(g) > 0]
    holes = [g for g in rings if area(g) < 0]
    polygons = [[o] for o in outers]
    for h in holes:
        px, py = h[0][0] * _SQ3 / 2, h[0][1] / 2
        for poly in polygons:
            if _point_in_ring(px, py, [(a * _SQ3 / 2, b / 2) for a, b in poly[0]]):
                poly.append(h)
                break
    return polygons


def _point_in_ring(px, py, ring) -> bool:
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % n]
        if (y1 > py) != (y2 > py) and px < (x2 - x1) * (py - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _ring_coords(city: City, ring) -> list[list[float]]:
    arr = np.array(ring, dtype=np.int64)
    j = np.searchsorted(city.vertex_keys, _vkey(arr[:, 0], arr[:, 1]))
    xk = arr[:, 0] * _SQ3 / 2 * HEX_KM + city.vertex_jitter[j, 0]
    yk = arr[:, 1] / 2 * HEX_KM + city.vertex_jitter[j, 1]
    lon, lat = _lonlat(xk, yk)
    pts = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat)]
    pts.append(pts[0])
    return pts


def region_rows(city: City) -> list[tuple]:
    rows = [(d["region_id"], d["name"], "区县", None) for d in city.districts]
    rows += [(s["region_id"], s["name"], "镇街", city.districts[s["district"]]["region_id"]) for s in city.streets]
    rows += [(g["region_id"], g["name"], "网格", city.streets[g["street"]]["region_id"]) for g in city.grids]
    return rows


def geojson_collections(city: City) -> dict[str, dict]:
    """level → FeatureCollection of that level's polygons (RFC 7946: outer rings CCW)."""
    members = {"区县": city.district, "镇街": city.street, "网格": city.grid}
    out = {}
    rows = region_rows(city)
    for level in ("区县", "镇街", "网格"):
        label = members[level]
        order = np.argsort(label, kind="stable")
        bounds = np.searchsorted(label[order], np.arange(label.max() + 2))
        features = []
        for i, (rid, name, _, parent) in enumerate([r for r in rows if r[2] == level]):
            cells = order[bounds[i]:bounds[i + 1]]
            polys = [[_ring_coords(city, ring) for ring in poly] for poly in _trace(city, cells)]
            geometry = ({"type": "Polygon", "coordinates": polys[0]} if len(polys) == 1
                        else {"type": "MultiPolygon", "coordinates": polys})
            features.append({"type": "Feature", "id": rid,
                             "properties": {"region_id": rid, "name": name, "level": level, "parent_id": parent},
                             "geometry": geometry})
        out[level] = {"type": "FeatureCollection", "name": f"{CITY_NAME}{level}", "features": features}
    return out


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_geojson(geo_dir: Path, *, seed: int) -> dict[str, Path]:
    """Write districts/streets/grids GeoJSON for ``seed`` into ``geo_dir``; returns level → path."""
    geo_dir = Path(geo_dir)
    geo_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for level, fc in geojson_collections(build_city(seed)).items():
        path = geo_dir / GEO_FILES[level]
        _atomic_write(path, json.dumps(fc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        paths[level] = path
    return paths
