"""The programme drill-downs as Dash pages (dash.register_page): /sharing, /department/<id>,
/exchange, /cloud, /targets, /target/<id> and /scoreboard. Each layout function reads the view model
of its URL (dashboard/programme_data.py) and builds the page from it (layouts/sharing_pages.py,
cloud_page.py, target_pages.py, scoreboard_page.py). Called with no arguments, a page shows its
default view. Registered when imported, so only the app factory imports this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote

import dash

from dashboard import pages
from dashboard import programme_data as data
from layouts import cloud_page, scoreboard_page, sharing_pages, target_pages


# ---- the pages (each built once per version of the datasets it reads) -------------------------------

@data.per_version("catalog", "departments", "indicator_history", "targets")
def sharing(**query):
    notices: list[str] = []
    view = data.select_sharing(query, notices)
    sort, page = data.table_state(query, sharing_pages.RANKING_COLUMNS, notices)
    return sharing_pages.sharing_page(view, as_of=data.as_of("catalog"), targets=data.targets_by_indicator(), notices=notices,
                                      sort=sort, page=page, query={"light": view.query.light})


@data.per_version("catalog", "departments", "exchange", "department_history", "systems")
def department(dept_id: str = "", **query):
    notices: list[str] = []
    view = data.select_department({**query, "dept_id": dept_id}, notices)
    sort, page = data.table_state(query, sharing_pages.ITEM_COLUMNS, notices)
    as_of = {ds: data.as_of(ds) for ds in ("catalog", "systems", "department_history")}
    return sharing_pages.department_page(view, as_of=as_of, notices=notices, sort=sort, page=page, query={})


@data.per_version("departments", "exchange")
def exchange(**query):
    notices: list[str] = []
    view = data.select_exchange(query, notices)
    sort, page = data.table_state(query, sharing_pages.PAIR_COLUMNS, notices)
    q = view.query
    return sharing_pages.exchange_page(view, names=data.department_names_now(), as_of=data.as_of("exchange"), notices=notices, sort=sort,
                                       page=page, query={"provider": q.provider, "consumer": q.consumer})


@data.per_version("departments", "systems", "targets")
def cloud(**query):
    notices: list[str] = []
    view = data.select_cloud(query, notices)
    sort, page = data.table_state(query, cloud_page.SYSTEM_COLUMNS, notices)
    settings = data.scoreboard_settings()
    return cloud_page.cloud_page(view, names=data.department_names_now(), as_of=data.as_of("systems"),
                                 thresholds=(settings.green_at, settings.yellow_at), notices=notices, sort=sort,
                                 page=page, query={"dept": view.query.dept, "status": view.query.status})


@data.per_version("targets", "indicator_history")
def targets(**query):
    return _targets_page(query, [])


def _targets_page(query: dict, notices: list[str]):
    frame = data.select_targets(query, notices)
    detail = data.select_target(query.get("target"), notices) if query.get("target") else None
    sort, page = data.table_state(query, target_pages.LIST_COLUMNS, notices)
    return target_pages.targets_page(frame, detail, as_of=data.as_of("indicator_history"), notices=notices, sort=sort,
                                     page=page)


@data.per_version("targets", "indicator_history")
def target(target_id: str = "", **query):
    notices: list[str] = []
    detail = data.select_target(unquote(target_id or ""), notices)
    if detail is None:  # an unknown target: the notice and the list of all of them (the default view)
        return _targets_page({k: v for k, v in query.items() if k != "target"}, notices)
    return target_pages.target_page(detail, as_of=data.as_of("indicator_history"), notices=notices)


@data.per_version("catalog", "systems", "departments", "department_history")
def scoreboard_layout(**query):
    notices: list[str] = []
    board = data.select_scoreboard(query, notices)
    sort, page = data.table_state(query, scoreboard_page.SCORE_COLUMNS, notices)
    return scoreboard_page.scoreboard_page(board, as_of=data.as_of("catalog"), notices=notices, sort=sort, page=page)


@dataclass(frozen=True)
class PageSpec:
    module: str
    title: str
    layout: Callable
    path: str | None = None
    path_template: str | None = None
    page_kind: str = pages.DRILL
    draws_graphs: bool = True


PAGES = (
    PageSpec("layouts.programme_pages.sharing", "数据共享", sharing, path="/sharing"),
    PageSpec("layouts.programme_pages.department", "部门详情", department, path_template="/department/<dept_id>",
             page_kind=pages.DRILL_FULL),  # its exchange sankey
    PageSpec("layouts.programme_pages.exchange", "数据交换", exchange, path="/exchange"),
    PageSpec("layouts.programme_pages.cloud", "上云进度", cloud, path="/cloud"),
    PageSpec("layouts.programme_pages.targets", "目标指标", targets, path="/targets"),
    PageSpec("layouts.programme_pages.target", "目标详情", target, path_template="/target/<target_id>"),
    PageSpec("layouts.programme_pages.scoreboard", "部门绩效 · 通报", scoreboard_layout, path="/scoreboard",
             draws_graphs=False),
)


for spec in PAGES:
    dash.register_page(spec.module, path=spec.path, path_template=spec.path_template, title=spec.title,
                       name=spec.title, layout=spec.layout, page_kind=spec.page_kind,
                       draws_graphs=spec.draws_graphs)
