"""Wall control (大屏控制) without a browser: screen names and view URLs, the command store, the cheap
check (its in-memory answers, the coarse heartbeat), the token-screen binding over HTTP, and sending a
view from the console (control_wall, audited)."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from dashboard import accounts, audit, db, runtime, wall_control
from dashboard.auth_tables import audit_log
from dashboard.permissions import DEFAULT_ROLES, SCREEN_PERMISSIONS, Caller, PermissionDenied, role_caller
from dashboard.wall_control import WallControlError
from dashboard.wall_control_tables import wall_commands

DISTRICTS = {"D1": "东湖区", "D2": "西城区"}
MAIN = Caller(name="kiosk:主屏", permissions=SCREEN_PERMISSIONS, kind="kiosk", screen="main")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app (pages registered, the check route installed) over an empty store and a real SQLite file."""
    from dashboard.app import create_app
    from dashboard.settings import Settings
    from dashboard.store import MemoryFrameStore

    folder = tmp_path_factory.mktemp("wallcontrol")
    return create_app(Settings.model_validate({"auth": {"anonymous_role": ""}}), MemoryFrameStore(),
                      db.connect(f"sqlite:///{folder / 'app.db'}"))


@pytest.fixture
def engine(app, tmp_path):
    """A fresh app database per test (the module's app, this test's database)."""
    rt = runtime.current()
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    runtime.install(runtime.Runtime(rt.settings, rt.store, engine))
    app.server.secret_key = accounts.shared_secret(engine, "session_cookie")
    yield engine
    runtime.install(rt)


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


# ---- names and URLs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["main", "大厅屏", "side-2", "a_b"])
def test_screen_names_accepted(name):
    assert wall_control.screen_name(f" {name} ") == name


@pytest.mark.parametrize("name", ["", "a b", "x" * 33, "main;drop", "<script>", None, 3])
def test_screen_names_refused_in_chinese(name):
    with pytest.raises(WallControlError, match="大屏名称.*无效：只能用字母、数字、汉字"):
        wall_control.screen_name(name)


@pytest.mark.parametrize("url, kind, shown, label", [
    ("/wall", "rotation", "/wall", "恢复轮播（大屏默认视图）"),
    ("/", "rotation", "/wall", "恢复轮播（大屏默认视图）"),
    ("/wall?view=city&kiosk=1", "wall", "/wall?view=city", "全市"),
    ("/wall?view=district:D2", "wall", "/wall?view=district:D2", "区县：西城区"),
    ("/incidents?region=D1&period=week", "drill", "/incidents?region=D1&period=week",
     "事件 · 一张图（/incidents?region=D1&period=week）"),
    ("/district/D1#map", "drill", "/district/D1", "区县下钻（/district/D1）"),
])
def test_view_urls_a_screen_may_show(app, url, kind, shown, label):
    target = wall_control.parse_view_url(url, DISTRICTS)
    assert (target.kind, target.url, target.label) == (kind, shown, label)


@pytest.mark.parametrize("url, message", [
    ("javascript:alert(1)", "只能发送本系统的页面地址"),
    ("//evil.example/wall", "只能发送本系统的页面地址"),
    ("https://evil.example/wall", "只能发送本系统的页面地址"),
    ("incidents", "只能发送本系统的页面地址"),
    ("/\\evil.example", "不允许的字符"),
    ("/incidents?\nregion=D1", "不允许的字符"),
    ("/incidents?" + "a" * 600, "过长"),
    ("", "请填写要发送的页面地址"),
    (None, "请填写要发送的页面地址"),
    ("/nowhere", "不是本系统的页面"),
    ("/admin", "不能发送到大屏：它需要「系统管理」权限"),
    ("/console", "不能发送到大屏：它需要「控制大屏」权限"),
    ("/wall?view=district:XX", "大屏视图 view 无效"),
    ("/wall?token=abc", "不能含有令牌参数"),
])
def test_bad_view_urls_get_a_chinese_message(app, url, message):
    with pytest.raises(WallControlError, match=message):
        wall_control.parse_view_url(url, DISTRICTS)


