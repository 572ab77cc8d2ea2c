"""The wall's 指挥调度 panel over a real SQLite app database: its counts as instructions move through
their states (今日下达, 未办结, 超期 per department, the latest steps), the day boundary in the city's
zone (city.timezone), the per-process cache that reads the database at most once per period however
many screens poll, its version, a failed read, the markup (red when overdue, every number's hover
from the indicator registry) and the wall's poll and page."""
from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dash import no_update
from sqlalchemy import create_engine

from dashboard import command_feed, db, runtime
from dashboard import instructions as ins
from dashboard import instructions_view as view
from dashboard.indicators import REGISTRY
from dashboard.permissions import DEFAULT_ROLES, Caller
from dashboard.settings import Settings
from dashboard.store import MemoryFrameStore
from layouts import command_panel as cp
from layouts import markup
from layouts.wall_ids import IDS
from tests.components import find

SHANGHAI, URUMQI = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Urumqi")


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


LEADER = Caller(name="领导甲", role="leader", permissions=DEFAULT_ROLES["leader"], kind="user")
POLICE = Caller(name="公安王五", role="department", permissions=DEFAULT_ROLES["department"], kind="user")


@pytest.fixture(scope="module")
def accounts_database(tmp_path_factory):
    """An app database with a 部门 account of 示范市公安局 (D001), made once; each test copies it."""
    from dashboard import accounts

    path = tmp_path_factory.mktemp("command") / "app.db"
    engine = db.connect(f"sqlite:///{path}")
    accounts.add_user(engine, "公安王五", "department", "正确的密码-correct", DEFAULT_ROLES, department="D001")
    engine.dispose()
    return path


@pytest.fixture
def engine(tmp_path, accounts_database):
    (tmp_path / "app.db").write_bytes(accounts_database.read_bytes())
    return db.connect(f"sqlite:///{tmp_path / 'app.db'}")


def issue(engine, text: str, dept: str, at: datetime, deadline: datetime) -> ins.Instruction:
    names = {"D001": "示范市公安局", "D002": "示范市城市管理局"}
    return ins.issue(engine, text=text, dept_id=dept, department=names[dept], deadline=deadline, now=at, caller=LEADER)


@pytest.fixture
def loop(engine):
    """Three instructions on 12-01 (Beijing time): one since 10:00 and past its 18:00 deadline, one
    at 23:50 due the next morning, and one at 23:52 walked to 已办结 by 示范市公安局 and its issuer."""
    late = issue(engine, "核查古城街道的占道经营", "D001", shanghai(2026, 12, 1, 10, 0), shanghai(2026, 12, 1, 18, 0))
    night = issue(engine, "处置滨江区的夜间施工噪声", "D002", shanghai(2026, 12, 1, 23, 50), shanghai(2026, 12, 2, 9, 0))
    done = issue(engine, "上报高新区积水点位", "D001", shanghai(2026, 12, 1, 23, 52), shanghai(2026, 12, 2, 12, 0))
    for minute, step, who, note in ((53, "sign", POLICE, ""), (54, "start", POLICE, ""),
                                    (55, "feedback", POLICE, "已上报三处积水点"), (56, "confirm", LEADER, "")):
        ins.take(engine, done.id, step, shanghai(2026, 12, 1, 23, minute), note=note, caller=who)
    return {"late": late, "night": night, "done": done}


def counted(engine, now: datetime, zone: ZoneInfo) -> view.CommandPanel:
    """The panel as the wall reads it (counted by the database: COUNT … GROUP BY), checked against the
    rules applied to every instruction in Python (what /tasks does with the rows it lists)."""
    panel = view.panel_now(engine, now, zone)
    assert panel == view.command_panel(ins.all_instructions(engine), ins.events(engine, limit=view.LATEST_EVENTS),
                                       now, zone)
    return panel


