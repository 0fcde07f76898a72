"""Basic auth and bad requests under attack (issue #11 items 6 and 7), against a real agent on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import subprocess
import sys
import time
from typing import Any

import aiohttp
import bcrypt
import pytest

from cflexagent import telemetry
from cflexagent.auth import FAILURE_BURST, FAILURE_REFILL


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> telemetry.Throttle:
    """Rate-limited log keys are process-wide: start this test with none used."""
    t = telemetry.Throttle()
    monkeypatch.setattr(telemetry, "THROTTLE", t)
    return t


async def auth_agent(start_agent: Any) -> Any:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()
    return await start_agent(f'[server.basic_auth]\nusers = {{ prom = "{hashed}" }}\n')


def failures(a: Any, reason: str) -> float:
    return a.value("cflexagent_http_auth_failures_total", {"reason": reason}) or 0.0


async def test_wrong_password_flood_does_not_lock_out_the_scraper(start_agent: Any) -> None:
    """64 clients sending wrong passwords (all different) while the real scraper scrapes 76 times
    from the same address: every scrape is answered, bcrypt runs only the address's budget."""
    a = await auth_agent(start_agent)
    url = a.url + "/metrics"
    good = basic("prom", "s3cret")
    stop = asyncio.Event()
    statuses: list[int] = []
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": good}) as r:
            assert r.status == 200

        async def attacker(i: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                async with http.get(url, headers={"Authorization": basic("prom", f"guess-{i}-{n}")}) as r:
                    statuses.append(r.status)

        started = time.monotonic()
        attackers = [asyncio.create_task(attacker(i)) for i in range(64)]
        try:
            await asyncio.sleep(0.2)  # the flood is under way before the first scrape
            for _ in range(76):
                async with http.get(url, headers={"Authorization": good}) as r:
                    assert r.status == 200
        finally:
            stop.set()
            await asyncio.gather(*attackers)
        elapsed = time.monotonic() - started
    assert set(statuses) == {401, 429}
    assert failures(a, "rate_limited") > 0
    # Every attempt from the address beyond its budget was refused without hashing.
    assert failures(a, "wrong") <= FAILURE_BURST + elapsed / FAILURE_REFILL + 1
    assert failures(a, "wrong") + failures(a, "rate_limited") + failures(a, "busy") == len(statuses)


async def test_password_longer_than_72_bytes_is_401_not_500(start_agent: Any) -> None:
    a = await auth_agent(start_agent)
    async with aiohttp.ClientSession() as http:
        for password in ("x" * 100, "s3cret" + "x" * 80):
            async with http.get(a.url + "/metrics", headers={"Authorization": basic("prom", password)}) as r:
                assert r.status == 401
        async with http.get(a.url + "/metrics", headers={"Authorization": basic("prom", "s3cret")}) as r:
            assert r.status == 200
    assert failures(a, "too_long") == 2


async def test_oversized_request_line_and_header_log_one_line_with_the_client(
        start_agent: Any, caplog: pytest.LogCaptureFixture, fresh_throttle: telemetry.Throttle) -> None:
    a = await start_agent()
    caplog.set_level(logging.DEBUG, logger="cflexagent")
    port = a.agent.server.port
    for request in (b"GET /" + b"A" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"B" * 20_000 + b"\r\n\r\n"):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(request)
        assert (await r.read()).startswith(b"HTTP/1.0 400")
        w.close()
    assert a.value("cflexagent_http_bad_requests_total", {"reason": "too_long"}) == 2
    fmt = telemetry.JSONFormatter()
    lines = [json.loads(fmt.format(rec)) for rec in caplog.records if rec.name.startswith("cflexagent.server")]
    bad = [d for d in lines if d["message"] == "bad HTTP request"]
    assert len(bad) == 1  # the second within the minute is held back and counted
    assert bad[0]["client"] == "127.0.0.1" and bad[0]["error"] == "LineTooLong" and bad[0]["status"] == 400
    assert "traceback" not in bad[0]
    assert not any("AAAA" in json.dumps(d) or "BBBB" in json.dumps(d) for d in lines)
    assert fresh_throttle.suppressed == {"server": 1}


def test_hash_password_refuses_a_password_bcrypt_would_cut() -> None:
    r = subprocess.run([sys.executable, "-m", "cflexagent", "hash-password"], input="x" * 100, text=True,
                       capture_output=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "100 bytes" in r.stderr and "72" in r.stderr
    assert r.stdout == ""
