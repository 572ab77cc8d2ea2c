"""The wall's panels and KPI tiles, each described once: its datasets, drill-down, renderer, and
its scope (统计期 and region).

A renderer takes the frames of one render (:class:`layouts.wall.Frames`) and a :class:`Ctx`, picks
what it draws through the pure selections of :mod:`dashboard.selections` (全市, or the district of
``view=district:<id>``) and builds it with layouts/chart_figures.py, map_figure.py, meters.py, captions.py or
components.py. Every hover comes from the indicator registry through :mod:`layouts.tips`.

Panels that follow the view (``uses_view``) say their scope in a block of their title bar that is
redrawn with them ("东湖区 · 近30日"); the city programmes (sharing, cloud, targets) have no
district breakdown and say "全市" in theirs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable
from zoneinfo import ZoneInfo

from dashboard import periods
from dashboard import selections as sel
from layouts import captions
from layouts import command_panel as command
from layouts import components as cx
from layouts import chart_figures as charts
from layouts import figure_base as fb
from layouts import map_figure as mapfig
from layouts import meters
from layouts import theme
from layouts import tips

CITY = tips.CITY
INCIDENT_PERIOD = periods.label(periods.INCIDENT_DAYS)
TICKER_ROWS = 20  # the newest of the published latest incidents; a loop of ~25 s


@dataclass(frozen=True)
class Panel:
    title: str
    datasets: tuple[str, ...]
    href: str
    render: Callable  # (frames, ctx) -> figure (a graph panel) / components (an HTML panel, cached as markup)
    tooltip: str = ""  # the title bar's description of the panel (the numbers carry their own hovers)
    uses_view: bool = False
    caption: Callable | None = None  # (frames, ctx) -> components: a graph's HTML key, headline or scale
    period: str = ""  # the panel's 统计期 label, shown in its title bar with its scope
    slot: str = ""  # the panel whose box it shares, in turn (assets/wall-faces.js); "" its own box


@dataclass(frozen=True)
class Ctx:
    geo: dict
    settings: object
    geography: object
    view: str
    today: date

    @property
    def district(self) -> str | None:
        """The district in view, or None for 全市."""
        return sel.parse_view(self.view)

    @property
    def scope(self) -> str:
        """全市, or the name of the district in view."""
        rid = self.district
        return district_names(self.geography).get(rid, rid) if rid else CITY


def scope_text(spec: Panel, ctx: Ctx) -> list[str]:
    """A panel's scope in its title bar: '东湖区 · 近30日', '全市 · 近30日' or '全市'."""
    scope = ctx.scope if spec.uses_view else CITY
    return [" · ".join(part for part in (scope, spec.period) if part)]


def district_names(geography) -> dict[str, str]:
    regions = getattr(geography, "regions", None)
    if not sel.has_columns(regions, "region_id", "name", "level"):
        return {}
    d = regions[regions["level"] == "区县"].sort_values("region_id")
    return dict(zip(d["region_id"].astype(str), d["name"].astype(str)))


# ---- geometry of a panel's drawing area ---------------------------------------------------------------

def plot_size(box, s: float, text_scale: float = 1.0) -> tuple[int, int]:
    """The drawing area inside a panel (below its title bar, two title lines high: assets/wall.css
    .cw-panel-head, inside its padding)."""
    pad, head = 10 * s, 2 * theme.font_px(theme.TITLE_PX, s, text_scale)
    return int(round(box[2] - 2 * pad)), int(round(box[3] - head - pad))


def map_list_width(s: float) -> int:
    return int(round(232 * s))


def _text_scale(c: Ctx) -> float:
    return c.settings.city.text_scale


def _size(c: Ctx, name: str) -> dict:
    w, h = plot_size(c.geo[name], c.geo["s"], _text_scale(c))
    return {"width": w, "height": h, "scale": c.geo["s"], "text_scale": _text_scale(c)}


# ---- what the renderers read ----------------------------------------------------------------------------

def _target(f, indicator: str, default: float, today) -> tuple[float, object]:
    row = sel.target_for(f.frame("targets", "targets"), indicator, today)
    return (float(row["target"]), row.get("deadline")) if row else (default, None)


