"""The programme drill-downs' view models from the running app: each ``select_*`` reads a page's URL
query into its typed query, picks the published frames it needs from the store and calls its pure
selection (dashboard/programme_views.py, cloud_views.py, target_views.py, scoreboard.py). The pages
(layouts/programme_pages.py) and the downloads (callbacks/programmes.py) call the same functions.
"""
from __future__ import annotations

import functools
from datetime import date
from urllib.parse import unquote

import pandas as pd

from dashboard import query_params as qp
from dashboard import runtime
from dashboard.kept import Kept
from dashboard.cloud_views import CloudQuery, cloud_view
from dashboard.programme_views import (ExchangeQuery, SharingQuery, department_names, department_view,
                                       exchange_view, pick_department, sharing_view)
from dashboard.scoreboard import scoreboard
from dashboard.target_views import find_target, target_detail, with_reach
from dashboard.selections import ordered_targets, target_for
from dashboard.instructions_view import scoreboard_rates
from layouts.tips import as_of as as_of_of

MAX_PAGE = 10_000
_PAGES = Kept(64)  # (page, app, versions, day, query) → page


def frame(dataset: str, name: str) -> pd.DataFrame | None:
    return runtime.current().store.frame(dataset, name)


def as_of(dataset: str):
    return as_of_of(frame(dataset, "as_of"))


def today() -> date:
    return date.today()


def scoreboard_settings():
    """[scoreboard]: the score's weights and the lights' thresholds."""
    return runtime.current().settings.scoreboard


def department_names_now() -> dict[str, str]:
    return department_names(frame("departments", "departments"))


def per_version(*datasets: str):
    """A page layout built once per version of the ``datasets`` it reads (and per URL query and day):
    a page's view model and components are the same for every visit until one of its datasets is
    published again. (Its JSON is made per request: only the wall's pages share dashboard/first_page.py's
    caches, so drill-down visits never push a wall out of them.)"""
    def wrap(build):
        @functools.wraps(build)
        def layout(**query):
            rt = runtime.current()
            key = (build.__name__, rt.generation, tuple(rt.store.status(d).version for d in datasets), today(),
                   tuple(sorted((str(k), str(v)) for k, v in query.items())))
            page = _PAGES.get(key)
            if page is None:
                page = _PAGES.put(key, build(**query))
            return page
        return layout
    return wrap


def table_state(query: dict, columns, notices: list[str], default=None) -> tuple:
    sort = qp.sort_key(query.get("sort"), [c[0] for c in columns], default, "排序", notices)
    page = qp.whole_number(query.get("page"), 1, "页码", notices, low=1, high=MAX_PAGE) - 1
    return sort, page


def targets_by_indicator() -> dict[str, dict]:
    targets = frame("targets", "targets")
    found = {k: target_for(targets, k, today()) for k in ("sharing_rate", "gov_aggregation_rate",
                                                           "city_aggregation_rate", "cloud_migration_rate")}
    return {k: v for k, v in found.items() if v}


# ---- the selections, shared by the pages and the downloads ---------------------------------------

def select_sharing(query: dict, notices: list[str]):
    settings = runtime.current().settings
    return sharing_view(frame("catalog", "summary"), frame("catalog", "by_dept"), frame("departments", "departments"),
                        frame("indicator_history", "history"), settings.scoreboard,
                        SharingQuery.from_url(query, notices))


def select_department(query: dict, notices: list[str]):
    names = department_names_now()
    dept_id = pick_department(unquote(query.get("dept_id") or query.get("dept") or ""), names, notices)
    return department_view(dept_id or "", names, frame("catalog", "by_dept"), frame("catalog", "items"),
                           frame("exchange", "pairs_30d"), frame("department_history", "history"),
                           frame("systems", "systems"), frame("systems", "by_dept_status"))


def select_exchange(query: dict, notices: list[str]):
    names = department_names_now()
    return exchange_view(frame("exchange", "daily"), frame("exchange", "daily_by_provider"),
                         frame("exchange", "daily_by_consumer"), frame("exchange", "daily_pairs"),
                         frame("exchange", "pairs_30d"), names, ExchangeQuery.from_url(query, names, notices),
                         today())


def select_cloud(query: dict, notices: list[str]):
    names = department_names_now()
    return cloud_view(frame("systems", "summary"), frame("systems", "by_dept_status"), frame("systems", "systems"),
                      frame("systems", "exempt_approved"), frame("systems", "burnup"),
                      targets_by_indicator().get("cloud_migration_rate"), names,
                      runtime.current().settings.scoreboard, CloudQuery.from_url(query, names, notices), today())


TARGET_COLUMNS = ["target_id", "indicator_id", "name", "level", "unit", "target", "deadline", "status", "source_doc",
                  "current", "reach"]


def select_targets(query: dict, notices: list[str]) -> pd.DataFrame:
    targets = ordered_targets(frame("targets", "targets"))
    if "target_id" not in targets.columns or targets.empty:  # nothing published yet: an empty list
        return pd.DataFrame(columns=TARGET_COLUMNS)
    return with_reach(targets, runtime.current().settings.targets, frame("indicator_history", "history"), today())


def select_target(raw, notices: list[str], label: str = "目标"):
    settings = runtime.current().settings
    target = find_target(settings.targets, raw, notices, label)
    if target is None:
        return None
    return target_detail(target, frame("targets", "targets"), frame("indicator_history", "history"),
                         settings.targets.milestones, today())


def select_scoreboard(query: dict, notices: list[str]):
    return scoreboard(frame("catalog", "by_dept"), frame("systems", "by_dept_status"),
                      frame("departments", "departments"), frame("department_history", "history"),
                      runtime.current().settings.scoreboard, today(),
                      instruction_rates=scoreboard_rates(runtime.current().settings, today()))


