"""/incident/<id>: the record view model over a small hand-made detail frame (every field, the
timeline, the breadcrumb, masking per app.mask_personal, unknown and malformed ids), and the page
through the app over a pulled demo city (HTTP 404 for an unknown id, never a traceback)."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from dashboard import runtime
from dashboard.incident_cube import incident_detail
from dashboard.incident_record import record_href, record_view
from tests.demo_app import demo_test_client

NOW = datetime(2026, 12, 1, 12, 0)


class _Geo:
    regions = pd.DataFrame({
        "region_id": ["D1", "S1", "G1"], "name": ["东湖区", "湖滨街道", "第一网格"],
        "level": ["区县", "镇街", "网格"], "parent_id": [None, "D1", "S1"],
        "district_id": ["D1", "D1", "D1"], "street_id": [None, "S1", "S1"]})


def _frames():
    t = pd.Timestamp
    rows = pd.DataFrame({
        "incident_id": ["A1", "B2"], "source": ["12345热线", "网格巡查"],
        "category": ["市容环境 13812345678", "交通出行"], "region_id": ["G1", "G1"],
        "lon": [113.01234, None], "lat": [28.04321, None],
        "reported_at": [t("2026-11-30 09:15"), t("2026-11-28 08:00")],
        "deadline_at": [t("2026-11-30 18:00"), t("2026-11-29 08:00")],
        "closed_at": [t("2026-11-30 11:15"), pd.NaT], "status": ["已办结", "处置中"],
    })
    return {"detail": incident_detail(rows, NOW, _Geo.regions)}


def test_a_record_has_every_field_its_timeline_and_breadcrumb():
    record = record_view(_frames(), _Geo(), "A1", NOW)
    fields = dict(record.fields)
    assert record.found and record.title == "事件 A1" and record.status == "已办结" and not record.overdue
    assert fields["事件编号"] == "A1" and fields["受理时间"] == "2026-11-30 09:15" and fields["区县"] == "东湖区"
    assert fields["镇街"] == "湖滨街道" and fields["网格"] == "第一网格" and fields["来源"] == "12345热线"
    assert fields["办理时限"] == "2026-11-30 18:00" and fields["办结时间"] == "2026-11-30 11:15"
    assert fields["处置时长"] == "2.0 小时" and fields["超期未办结"] == "否" and fields["坐标（经度, 纬度）"] == "113.01234, 28.04321"
    assert [(s.label, s.when, s.state, s.note) for s in record.timeline] == [
        ("受理", "2026-11-30 09:15", "done", "12345热线"), ("办结", "2026-11-30 11:15", "done", "处置时长 2.0 小时"),
        ("办理时限", "2026-11-30 18:00", "due", "按期办结")]  # in the order they happened
    assert record.crumbs == [("全市", "/incidents"), ("东湖区", "/incidents?region=D1"),
                             ("湖滨街道", "/incidents?region=S1"), ("第一网格", "/incidents?region=G1"), ("事件 A1", None)]
    assert record.district == "D1" and record.list_href == "/incidents?region=G1"


def test_an_open_late_incident_says_so_and_personal_data_is_masked_as_in_the_table():
    late = record_view(_frames(), _Geo(), "B2", NOW)
    assert late.overdue and dict(late.fields)["坐标（经度, 纬度）"] == "—" and dict(late.fields)["办结时间"] == "—"
    assert [(s.label, s.state, s.note) for s in late.timeline][1:] == [
        ("办理时限", "late", "已超期，尚未办结"), ("办结", "pending", "当前状态：处置中")]
    assert dict(record_view(_frames(), _Geo(), "A1", NOW).fields)["事件分类"] == "市容环境 138****5678"
    assert dict(record_view(_frames(), _Geo(), "A1", NOW, mask=False).fields)["事件分类"] == "市容环境 13812345678"
    from dashboard import incident_table

    frames = _frames()
    shown = incident_table.page(frames["detail"], incident_table.IncidentQuery(period="year"), None, NOW.date(), {},
                                start=0, end=2, sort="incident_id:asc")[0]
    assert shown[0]["category"] == "市容环境 138****5678"  # the table masks the same way


@pytest.mark.parametrize("incident_id, words", [
    ("ZZ999", "未找到事件「ZZ999」"), ("<script>alert(1)</script>", "格式不正确"), ("", "格式不正确"),
    ("x" * 500, "格式不正确"), ("13812345678", "未找到事件「138****5678」")])
def test_an_unknown_or_malformed_id_gives_a_chinese_notice(incident_id, words):
    record = record_view(_frames(), _Geo(), incident_id, NOW)
    assert not record.found and words in record.notice and record.title == "事件不存在（404）"
    assert len(record.notice) < 200  # a 500-character id is cut, not echoed whole


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return demo_test_client(tmp_path_factory.mktemp("record"))


def test_the_record_page_over_the_demo_city(client):
    from layouts import incident_record
    from tests.components import find, texts

    detail = runtime.current().store.frame("incidents", "detail")
    incident_id = str(detail["incident_id"].iloc[0])
    page = incident_record.layout(incident_id=incident_id)
    shown = texts(page)
    assert f"事件 {incident_id}" in shown and "办理时间线" in shown and "事件分类" in shown
    crumbs = find(page, lambda c: getattr(c, "className", None) in ("cw-crumb", "cw-crumb is-current"))
    assert [c.children for c in crumbs][:2] == ["大屏", "全市"] and crumbs[-1].children == f"事件 {incident_id}"
    assert crumbs[0].href.startswith("/wall?view=district%3A")
    assert client.get(record_href(incident_id)).status_code == 200
    for bad in ("/incident/NOPE-1", "/incident/%3Cscript%3E"):
        answer = client.get(bad)
        assert answer.status_code == 404 and "Traceback" not in answer.get_data(as_text=True)
    missing = texts(incident_record.layout(incident_id="NOPE-1"))
    assert "事件不存在（404）" in missing and "未找到事件「NOPE-1」" in missing
