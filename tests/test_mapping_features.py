"""Mapping features real exports need, configured in TOML and read from real files: values pulled
out of free text, one source column feeding several contract columns, composite keys, regions
built from the city's GeoJSON, and rows with empty or unparsed fields quarantined, never kept with
blanks."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pytest

from dashboard.settings import SettingsError, load_settings
from datasources.adapters import SourceError, read_source
from datasources.contracts import REASON, validate

NOW = datetime(2024, 8, 1)


def pull(tmp_path: Path, config: str, name: str, now: datetime = NOW):
    path = tmp_path / "citywall.toml"
    path.write_text(config, encoding="utf-8")
    settings = load_settings(path, environ={})
    source = settings.source(name)
    return validate(source.dataset, read_source(source, settings), date_format=source.date_format, now=now)


def files_source(name: str, dataset: str, path: str) -> str:
    """The head of a ``[[sources]]`` table for a file in the config's folder."""
    return f'\n[[sources]]\nname = "{name}"\ndataset = "{dataset}"\nkind = "files"\npath = "{path}"\n'


# ---- values pulled out of text -------------------------------------------------------------------

LETTERS = files_source("市长信箱", "incidents", "letters.csv") + """constants = { source = "市长信箱", status = "受理" }
columns = { "编号" = "incident_id", "留言时间" = "reported_at" }

[[sources.extract]]
column = "region_id"
from = ["留言主题", "留言详情"]
pattern = "(芙蓉区|天心区|岳麓区|雨花区)"
values = { "芙蓉区" = "430102", "天心区" = "430103", "岳麓区" = "430104", "雨花区" = "430111" }

[[sources.extract]]
column = "category"
from = ["留言详情"]
pattern = "噪[声音]|占道|井盖"
values = { "噪音" = "噪声", "噪声" = "噪声" }
"""


def test_district_and_category_extracted_from_free_text(tmp_path: Path):
    (tmp_path / "letters.csv").write_text(
        "编号,留言时间,留言主题,留言详情\n"
        "L1,2024/7/1 9:00,芙蓉区五一路夜间施工,凌晨两点仍有噪音\n"
        "L2,2024/7/2 9:00,小区门口问题,雨花区某小区门口占道经营严重\n"   # district only in the details
        "L3,2024/7/3 9:00,反映井盖问题,天心区与岳麓区交界处井盖缺失\n"   # the first match wins
        "L4,2024/7/4 9:00,建议增设公交线路,希望开通新线路\n",            # no district, no category
        encoding="utf-8")
    result = pull(tmp_path, LETTERS, "市长信箱")
    assert (result.rows_ok, result.rows_quarantined) == (3, 1)
    good = result.good.set_index("incident_id")
    assert good["region_id"].to_dict() == {"L1": "430102", "L2": "430111", "L3": "430103"}
    assert good["category"].to_dict() == {"L1": "噪声", "L2": "占道", "L3": "井盖"}
    assert result.quarantined[REASON].tolist() == ["category 为空（必填）"]  # L4: nothing to classify by


def test_extract_rule_with_two_groups_is_refused(tmp_path: Path):
    config = LETTERS.replace('pattern = "(芙蓉区|天心区|岳麓区|雨花区)"', 'pattern = "(芙蓉)(区)"')
    with pytest.raises(SettingsError, match="extract\\[0\\].pattern.*最多只能有 1 个捕获组"):
        pull(tmp_path, config, "市长信箱")


def test_extract_from_a_column_the_file_lacks_names_the_nearest(tmp_path: Path):
    (tmp_path / "letters.csv").write_text("编号,留言时间,主题,详情\nL1,2024/7/1,芙蓉区,噪音\n", encoding="utf-8")
    with pytest.raises(SourceError, match="数据源「市长信箱」extract（region_id） 读取的列「留言主题」在文件中不存在"):
        pull(tmp_path, LETTERS, "市长信箱")


# ---- one column → several contract columns; composite keys ---------------------------------------

DEPARTMENTS = files_source("部门名录", "departments", "depts.csv") + """constants = { kind = "委办局" }
columns = { "单位名称" = ["dept_id", "name"], "简称" = "short_name" }
"""


def test_one_source_column_feeds_several_contract_columns(tmp_path: Path):
    (tmp_path / "depts.csv").write_text("单位名称,简称\n市公安局,公安\n市民政局,民政\n,空\n", encoding="utf-8")
    result = pull(tmp_path, DEPARTMENTS, "部门名录")
    assert (result.rows_ok, result.rows_quarantined) == (2, 1)
    assert result.good[["dept_id", "name"]].values.tolist() == [["市公安局", "市公安局"], ["市民政局", "市民政局"]]
    assert result.quarantined[REASON].tolist() == ["dept_id 为空（必填）；name 为空（必填）"]


CATALOG = files_source("资源目录", "catalog", "catalog.csv") + """constants = { data_class = "政务", mounted = true }
columns = { "部门" = "dept_id", "资源名称" = "name", "共享类型" = "share_type", "更新时间" = "updated_at" }
composite = { resource_id = ["部门", "资源名称"] }
composite_separator = "/"
{required}
"""


