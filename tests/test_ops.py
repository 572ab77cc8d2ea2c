"""/ops and /ops/quarantine over HTTP, through the real app in-process (Flask's test client) and real
callbacks posted to /_dash-update-component: refusals without a caller, the refresh queued once for two
clicks, a failing source shown red with its error, the quarantine download (CSV and Excel) holding the
rejected rows, accept and discard of a held publish."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from dashboard import audit, db, jobs
from dashboard.app import create_app
from dashboard.pullers import Puller
from dashboard.settings import load_settings
from dashboard.store import DiskFrameStore

CSV = ("dept_id,name,short_name,kind,联系人\n"
       "D1,市大数据局,大数据局,委办局,张三\n"
       "D2,市交通局,交通局,委办局,李四\n"
       ",缺编号的局,缺编号,委办局,王五\n")


@pytest.fixture
def ops_app(tmp_path, http_server):
    (tmp_path / "depts.csv").write_text(CSV, encoding="utf-8")
    config = tmp_path / "city.toml"
    config.write_text(f"""
[app]
data_dir = "var"
[[sources]]
name = "部门名录"
dataset = "departments"
kind = "files"
path = "depts.csv"
owner = "市大数据局"
personal = ["联系人"]
[[sources]]
name = "坏接口"
dataset = "catalog"
kind = "http"
url = "{http_server.route('/broken', 'nope', status=500)}"
owner = "市政务服务局"
""", encoding="utf-8")
    settings = load_settings(config, environ={})
    store = DiskFrameStore(settings.data_dir / "frames")
    puller = Puller(settings, store)
    puller.run_all("test")
    app = create_app(settings, store, puller.engine)
    return app.server.test_client(), puller, tmp_path


def post_callback(client, output: str, outputs: list[tuple[str, str]], changed: str, inputs: list, state=()):
    described = [{"id": i, "property": p} for i, p in outputs]
    payload = {"output": output, "outputs": described if len(described) > 1 else described[0],
               "inputs": inputs, "changedPropIds": [changed], "state": list(state)}
    return client.post("/_dash-update-component", json=payload)


def click(client, button, job_id=None):
    """The 运维 page's button callback, as the browser posts it (``button``: an id or a pattern id)."""
    # as Chromium sends it: sorted keys, the Chinese unescaped
    key = json.dumps(button, separators=(",", ":"), sort_keys=True, ensure_ascii=False) if isinstance(button, dict) \
        else button
    plain = {b: {"id": b, "property": "n_clicks", "value": 1 if b == button else 0} for b in ("ops-refresh-all", "ops-cancel")}
    pattern = {t: [{"id": button, "property": "n_clicks", "value": 1}] if isinstance(button, dict) and button["type"] == t
               else [] for t in ("ops-refresh", "ops-accept", "ops-discard")}
    inputs = [plain["ops-refresh-all"], pattern["ops-refresh"], plain["ops-cancel"], pattern["ops-accept"],
              pattern["ops-discard"]]
    return post_callback(client, "..ops-job.data...ops-message.children..",
                         [("ops-job", "data"), ("ops-message", "children")], f"{key}.n_clicks", inputs,
                         [{"id": "ops-job", "property": "data", "value": job_id}])


def refresh_table(client):
    return post_callback(client, "ops-body.children", [("ops-body", "children")], "ops-interval.n_intervals",
                         [{"id": "ops-interval", "property": "n_intervals", "value": 1},
                          {"id": "ops-done", "property": "children", "value": None}])


