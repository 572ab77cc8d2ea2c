"""Messy department exports, configured in TOML as an integrator would, read from real files written
here: mixed date layouts, a CSV with one malformed line, an XLSX 统计表 with a title row and
footers, JSON Lines, and errors that name the file's own headers. Each test asserts the exact rows
kept and quarantined and their reasons."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import orjson
import pandas as pd
import pytest

from dashboard.settings import Settings, SettingsError, load_settings
from datasources.adapters import SourceError, read_source
from datasources.contracts import RAW, REASON, ROW, validate

NOW = datetime(2024, 8, 1)
HEADER = "工单编号,类别,受理时间,办结时间,状态"

HOTLINE = """
[[sources]]
name = "12345热线"
dataset = "incidents"
kind = "files"
path = "{path}"
{options}
constants = {{ source = "12345" }}
columns = {{ "工单编号" = "incident_id", "类别" = "category", "受理时间" = "reported_at", "办结时间" = "closed_at", "状态" = "status" }}
values.status = {{ "1" = "受理", "2" = "处置中", "3" = "已办结" }}
"""


def configure(tmp_path: Path, path: Path | str, options: str = "", template: str = HOTLINE) -> Settings:
    config = tmp_path / "citywall.toml"
    where = path.as_posix() if isinstance(path, Path) else path
    config.write_text(template.format(path=where, options=options), encoding="utf-8")
    return load_settings(config, environ={})


def pull(settings: Settings, name: str = "12345热线"):
    source = settings.source(name)
    frame = read_source(source, settings)
    return validate(source.dataset, frame, date_format=source.date_format, now=NOW)


def reasons(result) -> list[str]:
    return result.quarantined[REASON].tolist()


# ---- 1. mixed date layouts -----------------------------------------------------------------------

def mixed_rows() -> list[str]:
    """30 tickets: 20 written 2024/7/D H:MM:SS, 9 written 2024年6月D日 HH:MM, one impossible date;
    every third one closed, its close time in the other layout; one close time unparseable."""
    lines = []
    for i in range(30):
        if i < 20:
            reported = f"2024/7/{i + 1} 10:17:00"
            closed = f"2024年7月{i + 1}日 18:05" if i % 3 == 0 else ""
        elif i < 29:
            reported = f"2024年6月{i - 19}日 06:44"
            closed = f"2024/6/{i - 19} 9:30" if i % 3 == 0 else ""
        else:
            reported, closed = "2024/13/45 10:00:00", ""
        status = "3" if closed else "1"
        if i == 3:
            closed, status = "昨天下午", "3"  # filled, but no layout fits
        lines.append(f"{i:05d},噪声,{reported},{closed},{status}")
    return lines


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_mixed_date_layouts_each_cell_by_the_first_layout_that_fits(tmp_path: Path, encoding: str):
    path = tmp_path / "12345.csv"
    path.write_bytes(("\n".join([HEADER, *mixed_rows()]) + "\n").encode(encoding))
    settings = configure(tmp_path, path, 'date_format = "%Y/%m/%d %H:%M:%S"')
    result = pull(settings)
    assert (result.rows_ok, result.rows_quarantined) == (28, 2)
    assert reasons(result) == ["closed_at 无法解析为日期时间: '昨天下午'",
                               "reported_at 无法解析为日期时间: '2024/13/45 10:00:00'"]
    good = result.good.set_index("incident_id")
    assert good.loc["00000", "reported_at"] == pd.Timestamp("2024-07-01 10:17")
    assert good.loc["00000", "closed_at"] == pd.Timestamp("2024-07-01 18:05")
    assert good.loc["00021", "reported_at"] == pd.Timestamp("2024-06-02 06:44")
    assert good.loc["00021", "closed_at"] == pd.Timestamp("2024-06-02 09:30")
    assert good["reported_at"].notna().all()
    assert int(good["closed_at"].notna().sum()) == 9


def test_configured_layouts_come_first_and_a_single_string_still_works(tmp_path: Path):
    path = tmp_path / "12345.csv"
    path.write_text(f"{HEADER}\nA,噪声,05/03/2024 08:00,,1\nB,噪声,45499.5,,1\nC,噪声,20240726,,1\n"
                    "D,噪声,2024-07-26T10:17:00,,1\nE,噪声,2024.7.26,,1\nF,噪声,12,,1\n", encoding="utf-8")
    day_first = pull(configure(tmp_path, path, 'date_format = ["%d/%m/%Y %H:%M", "excel"]'))
    month_first = pull(configure(tmp_path, path))
    for result in (day_first, month_first):
        assert (result.rows_ok, result.rows_quarantined) == (5, 1)
        assert reasons(result) == ["reported_at 无法解析为日期时间: '12'"]  # not an Excel serial of 1900
    got = day_first.good.set_index("incident_id")["reported_at"]
    assert got["A"] == pd.Timestamp("2024-03-05 08:00")  # the configured day-first layout wins
    assert month_first.good.set_index("incident_id").loc["A", "reported_at"] == pd.Timestamp("2024-05-03 08:00")
    assert got["B"] == pd.Timestamp("2024-07-26 12:00")
    assert got["C"] == got["D"].normalize() == got["E"] == pd.Timestamp("2024-07-26")
    assert got["D"] == pd.Timestamp("2024-07-26 10:17")


def test_a_bad_date_layout_setting_is_a_chinese_error(tmp_path: Path):
    with pytest.raises(SettingsError, match="date_format.*日期格式 'yyyy-mm-dd' 无效"):
        configure(tmp_path, "x.csv", 'date_format = ["%Y年%m月%d日", "yyyy-mm-dd"]')


def test_numbers_and_iso_times_parse_alike_on_arrows_fast_path_and_pandas(tmp_path: Path):
    """A CSV column arrives Arrow-backed; one bad cell sends the whole column to pandas' parser."""
    rows = [f"{i},噪声,2024-07-0{i + 1} 08:00:00,,1,113.{i},28.2" for i in range(4)]
    path = tmp_path / "12345.csv"
    path.write_text("\n".join([HEADER + ",经度,纬度", *rows]) + "\n", encoding="utf-8")
    template = HOTLINE.replace('"状态" = "status" }}', '"状态" = "status", "经度" = "lon", "纬度" = "lat" }}')
    clean = pull(configure(tmp_path, path, template=template))
    path.write_text("\n".join([HEADER + ",经度,纬度", *rows, "9,噪声,2024-7-9 8:00,,1,x,28.2"]) + "\n",
                    encoding="utf-8")
    mixed = pull(configure(tmp_path, path, template=template))
    assert (clean.rows_ok, clean.rows_quarantined) == (4, 0)
    assert (mixed.rows_ok, mixed.rows_quarantined) == (4, 1)
    assert mixed.quarantined[REASON].tolist() == ["lon 无法解析为数字: 'x'"]
    assert clean.good.equals(mixed.good)
    assert clean.good["lon"].tolist() == [113.0, 113.1, 113.2, 113.3]
    assert clean.good["reported_at"].iloc[3] == pd.Timestamp("2024-07-04 08:00")


