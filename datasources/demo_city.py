"""The built-in demo city 示范市: a deterministic, plausible city written to SQLite and GeoJSON.

Everything is derived from ``seed`` (geography, departments, catalog, systems, network) and from
``(seed, as_of)`` (the time series: exchange, incidents, indicator history), so the same seed and
the same ``as_of`` give byte-identical GeoJSON and identical table contents.

Geography: a hexagonal lattice (~0.008° cells) inside an irregular city outline. Districts grow
from seed cells inside the city, streets inside their district and grids inside their street (a
noisy, connected discrete Voronoi at each level), so the levels nest and tile exactly. Each
region's polygon is traced from the boundary edges of its cells; lattice corners are jittered
once for the whole city, so shared borders stay shared and nothing looks like a chessboard.

Incidents: ``incidents`` rows over the ~400 days before ``as_of``, with a daily and weekly rhythm
per source, a slow upward trend, hot-spot grids, category-dependent deadlines and handling times.
:func:`top_up_incidents` is the "live" feed: each hour's arrivals come from an RNG seeded by
``(seed, hour)``, so topping up in any chunking yields the same rows, and open incidents close at
the handling time fixed when they were generated (kept in the private table ``demo_pending``).

A few rows are deliberately broken so that the quarantine has something to show:
:data:`DELIBERATE_QUARANTINE` says how many per dataset.
"""
from __future__ import annotations

import heapq
import json
import math
import os
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from datasources.contracts import CONTRACTS

CITY_NAME = "示范市"
CENTER_LON, CENTER_LAT = 112.95, 28.20
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(CENTER_LAT))

TABLES = ("departments", "regions", "catalog", "exchange", "systems", "incidents", "network",
          "indicator_history", "department_history")
GEO_FILES = {"区县": "districts.geojson", "镇街": "streets.geojson", "网格": "grids.geojson"}
#: rows deliberately broken in each dataset (validation must quarantine exactly these)
DELIBERATE_QUARANTINE = {"incidents": 5, "catalog": 3}

INCIDENT_HISTORY_DAYS = 400
EXCHANGE_DAYS = 450
HISTORY_DAYS = 450
DEPARTMENT_HISTORY_DAYS = 180  # back-filled per-department history: the scoreboard's 较上期 works from the start
MAX_TOP_UP = timedelta(days=14)
VERSION = "2"  # 2: department_history

_EPOCH = datetime(1970, 1, 1)
_TS_FMT = "%Y-%m-%d %H:%M:%S"
_SQL_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "INTEGER",
              "datetime": "TEXT", "date": "TEXT"}
_CHUNK = 100_000

# ================================================================================================
# geography
# ================================================================================================

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


# ================================================================================================
# departments
# ================================================================================================

# short name, full name, kind, size (resources and systems), sensitivity, share of 城市 data, topics
_DEPARTMENTS = (
    ("公安局", "示范市公安局", "委办局", 3.0, 0.9, 0.30, "户籍人口|流动人口|机动车登记|驾驶人|交通违法|治安案件|出入境证件|视频监控点位|重点场所"),
    ("城管局", "示范市城市管理局", "委办局", 1.6, 0.0, 0.65, "市容秩序|违法建设|户外广告|环卫作业|渣土运输|城市部件|数字城管案件|停车泊位"),
    ("生态环境局", "示范市生态环境局", "委办局", 1.5, 0.0, 0.60, "空气质量|水环境质量|污染源|排污许可|环境执法|危险废物|噪声监测|环评审批"),
    ("交通运输局", "示范市交通运输局", "委办局", 1.6, 0.0, 0.55, "公交线路|公交车辆|出租车|道路运输许可|客运站|公路路网|网约车|交通流量"),
    ("卫生健康委", "示范市卫生健康委员会", "委办局", 2.0, 0.2, 0.15, "医疗机构|执业医师|出生医学证明|预防接种|居民健康档案|传染病监测|药品采购|家庭医生签约"),
    ("教育局", "示范市教育局", "委办局", 1.5, 0.0, 0.08, "学校名录|学籍|教师资格|招生入学|校车|学生资助|教育经费|校园安全"),
    ("民政局", "示范市民政局", "委办局", 1.6, 0.1, 0.05, "婚姻登记|低保对象|特困供养|社会组织|养老机构|殡葬服务|地名|残疾人补贴"),
    ("人社局", "示范市人力资源和社会保障局", "委办局", 2.0, 0.1, 0.05, "社保参保|就业登记|失业登记|职业技能鉴定|劳动仲裁|人才引进|养老金发放|工伤认定"),
    ("自然资源和规划局", "示范市自然资源和规划局", "委办局", 2.0, 0.1, 0.45, "不动产登记|土地出让|规划许可|国土调查|地理空间|测绘成果|矿产资源|耕地保护"),
    ("住建局", "示范市住房和城乡建设局", "委办局", 2.0, 0.0, 0.40, "商品房预售|房屋网签|建筑企业资质|施工许可|物业企业|房屋安全|老旧小区改造|保障性住房"),
    ("水利局", "示范市水利局", "委办局", 1.0, 0.0, 0.60, "水雨情|河湖长制|取水许可|水库|堤防|防汛物资|水土保持|农村供水"),
    ("农业农村局", "示范市农业农村局", "委办局", 1.2, 0.0, 0.30, "耕地|农业补贴|农产品质量|家庭农场|农民合作社|动物防疫|农机|高标准农田"),
    ("商务局", "示范市商务局", "委办局", 0.8, 0.0, 0.05, "外资企业|外贸进出口|商贸流通企业|成品油经营|单用途预付卡|电子商务|招商项目|市场运行监测"),
    ("文旅广电局", "示范市文化旅游广电局", "委办局", 0.9, 0.0, 0.20, "A级景区|旅行社|星级饭店|文物保护单位|演出场所|游客流量|广播电视|公共图书馆"),
    ("应急管理局", "示范市应急管理局", "委办局", 1.2, 0.1, 0.35, "危化品企业|安全生产许可|应急预案|救灾物资|自然灾害|应急避难场所|安全生产执法|应急救援队伍"),
    ("市场监管局", "示范市市场监督管理局", "委办局", 2.5, 0.0, 0.10, "市场主体登记|食品经营许可|特种设备|质量抽检|行政处罚|商标|计量器具|投诉举报"),
    ("医保局", "示范市医疗保障局", "委办局", 1.2, 0.1, 0.05, "医保参保|定点医药机构|医保结算|医保目录|异地就医|门诊慢特病|医保基金监管|医保缴费"),
    ("税务局", "国家税务总局示范市税务局", "其他", 1.2, 0.5, 0.03, "纳税人登记|税收征管|发票|纳税信用|欠税公告|社保费征收|减免税|个税汇算"),
    ("统计局", "示范市统计局", "委办局", 0.8, 0.0, 0.05, "国民经济核算|人口普查|经济普查|规上企业|统计年鉴|价格指数|农业统计|固定资产投资"),
    ("大数据中心", "示范市大数据中心", "事业单位", 1.5, 0.0, 0.30, "人口基础库|法人基础库|电子证照|数据共享交换|政务云资源|信用信息|城市运行指标|物联感知"),
    ("行政审批服务局", "示范市行政审批服务局", "委办局", 1.4, 0.0, 0.03, "审批事项|办件|企业开办|工程建设项目审批|证照批文|审批时限|中介服务|踏勘记录"),
    ("政务服务中心", "示范市政务服务中心", "事业单位", 1.0, 0.0, 0.05, "12345工单|窗口办件|好差评|预约取号|网上办事|服务事项|自助终端|帮办代办"),
    ("信访局", "示范市信访局", "委办局", 0.6, 0.5, 0.02, "信访件|来访登记|网上信访|信访督办|矛盾纠纷|重复信访|信访事项办理|领导接访"),
    ("司法局", "示范市司法局", "委办局", 0.8, 0.5, 0.02, "律师事务所|公证|法律援助|人民调解|社区矫正|司法鉴定|普法|行政复议"),
    ("财政局", "示范市财政局", "委办局", 1.0, 0.3, 0.02, "预算指标|国库集中支付|政府采购|非税收入|国有资产|政府债务|财政专项资金|惠民补贴"),
    ("审计局", "示范市审计局", "委办局", 0.5, 0.5, 0.02, "审计项目|审计发现问题|整改台账|审计报告|经济责任审计|审计计划"),
    ("发改委", "示范市发展和改革委员会", "委办局", 1.0, 0.1, 0.05, "固定资产投资项目|重点项目|价格监测|社会信用|能源消费|节能审查|招投标|项目储备"),
    ("工信局", "示范市工业和信息化局", "委办局", 0.9, 0.0, 0.10, "规上工业企业|专精特新企业|工业园区|信息化项目|5G基站|能耗监测|中小企业|技术改造"),
    ("科技局", "示范市科学技术局", "委办局", 0.7, 0.0, 0.05, "高新技术企业|科技项目|科技成果|研发投入|科技人才|孵化器|技术合同|创新平台"),
    ("林业局", "示范市林业局", "委办局", 0.6, 0.0, 0.50, "森林资源|林地|古树名木|森林防火|林木采伐|湿地|野生动物|林长制"),
    ("气象局", "示范市气象局", "其他", 0.6, 0.0, 0.85, "气象观测|天气预报|气象预警|雷电|降水|气候|农业气象|空气质量预报"),
    ("消防救援支队", "示范市消防救援支队", "其他", 0.8, 0.4, 0.40, "消防重点单位|火灾|消防设施|消防监督检查|消防水源|救援出动|消防车辆|微型消防站"),
    ("住房公积金中心", "示范市住房公积金管理中心", "事业单位", 0.7, 0.1, 0.02, "公积金缴存|公积金提取|公积金贷款|缴存单位|贷款逾期|异地转移"),
    ("档案局", "示范市档案局", "委办局", 0.4, 0.1, 0.02, "档案目录|馆藏档案|档案利用|婚姻档案|开放档案|数字档案"),
    ("退役军人事务局", "示范市退役军人事务局", "委办局", 0.5, 0.2, 0.02, "退役军人|优抚对象|拥军优属|退役安置|褒扬纪念|服务站"),
    ("国资委", "示范市人民政府国有资产监督管理委员会", "委办局", 0.5, 0.2, 0.05, "国有企业|国有资产|产权登记|投资监管|企业负责人|财务快报"),
    ("人防办", "示范市人民防空办公室", "委办局", 0.4, 0.6, 0.30, "人防工程|警报器|疏散基地|人防易地建设费|防空演练|人防指挥"),
    ("机关事务局", "示范市机关事务管理局", "委办局", 0.4, 0.1, 0.05, "公务用车|办公用房|公共机构能耗|机关食堂|资产配置|会议服务"),
    ("城投集团", "示范市城市建设投资集团有限公司", "国有企业", 0.6, 0.0, 0.60, "城建项目|道路桥梁|公共停车场|综合管廊|土地储备|资产运营"),
    ("供水公司", "示范市供水有限公司", "国有企业", 0.5, 0.0, 0.80, "供水管网|水厂|用水户|水质监测|抄表|停水计划|管网漏损"),
)
_DISTRICT_TOPICS = "网格事件|常住人口|辖区企业|重点项目|民生服务|城市部件|财政收支|社区（村）"
_LAGGING_CANDIDATES = ("档案局", "人防办", "林业局", "退役军人事务局", "机关事务局", "农业农村局", "水利局",
                       "商务局", "科技局", "文旅广电局", "统计局")
