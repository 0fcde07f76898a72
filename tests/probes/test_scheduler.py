"""The probes component: schedule, state and hysteresis, canaries, stalls, the global concurrency cap, reload,
metrics, /api/probes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import make_mocked_request
from prometheus_client import CollectorRegistry

from cflexagent.component import Context
from cflexagent.config import parse
from cflexagent.probes.base import Env, Result
from cflexagent.probes.metrics import ProbeMetrics
from cflexagent.probes.scheduler import START_GRID, ProbeJob, ProbeScheduler
from cflexagent.telemetry import LoopMonitor

from .conftest import App, Harness, probe_config, silent, wait_until


def http_probe(name: str, url: str, **extra: Any) -> str:
    lines = [f'[[probes]]\nname = "{name}"\ntype = "http"\nurl = "{url}"\ninterval = "1s"\ntimeout = "800ms"']
    lines += [f"{k} = {orjson.dumps(v).decode()}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def tcp_probe(name: str, address: str, **extra: Any) -> str:
    lines = [f'[[probes]]\nname = "{name}"\ntype = "tcp"\naddress = "{address}"\ninterval = "1s"\ntimeout = "800ms"']
    lines += [f"{k} = {orjson.dumps(v).decode()}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


async def test_probes_run_and_export_blackbox_and_own_series(harness: Harness, app: App,
                                                             free_port_factory: Callable[[], int]) -> None:
    closed = f"127.0.0.1:{free_port_factory()}"
    ok_url = app.url("/ok")
    harness.start(http_probe("web", ok_url) + tcp_probe("port", f"127.0.0.1:{app.port}")
                  + tcp_probe("closed", closed))
    v = harness.value
    await wait_until(lambda: (v("cflexagent_probe_up", probe="closed", target=closed) == 0
                              and (v("cflexagent_probe_total", probe="web", target=ok_url, result="success")
                                   or 0) >= 2),
                     what="web up twice, closed down")
    web = {"probe": "web", "target": ok_url}
    assert v("probe_success", **web) == 1
    assert v("probe_http_status_code", **web) == 200
    assert v("probe_http_version", **web) == 1.1
    assert v("probe_http_duration_seconds", phase="connect", **web) > 0  # type: ignore[operator]
    assert v("cflexagent_probe_up", **web) == 1
    assert v("cflexagent_probe_last_success_timestamp_seconds", **web) > time.time() - 60  # type: ignore[operator]
    port = {"probe": "port", "target": f"127.0.0.1:{app.port}"}
    assert v("probe_success", **port) == 1
    assert v("probe_http_status_code", **port) is None  # tcp probes export no http series
    dead = {"probe": "closed", "target": closed}
    assert v("probe_success", **dead) == 0
    assert v("cflexagent_probe_failures_total", reason="refused", **dead) >= 2  # type: ignore[operator]
    assert v("cflexagent_probe_consecutive_failures", **dead) >= 2  # type: ignore[operator]
    assert v("cflexagent_probe_total", result="inconclusive", **dead) == 0

    resp = await harness.ctx.routes["/api/probes"](make_mocked_request("GET", "/api/probes"))
    doc = orjson.loads(resp.body)  # type: ignore[arg-type]
    by_name = {p["name"]: p for p in doc["probes"]}
    assert by_name["closed"]["last"]["reason"] == "refused"
    assert by_name["closed"]["up"] is False
    assert by_name["web"]["last"]["phases"]["connect"] > 0
    assert by_name["web"]["history"][-1]["result"] == "success"


def _result(outcome: str, reason: str = "") -> Result:
    r = Result()
    r.result, r.reason = outcome, reason
    return r


def test_hysteresis_needs_thresholds_in_a_row(tmp_path: Path) -> None:
    metrics = ProbeMetrics(CollectorRegistry())
    cfg = probe_config(name="h", address="127.0.0.1:1", failure_threshold=3, success_threshold=2)
    job = ProbeJob(cfg, metrics, 10)
    job.record(_result("success"), 1.0)
    assert job.up is True
    for _ in range(2):
        job.record(_result("failure", "refused"), 2.0)
    assert job.up is True and job.consecutive_failures == 2
    job.record(_result("success"), 3.0)  # resets the count
    job.record(_result("failure", "refused"), 4.0)
    job.record(_result("failure", "refused"), 4.0)
    assert job.up is True
    job.record(_result("inconclusive", "prober_offline"), 5.0)  # neither counts nor resets
    assert job.consecutive_failures == 2 and job.up is True
    job.record(_result("failure", "refused"), 6.0)
    assert job.up is False and job.consecutive_failures == 3
    job.record(_result("success"), 7.0)
    assert job.up is False
    job.record(_result("success"), 8.0)
    assert job.up is True and job.consecutive_failures == 0


def test_start_offsets_spread_over_the_interval(tmp_path: Path) -> None:
    metrics = ProbeMetrics(CollectorRegistry())
    offsets = [ProbeJob(probe_config(name=f"p{i}", address="127.0.0.1:1", interval="15s"), metrics, 1).offset()
               for i in range(500)]
    assert all(0 <= o < 15 for o in offsets)
    buckets = [sum(1 for o in offsets if b <= o < b + 1.5) for b in (i * 1.5 for i in range(10))]
    assert min(buckets) >= 25, buckets  # about 50 each; no herd
    again = ProbeJob(probe_config(name="p7", address="127.0.0.1:1", interval="15s"), metrics, 1).offset()
    assert again == offsets[7]  # deterministic


def test_starts_are_on_a_grid_shared_by_probes_of_one_interval() -> None:
    """Probes due at about the same time start at the same instants (they share wake-ups)."""
    metrics = ProbeMetrics(CollectorRegistry())
    jobs = [ProbeJob(probe_config(name=f"p{i}", address="127.0.0.1:1", interval="2s", timeout="1s"), metrics, 1)
            for i in range(200)]
    offsets = {j.offset() for j in jobs}
    assert offsets <= {k * START_GRID for k in range(int(2 / START_GRID))}
    assert len(offsets) == 8  # 200 probes over 8 grid points: all used
    for now in (1000.0, 1000.3, 1001.99, 12345.678):
        ticks = [j.first_tick(now) for j in jobs]
        assert all(now <= t < now + 2 for t in ticks)
        periods = [(t - j.offset()) / 2 for t, j in zip(ticks, jobs, strict=True)]
        assert all(abs(k - round(k)) < 1e-9 for k in periods)  # a whole number of intervals past the phase
        assert len({round(t, 9) for t in ticks}) == len(offsets)


async def test_all_canaries_failing_makes_failures_inconclusive(harness: Harness,
                                                                free_port_factory: Callable[[], int]) -> None:
    closed = f"127.0.0.1:{free_port_factory()}"
    canary = f"127.0.0.1:{free_port_factory()}"
    harness.start(f'[probe_defaults]\ncanaries = ["{canary}", "http://{free_port_factory.__name__}.invalid/"]\n'
                  + tcp_probe("lonely", closed))
    labels = {"probe": "lonely", "target": closed}
    await wait_until(lambda: (harness.value("cflexagent_probe_failures_total", reason="prober_offline", **labels)
                              or 0) >= 2, what="two inconclusive runs")
    assert harness.value("cflexagent_probe_consecutive_failures", **labels) == 0
    assert harness.value("cflexagent_probe_up", **labels) is None  # never judged
    assert harness.value("cflexagent_probe_total", result="failure", **labels) == 0
    assert harness.value("probe_success", **labels) == 0


async def test_a_reachable_canary_keeps_failures_conclusive(harness: Harness, app: App,
                                                            free_port_factory: Callable[[], int]) -> None:
    closed = f"127.0.0.1:{free_port_factory()}"
    harness.start(f'[probe_defaults]\ncanaries = ["{app.url("/ok")}"]\n' + tcp_probe("real", closed))
    labels = {"probe": "real", "target": closed}
    await wait_until(lambda: harness.value("cflexagent_probe_up", **labels) == 0, what="down")
    assert harness.value("cflexagent_probe_failures_total", reason="prober_offline", **labels) is None


async def test_a_loop_stall_makes_the_failure_inconclusive(tmp_path: Path, raw_server) -> None:
    port = await raw_server(silent)
    registry = CollectorRegistry()
    ctx = Context(registry=registry, state_dir=tmp_path, loop_monitor=LoopMonitor())
    stop = asyncio.Event()
    monitor = asyncio.create_task(ctx.loop_monitor.run(stop))
    scheduler = ProbeScheduler(parse(tcp_probe("s", f"127.0.0.1:{port}", expect="^220", timeout="2s",
                                               interval="10s").replace('timeout = "800ms"\n', "")
                                     .replace('interval = "1s"\n', ""), "t.toml"), ctx)
    job = ProbeJob(scheduler.configs["s"], scheduler.metrics, 5)
    env = Env()
    try:
        from cflexagent.probes.scheduler import run_once

        task = asyncio.create_task(run_once(job.prober, job.plan, env))
        await asyncio.sleep(0.3)
        time.sleep(1.0)  # the agent's own loop stalls (a blocking call) while the probe waits
        r = await task
        assert r.reason == "timeout"
        await scheduler._judge(job, r, env)
        assert (r.result, r.reason) == ("inconclusive", "prober_stalled")
    finally:
        stop.set()
        await monitor
        await env.close()


async def test_a_stalled_loop_counts_skipped_ticks(harness: Harness, app: App) -> None:
    harness.start(tcp_probe("tick", f"127.0.0.1:{app.port}"))
    labels = {"probe": "tick", "target": f"127.0.0.1:{app.port}"}
    await wait_until(lambda: (harness.value("cflexagent_probe_total", result="success", **labels) or 0) >= 1)
    time.sleep(3.5)  # blocks the loop across three ticks
    await wait_until(lambda: (harness.value("cflexagent_probe_skipped_total", **labels) or 0) >= 2,
                     what="skipped ticks")


async def test_reload_adds_removes_changes_and_keeps_state(harness: Harness, app: App,
                                                           free_port_factory: Callable[[], int]) -> None:
    a, b, d = app.url("/ok"), f"127.0.0.1:{app.port}", f"127.0.0.1:{free_port_factory()}"
    sched = harness.start(http_probe("a", a) + tcp_probe("b", b) + tcp_probe("d", d))
    await wait_until(lambda: len(sched.jobs) == 3 and all(j.runs >= 2 for j in sched.jobs.values()),
                     what="two runs each")
    job_a, task_a, job_b = sched.jobs["a"], sched.jobs["a"].task, sched.jobs["b"]
    c = app.url("/redirect")
    new = ProbeScheduler(parse(http_probe("a", a) + tcp_probe("b", b, failure_threshold=5) + http_probe("c", c),
                               "t.toml"), harness.ctx)
    assert sched.reconfigure(new) is True
    assert sched.jobs["a"] is job_a and job_a.task is task_a and not task_a.done()  # untouched
    assert sched.jobs["b"] is job_b and job_b.runs >= 2 and job_b.cfg.failure_threshold == 5  # state kept
    assert "d" not in sched.jobs
    assert harness.value("probe_success", probe="d", target=d) is None  # series dropped
    await wait_until(lambda: harness.value("probe_success", probe="c", target=c) == 1, what="c probed")
    assert harness.value("cflexagent_probe_total", probe="a", target=a, result="success") >= 2  # type: ignore[operator]


async def test_heartbeat_pings_while_healthy_and_skips_when_a_required_probe_is_down(
        harness: Harness, app: App, free_port_factory: Callable[[], int]) -> None:
    closed = f"127.0.0.1:{free_port_factory()}"
    text = (tcp_probe("dead", closed, failure_threshold=1)
            + f'[[heartbeats]]\nname = "hc"\nurl = "{app.url("/ok")}"\ninterval = "1s"\ntimeout = "800ms"\n'
            + f'[[heartbeats]]\nname = "gated"\nurl = "{app.url("/ok")}"\ninterval = "1s"\ntimeout = "800ms"\n'
            + 'require_probes = ["dead"]\n')
    harness.start(text)
    await wait_until(lambda: (harness.value("cflexagent_heartbeat_total", heartbeat="hc", result="success") or 0) >= 2
                     and (harness.value("cflexagent_heartbeat_total", heartbeat="gated", result="skipped") or 0) >= 2,
                     what="pings and skips")
    assert harness.value("cflexagent_heartbeat_last_success_timestamp_seconds", heartbeat="hc") > 0  # type: ignore[operator]
    assert harness.value("cflexagent_heartbeat_total", heartbeat="gated", result="success") == 0


@pytest.mark.parametrize("cap", [2, 64])
async def test_max_concurrency_caps_probes_in_flight(harness: Harness, raw_server, cap: int) -> None:
    """[probe_defaults] max_concurrency bounds the probes running at once across all probes."""
    state = {"now": 0, "max": 0}

    async def held(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
        try:
            await r.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.4)  # the target's own slowness, so probes overlap
        finally:
            # Counted down before answering: the probe's slot is released only after the answer,
            # so this count never runs ahead of the probes really in flight.
            state["now"] -= 1
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await w.drain()

    port = await raw_server(held)
    url = f"http://127.0.0.1:{port}/"
    names = [f"p{i}" for i in range(6)]
    harness.start(f"[probe_defaults]\nmax_concurrency = {cap}\n"
                  + "".join(http_probe(n, url) for n in names))

    def runs() -> float:
        return sum(harness.value("cflexagent_probe_total", probe=n, target=url, result="success") or 0
                   for n in names)

    await wait_until(lambda: runs() >= 12, timeout=60, what="a dozen probe runs")
    if cap == 2:
        assert state["max"] == 2
    else:
        # Six probes each holding a connection 0.4 s of every 1 s average 2.4 in flight: some instant has 3.
        assert state["max"] >= 3
