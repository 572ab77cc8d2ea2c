"""Oversized and malformed requests against the real server: 4xx with a short Chinese message, each
logged in one line (no traceback), and the server keeps answering."""
from __future__ import annotations

import pytest
import requests

from tests.auth_helpers import CALLBACK_URL, callback_body, dependencies, pulled_city, served_in_another_process


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("abuse")
    city = pulled_city(folder, anonymous_role="leader")
    city.log = folder / "serve.log"
    with served_in_another_process(city.config, city.log) as url:
        city.url = url
        city.callbacks = dependencies(url)
        yield city


class LogWatch:
    """The lines the served process logs while a test runs."""

    def __init__(self, path):
        self.path, self.start = path, path.stat().st_size

    def lines(self, logger: str = "citywall.security") -> list[str]:
        import time

        time.sleep(0.3)  # the server's log handler writes as it answers; let it flush
        with open(self.path, encoding="utf-8") as handle:
            handle.seek(self.start)
            text = handle.read()
        self.text = text
        return [line for line in text.splitlines() if f" {logger}: " in line]


@pytest.fixture
def log(live):
    return LogWatch(live.log)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_an_oversized_callback_is_refused_413_before_it_is_read(live, log):
    limit = live.settings.auth.max_request_kb * 1024
    body = b'{"output": "' + b"x" * (limit + 1) + b'"}'
    response = requests.post(live.url + CALLBACK_URL, data=body, headers={"Content-Type": "application/json"},
                             timeout=60)
    assert response.status_code == 413 and response.text == "请求过大：上限为 1024 KB"
    assert any("请求过大" in line for line in log.lines()) and "Traceback" not in log.text
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
def test_malformed_callbacks_get_a_short_chinese_400(live, log, name, body, message):
    if body is None:
        good = callback_body(live.callbacks, "status-body", {"status-interval.n_intervals": 1, "status-query.data": {}})
        if "outputs" in name:
            good["outputs"] = "status-body.children"
        else:
            good["inputs"] = {"id": 1}
        import orjson

        body = orjson.dumps(good)
    response = requests.post(live.url + CALLBACK_URL, data=body, headers={"Content-Type": "application/json"},
                             timeout=30)
    assert response.status_code == 400 and message in response.text and len(response.text) < 80
    lines = log.lines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in log.text
    assert len(log.text.splitlines()) == 1  # one line, nothing else


def test_values_of_the_wrong_type_are_the_requests_fault(live, log):
    # the status refresh reads its query as a dict: a list there is a malformed request, not a server error
    body = callback_body(live.callbacks, "status-body", {"status-interval.n_intervals": 1, "status-query.data": [1, 2]})
    response = requests.post(live.url + CALLBACK_URL, json=body, timeout=30)
    assert response.status_code == 400 and response.text == "回调参数无效：值的类型或格式不对"
    [line] = log.lines()
    assert "AttributeError" in line and "status.py:" in line and "Traceback" not in log.text


def test_a_flood_of_malformed_posts_writes_one_short_line_each(live, log):
    for _ in range(50):
        assert requests.post(live.url + CALLBACK_URL, data=b"[]", headers={"Content-Type": "application/json"},
                             timeout=30).status_code == 400
    lines = log.lines()
    assert len(lines) == 50 and all(len(line) < 200 for line in lines)
    assert len(log.text.splitlines()) == 50 and "Traceback" not in log.text
    assert requests.get(f"{live.url}/wall", timeout=30).status_code == 200  # still serving


def test_other_http_errors_answer_in_chinese(live):
    wrong_method = requests.delete(f"{live.url}/login", timeout=30)
    assert wrong_method.status_code == 405 and wrong_method.text == "不支持该请求方法"
    form_post = requests.post(live.url + CALLBACK_URL, data={"a": "b"}, timeout=30)
    assert form_post.status_code == 400 and "application/json" in form_post.text
