"""/incidents over a real city's district-only geography (长沙, ../shared/data/geo/430100.json): the
map drills from the city into a district, and below the last polygon level it lights the incidents'
lon/lat; the breadcrumb goes back up. The incidents are a CSV written here, read by the real puller."""
from __future__ import annotations

import csv
from datetime import datetime, timedelta

import orjson
import pytest

from tests.browser.test_incidents import click_map_child, kpis, wait_page

CONFIG = """
[city]
name = "长沙市"

[city.geo]
districts = "{districts}"
id_property = "adcode"

[app]
data_dir = "{data}"
store = "memory"

[[sources]]
name = "区划"
dataset = "regions"
kind = "geo"
schedule = "interval:1h"

[[sources]]
name = "12345 工单"
dataset = "incidents"
kind = "files"
path = "{incidents}"
encoding = "utf-8"
schedule = "interval:1h"
"""
PER_DISTRICT = 40


@pytest.fixture(scope="module")
def changsha(live_app, shared_data, tmp_path_factory):
    """The app's runtime switched to 长沙's districts and a CSV of incidents in them; the demo's is back after."""
    from dashboard import runtime
    from dashboard.pullers import Puller
    from dashboard.settings import load_settings
    from dashboard.store import MemoryFrameStore

    folder = tmp_path_factory.mktemp("changsha")
    geo = shared_data / "geo" / "430100.json"
    features = orjson.loads(geo.read_bytes())["features"]
    now = datetime.now().replace(microsecond=0)
    with open(folder / "incidents.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["incident_id", "source", "category", "region_id", "lon", "lat", "reported_at", "deadline_at",
                      "closed_at", "status"])
        for d, feature in enumerate(features):
            lon, lat = feature["properties"]["centroid"]
            for i in range(PER_DISTRICT + d):
                reported = now - timedelta(hours=5 * i + d)
                closed = i % 3 == 0
                out.writerow([f"CS{d:02d}{i:04d}", "12345", ("市容环境", "交通出行")[i % 2],
                              feature["properties"]["adcode"], round(lon + (i % 7 - 3) * 0.004, 5),
                              round(lat + (i % 5 - 2) * 0.004, 5), f"{reported:%Y-%m-%d %H:%M:%S}",
                              f"{reported + timedelta(days=2):%Y-%m-%d %H:%M:%S}",
                              f"{reported + timedelta(hours=3):%Y-%m-%d %H:%M:%S}" if closed else "",
                              "已办结" if closed else "处置中"])
    config = folder / "citywall.toml"
    config.write_text(CONFIG.format(districts=geo.as_posix(), data=(folder / "data").as_posix(),
                                    incidents=(folder / "incidents.csv").as_posix()), encoding="utf-8")
    settings = load_settings(config, environ={})
    store = MemoryFrameStore()
    puller = Puller(settings, store)
    assert all(r.ok for r in puller.run_all("test"))
    demo = runtime.current()
    runtime.install(runtime.Runtime(settings, store, puller.engine))
    yield features
    runtime.install(demo)


def test_district_only_geography_drills_to_the_incidents_points(changsha, live_app, open_page):
    watch = open_page(live_app.url + "/incidents")
    page = watch.page
    wait_page(page, "全市")
    total = sum(PER_DISTRICT + d for d in range(len(changsha)))
    assert kpis(page)[0] == f"{total:,}"
    fills = page.evaluate("() => document.querySelector('#inc-map .js-plotly-plot').data"
                          ".filter(t => t.fill === 'toself').length")
    assert fills == len(changsha)  # 长沙's 9 districts

    href = click_map_child(page, 2)
    adcode = href.split("region=")[1].split("&")[0]
    feature = next(f for f in changsha if str(f["properties"]["adcode"]) == adcode)
    name = feature["properties"]["name"]
    wait_page(page, name)
    d = changsha.index(feature)
    assert kpis(page)[0] == f"{PER_DISTRICT + d:,}"
    assert "事件点位密度" in page.inner_text("#incidents-page")
    images = page.evaluate("() => (document.querySelector('#inc-map .js-plotly-plot').layout.images || []).length")
    assert images == 1  # the incidents' density over the district's outline
    assert page.locator(".cw-crumb").all_inner_texts() == ["大屏", "全市", name]
    page.locator("a.cw-crumb", has_text="全市").click()
    wait_page(page, "全市")
    assert watch.off_host() == [] and watch.console_errors == []
