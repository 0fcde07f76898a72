"""Real loopback targets for the probers: a well-behaved aiohttp app, hostile raw
TCP servers (silent, one byte per second, reset, malformed, endless body) and
TLS servers with certificates made by trustme (trusted, self-signed, expired,
wrong host). Every server listens on 127.0.0.1 with a port from the kernel."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from prometheus_client import CollectorRegistry

from cflexagent.component import Context
from cflexagent.config import decode, parse
from cflexagent.probes.base import Env, Result
from cflexagent.probes.config import ProbeConfig
from cflexagent.probes.scheduler import PROBERS, ProbeScheduler, run_once
from cflexagent.telemetry import LoopMonitor

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def probe_config(**raw: Any) -> ProbeConfig:
    raw.setdefault("name", "t")
    raw.setdefault("type", "http" if "url" in raw else "tcp")
    raw.setdefault("timeout", "5s")
    return decode(raw, ProbeConfig)  # type: ignore[no-any-return]


@pytest.fixture
async def probe() -> AsyncIterator[Callable[..., Awaitable[Result]]]:
    """``await probe(url=..., timeout="2s")`` runs one probe and returns its Result."""
    env = Env()

    async def run(**raw: Any) -> Result:
        cfg = probe_config(**raw)
        prober = PROBERS[cfg.type]
        return await run_once(prober, prober.compile(cfg), env)

    yield run
    await env.close()


@dataclass
class App:
    port: int
    state: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
async def app() -> AsyncIterator[App]:
    state: dict[str, Any] = {"status": 200, "hits": 0}

    async def ok(request: web.Request) -> web.Response:
        state["hits"] += 1
        return web.Response(status=state["status"], text='{"status": "ok"}', content_type="application/json")

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/ok")

    async def slow_ok(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("s", "1")))
        return web.Response(text="late")

    async def huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Length": str(1 << 30)})
        await resp.prepare(request)
        chunk = b"x" * 65536
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            for _ in range((1 << 30) // len(chunk)):
                await resp.write(chunk)
        return resp

    web_app = web.Application()
    web_app.router.add_get("/ok", ok)
    web_app.router.add_get("/loop", loop)
    web_app.router.add_get("/redirect", redirect)
    web_app.router.add_get("/slow", slow_ok)
    web_app.router.add_get("/huge", huge)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield App(port, state)
    await runner.cleanup()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[..., Awaitable[int]]]:
    """Start an asyncio TCP server with a scripted handler (over TLS with ``tls=``); returns its port."""
    servers: list[asyncio.base_events.Server] = []
    tasks: set[asyncio.Task[None]] = set()

    async def start(handler: Handler, tls: ssl.SSLContext | None = None) -> int:
        async def wrapped(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)  # type: ignore[arg-type]
            try:
                await handler(r, w)
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                w.transport.abort()

        srv = await asyncio.start_server(wrapped, "127.0.0.1", 0, ssl=tls)
        servers.append(srv)
        return int(srv.sockets[0].getsockname()[1])

    yield start
    for srv in servers:
        srv.close()
    for t in list(tasks):
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for srv in servers:
        await srv.wait_closed()


async def silent(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    await asyncio.Event().wait()


async def one_byte_per_second(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    await r.readuntil(b"\r\n\r\n")
    for b in b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello":
        w.write(bytes([b]))
        await asyncio.sleep(1.0)


async def reset(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    await r.readuntil(b"\r\n\r\n")
    sock = w.get_extra_info("socket")
    # SO_LINGER with a zero timeout turns close() into a RST.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    w.transport.abort()


async def malformed(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    await r.readuntil(b"\r\n\r\n")
    w.write(b"HTTP/1.1 two hundred OK\r\nContent-Length: banana\r\n\r\n")
    await w.drain()
    await asyncio.Event().wait()


async def banner(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    line = await r.readline()
    w.write(b"+PONG\r\n" if line == b"PING\r\n" else b"-ERR unknown\r\n")
    await w.drain()
    await r.read()


@dataclass
class TLSTargets:
    ca_file: str
    ok: int
    self_signed: int
    expired: int
    wrong_host: int
    chain: int
    ca: trustme.CA


@pytest.fixture
async def tls_targets(tmp_path: Path) -> AsyncIterator[TLSTargets]:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    other = trustme.CA()
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)
    child = ca.create_child_ca()
    certs = {
        "ok": ca.issue_cert("localhost", "127.0.0.1"),
        "self_signed": other.issue_cert("localhost", "127.0.0.1"),
        "expired": ca.issue_cert("localhost", "127.0.0.1", not_before=past - datetime.timedelta(days=30),
                                 not_after=past),
        "wrong_host": ca.issue_cert("other.example"),
        "chain": child.issue_cert("localhost", "127.0.0.1"),
    }

    async def https_ok(request: web.Request) -> web.Response:
        return web.Response(text="secure")

    runners: list[web.AppRunner] = []
    ports: dict[str, int] = {}
    for name, cert in certs.items():
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        web_app = web.Application()
        web_app.router.add_get("/", https_ok)
        runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        runners.append(runner)
        ports[name] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield TLSTargets(ca_file=str(ca_file), ca=ca, **ports)
    for runner in runners:
        await runner.cleanup()


async def wait_until(cond: Callable[[], Any], timeout: float = 30.0,  # noqa: ASYNC109
                     what: str = "condition") -> None:
    """Poll ``cond`` until it is truthy (probes run on their own schedule)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
def free_port_factory() -> Callable[[], int]:
    from tests.conftest import free_port

    return free_port


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.registry = CollectorRegistry()
        self.ctx = Context(registry=self.registry, state_dir=tmp_path, loop_monitor=LoopMonitor())
        self.stop = asyncio.Event()
        self.scheduler: ProbeScheduler | None = None
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, text: str) -> ProbeScheduler:
        self.scheduler = ProbeScheduler(parse(text, "test.toml"), self.ctx)
        self.tasks.append(asyncio.create_task(self.scheduler.run(self.stop)))
        self.tasks.append(asyncio.create_task(self.ctx.loop_monitor.run(self.stop)))
        return self.scheduler

    def value(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path)
    yield h
    h.stop.set()
    await asyncio.wait_for(asyncio.gather(*h.tasks), 10)
