"""The wall read from 5 m, in headless Chromium: every visible text (HTML, CSS-drawn ::before/::after
text and Plotly's SVG text: ticks, cell values, names, annotations) at or over the type scale's
minimums (16 px a label, 14 px an axis tick, per 1920 px of canvas width, times city.text_scale),
no text running out of its panel or cut with an ellipsis, the map legend never over the district in
focus, and district names that never overlap on the real 长沙 GeoJSON."""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from layouts import theme
from layouts.wall_ids import IDS
from tests.browser.test_wall import open_wall

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

#: every visible text of the canvas with its computed size (the canvas px it is laid out in)
TEXTS = """() => {
  const canvas = document.getElementById('wall-canvas');
  const s = parseFloat(canvas.style.getPropertyValue('--s')) || 1;
  const ts = parseFloat(canvas.style.getPropertyValue('--ts')) || 1;
  const out = [];
  const visible = el => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || parseFloat(cs.opacity) === 0) return false;
    }
    return true;
  };
  const walker = document.createTreeWalker(canvas, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.nodeValue.trim()) continue;
    const el = n.parentElement;
    if (seen.has(el) || !visible(el)) continue;
    seen.add(el);
    const svg = el instanceof SVGElement;
    const tick = svg && !!el.closest('.xtick, .ytick, .y2tick, .x2tick');
    out.push({text: n.nodeValue.trim().slice(0, 30), size: parseFloat(getComputedStyle(el).fontSize), tick, svg,
              cls: (el.getAttribute('class') || el.tagName)});
  }
  for (const el of canvas.querySelectorAll('*')) {  // text drawn by CSS: ::before / ::after content
    for (const pseudo of ['::before', '::after']) {
      const cs = getComputedStyle(el, pseudo);
      const content = cs.content;
      if (!content || content === 'none' || content === 'normal' || content === '""' || !visible(el)) continue;
      const text = content.replace(/^"|"$/g, '').trim();
      if (!text) continue;
      out.push({text: text.slice(0, 30), size: parseFloat(cs.fontSize), tick: false, svg: false, cls: el.className + pseudo});
    }
  }
  return {s, ts, items: out};
}"""

#: every visible text that leaves its panel's body (its em box, so a font's line gap does not count)
#: or is cut (scrollWidth over clientWidth); the ticker's rows scroll, so only across
OVERFLOWS = """() => {
  const canvas = document.getElementById('wall-canvas');
  const bad = [];
  const walker = document.createTreeWalker(canvas, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.nodeValue.trim()) continue;
    const el = n.parentElement;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const hidden = [...function*(){ for (let e = el; e && e !== canvas; e = e.parentElement) yield e; }()]
      .some(e => getComputedStyle(e).display === 'none' || getComputedStyle(e).visibility === 'hidden');
    if (hidden) continue;
    const box = el.closest('.cw-panel-body, .cw-panel-head, .cw-kpi, .cw-header');
    if (!box) continue;
    const b = box.getBoundingClientRect();
    const scrolled = !!el.closest('.cw-ticker-track');
    const tol = 1;
    const size = parseFloat(getComputedStyle(el).fontSize), inset = Math.max(0, (r.height - size) / 2);  // the em box
    const out = r.left < b.left - tol || r.right > b.right + tol ||
      (!scrolled && (r.top + inset < b.top - tol || r.bottom - inset > b.bottom + tol));
    const cut = !(el instanceof SVGElement) && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== 'visible';
    if (out || cut) bad.push({text: n.nodeValue.trim().slice(0, 30), cls: el.getAttribute('class'), out, cut,
                              r: [r.left, r.top, r.right, r.bottom].map(Math.round), b: [b.left, b.top, b.right, b.bottom].map(Math.round)});
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def walls(live_app, shared_data):
    """The demo wall on its 1920×1080 canvas, the same data on a 3840×2160 canvas, and over 长沙's real
    districts with ``city.text_scale = 1.25``: name → runtime. The pages reach the app through the
    one installed runtime, so a test installs the one it opens (:func:`serve`) on the same server,
    store and database; the demo's is back afterwards."""
    from dashboard import runtime

    demo = runtime.current()

    def variant(**city):
        settings = demo.settings.model_copy(update={"city": demo.settings.city.model_copy(update=city)})
        return runtime.Runtime(settings, demo.store, demo.engine)

    changsha = demo.settings.city.geo.model_copy(update={"districts": str(shared_data / "geo" / "430100.json"),
                                                         "id_property": "adcode"})
    yield {"demo": demo, "4k": variant(canvas=(3840, 2160)), "changsha": variant(text_scale=1.25, geo=changsha),
           "busy": busy_city(demo, demo.settings), "busy-large": busy_city(demo, variant(text_scale=1.25).settings)}
    runtime.install(demo)


#: the widest counts a tile shows before fmt.count switches to 万 (999,999 → '999,999'; 10⁶ → '100.0万')
BUSIEST = {"incidents": 99_999, "open_all": 999_999, "overdue_open_all": 888_888}


def busy_city(demo, settings):
    """The demo city's frames in a store of their own, with a city's worth of open cases: the incident
    summaries count six-digit open and overdue cases, so the 今日事件 tile's longest lines are drawn."""
    from dashboard import runtime
    from dashboard.store import MemoryFrameStore

    store = MemoryFrameStore()
    for dataset in demo.store.datasets():
        snapshot = demo.store.snapshot(dataset)
        frames = dict(snapshot.frames)
        if dataset == "incidents":
            for name in ("summary", "summary_by_district"):
                frames[name] = frames[name].assign(**BUSIEST)
        store.publish(dataset, frames, snapshot.meta)
    return runtime.Runtime(settings, store, demo.engine)


