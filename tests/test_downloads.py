"""The one download writer (dashboard/downloads.py) and the routes that use it: real files read back
with openpyxl, a pulled demo city served through Flask's test client, the cap from settings."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pyarrow as pa
import pytest
from openpyxl import load_workbook

from dashboard import downloads, runtime
from tests.demo_app import demo_test_client

COLUMNS = [downloads.Column("事件编号"), downloads.Column("受理时间", "datetime"), downloads.Column("期限", "date"),
           downloads.Column("处置时长（小时）", "decimal"), downloads.Column("共享率", "percent", missing="—"),
           downloads.Column("条目", "integer")]


def _batch(n: int, start: int = 0) -> pa.Table:
    moments = [datetime(2026, 11, 30, 9, 15) if i % 2 == 0 else None for i in range(start, start + n)]
    return pa.table({
        "a": [f"E{i:04d}" for i in range(start, start + n)],
        "b": pa.array(moments, pa.timestamp("us")),
        "c": pa.array([datetime(2026, 12, 31)] * n, pa.timestamp("us")),
        "d": pa.array([2.25 if i % 3 else None for i in range(start, start + n)], pa.float64()),
        "e": pa.array([0.8523 if i % 2 else None for i in range(start, start + n)], pa.float64()),
        "f": pa.array([1234.0] * n, pa.float64()),
    })


def test_xlsx_has_a_frozen_chinese_header_widths_and_real_dates_and_numbers(tmp_path):
    path = tmp_path / "out.xlsx"
    written = downloads.write_xlsx(path, "事件明细", COLUMNS, [_batch(3), _batch(2, start=3)])
    book = load_workbook(path)
    sheet = book["事件明细"]
    rows = list(sheet.iter_rows(values_only=True))
    assert written == 5 and len(rows) == 6
    assert rows[0] == ("事件编号", "受理时间", "期限", "处置时长（小时）", "共享率", "条目")
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F6"
    assert rows[1][:2] == ("E0000", datetime(2026, 11, 30, 9, 15)) and rows[2][1] is None  # an empty moment: blank
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm" and sheet["C2"].number_format == "yyyy-mm-dd"
    assert rows[1][2] == datetime(2026, 12, 31) and rows[2][3] == pytest.approx(2.25)
    assert sheet["D3"].number_format == "0.0" and sheet["E3"].number_format == "0.0%" and rows[2][4] == 0.8523
    assert rows[1][4] == "—" and sheet["F2"].number_format == "#,##0" and rows[1][5] == 1234
    # a CJK header is two characters wide per glyph: 处置时长（小时） needs more than the default
    assert sheet.column_dimensions["D"].width >= 18 and sheet.column_dimensions["B"].width >= 17


def test_xlsx_text_keeps_markup_as_text_and_drops_what_xml_cannot_hold(tmp_path):
    """The sheet's XML is built by string kernels (dashboard/xlsx_stream.py): markup is escaped, control
    characters XML 1.0 cannot hold are dropped, and a quote in the sheet's title is kept."""
    path = tmp_path / "markup.xlsx"
    columns = [downloads.Column("名称"), downloads.Column("备注", missing="—")]
    batch = pa.table({"a": ["<script>alert('x')</script> & 局", "控制\x01字符\x1f"], "b": [None, ""]})
    assert downloads.write_xlsx(path, "部门's 表", columns, [batch], notice="（已截断）") == 2
    sheet = load_workbook(path)["部门's 表"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("<script>alert('x')</script> & 局", "—") and rows[2] == ("控制字符", "—")
    assert rows[4][0] == "（已截断）" and sheet["A5"].font.bold  # the notice, one line below the data


def test_csv_has_a_bom_text_dates_percentages_and_the_notice_last():
    body = b"".join(downloads.csv_chunks(COLUMNS, [_batch(2)], notice=downloads.truncation_notice(10, 2)))
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "事件编号" and rows[1] == ["E0000", "2026-11-30 09:15", "2026-12-31", "", "—", "1234"]
    assert rows[2][1:5] == ["", "2026-12-31", "2.2", "85.2%"]  # one decimal, as the XLSX shows it
    assert len(rows) == 4 and rows[3][0].startswith("（已截断：所选范围共 10 行，超过下载上限 2 行，本文件只含前 2 行")
    assert downloads.truncation_notice(2, 2) is None


def test_an_unknown_column_kind_is_refused_in_chinese():
    with pytest.raises(ValueError, match="未知的下载列类型「money」"):
        downloads.Column("金额", "money")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return demo_test_client(tmp_path_factory.mktemp("downloads"))


@pytest.fixture
def cap_of(monkeypatch):
    """Set ``app.download_max_rows`` of the running app for one test."""
    def _cap(rows: int):
        rt = runtime.current()
        app = rt.settings.app.model_copy(update={"download_max_rows": rows})
        monkeypatch.setattr(rt, "settings", rt.settings.model_copy(update={"app": app}))
    return _cap


def _csv_rows(answer) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def test_programme_downloads_honour_the_cap_and_say_they_were_cut(client, leader_caller, cap_of):
    departments = len(runtime.current().store.frame("departments", "departments"))
    cap_of(3)
    answer = client.get("/drill-download/scoreboard.csv")
    rows = _csv_rows(answer)
    assert answer.headers["X-Rows"] == "3" and answer.headers["X-Rows-Truncated"] == "1"
    assert answer.headers["X-Rows-Total"] == str(departments) and answer.headers["X-Rows-Cap"] == "3"
    assert len(rows) == 1 + 3 + 1 and rows[-1][0].startswith(f"（已截断：所选范围共 {departments:,} 行，超过下载上限 3 行")
    book = load_workbook(io.BytesIO(client.get("/drill-download/scoreboard.xlsx").data), read_only=True)
    sheet = [r for r in book.active.values if any(v is not None for v in r)]
    assert len(sheet) == 1 + 3 + 1 and str(sheet[-1][0]).startswith("（已截断")
    cap_of(departments)
    whole = client.get("/drill-download/scoreboard.csv")
    assert whole.headers["X-Rows-Truncated"] == "0" and len(_csv_rows(whole)) == 1 + departments


def test_the_incidents_download_says_it_was_cut_at_the_cap(client, leader_caller, cap_of):
    cap_of(5)
    answer = client.get("/download/incidents.csv?period=year")
    rows = _csv_rows(answer)
    total = int(answer.headers["X-Rows-Total"])
    assert total > 5 and answer.headers["X-Rows"] == "5" and answer.headers["X-Rows-Truncated"] == "1"
    assert len(rows) == 1 + 5 + 1 and rows[-1][0].startswith(f"（已截断：所选范围共 {total:,} 行")
    assert "filename*=UTF-8''%E4%BA%8B%E4%BB%B6%E6%98%8E%E7%BB%86-" in answer.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(client.get("/download/incidents.xlsx?period=year").data))
    sheet = book.active
    assert sheet.title == "事件明细" and sheet.freeze_panes == "A2" and isinstance(sheet["B2"].value, datetime)
    assert str(sheet.cell(row=8, column=1).value).startswith("（已截断")


