"""The integrator's view of a source: check-source's report (headers, mapped rows, quarantine reasons,
region-id match, date range, publish change, masking), and region ids that match nothing on a real map
(长沙's district GeoJSON from ../shared/data)."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from dashboard import db
from dashboard.publish_guard import PASS, Verdict
from dashboard.pullers import Puller
from dashboard.settings import load_settings
from dashboard.source_check import SourceReport, build_report, check_source, load_reports, render_text
from dashboard.store import MemoryFrameStore
from datasources.adapters import map_raw, read_raw
from datasources.contracts import validate

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 22, 12, 0)
HEADER = "工单编号,来电人,联系电话,诉求内容,区县编码,受理时间,状态\n"
ROWS = [
    "H1,张三丰,13812341234,路灯不亮,430102,2026/11/20 08:00,1",
    "H2,李四,0731-88886666,噪声扰民 回电 13900001111,430102,2026/11/21 09:30,1",
    "H3,王五,13700002222,井盖缺失,430103,2026/11/22 10:00,1",
    "H4,赵六,13600003333,占道经营,芙蓉,2026/11/19 11:00,1",
    "H5,钱七,13500004444,垃圾清运,芙蓉,2026/11/18 12:00,1",
    "H6,孙八,13400005555,身份证 11010519491231002X 办理,芙蓉,2026/13/45 12:00,1",  # bad date
    "H7,周九,13300006666,路面破损,CS-01,2099/01/01 12:00,1",  # in the future
    "H8,吴十,13200007777,违章停车,芙蓉,,1",  # no date
]


@pytest.fixture
def changsha(tmp_path, shared_data):
    (tmp_path / "12345.csv").write_text(HEADER + "\n".join(ROWS) + "\n", encoding="gbk")
    config = tmp_path / "city.toml"
    config.write_text(f"""