_STARS = ("大数据中心", "政务服务中心", "行政审批服务局", "市场监管局")
# providers and consumers that carry most of the data exchange
_PROVIDER_WEIGHT = {"公安局": 5, "市场监管局": 4, "人社局": 4, "民政局": 3, "大数据中心": 5, "自然资源和规划局": 3,
                    "住建局": 3, "卫生健康委": 3, "税务局": 3, "医保局": 3, "行政审批服务局": 3, "政务服务中心": 2,
                    "教育局": 2, "交通运输局": 2, "城管局": 2, "生态环境局": 2, "统计局": 2, "气象局": 2}
_CONSUMER_WEIGHT = {"政务服务中心": 5, "行政审批服务局": 5, "大数据中心": 4, "公安局": 2, "人社局": 2, "民政局": 2,
                    "医保局": 2, "住房公积金中心": 2, "税务局": 2, "财政局": 2, "应急管理局": 2, "城管局": 2}


@dataclass
class Departments:
    ids: list[str]
    names: list[str]
    shorts: list[str]
    kinds: list[str]
    size: np.ndarray
    sens: np.ndarray
    city_share: np.ndarray
    topics: list[list[str]]
    diligence: np.ndarray
    lagging: list[str]


@lru_cache(maxsize=4)
def build_departments(seed: int) -> Departments:
    rng = np.random.default_rng([seed, 0xDE9])
    rows = list(_DEPARTMENTS)
    for d in build_city(seed).districts:
        rows.append((f"{d['name']}政府", f"{CITY_NAME}{d['name']}人民政府", "区县政府", 1.0, 0.05, 0.30, _DISTRICT_TOPICS))
    shorts = [r[0] for r in rows]
    diligence = np.clip(rng.beta(5, 2, len(rows)), 0.55, 0.97)
    lagging = sorted(rng.choice(_LAGGING_CANDIDATES, size=4, replace=False).tolist(), key=shorts.index)
    for i, s in enumerate(shorts):
        if s in lagging:
            diligence[i] = rng.uniform(0.08, 0.25)
        elif s in _STARS:
            diligence[i] = rng.uniform(0.9, 0.98)
    return Departments(
        ids=[f"D{i + 1:03d}" for i in range(len(rows))], names=[r[1] for r in rows], shorts=shorts,
        kinds=[r[2] for r in rows], size=np.array([r[3] for r in rows]), sens=np.array([r[4] for r in rows]),
        city_share=np.array([r[5] for r in rows]), topics=[r[6].split("|") for r in rows],
        diligence=diligence, lagging=lagging)


