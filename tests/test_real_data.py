"""Real exports mapped onto the contracts by configuration alone, checked against an independent
pandas reading of the same files. The data is read in place from ../shared/data, never copied."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from dashboard.settings import REPO_ROOT, Settings, load_settings
from datasources.adapters import read_source
from datasources.contracts import validate

EXAMPLES = REPO_ROOT / "config" / "examples"
BALTIMORE_BBOX = (-76.72, 39.19, -76.52, 39.38)  # min_lon, min_lat, max_lon, max_lat

BALTIMORE_CONFIG = """
[city]
name = "Baltimore"
bbox = [-76.72, 39.19, -76.52, 39.38]

[[sources]]
name = "Baltimore 311"
dataset = "incidents"
kind = "files"
path = "{path}"
encoding = "utf-8"
schedule = "interval:1h"
owner = "Baltimore City 311"
date_format = "%m/%d/%Y %I:%M:%S %p"
constants = {{ source = "311" }}

[sources.columns]
ServiceRequestNum = "incident_id"
SRType = "category"
Neighborhood = "region_id"
Longitude = "lon"
Latitude = "lat"
CreatedDate = "reported_at"
DueDate = "deadline_at"
CloseDate = "closed_at"
SRStatus = "status"

[sources.values.status]
"New" = "受理"
"New (Duplicate)" = "受理"
"Open" = "受理"
"Open (Duplicate)" = "受理"
"Pending" = "处置中"
"In Progress" = "处置中"
"Closed" = "已办结"
"Closed (Duplicate)" = "已办结"
"Closed (Transferred)" = "已办结"
"""

BEIJING_CONFIG = """
[[sources]]
name = "北京市公共数据开放目录"
dataset = "catalog"
kind = "files"
path = "{path}"
encoding = "auto"
schedule = "interval:1d"
owner = "北京市经济和信息化局"
date_format = "%Y年%m月%d日"
# records whose fields slid over a column lose their publication date: quarantine them
required = ["updated_at"]

[sources.columns]
"name" = "resource_id"
"资源所有权单位" = "dept_id"
"资源名称" = "name"
"资源出版日期" = "updated_at"

# An open-data catalogue lists only resources that have been opened to the public, so every row is
# by definition 无条件开放, shared without conditions and attached to the data pool; the export has
# no columns for these because they never vary.
[sources.constants]
data_class = "政务"
share_type = "无条件共享"
open_type = "无条件开放"
mounted = true
"""


def load(tmp_path: Path, template: str, data: Path) -> Settings:
    config = tmp_path / "citywall.toml"
    config.write_text(template.format(path=data.as_posix()), encoding="utf-8")
    return load_settings(config, environ={})


def raw_text(path: Path) -> pd.DataFrame:
    """The independent reading: every cell as text, empty cells as ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


# ---- Baltimore 311 → incidents ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def baltimore(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    path = shared_data / "hotline" / "baltimore_311_sample.csv"
    settings = load(tmp_path_factory.mktemp("baltimore"), BALTIMORE_CONFIG, path)
    source = settings.source("Baltimore 311")
    frame = read_source(source, settings)
    assert settings.city.bbox == BALTIMORE_BBOX
    result = validate("incidents", frame, date_format=source.date_format, bbox=settings.city.bbox)
    return raw_text(path), frame, result


def test_baltimore_nothing_is_lost(baltimore):
    raw, frame, result = baltimore
    assert len(frame) == len(raw)
    assert result.rows_ok + result.rows_quarantined == len(raw)
    assert result.rows_ok > 0.8 * len(raw)
    assert set(result.good["incident_id"]) | set(result.quarantined["incident_id"]) == set(raw["ServiceRequestNum"])