[city]
name = "长沙市"
[city.geo]
districts = "{shared_data / 'geo' / '430100.json'}"
id_property = "adcode"
[app]
data_dir = "var"
store = "disk:frames"
[[sources]]
name = "12345热线"
dataset = "incidents"
kind = "files"
path = "12345.csv"
personal = ["来电人", "联系电话"]
columns = {{ "工单编号" = "incident_id", "区县编码" = "region_id", "受理时间" = "reported_at", "状态" = "status" }}
values.status = {{ "1" = "受理" }}
constants = {{ source = "12345", category = "综合" }}
""", encoding="utf-8")
    return load_settings(config, environ={}), tmp_path


def test_region_ids_not_on_the_map_are_reported(changsha):
    settings, _ = changsha
    puller = Puller(settings, MemoryFrameStore(), clock=lambda: NOW)
    result = puller.run_source("12345热线")
    assert result.ok and result.rows_ok == 5 and result.rows_quarantined == 3
    assert result.notes == ("2 条事件（40.0%）的区域编码不在地图中，例: 芙蓉（2）",)
    match = puller.store.frame("incidents", "region_match").iloc[0]
    assert (match["rows"], match["unmatched"], match["examples"]) == (5, 2, "芙蓉（2）")


def test_ids_reaching_a_district_through_the_regions_dataset_match(changsha):
    import pandas as pd

    from dashboard.frames import region_lineage
    from dashboard.region_match import region_match

    regions = region_lineage(pd.DataFrame({"region_id": ["430102", "芙蓉"], "name": ["芙蓉区", "芙蓉网格"],
                                           "level": ["区县", "网格"], "parent_id": [None, "430102"]}))
    rows = pd.DataFrame({"region_id": ["430102", "芙蓉", "CS-01", None]})
    match = region_match(rows, {"430102", "430103"}, regions).iloc[0]
    assert (match["rows"], match["with_region"], match["unmatched"], match["examples"]) == (4, 3, 1, "CS-01（1）")


def test_check_source_prints_the_report_and_publishes_nothing(changsha):
    settings, folder = changsha
    out = subprocess.run([sys.executable, "run.py", "--config", settings.config_path, "check-source", "12345热线"],
                         cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "数据源「12345热线」→ 事件（incidents）" in text and "未发布" in text
    for line in ("工单编号 → incident_id", "区县编码 → region_id", "受理时间 → reported_at", "状态 → status",
                 "来电人 → （未使用）", "诉求内容 → （未使用）", "（常量）→ category、source"):
        assert line in text
    assert "读取 8 行: 合格 5 行，隔离 3 行" in text
    assert "reported_at 无法解析为日期时间: 1 行" in text
    assert "reported_at 时间过远，晚于当前时间: 1 行" in text
    assert "reported_at 为空（必填）: 1 行" in text
    assert "区域编码匹配率: 60.0%；2 条事件（40.0%）的区域编码不在地图中，例: 芙蓉（2）" in text
    assert "数据时间范围（reported_at）: 2026-11-18 12:00 至 2026-11-22 10:00" in text
    assert "发布变化: 首次发布 → 5 行（可发布）" in text
    # the whole raw row of a quarantined line, personal data masked
    assert "来电人=孙**" in text and "联系电话=134****5555" in text and "110105********002X" in text
    for secret in ("孙八", "13400005555", "11010519491231002X", "张三丰", "13812341234"):
        assert secret not in text
    assert not (settings.data_dir / "frames").exists() or not any((settings.data_dir / "frames").iterdir())
    engine = db.connect(settings.database_url)
    assert db.recent_runs(engine).empty and db.quarantined_rows(engine).empty


def test_check_source_reads_another_file_and_shows_what_the_guard_would_do(changsha):
    settings, folder = changsha
    Puller(settings, MemoryFrameStore(), clock=lambda: NOW).run_source("12345热线")  # 5 rows published
    inbox = folder / "inbox"
    inbox.mkdir()
    (inbox / "new.csv").write_text(HEADER, encoding="utf-8")  # the department's next export: header only
    out = subprocess.run([sys.executable, str(REPO / "run.py"), "--config", settings.config_path, "check-source",
                          "12345热线", "--file", "new.csv"], cwd=inbox, capture_output=True, text=True)
    assert "发布变化: 5 行 → 0 行（发布保护将暂缓" in out.stdout  # --file is relative to where it runs
    report = check_source(settings, "12345热线", file=str(inbox / "new.csv"))
    assert report.rows_read == 0 and report.held and report.rows_before == 5
    assert report.publish_change.startswith("5 行 → 0 行（发布保护将暂缓: 本次没有数据行")
    missing = check_source(settings, "12345热线", file=str(folder / "none.csv"))
    assert missing.error.startswith("数据源「12345热线」没有找到匹配的文件") and "读取失败" in render_text(missing)


def test_report_is_a_pure_view_model_kept_per_pull(changsha):
    settings, _ = changsha
    source = settings.source("12345热线")
    raw = read_raw(source, settings)
    mapped = map_raw(raw, source)
    result = validate("incidents", mapped, now=NOW)
    report = build_report(source, raw, mapped, result.good, result.quarantined, region_match=None,
                          rows_before=12, verdict=Verdict(True, "行数由 12 降至 5"), checked_at=1.0)
    assert [h.header for h in report.headers][:3] == ["工单编号", "来电人", "联系电话"]
    assert report.missing == [] and report.region_match_rate is None
    assert sum(g.count for g in report.reasons) == 3
    assert SourceReport.from_json(report.to_json()) == report
    unmasked = build_report(source, raw, mapped, result.good, result.quarantined, region_match=None,
                            rows_before=None, verdict=PASS, mask=False)
    assert unmasked.sample_rows == build_report(source, raw, mapped, result.good, result.quarantined,
                                                region_match=None, rows_before=None, verdict=PASS).sample_rows

    puller = Puller(settings, MemoryFrameStore(), clock=lambda: NOW)
    puller.run_source("12345热线")
    kept = load_reports(puller.engine)["12345热线"]
    assert kept.rows_ok == 5 and kept.rows_quarantined == 3 and kept.region_match_rate == pytest.approx(0.6)


def test_the_map_caption_says_how_many_incidents_are_not_on_the_map(changsha):
    from dashboard.geo import load_geography
    from layouts.captions import map_legend
    from layouts.markup import to_html

    settings, _ = changsha
    puller = Puller(settings, MemoryFrameStore(), clock=lambda: NOW)
    puller.run_source("12345热线")
    frames = {name: puller.store.frame("incidents", name) for name in ("by_district", "region_match")}
    html_text = to_html(map_legend(frames["by_district"], load_geography(settings), frames["region_match"]))
    assert "2 条事件的区域编码不在地图中" in html_text and "近30日事件" in html_text
    assert "区域编码" not in to_html(map_legend(frames["by_district"], load_geography(settings)))


def test_run_py_pull_reports_region_ids_not_on_the_map(changsha):
    settings, _ = changsha
    out = subprocess.run([sys.executable, "run.py", "--config", settings.config_path, "pull"], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("12345热线"))
    assert "成功" in line and "2 条事件（40.0%）的区域编码不在地图中，例: 芙蓉（2）" in line


def test_a_line_the_reader_set_aside_shows_its_whole_text_masked(tmp_path):
    """A CSV line with an unquoted comma has no columns of its own: the quarantine viewer and the
    report show the line itself (原始行), with personal data masked like every raw row."""
    from dashboard.masking import mask_rows
    from dashboard.settings import SourceSettings
    from dashboard.source_check import RAW_LINE, raw_rows_of

    path = tmp_path / "12345.csv"
    path.write_text(HEADER + ROWS[0] + "\n" + "H9,郑一,13812345678,路灯,不亮,430102,2026/11/20 08:00,1\n" + ROWS[2] + "\n",
                    encoding="utf-8")
    source = SourceSettings.model_validate({
        "name": "12345热线", "dataset": "incidents", "kind": "files", "path": str(path),
        "columns": {"工单编号": "incident_id", "区县编码": "region_id", "受理时间": "reported_at", "状态": "status"},
        "values": {"status": {"1": "受理"}}, "constants": {"source": "12345", "category": "综合"}})
    settings = load_settings(None, environ={})
    raw = read_raw(source, settings)
    result = validate("incidents", map_raw(raw, source), now=NOW)
    assert result.rows_ok == 2 and result.rows_quarantined == 1
    shown = raw_rows_of(result.quarantined, raw)
    assert list(shown[RAW_LINE]) == ["H9,郑一,13812345678,路灯,不亮,430102,2026/11/20 08:00,1"]
    masked = mask_rows(shown.to_dict("records"), (), True)
    assert "13812345678" not in masked[0][RAW_LINE] and "138****5678" in masked[0][RAW_LINE]
