"""Every trace type each registered page draws is in the plotly.js bundle that page gets: the traces
are collected from each page's figures built over the demo city, the bundle's trace modules are read
from the very file the page's HTML links."""
from __future__ import annotations

import re

import dash
import pytest
from dash import dcc

from dashboard import pages
from dashboard.permissions import LOGIN_ONLY
from dashboard.app import PLOTLY_BUNDLE_VERSION
from tests.demo_app import demo_test_client

SAMPLE_IDS = {"region_id": "D01", "dept_id": "x"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return demo_test_client(tmp_path_factory.mktemp("bundles"))


def trace_types(layout) -> set[str]:
    """The trace types of every dcc.Graph in a layout (a trace without a type is a scatter)."""
    out = set()
    for component in pages.components(layout):
        if isinstance(component, dcc.Graph) and component.figure:
            figure = component.figure if isinstance(component.figure, dict) else component.figure.to_plotly_json()
            out.update(trace.get("type", "scatter") for trace in figure.get("data", []))
    return out


def plotly_scripts(client, path: str) -> list[str]:
    """The plotly.js scripts the page at ``path`` links."""
    html = client.get(path).get_data(as_text=True)
    return [src for src in re.findall(r'<script src="([^"]+)"', html) if "plotly" in src.rsplit("/", 1)[-1]]


def graphs(layout) -> list:
    return [c for c in pages.components(layout) if isinstance(c, dcc.Graph)]


def bundle_traces(client, path: str) -> tuple[str, set[str]]:
    """(the plotly.js script the page at ``path`` links, the trace types that file registers)."""
    plotly = plotly_scripts(client, path)
    assert len(plotly) == 1, (path, plotly)
    response = client.get(plotly[0])
    assert response.status_code == 200 and response.cache_control.max_age == 31_536_000, plotly[0]
    return plotly[0], set(re.findall(r'moduleType:"trace",name:"(\w+)"', response.get_data(as_text=True)))


def _path(page: dict) -> str:
    template = page.get("path_template")
    return re.sub(r"<([^<>]+)>", lambda m: SAMPLE_IDS.get(m.group(1), "x"), template) if template else page["path"]


def test_every_page_gets_a_bundle_with_every_trace_type_it_draws(client, operator_caller):
    # an operator: /ops and /ops/quarantine answer their page, not the login redirect
    assert client.get("/").status_code == 200
    checked = {}
    for module, page in dash.page_registry.items():
        if pages.is_not_found_page(page) or page.get("permission") in LOGIN_ONLY:
            # a plain HTML answer (dashboard/not_found.py); a page that needs a login (/admin, /briefing)
            # answers this anonymous client with /login: /briefing's graphs are drawn in its browser test
            continue
        path = _path(page)
        _, variables = pages.match(path)
        layout = page["layout"].__wrapped__  # past the permission check: no caller outside a request
        drawn = trace_types(layout()) | trace_types(layout(**variables))  # default, and for an id
        if not page.get("draws_graphs", True):  # a page of tables and text links no plotly.js at all
            assert not drawn and not graphs(layout()) and not graphs(layout(**variables)), module
            assert plotly_scripts(client, path) == [], module
            checked[module] = (None, drawn)
            continue
        script, available = bundle_traces(client, path)
        assert drawn <= available, (module, script, drawn - available)
        checked[module] = (script, drawn)
    wall_script, wall_traces = checked["layouts.wall"]
    assert "plotly-cartesian" in wall_script and {"scatter", "heatmap"} <= wall_traces  # the wall draws graphs
    # the drill-down pages load the cartesian bundle too (a third of the full one to evaluate); only the
    # department page, whose sankey needs more, loads plotly's full bundle
    assert checked["layouts.programme_pages.scoreboard"][0] is None  # flagged draws_graphs=False
    kinds = {m: dash.page_registry[m].get("page_kind", pages.DRILL) for m in checked if checked[m][0]}
    drill = [m for m, kind in kinds.items() if kind == pages.DRILL]
    assert "layouts.incidents" in drill and all("plotly-cartesian" in checked[m][0] for m in drill), drill
    full = [m for m, kind in kinds.items() if kind == pages.DRILL_FULL]
    assert full == ["layouts.programme_pages.department"], full
    assert "package_data/plotly.min.js" in checked[full[0]][0] and "sankey" in checked[full[0]][1]


def test_a_tile_server_gives_the_wall_the_full_bundle_its_map_needs(tmp_path):
    from dashboard.app import create_app
    from dashboard.settings import load_settings
    from dashboard.store import open_store
    from dashboard.pullers import Puller
    from tests.demo_app import ROOT

    config = tmp_path / "citywall.toml"
    config.write_text((ROOT / "config" / "citywall.toml").read_text(encoding="utf-8")
                      .replace('data_dir = "../data"', f'data_dir = "{tmp_path / "data"}"')
                      .replace("incidents = 60000", "incidents = 500").replace("live = true", "live = false")
                      .replace('districts = ""', 'districts = ""\ntiles = "http://127.0.0.1:8090/tiles/{z}/{x}/{y}.png"'),
                      encoding="utf-8")
    settings = load_settings(config, environ={})
    store = open_store(settings.app.store, settings.data_dir)
    puller = Puller(settings, store)
    assert all(r.ok for r in puller.run_all("test"))
    client = create_app(settings, store, puller.engine).server.test_client()
    drawn = trace_types(dash.page_registry["layouts.wall"]["layout"].__wrapped__())
    script, available = bundle_traces(client, "/wall")
    assert "choroplethmap" in drawn and drawn <= available
    assert script.endswith(f"package_data/plotly.min.js?v={PLOTLY_BUNDLE_VERSION}")
