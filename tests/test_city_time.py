"""The app's local time is the city's (city.timezone, Asia/Shanghai by default), whatever the host's
zone: 今日, 近30日, 本月 and 数据截至 on the wall and the drill-downs are Beijing days, the same days
一句话响应 and the daily briefing use. A host in UTC (a container, CI) used to show yesterday as 今日
from 00:00 to 08:00 Beijing time, and /incidents refused 本周's end date that 一句话响应 gave it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys, time
from datetime import date, datetime
from zoneinfo import ZoneInfo
from dashboard.settings import load_settings
from dashboard import periods
settings = load_settings(sys.argv[1], environ={})
zone = ZoneInfo(settings.city.timezone)
start, end = periods.last_days(1, date.today())
print(json.dumps({"offset": time.localtime().tm_gmtoff, "zone": settings.city.timezone,
                  "expected_offset": int(datetime.now(zone).utcoffset().total_seconds()),
                  "today": str(start.date()), "city_today": str(datetime.now(zone).date())}))
"""


def _probe(config: Path, host_zone: str) -> dict:
    """Load the settings in a fresh process whose host zone is ``host_zone``, and report its clock."""
    env = {**os.environ, "TZ": host_zone}
    out = subprocess.run([sys.executable, "-c", PROBE, str(config)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _config(tmp_path: Path, city_lines: str = "") -> Path:
    path = tmp_path / "citywall.toml"
    path.write_text(f'[city]\nname = "测试市"\n{city_lines}\n[app]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("host_zone", ["UTC", "Etc/GMT+12"])
def test_a_host_in_another_zone_counts_days_in_beijing_time(tmp_path: Path, host_zone: str):
    seen = _probe(_config(tmp_path), host_zone)
    assert seen["zone"] == "Asia/Shanghai"
    assert seen["offset"] == 8 * 3600  # naive timestamps (the sources', datetime.now()) are Beijing time
    assert seen["today"] == seen["city_today"]  # 今日 is Beijing's day


def test_a_city_in_another_zone_sets_it(tmp_path: Path):
    seen = _probe(_config(tmp_path, 'timezone = "Asia/Urumqi"'), "UTC")
    assert seen["offset"] == seen["expected_offset"] == 6 * 3600
    assert seen["today"] == seen["city_today"]


def test_an_unknown_zone_is_a_chinese_error_naming_the_key(tmp_path: Path):
    with pytest.raises(SettingsError) as caught:
        load_settings(_config(tmp_path, 'timezone = "Beijing"'), environ={})
    assert "city.timezone = 'Beijing'" in str(caught.value)
    assert "时区" in str(caught.value) and "Asia/Shanghai" in str(caught.value)
