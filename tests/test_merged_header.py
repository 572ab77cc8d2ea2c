"""An Excel 统计表 whose header takes two rows: a group heading merged over its sub-headings
(办理情况 over 办理时限 / 办结时间 / 状态) beside headings merged down over both rows. A real file
written with openpyxl and its merges, read by configuration alone."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd

from tests.test_messy_exports import configure, pull


def write_two_row_header_sheet(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年7月工单统计表"])
    ws.merge_cells("A1:F1")
    ws.append(["工单编号", "类别", "受理时间", "办理情况", None, "备注"])
    ws.append([None, None, None, "办结时间", "状态", None])
    for cells in ("A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3"):
        ws.merge_cells(cells)
    ws.append(["T001", "噪声", datetime(2024, 7, 1, 9, 5), datetime(2024, 7, 2, 10, 0), 3, ""])
    ws.append(["T002", "市容", "2024/7/2 8:00", None, 1, "电话回访"])
    ws.append(["T003", "市容", 45476.5, None, "2", ""])  # an Excel serial day: 2024-07-03 12:00
    wb.save(path)


def test_a_merged_group_heading_over_sub_headings_is_one_header(tmp_path: Path):
    path = tmp_path / "统计表.xlsx"
    write_two_row_header_sheet(path)
    result = pull(configure(tmp_path, path))
    assert (result.rows_ok, result.rows_quarantined) == (3, 0)
    good = result.good.set_index("incident_id")
    assert good.index.tolist() == ["T001", "T002", "T003"]
    assert good["status"].tolist() == ["已办结", "受理", "处置中"]
    assert good.loc["T001", "closed_at"] == pd.Timestamp("2024-07-02 10:00")
    assert good.loc["T003", "reported_at"] == pd.Timestamp("2024-07-03 12:00")
    assert good["category"].tolist() == ["噪声", "市容", "市容"]


def test_an_explicit_header_row_reads_its_second_row_too(tmp_path: Path):
    path = tmp_path / "统计表.xlsx"
    write_two_row_header_sheet(path)
    auto = pull(configure(tmp_path, path))
    explicit = pull(configure(tmp_path, path, "header_row = 2"))
    assert explicit.good.equals(auto.good)
