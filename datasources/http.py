"""Read a source from an HTTP JSON API: a list of records, an object holding one, or JSON Lines.

Every failure (HTTP status, timeout, refused connection, bad JSON, wrong ``records_path``)
becomes a :class:`SourceError` that says in Chinese what went wrong, so operations staff can act
on it without reading a traceback.
"""
from __future__ import annotations

import functools
import http.client
import io
import socket
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd

from datasources.adapters import SourceError
from datasources.jsonrecords import json_frame

if TYPE_CHECKING:
    from dashboard.settings import Settings, SourceSettings

_BOM = b"\xef\xbb\xbf"


class _Deadline:
    """A total time limit for one request: connect, send, headers and every byte of the body."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"超过 {self.seconds:g} 秒仍未读完响应")
        return left


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each wait bounded by what is left of the deadline: a server that trickles
    one byte every 2 s would otherwise reset a per-read timeout forever."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.settimeout(self._deadline.remaining())
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.close()  # the reader owns the socket once http.client has handed it over
        super().close()


class _DeadlineSocket:
    """A connected socket whose reads and sends keep to the deadline (see :class:`_DeadlineReader`)."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline, self._reader = sock, deadline, None

    def makefile(self, mode: str = "rb", *args, **kwargs):
        if mode != "rb":
            return self._sock.makefile(mode, *args, **kwargs)
        self._reader = io.BufferedReader(_DeadlineReader(self._sock, self._deadline))
        return self._reader

    def sendall(self, data, *args) -> None:
        self._sock.settimeout(self._deadline.remaining())
        self._sock.sendall(data, *args)

    def close(self) -> None:
        # urllib closes the connection's socket as soon as the headers are in; the body is still to read
        if self._reader is None:
            self._sock.close()

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class _DeadlineConnection:
    """Mixin for http.client connections: connect within the deadline, then read through it."""

    def __init__(self, *args, deadline: _Deadline, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        self.timeout = self.deadline.remaining()
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self.deadline)


class _DeadlineHTTPConnection(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(functools.partial(_DeadlineHTTPConnection, deadline=self.deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(functools.partial(_DeadlineHTTPSConnection, deadline=self.deadline), req,
                            context=self._context)


def _fetch(source: SourceSettings, timeout: float) -> bytes:
    url = source.url
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        # urllib would also open file:// and ftp:// URLs; a source config must not read local files
        raise SourceError(source.name, f"url 必须以 http:// 或 https:// 开头: {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json", **source.headers})
    deadline = _Deadline(timeout)  # the whole read, not each wait on the socket
    opener = urllib.request.build_opener(_DeadlineHTTPHandler(deadline), _DeadlineHTTPSHandler(deadline))
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            body = response.read()
            charset = response.headers.get_content_charset()
    except urllib.error.HTTPError as exc:
        raise SourceError(source.name, f"服务器返回错误 HTTP {exc.code} {exc.reason}: {url}") from exc
    except urllib.error.URLError as exc:
        raise SourceError(source.name, _connect_problem(exc.reason, url, timeout)) from exc
    except (TimeoutError, socket.timeout) as exc:
        raise SourceError(source.name, f"响应超时（{timeout:g} 秒内未读完响应；时限含连接与传输全程）: {url}") from exc
    except OSError as exc:
        raise SourceError(source.name, _connect_problem(exc, url, timeout)) from exc
    except http.client.HTTPException as exc:  # e.g. the server closed mid-response
        raise SourceError(source.name, f"响应不完整或格式错误（{type(exc).__name__}）: {url}") from exc
    if not 200 <= status < 300:
        raise SourceError(source.name, f"服务器返回 HTTP {status}（应为 2xx）: {url}")
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        try:  # some government gateways still answer in GBK; orjson reads UTF-8 only
            body = body.decode(charset).encode("utf-8")
        except (LookupError, UnicodeDecodeError) as exc:
            raise SourceError(source.name, f"返回内容无法按声明的编码 {charset} 解码: {url}") from exc
    return body.removeprefix(_BOM)


def _connect_problem(reason: Any, url: str, timeout: float) -> str:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"连接超时（超过 {timeout:g} 秒）: {url}"
    if isinstance(reason, ConnectionRefusedError):
        return f"无法连接（连接被拒绝，服务未启动或端口错误）: {url}"
    if isinstance(reason, socket.gaierror):
        return f"无法连接（域名无法解析）: {url}"
    return f"无法连接: {url}: {reason}"


def read_http(source: SourceSettings, settings: Settings) -> pd.DataFrame:
    """GET ``source.url`` and turn its JSON records into a frame (nested objects as ``a.b`` columns)."""
    timeout = source.timeout_seconds or settings.app.http_timeout_seconds
    body = _fetch(source, timeout)
    return parse_body(source, body)


def parse_body(source: SourceSettings, body: bytes) -> pd.DataFrame:
    """The records in a response body: a JSON document, or JSON Lines (one object per line)."""
    named_lines = source.url.split("?")[0].lower().endswith((".jsonl", ".ndjson"))
    return json_frame(source, body, "返回的", lines=named_lines or None)
