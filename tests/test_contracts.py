"""Every contract rule, with good rows that pass and bad rows that are quarantined with a reason."""
from datetime import datetime

import pandas as pd
import pytest

from datasources.contracts import CONTRACTS, REASON, ROW, ContractError, validate

NOW = datetime(2026, 11, 22, 12, 0, 0)


def incident(**overrides):
    row = {"incident_id": "A1", "source": "12345", "category": "市容环境", "region_id": "G1",
           "lon": "113.01", "lat": "28.2", "reported_at": "2026-11-20 09:00:00",
           "deadline_at": "2026-11-23 09:00:00", "closed_at": "2026-11-21 10:00:00", "status": "已办结"}
    row.update(overrides)
    return row


def run(dataset, rows, **kw):
    return validate(dataset, pd.DataFrame(rows), now=NOW, **kw)


def only_reason(result):
    assert result.rows_quarantined == 1, result.quarantined
    return result.quarantined[REASON].iloc[0]


def test_good_incidents_are_typed_and_kept():
    result = run("incidents", [incident(), incident(incident_id="A2", closed_at=None, status="处置中")])
    assert result.rows_quarantined == 0
    good = result.good
    assert good["reported_at"].dtype.kind == "M"
    assert good["lon"].dtype == "float64"
    assert good.loc[1, "closed_at"] is pd.NaT or pd.isna(good.loc[1, "closed_at"])


def test_unparseable_timestamp_is_quarantined_with_the_value():
    result = run("incidents", [incident(), incident(incident_id="A2", reported_at="2019/13/45")])
    reason = only_reason(result)
    assert "reported_at 无法解析" in reason and "'2019/13/45'" in reason
    assert "为空" not in reason  # the bad value is not reported twice
    assert result.quarantined[ROW].iloc[0] == 2
    assert result.quarantined["reported_at"].iloc[0] == "2019/13/45"  # original kept


def test_duplicate_key_keeps_first_and_quarantines_the_rest():
    result = run("incidents", [incident(), incident(category="噪声扰民"), incident()])
    assert result.rows_ok == 1 and result.good["category"].iloc[0] == "市容环境"
    assert result.rows_quarantined == 2
    assert all("incident_id 重复: 'A1'" in r for r in result.quarantined[REASON])


def test_composite_key_duplicates():
    rows = [{"date": "2026-11-01", "provider_dept": "D1", "consumer_dept": "D2", "records": 5, "api_calls": 1}] * 2
    reason = only_reason(run("exchange", rows))
    assert reason == "（date, provider_dept, consumer_dept）组合重复: (2026-11-01, D1, D2)"


def test_null_in_required_column():
    reason = only_reason(run("incidents", [incident(), incident(incident_id="A2", category="")]))
    assert reason == "category 为空（必填）"


def test_unknown_code():
    reason = only_reason(run("incidents", [incident(), incident(incident_id="A2", status="9")]))
    assert "status 取值不合法: '9'" in reason and "受理" in reason


def test_closed_before_reported():
    reason = only_reason(run("incidents", [incident(), incident(incident_id="A2", closed_at="2026-11-19 08:00:00")]))
    assert reason == "closed_at 早于 reported_at"


def test_closed_status_needs_closed_time_but_open_without_close_is_kept():
    result = run("incidents", [incident(incident_id="A2", closed_at=None),
                               incident(incident_id="A3", closed_at=None, status="受理")])
    assert only_reason(result) == "status 为 已办结 但 closed_at 为空"
    assert result.good["incident_id"].tolist() == ["A3"]


def test_far_future_timestamps():
    result = run("incidents", [incident(incident_id="A2", reported_at="2062-11-20 09:00:00",
                                        deadline_at=None, closed_at=None, status="受理")])
    assert "reported_at 时间过远" in only_reason(result)
    # a deadline may lie ahead, but not decades ahead
    ok = run("incidents", [incident(deadline_at="2027-01-01 00:00:00")])
    assert ok.rows_quarantined == 0
    far = run("incidents", [incident(deadline_at="2099-01-01 00:00:00")])
    assert "deadline_at 时间过远" in only_reason(far)


def test_coordinates_out_of_range_placeholder_and_bbox():
    assert "lon 大于上限 180" in only_reason(run("incidents", [incident(lon="200")]))
    assert "(0, 0)" in only_reason(run("incidents", [incident(lon="0", lat="0")]))
    assert "同时" in only_reason(run("incidents", [incident(lat=None)]))
    bbox = (112.5, 27.8, 113.5, 28.6)
    assert "超出城市范围" in only_reason(run("incidents", [incident(lon="-77", lat="39")], bbox=bbox))
    assert run("incidents", [incident(lon=None, lat=None)], bbox=bbox).rows_quarantined == 0


def test_several_reasons_on_one_row_are_all_given():
    reason = only_reason(run("incidents", [incident(status="X", category=None, lon="abc", lat="1")]))
    assert "status 取值不合法" in reason and "category 为空" in reason and "lon 无法解析为数字: 'abc'" in reason


def test_rates_outside_0_1():
    rows = [{"indicator_id": "sharing_rate", "date": "2026-11-01", "value": 0.8},
            {"indicator_id": "sharing_rate", "date": "2026-11-02", "value": 1.3},
            {"indicator_id": "six_ones", "date": "2026-11-02", "value": 5}]
    result = run("indicator_history", rows)
    assert only_reason(result) == "比率类指标的值必须在 0–1 之间"
    target = {"indicator_id": "sharing_rate", "name": "共享率", "level": "市", "unit": "%", "target": 95,
              "deadline": "2027-12-31", "comparator": ">=", "source_doc": "", "binding": "true"}
    assert "0–1" in only_reason(run("targets", [target]))


