"""The Excel workbook (XLSX) of all the numbers behind the wall and the briefing.

:func:`build_workbook` reads one snapshot of every dataset the wall draws and writes, in order: a
cover sheet (数据说明: the city, the view, each dataset's version, as-of time and freshness), one
sheet per wall panel with the aggregates it draws (dashboard/workbook_sheets.py, from the wall's own
selections), the department scoreboard and the targets' status (the briefing's tables) and the
口径 sheet: every indicator of the one registry (dashboard/indicators.py) with its formula, period,
exclusions and source documents, and the sheets that use it.

Every sheet starts with its header rows: the title, 范围 (全市 or the district, and the period),
统计期, 数据截至 (the pull that built its frames) and 口径; then its table under one frozen row of
Chinese headers. Rates are percentages, counts have thousands separators, dates are yyyy-mm-dd.
Raw incidents are not here: they belong to the drill-down table's download, with its own cap.
"""
from __future__ import annotations

import io
import math
import time
from datetime import date, datetime

import pandas as pd

from dashboard import workbook_sheets as ws
from dashboard.errors import MessageError
from dashboard.freshness import DATASET_LABELS, freshness
from dashboard.indicators import REGISTRY
from dashboard.workbook_sheets import Cell, Sheet, Source
from layouts.tips import as_of as as_of_of

#: the datasets the sheets read: the wall's, and the histories of the scoreboard and the targets' trends
DATASETS = ("departments", "regions", "catalog", "exchange", "systems", "incidents", "targets",
            "department_history", "indicator_history")
NUMBER_FORMATS = {ws.COUNT: "#,##0", ws.PERCENT: "0.0%", ws.DECIMAL: "#,##0.0", ws.SCORE: "0.0",
                  ws.SIGNED: "+0.0;-0.0;0.0", ws.DATE: "yyyy-mm-dd", ws.DATETIME: "yyyy-mm-dd hh:mm",
                  ws.MONTH: "yyyy-mm"}
MISSING = "—"
MAX_WIDTH = 60  # characters; longer text wraps
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WorkbookError(MessageError, ValueError):
    """The workbook cannot be made as asked; ``.message`` says why in Chinese and what to give instead."""


def build_workbook(settings, store, view: str | None = None, *, today: date | None = None,
                   geography=None) -> bytes:
    """The workbook's bytes (XLSX) for ``view``: None or ``"city"`` for 全市, ``"district:<区县编号>"``
    for a district (an unknown id raises :class:`WorkbookError` naming the valid ones).

    ``settings``: the app's :class:`~dashboard.settings.Settings`; ``store``: its frame store (one
    snapshot of each dataset is read, so every sheet is of the same publish); ``today``: the day the
    periods end on (default: today); ``geography``: the city's districts (default: loaded from
    ``settings``). Needs no running app, no browser and no database."""
    from dashboard.wall_view import Frames

    source = _source(settings, Frames(store, DATASETS), view, today or date.today(), geography)
    sheets = [make(source) for make in (*ws.PANEL_SHEETS, *ws.BRIEFING_SHEETS)]
    sheets = [cover_sheet(source, store, sheets), *sheets]
    sheets.append(registry_sheet(source, sheets))
    return write_xlsx(sheets, source)


def _source(settings, frames, view: str | None, today: date, geography) -> Source:
    from dashboard.geo import Geography, load_geography
    from layouts.wall_canvas import wall_geometry
    from layouts.wall_panels import Ctx, district_names

    if geography is None:
        try:
            geography = load_geography(settings)
        except Exception:  # the wall draws without a map then; so does the workbook
            geography = Geography()
    districts = district_names(geography)
    view = view or "city"
    if view != "city":
        region = view.removeprefix("district:")
        if not view.startswith("district:") or region not in districts:
            known = "、".join(f"district:{k}（{v}）" for k, v in districts.items()) or "（无区县数据）"
            raise WorkbookError(f"视图 {view} 无效：应为 city（全市）或 district:<区县编号>；可选：{known}")
    ctx = Ctx(wall_geometry(settings.city.canvas, settings.city.text_scale), settings, geography, view, today)
    return Source(frames, ctx, settings, districts)


def as_of_line(source: Source, datasets) -> str:
    """'数据截至：2026-12-01 09:15' (one time for all of ``datasets``, else each with its dataset's name)."""
    times = {ds: as_of_of(source.frame(ds, "as_of")) for ds in datasets}
    texts = {ds: MISSING if t is None or pd.isna(t) else f"{pd.Timestamp(t):%Y-%m-%d %H:%M}" for ds, t in times.items()}
    if len(set(texts.values())) == 1:
        return f"数据截至：{next(iter(texts.values()))}"
    return "数据截至：" + "；".join(f"{DATASET_LABELS.get(ds, ds)} {t}" for ds, t in texts.items())


def cover_sheet(source: Source, store, sheets: list[Sheet]) -> Sheet:
    """数据说明: each dataset's version (the archive's data version), as-of time and freshness."""
    statuses = store.statuses()
    now = time.time()
    rows = []
    for ds in DATASETS:
        status = statuses.get(ds)
        fresh = freshness(source.settings, status, now) if status is not None else None
        rows.append([DATASET_LABELS.get(ds, ds), ds, source.frames.version(ds),
                     as_of_of(source.frame(ds, "as_of")),
                     datetime.fromtimestamp(status.published_at) if status and status.published_at else None,
                     "未发布" if fresh is None else (fresh.badge or "正常")])
    contents = "、".join(s.name for s in sheets)
    return Sheet("数据说明", f"{source.settings.city.name} 智慧城市运行指挥中心 · 数据工作簿", DATASETS,
                 source.ctx.scope, "各表分别注明", (),
                 [("数据集", ws.TEXT), ("编号", ws.TEXT), ("数据版本", ws.COUNT), ("数据截至", ws.DATETIME),
                  ("发布时间", ws.DATETIME), ("新鲜度", ws.TEXT)], rows,
                 (f"导出时间：{datetime.now():%Y-%m-%d %H:%M}", f"工作表：{contents}、口径",
                  "数值与大屏所示一致，取自同一指标函数；原始事件明细请在事件下钻表格中下载"))


