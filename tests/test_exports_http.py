"""/exports over plain HTTP on a real 127.0.0.1 server: the export callback and the archive's download
refused (403, in Chinese) without the ``export`` permission, an export queued with it, a download
handing out the archived file with its Chinese name, and every download audited."""
from __future__ import annotations

import logging
from urllib.parse import unquote

import pytest
import requests

from dashboard import exports, jobs
from dashboard.capture import LocalServer
from tests.demo_app import demo_app

CALLBACK = "/_dash-update-component"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo city's app on a private 127.0.0.1 port, with one archived PNG."""
    from dashboard import runtime

    app = demo_app(tmp_path_factory.mktemp("exports-http"))

    rt = runtime.current()
    folder = exports.folder(rt.settings)
    path = exports.store_file(folder, b"\x89PNG archived", "png", 1_764_633_600.0, 7)
    made = exports.record(rt.engine, kind="png", view="city", view_label="全市", created_by="简报员",
                          data_version="v1", path=path, size_bytes=14, created_at=1_764_633_600.0, job_id=7)
    with LocalServer(app) as url:
        yield url, rt, made


def export_click(url: str, button: str = "exports-png", view: str = "city") -> requests.Response:
    inputs = [{"id": b, "property": "n_clicks", "value": 1 if b == button else 0}
              for b in ("exports-png", "exports-pdf", "exports-xlsx")]
    payload = {"output": "..exports-job.data...exports-message.children..",
               "outputs": [{"id": "exports-job", "property": "data"}, {"id": "exports-message", "property": "children"}],
               "inputs": inputs, "changedPropIds": [f"{button}.n_clicks"],
               "state": [{"id": "exports-view", "property": "value", "value": view}]}
    return requests.post(url + CALLBACK, json=payload, timeout=30)


def test_without_the_export_permission_the_callback_and_the_download_are_refused(served, leader_caller):
    url, rt, made = served
    queued_before = len(jobs.active_jobs(rt.engine))
    refused = export_click(url)
    assert refused.status_code == 403 and refused.text == "当前账号（领导）没有「导出简报」权限"
    assert len(jobs.active_jobs(rt.engine)) == queued_before  # nothing queued
    download = requests.get(f"{url}/exports/file/{made.id}", timeout=30)
    assert download.status_code == 403 and download.text == "当前账号（领导）没有「导出简报」权限"
    assert b"PNG archived" not in download.content


def test_anonymous_callers_are_refused_too(served):
    url, _, made = served
    assert export_click(url).status_code == 403
    download = requests.get(f"{url}/exports/file/{made.id}", timeout=30)
    assert download.status_code == 403 and download.text == "需要登录后才能导出简报"


def test_with_the_export_permission_an_export_is_queued_and_the_file_downloaded_and_audited(served, briefing_caller,
                                                                                          caplog):
    url, rt, made = served
    answer = export_click(url)
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["response"]["exports-job"]["data"]
    job = jobs.get(rt.engine, job_id)
    assert (job.kind, job.status, job.requested_by, job.params["kind"], job.params["view"]) == \
        ("export", "queued", "简报员", "png", "city")
    again = export_click(url).json()["response"]
    assert again["exports-job"]["data"] == job_id and "已在进行，未重复启动" in again["exports-message"]["children"]
    district = rt.store.frame("regions", "regions").query("level == '区县'").iloc[0]
    by_district = jobs.get(rt.engine, export_click(url, view=f"district:{district['region_id']}")
                           .json()["response"]["exports-job"]["data"])
    assert by_district.id != job_id and by_district.label == f"导出大屏 PNG「{district['name']}」"
    bad_view = export_click(url, view="district:nowhere").json()["response"]
    assert "视图 district:nowhere 无效" in bad_view["exports-message"]["children"]

    with caplog.at_level(logging.INFO, logger="citywall.ops"):
        download = requests.get(f"{url}/exports/file/{made.id}", timeout=30)
        missing = requests.get(f"{url}/exports/file/99999", timeout=30)
    assert download.status_code == 200 and download.content == b"\x89PNG archived"
    assert download.headers["Content-Type"] == "image/png"
    assert "示范市-大屏PNG-全市-" in unquote(download.headers["Content-Disposition"])
    assert missing.status_code == 404 and "没有编号为 99999 的导出文件" in missing.text
    audited = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audit: export_download")]
    assert audited[0].startswith(f"audit: export_download export {made.id} png 全市 by 简报员"), audited
    assert audited[1].startswith("audit: export_download export 99999 not found by 简报员"), audited
