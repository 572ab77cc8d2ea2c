"""Pages registered the documented way: the path matcher, the validation layout, and a callback that
names an id no page has failing loudly."""
from __future__ import annotations

import ast
from pathlib import Path

import dash
import pytest
from dash import Input, Output, html

from dashboard import db, pages
from dashboard.app import create_app
from dashboard.settings import Settings
from dashboard.store import MemoryFrameStore
from tests.demo_app import demo_test_client

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return demo_test_client(tmp_path_factory.mktemp("pages"))


def _empty_app():
    return create_app(Settings(), MemoryFrameStore(), db.connect("sqlite://"))


def test_paths_open_the_registered_pages_with_their_variables(client):
    page, variables = pages.match("/district/D01")
    assert page["module"] == "layouts.incidents.district" and variables == {"region_id": "D01"}
    assert pages.match("department/财政局")[1] == {"dept_id": "财政局"}
    assert pages.match("/wall/")[0]["module"] == "layouts.wall" and pages.match("")[0]["module"] == "layouts.wall_home"
    assert pages.match("/status")[0]["module"] == "layouts.status"
    assert pages.match("/nothing-here") is None and pages.match("/district") is None
    assert pages.query_values("?a=1&b=2&b=3&c=") == {"a": "1", "b": ["2", "3"], "c": ""}
    assert pages.query_values("") == {}


def test_each_page_says_its_kind(client):
    assert {pages.page_kind(p) for p in ("/", "/wall", "/status", "/no-such-page")} == {pages.WALL}
    assert {pages.page_kind(p) for p in ("/district/D01", "/incidents", "/targets")} == {pages.DRILL}
    assert pages.page_kind("/department/x") == pages.DRILL_FULL  # its sankey needs plotly's full bundle


def test_the_first_layout_is_serialised_as_dash_itself_does(client):
    app = next(a for a in _dash_apps() if a.server is client.application)
    with client.application.test_request_context("/_dash-layout", headers={"Referer": "http://localhost/wall"}):
        ours = app.serve_layout().get_data()
        dashs = dash.Dash.serve_layout(app).get_data()  # Dash's own answer for the same layout
    assert ours == dashs


def _dash_apps():
    import gc

    return [o for o in gc.get_objects() if isinstance(o, dash.Dash)]


def test_no_module_uses_private_dash_apis():
    offenders = []
    for path in [*ROOT.glob("dashboard/**/*.py"), *ROOT.glob("layouts/*.py"), *ROOT.glob("callbacks/*.py"),
                 *ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "dash":
                names = [f"dash.{node.attr}"]
            if any(n.startswith("dash._") or n in ("dash.hooks", "dash._get_app") or ".dash._" in n for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_validation_layout_holds_every_pages_components(client):
    assert client.get("/").status_code == 200
    app = next(a for a in _dash_apps() if a.server is client.application)
    assert app.config.suppress_callback_exceptions is False
    strings, patterns = pages._ids(app.validation_layout)
    for module, page in dash.page_registry.items():
        page_strings, page_patterns = pages._ids(page["layout"]())
        assert page_strings <= strings, module
        assert all(p in patterns for p in page_patterns), module
    # a component only a callback shows (the status page's download button) is named by its page
    assert "status-download-button" in strings
    # every id once, and nothing but ids: the validation layout rides in every page's HTML
    assert "wall-root" in strings and "_pages_location" in strings
    assert len(client.get("/").get_data()) < 200_000


def test_a_callback_naming_an_unknown_id_stops_the_app_with_a_chinese_error():
    app = _empty_app()
    app.server.testing = True  # the test client raises what the app raised

    @app.callback(Output("wall-updatd", "children"), Input("wall-tick", "n_intervals"))  # the typo
    def _update(_n):
        return ""

    with pytest.raises(pages.CallbackIdError, match="wall-updatd") as raised:
        app.server.test_client().get("/")
    assert "不在任何页面的布局中" in str(raised.value) and "wall-updatd.children" in str(raised.value)
    with pytest.raises(pages.CallbackIdError):  # and on every later request, not only the first
        app.server.test_client().get("/wall")


def test_pattern_ids_match_by_their_keys_and_fixed_values():
    layout = html.Div([html.Div(id={"type": "wall-panel", "name": "map", "ds": "incidents"}), html.Div(id="a")])
    ok = {"output": '{"ds":["ALL"],"name":["ALL"],"type":"wall-panel"}.className', "inputs": [{"id": "a"}], "state": []}
    wrong_type = {"output": '{"ds":["ALL"],"name":["ALL"],"type":"wall-pane"}.className', "inputs": [], "state": []}
    wrong_keys = {"output": "a.children", "inputs": [{"id": '{"name":["ALL"],"type":"wall-panel"}'}], "state": []}
    assert pages.unknown_ids([ok], layout) == []
    assert len(pages.unknown_ids([wrong_type], layout)) == 1
    assert len(pages.unknown_ids([wrong_keys], layout)) == 1
    multi = {"output": "..a.children...b.children..", "inputs": [], "state": []}
    assert ["「b」" in m for m in pages.unknown_ids([multi], layout)] == [True]


def test_the_hottest_grids_and_the_kpis_are_one_block_each_whose_links_open_in_place(client):
    from types import SimpleNamespace

    import pandas as pd

    from dashboard.incident_query import IncidentQuery
    from dashboard.incident_view import Kpi
    from layouts import incidents
    from layouts.markup import HtmlBlock

    view = SimpleNamespace(query=IncidentQuery(period="year"), hot_grids=pd.DataFrame(
        {"region_id": ["G1", "G2"], "name": ["一网格", "<b>二</b>网格"], "incidents": [30, 12]}),
        kpis=[Kpi("incident_count", "事件数", "1,234", " 件", "事件数 口径…")])
    hot = incidents.hot_grid_list(view)
    assert isinstance(hot, HtmlBlock) and hot.tag == "ol" and hot.className == "cw-hot-list"
    assert hot.html.count('<li class="cw-hot-row"><a href="/incidents?region=G1&amp;period=year" data-nav="1">') == 1
    assert "&lt;b&gt;二&lt;/b&gt;网格" in hot.html and "width:100%" in hot.html and "width:40%" in hot.html
    kpis = incidents.kpi_row(view)
    assert isinstance(kpis, HtmlBlock) and kpis.className == "cw-stat-row"
    assert 'id="inc-kpi-incident_count"' in kpis.html and 'data-tip="事件数 口径…"' in kpis.html
