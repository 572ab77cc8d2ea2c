"""The programme drill-downs as Dash pages: /sharing, /department/<id>, /exchange, /cloud, /targets,
/target/<id> and /scoreboard. Each page reads its URL into a typed query, picks the published
frames it needs from the store, calls its selection (dashboard/*_views.py, dashboard/scoreboard.py)
and hands the view model to its layout (layouts/*_page(s).py). :data:`TABLES` gives the downloads
(callbacks/programmes.py) the same selections.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable
from urllib.parse import unquote

import dash
import pandas as pd

from dashboard import query_params as qp
from dashboard import runtime
from dashboard.cloud_views import CloudQuery, cloud_view
from dashboard.programme_views import (ExchangeQuery, SharingQuery, department_names, department_view,
                                       exchange_view, pick_department, sharing_view)
from dashboard.scoreboard import scoreboard
from dashboard.target_views import find_target, target_detail
from layouts import cloud_page, scoreboard_page, sharing_pages, target_pages
from layouts.figures import ordered_targets, target_for
from layouts.tips import as_of as as_of_of

MAX_PAGE = 10_000


def _frame(dataset: str, name: str) -> pd.DataFrame | None:
    return runtime.current().store.frame(dataset, name)


def _as_of(dataset: str):
    return as_of_of(_frame(dataset, "as_of"))


def _today() -> date:
    return date.today()


def _names() -> dict[str, str]:
    return department_names(_frame("departments", "departments"))


def _table_state(query: dict, columns, notices: list[str], default=None) -> tuple:
    sort = qp.sort_key(query.get("sort"), [c[0] for c in columns], default, "排序", notices)
    page = qp.whole_number(query.get("page"), 1, "页码", notices, low=1, high=MAX_PAGE) - 1
    return sort, page


def _targets_by_indicator() -> dict[str, dict]:
    targets = _frame("targets", "targets")
    found = {k: target_for(targets, k, _today()) for k in ("sharing_rate", "gov_aggregation_rate",
                                                           "city_aggregation_rate", "cloud_migration_rate")}
    return {k: v for k, v in found.items() if v}


# ---- the selections, shared by the pages and the downloads ---------------------------------------

def select_sharing(query: dict, notices: list[str]):
    settings = runtime.current().settings
    return sharing_view(_frame("catalog", "summary"), _frame("catalog", "by_dept"), _frame("departments", "departments"),
                        _frame("indicator_history", "history"), settings.scoreboard,
                        SharingQuery.from_url(query, notices))


def select_department(query: dict, notices: list[str]):
    names = _names()
    dept_id = pick_department(unquote(query.get("dept_id") or query.get("dept") or ""), names, notices)
    return department_view(dept_id or "", names, _frame("catalog", "by_dept"), _frame("catalog", "items"),
                           _frame("exchange", "pairs_30d"), _frame("department_history", "history"),
                           _frame("systems", "systems"), _frame("systems", "by_dept_status"))


def select_exchange(query: dict, notices: list[str]):
    names = _names()
    return exchange_view(_frame("exchange", "daily"), _frame("exchange", "daily_by_provider"),
                         _frame("exchange", "daily_by_consumer"), _frame("exchange", "daily_pairs"),
                         _frame("exchange", "pairs_30d"), names, ExchangeQuery.from_url(query, names, notices),
                         _today())


def select_cloud(query: dict, notices: list[str]):
    names = _names()
    return cloud_view(_frame("systems", "summary"), _frame("systems", "by_dept_status"), _frame("systems", "systems"),
                      _frame("systems", "exempt_approved"), _frame("systems", "burnup"),
                      _targets_by_indicator().get("cloud_migration_rate"), names,
                      runtime.current().settings.scoreboard, CloudQuery.from_url(query, names, notices), _today())


def select_targets(query: dict, notices: list[str]) -> pd.DataFrame:
    return ordered_targets(_frame("targets", "targets"))


def select_target(raw, notices: list[str], label: str = "目标"):
    settings = runtime.current().settings
    target = find_target(settings.targets, raw, notices, label)
    if target is None:
        return None
    return target_detail(target, _frame("targets", "targets"), _frame("indicator_history", "history"),
                         settings.targets.milestones, _today())


def select_scoreboard(query: dict, notices: list[str]):
    return scoreboard(_frame("catalog", "by_dept"), _frame("systems", "by_dept_status"),
                      _frame("departments", "departments"), _frame("department_history", "history"),
                      runtime.current().settings.scoreboard, _today())


# ---- the pages --------------------------------------------------------------------------------

def sharing(**query):
    notices: list[str] = []
    view = select_sharing(query, notices)
    sort, page = _table_state(query, sharing_pages.RANKING_COLUMNS, notices)
    return sharing_pages.sharing_page(view, as_of=_as_of("catalog"), targets=_targets_by_indicator(), notices=notices,
                                      sort=sort, page=page, query={"light": view.query.light})


def department(dept_id: str = "", **query):
    notices: list[str] = []
    view = select_department({**query, "dept_id": dept_id}, notices)
    sort, page = _table_state(query, sharing_pages.ITEM_COLUMNS, notices)
    as_of = {ds: _as_of(ds) for ds in ("catalog", "systems", "department_history")}
    return sharing_pages.department_page(view, as_of=as_of, notices=notices, sort=sort, page=page, query={})


def exchange(**query):
    notices: list[str] = []
    view = select_exchange(query, notices)
    sort, page = _table_state(query, sharing_pages.PAIR_COLUMNS, notices)
    q = view.query
    return sharing_pages.exchange_page(view, names=_names(), as_of=_as_of("exchange"), notices=notices, sort=sort,
                                       page=page, query={"provider": q.provider, "consumer": q.consumer})


def cloud(**query):
    notices: list[str] = []
    view = select_cloud(query, notices)
    sort, page = _table_state(query, cloud_page.SYSTEM_COLUMNS, notices)
    settings = runtime.current().settings.scoreboard
    return cloud_page.cloud_page(view, names=_names(), as_of=_as_of("systems"),
                                 thresholds=(settings.green_at, settings.yellow_at), notices=notices, sort=sort,
                                 page=page, query={"dept": view.query.dept, "status": view.query.status})


def targets(**query):
    return _targets_page(query, [])


def _targets_page(query: dict, notices: list[str]):
    frame = select_targets(query, notices)
    detail = select_target(query.get("target"), notices) if query.get("target") else None
    sort, page = _table_state(query, target_pages.LIST_COLUMNS, notices)
    return target_pages.targets_page(frame, detail, as_of=_as_of("indicator_history"), notices=notices, sort=sort,
                                     page=page)


def target(target_id: str = "", **query):
    notices: list[str] = []
    detail = select_target(unquote(target_id or ""), notices)
    if detail is None:  # an unknown target: the notice and the list of all of them (the default view)
        return _targets_page({k: v for k, v in query.items() if k != "target"}, notices)
    return target_pages.target_page(detail, as_of=_as_of("indicator_history"), notices=notices)


def scoreboard_layout(**query):
    notices: list[str] = []
    board = select_scoreboard(query, notices)
    sort, page = _table_state(query, scoreboard_page.SCORE_COLUMNS, notices)
    return scoreboard_page.scoreboard_page(board, as_of=_as_of("catalog"), notices=notices, sort=sort, page=page)


@dataclass(frozen=True)
class PageSpec:
    module: str
    title: str
    layout: Callable
    path: str | None = None
    path_template: str | None = None


PAGES = (
    PageSpec("callbacks.programme_pages.sharing", "数据共享", sharing, path="/sharing"),
    PageSpec("callbacks.programme_pages.department", "部门详情", department, path_template="/department/<dept_id>"),
    PageSpec("callbacks.programme_pages.exchange", "数据交换", exchange, path="/exchange"),
    PageSpec("callbacks.programme_pages.cloud", "上云进度", cloud, path="/cloud"),
    PageSpec("callbacks.programme_pages.targets", "目标指标", targets, path="/targets"),
    PageSpec("callbacks.programme_pages.target", "目标详情", target, path_template="/target/<target_id>"),
    PageSpec("callbacks.programme_pages.scoreboard", "部门绩效 · 通报", scoreboard_layout, path="/scoreboard"),
)


def register_pages() -> None:
    """Register the pages with dash.register_page (the app being built has use_pages on); once per
    process, as Dash keeps one page registry for every app."""
    for spec in PAGES:
        if spec.module not in dash.page_registry:
            dash.register_page(spec.module, path=spec.path, path_template=spec.path_template, title=spec.title,
                               name=spec.title, layout=spec.layout)