# ---- the command store ------------------------------------------------------------------------------

def test_send_to_a_screen_or_to_all_and_the_newest_command_wins(engine):
    wall_control.ensure_screen(engine, "main")
    wall_control.ensure_screen(engine, "side")
    with pytest.raises(WallControlError, match="没有名为「hall」的大屏（可选：main、side）"):
        wall_control.send(engine, "hall", "/wall?view=city", "ops", DISTRICTS)
    assert wall_control.commands_version(engine) == 0  # nothing written

    first = wall_control.send(engine, "main", "/wall?view=district:D1", "ops", DISTRICTS, now=10.0)
    assert wall_control.current_command(engine, "main") == first and wall_control.current_command(engine, "side") is None
    every = wall_control.send(engine, wall_control.ALL_SCREENS, "/incidents?region=D2", "ops", DISTRICTS, now=11.0)
    assert wall_control.current_command(engine, "main") == every == wall_control.current_command(engine, "side")
    back = wall_control.send(engine, "side", "/wall", "ops", DISTRICTS, now=12.0)
    assert wall_control.current_command(engine, "side") == back and wall_control.current_command(engine, "main") == every
    assert wall_control.target_of(first) == {"id": first.id, "kind": "wall", "url": "/wall?view=district:D1",
                                             "view": "district:D1", "label": "区县：东湖区"}
    assert wall_control.target_of(None)["kind"] == "rotation"
    assert [c.id for c in wall_control.recent_commands(engine)] == [back.id, every.id, first.id]


def test_the_board_answers_from_memory_and_reads_the_version_at_most_once_per_ttl(engine):
    clock = Clock()
    board = wall_control.CommandBoard(ttl=0.5, clock=clock)
    for name in ("main", "side"):
        wall_control.ensure_screen(engine, name)
    assert board.answer(engine, "main")["id"] == 0
    for _ in range(50):  # many screens polling within the ttl: no database read
        board.answer(engine, "main"), board.answer(engine, "side")
    assert board.version_reads == 1

    with engine.begin() as conn:  # another process sends a command: seen once the ttl has passed
        conn.execute(insert(wall_commands).values(screen="main", kind="wall", url="/wall?view=city", label="全市",
                                                  issued_by="ops", issued_at=1.0))
    assert board.answer(engine, "main")["id"] == 0
    clock.t += 0.5
    answer = board.answer(engine, "main")
    assert (answer["id"], answer["kind"], answer["view"], answer["poll"]) == (1, "wall", "city", wall_control.POLL_MS)
    assert board.answer(engine, "side")["id"] == 0 and board.version_reads == 2
    board.forget()  # a command sent in this process: seen at once
    with engine.begin() as conn:
        conn.execute(insert(wall_commands).values(screen="*", kind="rotation", url="/wall", label="恢复轮播",
                                                  issued_by="ops", issued_at=2.0))
    board.forget()
    assert board.answer(engine, "side")["id"] == 2 and board.answer(engine, "main")["kind"] == "rotation"


def test_the_heartbeat_is_coarse_but_follows_what_the_screen_shows(engine):
    board, beat = wall_control.CommandBoard(), wall_control.Heartbeat(interval=30)
    wall_control.ensure_screen(engine, "main")
    command = wall_control.send(engine, "main", "/wall?view=district:D2", "ops", DISTRICTS)

    def seen():
        return [(s.last_seen_at, s.showing) for s in wall_control.screens(engine)]

    wall_control.check(engine, MAIN, "main", "0", now=100.0, board=board, heartbeat=beat)
    assert seen() == [(100.0, "")]  # connected, still on its default view
    wall_control.check(engine, MAIN, "main", "0", now=110.0, board=board, heartbeat=beat)
    assert seen() == [(100.0, "")]  # within the interval: no write
    answer = wall_control.check(engine, MAIN, "main", str(command.id), now=111.0, board=board, heartbeat=beat)
    assert answer["id"] == command.id and seen() == [(111.0, "/wall?view=district:D2")]  # it switched: written at once
    wall_control.check(engine, MAIN, "main", str(command.id), now=140.0, board=board, heartbeat=beat)
    assert seen() == [(111.0, "/wall?view=district:D2")]
    wall_control.check(engine, MAIN, "main", str(command.id), now=141.0, board=board, heartbeat=beat)
    assert seen() == [(141.0, "/wall?view=district:D2")]  # the interval passed


