"""Source adapters: mapping by configuration, SQL, CSV/XLSX files and HTTP JSON, against real
SQLite files, real files on disk and a real local HTTP server (no mocks)."""
from __future__ import annotations

import pickle
import socket
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import orjson
import pandas as pd
import pytest

from dashboard.settings import AppSettings, Settings, SourceSettings, load_settings
from datasources.adapters import SourceError, read_source
from datasources.contracts import CONTRACTS, ContractError, validate
from datasources.mapping import apply_mapping

INCIDENTS = CONTRACTS["incidents"].names
NOW = datetime(2024, 6, 1)


def incidents_source(**overrides) -> SourceSettings:
    options = dict(name="12345热线", dataset="incidents", kind="files", path="unused.csv",
                   constants={"source": "12345"}, values={"status": {"1": "受理", "2": "处置中", "3": "已办结"}})
    options.update(overrides)
    return SourceSettings(**options)


def settings_for(*sources: SourceSettings, **options) -> Settings:
    return Settings(sources=list(sources), **options)


def incident_rows(n: int = 3, *, prefix: str = "") -> list[dict]:
    """Rows in a hotline's own vocabulary: text timestamps and status codes 1/2/3."""
    rows = []
    for i in range(n):
        code = i % 3 + 1
        rows.append({
            "工单编号": f"{prefix}{i:06d}", "类别": "噪声", "所属网格": f"G{i % 4:03d}",
            "经度": "113.0", "纬度": "28.2", "受理时间": f"2024-03-0{i % 9 + 1} 08:00:00",
            "期限": f"2024-03-{i % 9 + 11} 08:00:00",
            "办结时间": f"2024-03-0{i % 9 + 1} 09:30:00" if code == 3 else "", "状态": str(code),
        })
    return rows


HOTLINE_COLUMNS = {"工单编号": "incident_id", "类别": "category", "所属网格": "region_id", "经度": "lon",
                   "纬度": "lat", "受理时间": "reported_at", "期限": "deadline_at", "办结时间": "closed_at",
                   "状态": "status"}


# ---- mapping -------------------------------------------------------------------------------------

def test_mapping_renames_and_drops_extra_columns():
    frame = pd.DataFrame(incident_rows(3)).assign(备注="x", 坐席="007")
    out = apply_mapping(frame, incidents_source(columns=HOTLINE_COLUMNS))
    assert list(out.columns) == INCIDENTS  # contract order, extras gone
    assert out["incident_id"].tolist() == ["000000", "000001", "000002"]
    assert out["reported_at"].iloc[0] == "2024-03-01 08:00:00"  # still raw text


@pytest.mark.parametrize("codes", [
    [1, 2, 3, 3], ["1", "2", "3", "3"], [1.0, 2.0, 3.0, 3.0], [" 1", "2 ", "3", "3"], [1, "2", 3.0, "3"],
], ids=["int", "text", "float", "padded-text", "mixed"])
def test_mapping_value_codes_compare_as_text(codes):
    frame = pd.DataFrame({"status": codes})
    out = apply_mapping(frame, incidents_source())
    assert out["status"].tolist() == ["受理", "处置中", "已办结", "已办结"]


def test_mapping_leaves_unmapped_codes_and_nulls_alone():
    frame = pd.DataFrame({"status": pd.array([1, 9, None], dtype="Int64")})
    out = apply_mapping(frame, incidents_source())
    assert out["status"].iloc[0] == "受理"
    assert out["status"].iloc[1] == 9  # unchanged, so the contract quarantines it with its value
    assert pd.isna(out["status"].iloc[2])


def test_mapping_constants_fill_absent_columns_only():
    frame = pd.DataFrame({"incident_id": ["a", "b"], "source": ["110", None]})
    out = apply_mapping(frame, incidents_source(constants={"source": "12345", "category": "噪声"}))
    assert out["source"].tolist()[0] == "110"  # the source's own value wins over the constant
    assert pd.isna(out["source"].iloc[1])  # … and a gap stays a gap for the contract to report
    assert out["category"].tolist() == ["噪声", "噪声"]


