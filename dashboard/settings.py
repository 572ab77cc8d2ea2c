"""Typed, validated settings: one TOML file plus ``CITYWALL_*`` environment overrides.

Every other module takes a :class:`Settings`; nothing else reads the TOML file or the
environment. A bad value stops start-up with :class:`SettingsError`, whose message names the
key, the bad value and what is allowed, in Chinese.

The sections' models live beside this module, grouped by what they configure:
settings_server.py ([app], [auth], [export]), settings_sources.py ([[sources]], [demo], schedules)
and settings_city.py ([city], [wall], [targets], [scoreboard], [ask]); import them from here.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import ValidationError, model_validator

from dashboard import city_time
from dashboard.settings_base import StrictModel
from dashboard.settings_city import (SCOREBOARD_INDICATORS, AskSettings, CitySettings, CustomTarget, GeoSettings,
                                     ScoreboardSettings, TargetSettings, WallSettings)
from dashboard.settings_server import DATABASE_URL_FORMS, AppSettings, AuthSettings, ExportSettings, database_url
from dashboard.settings_sources import (DATASETS, DemoSettings, ExtractRule, SourceDataset, SourceSettings,
                                        parse_duration, parse_schedule, stale_deadline)

__all__ = [
    "REPO_ROOT", "DEFAULT_CONFIG", "ENV_PREFIX", "NOT_SETTINGS", "SettingsError", "Settings", "load_settings",
    "AppSettings", "AuthSettings", "ExportSettings", "DATABASE_URL_FORMS", "database_url",
    "DATASETS", "SourceDataset", "SourceSettings", "ExtractRule", "DemoSettings",
    "parse_schedule", "parse_duration", "stale_deadline",
    "CitySettings", "GeoSettings", "WallSettings", "TargetSettings", "CustomTarget", "ScoreboardSettings",
    "SCOREBOARD_INDICATORS", "AskSettings",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "citywall.toml"
ENV_PREFIX = "CITYWALL_"
#: CITYWALL_* variables that are not settings: the config file, the first admin's and a new user's password
NOT_SETTINGS = frozenset({"CONFIG", "ADMIN_PASSWORD", "PASSWORD"})


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and what is allowed."""


class Settings(StrictModel):
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