def test_negative_counts_and_fractional_integers():
    rows = [{"date": "2026-11-01", "provider_dept": "D1", "consumer_dept": "D2", "records": -5, "api_calls": 1},
            {"date": "2026-11-01", "provider_dept": "D1", "consumer_dept": "D3", "records": 2.5, "api_calls": 1},
            {"date": "2026-11-01", "provider_dept": "D2", "consumer_dept": "D3", "records": 7, "api_calls": 0}]
    result = run("exchange", rows)
    reasons = result.quarantined.set_index(ROW)[REASON]
    assert "records 小于下限 0" in reasons[1]
    assert "records 无法解析为整数: '2.5'" in reasons[2]
    assert result.good["records"].tolist() == [7]


def test_exchange_with_itself_is_not_sharing():
    rows = [{"date": "2026-11-01", "provider_dept": "D1", "consumer_dept": "D1", "records": 5, "api_calls": 1}]
    assert "部门内部流转" in only_reason(run("exchange", rows))


def test_booleans_in_chinese_and_codes():
    rows = [{"unit_id": str(i), "name": f"单位{i}", "level": "村", "connected": v}
            for i, v in enumerate(["是", "否", "1", "0", "true", "已联通", "可能"])]
    result = run("network", rows)
    assert result.good["connected"].tolist() == [True, False, True, False, True, True]
    assert "connected 无法解析为是/否: '可能'" in only_reason(result)


def test_regions_hierarchy_rules():
    rows = [{"region_id": "D1", "name": "东湖区", "level": "区县", "parent_id": None},
            {"region_id": "S1", "name": "湖滨街道", "level": "镇街", "parent_id": "D1"},
            {"region_id": "S2", "name": "无主街道", "level": "镇街", "parent_id": None},
            {"region_id": "G1", "name": "网格1", "level": "网格", "parent_id": "G1"},
            {"region_id": "X", "name": "片区", "level": "片区", "parent_id": "D1"}]
    reasons = run("regions", rows).quarantined.set_index(ROW)[REASON]
    assert "非区县级区域必须有上级" in reasons[3]
    assert "不能等于自身" in reasons[4]
    assert "level 取值不合法: '片区'" in reasons[5]
    assert len(reasons) == 3


def test_systems_migrated_needs_date():
    base = {"system_id": "S1", "dept_id": "D1", "name": "审批系统", "classified": "0", "status": "已上云",
            "exempt_approved": "0", "planned_date": "2025-06-30", "migrated_date": "2025-05-01"}
    assert run("systems", [base]).rows_quarantined == 0
    assert "migrated_date 为空" in only_reason(run("systems", [dict(base, migrated_date=None)]))


def test_catalog_share_types_and_classes():
    base = {"resource_id": "R1", "dept_id": "D1", "name": "企业登记信息", "data_class": "政务",
            "share_type": "有条件共享", "open_type": None, "mounted": "是", "updated_at": None}
    assert run("catalog", [base]).rows_quarantined == 0
    reason = only_reason(run("catalog", [dict(base, share_type="部分共享", data_class="社会")]))
    assert "share_type 取值不合法" in reason and "data_class 取值不合法" in reason


def test_date_formats_of_department_exports():
    rows = [incident(incident_id=str(i), reported_at=t, deadline_at=None, closed_at=None, status="受理")
            for i, t in enumerate(["2026/03/05 14:20", "2026/03/06 08:00", "2026/3/7 9:05"])]
    good = run("incidents", rows).good
    assert good["reported_at"].tolist() == [pd.Timestamp("2026-03-05 14:20"), pd.Timestamp("2026-03-06 08:00"),
                                            pd.Timestamp("2026-03-07 09:05")]
    chinese = run("incidents", [incident(reported_at="2026年3月5日 14:20", deadline_at=None, closed_at=None,
                                         status="受理")]).good
    assert chinese["reported_at"].iloc[0] == pd.Timestamp("2026-03-05 14:20")


def test_utc_offsets_become_local_time_and_mixed_columns_do_not_fail():
    from datetime import timedelta, timezone

    local = datetime.now().astimezone().tzinfo
    expected = datetime(2026, 11, 20, 7, 30, tzinfo=timezone(timedelta(hours=8))).astimezone(local).replace(tzinfo=None)
    rows = [incident(incident_id="A1", reported_at="2026-11-20T07:30:00+08:00", deadline_at=None, closed_at=None,
                     status="受理"),
            incident(incident_id="A2", reported_at="2026-11-20 09:00:00", deadline_at=None, closed_at=None,
                     status="受理")]
    good = run("incidents", rows).good.set_index("incident_id")["reported_at"]
    assert good["A1"] == pd.Timestamp(expected)
    assert good["A2"] == pd.Timestamp("2026-11-20 09:00:00")


def test_missing_column_is_a_clear_frame_error():
    frame = pd.DataFrame([incident()]).drop(columns=["reported_at", "status"])
    with pytest.raises(ContractError, match="缺少必需列: reported_at, status"):
        validate("incidents", frame, now=NOW)


def test_nothing_is_lost():
    rows = [incident(incident_id=str(i), status=["已办结", "9"][i % 2]) for i in range(10)]
    result = run("incidents", rows)
    assert result.rows_ok + result.rows_quarantined == 10
    assert sorted(result.quarantined[ROW]) == [2, 4, 6, 8, 10]


@pytest.mark.parametrize("dataset", sorted(CONTRACTS))
def test_every_contract_names_key_columns_that_exist(dataset):
    contract = CONTRACTS[dataset]
    assert set(contract.key) <= set(contract.names)