def test_the_counts_follow_the_loop_and_the_citys_day(engine, loop):
    before_midnight = counted(engine, shanghai(2026, 12, 1, 23, 58), SHANGHAI)
    assert (before_midnight.issued_today, before_midnight.open, before_midnight.overdue) == (3, 2, 1)
    assert before_midnight.overdue_by_department == [("示范市公安局", 1)]
    assert [(e.when, e.text) for e in before_midnight.latest[:2]] == [
        ("23:56", f"领导甲 办结确认 指令 {loop['done'].id}：上报高新区积水点位"),
        ("23:55", f"示范市公安局 反馈 指令 {loop['done'].id}：上报高新区积水点位")]
    assert len(before_midnight.latest) == 7  # 3 issued, 4 steps
    # after 00:00 in Beijing nothing was issued 今日; yesterday's steps show their date
    after_midnight = counted(engine, shanghai(2026, 12, 2, 0, 5), SHANGHAI)
    assert (after_midnight.issued_today, after_midnight.open, after_midnight.overdue) == (0, 2, 1)
    assert after_midnight.latest[0].when == "12-01 23:56"
    # the same moment in a city on Asia/Urumqi time (UTC+6) is 12-01 22:05 there: all three are today's
    in_urumqi = counted(engine, shanghai(2026, 12, 2, 0, 5), URUMQI)
    assert in_urumqi.issued_today == 3 and in_urumqi.latest[0].when == "21:56"
    # at the 09:00 deadline itself the night's instruction is not yet overdue; a second later it is
    assert counted(engine, shanghai(2026, 12, 2, 9, 0), SHANGHAI).overdue == 1
    morning = counted(engine, shanghai(2026, 12, 2, 9, 0, 1), SHANGHAI)
    assert morning.overdue == 2 and morning.overdue_by_department == [("示范市公安局", 1), ("示范市城市管理局", 1)]
    # returned by its department, an instruction is still open (and still overdue) until it is 已办结
    ins.take(engine, loop["late"].id, "refuse", shanghai(2026, 12, 2, 9, 30), note="不属于本部门职责", caller=POLICE)
    returned = counted(engine, shanghai(2026, 12, 2, 9, 31), SHANGHAI)
    assert (returned.open, returned.overdue) == (2, 2)
    assert returned.latest[0].text == f"示范市公安局 退回 指令 {loop['late'].id}：核查古城街道的占道经营"


def test_the_feed_reads_the_database_once_per_period_and_versions_what_it_shows(engine, loop):
    feed = command_feed.CommandFeed(ttl=5)
    t0 = shanghai(2026, 12, 1, 23, 58).timestamp()
    first = feed.snapshot(engine, "Asia/Shanghai", ("app",), now=t0)
    assert feed.reads == 1 and first.frames["panel"].issued_today == 3 and first.version
    issue(engine, "核查东湖区的违规广告牌", "D002", shanghai(2026, 12, 1, 23, 58, 30), shanghai(2026, 12, 2, 18, 0))
    for offset in (0.5, 1, 2, 4.9):  # hundreds of polls within the period: the cached panel
        assert feed.snapshot(engine, "Asia/Shanghai", ("app",), now=t0 + offset) is first
    assert feed.reads == 1
    second = feed.snapshot(engine, "Asia/Shanghai", ("app",), now=t0 + 5)
    assert feed.reads == 2 and second.frames["panel"].issued_today == 4 and second.version != first.version
    # nothing changed: the same version, in every process (a second cache reads the same)
    again = feed.snapshot(engine, "Asia/Shanghai", ("app",), now=t0 + 10)
    other_process = command_feed.CommandFeed().snapshot(engine, "Asia/Shanghai", ("app",), now=t0 + 10)
    assert again.version == second.version == other_process.version
    # time alone changes what it shows: after 00:00, 今日下达 is 0 again
    assert feed.snapshot(engine, "Asia/Shanghai", ("app",), now=t0 + 3600).version != second.version
    # another zone is another panel
    assert feed.snapshot(engine, "Asia/Urumqi", ("app",), now=t0 + 3601).frames["panel"].issued_today == 4


