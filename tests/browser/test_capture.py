"""Server-side PNG captures (dashboard/capture.py) in real headless Chromium: the wall at its canvas
size and a drill-down page at 1920×1080, taken once the page's drawn flag is up (every panel region
holds a drawing, the stamp names the view and the data version), a Chinese error on timeout and
without Chromium, and ``python run.py snapshot`` from no running server."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import capture
from dashboard.settings import ExportSettings
from layouts.wall_ids import IDS
from tests.browser.test_wall import wait_ready

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]

#: decodes a PNG in the browser → its size, its distinct colours (sampled) and each region's spread
PIXELS = """async ([b64, rects]) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const spread = (x, y, w, h) => {
    const d = g.getImageData(x, y, Math.max(1, w), Math.max(1, h)).data;
    let n = 0, sum = 0, sq = 0;
    for (let i = 0; i < d.length; i += 4) { const v = d[i] + d[i + 1] + d[i + 2]; n++; sum += v; sq += v * v; }
    return Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2));
  };
  const colours = new Set();
  const all = g.getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < all.length; i += 4 * 97) colours.add((all[i] << 16) | (all[i + 1] << 8) | all[i + 2]);
  return {w: c.width, h: c.height, colours: colours.size, whole: spread(0, 0, c.width, c.height),
          regions: rects.map(r => [r.name, spread(Math.round(r.x), Math.round(r.y), Math.round(r.w), Math.round(r.h))])};
}"""
PANEL_RECTS = """() => [...document.querySelectorAll('#wall-canvas .cw-panel, #wall-canvas .cw-kpi')].map(el => {
  const r = el.getBoundingClientRect();
  return {name: el.getAttribute('data-name') || el.id || el.className, x: r.x, y: r.y, w: r.width, h: r.height};
})"""


def decoded(open_page, png: bytes, rects=()) -> dict:
    return open_page("about:blank").page.evaluate(PIXELS, [base64.b64encode(png).decode(), list(rects)])


def test_the_wall_capture_waits_for_every_panel_and_is_stamped(live_app, open_page):
    width, height = live_app.settings.city.canvas
    shot = capture.capture_png(live_app.settings, live_app.url, capture.wall_path(), (width, height))
    assert shot.png[:8] == b"\x89PNG\r\n\x1a\n" and shot.size == (width, height)
    # the same page as the capture saw it: its panels' regions and its stamp
    watch = open_page(live_app.url + capture.wall_path(), width, height)
    wait_ready(watch.page)
    rects = watch.page.evaluate(PANEL_RECTS)
    assert len(rects) >= 12, rects  # every panel and KPI tile
    stamp = watch.page.inner_text("#cw-capture-stamp")
    version = watch.page.get_attribute(f"#{IDS['root']}", "data-cw-version")
    assert stamp.startswith("全市 · 数据版本 " + version) and "截图于 " in stamp, stamp
    assert watch.page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '数据版本')")
    pixels = decoded(open_page, shot.png, rects)
    assert (pixels["w"], pixels["h"]) == (width, height)
    assert pixels["colours"] > 50 and pixels["whole"] > 10, pixels  # not one colour
    empty = [name for name, spread in pixels["regions"] if spread < 4]
    assert empty == [], empty  # every panel region holds a drawing, not a flat background
    watch.screenshot("capture-wall-page")


def test_a_district_view_and_a_drill_down_page_are_captured(live_app, open_page):
    district = live_app.store.frame("regions", "regions").query("level == '区县'").iloc[0]
    watch = open_page(live_app.url + capture.wall_path(f"district:{district['region_id']}"))
    wait_ready(watch.page)
    assert watch.page.inner_text("#cw-capture-stamp").startswith(f"{district['name']} · 数据版本 ")

    drill = capture.capture_png(live_app.settings, live_app.url,
                                capture.capture_path(f"/district/{district['region_id']}"), capture.DRILL_SIZE)
    pixels = decoded(open_page, drill.png)
    assert (pixels["w"], pixels["h"]) == (1920, 1080) and pixels["colours"] > 5, pixels
    page = open_page(live_app.url + capture.capture_path(f"/district/{district['region_id']}")).page
    wait_ready(page)
    stamp = page.inner_text("#cw-capture-stamp")  # the drill-down's breadcrumb names the district
    assert f"全市 › {district['name']} · 数据版本 " in stamp, stamp


def test_a_page_that_never_draws_fails_in_chinese_after_the_timeout(live_app):
    settings = live_app.settings.model_copy(update={"export": ExportSettings(capture_timeout_seconds=3)})
    with pytest.raises(capture.CaptureError) as caught:  # /status has no drawn flag: it never counts as drawn
        capture.capture_png(settings, live_app.url, "/status?capture=1", (1280, 720))
    assert "等待页面绘制完成超时（3 秒）" in caught.value.message


def test_without_chromium_the_error_names_the_debian_packages(live_app):
    settings = live_app.settings.model_copy(update={"export": ExportSettings(chromium="/nonexistent/chromium")})
    with pytest.raises(capture.CaptureError) as caught:
        capture.capture_png(settings, live_app.url, capture.wall_path(), (1920, 1080))
    message = caught.value.message
    assert "/nonexistent/chromium" in message and "chromium" in message and "fonts-noto-cjk" in message


def _snapshot_config(tmp_path: Path) -> Path:
    base = (REPO / "config" / "citywall.toml").read_text(encoding="utf-8")
    config = tmp_path / "citywall.toml"
    config.write_text(base.replace('data_dir = "../data"', f'data_dir = "{tmp_path / "data"}"')
                      .replace("incidents = 60000", "incidents = 3000").replace("live = true", "live = false")
                      .replace('anonymous_role = "leader"', 'anonymous_role = ""'),  # the capture needs no anonymous access
                      encoding="utf-8")
    return config


def _run(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def test_cli_snapshot_serves_the_app_itself_and_stops(tmp_path, open_page):
    config = _snapshot_config(tmp_path)
    out = tmp_path / "out" / "wall.png"
    done = _run("--config", str(config), "snapshot", "--png", str(out))
    assert done.returncode == 0, done.stderr
    assert f"截图已保存: {out}（1920×1080，全市）" in done.stdout
    pixels = decoded(open_page, out.read_bytes())
    assert (pixels["w"], pixels["h"]) == (1920, 1080) and pixels["colours"] > 50, pixels

    bad = _run("--config", str(config), "snapshot", "--png", str(out), "--view", "district:nowhere")
    assert bad.returncode == 1 and "--view 的值 district:nowhere 无效" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr
    missing = _run("--config", str(config), "snapshot", "--png", str(tmp_path / "x.png"),
                   env={"CITYWALL_EXPORT__CHROMIUM": '"/nonexistent/chromium"'})
    assert missing.returncode == 1 and "截图失败：未找到可用的 Chromium" in missing.stderr, missing.stderr
    assert "fonts-noto-cjk" in missing.stderr and not (tmp_path / "x.png").exists()