# ---- 2. one malformed line -----------------------------------------------------------------------

def test_one_unquoted_comma_quarantines_its_line_and_the_rest_loads(tmp_path: Path):
    rows = [f"{i:05d},噪声,2024/7/{i % 28 + 1} 10:00:00,,1" for i in range(289)]
    rows[8] = "00008,噪声,夜间施工,2024/7/9 10:00:00,,1"  # row 9: an unquoted comma in 类别
    rows[20] = "00020,噪声"  # a line cut short
    path = tmp_path / "12345.csv"
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("gbk"))
    result = pull(configure(tmp_path, path))
    assert (result.rows_ok, result.rows_quarantined) == (287, 2)
    assert result.quarantined[ROW].tolist() == [9, 21]  # rows 9 and 21; the reasons name the file's lines
    assert reasons(result) == [
        "文件 12345.csv 第 10 行有 6 个字段，多于表头的 5 列（可能含未加引号的逗号），无法拆分为字段",
        "文件 12345.csv 第 22 行只有 2 个字段，少于表头的 5 列（字段缺失或错位），无法拆分为字段"]
    assert result.quarantined[RAW].tolist() == [rows[8], rows[20]]
    assert "00008" not in set(result.good["incident_id"]) and "00009" in set(result.good["incident_id"])


