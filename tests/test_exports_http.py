"""/exports over plain HTTP on a real 127.0.0.1 server, with real logins: the export callback and the
archive's download refused (401 / 403, in Chinese) without the ``export`` permission, an export queued
with it, a download handing out the archived file with its Chinese name, and every download in the
audit trail."""
from __future__ import annotations

from urllib.parse import unquote

import pytest
import requests

from dashboard import audit, exports, jobs
from dashboard.capture import LocalServer
from tests.auth_helpers import add_user, login
from tests.demo_app import demo_app

CALLBACK = "/_dash-update-component"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo city's app on a private 127.0.0.1 port, with one archived PNG."""
    from dashboard import runtime

    app = demo_app(tmp_path_factory.mktemp("exports-http"), anonymous_role="")

    rt = runtime.current()
    folder = exports.folder(rt.settings)
    path = exports.store_file(folder, b"\x89PNG archived", "png", 1_764_633_600.0, 7)
    made = exports.record(rt.engine, kind="png", view="city", view_label="全市", created_by="简报员",
                          data_version="v1", path=path, size_bytes=14, created_at=1_764_633_600.0, job_id=7)
    add_user(rt.engine, "brief1", "briefing")
    add_user(rt.engine, "lead1", "leader")
    with LocalServer(app) as url:
        yield url, rt, made


def export_click(session, url: str, button: str = "exports-png", view: str = "city") -> requests.Response:
    inputs = [{"id": b, "property": "n_clicks", "value": 1 if b == button else 0}
              for b in ("exports-png", "exports-pdf", "exports-xlsx")]
    payload = {"output": "..exports-job.data...exports-message.children..",
               "outputs": [{"id": "exports-job", "property": "data"}, {"id": "exports-message", "property": "children"}],
               "inputs": inputs, "changedPropIds": [f"{button}.n_clicks"],
               "state": [{"id": "exports-view", "property": "value", "value": view}]}
    return session.post(url + CALLBACK, json=payload, timeout=30)


def test_without_the_export_permission_the_callback_and_the_download_are_refused(served):
    url, rt, made = served
    leader = login(requests.Session(), url, "lead1")
    queued_before = len(jobs.active_jobs(rt.engine))
    refused = export_click(leader, url)
    assert refused.status_code == 403 and refused.text == "当前账号（领导）没有「导出简报」权限"
    assert len(jobs.active_jobs(rt.engine)) == queued_before  # nothing queued
    download = leader.get(f"{url}/exports/file/{made.id}", timeout=30)  # the refusal page, in Chinese
    assert download.status_code == 403 and "当前账号（领导）没有「导出简报」权限" in download.text
    assert b"PNG archived" not in download.content
    assert [r.outcome for r in audit.query(rt.engine, actor="lead1", action="denied")] == ["denied", "denied"]


def test_anonymous_callers_are_refused_too(served):
    url, _, made = served
    anonymous = requests.Session()
    assert export_click(anonymous, url).status_code == 401
    download = anonymous.get(f"{url}/exports/file/{made.id}", timeout=30)
    assert download.status_code == 401 and "需要登录后才能导出简报" in download.text
    assert b"PNG archived" not in download.content
    page = anonymous.get(f"{url}/exports", allow_redirects=False, timeout=30)
    assert page.status_code == 302 and page.headers["Location"].endswith("/login?next=/exports")


def test_with_the_export_permission_an_export_is_queued_and_the_file_downloaded_and_audited(served):
    url, rt, made = served
    briefing = login(requests.Session(), url, "brief1")
    answer = export_click(briefing, url)
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["response"]["exports-job"]["data"]
    job = jobs.get(rt.engine, job_id)
    assert (job.kind, job.status, job.requested_by, job.params["kind"], job.params["view"]) == \
        ("export", "queued", "brief1", "png", "city")
    again = export_click(briefing, url).json()["response"]
    assert again["exports-job"]["data"] == job_id and "已在进行，未重复启动" in again["exports-message"]["children"]
    district = rt.store.frame("regions", "regions").query("level == '区县'").iloc[0]
    by_district = jobs.get(rt.engine, export_click(briefing, url, view=f"district:{district['region_id']}")
                           .json()["response"]["exports-job"]["data"])
    assert by_district.id != job_id and by_district.label == f"导出大屏 PNG「{district['name']}」"
    bad_view = export_click(briefing, url, view="district:nowhere").json()["response"]
    assert "视图 district:nowhere 无效" in bad_view["exports-message"]["children"]

    download = briefing.get(f"{url}/exports/file/{made.id}", timeout=30)
    missing = briefing.get(f"{url}/exports/file/99999", timeout=30)
    assert download.status_code == 200 and download.content == b"\x89PNG archived"
    assert download.headers["Content-Type"] == "image/png"
    assert "示范市-大屏PNG-全市-" in unquote(download.headers["Content-Disposition"])
    assert missing.status_code == 404 and "没有编号为 99999 的导出文件" in missing.text
    downloads = audit.query(rt.engine, actor="brief1", action="download")[::-1]  # oldest first
    assert [(r.target, r.outcome, r.address) for r in downloads] == \
        [(f"导出文件 {made.id}", "ok", "127.0.0.1"), ("导出文件 99999", "failed", "127.0.0.1")]
    assert downloads[0].detail.startswith("示范市-大屏PNG-全市-")
    queued = audit.query(rt.engine, actor="brief1", action="export")[::-1]
    assert queued[0].target == "导出大屏 PNG「全市」" and queued[0].detail == f"已排队，任务 {job_id}"


def test_the_capture_service_token_views_but_may_not_export_or_download(served):
    """The exports' service token sees what a capture draws (the wall, the 通报), never the export routes."""
    from dashboard import capture_token

    url, rt, made = served
    token = requests.Session()
    token.headers[capture_token.HEADER] = capture_token.secret(rt.engine, rt.settings)
    assert token.get(f"{url}/briefing", timeout=30).status_code == 200
    queued_before = len(jobs.active_jobs(rt.engine))
    refused = export_click(token, url)
    assert refused.status_code == 401 and refused.text == "需要登录后才能导出简报"
    assert len(jobs.active_jobs(rt.engine)) == queued_before
    download = token.get(f"{url}/exports/file/{made.id}", timeout=30)
    assert download.status_code == 401 and b"PNG archived" not in download.content
    page = token.get(f"{url}/exports", allow_redirects=False, timeout=30)
    assert page.status_code == 302 and page.headers["Location"].endswith("/login?next=/exports")


def test_a_role_that_may_export_may_read_the_briefing_it_prints():
    from dashboard.permissions import role_caller

    roles = {"通报员": frozenset({"view_wall", "export"}), "观看": frozenset({"view_wall"})}
    assert "view_briefing" in role_caller("甲", "通报员", roles).permissions
    assert "view_briefing" not in role_caller("乙", "观看", roles).permissions
    assert "view_briefing" not in role_caller("", "通报员", roles, kind="anonymous").permissions  # needs a login
    assert role_caller("", "", {}, kind="capture").permissions == {"view_wall", "view_drilldowns", "view_briefing"}
