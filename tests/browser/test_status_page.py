"""数据状态 page in headless Chromium."""
import io
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser


def test_status_page_lists_datasets_and_pulls(live_app, open_page):
    from dashboard import accounts
    from tests.auth_helpers import add_user

    if accounts.find_user(live_app.puller.engine, "status-ops") is None:
        add_user(live_app.puller.engine, "status-ops", "operator")  # quarantined rows need view_raw_rows
    watch = open_page(live_app.url + "/status", user="status-ops")
    page = watch.page
    page.wait_for_selector("table.cw-table")
    text = page.inner_text("body")
    assert "数据集" in text and "最近拉取" in text
    for label in ("资源目录", "信息系统", "事件", "目标指标"):
        assert label in text
    assert "演示-事件" in text and "成功" in text and "测试" in text and "test" not in text.split("最近拉取")[1]
    assert "隔离行" in text and "closed_at 早于 reported_at" in text  # the demo's deliberate bad rows
    assert watch.console_errors == []
    assert watch.off_host() == []
    watch.screenshot("status-1920x1080")


# ---- held publishes, source checks and the quarantine viewer, on a city of department files ------------

@pytest.fixture
def hotline_app(tmp_path):
    """A city with two files sources, pulled here and then served by ``run.py serve`` in its own process:
    a hotline export with 130 bad rows carrying callers' names and phones, and a department list whose
    latest export is header-only (held)."""
    import socket
    import subprocess
    import sys
    import time

    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import open_store
    from tests.browser.conftest import _free_port

    long_text = "诉求描述" + "很长的描述" * 40 + "，回电 13900001111"
    lines = [f"H{i},来电人{i},1380000{i:04d},2026/11/2{i % 9} 08:00,{long_text}" for i in range(10)]
    lines += [f"B{i},来电人{i},1390000{i:04d},2026/13/45 08:00,{long_text}" for i in range(130)]
    (tmp_path / "12345.csv").write_text("工单编号,来电人,联系电话,受理时间,诉求\n" + "\n".join(lines) + "\n",
                                        encoding="utf-8")
    depts = tmp_path / "depts.csv"
    depts.write_text("dept_id,name,short_name,kind\n" + "".join(f"D{i},第{i}局,{i}局,委办局\n" for i in range(47)),
                     encoding="utf-8")
    config = tmp_path / "city.toml"
    config.write_text(f"""[city]\nname = "测试市"\n[app]\ndata_dir = "{tmp_path / 'var'}"\nrefresh_seconds = 60
[[sources]]\nname = "部门名录"\ndataset = "departments"\nkind = "files"\npath = "depts.csv"
[[sources]]\nname = "12345热线"\ndataset = "incidents"\nkind = "files"\npath = "12345.csv"
personal = ["来电人", "联系电话"]
columns = {{ "工单编号" = "incident_id", "受理时间" = "reported_at" }}
constants = {{ source = "12345", category = "综合", status = "受理" }}
""", encoding="utf-8")
    settings = load_settings(config, environ={})
    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    from tests.auth_helpers import add_user

    add_user(puller.engine, "hotline-ops", "operator")  # this city allows no anonymous access
    assert puller.run_source("部门名录").ok
    depts.write_text("dept_id,name,short_name,kind\n", encoding="utf-8")
    assert puller.run_source("部门名录").held
    assert puller.run_source("12345热线").rows_quarantined == 130
    port = _free_port()
    server = subprocess.Popen([sys.executable, "run.py", "--config", str(config), "serve", "--no-scheduler",
                               "--port", str(port)], cwd=Path(__file__).resolve().parents[2],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.own_servers
def test_status_shows_held_publishes_reports_and_every_quarantined_row_masked(hotline_app, open_page):
    watch = open_page(hotline_app + "/status", user="hotline-ops")
    page = watch.page
    page.wait_for_selector("table.cw-quarantine")
    text = page.inner_text("body")
    assert "暂缓的发布（发布保护）" in text and "python run.py pull --accept 部门名录" in text
    assert "47 → 0" in text and "暂缓发布" in text and "滞后" in text
    assert "第 1 / 3 页 · 共 130 行" in text
    assert "12345热线 · 事件 · 读取 140 行，合格 10，隔离 130" in text
    raw_cells = page.locator("table.cw-quarantine td .cw-raw")
    assert raw_cells.count() == 50
    first = raw_cells.first.inner_text()
    assert first.endswith("回电 139****1111") and len(first) > 250  # whole, not cut at 160 characters
    assert "来电人: 来*" in first and "联系电话: 139****0000" in first
    assert "13900000000" not in text and "13900001111" not in text and "来电人0" not in text

    with page.expect_download() as download:
        page.click("text=下载全部隔离行（CSV，已脱敏）")
    csv = Path(download.value.path()).read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    exported = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig", dtype=str)
    assert len(exported) == 130 and list(exported.columns[:5]) == ["数据源", "数据集", "源行号", "原因", "工单编号"]
    assert exported["联系电话"].str.fullmatch(r"139\*{4}\d{4}").all() and not exported["来电人"].str.contains("来电人").any()
    assert exported["诉求"].str.endswith("回电 139****1111").all()

    page.click("text=下一页")
    page.wait_for_selector("text=第 2 / 3 页 · 共 130 行")
    page.click("text=下一页")
    page.wait_for_selector("text=第 3 / 3 页 · 共 130 行")
    assert page.locator("table.cw-quarantine td .cw-raw").count() == 30
    assert "B129" in page.inner_text("table.cw-quarantine")
    assert watch.console_errors == [] and watch.off_host() == []
    watch.screenshot("status-held-and-quarantine")
