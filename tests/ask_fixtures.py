"""A small hand-made city for the 一句话响应 tests, and the one-line-per-field form their table uses.

The city copies the demo city's naming (示范市, its districts, streets, grids and departments) and
adds what the demo city lacks: a village, a grid number in two streets, the city's own aliases.
:func:`lines_of` writes every field of a result (the view, the instruction, each entity with its
span, reading and alternatives, the ignored and unknown words with their spans, the notices) as
text lines, so a table row states a whole result.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote

import pandas as pd

from dashboard.ask.lexicon import build_lexicon
from dashboard.ask.times import TIMEZONE
from dashboard.frames import region_lineage

NOW = datetime(2026, 12, 1, 10, 30, tzinfo=TIMEZONE)  # a Tuesday
CITY = "示范市"
ALIASES = {"老城": "古城街道", "城管委": "城市管理局"}

_REGIONS = [  # region_id, name, level, parent_id
    ("430902", "东湖区", "区县", None), ("430906", "滨江区", "区县", None), ("430971", "高新区", "区县", None),
    ("430972", "经开区", "区县", None),
    ("430902004", "西林镇", "镇街", "430902"), ("430906001", "古城街道", "镇街", "430906"),
    ("430906003", "兴隆街道", "镇街", "430906"), ("430906006", "湖滨镇", "镇街", "430906"),
    ("430971001", "黎明街道", "镇街", "430971"), ("430971002", "新桥街道", "镇街", "430971"),
    ("430906001101", "桃花村", "村社区", "430906001"),
    ("430902004001", "东湖区-西林镇-第01网格", "网格", "430902004"),
    ("430906001001", "滨江区-古城街道-第01网格", "网格", "430906001"),
    ("430906001003", "滨江区-古城街道-第03网格", "网格", "430906001"),
    ("430971002003", "高新区-新桥街道-第03网格", "网格", "430971002"),
]
_DEPARTMENTS = [  # dept_id, name, short_name
    ("D001", "示范市公安局", "公安局"), ("D002", "示范市城市管理局", "城管局"),
    ("D013", "示范市商务局", "商务局"), ("D016", "示范市市场监督管理局", "市场监管局"),
    ("D018", "国家税务总局示范市税务局", "税务局"), ("D028", "示范市工业和信息化局", "工信局"),
    ("D046", "示范市高新区人民政府", "高新区政府"),
]
CATEGORIES = ("城市管理", "市容环境", "市场监管", "噪声扰民", "交通出行", "环境保护")
SOURCES = ("12345热线", "110联动", "网格巡查")
INCIDENTS = (("RX2611301600000", "受理"), ("RX2612010800000", "处置中"), ("RX2611200900000", "已办结"))
_TARGETS = [  # target_id, indicator_id, name
    ("济源-2022:cloud_migration_rate", "cloud_migration_rate", "非涉密政务信息系统上云率"),
    ("自定:sharing_rate:2027-12-31", "sharing_rate", "政务数据共享率"),
    ("长沙:six_databases", "six_databases", "六大基础数据库"),
]


def frames() -> dict[str, pd.DataFrame]:
    regions = region_lineage(pd.DataFrame(_REGIONS, columns=["region_id", "name", "level", "parent_id"]))
    return {
        "regions": regions,
        "departments": pd.DataFrame(_DEPARTMENTS, columns=["dept_id", "name", "short_name"]),
        "cube_district": pd.DataFrame({  # the values /incidents accepts are its columns' categories
            column: pd.Categorical([], categories=values) for column, values in
            (("category", CATEGORIES), ("source", SOURCES), ("status", ("受理", "处置中", "已办结")))}),
        "detail": pd.DataFrame(INCIDENTS, columns=["incident_id", "status"]),
        "targets": pd.DataFrame(_TARGETS, columns=["target_id", "indicator_id", "name"]),
    }


def fixture_lexicon():
    return build_lexicon(frames(), CITY, ALIASES, key="fixture")


def lines_of(result) -> list[str]:
    """Every field of ``result`` (but the sentence and now, which the caller gave), one line each."""
    data = result.to_json()
    view = data["view"]
    filters = " ".join(f"{k}={v}" for k, v in view["filters"].items())
    out = [f"视图 {view['title']} | {view['path']} | {unquote(view['url'])} | {filters or '-'} | "
           f"{view['indicator'] or '-'}"]
    order = data["instruction"]
    out.append("指令 -" if order is None else "指令 " + " | ".join(
        str(order[k] or "-") for k in ("action", "text", "department_id", "department", "region_id", "region",
                                       "incident_id", "category", "deadline")))
    for e in data["entities"]:
        alternatives = ", ".join(f"{a['kind']}:{a['value']}:{a['label']}" for a in e["alternatives"])
        out.append(f"词 {e['start']}-{e['end']} {e['text']} | {e['kind']} | {e['kind_label']} | {e['value'] or '-'} | "
                   f"{e['label']} | {e['via']} | {e['level'] or '-'} | {alternatives or '-'}")
    out += [f"忽略 {s['start']}-{s['end']} {s['text']}" for s in data["ignored"]]
    out += [f"未识别 {s['start']}-{s['end']} {s['text']}" for s in data["unknown"]]
    out += [f"提示 {n}" for n in data["notices"]]
    return out