def test_mapping_aliases_coalesce_and_conflicts_are_refused():
    source = incidents_source(columns={"受理时间": "reported_at", "created_date": "reported_at"})
    frame = pd.DataFrame({"受理时间": ["2024-03-01", None], "created_date": [None, "2024-03-02"]})
    assert apply_mapping(frame, source)["reported_at"].tolist() == ["2024-03-01", "2024-03-02"]
    clash = pd.DataFrame({"受理时间": ["2024-03-01"], "created_date": ["2024-03-09"]})
    with pytest.raises(ValueError, match="受理时间.*created_date.*reported_at"):
        apply_mapping(clash, source)


def test_mapping_does_not_invent_missing_columns():
    frame = pd.DataFrame({"工单编号": ["1"], "状态": [1]})
    out = apply_mapping(frame, incidents_source(columns={"工单编号": "incident_id", "状态": "status"}))
    assert list(out.columns) == ["incident_id", "source", "status"]
    with pytest.raises(ContractError, match="reported_at"):
        validate("incidents", out)


def test_mapped_frame_validates_and_unmapped_code_is_quarantined():
    frame = pd.DataFrame(incident_rows(6))
    frame.loc[5, "状态"] = "9"
    out = apply_mapping(frame, incidents_source(columns=HOTLINE_COLUMNS))
    result = validate("incidents", out, now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (5, 1)
    assert "status 取值不合法: '9'" in result.quarantined["_reason"].iloc[0]
    assert result.good["status"].value_counts().to_dict() == {"受理": 2, "处置中": 2, "已办结": 1}


# ---- sql -----------------------------------------------------------------------------------------

@pytest.fixture
def city_db(tmp_path: Path) -> Path:
    """A real SQLite file: a hotline table with a Chinese name, and raw exchange logs."""
    path = tmp_path / "city.db"
    with sqlite3.connect(path) as db:
        db.execute('CREATE TABLE "12345工单" (工单编号 TEXT, 类别 TEXT, 所属网格 TEXT, 经度 REAL, 纬度 REAL,'
                   ' 受理时间 TEXT, 期限 TEXT, 办结时间 TEXT, 状态 INTEGER)')
        db.executemany('INSERT INTO "12345工单" VALUES (?,?,?,?,?,?,?,?,?)',
                       [(*r.values(),) for r in incident_rows(9)])
        db.execute("CREATE TABLE exchange_log (day TEXT, provider TEXT, consumer TEXT, n INTEGER, calls INTEGER)")
        log = [(f"2024-03-0{d}", p, c, 10 * i, 1)
               for d in (1, 2) for p, c in (("公安局", "民政局"), ("民政局", "卫健委"), ("公安局", "卫健委"))
               for i in range(50)]
        db.executemany("INSERT INTO exchange_log VALUES (?,?,?,?,?)", log)
    return path


def test_sql_table_with_quoted_name(city_db: Path):
    source = incidents_source(kind="sql", url=f"sqlite:///{city_db}", table="12345工单", path="",
                              columns=HOTLINE_COLUMNS)
    frame = read_source(source, settings_for(source))
    assert list(frame.columns) == INCIDENTS and len(frame) == 9
    result = validate("incidents", frame, now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (9, 0)
    assert result.good["status"].value_counts().to_dict() == {"受理": 3, "处置中": 3, "已办结": 3}


def test_sql_query_with_bound_params(city_db: Path):
    source = incidents_source(kind="sql", url=f"sqlite:///{city_db}", path="", columns=HOTLINE_COLUMNS,
                              query='SELECT * FROM "12345工单" WHERE 状态 = :status AND 所属网格 <> :skip',
                              params={"status": 3, "skip": "G999"})
    frame = read_source(source, settings_for(source))
    assert len(frame) == 3 and set(frame["status"]) == {"已办结"}


def test_sql_group_by_pushdown_moves_only_aggregates(city_db: Path):
    source = SourceSettings(
        name="交换平台", dataset="exchange", kind="sql", url=f"sqlite:///{city_db}",
        query="SELECT day AS date, provider AS provider_dept, consumer AS consumer_dept,"
              " SUM(n) AS records, SUM(calls) AS api_calls FROM exchange_log"
              " WHERE day >= :since GROUP BY day, provider, consumer ORDER BY day, provider, consumer",
        params={"since": "2024-03-01"})
    frame = read_source(source, settings_for(source))
    assert len(frame) == 6  # 300 raw log rows, 6 (day, provider, consumer) aggregates travelled
    assert frame["records"].tolist() == [sum(10 * i for i in range(50))] * 6
    assert frame["api_calls"].tolist() == [50] * 6
    result = validate("exchange", frame, now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (6, 0)


def test_sql_relative_sqlite_path_resolves_against_config_folder(tmp_path: Path, city_db: Path):
    source = SourceSettings(name="交换平台", dataset="exchange", kind="sql", url="sqlite:///city.db",
                            query="SELECT MIN(day) AS date, provider AS provider_dept, consumer AS consumer_dept,"
                                  " COUNT(*) AS records, SUM(calls) AS api_calls FROM exchange_log")
    settings = settings_for(source, config_path=str(tmp_path / "citywall.toml"))
    assert read_source(source, settings)["records"].tolist() == [300]


def test_sql_missing_table_is_a_source_error_naming_the_source(city_db: Path):
    source = incidents_source(kind="sql", url=f"sqlite:///{city_db}", table="no_such_table", path="")
    with pytest.raises(SourceError, match="数据源「12345热线」.*no such table") as info:
        read_source(source, settings_for(source))
    assert info.value.source == "12345热线"
    assert type(info.value.__cause__).__name__ == "OperationalError"


def test_sql_unreachable_database_is_a_source_error(tmp_path: Path):
    source = incidents_source(kind="sql", url=f"sqlite:///{tmp_path}/missing_dir/city.db", table="t", path="")
    with pytest.raises(SourceError, match="数据源「12345热线」无法连接"):
        read_source(source, settings_for(source))


# ---- files ---------------------------------------------------------------------------------------

def write_csv(path: Path, rows: list[dict], encoding: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def files_source(path: Path | str, **overrides) -> SourceSettings:
    return incidents_source(kind="files", path=str(path), columns=HOTLINE_COLUMNS, **overrides)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str):
    rows = incident_rows(6)
    rows[0]["类别"] = "占道经营（人行道）"
    path = write_csv(tmp_path / "12345.csv", rows, encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    source = files_source(path)  # encoding = "auto"
    frame = read_source(source, settings_for(source))
    assert list(frame.columns) == INCIDENTS  # a BOM must not hide the first header, 工单编号
    assert frame["category"].iloc[0] == "占道经营（人行道）"
    result = validate("incidents", frame, now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (6, 0)


def test_csv_gb18030_only_characters(tmp_path: Path):
    # 𪚥 and € have no GBK code, so only GB18030 decodes these bytes
    rows = incident_rows(3)
    rows[1]["类别"] = "𪚥 €"
    path = write_csv(tmp_path / "12345.csv", rows, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("gbk")
    source = files_source(path)
    assert read_source(source, settings_for(source))["category"].iloc[1] == "𪚥 €"


def test_csv_gbk_with_chinese_headers_mapped_by_toml_config(tmp_path: Path):
    write_csv(tmp_path / "drop" / "12345.csv", incident_rows(4), "gbk")
    config = tmp_path / "citywall.toml"
    config.write_text("""
[[sources]]
name = "12345热线"
dataset = "incidents"
kind = "files"
path = "drop/*.csv"
encoding = "gbk"
columns = { "工单编号" = "incident_id", "受理时间" = "reported_at", "办结时间" = "closed_at", "所属网格" = "region_id", "类别" = "category", "经度" = "lon", "纬度" = "lat", "期限" = "deadline_at", "状态" = "status" }
values.status = { "1" = "受理", "2" = "处置中", "3" = "已办结" }
constants = { source = "12345" }
""", encoding="utf-8")
    settings = load_settings(config, environ={})
    frame = read_source(settings.source("12345热线"), settings)
    assert frame["incident_id"].tolist() == ["000000", "000001", "000002", "000003"]
    assert frame["reported_at"].iloc[0] == "2024-03-01 08:00:00"
    result = validate("incidents", frame, now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (4, 0)


def test_csv_bom_with_declared_utf8(tmp_path: Path):
    path = write_csv(tmp_path / "12345.csv", incident_rows(2), "utf-8-sig")
    source = files_source(path, encoding="utf-8")
    assert read_source(source, settings_for(source))["incident_id"].tolist() == ["000000", "000001"]


def test_csv_wrong_declared_encoding_is_a_source_error(tmp_path: Path):
    path = write_csv(tmp_path / "12345.csv", incident_rows(3), "gbk")
    source = files_source(path, encoding="utf-8")
    with pytest.raises(SourceError, match="数据源「12345热线」文件编码无法识别.*12345.csv"):
        read_source(source, settings_for(source))


def test_a_wrong_encoding_says_which_setting_fixes_it(tmp_path: Path):
    path = write_csv(tmp_path / "12345.csv", incident_rows(3), "gbk")
    source = files_source(path, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_source(source, settings_for(source))
    assert 'encoding 设为 "auto"' in str(caught.value) and '"gbk"' in str(caught.value)


def test_csv_keeps_leading_zeros_and_text_codes(tmp_path: Path):
    path = tmp_path / "ids.csv"
    path.write_text("工单编号,类别,受理时间,所属网格,状态\n000123,噪声,2024-03-01,0042,1\n007,噪声,2024-03-01,NA,3\n",
                    encoding="utf-8")
    source = files_source(path)
    frame = read_source(source, settings_for(source))
    assert frame["incident_id"].tolist() == ["000123", "007"]
    assert frame["region_id"].tolist() == ["0042", "NA"]  # "NA" is a code here, not a missing value


def test_csv_empty_cells_become_missing(tmp_path: Path):
    path = write_csv(tmp_path / "12345.csv", incident_rows(3), "utf-8")
    source = files_source(path)
    frame = read_source(source, settings_for(source))
    assert frame["closed_at"].isna().tolist() == [True, True, False]


def test_xlsx_first_sheet_and_named_sheet(tmp_path: Path):
    path = tmp_path / "12345.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "说明"
    sheet.append(["本表为 12345 工单导出"])
    data = book.create_sheet("工单")
    data.append(list(HOTLINE_COLUMNS))
    data.append(["000123", "噪声", "G001", 113.0, 28.2, datetime(2024, 3, 5, 14, 20), datetime(2024, 3, 8),
                 datetime(2024, 3, 5, 16, 0), 3])
    data.append(["000124", "噪声", "G002", 113.1, 28.3, datetime(2024, 3, 6, 9, 0), None, None, 1])
    book.save(path)

    source = files_source(path, sheet="工单")
    frame = read_source(source, settings_for(source))
    assert frame["incident_id"].tolist() == ["000123", "000124"]
    assert frame["status"].tolist() == ["已办结", "受理"]  # int codes from Excel match "3" / "1"
    assert isinstance(frame["reported_at"].iloc[0], datetime)  # Excel dates arrive as datetimes
    result = validate("incidents", frame, now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (2, 0)
    assert result.good["reported_at"].iloc[0] == pd.Timestamp("2024-03-05 14:20")

    first = files_source(path)  # no sheet: the first one, which has none of the columns
    with pytest.raises(SourceError, match="数据源「12345热线」的事件数据缺少必需列: incident_id（配置 columns 映射自「工单编号」"
                                          ".*文件的列: 本表为 12345 工单导出；"):
        read_source(first, settings_for(first))


def test_xlsx_written_by_pandas_with_sheet_index(tmp_path: Path):
    path = tmp_path / "12345.xlsx"
    pd.DataFrame(incident_rows(5)).to_excel(path, index=False, engine="openpyxl")
    source = files_source(path, sheet=0)
    result = validate("incidents", read_source(source, settings_for(source)), now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (5, 0)


def test_glob_concatenates_files_in_name_order(tmp_path: Path):
    drop = tmp_path / "drop"
    write_csv(drop / "2024-03-02.csv", incident_rows(2, prefix="B"), "gbk")
    write_csv(drop / "2024-03-01.csv", incident_rows(3, prefix="A"), "utf-8-sig")
    pd.DataFrame(incident_rows(1, prefix="C")).to_excel(drop / "2024-03-03.xlsx", index=False)
    (drop / "readme.md").write_text("not data", encoding="utf-8")
    source = files_source("drop/2024-*")  # relative to the config file's folder
    settings = settings_for(source, config_path=str(tmp_path / "citywall.toml"))
    frame = read_source(source, settings)
    assert frame["incident_id"].tolist() == ["A000000", "A000001", "A000002", "B000000", "B000001", "C000000"]
    assert list(frame.columns) == INCIDENTS  # no _file or other helper column
    result = validate("incidents", frame, now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (6, 0)


def test_no_matching_files_is_a_source_error_naming_the_pattern(tmp_path: Path):
    source = files_source(tmp_path / "drop" / "*.xlsx")
    with pytest.raises(SourceError, match=r"数据源「12345热线」没有找到匹配的文件: .*drop/\*\.xlsx"):
        read_source(source, settings_for(source))


def test_csv_date_layouts_pass_validation(tmp_path: Path):
    path = tmp_path / "12345.csv"
    path.write_text(
        "工单编号,类别,受理时间,期限,办结时间,状态\n"
        "1,噪声,2024/03/05 14:20,2024年3月8日,2024年3月6日,3\n"
        "2,噪声,2024/03/06 09:05,2024年3月9日,,2\n"
        "3,噪声,2024/13/45 09:05,2024年3月9日,,1\n", encoding="utf-8")
    # a hotline without grid or coordinates says so with empty constants (TOML has no null)
    no_location = {"source": "12345", "region_id": "", "lon": "", "lat": ""}
    source = files_source(path, constants=no_location)
    result = validate("incidents", read_source(source, settings_for(source)), now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (2, 1)
    good = result.good.set_index("incident_id")
    assert good.loc["1", "reported_at"] == pd.Timestamp("2024-03-05 14:20")
    assert good.loc["1", "deadline_at"] == pd.Timestamp("2024-03-08")
    assert good.loc["1", "closed_at"] == pd.Timestamp("2024-03-06")
    assert pd.isna(good.loc["2", "closed_at"]) and good.loc["2", "status"] == "处置中"
    assert "reported_at 无法解析为日期时间: '2024/13/45 09:05'" in result.quarantined["_reason"].iloc[0]

    chinese = tmp_path / "chinese.csv"
    chinese.write_text("工单编号,类别,受理时间,状态\nA,噪声,2024年3月5日,1\nB,噪声,2024年12月31日,1\n",
                       encoding="utf-8")
    source = files_source(chinese, constants={**no_location, "deadline_at": "", "closed_at": ""})
    result = validate("incidents", read_source(source, settings_for(source)), now=datetime(2025, 1, 1))
    assert result.good["reported_at"].tolist() == [pd.Timestamp("2024-03-05"), pd.Timestamp("2024-12-31")]


# ---- http ----------------------------------------------------------------------------------------

def api_records(n: int = 4) -> list[dict]:
    return [{"id": f"{i:05d}", "type": "井盖缺失", "grid": "G001", "pos": {"lon": 113.0, "lat": 28.2},
             "created": "2024-03-05T14:20:00", "status": i % 3 + 1,
             "closed": "2024-03-05T15:00:00" if i % 3 == 2 else None} for i in range(n)]


API_COLUMNS = {"id": "incident_id", "type": "category", "grid": "region_id", "pos.lon": "lon",
               "pos.lat": "lat", "created": "reported_at", "closed": "closed_at", "status": "status"}


def http_source(url: str, **overrides) -> SourceSettings:
    options = dict(kind="http", url=url, path="", columns=API_COLUMNS,
                   constants={"source": "网格系统", "deadline_at": None})
    options.update(overrides)
    return incidents_source(**options)


def test_http_list_of_records(http_server):
    url = http_server.route("/events", orjson.dumps(api_records(4)))
    source = http_source(url, headers={"Authorization": "Bearer t0ken"})
    frame = read_source(source, settings_for(source))
    assert list(frame.columns) == INCIDENTS
    assert frame["incident_id"].tolist() == ["00000", "00001", "00002", "00003"]
    assert http_server.seen_headers[-1]["Authorization"] == "Bearer t0ken"
    result = validate("incidents", frame, now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (4, 0)
    assert result.good["lon"].tolist() == [113.0] * 4


def test_http_nested_object_with_records_path(http_server):
    records = api_records(3)
    records[1]["status"] = 7
    url = http_server.route("/api", orjson.dumps({"code": 0, "data": {"total": 3, "items": records}}))
    source = http_source(url, records_path="data.items")
    result = validate("incidents", read_source(source, settings_for(source)), now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (2, 1)
    assert "status 取值不合法: '7'" in result.quarantined["_reason"].iloc[0]


def test_http_object_without_records_path(http_server):
    url = http_server.route("/api", orjson.dumps({"code": 0, "data": {"items": []}}))
    source = http_source(url)
    with pytest.raises(SourceError, match="数据源「12345热线」返回的 JSON 是对象.*records_path.*code, data"):
        read_source(source, settings_for(source))


def test_http_records_path_not_found(http_server):
    url = http_server.route("/api", orjson.dumps({"code": 0, "data": {"list": []}}))
    source = http_source(url, records_path="data.items")
    with pytest.raises(SourceError, match="找不到 records_path「data.items」.*在 data 下没有「items」.*list"):
        read_source(source, settings_for(source))


def test_http_empty_list_is_zero_rows_not_missing_columns(http_server):
    url = http_server.route("/api", orjson.dumps({"data": {"items": []}}))
    source = http_source(url, records_path="data.items")
    result = validate("incidents", read_source(source, settings_for(source)), now=NOW)
    assert (result.rows_ok, result.rows_quarantined) == (0, 0)


def test_http_gbk_charset_response(http_server):
    records = api_records(2)
    records[0]["type"] = "占道经营"
    url = http_server.route("/gbk", orjson.dumps(records).decode().encode("gbk"),
                            content_type="application/json; charset=GBK")
    source = http_source(url)
    assert read_source(source, settings_for(source))["category"].iloc[0] == "占道经营"


def test_http_server_error(http_server):
    url = http_server.route("/broken", b'{"error": "db down"}', status=500)
    source = http_source(url)
    with pytest.raises(SourceError, match="数据源「12345热线」服务器返回错误 HTTP 500"):
        read_source(source, settings_for(source))


def test_http_invalid_json(http_server):
    url = http_server.route("/html", b"<html>login required</html>", content_type="text/html")
    source = http_source(url)
    with pytest.raises(SourceError, match="数据源「12345热线」返回的内容不是合法的 JSON.*login required"):
        read_source(source, settings_for(source))


def test_http_timeout_is_quick(http_server):
    url = http_server.route("/slow", orjson.dumps(api_records(1)), delay=3)
    source = http_source(url, timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(SourceError, match="数据源「12345热线」.*超时.*0.5 秒"):
        read_source(source, settings_for(source))
    assert time.monotonic() - started < 5


def test_http_timeout_defaults_to_app_setting(http_server):
    url = http_server.route("/slow", orjson.dumps(api_records(1)), delay=3)
    source = http_source(url)
    started = time.monotonic()
    with pytest.raises(SourceError, match="超时"):
        read_source(source, settings_for(source, app=AppSettings(http_timeout_seconds=0.5)))
    assert time.monotonic() - started < 5


def test_http_connection_refused():
    with socket.socket() as probe:  # a port that was free a moment ago and has nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = http_source(f"http://127.0.0.1:{port}/events", timeout_seconds=2)
    with pytest.raises(SourceError, match="数据源「12345热线」无法连接（连接被拒绝"):
        read_source(source, settings_for(source))


def test_http_refuses_non_http_urls(tmp_path: Path):
    secret = tmp_path / "secret.json"
    secret.write_text("[]", encoding="utf-8")
    source = http_source(secret.as_uri())
    with pytest.raises(SourceError, match="http:// 或 https://"):
        read_source(source, settings_for(source))


# ---- adapters ------------------------------------------------------------------------------------

def test_source_error_pickles_and_names_the_source():
    error = SourceError("12345热线", "无法连接: 连接被拒绝")
    assert str(error) == "数据源「12345热线」无法连接: 连接被拒绝"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.source, str(copy)) == ("12345热线", str(error))
