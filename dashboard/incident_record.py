"""The view model of /incident/<id>: one incident's full record, from the published ``detail``
frame of the incidents dataset (what the puller published, never the source).

:func:`record_view` takes the published frames, the city's geography and the id from the URL and
returns an :class:`IncidentRecord`: every field under its Chinese label, as the incident table shows
it (dashboard/incident_table.py's values, masked per ``app.mask_personal`` the same way), the
status and its timeline, and the breadcrumb 全市 › 区县 › 镇街 › 网格 › 事件 <id>. An id the frame
does not hold, or one that cannot be an id, gives a record with ``found`` False and a Chinese notice.
"""
from __future__ import annotations

import re
from urllib.parse import quote, unquote
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from dashboard import formatting as fmt
from dashboard import incident_table
from dashboard.incident_query import IncidentQuery
from dashboard.incident_view import crumbs_of, lineage, region_names
from dashboard.masking import mask_text

#: what an incident id may hold: letters (any script), digits and - _ . : / # ( ), up to 64 characters
ID_PATTERN = re.compile(r"[\w\-.:/#()（）]{1,64}")
NOT_FOUND_TITLE = "事件不存在（404）"


@dataclass(frozen=True)
class Step:
    """One moment of the incident's timeline: 受理, 办理时限, 办结 (or what is still pending)."""
    label: str
    when: str
    state: str  # "done" | "due" | "late" | "pending"
    note: str = ""


@dataclass(frozen=True)
class IncidentRecord:
    incident_id: str
    found: bool
    notice: str = ""
    crumbs: list[tuple[str, str | None]] = field(default_factory=list)
    district: str | None = None  # the incident's district (the wall's district view), None when unknown
    fields: list[tuple[str, str]] = field(default_factory=list)  # (Chinese label, shown value)
    status: str = ""
    overdue: bool = False
    timeline: list[Step] = field(default_factory=list)
    list_href: str = "/incidents"  # the incidents of its grid, where the table lists it

    @property
    def title(self) -> str:
        return f"事件 {self.incident_id}" if self.found else NOT_FOUND_TITLE


def record_href(incident_id: str) -> str:
    return f"/incident/{quote(str(incident_id), safe='')}"


def _moment(value) -> str:
    return fmt.MISSING if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


def _timeline(row: pd.Series, now: datetime) -> list[Step]:
    """受理, 办理时限 and 办结 in the order they happened (what is still pending last)."""
    reported, deadline, closed = row["reported_at"], row["deadline_at"], row["closed_at"]
    steps = [Step("受理", _moment(reported), "done", str(row["source"]))]
    if pd.notna(deadline):
        late = closed > deadline if pd.notna(closed) else pd.Timestamp(now) > deadline
        note = ("超期办结" if late else "按期办结") if pd.notna(closed) else ("已超期，尚未办结" if late else "期限内")
        steps.append(Step("办理时限", _moment(deadline), "late" if late else "due", note))
    if pd.notna(closed):
        hours = row["handling_hours"]
        steps.append(Step("办结", _moment(closed), "done", f"处置时长 {fmt.hours(hours)}" if pd.notna(hours) else ""))
    else:
        steps.append(Step("办结", "尚未办结", "pending", f"当前状态：{row['status']}"))
    # the formatted moments sort as the moments do; a pending step sorts after every date
    return sorted(steps, key=lambda s: (s.state == "pending", s.when))


def _not_found(incident_id: str, notice: str) -> IncidentRecord:
    return IncidentRecord(incident_id=incident_id, found=False, notice=notice,
                          crumbs=[("全市", "/incidents"), (NOT_FOUND_TITLE, None)])


def record_view(frames: dict, geography, incident_id: str, now: datetime, *, mask: bool = True) -> IncidentRecord:
    """The record of ``incident_id`` in the published frames (see the module's docstring)."""
    incident_id = str(incident_id or "").strip()
    named = mask_text(incident_id) if mask else incident_id  # the id as this page may show it back
    if not ID_PATTERN.fullmatch(incident_id):
        named = named[:24] + ("…" if len(named) > 24 else "")
        return _not_found(named, f"事件编号「{named}」格式不正确：应为 1–64 位字母、数字或 - _ . : / #，"
                                 "请从事件列表点开事件，或检查链接是否完整")
    detail = frames.get("detail")
    if detail is None:
        return _not_found(named, "事件数据尚未汇聚，暂时无法查看事件详情，请稍后再试")
    rows = incident_table.with_ids(detail, [incident_id]).iloc[:1]
    if rows.empty:
        return _not_found(named, f"未找到事件「{named}」：编号不存在，或该事件已不在最新发布的数据中")
    row = rows.iloc[0]
    shown = incident_table.display(rows, region_names(geography), mask).to_pylist()[0]
    fields = [("处置时长", fmt.hours(row["handling_hours"]) if pd.notna(row["handling_hours"]) else fmt.MISSING)
              if column == "handling_hours" else (label, fmt.MISSING if shown[column] in ("", None) else str(shown[column]))
              for column, label in incident_table.COLUMNS.items()]
    fields.append(("坐标（经度, 纬度）", fmt.MISSING if pd.isna(row["lon"]) else f"{row['lon']:.5f}, {row['lat']:.5f}"))
    grid = str(row["grid_id"]) if pd.notna(row["grid_id"]) else None
    chain = lineage(geography, grid) if grid else []
    query = IncidentQuery(region=chain[-1] if chain else None)
    crumbs = crumbs_of(query, geography)
    crumbs = [*crumbs[:-1], (crumbs[-1][0], query.href()), (f"事件 {shown['incident_id']}", None)]
    return IncidentRecord(
        incident_id=str(shown["incident_id"]), found=True, crumbs=crumbs, district=chain[0] if chain else None,
        fields=fields, status=str(row["status"]), overdue=bool(row["overdue"]),
        timeline=_timeline(row, now), list_href=query.href())


def current_record(incident_id: str) -> IncidentRecord:
    """The record in the running app: its published incidents, its geography, ``app.mask_personal``."""
    from dashboard import runtime
    from dashboard.incident_view import current_frames

    rt = runtime.current()
    return record_view(current_frames(), rt.geography, incident_id, datetime.now(), mask=rt.settings.app.mask_personal)


def install(app) -> None:
    """A request for /incident/<id> of an unknown or malformed id is answered with HTTP 404 (the page
    itself, which says so in Chinese, still renders in the browser)."""
    import flask

    from dashboard.pages import match

    catch_all = app.config.routes_pathname_prefix + "<path:path>"

    def not_found_status(response):
        request = flask.request
        if request.method != "GET" or request.endpoint != catch_all or response.status_code != 200:
            return response
        hit = match(app.strip_relative_path(request.path))
        if hit and hit[0].get("module") == "layouts.incident_record" and \
                not current_record(unquote(hit[1].get("incident_id", ""))).found:
            response.status_code = 404
        return response

    app.server.after_request(not_found_status)