def _as_of(f, ds: str):
    return tips.as_of(f.frame(ds, "as_of"))


def _regions(f, c: Ctx):
    regions = f.frame("regions", "regions")
    return regions if regions is not None else getattr(c.geography, "regions", None)


def _incidents(f, c: Ctx, city: str, by_district: str):
    return sel.scoped(f.frame("incidents", city), f.frame("incidents", by_district), c.district)


def _incident_note(f, c: Ctx) -> str:
    return tips.plotly_lines("incident_count", today=c.today, as_of=_as_of(f, "incidents"))


# ---- panels --------------------------------------------------------------------------------------------

def _sharing(f, c):
    target, deadline = _target(f, "sharing_rate", fb.SHARING_DEFAULT_TARGET, c.today)
    return meters.sharing_meter(f.frame("catalog", "summary"), target, deadline=deadline, as_of=_as_of(f, "catalog"))


def _ranking(f, c):
    # best n, a gap row and worst n: as many rows as fit at the type scale (4 + 4 on 1920×1080)
    rows = theme.rows_that_fit(_size(c, "ranking")["height"], theme.LABEL_PX, c.geo["s"], _text_scale(c))
    return meters.dept_ranking(f.frame("catalog", "by_dept"), f.frame("departments", "departments"),
                               max(2, (rows - 1) // 2), as_of=_as_of(f, "catalog"))


def _exchange(f, c):
    note = tips.plotly_lines("exchange_records", today=c.today, days=fb.EXCHANGE_DAYS, as_of=_as_of(f, "exchange"))
    return charts.exchange_trend(f.frame("exchange", "daily"), fb.EXCHANGE_DAYS, today=c.today, hover_note=note,
                             **_size(c, "exchange"))


def _exchange_caption(f, c):
    return captions.exchange_caption(f.frame("exchange", "daily"), fb.EXCHANGE_DAYS, c.today,
                                     as_of=_as_of(f, "exchange"))


def _map(f, c):
    w, h = plot_size(c.geo["map"], c.geo["s"], _text_scale(c))
    return mapfig.incident_map(f.frame("incidents", "by_district"), f.frame("incidents", "by_grid"), c.geography,
                           c.district, c.settings.city.geo.tiles, density=f.frame("incidents", "density"),
                           width=w - map_list_width(c.geo["s"]), height=h, scale=c.geo["s"],
                           text_scale=_text_scale(c), hover_note=_incident_note(f, c))


def _map_legend(f, c):
    return captions.map_legend(f.frame("incidents", "by_district"), c.geography, f.frame("incidents", "region_match"))


DISTRICT_ROW_EM = 2.0  # a district row: its line, its bar and the gaps (assets/wall.css .cw-drow)
DISTRICT_LIST_HEAD_EM = 11.5  # the three totals and the list's heading above the rows


def _districts(f, c):
    _, h = plot_size(c.geo["map"], c.geo["s"], _text_scale(c))
    label = theme.font_px(theme.LABEL_PX, c.geo["s"], _text_scale(c))
    limit = max(3, int((h - DISTRICT_LIST_HEAD_EM * label) // (DISTRICT_ROW_EM * label)))
    areas = sel.area_counts(f.frame("incidents", "by_district"), f.frame("incidents", "by_street"), c.district)
    names = cx.region_names(f.frame("regions", "regions"), getattr(c.geography, "regions", None))
    if c.district is None:
        names = district_names(c.geography) or names
    return cx.district_list(areas, names, c.district, scope=c.scope, area_label="区县" if c.district is None else "镇街",
                            as_of=_as_of(f, "incidents"), today=c.today, limit=limit)


def _cloud(f, c):
    target, deadline = _target(f, "cloud_migration_rate", fb.CLOUD_DEFAULT_TARGET, c.today)
    return meters.cloud_meter(f.frame("systems", "summary"), target, deadline=deadline, as_of=_as_of(f, "systems"),
                              exempt=f.frame("systems", "exempt_approved"), departments=f.frame("departments", "departments"))


def _migration(f, c):
    _, h = plot_size(c.geo["migration"], c.geo["s"], _text_scale(c))
    label = theme.font_px(theme.LABEL_PX, c.geo["s"], _text_scale(c))
    n = max(3, min(12, int((h - 2 * label) // (1.6 * label))))  # rows of 1.6 lines under the legend
    return meters.dept_migration_stack(f.frame("systems", "by_dept_status"), f.frame("departments", "departments"), n,
                                       as_of=_as_of(f, "systems"))


def _burnup(f, c):
    target, _ = _target(f, "cloud_migration_rate", fb.CLOUD_DEFAULT_TARGET, c.today)
    note = tips.plotly_lines("cloud_burnup", today=c.today, as_of=_as_of(f, "systems"))
    return charts.migration_burnup(f.frame("systems", "burnup"), target, today=c.today, hover_note=note, **_size(c, "burnup"))


def _burnup_caption(f, c):
    return captions.burnup_caption(f.frame("systems", "burnup"), c.today, as_of=_as_of(f, "systems"))


def _hour_weekday(f, c):
    return charts.hour_weekday_heatmap(_incidents(f, c, "hour_weekday", "hour_weekday_by_district"),
                                   hover_note=_incident_note(f, c), district=c.district, **_size(c, "hour_weekday"))


def _hour_weekday_caption(f, c):
    return captions.hour_weekday_caption(_incidents(f, c, "hour_weekday", "hour_weekday_by_district"), scope=c.scope,
                                         today=c.today, as_of=_as_of(f, "incidents"))


def _category_district(f, c):
    counts = sel.category_columns(f.frame("incidents", "category_district"), f.frame("incidents", "category_street"),
                                  c.district)
    return charts.category_district_heatmap(counts, _regions(f, c), district=c.district,
                                        hover_note=_incident_note(f, c), **_size(c, "category_district"))


def _ticker(f, c):
    names = cx.region_names(f.frame("regions", "regions"), getattr(c.geography, "regions", None))
    latest = sel.latest_incidents(f.frame("incidents", "latest"), f.frame("incidents", "latest_by_district"), c.district)
    return cx.ticker_rows(None if latest is None else latest.head(TICKER_ROWS), names, c.today, as_of=_as_of(f, "incidents"))


def _targets(f, c):
    return meters.target_bullets(f.frame("targets", "targets"), as_of=_as_of(f, "targets"), **_size(c, "targets"))


def _command(f, c):
    read_at = f.frame("instructions", "read_at")
    as_of = None if read_at is None else datetime.fromtimestamp(read_at, ZoneInfo(c.settings.city.timezone)).replace(tzinfo=None)
    return command.command_panel(f.frame("instructions", "panel"), as_of=as_of, city=c.settings.city.name,
                                 **_size(c, "targets"))


PANELS: dict[str, Panel] = {
    "sharing": Panel("数据共享 · 共享率", ("catalog", "targets"), "/sharing", _sharing, "政务数据共享率与目标"),
    "ranking": Panel("数据共享 · 部门排名", ("catalog", "departments"), "/sharing", _ranking,
                     "各部门政务数据共享率（前 5 名与后 5 名）"),
    "exchange": Panel("数据共享 · 交换量", ("exchange",), "/exchange", _exchange, "部门间每日数据交换记录与接口调用",
                      caption=_exchange_caption, period=periods.label(periods.EXCHANGE_DAYS)),
    "map": Panel("一张图 · 事件热力", ("incidents",), "/incidents", _map,
                 "各区县事件数（区县面）与网格事件密度（热力）；点击区县下钻", uses_view=True, caption=_map_legend,
                 period=INCIDENT_PERIOD),
    "cloud": Panel("上云进度 · 上云率", ("systems", "targets"), "/cloud", _cloud, "非涉密系统上云率与目标"),
    "migration": Panel("上云进度 · 部门状态", ("systems", "departments"), "/cloud", _migration,
                       "上云率最低的部门，按系统状态堆叠（已上云 / 迁移中 / 未迁移 / 暂缓）"),
    "burnup": Panel("上云进度 · 实际与计划", ("systems", "targets"), "/cloud", _burnup,
                    "非涉密系统按月累计：实际已上云与计划上云；虚线为目标", caption=_burnup_caption),
    "hour_weekday": Panel("事件 · 时段热力", ("incidents",), "/incidents", _hour_weekday, "事件按星期 × 小时分布",
                          uses_view=True, caption=_hour_weekday_caption, period=INCIDENT_PERIOD),
    "category_district": Panel("事件 · 分类 × 区县", ("incidents", "regions"), "/incidents", _category_district,
                               "各区县（区县视图下为各镇街）主要事件分类的数量，其余分类计入“其他”", uses_view=True,
                               period=INCIDENT_PERIOD),
    "ticker": Panel("事件 · 最新事件", ("incidents", "regions"), "/incidents", _ticker, "最新受理的事件（滚动）",
                    uses_view=True),  # no 统计期: the newest incidents, whatever their day (a row before today shows its date)
    "targets": Panel("省级目标指标", ("targets",), "/targets", _targets, "每项目标：实际值、目标值、期限与状态",
                     period="含市级目标"),
    "command": Panel("指挥调度", ("instructions",), "/tasks", _command,
                     "一句话响应：今日下达、未办结与超期的指令（超期按部门），指令办理的最新动态；与省级目标指标轮换显示",
                     slot="targets"),
}
#: extra renders that share a panel's inputs (drawn by the same callback)
EXTRA_RENDERS = {"districts": _districts}


# ---- KPI tiles -------------------------------------------------------------------------------------------

def _kpi_rate(ds: str, indicator_id: str, default):
    def render(f, c):
        return cx.kpi_rate(f.frame(ds, "summary"), indicator_id, f.frame("targets", "targets"), indicator_id, default,
                           c.today, as_of=_as_of(f, ds))
    return render


def _kpi_today(f, c):
    return cx.kpi_today(_incidents(f, c, "summary", "summary_by_district"), scope=c.scope,
                        as_of=_as_of(f, "incidents"), today=c.today)


def _kpi_closure(f, c):
    return cx.kpi_closure(_incidents(f, c, "summary", "summary_by_district"), INCIDENT_PERIOD, scope=c.scope,
                          as_of=_as_of(f, "incidents"), today=c.today)


def _kpi_targets(f, c):
    return cx.kpi_targets(f.frame("targets", "targets"), as_of=_as_of(f, "targets"))


#: the rate tiles: (dataset, indicator, the target shown while none is configured)
KPI_RATES = {"sharing": ("catalog", "sharing_rate", fb.SHARING_DEFAULT_TARGET),
             "aggregation": ("catalog", "gov_aggregation_rate", None),
             "cloud": ("systems", "cloud_migration_rate", fb.CLOUD_DEFAULT_TARGET)}

KPIS: dict[str, Panel] = {
    "sharing": Panel(tips.indicator("sharing_rate").name, ("catalog", "targets"), "/sharing",
                     _kpi_rate(*KPI_RATES["sharing"])),
    "aggregation": Panel(tips.indicator("gov_aggregation_rate").name, ("catalog", "targets"), "/sharing",
                         _kpi_rate(*KPI_RATES["aggregation"])),
    "cloud": Panel(tips.indicator("cloud_migration_rate").name, ("systems", "targets"), "/cloud",
                   _kpi_rate(*KPI_RATES["cloud"])),
    "today": Panel("今日事件", ("incidents",), "/incidents?period=today", _kpi_today, uses_view=True),
    "closure": Panel(tips.indicator("incident_closure_rate").name, ("incidents",), "/incidents", _kpi_closure,
                     uses_view=True),
    "targets": Panel(tips.indicator("target_attainment").name, ("targets",), "/targets", _kpi_targets),
}


def scope_names() -> list[str]:
    """The panels and tiles whose title bar carries a scope block redrawn with the view."""
    return [n for n, spec in PANELS.items() if spec.uses_view] + [f"kpi-{n}" for n, spec in KPIS.items() if spec.uses_view]


def spec_of(kind: str, name: str) -> Panel | None:
    """The Panel behind a render (kind 'panel', 'caption', 'kpi' or 'scope'; a scope's name is a
    panel's, or 'kpi-<tile>')."""
    if kind == "scope":
        return KPIS.get(name[4:]) if name.startswith("kpi-") else PANELS.get(name)
    return {"panel": PANELS, "caption": PANELS, "kpi": KPIS}.get(kind, {}).get(name)
