"""Is a dataset's data current? The one rule behind stale badges and the header's oldest age."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from dashboard import formatting as fmt
from dashboard.settings import Settings, SourceSettings, parse_duration, parse_schedule
from dashboard.store import DatasetStatus

DATASET_LABELS = {
    "departments": "部门", "regions": "区域", "catalog": "资源目录", "exchange": "数据交换",
    "systems": "信息系统", "incidents": "事件", "network": "电子政务外网", "targets": "目标指标",
    "indicator_history": "指标历史", "department_history": "部门指标历史",
}


#: The column whose newest value says how current a dataset's rows are ("数据截至 2020-01-06"), for
#: datasets whose rows are dated events. A catalog's updated_at is a record's edit time, not the data's.
DATA_TIME_COLUMNS = {"incidents": "reported_at", "exchange": "date"}
#: The column check-source reports a date range of.
DATE_RANGE_COLUMNS = {**DATA_TIME_COLUMNS, "catalog": "updated_at", "systems": "migrated_date",
                      "indicator_history": "date", "department_history": "date"}


def data_as_of(dataset: str, rows: pd.DataFrame) -> float | None:
    """Unix time of the newest row's timestamp (local wall-clock time), or None for undated datasets."""
    column = DATA_TIME_COLUMNS.get(dataset)
    if column is None or column not in rows.columns or not rows[column].notna().any():
        return None
    return pd.Timestamp(rows[column].max()).to_pydatetime().timestamp()


def as_of_text(as_of: float | None) -> str:
    """'数据截至 2020-01-06', or '' for undated data."""
    return f"数据截至 {datetime.fromtimestamp(as_of):%Y-%m-%d}" if as_of else ""


#: what a caller without view_raw_rows reads instead of a source's error (URLs, paths, raw rows)
SOURCE_ERROR_HIDDEN = "数据源异常，显示最近一次成功的数据"


@dataclass(frozen=True)
class Freshness:
    dataset: str
    stale: bool
    age_seconds: float | None
    reason: str  # empty when fresh
    data_as_of: float | None = None  # the newest row's time
    data_too_old: bool = False  # stale because the newest row is older than the sources allow
    failed: bool = False  # stale because the last pull failed: ``reason`` carries the source's error

    def shown_reason(self, details: bool) -> str:
        """The reason for a caller who may (``details``: view_raw_rows) or may not see source errors."""
        if not self.failed or details:
            return self.reason
        return f"{SOURCE_ERROR_HIDDEN}（更新于 {fmt.age(self.age_seconds)}）"

    @property
    def badge(self) -> str:
        """Badge text: '数据滞后 · 3 小时前', '数据滞后 · 数据截至 2020-01-06' or ''."""
        if not self.stale:
            return ""
        return f"数据滞后 · {as_of_text(self.data_as_of) if self.data_too_old else fmt.age(self.age_seconds)}"

    @property
    def as_of(self) -> str:
        return as_of_text(self.data_as_of)


def stale_at(settings: Settings, dataset: str, published_at: float) -> float | None:
    """When a dataset published at ``published_at`` becomes stale: the loosest schedule of the sources
    feeding it. targets and indicator_history are derived from all of them and follow the strictest."""
    sources = settings.sources_for(dataset)
    if sources:
        return max(s.stale_at(published_at) for s in sources)
    limits = [s.stale_at(published_at) for s in settings.sources]
    return min(limits) if limits else None


DEFAULT_MAX_DATA_AGE = 7 * 86400


def schedule_period(schedule: str) -> float:
    """Seconds between two runs: the interval, or the gap between a cron's next two firings."""
    kind, value = parse_schedule(schedule)
    if kind == "interval":
        return float(value)
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(value)
    first = trigger.get_next_fire_time(None, datetime.now(trigger.timezone))
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return (second - first).total_seconds() if second else 86400.0


def source_data_age_limit(source: SourceSettings) -> float | None:
    """Seconds a source's newest row may lag behind now before its data counts as old; None = unchecked.

    Default: 7 days or 10 scheduled periods, whichever is longer: daily rows sent once a day may lag
    a long weekend, but a 10-minute source whose newest row is from last month is not current."""
    if source.max_data_age == "off":
        return None
    if source.max_data_age:
        return parse_duration(source.max_data_age)
    return max(DEFAULT_MAX_DATA_AGE, 10 * schedule_period(source.schedule))


def data_age_limit(settings: Settings, dataset: str) -> float | None:
    """How far the newest row may lag behind now: the loosest of the dataset's sources
    (``max_data_age``, by default 7 days or 10 scheduled periods); None when a source opts out."""
    limits = [source_data_age_limit(s) for s in settings.sources_for(dataset)]
    if not limits or any(limit is None for limit in limits):
        return None
    return max(limits)


def freshness(settings: Settings, status: DatasetStatus, now: float | None = None) -> Freshness:
    """Stale when the last pull failed (or was held), when a scheduled run past the next one due was
    missed, or when the newest row is older than the data age limit: the pull is current, the data not."""
    now = now or time.time()
    age = status.age_seconds(now)
    as_of = status.data_as_of
    if status.published_at is None:
        return Freshness(status.dataset, True, None, "尚无数据")
    if status.failed:
        return Freshness(status.dataset, True, age, f"最近一次拉取失败: {status.error}", as_of, failed=True)
    deadline = stale_at(settings, status.dataset, status.published_at)
    if deadline is not None and now > deadline:
        return Freshness(status.dataset, True, age, f"应在 {fmt.moment(deadline)} 前更新，至今未更新", as_of)
    limit = data_age_limit(settings, status.dataset)
    if as_of is not None and limit is not None and now - as_of > limit:
        return Freshness(status.dataset, True, age, f"{as_of_text(as_of)}：最新一条数据已是 {fmt.age(now - as_of)}，"
                                                    f"超过允许的 {fmt.age(limit).removesuffix('前').strip()}", as_of, True)
    return Freshness(status.dataset, False, age, "", as_of)
