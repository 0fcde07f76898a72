"""Shared test helpers and fixtures: every server listens on 127.0.0.1 with a port from the kernel.

``loki`` is the Loki double (``tests/fakes/loki.py``) on loopback, ``start_agent``
an in-process agent on a config text (state in the test's tmp dir).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cflexagent import telemetry
from cflexagent.agent import Agent
from cflexagent.config import parse
from tests.fakes.loki import LokiDouble


@pytest.fixture(autouse=True)
def fresh_log_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no rate-limited log line held back by an earlier test."""
    monkeypatch.setattr(telemetry, "THROTTLE", telemetry.Throttle())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> bytes:
    """The body of ``url`` once the process ``proc`` serves it; fails if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited early with {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return bytes(r.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture
async def loki() -> AsyncIterator[LokiDouble]:
    d = LokiDouble()
    await d.start()
    yield d
    await d.stop()


def loki_section(url: str, **extra: str) -> str:
    opts = {"batch_max_wait": '"100ms"', "min_backoff": '"50ms"', "max_backoff": '"400ms"', "timeout": '"3s"',
            **extra}
    return f'[logs.loki]\nurl = "{url}"\n' + "".join(f"{k} = {v}\n" for k, v in opts.items())


def source_section(name: str, glob: str, **extra: str) -> str:
    opts = {"scan_interval": '"100ms"', "read_interval": '"50ms"', "rotate_wait": '"500ms"',
            "partial_line_grace": '"500ms"', **extra}
    return f'[[logs.sources]]\nname = "{name}"\npaths = ["{glob}"]\n' + "".join(f"{k} = {v}\n" for k, v in opts.items())


async def eventually(predicate: Callable[[], bool], within: float = 60.0) -> None:
    """Wait until ``predicate()`` holds (checked every 50 ms), for conditions nothing signals (metrics, files)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.05)


class Running:
    def __init__(self, agent: Agent, task: asyncio.Task[int]) -> None:
        self.agent = agent
        self.task = task

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        return self.agent.registry.get_sample_value(name, labels or {}) or 0.0

    async def stop(self) -> None:
        self.agent.stop_event.set()
        await asyncio.wait_for(asyncio.shield(self.task), 30)


@pytest.fixture
async def start_agent(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    running: list[Running] = []

    async def start(text: str, state: Path | None = None) -> Running:
        body = (f'[agent]\nstate_dir = "{state or tmp_path / "state"}"\nshutdown_grace = "5s"\n'
                f'[server]\nlisten = "127.0.0.1:0"\n' + text)
        agent = Agent(parse(body, "test.toml"), "test.toml")
        task = asyncio.create_task(agent.run())
        started = asyncio.create_task(agent.started.wait())
        await asyncio.wait([task, started], timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        r = Running(agent, task)
        running.append(r)
        return r

    yield start
    for r in running:
        if not r.task.done():
            await r.stop()


class LineWriter:
    """A thread appending ``per_tick`` lines every 10 ms (O_APPEND, as loggers write) until stopped;
    ``total`` is how many it wrote. ``line(seq)`` makes line number ``seq``."""

    def __init__(self, path: Path, line: Callable[[int], bytes], per_tick: int = 20) -> None:
        self.path, self.line, self.per_tick = path, line, per_tick
        self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with open(self.path, "ab", buffering=0) as f:
            while not self._stop.is_set():
                f.write(b"".join(self.line(self.total + i) for i in range(self.per_tick)))
                self.total += self.per_tick
                time.sleep(0.01)

    def __enter__(self) -> LineWriter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Upstream:
    """A stand-in for a proxied server (Grafana behind the nginx site): answers every request with
    ``upstream <METHOD> <path>`` and records the paths it got."""

    def __init__(self) -> None:
        seen = self.seen = []  # type: list[str]

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append(self.path)
                body = f"upstream {self.command} {self.path}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Upstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def nginx_serving(site: Path, tmp: Path, port: int) -> Iterator[str]:
    """The real nginx in the foreground serving a rendered site on 127.0.0.1:``port``; yields its https URL.
    A throwaway main config includes the site (as ``nginx -t`` in render/validate.py does)."""
    d = tmp / "nginx-run"
    d.mkdir(exist_ok=True)
    temp = "".join(f"    {k}_temp_path {d}/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (d / "nginx.conf").write_text(
        f"pid {d}/nginx.pid;\nerror_log {d}/error.log;\ndaemon off;\nmaster_process off;\nevents {{}}\n"
        f"http {{\n{temp}    access_log off;\n    include {site.resolve()};\n}}\n")
    proc = subprocess.Popen(["nginx", "-p", str(d), "-c", str(d / "nginx.conf"), "-e", str(d / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, (d / "error.log").read_text(errors="replace")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert time.monotonic() < deadline, "nginx did not listen"
            time.sleep(0.05)
        yield f"https://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def https_request(base: str, path: str, method: str = "GET", body: bytes | None = None,
                  headers: dict[str, str] | None = None) -> tuple[int, str]:
    """(status, body) of one request with ``path`` sent exactly as given (not normalised), certificate
    not verified (the test's own nginx)."""
    import http.client
    import ssl
    import urllib.parse

    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPSConnection(u.hostname or "", u.port, timeout=10,
                                       context=ssl._create_unverified_context())
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()