def test_a_failed_read_keeps_the_last_panel_and_says_so(engine, loop, tmp_path):
    feed = command_feed.CommandFeed(ttl=5)
    t0 = shanghai(2026, 12, 1, 23, 58).timestamp()
    good = feed.snapshot(engine, "Asia/Shanghai", ("app",), now=t0)
    assert feed.freshness(False, now=t0) == {}
    gone = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'app.db'}")  # cannot be opened
    kept = feed.snapshot(gone, "Asia/Shanghai", ("app",), now=t0 + 6)
    assert kept is good
    stale = feed.freshness(False, now=t0 + 90)["instructions"]
    assert stale == {"b": "数据滞后 · 1 分钟前", "r": command_feed.HIDDEN_ERROR, "a": 90}
    assert feed.freshness(True, now=t0 + 90)["instructions"]["r"].startswith("指令数据库读取失败：OperationalError")
    assert feed.snapshot(engine, "Asia/Shanghai", ("app",), now=t0 + 12).version == good.version
    assert feed.freshness(True, now=t0 + 12) == {}  # read again: no badge


def _tips(markup_text: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'data-tip="([^"]*)"', markup_text)]


def test_the_panel_shows_overdue_in_red_and_every_number_says_its_scope(engine, loop):
    panel = view.panel_now(engine, shanghai(2026, 12, 2, 9, 0, 1), SHANGHAI)
    text = markup.to_html(cp.command_panel(panel, as_of=datetime(2026, 12, 2, 9, 0)))
    shown = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r' data-[a-z-]+="[^"]*"', "", text))))
    assert "今日下达 0 条" in shown and "未办结 2 条" in shown and "超期 2 条" in shown
    assert "示范市公安局 1" in shown and "示范市城市管理局 1" in shown and "最新动态" in shown
    assert re.search(r'class="cw-cmd-value is-bad"[^>]*>\s*<span class="cw-num">2<', text)  # 超期 in red
    assert text.count('class="cw-bar-track is-bad"') == 2 and "data-idle" not in text
    # the city's name is left out of its departments' (the header names it); the hover keeps it whole
    named = markup.to_html(cp.command_panel(panel, city="示范市"))
    assert ">公安局<" in named and ">城市管理局<" in named
    assert ">12-01 23:55</span><span class=\"cw-cmd-text\">公安局 反馈 上报高新区" in named  # fitted to the row
    assert f"12-01 23:55 示范市公安局 反馈 指令 {loop['done'].id}：上报高新区积水点位" in _tips(named)
    tips = _tips(text)
    for indicator_id, scope in (("instructions_issued_today", "全市 今日下达指令 0 条"), ("open_instructions", "全市 未办结指令 2 条"),
                                ("overdue_instructions", "全市 超期指令 2 条"), ("overdue_instructions", "示范市公安局 超期指令 1 条")):
        tip = next(t for t in tips if t.startswith(scope))
        entry = REGISTRY[indicator_id]
        assert f"口径：{entry.formula}" in tip and f"统计期：{entry.period}" in tip, tip
        assert "数据截至：2026年12月2日 09:00" in tip and "依据：" in tip
    # a city that dispatches nothing: zeros, and the box keeps its targets in front (assets/wall-faces.js)
    idle = markup.to_html(cp.command_panel(view.command_panel([], [], shanghai(2026, 12, 2, 9, 0))))
    assert "data-idle" in idle and "暂无超期指令" in idle and "暂无指令动态" in idle
    # everything 已办结 yesterday and nothing moved today: idle too, the last steps still listed with their dates
    admin = Caller(name="管理员", role="admin", permissions=DEFAULT_ROLES["admin"], kind="user")
    for item in (loop["late"], loop["night"]):
        for minute, step in enumerate(("sign", "start", "feedback", "confirm")):
            ins.take(engine, item.id, step, shanghai(2026, 12, 2, 10, minute), note="已处置", caller=admin)
    same_day = view.panel_now(engine, shanghai(2026, 12, 2, 11, 0), SHANGHAI)
    assert same_day.open == 0 and "data-idle" not in markup.to_html(cp.command_panel(same_day))  # moved today
    next_day = view.panel_now(engine, shanghai(2026, 12, 3, 9, 0), SHANGHAI)
    assert next_day.latest[0].when == "12-02 10:03"
    assert "data-idle" in markup.to_html(cp.command_panel(next_day))
    assert "data-idle" in markup.to_html(cp.command_panel(None))