def test_programme_download_values_keep_their_formats(client, leader_caller):
    book = load_workbook(io.BytesIO(client.get("/drill-download/cloud_systems.xlsx").data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    planned = header.index("计划上云") + 1
    dated = [sheet.cell(row=r, column=planned) for r in range(2, sheet.max_row + 1)
             if isinstance(sheet.cell(row=r, column=planned).value, datetime)]
    assert dated and all(c.number_format == "yyyy-mm-dd" for c in dated)
    ranking = load_workbook(io.BytesIO(client.get("/drill-download/sharing.xlsx").data)).active
    rate = [c.value for c in ranking[1]].index("共享率") + 1
    assert ranking.cell(row=2, column=rate).number_format == "0.0%"
    assert 0 <= ranking.cell(row=2, column=rate).value <= 1


def test_the_incident_table_says_when_its_download_would_be_cut(client):
    from datetime import date

    from dashboard.incident_view import current_frames, incidents_view
    from dashboard.pages import components
    from layouts import incidents

    frames, geography = current_frames(), runtime.current().geography

    def cap_note(cap):
        page = incidents.page(incidents_view(frames, geography, {"period": "year"}, date.today(), download_cap=cap))
        return [c.children for c in components(page) if getattr(c, "id", None) == "inc-download-cap"]
    assert cap_note(5) == ["超过下载上限：只下载前 5 件"]
    assert cap_note(1_000_000) == []
