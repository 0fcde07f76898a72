"""One hostile target must never freeze or bloat the agent (issue #11 item 4).

The targets are real servers on loopback that never finish their response: a
header that never ends (sent as fast as the socket takes it, or one byte at a
time), endless trailers after a chunked body, a body of one-byte chunks. Over
HTTP and HTTPS. The probe ends within its timeout with its memory bounded, and
a real agent process probing them keeps answering /healthz and SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme

from ..conftest import free_port

Start = Callable[..., Awaitable[int]]
CHUNK = b"A" * 65536


def streaming(head: bytes, data: bytes, pause: float = 0.0) -> Callable[..., Awaitable[None]]:
    """A server that answers any request with ``head``, then sends ``data`` again and again
    (every ``pause`` seconds) until the client goes away."""

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await r.readuntil(b"\r\n\r\n")
        w.write(head)
        while not w.is_closing():
            w.write(data)
            await w.drain()
            # drain() does not suspend while the transport is not paused, and a TLS transport
            # whose socket is gone never pauses: yield, so the connection loss reaches it.
            await asyncio.sleep(pause)

    return handler


#: The issue's target: ``X-Big: AAAA...`` as fast as the client reads it, forever.
endless_header = streaming(b"HTTP/1.1 200 OK\r\nX-Big: ", CHUNK)
#: A header that grows by one byte every 20 ms: never too big, never finished.
dripping_header = streaming(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"A", pause=0.02)
endless_trailer = streaming(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: ",
                            CHUNK)
tiny_chunks = streaming(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\nx\r\n" * 10000)


@pytest.fixture(scope="module")
def tls_server() -> tuple[ssl.SSLContext, str]:
    """A server context for 127.0.0.1 and the CA file that trusts it."""
    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx, ca.cert_pem.bytes().decode()


def url(port: int, tls: bool) -> str:
    return f"{'https' if tls else 'http'}://127.0.0.1:{port}/"


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
async def test_endless_header_fails_as_protocol_with_bounded_memory(probe: Any, raw_server: Start, tls: bool,
                                                                    tls_server: Any) -> None:
    port = await raw_server(endless_header, tls=tls_server[0] if tls else None)
    tracemalloc.start()
    try:
        r = await probe(url=url(port, tls), tls_verify=False, timeout="5s")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (r.result, r.reason) == ("failure", "protocol"), r.detail
    assert "headers longer than 64 KiB" in r.detail
    assert peak < 4 * 1024 * 1024


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
async def test_dripping_header_times_out_at_the_deadline(probe: Any, raw_server: Start, tls: bool,
                                                         tls_server: Any) -> None:
    port = await raw_server(dripping_header, tls=tls_server[0] if tls else None)
    r = await probe(url=url(port, tls), tls_verify=False, timeout="1s")
    assert r.reason == "timeout", r.detail
    assert 1.0 <= r.duration < 3.0


@pytest.mark.parametrize("handler", [endless_trailer, tiny_chunks], ids=["trailer", "tiny_chunks"])
async def test_endless_framing_is_cut_like_a_long_body(probe: Any, raw_server: Start, handler: Any) -> None:
    port = await raw_server(handler)
    tracemalloc.start()
    try:
        r = await probe(url=url(port, False), body_limit="16KiB", timeout="5s")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.result == "success", r.detail
    assert 0 < r.body_bytes <= 16 * 1024
    assert peak < 4 * 1024 * 1024


def rss_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


async def test_agent_probing_hostile_targets_keeps_serving(tmp_path: Path, raw_server: Start,
                                                           tls_server: Any) -> None:
    """The issue's reproduction against a real agent process: it keeps answering /healthz within
    milliseconds, its peak RSS stays small and SIGTERM stops it."""
    ctx, ca_pem = tls_server
    (tmp_path / "ca.pem").write_text(ca_pem)
    plain = await raw_server(endless_header)
    secure = await raw_server(endless_header, tls=ctx)
    drip = await raw_server(dripping_header)
    port = free_port()
    probes = "".join(
        f'[[probes]]\nname = "{name}"\ntype = "http"\nurl = "{target}"\ninterval = "1s"\ntimeout = "900ms"\n'
        f'ca_file = "{tmp_path / "ca.pem"}"\n'
        for name, target in (("plain", url(plain, False)), ("secure", url(secure, True)), ("drip", url(drip, False))))
    (tmp_path / "agent.toml").write_text(
        f'[agent]\nstate_dir = "{tmp_path / "state"}"\nshutdown_grace = "5s"\n'
        f'[server]\nlisten = "127.0.0.1:{port}"\n' + probes)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "cflexagent", "run", "-c",
                                                str(tmp_path / "agent.toml"), stderr=asyncio.subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    async with http.get(base + "/api/probes") as resp:
                        doc = await resp.json()
                    break
                except aiohttp.ClientConnectionError:
                    assert proc.returncode is None and time.monotonic() < deadline
                    await asyncio.sleep(0.1)
            # Until every hostile probe has failed three times, /healthz answers at once.
            while min(p["runs"] for p in doc["probes"]) < 3:
                assert time.monotonic() < deadline, doc
                t0 = time.perf_counter()
                async with http.get(base + "/healthz") as resp:
                    assert resp.status == 200
                latencies.append(time.perf_counter() - t0)
                async with http.get(base + "/api/probes") as resp:
                    doc = await resp.json()
                await asyncio.sleep(0.05)
        peak_kib = rss_peak_kib(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
    reasons = {p["name"]: p["last"]["reason"] for p in doc["probes"]}
    assert reasons == {"plain": "protocol", "secure": "protocol", "drip": "timeout"}
    assert max(latencies) < 0.5, sorted(latencies)[-5:]
    assert peak_kib < 120 * 1024, f"peak RSS {peak_kib} KiB"
    assert all(json.loads(line) for line in err.decode().splitlines())


async def test_probe_cli_on_hostile_targets_returns_at_its_timeout(raw_server: Start) -> None:
    """``cflexagent probe --timeout 5s`` on the issue's target returns (here at once: the headers
    are too long long before 5 s), and on a dripping one when its timeout passes."""
    flood = await raw_server(endless_header)
    drip = await raw_server(dripping_header)
    results = {}
    for name, port, timeout in (("flood", flood, "5s"), ("drip", drip, "2s")):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cflexagent", "probe", "--json", "--timeout", timeout, url(port, False),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 1, err.decode()
        results[name] = json.loads(out)
    assert results["flood"]["reason"] == "protocol"
    assert results["flood"]["duration_seconds"] < 5.0
    assert results["drip"]["reason"] == "timeout"
    assert 2.0 <= results["drip"]["duration_seconds"] < 3.0