def test_a_screen_may_claim_only_its_own_name(engine):
    wall_control.claim(MAIN, "main")
    side = Caller(name="kiosk:侧屏", permissions=SCREEN_PERMISSIONS, kind="kiosk", screen="side")
    with pytest.raises(wall_control.ScreenClaimRefused, match="此大屏令牌只能认领大屏「side」，不能认领「main」"):
        wall_control.check(engine, side, "main", "0")
    unbound = Caller(name="kiosk:大厅屏", permissions=frozenset({"view_wall"}), kind="kiosk")
    with pytest.raises(wall_control.ScreenClaimRefused, match="此大屏令牌没有绑定大屏名称"):
        wall_control.claim(unbound, "main")
    with pytest.raises(wall_control.ScreenClaimRefused, match="只能由为它签发的大屏令牌认领"):
        wall_control.claim(role_caller("ops", "operator", DEFAULT_ROLES), "main")
    assert wall_control.screens(engine) == []  # a refused claim writes no heartbeat


def test_a_screen_token_sees_the_drill_down_pages_it_may_be_sent_and_nothing_more():
    bound = role_caller("kiosk:主屏", "", DEFAULT_ROLES, kind="kiosk", screen="main")
    plain = role_caller("kiosk:大厅屏", "", DEFAULT_ROLES, kind="kiosk")
    assert bound.permissions == {"view_wall", "view_drilldowns"} and bound.screen == "main"
    assert plain.permissions == {"view_wall"} and plain.screen == ""
    assert role_caller("ops", "operator", DEFAULT_ROLES, screen="main").screen == ""  # only a kiosk token names a screen


# ---- over HTTP: the token-screen binding ----------------------------------------------------------------

def test_the_check_route_follows_the_token_binding(app, engine):
    main_secret = accounts.add_token(engine, "主屏", "测试", screen="main")[1]
    plain_secret = accounts.add_token(engine, "大厅屏", "测试")[1]
    wall_control.ensure_screen(engine, "main")

    anonymous = app.server.test_client()
    assert anonymous.get(f"{wall_control.CHECK_PATH}?screen=main").status_code == 401

    screen = app.server.test_client()
    assert screen.get(f"/wall?screen=main&kiosk=1&token={main_secret}").status_code == 200
    response = screen.get(f"{wall_control.CHECK_PATH}?screen=main&shows=0")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"screen": "main", "id": 0, "kind": "rotation", "url": "/wall", "view": None,
                                   "label": "恢复轮播（大屏默认视图）", "poll": wall_control.POLL_MS}
    assert wall_control.screens(engine)[0].last_seen_at is not None  # its first check is its heartbeat
    assert screen.get("/incidents").status_code == 200  # a page an operator may send it

    refused = screen.get(f"{wall_control.CHECK_PATH}?screen=side")
    assert refused.status_code == 403 and "只能认领大屏「main」" in refused.get_json()["error"]
    bad = screen.get(f"{wall_control.CHECK_PATH}?screen=%3Cscript%3E")
    assert bad.status_code == 400 and "大屏名称" in bad.get_json()["error"]

    other = app.server.test_client()
    other.get(f"/wall?token={plain_secret}")
    assert other.get(f"{wall_control.CHECK_PATH}?screen=main").status_code == 403
    assert other.get("/incidents").status_code == 302  # an unbound kiosk token: the wall only (to /login)
    with engine.connect() as conn:
        claims = conn.execute(select(audit_log.c.actor, audit_log.c.outcome)
                              .where(audit_log.c.action == "wall_claim")).all()
    assert claims == [("kiosk:主屏", "denied"), ("kiosk:大厅屏", "denied")]


