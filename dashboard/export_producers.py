"""What each kind of export is made by: a small registry, one :class:`Producer` per kind.

An export job (dashboard/export_jobs.py) looks its kind up here and calls the producer with an
:class:`ExportContext`: the settings, the frame store, the view, the app served on a private
127.0.0.1 port for the captures, and the runner's warm Chromium. A producer's module is imported only when it runs (``requires``
names its function), so a kind whose module is not there yet is listed as 尚未可用 and fails in
Chinese when asked for, and the other kinds keep working. Wiring another kind is one
:func:`register` line.

Views: ``city`` (全市), ``district:<id>`` (that district's wall) or a page path (``/briefing``,
``/incidents?…``).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from dashboard.capture import BRIEFING_PATH  # the 通报's page (capture.py imports Playwright only when it captures)
from dashboard.errors import MessageError

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportError(MessageError, RuntimeError):
    """An export could not be made; ``.message`` says why in Chinese."""


@dataclass(frozen=True)
class ExportContext:
    settings: object
    store: object
    view: str
    base_url: Callable[[], str]  # the app on 127.0.0.1, started on first use
    made_by: str = ""  # who asked (the capture's audit rows name them)
    browser: object = None  # the runner's warm Chromium (dashboard/capture_browser.py); None: one per capture


@dataclass(frozen=True)
class Producer:
    kind: str  # png | pdf | xlsx: the file's extension too
    label: str  # 大屏 PNG
    stage: str  # the progress word while it runs: 截图中, 生成中
    mimetype: str
    default_view: str
    requires: str  # "module:function" the producer calls, imported when it runs
    make: Callable[[Callable, ExportContext], bytes]  # (the required function, context) → the file's bytes

    def function(self) -> Callable:
        module, _, name = self.requires.partition(":")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            raise ExportError(f"{self.label} 导出尚未可用（缺少 {self.requires.replace(':', '.')}）") from None

    @property
    def available(self) -> bool:
        try:
            self.function()
        except ExportError:
            return False
        return True

    def produce(self, context: ExportContext) -> bytes:
        return self.make(self.function(), context)


PRODUCERS: dict[str, Producer] = {}


def register(producer: Producer) -> Producer:
    PRODUCERS[producer.kind] = producer
    return producer


def producer(kind: str) -> Producer:
    if kind not in PRODUCERS:
        raise ExportError(f"未知的导出类型「{kind}」：可选 {'、'.join(PRODUCERS)}")
    return PRODUCERS[kind]


def capture_target(settings, view: str) -> tuple[str, tuple[int, int]]:
    """(the capture's address, its viewport) for a view: the wall at the canvas size, a page at 1920×1080."""
    from dashboard import capture

    if view.startswith("/"):
        return capture.capture_path(view), capture.DRILL_SIZE
    return capture.wall_path(view), tuple(settings.city.canvas)


def _png(capture_png, ctx: ExportContext) -> bytes:
    path, size = capture_target(ctx.settings, ctx.view)
    return capture_png(ctx.settings, ctx.base_url(), path, size, on_behalf_of=ctx.made_by or "导出任务",
                       browser=ctx.browser).png


def _pdf(capture_pdf, ctx: ExportContext) -> bytes:
    return capture_pdf(ctx.settings, ctx.base_url(), ctx.view, footer=f"{ctx.settings.city.name} · 通报",
                       on_behalf_of=ctx.made_by or "导出任务", browser=ctx.browser)


def _xlsx(build_workbook, ctx: ExportContext) -> bytes:
    from dashboard.workbook import WorkbookError

    try:
        return build_workbook(ctx.settings, ctx.store, ctx.view)
    except WorkbookError as exc:
        raise ExportError(exc.message) from None


register(Producer("png", "大屏 PNG", "截图中", "image/png", "city", "dashboard.capture:capture_png", _png))
register(Producer("pdf", "通报 PDF", "生成中", "application/pdf", BRIEFING_PATH, "dashboard.capture:capture_pdf", _pdf))
register(Producer("xlsx", "数据 Excel", "生成中", XLSX_MIMETYPE, "city", "dashboard.workbook:build_workbook", _xlsx))


def view_label(view: str, districts: dict[str, str]) -> str:
    """全市, the district's name, or the page: what the archive lists as the export's view."""
    if view == "city":
        return "全市"
    if view.startswith("district:"):
        region = view.removeprefix("district:")
        return districts.get(region, region)
    return "通报" if view == BRIEFING_PATH else f"页面 {view}"


def check_view(view: str, districts: dict[str, str]) -> str:
    """The view itself, or an :class:`ExportError` naming the valid ones."""
    if view == "city" or view.startswith("/"):
        return view
    if view.startswith("district:") and view.removeprefix("district:") in districts:
        return view
    known = "、".join(f"district:{k}（{v}）" for k, v in districts.items()) or "（无区县数据）"
    raise ExportError(f"视图 {view} 无效：应为 city、district:<区县编号> 或以 / 开头的页面路径；可选区县：{known}")


def export_label(params: dict) -> str:
    """A job's label: 导出大屏 PNG「全市」."""
    kind = params.get("kind", "")
    name = PRODUCERS[kind].label if kind in PRODUCERS else kind
    where = params.get("label") or params.get("view", "")
    return f"导出{name}「{where}」" if where else f"导出{name}"