def serve(walls, name: str):
    """Install the runtime ``name`` and → it."""
    from dashboard import runtime

    if runtime.current() is not walls[name]:
        runtime.install(walls[name])
    return walls[name]


CANVASES = {"1920x1080": ("demo", 1920, 1080), "3840x2160": ("4k", 3840, 2160),
            "changsha-text1.25": ("changsha", 1920, 1080), "busy-1920x1080": ("busy", 1920, 1080),
            "busy-text1.25": ("busy-large", 1920, 1080)}


@pytest.fixture(params=list(CANVASES))
def wall(request, walls):
    name, width, height = CANVASES[request.param]
    return request.param, serve(walls, name), width, height


def test_every_text_meets_the_minimum_sizes(wall, live_app, open_page):
    name, rt, width, height = wall
    watch = open_wall(open_page, live_app.url + "/wall", width, height)
    found = watch.page.evaluate(TEXTS)
    unit = found["s"] * found["ts"]
    assert unit == pytest.approx(rt.settings.city.canvas[0] / 1920 * rt.settings.city.text_scale)
    assert unit == pytest.approx(width / 1920 * (1.25 if "text1.25" in name else 1.0))
    items = found["items"]
    ticks = [i for i in items if i["tick"]]
    svg_labels = [i for i in items if i["svg"] and not i["tick"]]  # heatmap values, map names, annotations
    drawn_by_css = [i for i in items if "::" in i["cls"]]  # the bullets' level, deadline and target
    assert len(items) > 300 and len(ticks) > 20 and len(svg_labels) > 20 and drawn_by_css, \
        (len(items), len(ticks), len(svg_labels), len(drawn_by_css))
    small = [i for i in items if i["size"] < (theme.TICK_PX if i["tick"] else theme.LABEL_PX) * unit - 0.01]
    assert small == [], small[:20]
    watch.screenshot(f"readable-{name}")


def test_no_text_leaves_its_panel_or_is_cut(wall, live_app, open_page):
    name, rt, width, height = wall
    watch = open_wall(open_page, live_app.url + "/wall", width, height)
    page = watch.page
    if name.startswith("busy"):  # the widest counts are really on screen
        assert f"{BUSIEST['open_all']:,}" in page.inner_text(f"#{IDS['kpi']['today']}")
    assert page.evaluate(OVERFLOWS) == []
    cut_off = page.evaluate("""() => [...document.querySelectorAll('.cw-html-body')]
        .filter(b => b.firstChild && b.firstChild.scrollHeight > b.clientHeight + 1).map(b => b.id)""")
    assert cut_off == [], cut_off
    assert watch.console_errors == []


FOCUS_AND_LEGEND = """() => {
  const plot = document.querySelector('#%s .js-plotly-plot');
  const i = plot.data.findIndex(t => t.line && t.line.color === '%s');
  const path = plot.querySelectorAll('.scatterlayer .trace')[i].querySelector('path.js-line');
  const f = path.getBoundingClientRect(), l = document.querySelector('.cw-map-legend').getBoundingClientRect();
  return {focus: [f.left, f.top, f.right, f.bottom], legend: [l.left, l.top, l.right, l.bottom]};
}""" % (IDS["graph"]["map"], theme.WARN)


def _overlap(a, b, tolerance=0.0) -> bool:
    return a[0] < b[2] - tolerance and b[0] < a[2] - tolerance and a[1] < b[3] - tolerance and b[1] < a[3] - tolerance


@pytest.mark.parametrize("city", ["demo", "changsha"])
def test_map_legend_never_covers_the_district_in_focus(city, walls, live_app, open_page):
    rt = serve(walls, city)
    ids = [f["id"] for f in rt.geography.layer("区县")["features"]]
    assert len(ids) >= 7
    watch = open_page("about:blank")
    for rid in ids:
        watch.page.goto(live_app.url + f"/wall?view=district:{rid}")
        watch.page.wait_for_function(f"() => {{ const p = document.querySelector('#{IDS['graph']['map']} .js-plotly-plot');"
                                     f" return p && p.data && p.data.some(t => t.line && t.line.color === '{theme.WARN}'); }}",
                                     timeout=60_000)
        boxes = watch.page.evaluate(FOCUS_AND_LEGEND)
        assert not _overlap(boxes["focus"], boxes["legend"]), (rid, boxes)
    watch.screenshot(f"readable-district-{city}")


def test_district_names_do_not_overlap_on_changsha(walls, live_app, open_page):
    serve(walls, "changsha")
    watch = open_wall(open_page, live_app.url + "/wall")
    boxes = watch.page.evaluate("""(id) => {
      const plot = document.querySelector('#' + id + ' .js-plotly-plot');
      const i = plot.data.findIndex(t => t.name === '区县名称');
      return [...plot.querySelectorAll('.scatterlayer .trace')[i].querySelectorAll('text')].map(t => {
        const r = t.getBoundingClientRect();
        return [t.textContent, [r.left, r.top, r.right, r.bottom]];
      });
    }""", IDS["graph"]["map"])
    names = [name for name, _ in boxes]
    assert {"芙蓉区", "天心区", "开福区", "雨花区", "岳麓区"} <= set(names), names
    for (a, box_a), (b, box_b) in combinations(boxes, 2):
        assert not _overlap(box_a, box_b, tolerance=1.0), (a, b, box_a, box_b)
    leaders = watch.page.evaluate("""(id) => {
      const plot = document.querySelector('#' + id + ' .js-plotly-plot');
      return plot.data.find(t => t.name === '区县名称引线').x.filter(v => v === null).length;
    }""", IDS["graph"]["map"])
    assert leaders >= 1  # the crowded centre's names moved, each with a line back to its district
    watch.screenshot("readable-map-labels-changsha")