# ---- sending from the console: control_wall, audited --------------------------------------------------------

def _acting(caller):
    from dashboard import permissions

    before = permissions.installed_caller_resolver()
    permissions.install_caller_resolver(lambda: caller)
    return before


def test_sending_needs_control_wall_and_is_audited(app, engine):
    from dashboard import permissions
    from dashboard.wall_control_view import send_view, view_url_of

    wall_control.ensure_screen(engine, "main")
    before = _acting(role_caller("领导甲", "leader", DEFAULT_ROLES))
    try:
        with pytest.raises(PermissionDenied) as refused:
            send_view("main", "/wall?view=city")
        assert refused.value.message == "当前账号（领导）没有「控制大屏」权限"
        assert wall_control.commands_version(engine) == 0

        permissions.install_caller_resolver(lambda: role_caller("值班员", "operator", DEFAULT_ROLES))
        command = send_view("main", view_url_of("city", None))
        assert (command.screen, command.kind, command.issued_by) == ("main", "wall", "值班员")
        with pytest.raises(WallControlError, match="只能发送本系统的页面地址"):
            send_view("*", view_url_of("url", "javascript:alert(1)"))
    finally:
        permissions.install_caller_resolver(before)
    rows = audit.query(engine, action="wall_command")
    assert [(r.actor, r.target, r.outcome) for r in rows] == [("值班员", "*", "failed"), ("值班员", "main", "ok")]
    assert rows[1].detail == "全市（/wall?view=city）" and "javascript:alert(1)" in rows[0].detail


def test_the_form_names_every_view(app):
    from dashboard.wall_control_view import view_url_of

    assert [view_url_of(c, "/incidents") for c in ("city", "district:D1", "rotation", "url")] == [
        "/wall?view=city", "/wall?view=district:D1", "/wall", "/incidents"]
    with pytest.raises(WallControlError, match="请选择要发送的视图"):
        view_url_of(None, None)


# ---- the command line: a token issued for a screen name ---------------------------------------------------

def test_a_kiosk_token_is_issued_for_a_screen_name(tmp_path, capsys):
    from dashboard.cli import main

    config = tmp_path / "city.toml"
    config.write_text(f'[app]\ndata_dir = "{tmp_path / "data"}"\ndatabase_url = "sqlite:///{tmp_path / "app.db"}"\n',
                      encoding="utf-8")
    assert main(["--config", str(config), "token", "add", "--screen", "main"]) == 0
    out = capsys.readouterr().out
    assert "已新增大屏令牌 1「大屏 main」（大屏名称 main）" in out and "/wall?screen=main&kiosk=1&token=" in out
    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    secret = out.split("token=")[1].split()[0]
    assert accounts.token_of(engine, secret).screen == "main"
    assert [s.name for s in wall_control.screens(engine)] == ["main"]  # /console lists it before it connects
    assert "（大屏名称 main）" in (main(["--config", str(config), "token", "list"]), capsys.readouterr().out)[1]

    assert main(["--config", str(config), "token", "add", "--screen", "主 屏"]) == 2
    assert "大屏名称「主 屏」无效" in capsys.readouterr().err
    assert main(["--config", str(config), "token", "add"]) == 2
    assert "请用 --name 给令牌起名" in capsys.readouterr().err
    assert [r.detail for r in audit.query(engine, action="token_add")] == ["大屏名称 main"]


def test_the_wall_url_names_its_screen():
    from layouts import wall_params

    assert wall_params.parse({"screen": "main", "kiosk": "1"}, districts=["D1"]).screen == "main"
    bad = wall_params.parse({"screen": "main<script>"}, districts=["D1"])
    assert bad.screen is None and bad.notices == ("参数 screen 无效（大屏名称只能用字母、数字、汉字、- 和 _，1–32 个字符），此屏不接受大屏控制",)
    assert wall_params.parse({}, districts=["D1"]).screen is None