def _top_k(rng, weights: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of exactly ``k`` items drawn without replacement with probability ∝ weights."""
    keys = np.log(np.maximum(weights, 1e-12)) + rng.gumbel(size=len(weights))
    mask = np.zeros(len(weights), bool)
    if k > 0:
        mask[np.argsort(-keys, kind="stable")[:k]] = True
    return mask


def _allocate(rng, total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    counts = rng.multinomial(total - minimum * len(weights), weights / weights.sum())
    return counts + minimum


def _fmt_ts(sec: np.ndarray) -> list[str]:
    """Epoch seconds → 'YYYY-MM-DD HH:MM:SS' strings (vectorised)."""
    a = np.asarray(sec, dtype=np.int64).astype("datetime64[s]").astype("S19")
    a.view(np.uint8).reshape(-1, 19)[:, 10] = ord(" ")
    return a.astype("U19").tolist()


def _fmt_day(days: np.ndarray) -> list[str]:
    """Epoch days → 'YYYY-MM-DD'."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("U10").tolist()


def _epoch_s(t: datetime) -> int:
    return int((t - _EPOCH).total_seconds())


def _epoch_day(d: date) -> int:
    return (d - _EPOCH.date()).days


# ================================================================================================
# catalog, systems, exchange, network
# ================================================================================================

_RESOURCE_SUFFIX = ("信息", "登记信息", "基础信息", "统计数据", "名录", "台账", "明细", "变更记录", "年度汇总",
                    "监测数据", "办件信息", "审批结果", "处罚信息", "证照信息", "档案", "目录", "业务数据", "服务数据")
_SYSTEM_SUFFIX = ("管理系统", "业务系统", "信息平台", "服务平台", "监管平台", "综合平台", "数据库系统", "监测系统")
_GENERIC_SYSTEMS = ("办公自动化系统", "门户网站", "档案管理系统", "视频会议系统", "财务管理系统", "移动办公APP")


def _catalog(seed: int, as_of: datetime) -> tuple[list[tuple], dict[str, float]]:
    """Catalog rows (clean, then the deliberate bad ones) and the pooled rates of the clean rows."""
    rng = np.random.default_rng([seed, 0xCA7])
    dep = build_departments(seed)
    total = int(rng.integers(3600, 4601))
    weight = dep.size * (0.45 + 0.55 * dep.diligence)
    counts = _allocate(rng, total, weight, 8)
    n = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    dil, sens = dep.diligence[owner], dep.sens[owner]
    # 城市 data ~25%: sensors and city operations, not paperwork
    is_city = _top_k(rng, dep.city_share[owner] + 0.01, int(round(n * rng.uniform(0.23, 0.27))))
    # sharing ~85–92%; 不予共享 sits with the laggards and the sensitive departments
    share_target = rng.uniform(0.865, 0.905)
    not_shared = _top_k(rng, (0.08 + (1 - dil) ** 2 * 3) * (1 + 4 * sens), int(round(n * (1 - share_target))))
    uncond = rng.random(n) < np.clip(0.30 + 0.45 * dil - 0.35 * sens, 0.05, 0.9)
    share = np.where(not_shared, "不予共享", np.where(uncond, "无条件共享", "有条件共享"))
    # mounted (汇聚到城市数据池): 政务 ~75–85%, 城市 ~60–75%
    mounted = np.zeros(n, bool)
    mount_w = (0.05 + dil ** 3) * np.where(not_shared, 0.5, 1.0)
    for cls, lo, hi in ((False, 0.76, 0.83), (True, 0.62, 0.72)):
        idx = np.flatnonzero(is_city == cls)
        mounted[idx] = _top_k(rng, mount_w[idx], int(round(len(idx) * rng.uniform(lo, hi))))
    u = rng.random(n)
    open_type = np.where(u < 0.28, "无条件开放", np.where(u < 0.55, "有条件开放", np.where(u < 0.92, "不予开放", "")))
    open_type = np.where(not_shared, np.where(u < 0.9, "不予开放", ""), open_type)
    # last update: diligent departments keep their catalog fresh
    age = 1095 * rng.random(n) ** (1 + 2.5 * dil)
    upd = _epoch_s(as_of) - (age * 86400).astype(np.int64)
    upd = upd - upd % 86400 + rng.integers(8 * 3600, 18 * 3600, n)
    upd = np.minimum(upd, _epoch_s(as_of) - 60)
    upd_text = _fmt_ts(upd)
    no_update = rng.random(n) < 0.02

    rows = []
    for d in range(len(counts)):
        k = int(counts[d])
        topics = dep.topics[d]
        combos = [(t, s) for t in topics for s in _RESOURCE_SUFFIX]
        picks = rng.permutation(len(combos))
        for j in range(k):
            t, s = combos[picks[j % len(combos)]]
            name = f"{t}{s}" + (f"（{j // len(combos) + 1}）" if j >= len(combos) else "")
            i = len(rows)
            rows.append((f"{dep.ids[d]}-{j + 1:05d}", dep.ids[d], name, "城市" if is_city[i] else "政务",
                         str(share[i]), str(open_type[i]) or None, int(mounted[i]),
                         None if no_update[i] else upd_text[i]))
    rates = {
        "sharing_rate": float((~not_shared).mean()),
        "gov_aggregation_rate": float(mounted[~is_city].mean()),
        "city_aggregation_rate": float(mounted[is_city].mean()),
    }
    # the deliberate bad rows: a code outside the dictionary, a duplicate id, an impossible date
    first, mid = rows[0], rows[len(rows) // 2]
    last_id = dep.ids[-1]
    rows.append((f"{last_id}-90001", last_id, "辖区重点人群服务信息", "政务", "部分共享", "不予开放", 0,
                 upd_text[0]))
    rows.append((mid[0], mid[1], mid[2] + "（重复上报）", mid[3], mid[4], mid[5], mid[6], mid[7]))
    y = as_of.year - 1
    rows.append((f"{first[1]}-90002", first[1], "历史业务数据补录", "政务", "有条件共享", "有条件开放", 1,
                 f"{y}-02-30 10:00:00"))
    return rows, rates


def _systems(seed: int, as_of: datetime) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """System rows, and for the non-classified ones their migrated day (epoch days, -1 if not 已上云)."""
    rng = np.random.default_rng([seed, 0x575])
    dep = build_departments(seed)
    total = int(rng.integers(320, 391))
    counts = _allocate(rng, total, dep.size * (0.7 + 0.3 * dep.diligence), 3)
    n = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    dil, sens = dep.diligence[owner], dep.sens[owner]
    classified = _top_k(rng, 0.05 + sens ** 2 * 6, int(round(n * rng.uniform(0.075, 0.09))))
    nc = np.flatnonzero(~classified)
    cloud_target = rng.uniform(0.715, 0.765)
    on_cloud = np.zeros(n, bool)
    on_cloud[nc] = _top_k(rng, np.exp(3.5 * dil[nc]) * (1 - 0.6 * sens[nc]), int(round(len(nc) * cloud_target)))
    today = _epoch_day(as_of.date())
    status = np.full(n, "未迁移", dtype=object)
    planned = np.full(n, -1, dtype=np.int64)
    migrated = np.full(n, -1, dtype=np.int64)
    exempt = np.zeros(n, bool)
    u = rng.random(n)
    for i in range(n):
        if classified[i]:
            status[i] = "暂缓" if u[i] < 0.35 else "未迁移"
            exempt[i] = status[i] == "暂缓" and u[i] < 0.25
            continue
        if on_cloud[i]:
            status[i] = "已上云"
            planned[i] = today - int(rng.integers(20, 1095))
            late = rng.random() < 0.22
            delay = int(rng.integers(30, 220)) if late else int(rng.normal(-5, 18))
            migrated[i] = min(max(planned[i] + delay, today - 1125), today - 1)
        else:
            v = rng.random() * (0.6 + 0.8 * dil[i])
            if v < 0.12:
                status[i] = "暂缓"
                exempt[i] = rng.random() < 0.55
                planned[i] = -1 if rng.random() < 0.5 else today + int(rng.integers(120, 365))
            elif v < 0.55:
                status[i] = "未迁移"
                overdue = rng.random() < 0.8 * (1 - dil[i])
                planned[i] = today - int(rng.integers(30, 400)) if overdue else today + int(rng.integers(30, 365))
            else:
                status[i] = "迁移中"
                planned[i] = today + int(rng.integers(-60, 180))
    rows = []
    for d in range(len(counts)):
        k = int(counts[d])
        names = [t + s for t in dep.topics[d] for s in _SYSTEM_SUFFIX]
        picks = rng.permutation(len(names))
        j0 = int(owner.searchsorted(d))
        for j in range(k):
            i = j0 + j
            if j == k - 1 and k > 3:  # every department has its own office system too
                name = dep.shorts[d].removesuffix("政府") + _GENERIC_SYSTEMS[d % len(_GENERIC_SYSTEMS)]
            else:
                name = names[picks[j % len(names)]] + ("（二期）" if j >= len(names) else "")
                if dep.kinds[d] == "区县政府":
                    name = dep.shorts[d].removesuffix("政府") + name
            rows.append((f"S{i + 1:04d}", dep.ids[d], name, int(classified[i]), str(status[i]), int(exempt[i]),
                         _fmt_day([planned[i]])[0] if planned[i] >= 0 else None,
                         _fmt_day([migrated[i]])[0] if migrated[i] >= 0 else None))
    return rows, classified, migrated


def _exchange(seed: int, as_of: datetime) -> list[tuple]:
    rng = np.random.default_rng([seed, 0xE8C, _epoch_day(as_of.date())])
    dep = build_departments(seed)
    nd = len(dep.ids)
    pw = np.array([_PROVIDER_WEIGHT.get(s, 1.0) for s in dep.shorts]) * dep.diligence ** 1.5
    cw = np.array([_CONSUMER_WEIGHT.get(s, 1.0) if k != "区县政府" else 3.0 for s, k in zip(dep.shorts, dep.kinds)])
    cw = cw * (0.3 + dep.diligence)
    pw_pairs = (pw[:, None] * cw[None, :]).ravel()
    pw_pairs[np.arange(nd) * nd + np.arange(nd)] = 0  # no exchange with oneself
    n_pairs = int(rng.integers(115, 131))
    chosen = np.flatnonzero(_top_k(rng, pw_pairs, n_pairs))
    prov, cons = chosen // nd, chosen % nd
    last = _epoch_day(as_of.date()) - 1
    days = np.arange(last - EXCHANGE_DAYS + 1, last + 1)
    dow = (days + 3) % 7  # 0 = Monday
    t = (days - days[0]) / len(days)
    volume = rng.lognormal(np.log(2500), 1.2, n_pairs) * pw[prov] / pw.mean()
    per_call = np.exp(rng.uniform(np.log(3), np.log(60), n_pairs))
    file_only = rng.random(n_pairs) < 0.12  # bulk file exchange, no API calls
    growth = rng.uniform(0.15, 0.9, n_pairs)
    always_on = np.isin(np.array(dep.shorts)[prov], ("公安局", "交通运输局", "气象局", "大数据中心"))
    start = np.where(rng.random(n_pairs) < 0.78, 0, rng.integers(0, len(days) - 30, n_pairs))
    rows = []
    prov_ids, cons_ids = np.array(dep.ids)[prov], np.array(dep.ids)[cons]
    day_text = _fmt_day(days)
    for p in range(n_pairs):
        weekend = dow >= 5
        level = volume[p] * np.exp(growth[p] * t) * np.where(weekend, 0.8 if always_on[p] else 0.22, 1.0)
        level = level * np.where(dow == 0, 1.12, 1.0) * rng.lognormal(0, 0.3, len(days))
        present = (np.arange(len(days)) >= start[p]) & (rng.random(len(days)) >= np.where(weekend, 0.35, 0.03))
        records = np.round(level).astype(np.int64)
        calls = np.zeros(len(days), np.int64) if file_only[p] else np.round(level / per_call[p]).astype(np.int64)
        present &= records > 0  # a day without traffic has no row
        for i in np.flatnonzero(present):
            rows.append((day_text[i], str(prov_ids[p]), str(cons_ids[p]), int(records[i]), int(calls[i])))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


def _network(seed: int) -> tuple[list[tuple], dict[str, tuple[int, int]]]:
    rng = np.random.default_rng([seed, 0x9E7])
    city, dep = build_city(seed), build_departments(seed)
    rows: list[tuple] = []
    stats = {}
    # 市: the departments and the city's party, congress and CPPCC offices
    names = list(dep.names) + [f"{CITY_NAME}委办公室", f"{CITY_NAME}人大常委会办公室", f"{CITY_NAME}政协办公室"]
    dil = np.concatenate([dep.diligence, [0.95, 0.9, 0.9]])
    conn = ~_top_k(rng, np.exp(-8 * dil), int(rng.integers(1, 4)))  # the odd laggard is still off
    rows += [(f"WS{i + 1:04d}", nm, "市", int(c)) for i, (nm, c) in enumerate(zip(names, conn))]
    stats["市"] = (int(conn.sum()), len(names))
    # 镇: one per street
    far = np.array([s["rho"] for s in city.streets]) / CITY_RADIUS_KM
    k = int(round(len(city.streets) * rng.uniform(0.87, 0.93)))
    off = _top_k(rng, np.exp(3 * far), len(city.streets) - k)
    for i, s in enumerate(city.streets):
        dname = city.districts[s["district"]]["name"]
        office = "办事处" if s["kind"] == "街道" else "人民政府"
        rows.append((f"WZ{i + 1:04d}", f"{dname}{s['name']}{office}", "镇", int(not off[i])))
    stats["镇"] = (int((~off).sum()), len(city.streets))
    # 村: communities (街道) and villages (镇)
    units = []
    combos = [h + t for h in _VILLAGE_HEAD for t in _VILLAGE_TAIL]
    for i, s in enumerate(city.streets):
        n = int(rng.integers(8, 14)) if s["kind"] == "镇" else int(rng.integers(6, 11))
        for nm in rng.choice(combos, size=n, replace=False):
            kind = "社区居委会" if s["kind"] == "街道" else "村村委会"
            units.append((f"{s['name']}{nm}{kind}", s["rho"] / CITY_RADIUS_KM + (s["kind"] == "镇")))
    w = np.exp(-2.0 * np.array([u[1] for u in units]))
    con = _top_k(rng, w, int(round(len(units) * rng.uniform(0.76, 0.84))))
    rows += [(f"WC{i + 1:04d}", u[0], "村", int(c)) for i, (u, c) in enumerate(zip(units, con))]
    stats["村"] = (int(con.sum()), len(units))
    return rows, stats


def _rising(rng, n_days: int, current: float, gain: float, noise: float = 0.003) -> np.ndarray:
    """A jumpy, mostly rising path over ``n_days`` that ends exactly at ``current``."""
    steps = rng.gamma(0.3, size=n_days)
    f = np.cumsum(steps)
    f = (f - f[0]) / max(f[-1] - f[0], 1e-12)
    wobble = np.cumsum(rng.normal(0, noise, n_days)) * 0.3 + rng.normal(0, noise, n_days)
    wobble = (wobble - wobble[-1]) * np.linspace(1, 0, n_days) ** 0.7
    return np.clip(current - gain * (1 - f) + wobble, 0, 1)


def _steps(rng, days: np.ndarray, current: int, during: int) -> np.ndarray:
    """A count that reaches ``current`` with ``during`` of its steps inside the window."""
    during = min(during, current)
    when = np.sort(rng.choice(days[1:], size=during, replace=False)) if during else np.array([], np.int64)
    return (current - during + np.searchsorted(when, days, side="right")).astype(float)


def _indicator_history(seed: int, as_of: datetime, rates: dict[str, float], systems_nc_migrated: np.ndarray,
                       network: dict[str, tuple[int, int]]) -> list[tuple]:
    rng = np.random.default_rng([seed, 0x157, _epoch_day(as_of.date())])
    today = _epoch_day(as_of.date())
    days = np.arange(today - HISTORY_DAYS + 1, today + 1)
    series: dict[str, np.ndarray] = {}
    for key, gain in (("sharing_rate", rng.uniform(0.06, 0.11)), ("gov_aggregation_rate", rng.uniform(0.10, 0.17)),
                      ("city_aggregation_rate", rng.uniform(0.12, 0.2))):
        series[key] = _rising(rng, len(days), rates[key], gain)
    mig = np.sort(systems_nc_migrated[systems_nc_migrated >= 0])
    series["cloud_migration_rate"] = np.searchsorted(mig, days, side="right") / len(systems_nc_migrated)
    connected_sum = np.zeros(len(days))
    units_sum = 0
    for level, gain in (("市", 3), ("镇", 8), ("村", 90)):
        c, n = network[level]
        counts = _steps(rng, days, c, int(min(c, gain * rng.uniform(0.7, 1.3))))
        series[f"network_rate_{level}"] = counts / n
        connected_sum += counts
        units_sum += n
    series["network_rate"] = connected_sum / units_sum
    series["six_ones"] = _steps(rng, days, 5, 1)
    series["six_databases"] = _steps(rng, days, int(rng.integers(4, 6)), 2)
    series["smart_communities"] = _steps(rng, days, int(rng.integers(3, 7)), 3)
    series["smart_towns"] = _steps(rng, days, int(rng.integers(2, 5)), 2)
    series["smart_parks"] = _steps(rng, days, int(rng.integers(1, 3)), 1)
    day_text = _fmt_day(days)
    rows = []
    for key, values in series.items():
        rows += [(key, d, round(float(v), 6)) for d, v in zip(day_text, values)]
    return rows


def _department_history(seed: int, as_of: datetime, catalog: list[tuple], systems: list[tuple]) -> list[tuple]:
    """Each department's 共享率 / 汇聚率 over the DEPARTMENT_HISTORY_DAYS days before ``as_of``, rising
    towards the value its clean catalog rows give today, and its 上云率 exactly from its systems'
    migrated dates. Today is left to the pulls, which write it from the published frames."""
    rng = np.random.default_rng([seed, 0xD47, _epoch_day(as_of.date())])
    today = _epoch_day(as_of.date())
    days = np.arange(today - DEPARTMENT_HISTORY_DAYS, today)
    day_text = _fmt_day(days)
    clean = catalog[:-DELIBERATE_QUARANTINE["catalog"]]
    rows: list[tuple] = []
    for dept in build_departments(seed).ids:
        items = [r for r in clean if r[1] == dept]
        if items:
            current = {"sharing_rate": sum(r[4] != "不予共享" for r in items) / len(items),
                       "aggregation_rate": sum(bool(r[6]) for r in items) / len(items)}
            for key, value in current.items():
                path = _rising(rng, len(days) + 1, value, rng.uniform(0.01, 0.12), noise=0.002)[:-1]
                rows += [(dept, key, d, round(float(v), 6)) for d, v in zip(day_text, path)]
        open_systems = [r for r in systems if r[1] == dept and not r[3]]
        if open_systems:
            migrated = np.sort([_epoch_day(date.fromisoformat(r[7])) for r in open_systems if r[4] == "已上云"])
            rates = np.searchsorted(migrated, days, side="right") / len(open_systems)
            rows += [(dept, "cloud_migration_rate", d, round(float(v), 6)) for d, v in zip(day_text, rates)]
    return rows


# ================================================================================================
# incidents
# ================================================================================================

SOURCES = ("12345热线", "网格巡查", "110联动")
_SOURCE_PREFIX = ("RX", "WG", "LD")
_SOURCE_SHARE = np.array([0.60, 0.30, 0.10])
CATEGORIES = ("市容环境", "环境保护", "交通出行", "住房物业", "城市管理", "市场监管", "劳动保障", "公共安全",
              "水电气暖", "教育医疗", "噪声扰民", "其他")
_CATEGORY_MIX = np.array([
    # 市容 环保 交通 住房 城管 市监 劳保 公安 水电 教医 噪声 其他
    [12, 8, 9, 15, 10, 9, 8, 3, 9, 6, 7, 4],     # 12345热线
    [30, 12, 6, 5, 25, 5, 0, 8, 3, 0, 2, 4],     # 网格巡查
    [0, 2, 20, 5, 4, 3, 8, 30, 0, 2, 20, 6],     # 110联动
], dtype=float)
_MONTH_FACTOR = np.ones((12, len(CATEGORIES)))
_MONTH_FACTOR[:, 8] = [1.8, 1.6, 1.1, 0.8, 0.8, 1.1, 1.7, 1.8, 1.1, 0.8, 0.9, 1.4]   # 水电气暖: 冬夏高峰
_MONTH_FACTOR[:, 10] = [0.8, 0.7, 0.9, 1.0, 1.2, 1.3, 1.5, 1.5, 1.2, 1.0, 0.9, 0.8]  # 噪声扰民: 夏季
_MONTH_FACTOR[:, 6] = [1.9, 1.5, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.2, 1.6]   # 劳动保障: 年底讨薪
_MONTH_FACTOR[:, 1] = [0.9, 0.9, 1.0, 1.1, 1.2, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9, 0.9]   # 环境保护
LIMIT_HOURS = np.array([72, 120, 72, 240, 120, 168, 360, 24, 48, 168, 48, 168], dtype=float)
_STUCK = np.array([0.035, 0.05, 0.025, 0.11, 0.05, 0.06, 0.11, 0.02, 0.035, 0.06, 0.035, 0.06])
_HOURS = np.array([
    [0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.70, 1.30, 1.90, 2.00, 1.80, 1.20, 1.10, 1.60, 1.80, 1.70,
     1.50, 1.10, 0.90, 0.80, 0.70, 0.55, 0.40],
    [0, 0, 0, 0, 0, 0, 0.05, 0.40, 1.50, 2.20, 2.20, 1.60, 0.50, 0.60, 1.80, 2.00, 1.80, 1.00, 0.20, 0.05,
     0.02, 0, 0, 0],
    [0.60, 0.50, 0.40, 0.30, 0.25, 0.25, 0.35, 0.60, 0.90, 1.00, 1.10, 1.10, 1.00, 1.00, 1.00, 1.10, 1.10,
     1.20, 1.30, 1.40, 1.40, 1.30, 1.10, 0.80],
])
_HOURS = _HOURS / _HOURS.sum(axis=1, keepdims=True) * 24
_WEEK = np.array([  # Monday … Sunday
    [1.15, 1.05, 1.00, 1.00, 0.98, 0.75, 0.70],
    [1.05, 1.05, 1.05, 1.05, 1.00, 0.35, 0.30],
    [0.95, 0.95, 0.95, 1.00, 1.10, 1.15, 1.05],
])
_TREND_PER_YEAR = 0.22
_TREND_REF_HOUR = 438_288  # 2020-01-01 00:00 in epoch hours


@dataclass
class IncidentModel:
    seed: int
    grid_ids: np.ndarray
    grid_district: np.ndarray
    grid_cdf: np.ndarray       # (category, grid) cumulative, normalised
    cell_start: np.ndarray
    cell_count: np.ndarray
    cells: np.ndarray
    cell_x: np.ndarray
    cell_y: np.ndarray
    district_eff: np.ndarray
    category_eff: np.ndarray


@lru_cache(maxsize=4)
def incident_model(seed: int) -> IncidentModel:
    city = build_city(seed)
    rng = np.random.default_rng([seed, 0x1C1])
    n_g = len(city.grids)
    hot = np.minimum((1 - rng.random(n_g)) ** (-1 / 1.4), 40.0)  # power law: a few grids run hot
    grid_district = np.array([g["district"] for g in city.grids])
    affinity = rng.lognormal(0, 0.35, (len(city.districts), len(CATEGORIES)))
    w = hot[None, :] * affinity[grid_district, :].T  # (category, grid)
    cdf = np.cumsum(w, axis=1)
    cdf /= cdf[:, -1:]
    return IncidentModel(
        seed, np.array([g["region_id"] for g in city.grids], dtype=object), grid_district, cdf,
        city.grid_cell_start, city.grid_cell_count, city.grid_cells, city.x, city.y,
        district_eff=rng.uniform(0.75, 1.35, len(city.districts)),
        category_eff=rng.uniform(0.8, 1.2, len(CATEGORIES)))


def _hour_weights(hours: np.ndarray) -> np.ndarray:
    """Relative arrival intensity per (hour, source) for epoch hours."""
    hours = np.asarray(hours, dtype=np.int64)
    hod = hours % 24
    dow = ((hours // 24) + 3) % 7
    days = (hours // 24).astype("datetime64[D]")
    doy = (days - days.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    trend = np.exp(_TREND_PER_YEAR * (hours - _TREND_REF_HOUR) / 8766.0)
    season = 1 + 0.08 * np.cos(2 * np.pi * (doy - 200) / 365.25)
    w = _SOURCE_SHARE[None, :] * _HOURS.T[hod] * _WEEK.T[dow]
    return w * (trend * season)[:, None]


def _attributes(rng, model: IncidentModel, t: np.ndarray, src: np.ndarray) -> dict[str, np.ndarray]:
    """Everything about incidents reported at epoch seconds ``t`` from sources ``src``."""
    n = len(t)
    month = ((t // 86400).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) % 12
    u_cat, u_grid, u_cell = rng.random(n), rng.random(n), rng.random(n)
    jit_a, jit_r = rng.uniform(0, 2 * np.pi, n), np.sqrt(rng.random(n)) * 0.35 * HEX_KM
    kind, z, e = rng.random(n), rng.standard_normal(n), rng.exponential(1.0, n)
    u_disp = rng.exponential(1.0, n)
    cat = np.empty(n, np.int64)
    for s in range(len(SOURCES)):
        for mo in range(12):
            sel = (src == s) & (month == mo)
            if sel.any():
                p = _CATEGORY_MIX[s] * _MONTH_FACTOR[mo]
                cdf = np.cumsum(p) / p.sum()
                cat[sel] = np.minimum(np.searchsorted(cdf, u_cat[sel], side="right"), len(CATEGORIES) - 1)
    grid = np.empty(n, np.int64)
    for c in range(len(CATEGORIES)):
        sel = cat == c
        if sel.any():
            grid[sel] = np.minimum(np.searchsorted(model.grid_cdf[c], u_grid[sel], side="right"),
                                   len(model.grid_ids) - 1)
    cell = model.cells[model.cell_start[grid] + np.minimum((u_cell * model.cell_count[grid]).astype(np.int64),
                                                           model.cell_count[grid] - 1)]
    lon, lat = _lonlat(model.cell_x[cell] + jit_r * np.cos(jit_a), model.cell_y[cell] + jit_r * np.sin(jit_a))
    limit = LIMIT_HOURS[cat] * np.where(src == 2, 0.5, 1.0) * 3600
    eff = model.district_eff[model.grid_district[grid]] * model.category_eff[cat]
    stuck_p = _STUCK[cat] * model.district_eff[model.grid_district[grid]]
    normal = limit * 0.25 * eff * np.exp(0.7 * z)
    slow = limit * (1 + np.exp(0.6 * z)) * eff
    stuck = limit + e * 365 * 86400  # hard cases: some stay open for months
    duration = np.where(kind < stuck_p, stuck, np.where(kind < stuck_p + 0.02, slow, normal))
    duration = np.maximum(duration, 600).astype(np.int64)
    dispatch = np.minimum(u_disp * np.where(src == 1, 0.25, 1.0) * 3600, duration * 0.5).astype(np.int64)
    return {"cat": cat, "grid": grid, "lon": np.round(lon, 6), "lat": np.round(lat, 6),
            "deadline": t + limit.astype(np.int64), "close": t + duration, "dispatch": t + np.maximum(dispatch, 1)}


def _hour_batch(model: IncidentModel, scale: float, hour: int) -> dict[str, np.ndarray]:
    """All incidents arriving in one epoch hour: the same rows whoever asks and whenever."""
    rng = np.random.default_rng([model.seed, 0x4C1, hour])
    counts = rng.poisson(scale * _hour_weights(np.array([hour]))[0])
    src = np.repeat(np.arange(len(SOURCES)), counts)
    offs = rng.integers(0, 3600, len(src))
    order = np.argsort(offs, kind="stable")
    t = hour * 3600 + offs[order]
    src = src[order]
    out = _attributes(rng, model, t, src)
    out.update(t=t, src=src, k=np.arange(len(t)))
    return out


def _concat(batches: list[dict]) -> dict[str, np.ndarray]:
    keys = ("t", "src", "k", "cat", "grid", "lon", "lat", "deadline", "close", "dispatch")
    if not batches:
        return {k: np.array([], np.float64 if k in ("lon", "lat") else np.int64) for k in keys}
    return {k: np.concatenate([b[k] for b in batches]) for k in keys}


def _incident_ids(t: np.ndarray, src: np.ndarray, k: np.ndarray) -> list[str]:
    hours = (t // 3600) * 3600
    uniq, inv = np.unique(hours, return_inverse=True)
    stamps = [s[2:4] + s[5:7] + s[8:10] + s[11:13] for s in _fmt_ts(uniq)]
    return [f"{_SOURCE_PREFIX[s]}{stamps[h]}{kk:05d}" for s, h, kk in zip(src.tolist(), inv.tolist(), k.tolist())]


def incident_status(rows: dict[str, np.ndarray], now_s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(closed, dispatched, status) of generated incidents as they stand at ``now_s``."""
    closed = rows["close"] <= now_s
    dispatched = rows["dispatch"] <= now_s
    return closed, dispatched, np.where(closed, "已办结", np.where(dispatched, "处置中", "受理")).astype(object)


def _insert_incidents(conn: sqlite3.Connection, model: IncidentModel, rows: dict[str, np.ndarray],
                      now_s: int) -> int:
    """Insert generated incidents as they stand at ``now_s``; open ones go to demo_pending."""
    n = len(rows["t"])
    src_label = np.array(SOURCES, dtype=object)
    cat_label = np.array(CATEGORIES, dtype=object)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        sl = {k: v[a:b] for k, v in rows.items()}
        closed, dispatched, status = incident_status(sl, now_s)
        close_text = np.array(_fmt_ts(sl["close"]), dtype=object)
        closed_col = np.where(closed, close_text, None)
        ids = _incident_ids(sl["t"], sl["src"], sl["k"])
        cur = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM incidents")
        first_rowid = cur.fetchone()[0] + 1
        conn.executemany(
            "INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?,?,?)",
            zip(ids, src_label[sl["src"]].tolist(), cat_label[sl["cat"]].tolist(),
                model.grid_ids[sl["grid"]].tolist(), sl["lon"].tolist(), sl["lat"].tolist(),
                _fmt_ts(sl["t"]), _fmt_ts(sl["deadline"]), closed_col.tolist(), status.tolist()))
        open_idx = np.flatnonzero(~closed)
        if len(open_idx):
            disp = np.where(dispatched[open_idx], None, np.array(_fmt_ts(sl["dispatch"][open_idx]), dtype=object))
            conn.executemany("INSERT INTO demo_pending VALUES (?,?,?)",
                             zip((first_rowid + open_idx).tolist(), disp.tolist(), close_text[open_idx].tolist()))
    return n


def _base_incidents(seed: int, model: IncidentModel, n_base: int, h0: int, h1: int,
                    window_hours: int = 720):
    """Exactly ``n_base`` incidents in epoch hours [h0, h1), following the same intensity,
    yielded in time order one ~30-day window at a time so memory stays flat at any size."""
    rng = np.random.default_rng([seed, 0xBA5, h1])
    w = _hour_weights(np.arange(h0, h1))
    counts = rng.multinomial(n_base, (w / w.sum()).ravel()).reshape(w.shape)
    for number, a in enumerate(range(0, h1 - h0, window_hours)):
        c = counts[a:a + window_hours]
        wrng = np.random.default_rng([seed, 0xBA5, h1, number])
        cellx = np.repeat(np.arange(c.size), c.ravel())
        n = len(cellx)
        t = (h0 + a + cellx // len(SOURCES)) * 3600 + wrng.integers(0, 3600, n)
        src = cellx % len(SOURCES)
        del cellx
        order = np.argsort(t, kind="stable")
        t, src = t[order], src[order]
        hr = t // 3600
        out = _attributes(wrng, model, t, src)
        out.update(t=t, src=src, k=np.arange(n) - np.searchsorted(hr, hr, side="left"))
        yield out


def _bad_incidents(as_of: datetime, model: IncidentModel, rows: dict[str, np.ndarray]) -> list[tuple]:
    """The deliberate bad rows: each breaks exactly one rule of the incidents contract.
    ``rows`` is a batch of generated incidents, one of which is pushed a second time."""
    def at(days_ago: float, hour: int) -> datetime:
        d = (as_of - timedelta(days=days_ago)).replace(hour=hour, minute=17, second=42, microsecond=0)
        return d

    def s(t: datetime) -> str:
        return t.strftime(_TS_FMT)

    def bid(t: datetime, prefix: str, k: int) -> str:
        return f"{prefix}{t.strftime('%y%m%d%H')}{k:05d}"

    gid = str(model.grid_ids[0])
    lon0, lat0 = (round(float(v), 6) for v in _lonlat(model.cell_x[model.cells[0]], model.cell_y[model.cells[0]]))
    out = []
    t1 = at(20, 10)  # closed before it was reported (clock of the handling system)
    out.append((bid(t1, "RX", 90001), SOURCES[0], "住房物业", gid, lon0, lat0, s(t1), s(t1 + timedelta(days=10)),
                s(t1 - timedelta(hours=3)), "已办结"))
    t2 = at(9, 15)  # a status code from the source system nobody mapped
    out.append((bid(t2, "WG", 90002), SOURCES[1], "市容环境", gid, lon0, lat0, s(t2), s(t2 + timedelta(days=3)),
                None, "9"))
    i = len(rows["t"]) // 2  # the same ticket pushed twice
    dup = _incident_ids(rows["t"][i:i + 1], rows["src"][i:i + 1], rows["k"][i:i + 1])[0]
    t3 = datetime(1970, 1, 1) + timedelta(seconds=int(rows["t"][i]) + 1800)
    out.append((dup, SOURCES[int(rows["src"][i])], "其他", gid, lon0, lat0, s(t3), s(t3 + timedelta(days=7)),
                s(t3 + timedelta(days=2)), "已办结"))
    t4 = at(3, 11)  # placeholder coordinates
    out.append((bid(t4, "RX", 90003), SOURCES[0], "交通出行", gid, 0.0, 0.0, s(t4), s(t4 + timedelta(days=3)),
                s(t4 + timedelta(hours=20)), "已办结"))
    t5 = at(5, 9)  # a typo in the year
    typo = s(t5).replace(str(t5.year), str(t5.year + 100), 1)
    out.append((bid(t5, "LD", 90004), SOURCES[2], "噪声扰民", gid, lon0, lat0, typo, None, None, "受理"))
    return out


def _hour_of(t: datetime) -> int:
    return _epoch_s(t) // 3600


def generated_incidents(seed: int, model: IncidentModel, incidents: int, as_of: datetime):
    """Exactly ``incidents`` rows, in the order they are written: the base hours in ~30-day batches
    (dicts of arrays), the deliberate bad rows (a list of row tuples), then the hour of ``as_of`` (its
    dict carries ``scale``, the rate the live top-up keeps). Memory stays flat at any size."""
    now_s = _epoch_s(as_of)
    h1 = _hour_of(as_of)
    h0 = h1 - INCIDENT_HISTORY_DAYS * 24
    scale = incidents / float(_hour_weights(np.arange(h0, h1)).sum())
    partial = _hour_batch(model, scale, h1)
    keep = partial["t"] <= now_s
    partial = {k: v[keep] for k, v in partial.items()}
    n_bad = DELIBERATE_QUARANTINE["incidents"]
    n_base = max(incidents - n_bad - len(partial["t"]), 1)
    middle = None  # the batch holding the middle of the history (or the last one with rows)
    for batch in _base_incidents(seed, model, n_base, h0, h1):
        yield batch
        if len(batch["t"]) and (middle is None or middle["t"][-1] < (h0 + h1) // 2 * 3600):
            middle = batch
    yield _bad_incidents(as_of, model, middle)
    del middle, batch
    yield {**partial, "scale": scale}


# ================================================================================================
# database
# ================================================================================================

def _create_tables(conn: sqlite3.Connection) -> None:
    for name in TABLES:
        cols = ", ".join(f'"{c.name}" {_SQL_TYPES[c.kind]}' for c in CONTRACTS[name].columns)
        conn.execute(f'CREATE TABLE "{name}" ({cols})')
    conn.execute("CREATE TABLE demo_meta (key TEXT PRIMARY KEY, value TEXT)")
    # open incidents: when each will be dispatched (NULL once it is) and when it will be closed
    conn.execute("CREATE TABLE demo_pending (incident_rowid INTEGER PRIMARY KEY, dispatch_at TEXT, close_at TEXT)")


def seed_demo_city(db_path: Path, geo_dir: Path, *, seed: int, incidents: int, as_of: datetime) -> dict[str, int]:
    """Write a fresh demo database (replacing any existing one) and its GeoJSON; → rows per table."""
    db_path, geo_dir = Path(db_path), Path(geo_dir)
    as_of = as_of.replace(microsecond=0, tzinfo=None)
    if incidents < 100:
        raise ValueError("incidents must be at least 100")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    write_geojson(geo_dir, seed=seed)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.seeding")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-65536")
        _create_tables(conn)
        city, dep = build_city(seed), build_departments(seed)
        conn.executemany("INSERT INTO departments VALUES (?,?,?,?)",
                         zip(dep.ids, dep.names, dep.shorts, dep.kinds))
        conn.executemany("INSERT INTO regions VALUES (?,?,?,?)", region_rows(city))
        catalog, rates = _catalog(seed, as_of)
        conn.executemany("INSERT INTO catalog VALUES (?,?,?,?,?,?,?,?)", catalog)
        conn.executemany("INSERT INTO exchange VALUES (?,?,?,?,?)", _exchange(seed, as_of))
        systems, classified, migrated = _systems(seed, as_of)
        conn.executemany("INSERT INTO systems VALUES (?,?,?,?,?,?,?,?)", systems)
        conn.executemany("INSERT INTO department_history VALUES (?,?,?,?)",
                         _department_history(seed, as_of, catalog, systems))
        network, net_stats = _network(seed)
        conn.executemany("INSERT INTO network VALUES (?,?,?,?)", network)
        conn.executemany("INSERT INTO indicator_history VALUES (?,?,?)",
                         _indicator_history(seed, as_of, rates, migrated[~classified], net_stats))

        model = incident_model(seed)
        now_s = _epoch_s(as_of)
        scale = 0.0
        for batch in generated_incidents(seed, model, incidents, as_of):
            if isinstance(batch, list):
                conn.executemany("INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
            else:
                scale = batch.pop("scale", scale)
                _insert_incidents(conn, model, batch, now_s)
        conn.execute("CREATE INDEX idx_incidents_reported_at ON incidents(reported_at)")
        conn.execute("CREATE INDEX idx_pending_close ON demo_pending(close_at)")
        conn.execute("CREATE INDEX idx_pending_dispatch ON demo_pending(dispatch_at)")
        meta = {"seed": str(seed), "as_of": as_of.strftime(_TS_FMT), "incidents": str(incidents),
                "incidents_generated_until": as_of.strftime(_TS_FMT), "rate_scale": repr(scale),
                "version": VERSION}
        conn.executemany("INSERT INTO demo_meta VALUES (?,?)", sorted(meta.items()))
        conn.commit()
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in TABLES}
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    for suffix in ("-journal", "-wal", "-shm"):  # a stale journal must never meet the new file
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    os.replace(tmp, db_path)
    return counts


def _ro_uri(db_path: Path) -> str:
    return Path(db_path).resolve().as_uri() + "?mode=ro"


def read_meta(db_path: Path) -> dict[str, str] | None:
    """demo_meta as a dict, or None when the file is missing or is not a demo database."""
    if not Path(db_path).is_file():
        return None
    try:
        conn = sqlite3.connect(_ro_uri(db_path), uri=True, timeout=30)
        try:
            return dict(conn.execute("SELECT key, value FROM demo_meta").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def top_up_incidents(db_path: Path, until: datetime) -> int:
    """Generate the incidents that arrived after ``incidents_generated_until`` up to ``until``
    (at most 14 days of backlog), and close or dispatch open incidents whose time has come.
    Returns the number of new rows."""
    until = until.replace(microsecond=0, tzinfo=None)
    until_text = until.strftime(_TS_FMT)
    conn = sqlite3.connect(db_path, timeout=60)
    try:
        conn.execute("BEGIN IMMEDIATE")
        meta = dict(conn.execute("SELECT key, value FROM demo_meta").fetchall())
        generated = datetime.strptime(meta["incidents_generated_until"], _TS_FMT)
        due = conn.execute("SELECT 1 FROM demo_pending WHERE close_at <= ? OR dispatch_at <= ? LIMIT 1",
                           (until_text, until_text)).fetchone()
        if until <= generated and not due:
            conn.rollback()
            return 0
        added = 0
        if until > generated:
            model = incident_model(int(meta["seed"]))
            scale = float(meta["rate_scale"])
            start = max(generated, until - MAX_TOP_UP)
            lo, hi = _epoch_s(start), _epoch_s(until)
            batches = []
            for hour in range(lo // 3600, hi // 3600 + 1):
                b = _hour_batch(model, scale, hour)
                keep = (b["t"] > lo) & (b["t"] <= hi)
                if keep.any():
                    batches.append({k: v[keep] for k, v in b.items()})
            # rows already open close below, with everything else that is due
            added = _insert_incidents(conn, model, _concat(batches), hi)
            conn.execute("UPDATE demo_meta SET value = ? WHERE key = 'incidents_generated_until'", (until_text,))
        closing = conn.execute("SELECT incident_rowid, close_at FROM demo_pending WHERE close_at <= ?",
                               (until_text,)).fetchall()
        if closing:
            conn.executemany("UPDATE incidents SET status = '已办结', closed_at = ? WHERE rowid = ?",
                             [(c, r) for r, c in closing])
            conn.executemany("DELETE FROM demo_pending WHERE incident_rowid = ?", [(r,) for r, _ in closing])
        dispatching = conn.execute("SELECT incident_rowid FROM demo_pending WHERE dispatch_at <= ?",
                                   (until_text,)).fetchall()
        if dispatching:
            conn.executemany("UPDATE incidents SET status = '处置中' WHERE rowid = ?", dispatching)
            conn.executemany("UPDATE demo_pending SET dispatch_at = NULL WHERE incident_rowid = ?", dispatching)
        conn.commit()
        return added
    finally:
        conn.close()


def read_table(db_path: Path, dataset: str):
    """``SELECT *`` of one dataset as a DataFrame of raw values (read in chunks to bound memory)."""
    import pandas as pd

    if dataset not in TABLES:
        raise ValueError(f"演示城市没有数据集 {dataset!r}（可选: {', '.join(TABLES)}）")
    conn = sqlite3.connect(_ro_uri(db_path), uri=True, timeout=60)
    try:
        chunks = list(pd.read_sql(f'SELECT * FROM "{dataset}"', conn, chunksize=100_000))
    finally:
        conn.close()
    if not chunks:
        return pd.DataFrame(columns=CONTRACTS[dataset].names)
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
