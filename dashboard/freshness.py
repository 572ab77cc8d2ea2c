"""Is a dataset's data current? The one rule behind stale badges and the header's oldest age."""
from __future__ import annotations

import time
from dataclasses import dataclass

from dashboard import formatting as fmt
from dashboard.settings import Settings
from dashboard.store import DatasetStatus

DATASET_LABELS = {
    "departments": "部门", "regions": "区域", "catalog": "资源目录", "exchange": "数据交换",
    "systems": "信息系统", "incidents": "事件", "network": "电子政务外网", "targets": "目标指标",
    "indicator_history": "指标历史",
}


@dataclass(frozen=True)
class Freshness:
    dataset: str
    stale: bool
    age_seconds: float | None
    reason: str  # empty when fresh

    @property
    def badge(self) -> str:
        """Badge text: '数据滞后 · 3 小时前' or ''."""
        return f"数据滞后 · {fmt.age(self.age_seconds)}" if self.stale else ""


def stale_at(settings: Settings, dataset: str, published_at: float) -> float | None:
    """When a dataset published at ``published_at`` becomes stale: the loosest schedule of the sources
    feeding it. targets and indicator_history are derived from all of them and follow the strictest."""
    sources = settings.sources_for(dataset)
    if sources:
        return max(s.stale_at(published_at) for s in sources)
    limits = [s.stale_at(published_at) for s in settings.sources]
    return min(limits) if limits else None


def freshness(settings: Settings, status: DatasetStatus, now: float | None = None) -> Freshness:
    now = now or time.time()
    age = status.age_seconds(now)
    if status.published_at is None:
        return Freshness(status.dataset, True, None, "尚无数据")
    if status.failed:
        return Freshness(status.dataset, True, age, f"最近一次拉取失败: {status.error}")
    deadline = stale_at(settings, status.dataset, status.published_at)
    if deadline is not None and now > deadline:
        return Freshness(status.dataset, True, age, f"应在 {fmt.moment(deadline)} 前更新，至今未更新")
    return Freshness(status.dataset, False, age, "")
