"""Settings of how the service runs: ``[app]`` (server, frame store, app database, queue, locks),
``[auth]`` (who may see and do what, sessions, login limits) and ``[export]`` (captures, 通报)."""
from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from dashboard.settings_base import StrictModel


class AppSettings(StrictModel):
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


class AuthSettings(StrictModel):
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


class ExportSettings(StrictModel):
    chromium: str = Field("/usr/bin/chromium", min_length=1, description="截图所用 Chromium 可执行文件（Debian 软件包 chromium）")
    capture_timeout_seconds: float = Field(60.0, gt=0, le=600, description="等待页面全部面板绘制完成的时限")
    warm_pages: int = Field(3, ge=0, le=8, description="执行导出的进程保持打开的大屏页面数（每个视图与画布尺寸一页，"
                                                       "最久未用的先关闭；0 为每次截图重新打开页面）")
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