def test_baltimore_every_status_code_is_mapped(baltimore):
    raw, _, result = baltimore
    assert not result.quarantined["_reason"].str.contains("status").any()
    closed_codes = raw["SRStatus"].str.startswith("Closed")
    expected = {"已办结": int(closed_codes.sum()), "open": int((~closed_codes).sum())}
    statuses = pd.concat([result.good["status"], result.quarantined["status"]])
    assert int((statuses == "已办结").sum()) == expected["已办结"]
    assert int(statuses.isin(["受理", "处置中"]).sum()) == expected["open"]


def test_baltimore_placeholder_coordinates_are_quarantined(baltimore):
    raw, _, result = baltimore
    lat = pd.to_numeric(raw["Latitude"].replace("", None))
    lon = pd.to_numeric(raw["Longitude"].replace("", None))
    min_lon, min_lat, max_lon, max_lat = BALTIMORE_BBOX
    outside = lat.notna() & lon.notna() & ~(lon.between(min_lon, max_lon) & lat.between(min_lat, max_lat))
    # geocoder fallbacks: whole-degree coordinates such as (39, -77), 30 km outside the city
    placeholder = lat.notna() & (lat == lat.round()) & (lon == lon.round())
    assert placeholder.sum() >= 800 and (raw.loc[placeholder, "Latitude"] == "39").all()

    coordinate = result.quarantined["_reason"].str.contains("坐标")
    assert int(coordinate.sum()) == int(outside.sum())
    quarantined_ids = set(result.quarantined.loc[coordinate, "incident_id"])
    assert quarantined_ids == set(raw.loc[outside, "ServiceRequestNum"])
    assert set(raw.loc[placeholder, "ServiceRequestNum"]) <= quarantined_ids
    assert result.quarantined["_reason"].str.contains("(-77.0, 39.0)", regex=False).any()
    # the rows without coordinates at all are not placeholders: they stay good, unplaced
    no_coordinates = raw["Latitude"].eq("") & raw["Longitude"].eq("")
    assert int(result.good["lat"].isna().sum()) == int(no_coordinates.sum())


def test_baltimore_open_requests_stay_open(baltimore):
    raw, _, result = baltimore
    lat = pd.to_numeric(raw["Latitude"].replace("", None))
    lon = pd.to_numeric(raw["Longitude"].replace("", None))
    min_lon, min_lat, max_lon, max_lat = BALTIMORE_BBOX
    placed_ok = lat.isna() | (lon.between(min_lon, max_lon) & lat.between(min_lat, max_lat))
    open_raw = raw["CloseDate"].eq("") & ~raw["SRStatus"].str.startswith("Closed")
    assert open_raw.sum() == raw["CloseDate"].eq("").sum()  # every request without a close date is open

    good_open = result.good[result.good["closed_at"].isna()]
    assert set(good_open["status"]) <= {"受理", "处置中"}
    assert len(good_open) == int((open_raw & placed_ok).sum())
    assert set(good_open["incident_id"]) == set(raw.loc[open_raw & placed_ok, "ServiceRequestNum"])
    assert result.good.loc[result.good["status"] == "已办结", "closed_at"].notna().all()


def test_baltimore_timestamps_parse_like_pandas(baltimore):
    raw, _, result = baltimore
    fmt = "%m/%d/%Y %I:%M:%S %p"
    expected = pd.to_datetime(raw.set_index("ServiceRequestNum")["CreatedDate"], format=fmt)
    got = result.good.set_index("incident_id")["reported_at"]
    assert (got == expected.loc[got.index]).all()
    assert result.good["deadline_at"].isna().sum() <= raw["DueDate"].eq("").sum()


def test_baltimore_example_config_matches(shared_data: Path):
    """config/examples/baltimore_311.toml loads as shipped and carries the mapping tested above."""
    settings = load_settings(EXAMPLES / "baltimore_311.toml", environ={})
    example = settings.source("Baltimore 311")
    tested = tomllib.loads(BALTIMORE_CONFIG.format(path="x"))["sources"][0]
    assert example.columns == tested["columns"]
    assert example.values == tested["values"]
    assert example.constants == tested["constants"]
    assert settings.city.bbox == BALTIMORE_BBOX
    assert settings.resolve(example.path) == (shared_data / "hotline" / "baltimore_311_sample.csv").resolve()


