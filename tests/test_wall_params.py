"""The wall's URL parameters: checked in one pure function (layouts/wall_params.py), and the wall's
/_dash-layout answers 200 with the corrected values for each bad value a URL can carry."""
from __future__ import annotations


import orjson
import pytest

from tests.demo_app import demo_test_client

from layouts.wall_params import MAX_LENGTH, ROTATE_RANGE, parse

DISTRICTS = {"330101": "滨江区", "330102": "西湖区"}


def _parse(**query):
    return parse(query, districts=DISTRICTS, default_rotate=0, default_scale="fit")


def test_no_parameters_are_the_defaults_without_a_notice():
    assert _parse() == parse({}, districts=DISTRICTS)
    p = _parse()
    assert (p.kiosk, p.rotate, p.view, p.scale, p.notices) == (False, 0, None, "fit", ())


@pytest.mark.parametrize("raw, seconds", [("30", 30), ("5", 5), ("3600", 3600), ("0", 0), ("12.5", 13), ("7.4", 7)])
def test_a_rotation_inside_the_range_is_kept_silently(raw, seconds):
    p = _parse(rotate=raw)
    assert p.rotate == seconds and p.notices == ()


@pytest.mark.parametrize("raw, seconds", [("99999999999999999999", 3600), ("2147484", 3600), ("1e20", 3600),
                                          ("-5", 5), ("1", 5), ("0.2", 5)])
def test_a_finite_rotation_outside_the_range_is_clamped_with_a_notice(raw, seconds):
    p = _parse(rotate=raw)
    assert p.rotate == seconds
    assert len(p.notices) == 1 and "rotate" in p.notices[0] and f"{ROTATE_RANGE[0]}–{ROTATE_RANGE[1]} 秒" in p.notices[0]
    assert raw not in p.notices[0]  # never echoed


@pytest.mark.parametrize("raw", ["inf", "-inf", "1e309", "nan", "Infinity", "abc", "1_000", "0x10", "5s", "--5"])
def test_a_rotation_that_is_no_finite_number_falls_back_to_the_default(raw):
    p = parse({"rotate": raw}, districts=DISTRICTS, default_rotate=20)
    assert p.rotate == 20
    assert len(p.notices) == 1 and "rotate 的值无效" in p.notices[0] and "每 20 秒轮播" in p.notices[0]
    assert _parse(rotate=raw).rotate == 0 and "不轮播" in _parse(rotate=raw).notices[0]


def test_the_configured_default_is_clamped_too():
    assert parse({}, districts=DISTRICTS, default_rotate=10**9).rotate == ROTATE_RANGE[1]


@pytest.mark.parametrize("view", ["city", "district:330101"])
def test_a_known_view_is_kept(view):
    assert _parse(view=view).view == view and _parse(view=view).notices == ()


@pytest.mark.parametrize("view", ["district:999999", "district:", "districts", "zoom", "district:330101 "[:-1] + "x"])
def test_an_unknown_view_falls_back_with_a_notice(view):
    p = _parse(view=view)
    assert p.view is None and len(p.notices) == 1 and "view" in p.notices[0]


@pytest.mark.parametrize("scale, expected, notice", [("stretch", "stretch", False), ("fill-width", "fill-width", False),
                                                     ("zoom", "fill-width", True), ("FIT", "fill-width", True)])
def test_scale(scale, expected, notice):
    p = parse({"scale": scale}, districts=DISTRICTS, default_scale="fill-width")
    assert p.scale == expected and bool(p.notices) == notice
    if notice:
        assert "scale" in p.notices[0] and "铺满宽度" in p.notices[0]


@pytest.mark.parametrize("raw, kiosk, notice", [("1", True, False), ("true", True, False), ("ON", True, False),
                                                ("0", False, False), ("no", False, False), ("maybe", False, True)])
def test_kiosk(raw, kiosk, notice):
    p = _parse(kiosk=raw)
    assert p.kiosk is kiosk and bool(p.notices) == notice


def test_values_are_capped_in_length_and_never_echoed():
    long = "x" * 100_000
    p = _parse(kiosk=long, rotate="1" * (MAX_LENGTH + 1), view="district:" + long, scale=long)
    assert (p.kiosk, p.rotate, p.view, p.scale) == (False, 0, None, "fit")
    assert len(p.notices) == 4 and all("过长" in n and "x" * 10 not in n for n in p.notices)
    assert all(len(n) < 80 for n in p.notices)


def test_a_repeated_parameter_falls_back():
    p = _parse(rotate=["5", "6"])
    assert p.rotate == 0 and "出现多次" in p.notices[0]


# ---- through the app: /_dash-layout for a wall URL ------------------------------------------------------

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return demo_test_client(tmp_path_factory.mktemp("wall-params"))


def _wall_config(client, query: str) -> tuple[dict, int]:
    response = client.get("/_dash-layout", headers={"Referer": f"http://localhost/wall{query}"})
    assert response.status_code == 200, response.data[:300]
    layout = orjson.loads(response.data)
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "wall-config":
                found.append(node["props"]["data"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(layout)
    assert found, "the wall page is not in the layout"
    return found[0], len(response.data)


@pytest.mark.parametrize("query, rotate", [("?rotate=99999999999999999999", 3600), ("?rotate=2147484", 3600),
                                           ("?rotate=inf", 0), ("?rotate=1e309", 0), ("?rotate=-5", 5)])
def test_bad_rotations_answer_a_wall_with_a_clamped_or_default_period(client, query, rotate):
    config, _ = _wall_config(client, query)
    assert config["rotate"] == rotate
    assert len(config["notices"]) == 1 and "rotate" in config["notices"][0]


def test_unknown_view_and_scale_fall_back_with_notices(client):
    config, _ = _wall_config(client, "?view=district:999999&scale=zoom")
    assert config["mode"] == "fit"
    assert [n.split(" ")[1] for n in config["notices"]] == ["view", "scale"]
    assert "999999" not in orjson.dumps(config).decode()


def test_a_100_kb_query_string_is_not_echoed_into_the_layout(client):
    _, plain = _wall_config(client, "")
    for query in ("?junk=" + "x" * 100_000, "?view=" + "x" * 100_000):
        response = client.get("/_dash-layout", headers={"Referer": f"http://localhost/wall{query}"})
        assert response.status_code == 200
        assert b"x" * 1000 not in response.data
        assert len(response.data) < plain + 2_000
