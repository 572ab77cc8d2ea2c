"""One headless Chromium kept warm for the captures of a process, and relaunched if it dies.

Playwright's sync API belongs to the thread that started it, so a :class:`WarmBrowser` owns one
thread of its own (started by its first capture, never at import) that holds ``sync_playwright``
and the browser; :meth:`WarmBrowser.run` hands it a piece of work (one capture, in a new browser
context: no cookie or cache shared between captures) through a queue and waits for its outcome.

Made with ``warm_pages=N``, it also keeps up to N wall pages open between captures (dashboard/warm_pages.py;
the job runner's: ``[export] warm_pages``); they live in the capture thread, closed with the browser.

A browser that has died (killed, crashed, disconnected; before or during a capture) is launched
again (its kept pages gone with it) and that capture tried once more. A capture that fails while the browser lives (the page
timed out, answered 403) is not retried: a new browser would not change it.

Whoever runs exports owns one: the job runner's :class:`~dashboard.export_jobs.ExportRunner` (closed
when the runner stops), ``run.py snapshot`` (closed when it ends), and any left open is closed at
the process's exit.
"""
from __future__ import annotations

import atexit
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Callable

log = logging.getLogger("citywall.capture")
_STOP = object()


class WarmBrowser:
    """``with WarmBrowser(settings) as browser: browser.run(lambda b: …)`` (``b``: a Playwright Browser)."""

    def __init__(self, settings, warm_pages: int = 0) -> None:
        from dashboard.warm_pages import WarmPages

        self.settings = settings
        self.launches = 0  # how many times Chromium was launched: once, unless it died
        self.pages = WarmPages(warm_pages)  # wall pages kept open for captures (dashboard/warm_pages.py)
        self._tasks: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> "WarmBrowser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, work: Callable):
        """``work(browser)`` in the capture thread, with a live browser; its result (or its exception)."""
        done: Future = Future()
        with self._lock:
            if self._thread is None:
                # a daemon thread: the interpreter's exit runs atexit (close, below) before it stops it
                self._thread = threading.Thread(target=self._serve, name="citywall-capture", daemon=True)
                self._thread.start()
                atexit.register(self.close)
            self._tasks.put((work, done))
        return done.result()

    def close(self, timeout: float = 30) -> None:
        """Close the browser and stop the capture thread (a later capture starts them again)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._tasks.put(_STOP)
            atexit.unregister(self.close)
        thread.join(timeout=timeout)

    def _serve(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # Playwright itself failed: the captures waiting get its error
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None  # the next capture starts a new thread
            while True:
                try:
                    task = self._tasks.get_nowait()
                except queue.Empty:
                    return
                if task is not _STOP:
                    task[1].set_exception(exc)

    def _loop(self) -> None:
        from dashboard.capture import _playwright

        browser = None
        with _playwright().sync_playwright() as playwright:
            try:
                while (task := self._next()) is not _STOP:
                    if task is None:  # idle: close the kept pages nobody has used for a while
                        self.pages.expire()
                        continue
                    work, done = task
                    try:
                        browser = self._alive(playwright, browser)
                        done.set_result(work(browser))
                    except BaseException as exc:  # handed to the waiting caller
                        if browser is None or browser.is_connected() or done.done():
                            done.set_exception(exc)
                            continue
                        said = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                        log.warning("截图用的 Chromium 已退出（%s），重新启动后重试一次", said)
                        try:
                            browser = self._alive(playwright, None)
                            done.set_result(work(browser))
                        except BaseException as again:
                            done.set_exception(again)
            finally:
                if browser is not None and browser.is_connected():
                    self.pages.close()
                    try:
                        browser.close()
                    except Exception:  # it went away while closing
                        pass

    def _next(self):
        """The next task; None after a minute without one while pages are kept."""
        try:
            return self._tasks.get(timeout=60 if len(self.pages) else None)
        except queue.Empty:
            return None

    def _alive(self, playwright, browser):
        """``browser`` if it is still connected, else a newly launched one."""
        if browser is not None and browser.is_connected():
            return browser
        from dashboard.capture import launch

        self.pages.forget()  # they died with it
        browser = launch(playwright, self.settings)
        self.launches += 1
        return browser
