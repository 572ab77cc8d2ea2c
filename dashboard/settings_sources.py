"""Settings of the data sources (``[[sources]]``, ``[demo]``): where each source reads, how its own
names and codes map onto its dataset's contract, when it is pulled and when its data counts as stale."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from dashboard.settings_base import StrictModel

DATASETS = (
    "departments", "regions", "catalog", "exchange", "systems",
    "incidents", "network", "targets", "indicator_history", "department_history",
)
SourceDataset = Literal[
    "departments", "regions", "catalog", "exchange", "systems", "incidents", "network",
    "indicator_history", "department_history",
]

_SCHEDULE_INTERVAL = re.compile(r"^interval:(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_schedule(text: str) -> tuple[str, Any]:
    """``interval:10m`` → ("interval", seconds); ``cron:0 */1 * * *`` → ("cron", expression)."""
    text = text.strip()
    if m := _SCHEDULE_INTERVAL.match(text):
        seconds = int(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        if seconds <= 0:
            raise ValueError("间隔必须大于 0")
        return "interval", seconds
    if text.startswith("cron:"):
        expr = text[5:].strip()
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(expr)
        except ValueError as exc:
            raise ValueError(f"cron 表达式无效（需 5 段: 分 时 日 月 周）: {exc}") from None
        return "cron", expr
    raise ValueError("格式应为 interval:<数字><s|m|h|d>（如 interval:10m）或 cron:<5 段 cron 表达式>")


_DURATION = re.compile(r"^(\d+)([smhd])$")


def parse_duration(text: str) -> int:
    """``36h`` → 129600 seconds (s, m, h, d)."""
    m = _DURATION.match(text.strip())
    if not m:
        raise ValueError("格式应为 <数字><s|m|h|d>（如 7d、36h），留空按调度推算，off 为不检查")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def stale_deadline(schedule: str, published_at: float, stale_after_seconds: int | None = None) -> float:
    """When data published at ``published_at`` becomes stale: one missed run past the next one due.

    For ``interval:`` that is two periods (plus a minute of grace); for ``cron:`` it is the next
    firing after the publish plus the gap to the one after, so a cron that sleeps at night
    (``*/15 8-18 * * *``) does not flag its data as stale all night.
    """
    if stale_after_seconds:
        return published_at + stale_after_seconds
    kind, value = parse_schedule(schedule)
    if kind == "interval":
        return published_at + 2 * value + 60
    from datetime import datetime

    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(value)
    start = datetime.fromtimestamp(published_at + 1, trigger.timezone)  # the run after the one that published
    first = trigger.get_next_fire_time(None, start)
    if first is None:
        return float("inf")
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    gap = (second - first).total_seconds() if second else 86400
    return first.timestamp() + gap + 60


class ExtractRule(StrictModel):
    """A value pulled out of free text: ``pattern`` searched in each ``from`` column in turn; the
    first match (its capture group, or the whole match) fills ``column``, recoded by ``values``."""
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    column: str = Field(min_length=1, description="填充的合约列")
    from_: list[str] = Field(alias="from", min_length=1, description="从这些源列的文本中提取，按顺序")
    pattern: str = Field(min_length=1, description="正则表达式；有捕获组时取第一组")
    values: dict[str, str] = Field({}, description="提取出的文本 → 合约取值")

    @field_validator("pattern")
    @classmethod
    def _one_group(cls, value: str) -> str:
        groups = _compiled(value).groups
        if groups > 1:
            raise ValueError(f"正则表达式最多只能有 1 个捕获组（现有 {groups} 个；不需要的组请写成 (?:…)）")
        return value


def _compiled(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"不是合法的正则表达式: {exc}") from None


_DATE_LAYOUT = re.compile(r"%[YmdHMSIpyjbBf]")


class SourceSettings(StrictModel):
    name: str = Field(min_length=1)
    dataset: SourceDataset
    kind: Literal["sql", "files", "http", "demo", "geo"]
    schedule: str = "interval:10m"
    owner: str = ""
    stale_after_seconds: int | None = Field(None, ge=1)
    # how a source's own names and codes map onto the contract
    columns: dict[str, str | list[str]] = Field({}, description="源列 → 合约列（一个源列可填多个合约列）")
    values: dict[str, dict[str, str]] = {}
    constants: dict[str, Any] = {}
    date_format: str | list[str] = Field("", description="日期格式，或按顺序尝试的多个格式")
    required: list[str] = Field([], description="此数据源必须填写的可选合约列")
    extract: list[ExtractRule] = []
    composite: dict[str, list[str]] = Field({}, description="合约列 → 拼接成它的多个源列（组合键）")
    composite_separator: str = "-"
    # sql
    url: str = ""
    table: str = ""
    query: str = ""
    params: dict[str, Any] = {}
    push_down: bool = Field(False, description="事件表在 PostgreSQL 中汇总（GROUP BY），只取回汇总结果，不取原始行")
    detail_rows: int = Field(2_000_000, ge=1, le=2_000_000,
                             description="汇总拉取时事件明细载入内存的上限条数：不超过则整表在内存中分页（更快），"
                                         "超过则写为 Parquet 文件，由 DuckDB 分页")
    # files
    path: str = ""
    sheet: str | int | None = None
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    header_row: int | None = Field(None, ge=1, description="表头所在行（从 1 起）；不填则自动查找")
    skip_rows: int = Field(0, ge=0, description="表头下方要跳过的非数据行数")
    footer: str = Field("", description="正则；首个非空单元格匹配的行（填报人、注、合计）不是数据")
    # http
    records_path: str = ""
    headers: dict[str, str] = {}
    timeout_seconds: float | None = Field(None, gt=0, le=600)
    pull_deadline_seconds: float | None = Field(None, gt=0)
    # publish guard: hold a publish that empties the source's rows or shrinks them by more than this share
    guard: bool = True
    guard_max_shrink: float = Field(0.5, gt=0, le=1)
    # newest row older than this (e.g. "7d") shows the dataset stale; "" = max(7 days, 10 periods), "off"
    # (dashboard/freshness.py)
    max_data_age: str = ""
    # source columns holding personal data, masked wherever raw rows are shown
    personal: list[str] = []

    @field_validator("footer")
    @classmethod
    def _footer_regex(cls, value: str) -> str:
        if value:
            _compiled(value)
        return value

    @field_validator("date_format")
    @classmethod
    def _date_layouts(cls, value: str | list[str]) -> str | list[str]:
        for layout in [value] if isinstance(value, str) else value:
            if layout and layout not in ("ISO8601", "excel") and not _DATE_LAYOUT.search(layout):
                raise ValueError(f"日期格式 {layout!r} 无效：应为 strftime 格式（如 \"%Y年%m月%d日 %H:%M\"）、"
                                 "\"ISO8601\" 或 \"excel\"（Excel 序列日期）")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("max_data_age")
    @classmethod
    def _max_data_age(cls, value: str) -> str:
        if value.strip() not in ("", "off"):
            parse_duration(value)
        return value.strip()

    @model_validator(mode="after")
    def _mapping_targets_contract_columns(self) -> "SourceSettings":
        from datasources.contracts import CONTRACTS

        names = CONTRACTS[self.dataset].names
        targets = {t for v in self.columns.values() for t in ([v] if isinstance(v, str) else v)}
        fed = {*targets, *self.values, *self.constants, *self.required, *self.composite,
               *(rule.column for rule in self.extract)}
        unknown = sorted(fed - set(names))
        if unknown:
            raise ValueError(f"映射到了 {self.dataset} 合约中不存在的列 {unknown}；合约列: {', '.join(names)}")
        empty = sorted(k for k, parts in self.composite.items() if not parts)
        if empty:
            raise ValueError(f"composite 中 {empty} 没有列出源列")
        return self

    @model_validator(mode="after")
    def _kind_needs(self) -> "SourceSettings":
        if self.kind == "sql":
            if not self.url:
                raise ValueError("kind = \"sql\" 需要 url（SQLAlchemy 连接串）")
            if bool(self.table) == bool(self.query):
                raise ValueError("kind = \"sql\" 需要 table 或 query 二者之一")
        if self.push_down:
            self._push_down_needs()
        if self.kind == "geo" and self.dataset != "regions":
            raise ValueError("kind = \"geo\" 只能用于 dataset = \"regions\"（区域取自 city.geo 的 GeoJSON）")
        if self.kind in ("files", "http") and not (self.path if self.kind == "files" else self.url):
            raise ValueError(f"kind = \"{self.kind}\" 需要 {'path' if self.kind == 'files' else 'url'}")
        return self

    def _push_down_needs(self) -> None:
        from sqlalchemy.engine import make_url

        if self.kind != "sql" or self.dataset != "incidents" or not self.table:
            raise ValueError("push_down = true 只用于 kind = \"sql\"、dataset = \"incidents\" 且指定 table 的数据源")
        if make_url(self.url).get_backend_name() != "postgresql":
            raise ValueError("push_down = true 需要 PostgreSQL 数据库（url = \"postgresql://…\"）")
        if self.values or self.constants or self.extract or self.composite:
            raise ValueError("push_down = true 的数据源只能用 columns 改列名，不能用 values、constants、extract 或 composite")

    def stale_at(self, published_at: float) -> float:
        """When this source's data, published at ``published_at``, counts as stale."""
        return stale_deadline(self.schedule, published_at, self.stale_after_seconds)


class DemoSettings(StrictModel):
    seed: int = 20261122
    incidents: int = Field(60_000, ge=100, le=20_000_000)
    database: str = "demo/demo_city.db"
    live: bool = Field(True, description="每次拉取时补充到当前时刻的新事件，使演示大屏持续变化")
