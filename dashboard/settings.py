"""Typed, validated settings: one TOML file plus ``CITYWALL_*`` environment overrides.

Every other module takes a :class:`Settings`; nothing else reads the TOML file or the
environment. A bad value stops start-up with :class:`SettingsError`, whose message names the
key, the bad value and what is allowed, in Chinese.
"""
from __future__ import annotations

import os
import re
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dashboard import city_time

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "citywall.toml"
ENV_PREFIX = "CITYWALL_"
#: CITYWALL_* variables that are not settings: the config file, the first admin's and a new user's password
NOT_SETTINGS = frozenset({"CONFIG", "ADMIN_PASSWORD", "PASSWORD"})

DATASETS = (
    "departments", "regions", "catalog", "exchange", "systems",
    "incidents", "network", "targets", "indicator_history", "department_history",
)
SourceDataset = Literal[
    "departments", "regions", "catalog", "exchange", "systems", "incidents", "network",
    "indicator_history", "department_history",
]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and what is allowed."""


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeoSettings(_Strict):
    districts: str = Field("", description="区县边界 GeoJSON 路径")
    streets: str = Field("", description="镇街边界 GeoJSON 路径（可选）")
    grids: str = Field("", description="网格边界 GeoJSON 路径（可选）")
    id_property: str = "region_id"
    name_property: str = "name"
    tiles: str = Field("", description="底图瓦片 URL；空表示不用瓦片服务")


class CitySettings(_Strict):
    name: str = Field("示范市", min_length=1)
    canvas: tuple[Annotated[int, Field(ge=640, le=15360)], Annotated[int, Field(ge=360, le=8640)]] = (1920, 1080)
    scale_mode: Literal["fit", "fill-width", "stretch"] = "fit"
    # how much bigger than the type scale's minimums the wall's text is (a room read from further away)
    text_scale: float = Field(1.0, ge=1.0, le=1.25, description="文字放大倍数 1.0–1.25")
    center: tuple[float, float] | None = None
    # min_lon, min_lat, max_lon, max_lat: incident coordinates outside are quarantined (placeholders)
    bbox: tuple[float, float, float, float] | None = None
    geo: GeoSettings = GeoSettings()
    # the city's clock: periods, 数据截至 and the sources' naive timestamps (see dashboard/city_time.py)
    timezone: str = Field(city_time.DEFAULT, description="城市时区（IANA 名称）")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return city_time.checked(value)


class AppSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8050, ge=1, le=65535)
    data_dir: str = "data"
    database_url: str = Field("", description="应用数据库：空为 data_dir 下的 SQLite；或 postgresql+psycopg://…")
    store: str = "disk:frames"
    refresh_seconds: int = Field(15, ge=1, le=3600)
    nightly_reload: str = Field("03:30", description="HH:MM 每晚整页重载；空为关闭")
    retry_base_seconds: int = Field(30, ge=1)
    retry_max_seconds: int = Field(1800, ge=1)
    http_timeout_seconds: float = Field(10.0, gt=0, le=600)
    pull_deadline_seconds: float = Field(300.0, gt=0, description="一次拉取（读取、校验、发布）的总时限")
    mask_personal: bool = Field(True, description="展示或下载原始行时对个人信息脱敏")
    queue_poll_seconds: float = Field(1.0, gt=0, le=60, description="执行任务的进程查看任务队列的间隔（秒）")
    lock_expiry_seconds: float = Field(120.0, ge=5, le=3600,
                                       description="拉取锁的有效期（秒）：持有者每三分之一有效期续期一次")
    broker_url: str = Field("", description="Celery 的 Redis 地址（redis://主机:端口/库）；空：任务由调度进程执行")
    scheduler_lease_seconds: float = Field(30.0, ge=1, le=600,
                                           description="调度租约（秒）：只有持有者定时拉取；持有者停止后，等待的调度进程至多在此时长后接管")
    download_max_rows: int = Field(100_000, ge=1, le=1_000_000, description="下钻表格一次下载的最多行数（1–1000000）")

    @field_validator("store")
    @classmethod
    def _store_spec(cls, value: str) -> str:
        if value == "memory" or value.startswith("disk:"):
            return value
        if value.startswith("redis://"):
            return _redis_url(value)
        raise ValueError("应为 memory、disk:<目录> 或 redis://<地址>（如 redis://127.0.0.1:6379/0）")

    @field_validator("broker_url")
    @classmethod
    def _broker(cls, value: str) -> str:
        if value and not value.startswith("redis://"):
            raise ValueError("应为 redis://主机:端口/库（如 redis://127.0.0.1:6379/1），或留空：任务由调度进程执行")
        return _redis_url(value) if value else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return database_url(value) if value else value

    @field_validator("nightly_reload")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if value and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("应为 HH:MM（如 03:30），或留空关闭")
        return value


def _redis_url(value: str) -> str:
    """``redis://[:密码@]主机[:端口][/库号]``, checked part by part so the error names the part."""
    from urllib.parse import urlsplit

    url = urlsplit(value)
    try:
        port = url.port
    except ValueError:
        raise ValueError("Redis 地址的端口应为 1–65535 的整数") from None
    if not url.hostname:
        raise ValueError("Redis 地址缺少主机名（如 redis://127.0.0.1:6379/0）")
    if port == 0:
        raise ValueError("Redis 地址的端口应为 1–65535 的整数")
    db = url.path.strip("/")
    if db and not (db.isdigit() and int(db) < 16):
        raise ValueError(f"Redis 库号应为 0–15 的整数（地址末尾 /0），而不是 {db!r}")
    if url.query or url.fragment:
        raise ValueError("Redis 地址不支持 ? 或 # 之后的参数（超时等由 CityWall 设定）")
    return value