def answer(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


def test_without_a_caller_refresh_download_and_the_page_are_refused(ops_app):
    client, puller, _ = ops_app
    refused = click(client, "ops-refresh-all")
    assert refused.status_code == 401 and refused.get_data(as_text=True) == "需要登录后才能刷新数据源"
    assert jobs.active_jobs(puller.engine) == []  # nothing queued
    for kind in ("csv", "xlsx"):
        download = client.get(f"/ops/quarantine.{kind}?source=部门名录")
        assert download.status_code == 401 and "需要登录后才能查看原始行与错误详情" in download.get_data(as_text=True)
    page = client.get("/ops")  # not logged in: the login page, with the way back
    assert page.status_code == 302 and page.headers["Location"].endswith("/login?next=/ops")
    import dash

    guarded = dash.page_registry["layouts.ops"]["layout"]  # what Dash's router renders: the refusal
    with client.application.test_request_context("/ops"):
        assert "需要登录后才能刷新数据源" in json.dumps(guarded().to_plotly_json(), ensure_ascii=False, default=str)
    table = refresh_table(client)
    assert table.status_code == 401 and "刷新数据源" in table.get_data(as_text=True)


def test_two_clicks_queue_one_refresh_and_make_one_pull(ops_app, operator_caller):
    client, puller, _ = ops_app
    button = {"type": "ops-refresh", "source": "部门名录"}
    first = answer(click(client, button))
    second = answer(click(client, button))
    job_id = first["ops-job"]["data"]
    assert first["ops-message"]["children"] == "已加入队列: 刷新数据源「部门名录」"
    assert second["ops-job"]["data"] == job_id and "已在进行，未重复启动" in second["ops-message"]["children"]
    before = len(db.recent_runs(puller.engine).query("source == '部门名录'"))
    runner = jobs.JobRunner(puller)
    assert runner.run_next() and not runner.run_next()
    runs = db.recent_runs(puller.engine).query("source == '部门名录'")
    assert len(runs) == before + 1 and runs.iloc[0]["trigger"] == "manual"
    assert jobs.get(puller.engine, job_id).requested_by == "ops-test"
    # the cancel of a job that is over says so
    assert answer(click(client, "ops-cancel", job_id))["ops-message"]["children"] == "该任务已结束，无需取消"
    # each click is in the audit trail: who, what, outcome
    trail = [(r.actor, r.action, r.target, r.outcome, r.detail) for r in audit.query(puller.engine)
             if r.action in ("refresh", "cancel")][::-1][-3:]
    assert trail == [("ops-test", "refresh", "部门名录", "ok", f"已排队，任务 {job_id}"),
                     ("ops-test", "refresh", "部门名录", "ok", f"已在进行，任务 {job_id}"),
                     ("ops-test", "cancel", f"任务 {job_id}", "ok", "任务已结束")]


def test_a_failing_source_shows_red_with_its_error(ops_app, operator_caller):
    from dashboard import runtime
    from dashboard.ops_view import ops_view

    client, _, _ = ops_app
    view = {r.source: r for r in ops_view(runtime.current()).sources}
    assert view["坏接口"].health == "bad" and "500" in view["坏接口"].last_error
    assert view["坏接口"].owner == "市政务服务局" and view["坏接口"].result == "失败"
    assert view["部门名录"].health == "ok" and view["部门名录"].rows_ok == "2" and view["部门名录"].rows_quarantined == "1"
    table = refresh_table(client)
    body = json.dumps(answer(table)["ops-body"]["children"], ensure_ascii=False)
    assert "cw-ops-row is-bad" in body and "cw-light is-bad" in body and "500" in body


def test_the_quarantine_download_holds_the_rejected_rows(ops_app, operator_caller):
    client, _, _ = ops_app
    csv = client.get("/ops/quarantine.csv?source=部门名录")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    frame = pd.read_csv(io.BytesIO(csv.data), encoding="utf-8-sig")
    assert frame["name"].tolist() == ["缺编号的局"] and "dept_id" in frame["原因"].iloc[0]
    assert frame["联系人"].tolist() == ["王**"]  # masked (app.mask_personal)
    excel = pd.read_excel(io.BytesIO(client.get("/ops/quarantine.xlsx?source=部门名录").data))
    assert excel["name"].tolist() == ["缺编号的局"]
    assert client.get("/ops/quarantine.csv?source=没有这个").status_code == 404
    downloads = [(r.actor, r.target, r.detail) for r in audit.query(ops_app[1].engine, action="download")][:2]
    assert downloads == [("ops-test", "隔离行 部门名录", "1 行，XLSX"), ("ops-test", "隔离行 部门名录", "1 行，CSV")]


def test_accept_goes_through_the_queue_and_discard_drops_the_hold(ops_app, operator_caller):
    client, puller, folder = ops_app
    (folder / "depts.csv").write_text(CSV.splitlines()[0] + "\n", encoding="utf-8")  # header only: held
    assert puller.run_source("部门名录").held
    accepted = answer(click(client, {"type": "ops-accept", "source": "部门名录"}))
    assert accepted["ops-message"]["children"] == "已加入队列: 放行暂缓的发布「部门名录」"
    jobs.JobRunner(puller).run_next()
    assert puller.held.get("部门名录") is None
    assert db.recent_runs(puller.engine).iloc[0]["status"] == "accepted"

    (folder / "depts.csv").write_text(CSV, encoding="utf-8")
    puller.run_source("部门名录")
    (folder / "depts.csv").write_text(CSV.splitlines()[0] + "\n", encoding="utf-8")
    assert puller.run_source("部门名录").held
    version = puller.store.status("departments").version
    discarded = answer(click(client, {"type": "ops-discard", "source": "部门名录"}))
    assert discarded["ops-message"]["children"] == "已放弃「部门名录」被暂缓的发布，保留上次的数据"
    assert puller.held.get("部门名录") is None and puller.store.status("departments").version == version
    assert db.recent_runs(puller.engine).iloc[0]["status"] == "discarded"
    overrides = [(r.actor, r.action, r.target) for r in audit.query(puller.engine)
                 if r.action in ("accept_guard", "discard_guard")]
    assert overrides[:2] == [("ops-test", "discard_guard", "部门名录"), ("ops-test", "accept_guard", "部门名录")]


def rendered(component) -> str:
    import plotly.utils

    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def test_the_quarantine_page_shows_every_reason_the_masked_raw_row_and_the_trend(ops_app, operator_caller):
    from layouts.ops_quarantine import layout

    _, puller, _ = ops_app
    puller.run_source("部门名录")  # a second run: the trend has two bars
    page = rendered(layout(source="部门名录"))
    assert "缺编号的局" in page and "联系人: 王**" in page and "王五" not in page
    assert "「部门名录」每次拉取的隔离行数（最近 2 次）" in page and '"y": [1, 1]' in page
    assert "/ops/quarantine.csv?source=%E9%83%A8%E9%97%A8%E5%90%8D%E5%BD%95" in page
    unknown = rendered(layout(source="没有这个", page="x"))
    assert "没有名为「没有这个」的数据源，显示全部数据源" in unknown and "页码「x」不是整数" in unknown


def test_without_view_raw_rows_the_quarantine_page_refuses(ops_app, leader_caller):
    import dash

    client = ops_app[0]
    guarded = dash.page_registry["layouts.ops_quarantine"]["layout"]  # what Dash's router renders
    with client.application.test_request_context("/ops/quarantine?source=部门名录"):
        page = rendered(guarded(source="部门名录"))
    assert "没有「查看原始行与错误详情」权限" in page and "缺编号的局" not in page
    assert client.get("/ops/quarantine?source=部门名录").status_code == 403
