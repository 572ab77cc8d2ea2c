"""Settings of the city and what its wall shows and judges: ``[city]`` (name, canvas, geography,
clock), ``[wall]``, ``[targets]``, ``[scoreboard]`` and ``[ask]``."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from dashboard import city_time
from dashboard.settings_base import StrictModel


class GeoSettings(StrictModel):
    districts: str = Field("", description="区县边界 GeoJSON 路径")
    streets: str = Field("", description="镇街边界 GeoJSON 路径（可选）")
    grids: str = Field("", description="网格边界 GeoJSON 路径（可选）")
    id_property: str = "region_id"
    name_property: str = "name"
    tiles: str = Field("", description="底图瓦片 URL；空表示不用瓦片服务")


class CitySettings(StrictModel):
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


class WallSettings(StrictModel):
    playlist: list[str] = ["city"]
    rotate_seconds: int = Field(0, ge=0)


class CustomTarget(StrictModel):
    indicator_id: str
    name: str
    level: Literal["省", "市"] = "市"
    unit: Literal["%", "个", "项", "小时", "条"] = "%"
    target: float
    deadline: date
    comparator: Literal[">=", "<=", "=="] = ">="
    source_doc: str = ""
    binding: bool = True


class TargetSettings(StrictModel):
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


class ScoreboardSettings(StrictModel):
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


class AskSettings(StrictModel):
    """一句话响应 (dashboard/ask/): the city's own words besides the names in its data."""
    aliases: dict[str, str] = Field({}, description="词 → 本市数据中的名称（区域、部门、事件分类、来源、指标）")

    @field_validator("aliases")
    @classmethod
    def _words(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [w for w, name in value.items() if not w.strip() or not str(name).strip() or len(w) > 20]
        if bad:
            raise ValueError(f"别名 {bad} 无效：词与名称都不能为空，词不超过 20 个字")
        return value