DATABASE_URL_FORMS = "sqlite:///<文件路径> 或 postgresql+psycopg://<用户>:<密码>@<主机>:<端口>/<库名>"


def database_url(value: str) -> str:
    """An app database URL SQLite or PostgreSQL can open; ``postgresql://`` gets the psycopg (v3)
    driver, the one CityWall installs. Raises ValueError (Chinese) naming the accepted forms."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"不是合法的数据库地址，应为 {DATABASE_URL_FORMS}") from None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "postgresql":
        if "+" in url.drivername and driver != "psycopg":
            raise ValueError(f"PostgreSQL 驱动应为 psycopg（postgresql+psycopg://…），不支持 {driver}")
        if not url.database:
            raise ValueError(f"缺少库名，应为 {DATABASE_URL_FORMS}")
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend != "sqlite":
        raise ValueError(f"不支持的数据库 {backend}，应为 {DATABASE_URL_FORMS}")
    return value


class ExtractRule(_Strict):
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


class SourceSettings(_Strict):
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
    detail_rows: int = Field(100_000, ge=1, le=2_000_000, description="汇总拉取时事件明细表保留的最新条数")
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


class CustomTarget(_Strict):
    indicator_id: str
    name: str
    level: Literal["省", "市"] = "市"
    unit: Literal["%", "个", "项", "小时", "条"] = "%"
    target: float
    deadline: date
    comparator: Literal[">=", "<=", "=="] = ">="
    source_doc: str = ""
    binding: bool = True


class TargetSettings(_Strict):
    presets: list[str] = []
    custom: list[CustomTarget] = []
    # milestone checklists: milestone indicator_id → {item: done date or ""}
    milestones: dict[str, dict[str, date | Literal[""]]] = {}
    # deadlines the city sets where a preset's document leaves them to it: target_id → date
    deadlines: dict[str, date] = {}

    @field_validator("milestones")
    @classmethod
    def _items_of_the_documents(cls, value: dict) -> dict:
        from dashboard.targets import MILESTONES

        for milestone, items in value.items():
            listed = MILESTONES.get(milestone, ("", ()))[1]
            unknown = [item for item in items if listed and item not in listed]
            if unknown:
                raise ValueError(f"{milestone} 的事项 {unknown} 不在文件规定的清单中；应为: {'、'.join(listed)}")
        return value

    @field_validator("presets")
    @classmethod
    def _known_presets(cls, value: list[str]) -> list[str]:
        from dashboard.targets import PRESETS

        unknown = [p for p in value if p not in PRESETS]
        if unknown:
            raise ValueError(f"未知预设 {unknown}；可选: {sorted(PRESETS)}")
        return value

    @model_validator(mode="after")
    def _deadlines_of_undated_presets(self) -> "TargetSettings":
        from dashboard.targets import undated_preset_targets

        undated = undated_preset_targets(self.presets)
        unknown = [k for k in self.deadlines if k not in undated]
        if unknown:
            raise ValueError(f"deadlines 中的 {unknown} 不是所选预设中文件未定期限的目标；"
                             f"可设: {'、'.join(undated) or '（无，所选预设都已定期限）'}")
        return self


#: what the scoreboard may weigh: the department indicators of dashboard/department_history.py, and
#: 指令按期办结率 (dashboard/instructions_view.py; weight 0 by default: it does not count until a city sets one)
SCOREBOARD_INDICATORS = ("sharing_rate", "aggregation_rate", "cloud_migration_rate", "instruction_ontime_rate")


class ScoreboardSettings(_Strict):
    """部门绩效 (/scoreboard) and the department lights of /sharing: the score's weights and the
    红/黄/绿 thresholds (fractions: 0.9 is 90%) that rates and scores are judged against."""
    weights: dict[str, float] = {"sharing_rate": 0.4, "aggregation_rate": 0.3, "cloud_migration_rate": 0.3,
                                 "instruction_ontime_rate": 0.0}
    green_at: float = Field(0.9, gt=0, le=1, description="不低于此值为绿灯")
    yellow_at: float = Field(0.75, gt=0, le=1, description="不低于此值为黄灯，更低为红灯（通报）")
    period: Literal["week", "month"] = Field("week", description="较上期：上周（7 日前）或上月（上月末）")

    @field_validator("weights")
    @classmethod
    def _known_positive_weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = [k for k in value if k not in SCOREBOARD_INDICATORS]
        if unknown:
            raise ValueError(f"未知指标 {unknown}；可选: {'、'.join(SCOREBOARD_INDICATORS)}")
        if not value or any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("权重必须不小于 0，且至少一项大于 0")
        return value

    @model_validator(mode="after")
    def _yellow_below_green(self) -> "ScoreboardSettings":
        if self.yellow_at > self.green_at:
            raise ValueError(f"yellow_at（{self.yellow_at}）不能大于 green_at（{self.green_at}）")
        return self


class DemoSettings(_Strict):
    seed: int = 20261122
    incidents: int = Field(60_000, ge=100, le=20_000_000)
    database: str = "demo/demo_city.db"
    live: bool = Field(True, description="每次拉取时补充到当前时刻的新事件，使演示大屏持续变化")


class WallSettings(_Strict):
    playlist: list[str] = ["city"]
    rotate_seconds: int = Field(0, ge=0)


class AuthSettings(_Strict):
    """Who may see and do what (dashboard/permissions.py, dashboard/auth.py)."""
    # role → its permissions; replaces the built-in roles (viewer, leader, operator, briefing, admin)
    roles: dict[str, list[str]] = Field({}, description="角色 → 权限列表；留空用内置角色")
    anonymous_role: str = Field("", description="未登录访客的角色；空为不允许匿名访问")
    secure_cookies: bool = Field(False, description="会话 Cookie 只经 HTTPS 发送（部署在 HTTPS 之后时开启）")
    frame_ancestors: list[str] = Field([], description="允许嵌入大屏的门户来源；空为不允许嵌入")
    session_hours: float = Field(12.0, gt=0, le=24 * 90, description="登录会话有效时长（小时）")
    login_max_failures: int = Field(5, ge=1, le=1000, description="同一账号在时间窗内允许失败的次数")
    login_max_failures_per_address: int = Field(20, ge=1, le=10000, description="同一地址在时间窗内允许失败的次数")
    login_window_minutes: int = Field(15, ge=1, le=24 * 60, description="登录失败计数的时间窗与锁定时长（分钟）")
    max_request_kb: int = Field(1024, ge=16, le=1024 * 1024, description="请求体上限（KB），超过答复 413")

    @field_validator("roles")
    @classmethod
    def _known_permissions(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from dashboard.permissions import PERMISSIONS

        if value and "admin" not in value.get("admin", ()):
            raise ValueError("自定义角色时须保留 admin 角色并授予 admin 权限（首次启动创建的管理员用它）")
        for role, granted in value.items():
            unknown = [p for p in granted if p not in PERMISSIONS]
            if unknown:
                raise ValueError(f"角色 {role} 的权限 {unknown} 不存在；可选: {'、'.join(PERMISSIONS)}")
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.fullmatch(r"(https?://[\w.\-]+(:\d+)?|'self')", v)]
        if bad:
            raise ValueError(f"{bad} 不是来源：应为 https://门户地址[:端口] 或 'self'")
        return value

    @model_validator(mode="after")
    def _anonymous_role_exists(self) -> "AuthSettings":
        if self.anonymous_role and self.anonymous_role not in self.role_permissions():
            raise ValueError(f"anonymous_role = {self.anonymous_role!r} 不是已定义的角色；"
                             f"可选: {'、'.join(self.role_permissions())}，或留空不允许匿名访问")
        return self

    def role_permissions(self) -> dict[str, frozenset[str]]:
        from dashboard.permissions import DEFAULT_ROLES

        if not self.roles:
            return dict(DEFAULT_ROLES)
        return {role: frozenset(granted) for role, granted in self.roles.items()}


class ExportSettings(_Strict):
    chromium: str = Field("/usr/bin/chromium", min_length=1, description="截图所用 Chromium 可执行文件（Debian 软件包 chromium）")
    capture_timeout_seconds: float = Field(60.0, gt=0, le=600, description="等待页面全部面板绘制完成的时限")
    retention_days: int = Field(90, ge=0, le=3650, description="导出文件保留天数（0 为永久保留）")
    daily_briefing: str = Field("", description="每日通报的 cron（5 段，北京时间，如 \"0 8 * * *\"）；空为关闭")

    @field_validator("daily_briefing")
    @classmethod
    def _briefing_cron(cls, value: str) -> str:
        value = value.strip()
        if value:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value)
            except ValueError:
                fields = len(value.split())
                problem = f"现有 {fields} 段" if fields != 5 else "某一段的取值超出范围"
                raise ValueError(f"cron 表达式无效（{problem}）：应为 5 段「分 时 日 月 周」，按北京时间，"
                                 "如 \"0 8 * * *\" 为每天 8:00；留空关闭") from None
        return value


class AskSettings(_Strict):
    """一句话响应 (dashboard/ask/): the city's own words besides the names in its data."""
    aliases: dict[str, str] = Field({}, description="词 → 本市数据中的名称（区域、部门、事件分类、来源、指标）")

    @field_validator("aliases")
    @classmethod
    def _words(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [w for w, name in value.items() if not w.strip() or not str(name).strip() or len(w) > 20]
        if bad:
            raise ValueError(f"别名 {bad} 无效：词与名称都不能为空，词不超过 20 个字")
        return value


class Settings(_Strict):
    city: CitySettings = CitySettings()
    app: AppSettings = AppSettings()
    demo: DemoSettings = DemoSettings()
    wall: WallSettings = WallSettings()
    auth: AuthSettings = AuthSettings()
    targets: TargetSettings = TargetSettings()
    scoreboard: ScoreboardSettings = ScoreboardSettings()
    export: ExportSettings = ExportSettings()
    ask: AskSettings = AskSettings()
    sources: list[SourceSettings] = []
    config_path: str = ""

    @model_validator(mode="after")
    def _unique_source_names(self) -> "Settings":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"sources 中的 name 重复: {dupes}")
        pushed = [s.name for s in self.sources if s.push_down]
        if pushed and len([s for s in self.sources if s.dataset == "incidents"]) > 1:
            raise ValueError(f"push_down = true 的数据源「{pushed[0]}」须是 incidents 唯一的数据源"
                             "（库内汇总无法与其他数据源的原始行合并）")
        return self

    # ---- resolved paths -------------------------------------------------------------
    def resolve(self, path: str) -> Path:
        """Paths in the config are relative to the config file's folder."""
        p = Path(path)
        base = Path(self.config_path).parent if self.config_path else REPO_ROOT
        return p if p.is_absolute() else (base / p).resolve()

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.app.data_dir)

    @property
    def database_url(self) -> str:
        return self.app.database_url or f"sqlite:///{self.data_dir / 'citywall.db'}"

    @property
    def demo_database(self) -> Path:
        return self.resolve(self.demo.database) if Path(self.demo.database).is_absolute() \
            else self.data_dir / self.demo.database

    def sources_for(self, dataset: str) -> list[SourceSettings]:
        return [s for s in self.sources if s.dataset == dataset]

    def source(self, name: str) -> SourceSettings:
        for s in self.sources:
            if s.name == name:
                return s
        raise SettingsError(f"没有名为 '{name}' 的数据源；已配置: {[s.name for s in self.sources]}")