def test_composite_key_from_dept_and_name(tmp_path: Path):
    (tmp_path / "catalog.csv").write_text(
        "部门,资源名称,共享类型,更新时间\n"
        "公安局,人口信息,有条件共享,2024/7/1\n"
        "民政局,人口信息,无条件共享,2024/7/2\n"    # same name, another department: a different resource
        "公安局,人口信息,有条件共享,2024/7/3\n"    # the same resource twice
        ",车辆信息,无条件共享,2024/7/4\n",         # no department: no key
        encoding="utf-8")
    result = pull(tmp_path, CATALOG.replace("{required}", ""), "资源目录")
    assert (result.rows_ok, result.rows_quarantined) == (2, 2)
    assert result.good["resource_id"].tolist() == ["公安局/人口信息", "民政局/人口信息"]
    assert result.quarantined[REASON].tolist() == [
        "resource_id 重复: '公安局/人口信息'", "resource_id 为空（必填）；dept_id 为空（必填）"]


# ---- 8. shifted records: empty or unparsed fields are quarantined, never kept blank --------------

def test_shifted_catalog_records_are_quarantined_not_kept_with_blank_dates(tmp_path: Path):
    (tmp_path / "catalog.csv").write_text(
        "部门,资源名称,共享类型,更新时间\n"
        "公安局,人口信息,有条件共享,2024/7/1\n"
        "民政局,婚姻登记,无条件共享,\n"            # the date slid into a neighbour: empty here
        "卫健委,医疗机构,无条件共享,表格\n"         # a neighbour's value slid in
        "教育局,学校名录,无条件共享,2024年7月5日\n",
        encoding="utf-8")
    lenient = pull(tmp_path, CATALOG.replace("{required}", ""), "资源目录")
    assert (lenient.rows_ok, lenient.rows_quarantined) == (3, 1)  # updated_at is optional in the contract
    strict = pull(tmp_path, CATALOG.replace("{required}", 'required = ["updated_at"]'), "资源目录")
    assert (strict.rows_ok, strict.rows_quarantined) == (2, 2)
    assert strict.quarantined[REASON].tolist() == ["updated_at 为空（必填）", "updated_at 无法解析为日期时间: '表格'"]
    assert strict.good["updated_at"].notna().all()


def test_required_must_name_contract_columns(tmp_path: Path):
    with pytest.raises(SettingsError, match="不存在的列 \\['更新时间'\\]"):
        pull(tmp_path, CATALOG.replace("{required}", 'required = ["更新时间"]'), "资源目录")


def test_unparsed_close_time_is_not_also_called_empty(tmp_path: Path):
    (tmp_path / "12345.csv").write_text(
        "编号,受理时间,办结时间,状态\nA,2024/7/1 9:00,2024年7月1日 18:00,已办结\nB,2024/7/1 9:00,七月一日,已办结\n"
        "C,2024/7/1 9:00,,已办结\n", encoding="utf-8")
    config = files_source("12345热线", "incidents", "12345.csv") + """constants = { source = "12345", category = "其他" }
columns = { "编号" = "incident_id", "受理时间" = "reported_at", "办结时间" = "closed_at", "状态" = "status" }
"""
    result = pull(tmp_path, config, "12345热线")
    assert (result.rows_ok, result.rows_quarantined) == (1, 2)
    assert result.quarantined[REASON].tolist() == ["closed_at 无法解析为日期时间: '七月一日'",
                                                   "status 为 已办结 但 closed_at 为空"]


# ---- regions from the geography ------------------------------------------------------------------

GEO = """
[city.geo]
districts = "{districts}"
streets = "{streets}"
id_property = "adcode"

[[sources]]
name = "区划"
dataset = "regions"
kind = "geo"
"""


def test_regions_built_from_the_city_geojson(tmp_path: Path, shared_data: Path):
    streets = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"adcode": 430102001, "name": "五一路街道", "parent": {"adcode": 430102}},
         "geometry": {"type": "Polygon", "coordinates": [[[112.98, 28.19], [112.99, 28.19], [112.99, 28.2], [112.98, 28.19]]]}},
        {"type": "Feature", "properties": {"adcode": 430103001, "name": "坡子街街道", "parent": {"adcode": 430103}},
         "geometry": {"type": "Polygon", "coordinates": [[[112.97, 28.18], [112.98, 28.18], [112.98, 28.19], [112.97, 28.18]]]}},
        {"type": "Feature", "properties": {"adcode": 430199001, "name": "无上级街道"},
         "geometry": {"type": "Polygon", "coordinates": [[[112.96, 28.17], [112.97, 28.17], [112.97, 28.18], [112.96, 28.17]]]}},
    ]}
    (tmp_path / "streets.json").write_bytes(orjson.dumps(streets))
    config = GEO.format(districts=(shared_data / "geo" / "430100.json").as_posix(),
                        streets=(tmp_path / "streets.json").as_posix())
    result = pull(tmp_path, config, "区划")
    assert (result.rows_ok, result.rows_quarantined) == (11, 1)  # 9 districts of 长沙, 2 streets
    good = result.good.set_index("region_id")
    assert good.loc["430102", ["name", "level"]].tolist() == ["芙蓉区", "区县"]
    assert good.loc["430102001", ["name", "level", "parent_id"]].tolist() == ["五一路街道", "镇街", "430102"]
    assert good.loc[good["level"] == "区县", "parent_id"].isna().all()
    assert result.quarantined[REASON].tolist() == ["parent_id 为空: 非区县级区域必须有上级"]


def test_geo_source_needs_the_regions_dataset(tmp_path: Path):
    with pytest.raises(SettingsError, match="kind = \"geo\" 只能用于 dataset = \"regions\""):
        pull(tmp_path, GEO.format(districts="x.json", streets="").replace('"regions"', '"departments"'), "区划")
