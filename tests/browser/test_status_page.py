"""数据状态 page in headless Chromium."""
import pytest

pytestmark = pytest.mark.browser


def test_status_page_lists_datasets_and_pulls(live_app, open_page):
    watch = open_page(live_app.url + "/status")
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
