"""The A4 PDF 通报: /briefing printed by real headless Chromium (dashboard/capture.py capture_pdf) over
the seeded demo city, read back with poppler's pdftotext and pdffonts and with pypdf: its title,
city, period and sections, the scoreboard's numbers as /scoreboard computes them, a target's
forecast date, embedded CJK fonts, page numbers in every footer, a continued table's repeated header,
no row split across pages; /briefing refuses a caller without ``export`` on the server (callers log
in for real); and ``python run.py snapshot --pdf``."""
from __future__ import annotations

import io
import re
import subprocess
from datetime import date

import pytest
import requests
from pypdf import PdfReader

from dashboard import capture
from dashboard import formatting as fmt
from dashboard import programme_data
from dashboard.briefing_view import SECTIONS, period_text
from layouts.drill_parts import LIGHT_TEXT
from layouts.scoreboard_page import score_text
from tests.browser.test_capture import _run, _snapshot_config
from tests.auth_helpers import add_user, login

pytestmark = pytest.mark.browser
SCOREBOARD_HEADER = "排名部门得分较上期信号灯共享率汇聚率上云率"


def compact(text: str) -> str:
    """Text without any white space: a table cell wrapped over lines reads as one string."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def briefing(live_app, tmp_path_factory):
    """The PDF, its path, and its text page by page (pdftotext: pages end with a form feed)."""
    document = capture.capture_pdf(live_app.settings, live_app.url, footer="示范市 · 通报")  # service token: view_briefing
    path = tmp_path_factory.mktemp("briefing") / "briefing.pdf"
    path.write_bytes(document)
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    return {"pdf": document, "path": path, "pages": pages, "compact": [compact(p) for p in pages]}


def ranked_rows(board) -> list[str]:
    """Each scoreboard row as the 通报 prints it, without white space."""
    return [compact(f"{r.rank}{r.name}{score_text(r.score)}{fmt.MISSING if r.change is None else f'{r.change * 100:+.1f}'}"
                    f"{LIGHT_TEXT[r.light]}"
                    f"{fmt.percent(r.sharing_rate)}{fmt.percent(r.aggregation_rate)}{fmt.percent(r.cloud_migration_rate)}")
            for r in board.ranked.itertuples()]


def test_the_pdf_holds_title_city_period_sections_and_the_scoreboards_numbers(briefing, live_app):
    assert briefing["pdf"][:5] == b"%PDF-"
    whole = "".join(briefing["compact"])
    city = live_app.settings.city.name
    assert whole.startswith(compact(f"{city}智慧城市运行指挥中心{city}智慧城市建设运行情况通报")), whole[:80]
    assert compact(f"通报期：{period_text(date.today(), live_app.settings.scoreboard.period)}") in whole
    assert compact(f"印发日期：{fmt.day(date.today())}") in whole
    for heading in SECTIONS:
        assert heading in whole, heading
    board = programme_data.select_scoreboard({}, [])  # what /scoreboard shows
    assert len(board.lagging), "the demo city has departments below the threshold"
    worst = board.lagging.iloc[0]
    lagging_row = compact(f"{worst['rank']}{worst['name']}{score_text(worst['score'])}")
    assert lagging_row in whole  # in the ranking and in the list of departments below threshold
    assert whole.count(lagging_row) == 2
    assert all(row in whole for row in ranked_rows(board))  # every department's numbers as /scoreboard's
    targets = programme_data.select_targets({}, [])
    forecasts = [t for t in targets["reach"] if "预计" in t]
    assert forecasts, "the demo city has a target on track with a forecast date"
    for reach in forecasts:
        assert compact(reach) in whole, reach
    assert "数据截至" in whole and "数据来源与时效" in whole


def test_every_font_is_embedded_and_the_text_is_set_in_noto_cjk(briefing):
    listing = subprocess.run(["pdffonts", str(briefing["path"])], capture_output=True, text=True, check=True).stdout
    fonts = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    assert fonts, listing
    for row in fonts:  # name type… encoding emb sub uni object ID: emb is the 5th field from the end
        assert row[-5] == "yes", listing
    names = [row[0] for row in fonts]
    assert any("NotoSansCJKsc" in name for name in names), listing
    assert not any(row[1] == "Type" and row[2] == "3" for row in fonts), listing  # named, not glyph procedures


def test_every_page_has_its_number_in_the_footer(briefing):
    reader = PdfReader(io.BytesIO(briefing["pdf"]))
    total = len(reader.pages)
    assert total >= 3 and total == len(briefing["pages"])
    for number, page in enumerate(reader.pages, start=1):
        box = page.mediabox
        # A4 (210 × 297 mm) in points; Chromium rounds its page size to whole CSS pixels
        assert abs(float(box.width) - 595.3) < 1.5 and abs(float(box.height) - 841.9) < 1.5, box
        footer = compact(page.extract_text())
        assert compact(f"第 {number} 页 / 共 {total} 页") in footer, (number, footer[-60:])
        assert compact(briefing["pages"][number - 1]).endswith(compact(f"示范市 · 通报 第 {number} 页 / 共 {total} 页"))


def test_the_scoreboard_continues_with_its_header_and_no_row_is_split(briefing):
    board = programme_data.select_scoreboard({}, [])
    rows = ranked_rows(board)
    where = {row: [i for i, page in enumerate(briefing["compact"]) if row in page] for row in rows}
    split = [row for row, found in where.items() if len(found) != 1]
    assert split == [], split  # each row whole on exactly one page
    spanned = sorted({found[0] for found in where.values()})
    assert len(spanned) >= 2, "the demo city's 47 departments continue the table on a next page"
    for page in spanned:
        assert SCOREBOARD_HEADER in briefing["compact"][page], page
        # the header leads the page's part of the table
        first = min(briefing["compact"][page].index(row) for row in rows if where[row][0] == page)
        assert briefing["compact"][page].rfind(SCOREBOARD_HEADER, 0, first) >= 0
    kpi_rows = [compact(f"{k.name}{k.value}{k.scope}") for k in briefing_kpis()]
    assert all(sum(row in page for page in briefing["compact"]) == 1 for row in kpi_rows), kpi_rows


def briefing_kpis():
    from dashboard.briefing_data import current_briefing

    return current_briefing()[0].kpis


def test_briefing_refuses_a_caller_without_export_on_the_server(live_app):
    anonymous = requests.get(live_app.url + "/briefing", allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]  # anonymous: leader, no 通报
    add_user(live_app.puller.engine, "brief-leader", "leader")
    leader = login(requests.Session(), live_app.url, "brief-leader")  # may see the drill-downs, not export
    refused = leader.get(live_app.url + "/briefing", timeout=30)
    assert refused.status_code == 403 and "当前账号（领导）没有「查看通报」权限" in refused.text
    shell = leader.get(live_app.url + "/_dash-layout", headers={"Referer": live_app.url + "/briefing"}, timeout=30)
    assert "查看通报" in shell.text and "智慧城市建设运行情况通报" not in shell.text  # the page's refusal, no data


def test_briefing_opens_for_a_caller_with_export(live_app):
    add_user(live_app.puller.engine, "brief-staff", "briefing")
    staff = login(requests.Session(), live_app.url, "brief-staff")
    assert staff.get(live_app.url + "/briefing", timeout=30).status_code == 200
    shell = staff.get(live_app.url + "/_dash-layout", headers={"Referer": live_app.url + "/briefing"}, timeout=30)
    assert "智慧城市建设运行情况通报" in shell.text and "cw-refused" not in shell.text


def test_a_capture_sent_to_the_login_fails_in_chinese(live_app):
    with pytest.raises(capture.CaptureError) as caught:  # /admin needs an admin's login: the service token only views
        capture.capture_png(live_app.settings, live_app.url, "/admin", (1280, 720))
    assert "服务令牌未被接受" in caught.value.message and "只能查看大屏、下钻页面与通报" in caught.value.message


def test_cli_snapshot_pdf_serves_the_app_itself(tmp_path):
    config = _snapshot_config(tmp_path)
    out = tmp_path / "out" / "通报.pdf"
    done = _run("--config", str(config), "snapshot", "--pdf", str(out))
    assert done.returncode == 0, done.stderr
    assert f"通报已保存: {out}" in done.stdout
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "示范市智慧城市建设运行情况通报" in text and "第1页/共" in compact(text)
    # all three at once, one served app: the district's wall, the city's 通报, the district's workbook
    from dashboard.settings import load_settings
    from dashboard.store import open_store

    settings = load_settings(config, environ={})
    district = open_store(settings.app.store, settings.data_dir).frame("regions", "regions").query(
        "level == '区县'")["region_id"].iloc[0]
    png, pdf, xlsx = tmp_path / "all" / "大屏.png", tmp_path / "all" / "通报.pdf", tmp_path / "all" / "数据.xlsx"
    every = _run("--config", str(config), "snapshot", "--png", str(png), "--pdf", str(pdf), "--xlsx", str(xlsx),
                 "--view", f"district:{district}")
    assert every.returncode == 0, every.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pdf.read_bytes()[:5] == b"%PDF-" and xlsx.stat().st_size
    assert all(f"已保存: {p}" in every.stdout for p in (png, pdf, xlsx)) and "Traceback" not in every.stderr
    page = _run("--config", str(config), "snapshot", "--pdf", str(out), "--page", "/incidents")
    assert page.returncode == 1 and "--page 只用于 --png 截图" in page.stderr