# ---- loading -----------------------------------------------------------------------

_PYDANTIC_ZH = {
    "literal_error": "允许的值: {expected}",
    "missing": "缺少此项（必填）",
    "extra_forbidden": "未知配置项（请检查拼写）",
    "greater_than_equal": "必须 ≥ {ge}",
    "greater_than": "必须 > {gt}",
    "less_than_equal": "必须 ≤ {le}",
    "less_than": "必须 < {lt}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_type": "应为日期 YYYY-MM-DD",
    "list_type": "应为列表 [...]",
    "dict_type": "应为表 {...}",
    "tuple_type": "应为数组 [宽, 高]",
    "too_long": "元素过多",
    "too_short": "元素过少",
}


def _explain(error: dict) -> str:
    loc = ""
    for part in error["loc"]:
        if isinstance(part, int):
            loc += f"[{part}]"
        elif not str(part).startswith("function-"):
            loc += f".{part}" if loc else str(part)
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        ctx = {**ctx, "expected": str(ctx["expected"]).replace(" or ", "、").replace(", ", "、")}
    template = _PYDANTIC_ZH.get(error["type"])
    if error["type"] == "value_error":
        reason = str(ctx.get("error", error["msg"]))
    elif template:
        try:
            reason = template.format(**ctx)
        except (KeyError, IndexError):
            reason = template
    else:
        reason = error["msg"]
    value = error.get("input")
    shown = "" if error["type"] in ("missing",) or isinstance(value, dict) else f" = {value!r}"
    return f"  · {loc or '(根)'}{shown}: {reason}"


