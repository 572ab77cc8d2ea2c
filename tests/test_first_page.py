"""The requested page rides in the first /_dash-layout response (no routing round trip)."""
from __future__ import annotations


import orjson
import pytest

from tests.demo_app import demo_test_client



@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return demo_test_client(tmp_path_factory.mktemp("first-page"))


def _layout(client, referrer: str | None) -> dict:
    headers = {"Referer": referrer} if referrer else {}
    response = client.get("/_dash-layout", headers=headers)
    assert response.status_code == 200
    return orjson.loads(response.data)


def _find(node, component_id: str):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        for value in node.values():
            found = _find(value, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find(value, component_id)
            if found is not None:
                return found
    return None


def test_the_wall_arrives_with_the_first_layout_and_a_location_that_matches_the_address_bar(client):
    layout = _layout(client, "http://localhost/wall?kiosk=1&view=city")
    location = _find(layout, "_pages_location")["props"]
    # every Location prop equals window.location, so Location reports nothing and routing does not run
    assert location["href"] == "http://localhost/wall?kiosk=1&view=city"
    assert location["pathname"] == "/wall" and location["search"] == "?kiosk=1&view=city" and location["hash"] == ""
    wall = _find(_find(layout, "_pages_content"), "wall-root")
    assert wall is not None and "is-kiosk" in wall["props"]["className"]  # the query reached the page layout
    assert _find(layout, "_pages_store")["props"]["data"]["title"].endswith("智慧城市运行指挥中心")


def test_path_variables_reach_the_page(client):
    layout = _layout(client, "http://localhost/district/D01")
    assert "D01" in str(_find(layout, "_pages_content")["props"]["children"])
    assert _find(layout, "_pages_location")["props"]["pathname"] == "/district/D01"


@pytest.mark.parametrize("referrer", [
    None,  # no Referer sent
    "http://elsewhere.example/wall",  # another origin: not a page of this app
    "http://localhost/wall#panel",  # the server cannot see what the fragment would change
    "http://localhost/no-such-page",  # the routing callback answers with its 404
])
def test_without_a_usable_referrer_the_shell_is_dash_pages_own(client, referrer):
    layout = _layout(client, referrer)
    assert _find(layout, "_pages_content")["props"].get("children") is None
    assert _find(layout, "_pages_location")["props"].get("pathname") is None


@pytest.fixture
def serialisations(monkeypatch) -> list:
    """One entry per layout first_page serialises."""
    import dashboard.first_page as first_page

    calls = []
    real_to_json = first_page.to_json
    monkeypatch.setattr(first_page, "to_json", lambda layout: calls.append(1) or real_to_json(layout))
    return calls


def test_a_shared_page_is_serialised_once_and_a_publish_gives_a_new_one(client, serialisations):
    from dashboard import runtime

    calls = serialisations
    referrer = "http://localhost/wall?scale=stretch"
    first = client.get("/_dash-layout", headers={"Referer": referrer}).data
    assert client.get("/_dash-layout", headers={"Referer": referrer}).data == first
    assert len(calls) == 1  # the second screen (or reload) got the same bytes without serialising again
    assert _find(orjson.loads(first), "wall-root")["props"]["data-mode"] == "stretch"

    store = runtime.current().store
    store.publish("exchange", store.snapshot("exchange").frames, store.snapshot("exchange").meta)
    after = orjson.loads(client.get("/_dash-layout", headers={"Referer": referrer}).data)
    assert len(calls) == 2
    assert _find(after, "wall-versions")["props"]["data"]["exchange"] == store.snapshot("exchange").version


def test_pages_built_per_request_are_not_kept_and_never_push_the_wall_out(client, serialisations, monkeypatch):
    import time
    import types

    import dashboard.first_page as first_page
    import dashboard.wall_view as wall_view

    # the wall's clock stands still: its header's "最旧数据 N 分钟前" must not change the page meanwhile
    monkeypatch.setattr(wall_view, "time", types.SimpleNamespace(time=lambda now=time.time(): now))
    calls = serialisations
    wall = "http://localhost/wall?scale=fill-width"
    first = client.get("/_dash-layout", headers={"Referer": wall}).data
    shells = len(first_page._SHELLS)
    for n in range(first_page._CACHE_SIZE + 8):  # more status and drill-down visits than the caches hold
        status = _layout(client, f"http://localhost/status?visit={n}")
        assert _find(status, "_pages_content") is not None
        _layout(client, f"http://localhost/district/D{n:03d}")
    assert len(first_page._SHELLS) == shells  # none of those pages was kept
    calls.clear()
    assert client.get("/_dash-layout", headers={"Referer": wall}).data == first
    assert calls == []  # the wall's page is still serialised
