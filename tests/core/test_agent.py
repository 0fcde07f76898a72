"""The agent in-process: endpoints, supervision, stop order, reload, signals."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import ssl
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import pytest
import trustme

from cflexagent import agent as agent_mod
from cflexagent.component import Stage


class Recorder:
    """A component that records its lifecycle; can crash on demand or refuse to stop."""

    def __init__(self, name: str, stage: Stage, log: list[str], crash_times: int = 0,
                 stubborn: bool = False) -> None:
        self.name, self.stage, self.log = name, stage, log
        self.crash_times = crash_times
        self.stubborn = stubborn
        self.runs = 0
        self.running = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        self.runs += 1
        self.log.append(f"start {self.name}")
        self.running.set()
        if self.crash_times:
            self.crash_times -= 1
            raise RuntimeError("boom")
        if self.stubborn:
            await asyncio.Event().wait()
        await stop.wait()
        await asyncio.sleep(0.05)  # a sink flushing
        self.log.append(f"stop {self.name}")


async def test_endpoints(start_agent: Any, http: aiohttp.ClientSession) -> None:
    a = await start_agent()
    async with http.get(a.url + "/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        body = await r.text()
    for name in ("cflexagent_build_info", "process_resident_memory_bytes", "process_cpu_seconds_total",
                 "cflexagent_event_loop_lag_seconds", "cflexagent_config_last_reload_successful",
                 "cflexagent_config_last_reload_success_timestamp_seconds"):
        assert name in body
    async with http.get(a.url + "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}) as r:
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        assert (await r.text()).endswith("# EOF\n")
    async with http.get(a.url + "/healthz") as r:
        assert r.status == 200
    async with http.get(a.url + "/ready") as r:
        assert r.status == 200
    async with http.get(a.url + "/") as r:
        assert "/metrics" in await r.text()
    async with http.get(a.url + "/nope") as r:
        assert r.status == 404
    assert a.value("cflexagent_config_last_reload_successful") == 1


@pytest.mark.skipif(shutil.which("promtool") is None and not os.environ.get("CI"), reason="promtool not installed")
async def test_metrics_pass_promtool(start_agent: Any, http: aiohttp.ClientSession) -> None:
    log: list[str] = []
    a = await start_agent(extra=[Recorder("src", "source", log)])
    async with http.get(a.url + "/metrics") as r:
        body = await r.read()
    proc = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode() + proc.stdout.decode()


async def test_crashing_component_is_restarted_and_others_keep_running(start_agent: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("cflexagent.supervisor.BACKOFF_MIN", 0.05)
    log: list[str] = []
    bad = Recorder("bad", "source", log, crash_times=2)
    good = Recorder("good", "sink", log)
    a = await start_agent(extra=[bad, good])
    for _ in range(200):
        if bad.runs >= 3:
            break
        await asyncio.sleep(0.05)
    assert bad.runs == 3
    assert a.value("cflexagent_component_errors_total", {"component": "bad"}) == 2
    assert a.value("cflexagent_component_restarts_total", {"component": "bad"}) == 2
    assert a.value("cflexagent_component_up", {"component": "bad"}) == 1
    assert a.value("cflexagent_component_up", {"component": "good"}) == 1
    assert good.runs == 1


async def test_shutdown_stops_sources_before_sinks(start_agent: Any) -> None:
    log: list[str] = []
    comps = [Recorder("sink", "sink", log), Recorder("source", "source", log), Recorder("svc", "service", log)]
    a = await start_agent(extra=comps)
    await asyncio.gather(*(c.running.wait() for c in comps))
    a.agent.stop_event.set()
    assert await asyncio.wait_for(a.task, 10) == 0
    stops = [e for e in log if e.startswith("stop")]
    assert stops == ["stop source", "stop sink", "stop svc"]


async def test_stubborn_component_is_cancelled_at_deadline(start_agent: Any, caplog: Any) -> None:
    log: list[str] = []
    a = await start_agent(grace="300ms", extra=[Recorder("stuck", "sink", log, stubborn=True),
                                                 Recorder("fine", "source", log)])
    a.agent.stop_event.set()
    assert await asyncio.wait_for(a.task, 10) == 0
    assert "stop fine" in log
    assert "stop stuck" not in log
    assert any(r.message == "component did not stop before the deadline; cancelling"
               and getattr(r, "fields", {}).get("name") == "stuck" for r in caplog.records)


async def test_ready_reports_unhealthy_component(start_agent: Any, http: aiohttp.ClientSession) -> None:
    log: list[str] = []
    sick = Recorder("sick", "source", log)
    sick.healthcheck = lambda: False  # type: ignore[attr-defined]
    a = await start_agent(extra=[sick])
    await sick.running.wait()
    async with http.get(a.url + "/ready") as r:
        assert r.status == 503
        assert "sick" in await r.text()


async def test_basic_auth_guards_all_but_healthz(start_agent: Any, http: aiohttp.ClientSession) -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()
    a = await start_agent(f'[server.basic_auth]\nusers = {{ prom = "{hashed}" }}\n')
    good = "Basic " + base64.b64encode(b"prom:s3cret").decode()
    bad = "Basic " + base64.b64encode(b"prom:nope").decode()
    unknown = "Basic " + base64.b64encode(b"eve:s3cret").decode()
    for path in ("/metrics", "/ready", "/"):
        async with http.get(a.url + path) as r:
            assert r.status == 401
            assert r.headers["WWW-Authenticate"].startswith("Basic")
        for header in (bad, unknown, "Basic !!!", "Bearer x"):
            async with http.get(a.url + path, headers={"Authorization": header}) as r:
                assert r.status == 401
        async with http.get(a.url + path, headers={"Authorization": good}) as r:
            assert r.status == 200
    async with http.get(a.url + "/healthz") as r:
        assert r.status == 200
    async with http.get(a.url + "/metrics", headers={"Authorization": good}) as r:
        assert "s3cret" not in await r.text()


async def test_tls(start_agent: Any, tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "srv.pem"))
    a = await start_agent(f'[server.tls]\ncert_file = "{tmp_path / "srv.pem"}"\nkey_file = "{tmp_path / "srv.pem"}"\n')
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    async with aiohttp.ClientSession() as s, s.get(a.url + "/healthz", ssl=ctx) as r:
        assert r.status == 200
    with pytest.raises(aiohttp.ClientConnectorError):
        async with aiohttp.ClientSession() as s, s.get(a.url + "/healthz"):
            pass


async def test_reload_rejects_bad_config_and_applies_good(start_agent: Any, tmp_path: Path,
                                                         http: aiohttp.ClientSession) -> None:
    path = tmp_path / "agent.toml"
    a = await start_agent(path=path)
    good_text = path.read_text()
    path.write_text(good_text + "[server]\nlisten = 1\n")
    assert await a.agent.reload() is False
    assert a.value("cflexagent_config_last_reload_successful") == 0
    async with http.get(a.url + "/healthz") as r:
        assert r.status == 200
    path.write_text(good_text.replace('log_level', 'log_level') + '')
    assert await a.agent.reload() is True
    assert a.value("cflexagent_config_last_reload_successful") == 1


async def test_second_signal_forces_exit_only_after_one_second(start_agent: Any, monkeypatch: Any) -> None:
    exits: list[int] = []
    monkeypatch.setattr(agent_mod.os, "_exit", lambda code: exits.append(code))
    log: list[str] = []
    a = await start_agent(grace="300ms", extra=[Recorder("stuck", "sink", log, stubborn=True)])
    clock = [1000.0]
    a.agent.clock = lambda: clock[0]
    a.agent._on_stop_signal(signal.SIGTERM)
    a.agent._on_stop_signal(signal.SIGTERM)  # the duplicate a one-file binary gets at once
    assert exits == []
    clock[0] += 1.5
    a.agent._on_stop_signal(signal.SIGTERM)
    assert exits == [1]