def registry_sheet(source: Source, sheets: list[Sheet]) -> Sheet:
    """口径: every indicator of the registry, and the sheets whose numbers follow it."""
    used: dict[str, list[str]] = {}
    for sheet in sheets:
        for indicator_id in sheet.indicators:
            used.setdefault(indicator_id, []).append(sheet.name)
    rows = [[i.id, i.name, i.unit, i.formula, i.period, i.excluded or MISSING, i.source_text(),
             "、".join(used.get(i.id, [])) or MISSING] for i in REGISTRY.values()]
    return Sheet("口径", "指标口径（指标口径手册）", DATASETS, "全市及各区县（各表注明范围）", "各指标注明", (),
                 [("指标编号", ws.TEXT), ("指标", ws.TEXT), ("单位", ws.TEXT), ("口径（计算公式）", ws.TEXT),
                  ("统计期", ws.TEXT), ("不计入", ws.TEXT), ("依据文件", ws.TEXT), ("所在工作表", ws.TEXT)], rows)


# ---- the XLSX ---------------------------------------------------------------------------------------------

def text_width(text: str) -> float:
    """Excel column width of ``text``: a CJK character is two digits wide."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in text)


def _missing(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)) or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value))


def _plain(value, kind: str):
    """The value as xlsxwriter writes it for ``kind``: a number, a datetime or text."""
    if _missing(value):
        return None
    if kind in (ws.DATE, ws.DATETIME, ws.MONTH):
        if isinstance(value, str):
            return value
        return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
    if kind in NUMBER_FORMATS and not isinstance(value, str):
        return float(value) if not isinstance(value, (int, bool)) else int(value)
    return value if isinstance(value, (int, float)) and kind != ws.TEXT else str(value)


def _shown(value, kind: str) -> str:
    """Roughly what Excel shows, for the column's width."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}" if kind == ws.DATETIME else f"{value:%Y-%m-%d}"
    if isinstance(value, float) and kind == ws.PERCENT:
        return f"{value * 100:.1f}%"
    if isinstance(value, (int, float)):
        return f"{value:,.1f}"
    return str(value)


def header_lines(sheet: Sheet, source: Source) -> list[str]:
    """The rows above a sheet's table: title, 范围, 统计期, 数据截至, 口径, then its notes."""
    names = "、".join(REGISTRY[i].name for i in sheet.indicators if i in REGISTRY)
    lines = [sheet.title, f"范围：{sheet.scope}", f"统计期：{sheet.period}", as_of_line(source, sheet.datasets)]
    if names:
        lines.append(f"口径：{names}（公式与依据文件见「口径」表）")
    return [*lines, *sheet.notes]


def write_xlsx(sheets: list[Sheet], source: Source) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    book.set_properties({"title": sheets[0].title, "subject": f"数据工作簿 · {source.ctx.scope}",
                         "company": source.settings.city.name})
    base = {"font_name": "等线", "font_size": 10, "valign": "top"}
    title = book.add_format({**base, "bold": True, "font_size": 14})
    line = book.add_format({**base, "font_color": "#44546A"})
    head = book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    formats = {}

    def fmt(kind: str, bold: bool = False):
        key = (kind, bold)
        if key not in formats:
            spec = {**base, "border": 1, "border_color": "#BFBFBF", "bold": bold}
            if kind in NUMBER_FORMATS:
                spec["num_format"] = NUMBER_FORMATS[kind]
            else:
                spec["text_wrap"] = True
            formats[key] = book.add_format(spec)
        return formats[key]

    for sheet in sheets:
        tab = book.add_worksheet(sheet.name)
        lines = header_lines(sheet, source)
        for r, text in enumerate(lines):
            tab.write_string(r, 0, text, title if r == 0 else line)
        top = len(lines) + 1  # a blank row, then the table's headers
        widths = [text_width(h) + 2 for h, _ in sheet.columns]
        for c, (header, _) in enumerate(sheet.columns):
            tab.write_string(top, c, header, head)
        for r, row in enumerate(sheet.rows, start=top + 1):
            bold = sheet.total_row and r == top + len(sheet.rows)
            for c, ((_, kind), value) in enumerate(zip(sheet.columns, row)):
                if isinstance(value, Cell):
                    kind, value = value.kind, value.value
                value = _plain(value, kind)
                cell = fmt(kind, bold)
                if value is None:
                    tab.write_string(r, c, MISSING, cell)
                elif isinstance(value, datetime):
                    tab.write_datetime(r, c, value, cell)
                elif isinstance(value, (int, float)):
                    tab.write_number(r, c, value, cell)
                else:
                    tab.write_string(r, c, value, cell)
                widths[c] = max(widths[c], text_width(_shown(value, kind)) + 2)
        for c, width in enumerate(widths):
            tab.set_column(c, c, min(width, MAX_WIDTH))
        tab.freeze_panes(top + 1, 0)
        # printed for a meeting: A4 landscape, one page wide, the headers on every page, page numbers
        tab.set_paper(9)
        tab.set_landscape()
        tab.fit_to_pages(1, 0)
        tab.repeat_rows(top)
        tab.set_footer(f"&L{sheet.name}&C第 &P 页，共 &N 页&R{source.ctx.scope}")
    book.close()
    return out.getvalue()
