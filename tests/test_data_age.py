"""Old data looks old: freshness is about the pull, and also about how old the newest row is
("数据截至 2020-01-06"). Real files through a real puller and store."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from dashboard.freshness import Freshness, data_age_limit, freshness
from dashboard.pullers import Puller
from dashboard.settings import SettingsError, load_settings
from dashboard.store import DiskFrameStore

HEADER = "工单编号,受理时间,状态\n"


def city(tmp_path, reported: list[str], schedule: str = "interval:10m", **source_options):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "12345.csv").write_text(HEADER + "".join(f"H{i},{t},1\n" for i, t in enumerate(reported)),
                                        encoding="utf-8")
    options = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in source_options.items())
    config = tmp_path / "city.toml"
    config.write_text(f"""[app]\ndata_dir = "var"\n[[sources]]\nname = "12345热线"\ndataset = "incidents"
kind = "files"\npath = "12345.csv"\nschedule = "{schedule}"\n{options}
columns = {{ "工单编号" = "incident_id", "受理时间" = "reported_at", "状态" = "status" }}
values.status = {{ "1" = "受理" }}\nconstants = {{ source = "12345", category = "综合" }}
""", encoding="utf-8")
    return load_settings(config, environ={})


def pulled(settings) -> Freshness:
    store = DiskFrameStore(settings.data_dir / "frames")
    assert Puller(settings, store).run_source("12345热线").ok
    return freshness(settings, store.status("incidents"))


def test_a_2011_to_2020_export_pulled_just_now_is_stale_by_its_data(tmp_path):
    fresh = pulled(city(tmp_path, ["2011/03/01 08:00", "2015/06/01 08:00", "2020/01/06 17:45"]))
    assert fresh.stale and fresh.data_too_old
    assert fresh.badge == "数据滞后 · 数据截至 2020-01-06"
    assert fresh.reason.startswith("数据截至 2020-01-06：最新一条数据已是") and "超过允许的 7 天" in fresh.reason
    assert fresh.age_seconds < 60  # the pull itself is current


def test_current_data_is_fresh_and_still_says_how_old_it_is(tmp_path):
    recent = (datetime.now() - timedelta(hours=2)).strftime("%Y/%m/%d %H:%M")
    fresh = pulled(city(tmp_path, [recent]))
    assert not fresh.stale and fresh.badge == ""
    assert fresh.as_of == f"数据截至 {datetime.now() - timedelta(hours=2):%Y-%m-%d}"


def test_max_data_age_per_source(tmp_path):
    eight_days = (datetime.now() - timedelta(days=8)).strftime("%Y/%m/%d %H:%M")
    assert pulled(city(tmp_path / "a", [eight_days])).stale  # default: 7 days (10 × 10 min is less)
    assert not pulled(city(tmp_path / "b", [eight_days], max_data_age="30d")).stale
    assert not pulled(city(tmp_path / "c", ["2011/03/01 08:00"], max_data_age="off")).stale
    assert pulled(city(tmp_path / "d", [eight_days], max_data_age="36h")).stale


def test_the_default_limit_follows_the_schedule(tmp_path):
    settings = city(tmp_path, ["2020/01/06 08:00"], schedule="interval:1d")
    assert data_age_limit(settings, "incidents") == 10 * 86400  # 10 periods beat 7 days
    weekly = city(tmp_path, ["2020/01/06 08:00"], schedule="cron:0 2 * * 1")
    assert data_age_limit(weekly, "incidents") == pytest.approx(70 * 86400)
    assert data_age_limit(settings, "departments") is None  # no source, no dated rows


def test_a_bad_max_data_age_names_what_to_write(tmp_path):
    with pytest.raises(SettingsError, match=r"max_data_age = 'week': 格式应为 <数字><s\|m\|h\|d>"):
        city(tmp_path, [], max_data_age="week")


def test_undated_datasets_have_no_data_age():
    from dashboard.freshness import data_as_of
    import pandas as pd

    assert data_as_of("departments", pd.DataFrame({"dept_id": ["D1"]})) is None
    stamp = data_as_of("exchange", pd.DataFrame({"date": pd.to_datetime(["2026-11-20", "2026-11-21"])}))
    assert datetime.fromtimestamp(stamp) == datetime(2026, 11, 21) and stamp < time.time()


def test_the_wall_badge_says_how_old_the_data_is(tmp_path):
    from dashboard.wall_view import freshness_map

    settings = city(tmp_path, ["2020/01/06 17:45"])
    store = DiskFrameStore(settings.data_dir / "frames")
    Puller(settings, store).run_source("12345热线")
    badge = freshness_map(settings, store.statuses(), ("incidents",))["incidents"]
    assert badge["b"] == "数据滞后 · 数据截至 2020-01-06" and badge["r"].startswith("数据截至 2020-01-06")
