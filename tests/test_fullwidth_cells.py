"""Full-width digits and letters (全角, typed with a Chinese input method) in a department's export:
dates, numbers and status codes read as their half-width forms; text columns keep what was typed.
A real GBK CSV written here, read by configuration alone."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.test_messy_exports import HEADER, configure, pull


def test_fullwidth_dates_numbers_and_codes_load(tmp_path: Path):
    path = tmp_path / "12345.csv"
    path.write_text("\n".join([
        HEADER,
        "F001,市容（占道）,２０２４-０７-０１　０９:０５,２０２４／７／２ １０：００,３",
        "F002,噪声,2024/7/2 8:00,,２",
        "F003,噪声,２０２４年７月３日,,1",
    ]) + "\n", encoding="gbk")
    result = pull(configure(tmp_path, path))
    assert (result.rows_ok, result.rows_quarantined) == (3, 0), result.quarantined.to_dict("records")
    good = result.good.set_index("incident_id")
    assert good["reported_at"].tolist() == [pd.Timestamp("2024-07-01 09:05"), pd.Timestamp("2024-07-02 08:00"),
                                           pd.Timestamp("2024-07-03")]
    assert good.loc["F001", "closed_at"] == pd.Timestamp("2024-07-02 10:00")
    assert good["status"].tolist() == ["已办结", "处置中", "受理"]
    assert good.loc["F001", "category"] == "市容（占道）"  # text is kept as typed


def test_fullwidth_coordinates_are_numbers(tmp_path: Path):
    path = tmp_path / "12345.csv"
    path.write_text("工单编号,类别,受理时间,状态,经度,纬度\nF001,噪声,2024/7/1 9:00,1,１１３．１２,２８．１１\n", encoding="utf-8")
    settings = configure(tmp_path, path).model_copy()
    source = settings.sources[0]
    columns = {**source.columns, "经度": "lon", "纬度": "lat"}
    settings = settings.model_copy(update={"sources": [source.model_copy(update={"columns": columns})]})
    result = pull(settings)
    assert result.rows_ok == 1, result.quarantined.to_dict("records")
    assert (result.good.loc[0, "lon"], result.good.loc[0, "lat"]) == (113.12, 28.11)