# ---- Beijing open-data catalog → catalog -----------------------------------------------------------

@pytest.fixture(scope="module")
def beijing(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    path = shared_data / "catalog" / "beijing_open_data_catalog_2021.csv"
    settings = load(tmp_path_factory.mktemp("beijing"), BEIJING_CONFIG, path)
    source = settings.source("北京市公共数据开放目录")
    frame = read_source(source, settings)
    return raw_text(path), frame, validate("catalog", frame, date_format=source.date_format)


def test_beijing_nothing_is_lost(beijing):
    raw, frame, result = beijing
    assert len(frame) == len(raw)
    assert result.rows_ok + result.rows_quarantined == len(raw)
    assert result.rows_ok > 0


def test_beijing_duplicate_names_are_quarantined(beijing):
    raw, _, result = beijing
    # the export has no resource id; `name` is the key, and the file repeats some names
    key = raw["name"].str.strip()
    repeats = key.duplicated(keep="first")
    assert repeats.any()
    duplicate = result.quarantined["_reason"].str.contains("重复")
    assert int(duplicate.sum()) == int(repeats.sum())
    assert result.quarantined.loc[duplicate, "_reason"].str.contains("resource_id 重复").all()
    assert result.good["resource_id"].is_unique
    # the first occurrence of each name survives unless something else is wrong with it
    assert set(result.good["resource_id"]) <= set(key[~repeats])


def test_beijing_other_quarantine_reasons_match_the_file(beijing):
    raw, _, result = beijing
    no_owner = raw["资源所有权单位"].str.strip().eq("")
    repeats = raw["name"].str.strip().duplicated(keep="first")
    # Changed on purpose (issue 10, item 8): the example now requires updated_at, so a record whose
    # 资源出版日期 is empty is quarantined instead of kept with a blank date. In this export those are
    # the records whose fields slid (资源类型 "表格\t\t", the date gone) and a few undated ones.
    no_date = raw["资源出版日期"].str.strip().eq("")
    assert int(result.quarantined["_reason"].str.contains("dept_id 为空").sum()) == int(no_owner.sum())
    assert int(result.quarantined["_reason"].str.contains("updated_at 为空").sum()) == int(no_date.sum()) == 34
    assert int(no_owner.sum()) == 208 and int(repeats.sum()) == 340
    assert result.rows_quarantined == int((no_owner | repeats | no_date).sum()) == 565
    assert result.good["updated_at"].notna().all()


def test_beijing_constants_and_dates(beijing):
    raw, _, result = beijing
    good = result.good
    assert set(good["share_type"]) == {"无条件共享"} and set(good["open_type"]) == {"无条件开放"}
    assert set(good["data_class"]) == {"政务"} and good["mounted"].all()
    dated = good["updated_at"].dropna()
    assert dated.between(pd.Timestamp("2018-01-01"), pd.Timestamp("2021-12-31")).all()
    row = raw[raw["name"] == good["resource_id"].iloc[2]].iloc[0]
    assert good["updated_at"].iloc[2] == pd.to_datetime(row["资源出版日期"], format="%Y年%m月%d日")


def test_beijing_example_config_matches(shared_data: Path):
    """config/examples/beijing_catalog.toml loads as shipped and carries the mapping tested above."""
    settings = load_settings(EXAMPLES / "beijing_catalog.toml", environ={})
    example = settings.source("北京市公共数据开放目录")
    tested = tomllib.loads(BEIJING_CONFIG.format(path="x"))["sources"][0]
    assert example.columns == tested["columns"]
    assert example.constants == tested["constants"]
    assert example.required == tested["required"] == ["updated_at"]
    assert settings.resolve(example.path) == \
        (shared_data / "catalog" / "beijing_open_data_catalog_2021.csv").resolve()
