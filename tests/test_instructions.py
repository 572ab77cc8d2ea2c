"""Instructions (指令) on a real SQLite app database: an instruction walked through every state by
its issuer and a department user, the refusals (another department, a wrong state, a missing note,
no dispatch permission), the overdue rule at its boundary, 源工单已办结, a sentence made an
instruction by the real parser, the audit rows, the wall panel's counts and 指令按期办结率."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from dashboard import audit, db
from dashboard import instructions as ins
from dashboard import instructions_view as view
from dashboard import indicators
from dashboard.ask.parser import parse
from dashboard.auth_tables import audit_log
from dashboard.permissions import DEFAULT_ROLES, Caller, PermissionDenied
from tests.ask_fixtures import fixture_lexicon
from tests.auth_helpers import add_user

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ins.TIMEZONE)
DEADLINE = datetime(2026, 12, 1, 18, 0, tzinfo=ins.TIMEZONE)


def caller(name: str, role: str) -> Caller:
    return Caller(name=name, role=role, permissions=DEFAULT_ROLES[role], kind="user")


@pytest.fixture(scope="module")
def accounts_database(tmp_path_factory):
    """An app database with the accounts, made once (argon2 hashing is slow on purpose); each test copies it."""
    from dashboard import accounts

    path = tmp_path_factory.mktemp("instructions") / "app.db"
    engine = db.connect(f"sqlite:///{path}")
    add_user(engine, "领导甲", "leader")
    accounts.add_user(engine, "城管李四", "department", "正确的密码-correct", DEFAULT_ROLES, department="D002")
    accounts.add_user(engine, "公安王五", "department", "正确的密码-correct", DEFAULT_ROLES, department="D001")
    engine.dispose()
    return path


@pytest.fixture
def engine(tmp_path, accounts_database):
    shutil.copy(accounts_database, tmp_path / "app.db")
    return db.connect(f"sqlite:///{tmp_path / 'app.db'}")


@pytest.fixture
def people():
    return {"issuer": caller("领导甲", "leader"), "dept": caller("城管李四", "department"),
            "other": caller("公安王五", "department"), "viewer": caller("观看者", "viewer")}


def issued(engine, who, **given) -> ins.Instruction:
    values = dict(text="处置滨江区古城街道的占道经营", dept_id="D002", department="示范市城市管理局", deadline=DEADLINE,
                  now=NOW, region_id="430906001", region="古城街道", caller=who)
    return ins.issue(engine, **{**values, **given})


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_a_department_account_must_name_its_department_and_only_it(tmp_path):
    from dashboard import accounts

    engine = db.connect(f"sqlite:///{tmp_path / 'app.db'}")
    with pytest.raises(accounts.AccountError, match="须用 --department 指定所属部门编号"):
        accounts.add_user(engine, "部门甲", "department", "正确的密码-correct", DEFAULT_ROLES)
    with pytest.raises(accounts.AccountError, match="不能绑定部门"):
        accounts.add_user(engine, "领导乙", "leader", "正确的密码-correct", DEFAULT_ROLES, department="D002")
    user = accounts.add_user(engine, "部门甲", "department", "正确的密码-correct", DEFAULT_ROLES, department="D002")
    assert (user.role, user.department) == ("department", "D002")
    assert DEFAULT_ROLES["department"] == {"view_wall", "view_drilldowns", "handle_instructions"}


def test_every_state_by_the_issuer_and_the_department_with_refusals(engine, people):
    item = issued(engine, people["issuer"])
    assert (item.state, item.issued_by, item.origin) == (ins.ISSUED, "领导甲", "button")

    with pytest.raises(ins.OtherDepartment, match="由示范市城市管理局承办，当前账号属于其他部门（D001），不能签收"):
        ins.take(engine, item.id, "sign", at(1), caller=people["other"])
    with pytest.raises(ins.InstructionError, match="当前状态为「已下达」，不能办结确认"):
        ins.take(engine, item.id, "confirm", at(1), caller=people["issuer"])
    with pytest.raises(PermissionDenied, match="没有「办理本部门指令」权限"):
        ins.take(engine, item.id, "sign", at(1), caller=people["issuer"])  # a leader is no department

    assert ins.take(engine, item.id, "sign", at(5), caller=people["dept"]).state == ins.SIGNED
    assert ins.take(engine, item.id, "start", at(10), caller=people["dept"]).state == ins.HANDLING
    with pytest.raises(ins.InstructionError, match="反馈须填写反馈说明"):
        ins.take(engine, item.id, "feedback", at(60), caller=people["dept"], note="  ")
    assert ins.take(engine, item.id, "feedback", at(60), note="已清理摊位 3 处", caller=people["dept"]).state == ins.REPORTED
    with pytest.raises(ins.OtherDepartment):
        ins.take(engine, item.id, "feedback", at(61), note="x", caller=people["other"])
    with pytest.raises(ins.InstructionError, match="只有下达人（领导甲）或有「下达指令」权限的账号可以办结确认"):
        ins.take(engine, item.id, "confirm", at(61), caller=people["dept"])

    back = ins.take(engine, item.id, "send_back", at(70), note="照片不清楚，请补拍", caller=people["issuer"])
    assert back.state == ins.HANDLING
    ins.take(engine, item.id, "feedback", at(90), note="已补拍照片", caller=people["dept"])
    done = ins.take(engine, item.id, "confirm", at(95), caller=people["issuer"])
    assert (done.state, done.closed_at) == (ins.CLOSED, ins.timestamp(at(95)))
    with pytest.raises(ins.InstructionError, match="当前状态为「已办结」，不能签收"):
        ins.take(engine, item.id, "sign", at(96), caller=people["dept"])

    steps = [(e.step, e.from_state, e.to_state, e.actor, e.note) for e in ins.events(engine, item.id)]
    assert steps == [
        ("issue", "", "已下达", "领导甲", "处置滨江区古城街道的占道经营"),
        ("sign", "已下达", "已签收", "城管李四", ""), ("start", "已签收", "处置中", "城管李四", ""),
        ("feedback", "处置中", "已反馈", "城管李四", "已清理摊位 3 处"),
        ("send_back", "已反馈", "处置中", "领导甲", "照片不清楚，请补拍"),
        ("feedback", "处置中", "已反馈", "城管李四", "已补拍照片"), ("confirm", "已反馈", "已办结", "领导甲", "")]
    rows = audit.query(engine, action="", limit=None)
    done_rows = [(r.action, r.actor, r.outcome) for r in rows if r.action.startswith("instruction_")][::-1]
    assert done_rows == [
        ("instruction_issue", "领导甲", "ok"), ("instruction_sign", "公安王五", "denied"),
        ("instruction_confirm", "领导甲", "failed"), ("instruction_sign", "领导甲", "denied"),
        ("instruction_sign", "城管李四", "ok"), ("instruction_start", "城管李四", "ok"),
        ("instruction_feedback", "城管李四", "ok"), ("instruction_feedback", "公安王五", "denied"),
        ("instruction_confirm", "城管李四", "denied"), ("instruction_send_back", "领导甲", "ok"),
        ("instruction_feedback", "城管李四", "ok"), ("instruction_confirm", "领导甲", "ok"),
        ("instruction_sign", "城管李四", "failed")]


def test_a_department_returns_it_with_a_reason_and_the_issuer_reissues_it(engine, people):
    item = issued(engine, people["issuer"])
    with pytest.raises(ins.InstructionError, match="退回须填写退回理由"):
        ins.take(engine, item.id, "refuse", at(1), caller=people["dept"])
    assert ins.take(engine, item.id, "refuse", at(2), note="不属于本局职责", caller=people["dept"]).state == ins.RETURNED
    again = ins.take(engine, item.id, "reissue", at(3), dept_id="D001", department="示范市公安局", caller=people["issuer"])
    assert (again.state, again.dept_id, again.department) == (ins.ISSUED, "D001", "示范市公安局")
    assert ins.take(engine, item.id, "sign", at(4), caller=people["other"]).state == ins.SIGNED


def test_each_department_sees_only_its_own_and_a_dispatcher_all(engine, people):
    ours = issued(engine, people["issuer"])
    theirs = issued(engine, people["issuer"], dept_id="D001", department="示范市公安局", text="核查噪声扰民")
    assert [i.id for i in ins.listed(engine, people["dept"])] == [ours.id]
    assert [i.id for i in ins.listed(engine, people["other"])] == [theirs.id]
    assert [i.id for i in ins.listed(engine, people["issuer"])] == [theirs.id, ours.id]
    with pytest.raises(PermissionDenied):
        ins.listed(engine, people["viewer"])
    with pytest.raises(ins.OtherDepartment, match="不属于当前账号的部门"):
        view.task_detail(engine, theirs.id, people["dept"], None, NOW)
    unbound = caller("城管张三", "department")  # no such account: no department bound
    with pytest.raises(ins.InstructionError, match="没有绑定部门"):
        ins.listed(engine, unbound)


def test_issuing_needs_dispatch_and_a_deadline_after_now(engine, people):
    with pytest.raises(PermissionDenied, match="下达指令"):
        issued(engine, people["dept"])
    with pytest.raises(ins.InstructionError, match="办理期限 2026-12-01 09:00 已过"):
        issued(engine, people["issuer"], deadline=datetime(2026, 12, 1, 9, 0))
    with pytest.raises(ins.InstructionError, match="请填写指令内容"):
        issued(engine, people["issuer"], text=" ")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ins.instructions)).scalar() == 0
        denied = conn.execute(select(audit_log.c.outcome).where(audit_log.c.action == "instruction_issue")).scalars()
        assert list(denied) == ["denied"]


def test_the_overdue_rule_at_its_boundary(engine, people):
    item = issued(engine, people["issuer"])
    deadline = ins.timestamp(DEADLINE)
    assert not item.overdue(DEADLINE) and not item.overdue(deadline)  # at the deadline: not yet
    assert item.overdue(deadline + 1) and item.overdue(datetime(2026, 12, 1, 18, 0, 1))  # naive = Shanghai
    assert not item.overdue(datetime(2026, 12, 1, 10, 0, 1, tzinfo=ins.TIMEZONE).astimezone(ins.TIMEZONE))
    ins.take(engine, item.id, "refuse", at(1), note="非本局职责", caller=people["dept"])
    assert ins.get(engine, item.id).overdue(deadline + 1)  # 已退回 is still open
    assert not ins.is_overdue(ins.CLOSED, deadline, deadline + 3600)  # 已办结 never is


def test_a_closed_source_incident_lets_the_issuer_decide(engine, people):
    item = issued(engine, people["issuer"], incident_id="RX2611200900000")
    detail = pd.DataFrame({"incident_id": ["RX2611200900000", "RX2612010800000"], "status": ["已办结", "处置中"]})
    assert view.source_closed_ids(detail, ["RX2611200900000", "RX2612010800000", None]) == {"RX2611200900000"}
    shown = view.task_detail(engine, item.id, people["issuer"], detail, NOW)
    assert shown.source_closed and ("confirm", "办结确认", "") in shown.steps
    rows = view.tasks_view(engine, people["issuer"], detail, NOW).rows
    assert rows[0].record()["state"] == "已下达（源工单已办结）"
    with pytest.raises(ins.InstructionError, match="不能办结确认"):  # without the source closed: not yet
        ins.take(engine, item.id, "confirm", at(1), caller=people["issuer"])
    done = ins.take(engine, item.id, "confirm", at(2), source_closed=True, caller=people["issuer"])
    assert done.state == ins.CLOSED and ins.events(engine, item.id)[-1].note == ins.SOURCE_CLOSED


def test_a_sentence_becomes_an_issued_instruction(engine, people):
    result = parse("请城管局今天18点前处置滨江区的占道经营", fixture_lexicon(), NOW)
    item = ins.issue_from_sentence(engine, result, people["issuer"], NOW)
    assert (item.dept_id, item.department, item.region_id, item.region, item.action, item.origin) == (
        "D002", "示范市城市管理局", "430906", "滨江区", "处置", "sentence")
    assert (item.text, item.sentence, item.deadline_at) == (
        "处置滨江区的占道经营", "请城管局今天18点前处置滨江区的占道经营", ins.timestamp(DEADLINE))
    with pytest.raises(ins.InstructionError, match="没有下达指令"):
        ins.issue_from_sentence(engine, parse("看看高新区本周的超期件", fixture_lexicon(), NOW), people["issuer"], NOW)
    with pytest.raises(ins.InstructionError, match="没有说明办理期限"):
        ins.issue_from_sentence(engine, parse("请城管局处置滨江区的占道经营", fixture_lexicon(), NOW), people["issuer"], NOW)
    with pytest.raises(ins.InstructionError, match="没有说明承办部门"):
        ins.issue_from_sentence(engine, parse("请处置滨江区的占道经营 今天18点前", fixture_lexicon(), NOW),
                                people["issuer"], NOW)
    assert len(ins.all_instructions(engine)) == 1


def test_the_panel_counts(engine, people):
    yesterday = NOW - timedelta(days=1)
    old = issued(engine, people["issuer"], now=yesterday, deadline=yesterday + timedelta(hours=2))  # overdue
    issued(engine, people["issuer"], dept_id="D001", department="示范市公安局", now=yesterday,
           deadline=yesterday + timedelta(hours=3))  # overdue
    today = issued(engine, people["issuer"])  # due 18:00 today
    closed = issued(engine, people["issuer"], dept_id="D001", department="示范市公安局", text="核查")
    ins.take(engine, closed.id, "sign", at(1), caller=people["other"])
    ins.take(engine, closed.id, "start", at(2), caller=people["other"])
    ins.take(engine, closed.id, "feedback", at(3), note="已核查", caller=people["other"])
    ins.take(engine, closed.id, "confirm", at(4), caller=people["issuer"])
    ins.take(engine, old.id, "sign", at(5), caller=people["dept"])
    panel = view.panel_now(engine, at(10))
    assert (panel.issued_today, panel.open, panel.overdue) == (2, 3, 2)
    assert panel.overdue_by_department == [("示范市公安局", 1), ("示范市城市管理局", 1)]
    assert [e.text for e in panel.latest[:2]] == [f"示范市城市管理局 签收 指令 {old.id}：处置滨江区古城街道的占道经营",
                                                  f"领导甲 办结确认 指令 {closed.id}：核查"]
    assert panel.latest[0].when == "10:05"
    later = view.panel_now(engine, DEADLINE + timedelta(seconds=1))
    assert later.overdue == 3 and later.issued_today == 2 and today.id in {i.id for i in ins.all_instructions(engine)}


def test_instruction_ontime_rate():
    day = 86400.0
    frame = pd.DataFrame({"deadline_at": [1 * day, 2 * day, 3 * day, 4 * day, 20 * day, 40 * day],
                          "closed_at": [0.5 * day, 2.5 * day, None, None, 19 * day, 1 * day]})
    # due in [0, 30d) by now=10d: the first three (closed on time, late, open and past) and the
    # fifth closed early; the fourth is past too (open); the sixth is outside the period
    assert indicators.instruction_ontime_rate(frame, 0, 30 * day, 10 * day) == pytest.approx(2 / 5)
    assert indicators.instruction_ontime_rate(frame, 0, 30 * day, 3 * day) == pytest.approx(2 / 3)  # 3d: not yet due
    assert indicators.instruction_ontime_rate(frame.iloc[:0], 0, 30 * day, 10 * day) is None
    assert indicators.REGISTRY["instruction_ontime_rate"].name == "指令按期办结率"


def test_the_scoreboard_weighs_instructions_only_when_given_a_weight(engine, people):
    from dashboard.scoreboard import scoreboard
    from dashboard.settings import ScoreboardSettings, Settings
    from tests.test_programme_views import CATALOG, DEPARTMENTS, SYSTEMS, TODAY

    defaults = ScoreboardSettings()
    assert defaults.weights["instruction_ontime_rate"] == 0
    assert view.scoreboard_rates(Settings(), TODAY) is None  # weight 0: the app database is not read
    before = scoreboard(CATALOG, SYSTEMS, DEPARTMENTS, None, defaults, TODAY)
    rates = {"A": 0.0, "B": 1.0}
    given = scoreboard(CATALOG, SYSTEMS, DEPARTMENTS, None, defaults, TODAY, instruction_rates=rates)
    assert given.ranked[before.ranked.columns].equals(before.ranked)  # today's numbers do not change
    assert given.apart[before.apart.columns].equals(before.apart)
    weighed = ScoreboardSettings(weights={**defaults.weights, "instruction_ontime_rate": 0.5})
    board = scoreboard(CATALOG, SYSTEMS, DEPARTMENTS, None, weighed, TODAY, instruction_rates=rates)
    a = board.ranked.set_index("dept_id").loc["A"]
    assert a["score"] == pytest.approx((0.4 * 0.9 + 0.3 * 0.8 + 0.3 * 0.5 + 0.5 * 0.0) / 1.5)
    assert board.apart.set_index("dept_id").loc["C", "reason"] == "无非涉密系统、无到期指令"

    # the rates a weighed board reads: the app database's instructions, per department
    item = issued(engine, people["issuer"], now=NOW - timedelta(days=2), deadline=NOW - timedelta(days=1))
    ins.take(engine, item.id, "sign", NOW, caller=people["dept"])
    on_time = issued(engine, people["issuer"], dept_id="D001", department="示范市公安局", now=NOW - timedelta(days=2),
                     deadline=NOW + timedelta(hours=1))
    for step, minutes in (("sign", 1), ("start", 2), ("feedback", 3)):
        ins.take(engine, on_time.id, step, at(minutes), note="已办", caller=people["other"])
    ins.take(engine, on_time.id, "confirm", at(4), caller=people["issuer"])
    assert view.ontime_rates(ins.all_instructions(engine), at(5)) == {"D001": 1.0, "D002": 0.0}


def test_run_py_user_add_binds_a_department_account(tmp_path, capsys, monkeypatch):
    import io
    import sys

    from dashboard import accounts
    from dashboard.cli import main
    from dashboard.settings import load_settings
    from dashboard.store import open_store

    config = tmp_path / "city.toml"
    config.write_text(f'[app]\ndata_dir = "{tmp_path / "data"}"\ndatabase_url = "sqlite:///{tmp_path / "app.db"}"\n',
                      encoding="utf-8")
    settings = load_settings(config, environ={})
    open_store(settings.app.store, settings.data_dir).publish("departments", {
        "departments": pd.DataFrame({"dept_id": ["D001", "D002"], "name": ["示范市公安局", "示范市城市管理局"]}),
        "as_of": pd.DataFrame({"as_of": [pd.Timestamp("2026-12-01")], "rows": [2]})})

    def run(*args):
        monkeypatch.setattr(sys, "stdin", io.StringIO("部门的密码-123456\n"))
        code = main(["--config", str(config), "user", *args])
        out = capsys.readouterr()
        return code, out.out + out.err

    assert run("add", "城管甲", "--role", "department", "--password-stdin") == (
        2, "错误：角色 department 办理本部门指令，须用 --department 指定所属部门编号\n")
    code, said = run("add", "城管甲", "--role", "department", "--department", "D999", "--password-stdin")
    assert code == 2 and "部门编号 'D999' 不在已发布的部门数据中；可选如: D001（示范市公安局）、D002（示范市城市管理局）" in said
    assert run("add", "城管甲", "--role", "department", "--department", "D002", "--password-stdin") == (
        0, "已新增用户 城管甲（部门，所属部门 D002）\n")
    code, listed = run("list")
    assert code == 0 and listed.startswith("城管甲\t部门（department） 部门 D002\t启用")
    assert accounts.find_user(db.connect(settings.database_url), "城管甲").department == "D002"