def test_set_aside_lines_keep_their_place_across_blank_lines_and_files(tmp_path: Path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.csv").write_text(f"{HEADER}\n1,噪声,2024/7/1 10:00,,1\n\n2,噪声,2024/7/2 10:00,,1\n", encoding="utf-8")
    (drop / "b.csv").write_text(f"{HEADER}\n3,噪声,2024/7/3 10:00,,1\n\n4,噪声,噪声,2024/7/4,,1\n5,噪声,2024/7/5,,1\n",
                                encoding="gbk")
    result = pull(configure(tmp_path, drop / "*.csv"))
    assert (result.rows_ok, result.rows_quarantined) == (4, 1)
    assert result.quarantined[ROW].tolist() == [4]  # the 4th row read: a.csv gave 2, b.csv's 2nd row
    assert reasons(result) == ["文件 b.csv 第 4 行有 6 个字段，多于表头的 5 列（可能含未加引号的逗号），无法拆分为字段"]
    assert result.quarantined["incident_id"].tolist() == [""]  # nothing from a line that never split


# ---- 3. title rows and footers -------------------------------------------------------------------

def write_statistics_sheet(path: Path) -> None:
    """A 统计表 as departments send it: a title, a date line, the header, a 单位 row, 6 tickets,
    a blank row, then 合计 / 填报人 / 注 lines."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2024年7月12345热线工单统计表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["统计日期：2024年7月31日", None, None, None, "单位：件"])
    sheet.append(HEADER.split(","))
    sheet.append(["（编号）", "（类别）", "（时间）", "（时间）", "（代码）"])
    for i in range(6):
        sheet.append([f"T{i:03d}", "噪声", datetime(2024, 7, i + 1, 9, 30), None, 1])
    sheet.append([])
    sheet.append(["合计", None, None, None, 6])
    sheet.append(["填报人：张三", None, "审核人：李四"])
    sheet.append(["注：本表数据来源于12345热线工单系统。"])
    book.save(path)


def test_xlsx_with_title_rows_and_footers(tmp_path: Path):
    path = tmp_path / "统计表.xlsx"
    write_statistics_sheet(path)
    # the header is found by the mapped column names; the 单位 row below it is skipped
    result = pull(configure(tmp_path, path, 'skip_rows = 1\nfooter = "^(填报人|注|合计)"'))
    assert (result.rows_ok, result.rows_quarantined) == (6, 0)
    assert result.good["incident_id"].tolist() == [f"T{i:03d}" for i in range(6)]
    assert result.good["reported_at"].iloc[5] == pd.Timestamp("2024-07-06 09:30")

    explicit = pull(configure(tmp_path, path, 'header_row = 3\nskip_rows = 1\nfooter = "^(填报人|注|合计)"'))
    assert explicit.good.equals(result.good)

    # without the footer setting the three footer lines are rows, and break the contract
    no_footer = pull(configure(tmp_path, path, "skip_rows = 1"))
    assert (no_footer.rows_ok, no_footer.rows_quarantined) == (6, 3)
    assert no_footer.quarantined["incident_id"].tolist() == ["合计", "填报人：张三", "注：本表数据来源于12345热线工单系统。"]


def test_csv_with_a_title_row_and_footer_lines(tmp_path: Path):
    lines = ["2024年7月12345热线工单统计表,,,,", HEADER,
             *[f"{i:03d},噪声,2024/7/{i + 1} 10:00,,1" for i in range(5)],
             "填报人：张三", "注：数据截至2024年7月31日"]
    path = tmp_path / "统计表.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    result = pull(configure(tmp_path, path, 'footer = "^(填报人|注|合计)"'))
    assert (result.rows_ok, result.rows_quarantined) == (5, 0)
    assert result.good["incident_id"].tolist() == ["000", "001", "002", "003", "004"]


def test_a_bad_footer_regex_is_a_chinese_error(tmp_path: Path):
    with pytest.raises(SettingsError, match="footer = '\\^\\(填报人': 不是合法的正则表达式"):
        configure(tmp_path, "x.csv", 'footer = "^(填报人"')


def test_header_row_beyond_the_file_is_a_source_error(tmp_path: Path):
    path = tmp_path / "12345.csv"
    path.write_text(f"{HEADER}\n1,噪声,2024/7/1,,1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="数据源「12345热线」header_row = 9 超出了文件的行数"):
        pull(configure(tmp_path, path, "header_row = 9"))


def test_header_only_file_is_zero_rows_and_an_empty_file_an_error(tmp_path: Path):
    path = tmp_path / "12345.csv"
    path.write_text(HEADER, encoding="utf-8")  # no newline after the header, no rows
    result = pull(configure(tmp_path, path))
    assert (result.rows_ok, result.rows_quarantined) == (0, 0)
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="数据源「12345热线」文件为空（0 字节）"):
        pull(configure(tmp_path, path))


# ---- 4. errors that point the right way ----------------------------------------------------------

def test_a_missing_mapped_column_names_the_files_headers_and_the_nearest_match(tmp_path: Path):
    path = tmp_path / "12345.csv"
    path.write_text("工单编号,类别,受理日期,办结时间,状态\n1,噪声,2024/7/1,,1\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        pull(configure(tmp_path, path))
    message = str(info.value)
    assert message == ("数据源「12345热线」的事件数据缺少必需列: reported_at（配置 columns 映射自「受理时间」，"
                       "文件中没有这一列，最接近的是「受理日期」）。文件的列: 工单编号, 类别, 受理日期, 办结时间, 状态；"
                       "请在配置 columns 中映射")
    assert "lon" not in message and "source," not in message  # nothing the mapping invented


# ---- JSON Lines and JSON files -------------------------------------------------------------------

JSON_SOURCE = """
[[sources]]
name = "爬虫"
dataset = "incidents"
kind = "{kind}"
{where} = "{path}"
{options}
constants = {{ source = "爬虫" }}
columns = {{ id = "incident_id", type = "category", created = "reported_at", state = "status", "pos.lon" = "lon", "pos.lat" = "lat" }}
"""


def crawler_records(n: int) -> list[dict]:
    return [{"id": f"C{i:03d}", "type": "井盖缺失", "created": f"2024年7月{i + 1}日 08:00", "state": "受理",
             "pos": {"lon": 113.0, "lat": 28.2}} for i in range(n)]


def jsonl_body(n: int) -> bytes:
    lines = [orjson.dumps(r) for r in crawler_records(n)]
    lines[3] = '{"id": "C003", "type": "井盖缺失", "created": '.encode()  # the crawler was cut off mid-line
    return b"\n".join(lines) + b"\n"


def test_json_lines_file_sets_aside_a_broken_line(tmp_path: Path):
    path = tmp_path / "dump.jsonl"
    path.write_bytes(jsonl_body(8))
    template = JSON_SOURCE.replace("{kind}", "files").replace("{where}", "path")
    result = pull(configure(tmp_path, path, template=template), "爬虫")
    assert (result.rows_ok, result.rows_quarantined) == (7, 1)
    assert result.quarantined[ROW].tolist() == [4]
    assert reasons(result)[0].startswith("文件 dump.jsonl 的内容第 4 行不是合法的 JSON")
    assert result.quarantined[RAW].iloc[0] == '{"id": "C003", "type": "井盖缺失", "created": '
    assert result.good["lon"].tolist() == [113.0] * 7


def test_json_lines_over_http(tmp_path: Path, http_server):
    url = http_server.route("/export", jsonl_body(6), content_type="application/x-ndjson")
    template = JSON_SOURCE.replace("{kind}", "http").replace("{where}", "url")
    result = pull(configure(tmp_path, url, template=template), "爬虫")  # told apart from JSON by its body
    assert (result.rows_ok, result.rows_quarantined) == (5, 1)
    assert reasons(result)[0].startswith("返回的内容第 4 行不是合法的 JSON")


def test_json_file_with_records_path(tmp_path: Path):
    path = tmp_path / "export.json"
    path.write_bytes(orjson.dumps({"code": 0, "data": {"rows": crawler_records(4)}}))
    template = JSON_SOURCE.replace("{kind}", "files").replace("{where}", "path")
    result = pull(configure(tmp_path, path, 'records_path = "data.rows"', template=template), "爬虫")
    assert (result.rows_ok, result.rows_quarantined) == (4, 0)
    assert result.good["reported_at"].iloc[3] == pd.Timestamp("2024-07-04 08:00")