def _env_overrides(environ: dict[str, str]) -> dict:
    """``CITYWALL_APP__PORT=8051`` → {"app": {"port": 8051}}; values are read as TOML literals."""
    tree: dict = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key[len(ENV_PREFIX):] in NOT_SETTINGS:
            continue
        path = [p.lower() for p in key[len(ENV_PREFIX):].split("__") if p]
        if not path:
            continue
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return tree


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for k, v in override.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_settings(path: str | os.PathLike | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the TOML file (``CITYWALL_CONFIG`` or the shipped default), apply env overrides, validate."""
    environ = dict(os.environ if environ is None else environ)
    config_path = Path(path or environ.get(ENV_PREFIX + "CONFIG") or DEFAULT_CONFIG)
    if not config_path.is_file():
        raise SettingsError(f"配置文件不存在: {config_path}（用 --config 或 CITYWALL_CONFIG 指定）")
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"配置文件 {config_path} 不是合法的 TOML: {exc}") from None
    raw = _merge(raw, _env_overrides(environ))
    raw["config_path"] = str(config_path.resolve())
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        lines = [_explain(e) for e in exc.errors()]
        raise SettingsError(f"配置错误（{config_path}）:\n" + "\n".join(lines)) from None
    city_time.use(settings.city.timezone)
    return settings
