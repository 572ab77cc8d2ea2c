"""Settings: TOML + CITYWALL_* overrides, and clear messages for bad values."""
from pathlib import Path

import pytest

from dashboard.settings import DEFAULT_CONFIG, SettingsError, load_settings, parse_schedule, stale_deadline


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "city.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_default_runs_the_demo_city():
    settings = load_settings(DEFAULT_CONFIG, environ={})
    assert settings.city.name == "示范市"
    assert settings.database_url.startswith("sqlite:///")
    assert {s.dataset for s in settings.sources} >= {"departments", "regions", "catalog", "exchange", "systems",
                                                      "incidents", "network"}
    assert all(s.kind == "demo" for s in settings.sources)


def test_example_city_config_is_valid():
    example = DEFAULT_CONFIG.parent / "example-city.toml"
    settings = load_settings(example, environ={})
    assert {s.kind for s in settings.sources} >= {"sql", "files", "http"}


def test_environment_overrides(tmp_path):
    path = write(tmp_path, '[city]\nname = "景德镇市"\n[app]\nport = 8050\n')
    settings = load_settings(path, environ={"CITYWALL_APP__PORT": "8061", "CITYWALL_CITY__CANVAS": "[3840, 2160]",
                                            "CITYWALL_APP__DATABASE_URL": "postgresql://u@127.0.0.1/cw"})
    assert settings.app.port == 8061 and settings.city.canvas == (3840, 2160)
    assert settings.database_url == "postgresql+psycopg://u@127.0.0.1/cw"  # the psycopg (v3) driver
    assert settings.city.name == "景德镇市"


def test_config_path_from_environment(tmp_path):
    path = write(tmp_path, '[city]\nname = "济源市"\n')
    assert load_settings(environ={"CITYWALL_CONFIG": str(path)}).city.name == "济源市"


def test_relative_paths_resolve_from_the_config_folder(tmp_path):
    path = write(tmp_path, '[app]\ndata_dir = "var"\n')
    settings = load_settings(path, environ={})
    assert settings.data_dir == tmp_path / "var"
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'citywall.db'}"


@pytest.mark.parametrize("text, expected", [
    ('[city]\nscale_mode = "zoom"\n', "city.scale_mode = 'zoom': 允许的值: 'fit'、'fill-width'、'stretch'"),
    ('[app]\nrefresh_seconds = 0\n', "app.refresh_seconds = 0: 必须 ≥ 1"),
    ('[app]\nport = "abc"\n', "app.port = 'abc': 应为整数"),
    ('[app]\nstore = "s3://x"\n', "app.store = 's3://x': 应为 memory、disk:<目录> 或 redis://<地址>"),
    ('[app]\ndatabase_url = "mysql://u@h/cw"\n', "app.database_url = 'mysql://u@h/cw': 不支持的数据库 mysql，应为 sqlite:///"),
    ('[app]\ndatabase_url = "postgresql+psycopg2://u@h/cw"\n', "PostgreSQL 驱动应为 psycopg（postgresql+psycopg://…），不支持 psycopg2"),
    ('[app]\ndatabase_url = "postgresql://u@h"\n', "缺少库名，应为 sqlite:///<文件路径> 或 postgresql+psycopg://"),
    ('[app]\ndatabase_url = "127.0.0.1/cw"\n', "app.database_url = '127.0.0.1/cw': 不是合法的数据库地址"),
    ('[city]\ncanvas = [100, 100]\n', "city.canvas[0] = 100: 必须 ≥ 640"),
    ('[export]\nwarm_pages = 9\n', "export.warm_pages = 9: 必须 ≤ 8"),
    ('[city]\nnmae = "x"\n', "city.nmae = 'x': 未知配置项"),
    ('[[sources]]\nname = "a"\ndataset = "incidents"\nkind = "sql"\ntable = "t"\n', "需要 url"),
    ('[[sources]]\nname = "a"\ndataset = "incidents"\nkind = "files"\npath = "x.csv"\nschedule = "hourly"\n',
     "sources[0].schedule = 'hourly': 格式应为 interval:"),
    ('[[sources]]\nname = "a"\ndataset = "incidents"\nkind = "files"\npath = "x.csv"\nschedule = "cron:61 * * * *"\n',
     "cron 表达式无效"),
    ('[targets]\npresets = ["江苏省"]\n', "未知预设 ['江苏省']"),
    ('[[targets.custom]]\nindicator_id = "x"\nname = "x"\ntarget = 1\ndeadline = "明年"\n', "应为日期 YYYY-MM-DD"),
    ('[city\n', "不是合法的 TOML"),
    ('[targets.milestones.six_ones]\n"一码通" = 2021-01-01\n', "['一码通'] 不在文件规定的清单中；应为: 一格通、一卡通"),
])
def test_bad_settings_name_key_value_and_what_is_allowed(tmp_path, text, expected):
    with pytest.raises(SettingsError) as info:
        load_settings(write(tmp_path, text), environ={})
    assert expected in str(info.value)
    assert "Traceback" not in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(SettingsError, match="配置文件不存在"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_mapping_onto_unknown_contract_columns_is_caught_at_start(tmp_path):
    text = ('[[sources]]\nname = "热线"\ndataset = "incidents"\nkind = "files"\npath = "x.csv"\n'
            'columns = { "工单编号" = "incident_Id" }\nvalues.stauts = { "1" = "受理" }\n')
    with pytest.raises(SettingsError) as info:
        load_settings(write(tmp_path, text), environ={})
    assert "incident_Id" in str(info.value) and "stauts" in str(info.value) and "reported_at" in str(info.value)


def test_duplicate_source_names(tmp_path):
    text = '[[sources]]\nname = "a"\ndataset = "incidents"\nkind = "demo"\n' * 2
    with pytest.raises(SettingsError, match="name 重复"):
        load_settings(write(tmp_path, text), environ={})


def test_schedules():
    assert parse_schedule("interval:10m") == ("interval", 600)
    assert parse_schedule("cron:0 */2 * * *") == ("cron", "0 */2 * * *")


def test_stale_deadlines_follow_the_schedule():
    from datetime import datetime

    published = datetime(2026, 11, 20, 18, 45).timestamp()
    assert stale_deadline("interval:10m", published) == published + 1260
    assert stale_deadline("interval:10m", published, stale_after_seconds=3600) == published + 3600
    # a cron that sleeps at night: data from 18:45 is current until the 08:00 run is missed
    night = stale_deadline("cron:*/15 8-18 * * *", published)
    assert datetime.fromtimestamp(night) == datetime(2026, 11, 21, 8, 16)


def test_run_py_reports_bad_settings_without_traceback(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, '[app]\nrefresh_seconds = -1\n')
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "run.py", "--config", str(path), "pull"], cwd=repo,
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "app.refresh_seconds = -1: 必须 ≥ 1" in out.stderr and "Traceback" not in out.stderr
