"""Geography from GeoJSON by configuration alone: the real 长沙 and 景德镇 district boundaries."""
from pathlib import Path

import pytest

from dashboard.geo import fit_zoom, load_geography
from dashboard.settings import SettingsError, load_settings


@pytest.fixture
def geo_dir(shared_data) -> Path:
    """../shared/data/geo, read in place (skipped without it locally, a failure in CI)."""
    return shared_data / "geo"


def settings_for(tmp_path, geojson: Path, id_property="adcode"):
    config = tmp_path / "city.toml"
    config.write_text(f'[city]\nname = "长沙市"\n[city.geo]\ndistricts = "{geojson}"\nid_property = "{id_property}"\n',
                      encoding="utf-8")
    return load_settings(config, environ={})


def test_changsha_districts_by_configuration(tmp_path, geo_dir):
    geo = load_geography(settings_for(tmp_path, geo_dir / "430100.json"))
    layer = geo.layer("区县")
    assert len(layer["features"]) == 9
    ids = {f["id"] for f in layer["features"]}
    assert "430102" in ids and all(len(i) == 6 for i in ids)
    regions = geo.regions.set_index("region_id")
    assert regions.loc["430102", "name"] == "芙蓉区"
    assert set(regions["level"]) == {"区县"} and regions["parent_id"].isna().all()
    min_lon, min_lat, max_lon, max_lat = geo.bounds
    assert 111 < min_lon < max_lon < 115 and 27 < min_lat < max_lat < 29.5  # GCJ-02, drawn as given
    lon, lat = regions.loc["430102", ["lon", "lat"]]
    assert 112.9 < lon < 113.2 and 28.1 < lat < 28.3  # centroid inside 芙蓉区


def test_jingdezhen_districts(tmp_path, geo_dir):
    geo = load_geography(settings_for(tmp_path, geo_dir / "360200.json"))
    assert {r for r in geo.regions["name"]} >= {"昌江区", "珠山区"}


def test_wrong_id_property_names_the_available_ones(tmp_path, geo_dir):
    with pytest.raises(SettingsError, match="可用属性.*adcode"):
        load_geography(settings_for(tmp_path, geo_dir / "430100.json", id_property="code"))


def test_missing_file(tmp_path):
    with pytest.raises(SettingsError, match="找不到 GeoJSON"):
        load_geography(settings_for(tmp_path, tmp_path / "none.json"))


def test_fit_zoom_fits_bounds():
    city = (112.5, 27.8, 114.3, 28.7)
    assert 7 < fit_zoom(city, 1000, 700) < 9.5
    assert fit_zoom(city, 2000, 1400) == pytest.approx(fit_zoom(city, 1000, 700) + 1)