def test_the_lists_fit_the_box_at_every_text_scale():
    from layouts.wall_canvas import wall_geometry
    from layouts.wall_panels import plot_size

    many = view.CommandPanel(12, 30, 9, [(f"部门{i}", 9 - i) for i in range(9)],
                             [view.PanelEvent("09:00", f"部门{i} 签收 指令 {i}：核查") for i in range(8)])
    for canvas, text_scale in (((1920, 1080), 1.0), ((3840, 2160), 1.0), ((1920, 1080), 1.25)):
        geo = wall_geometry(canvas, text_scale)
        w, h = plot_size(geo["targets"], geo["s"], text_scale)
        rows = cp.rows_that_fit(h, geo["s"], text_scale)
        body = cp.command_panel(many, width=w, height=h, scale=geo["s"], text_scale=text_scale)
        late, events = find(body, lambda c: "cw-cmd-late" in (getattr(c, "className", "") or "")), \
            find(body, lambda c: "cw-cmd-events" in (getattr(c, "className", "") or ""))
        late_rows = [c for c in late[0].children if "cw-cmd-row" in (getattr(c, "className", "") or "")]
        assert len(late_rows) == rows - 1 and "另有" in markup.to_html(late[0])  # the rest summed up on the last row
        assert len(events[0].children) - 1 == min(rows, 8)
        assert rows >= (5 if text_scale == 1.0 else 3), (canvas, text_scale, rows)


@pytest.fixture
def rt(wall, engine, geography, monkeypatch):
    import callbacks.wall as cb  # noqa: PLC0415

    cb.WARMING.clear()
    monkeypatch.setattr(command_feed.FEED_CACHE, "ttl", 0.0)  # read at every call: the test need not wait
    runtime_ = runtime.install(runtime.Runtime(Settings(), MemoryFrameStore(), engine))
    runtime_.__dict__["geography"] = geography
    yield runtime_
    cb.WARMING.set()


def test_the_wall_draws_the_panel_and_its_poll_announces_a_change(rt, engine):
    import callbacks.wall as cb  # noqa: PLC0415
    import layouts.wall as wall_page  # noqa: PLC0415

    issue(engine, "核查古城街道的占道经营", "D001", datetime.now(SHANGHAI) - timedelta(hours=2),
          datetime.now(SHANGHAI) - timedelta(hours=1))  # overdue already
    page = wall_page.layout()
    faces = find(page, lambda c: getattr(c, "id", None) == IDS["faces"])[0]
    assert [f.id["name"] for f in faces.children] == ["targets", "command"]  # the targets first, 指挥调度 in turn
    assert faces.children[0].style == faces.children[1].style  # one box
    body = find(page, lambda c: getattr(c, "id", None) == IDS["body"]["command"])[0]
    assert "超期" in body.html and "示范市公安局" in body.html
    stores = {s.id: s.data for s in find(page, lambda c: type(c).__name__ == "Store")}
    drawn = stores[IDS["version"]["instructions"]]
    assert drawn and stores[IDS["versions"]]["instructions"] == drawn
    assert "instructions" not in page.to_plotly_json()["props"]["data-cw-version"]  # a capture's data version is the store's
    out = cb.poll({"n": 1, "t": 0}, stores[IDS["ack"]])
    assert out[0] is no_update  # unchanged: nothing sent
    issue(engine, "处置滨江区的夜间施工噪声", "D002", datetime.now(SHANGHAI), datetime.now(SHANGHAI) + timedelta(hours=3))
    out = cb.poll({"n": 2, "t": 0}, out[3])
    assert out[0]["instructions"] != drawn and out[0]["incidents"] == stores[IDS["versions"]]["incidents"]
    # the panel's redraw (its callback's body) draws the new instruction from the same cache
    redrawn = cb._redraw([("panel", "command")], ("instructions",), False)(out[0]["instructions"])
    assert "示范市城市管理局 下达 指令" not in redrawn and "处置滨江区的夜间施工噪声" in redrawn


def test_a_sentence_naming_the_panels_counts_opens_tasks():
    from dashboard.ask.parser import parse
    from tests.ask_fixtures import NOW, fixture_lexicon

    for sentence, indicator_id in (("看看超期指令", "overdue_instructions"), ("未办结指令", "open_instructions"),
                                   ("今日下达指令", "instructions_issued_today")):
        result = parse(sentence, fixture_lexicon(), NOW)
        assert (result.view.url, result.view.indicator, result.unknown) == ("/tasks", indicator_id, ()), sentence
