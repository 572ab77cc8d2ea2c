"""Oversized and malformed requests against the real server: 4xx with a short Chinese message, each
logged in one line (no traceback), and the server keeps answering."""
from __future__ import annotations

import logging

import pytest
import requests

from tests.auth_helpers import CALLBACK_URL, callback_body, demo_config
from tests.browser.conftest import LiveApp


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    app = LiveApp(demo_config(tmp_path_factory.mktemp("abuse"), anonymous_role="leader"))
    yield app
    app.close()


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_an_oversized_callback_is_refused_413_before_it_is_read(live, caplog):
    limit = live.settings.auth.max_request_kb * 1024
    body = b'{"output": "' + b"x" * (limit + 1) + b'"}'
    with caplog.at_level(logging.WARNING):
        response = requests.post(live.url + CALLBACK_URL, data=body, headers={"Content-Type": "application/json"},
                                 timeout=60)
    assert response.status_code == 413 and response.text == "请求过大：上限为 1024 KB"
    assert any("请求过大" in r.getMessage() and r.exc_info is None for r in caplog.records)
    # a body without a length (chunked) is cut at the limit too
    chunks = (b"x" * 65536 for _ in range(limit // 65536 + 2))
    chunked = requests.post(live.url + CALLBACK_URL, data=chunks, headers={"Content-Type": "application/json"},
                            timeout=60)
    assert chunked.status_code in (400, 413) and _is_chinese(chunked.text)


MALFORMED = [
    ("a JSON array", b"[1, 2, 3]", "回调请求的 JSON 应为对象"),
    ("not JSON", b"{not json", "回调请求的 JSON 应为对象"),
    ("unknown output", b'{"output": "nothing.children", "outputs": {"id": "nothing", "property": "children"},'
                       b' "inputs": [], "changedPropIds": []}', "未知的回调输出"),
    ("outputs of the wrong shape", None, "outputs 格式无效"),
    ("inputs of the wrong shape", None, "inputs 或 state 格式无效"),
]


@pytest.mark.parametrize("name,body,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_callbacks_get_a_short_chinese_400(live, caplog, name, body, message):
    if body is None:
        good = callback_body(live.app, "status-body", {"status-interval.n_intervals": 1, "status-query.data": {}})
        if "outputs" in name:
            good["outputs"] = "status-body.children"
        else:
            good["inputs"] = {"id": 1}
        import orjson

        body = orjson.dumps(good)
    with caplog.at_level(logging.WARNING):
        response = requests.post(live.url + CALLBACK_URL, data=body, headers={"Content-Type": "application/json"},
                                 timeout=30)
    assert response.status_code == 400 and message in response.text and len(response.text) < 80
    assert "Traceback" not in caplog.text
    lines = [r for r in caplog.records if r.name == "citywall.security"]
    assert len(lines) == 1 and "\n" not in lines[0].getMessage() and lines[0].exc_info is None


def test_values_of_the_wrong_type_are_the_requests_fault(live, caplog):
    # the status refresh reads its query as a dict: a list there is a malformed request, not a server error
    body = callback_body(live.app, "status-body", {"status-interval.n_intervals": 1, "status-query.data": [1, 2]})
    with caplog.at_level(logging.WARNING):
        response = requests.post(live.url + CALLBACK_URL, json=body, timeout=30)
    assert response.status_code == 400 and response.text == "回调参数无效：值的类型或格式不对"
    assert "Traceback" not in caplog.text
    record = next(r for r in caplog.records if r.name == "citywall.security")
    assert "AttributeError" in record.getMessage() and "status.py:" in record.getMessage()


def test_a_flood_of_malformed_posts_writes_one_short_line_each(live, caplog):
    with caplog.at_level(logging.WARNING):
        for _ in range(50):
            assert requests.post(live.url + CALLBACK_URL, data=b"[]", headers={"Content-Type": "application/json"},
                                 timeout=30).status_code == 400
    records = [r for r in caplog.records if r.name == "citywall.security"]
    assert len(records) == 50 and all(len(r.getMessage()) < 200 for r in records)
    assert "Traceback" not in caplog.text
    assert requests.get(f"{live.url}/wall", timeout=30).status_code == 200  # still serving


def test_other_http_errors_answer_in_chinese(live):
    wrong_method = requests.delete(f"{live.url}/login", timeout=30)
    assert wrong_method.status_code == 405 and wrong_method.text == "不支持该请求方法"
    form_post = requests.post(live.url + CALLBACK_URL, data={"a": "b"}, timeout=30)
    assert form_post.status_code == 400 and "application/json" in form_post.text
