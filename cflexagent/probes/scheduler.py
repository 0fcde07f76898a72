"""The ``probes`` component: schedules every probe and heartbeat, keeps state, exports metrics.

What all probes share lives here, not in the probers (as blackbox_exporter's
handler): the timeout, ``probe_success`` / ``probe_duration_seconds``, the
result counters, consecutive failures and the ``up`` hysteresis, and the two
checks that turn a failure into an *inconclusive* one:

- ``prober_stalled``: the agent's event loop stalled for more than a quarter of
  the timeout while the probe ran (``LoopMonitor.max_lag_between``);
- ``prober_offline``: every canary target failed too, within the probe's
  timeout window. One canary round is shared by all probes failing in the same
  window, so a network outage costs one round, not one per probe.

Scheduling: each probe has a fixed phase inside its interval derived from a
hash of its name (500 probes with one interval start spread out, and a restart
keeps the spread), rounded to a 250 ms grid: probes that share an interval and
a grid point wake up together and share the event loop's turns (one timer
wake-up, one epoll round for their connects), which halves the CPU a probe
costs on a schedule compared with one wake-up per probe. A probe runs inline
in its own task, so it never overlaps itself; ticks that passed while it ran
are counted as skipped. A semaphore caps concurrent runs.

Reload (``reconfigure``) diffs probes by name: unchanged ones keep running
untouched, changed ones get the new plan but keep their state, removed ones
stop and drop their series, new ones start.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from ..component import Context, Stage
from ..config import Config
from ..configtypes import Duration
from ..telemetry import get_logger
from ..watchdog import Watchdog
from . import http, tcp
from .base import Env, ProbeFailed, Result, clock, timeout_reason
from .config import HeartbeatConfig, HttpProbe, ProbeConfig, TcpProbe, display_url
from .metrics import ProbeMetrics, ProbeSeries

log = get_logger("probes")

#: Probe starts are rounded to this grid (seconds), so probes due at about the same time share
#: their wake-ups.
START_GRID = 0.25


@dataclass(frozen=True, slots=True)
class Prober:
    """A protocol: compile a config once, then probe with the compiled plan."""

    compile: Callable[[Any], Any]  # the probe type's config struct -> its plan
    probe: Callable[[Any, Env, Result], Awaitable[None]]


PROBERS: dict[str, Prober] = {
    "http": Prober(http.compile_plan, http.probe),
    "tcp": Prober(tcp.compile_plan, tcp.probe),
}


async def run_once(prober: Prober, plan: Any, env: Env, result: Result | None = None) -> Result:
    """Run one probe under its timeout; never raises (except cancellation)."""
    result = result or Result()
    result.started = clock()
    try:
        async with asyncio.timeout(plan.timeout):
            await prober.probe(plan, env, result)
    except ProbeFailed as f:
        result.fail(f.reason, f.detail)
    except TimeoutError:
        result.fail(timeout_reason(result.phase), f"no answer within {plan.timeout:g}s (during {result.phase})")
    except Exception as e:  # a bug or an error we did not map: one bad target never stops the others
        result.fail("error", f"{type(e).__name__}: {e}")
    result.finished = clock()
    result.duration = result.finished - result.started
    if result.result == "success" and plan.max_duration and result.duration > plan.max_duration:
        result.fail("too_slow", f"took {result.duration:.3f}s, max_duration is {plan.max_duration:g}s")
    return result


def canary_config(target: str, index: int) -> ProbeConfig:
    """A canary: any HTTP answer or any accepted TCP connection proves the prober can reach the network."""
    every: list[int | str] = ["1xx", "2xx", "3xx", "4xx", "5xx"]
    if "://" in target:
        return HttpProbe(name=f"canary-{index}", url=target, expect_status=every,
                         follow_redirects=False, interval=Duration(60.0), timeout=Duration(30.0))
    return TcpProbe(name=f"canary-{index}", address=target, interval=Duration(60.0), timeout=Duration(30.0))


class Canaries:
    """Answers "could the prober reach the network during [since, now]?" with one shared round."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = list(targets)
        self._plans = [(PROBERS[c.type], PROBERS[c.type].compile(c))
                       for c in (canary_config(t, i) for i, t in enumerate(targets))]
        self._round: tuple[float, asyncio.Future[bool]] | None = None

    def __bool__(self) -> bool:
        return bool(self._plans)

    async def offline(self, env: Env, since: float, timeout: float) -> bool:  # noqa: ASYNC109
        current = self._round
        if current is None or current[0] < since:
            fut = asyncio.ensure_future(self._check(env, timeout))
            current = self._round = (clock(), fut)
        return await asyncio.shield(current[1])

    async def _check(self, env: Env, timeout: float) -> bool:  # noqa: ASYNC109
        async def one(prober: Prober, plan: Any) -> bool:
            try:
                async with asyncio.timeout(timeout):
                    await prober.probe(plan, env, Result())
                return True
            except (ProbeFailed, TimeoutError, OSError):
                return False

        results = await asyncio.gather(*(one(p, plan) for p, plan in self._plans))
        return not any(results)


class ProbeJob:
    """One configured probe: its plan, its state, its series and its task."""

    def __init__(self, cfg: ProbeConfig, metrics: ProbeMetrics, history: int) -> None:
        self.cfg = cfg
        self.prober = PROBERS[cfg.type]
        self.plan = self.prober.compile(cfg)
        self.series = ProbeSeries(metrics, cfg.name, self.plan.target, cfg.type == "http")
        self.task: asyncio.Task[None] | None = None
        self.up: bool | None = None
        self.consecutive_failures = 0
        self.consecutive_successes = 0
        self.last: Result | None = None
        self.last_time = 0.0
        self.last_success_time = 0.0
        self.history: collections.deque[tuple[float, str, str, float]] = collections.deque(maxlen=history)
        self.runs = 0
        self.skipped = 0

    def update(self, cfg: ProbeConfig, metrics: ProbeMetrics, history: int) -> bool:
        """Take a changed config, keep the state. True if the schedule (interval) changed."""
        old, old_target = self.cfg, self.plan.target
        self.cfg = cfg
        self.prober = PROBERS[cfg.type]
        self.plan = self.prober.compile(cfg)
        if (old.type, old_target) != (cfg.type, self.plan.target):
            self.series.remove()
            self.series = ProbeSeries(metrics, cfg.name, self.plan.target, cfg.type == "http")
            self._restore_series()
        if history != self.history.maxlen:
            self.history = collections.deque(self.history, maxlen=history)
        return old.interval != cfg.interval

    def _restore_series(self) -> None:
        s = self.series
        s.consecutive.set(self.consecutive_failures)
        if self.up is not None:
            s.set_up(self.up)
        if self.last_success_time:
            s.last_success.set(self.last_success_time)

    def offset(self) -> float:
        """This probe's fixed start phase within its interval, on the start grid."""
        interval = float(self.cfg.interval)
        step = min(START_GRID, interval)
        phase = (zlib.crc32(self.cfg.name.encode()) / 2**32) * interval
        return (round(phase / step) * step) % interval

    def first_tick(self, now: float) -> float:
        """The first start at or after ``now``: ``offset()`` past a multiple of the interval, so every
        probe with this interval and phase starts at the same instants."""
        interval = float(self.cfg.interval)
        tick = now - now % interval + self.offset()
        return tick if tick >= now else tick + interval

    def record(self, r: Result, wall: float) -> None:
        s = self.series
        cfg = self.cfg
        self.last, self.last_time = r, wall
        self.runs += 1
        ok = r.result == "success"
        s.total[r.result].inc()
        s.success.set(1 if ok else 0)
        s.duration.set(r.duration)
        s.dns.set(r.resolve)
        if s.http:
            p = s.phases
            p[0].set(r.resolve)
            p[1].set(r.connect)
            p[2].set(r.tls)
            p[3].set(r.processing)
            p[4].set(r.transfer)
            s.status.set(r.status_code)
            s.content_length.set(r.content_length if r.status_code else 0)
            s.redirects.set(r.redirects)
            s.ssl.set(1 if r.uses_tls and r.status_code else 0)
            s.version.set(r.http_version)
            s.regex.set(1 if r.regex_failed else 0)
        if r.uses_tls and r.tls_version:
            s.tls(r.tls_version, r.leaf_expiry, r.chain_expiry)
        if ok:
            self.last_success_time = wall
            s.last_success.set(wall)
            self.consecutive_failures = 0
            self.consecutive_successes += 1
            if self.up is None or (not self.up and self.consecutive_successes >= cfg.success_threshold):
                self._set_up(True, r)
        else:
            s.failure(r.reason).inc()
            if r.result == "failure":
                self.consecutive_successes = 0
                self.consecutive_failures += 1
                if self.up is None or (self.up and self.consecutive_failures >= cfg.failure_threshold):
                    self._set_up(False, r)
        s.consecutive.set(self.consecutive_failures)
        self.history.append((wall, r.result, r.reason, r.duration))

    def _set_up(self, up: bool, r: Result) -> None:
        was = self.up
        self.up = up
        self.series.set_up(up)
        if was is not None:
            if up:
                log.info("probe is up again", probe=self.cfg.name, target=self.plan.target)
            else:
                log.warning("probe is down", probe=self.cfg.name, target=self.plan.target, reason=r.reason,
                            detail=r.detail, consecutive_failures=self.consecutive_failures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.cfg.name, "type": self.cfg.type, "target": self.plan.target,
            "interval_seconds": float(self.cfg.interval), "timeout_seconds": float(self.cfg.timeout),
            "up": self.up, "consecutive_failures": self.consecutive_failures, "runs": self.runs,
            "skipped": self.skipped,
            "last_success": self.last_success_time or None,
            "last": {"time": self.last_time, **self.last.as_dict()} if self.last is not None else None,
            "history": [{"time": t, "result": res, "reason": reason, "duration_seconds": round(d, 6)}
                        for t, res, reason, d in self.history],
        }


class HeartbeatJob:
    def __init__(self, cfg: HeartbeatConfig, metrics: ProbeMetrics) -> None:
        self.cfg = cfg
        probe_cfg = HttpProbe(name=cfg.name, url=cfg.url, method=cfg.method, headers=cfg.headers,
                              interval=cfg.interval, timeout=cfg.timeout)
        # The URL is the secret of a dead-man's switch: no part of it in details or logs.
        self.plan = dataclasses.replace(http.compile_plan(probe_cfg), target="", show_urls=False)
        self.counters = {r: metrics.heartbeats.labels(cfg.name, r) for r in ("success", "failure", "skipped")}
        self.last_success = metrics.heartbeat_last.labels(cfg.name)
        self.task: asyncio.Task[None] | None = None
        self.last_reason = ""

    def remove(self, metrics: ProbeMetrics) -> None:
        for r in self.counters:
            with contextlib.suppress(KeyError):
                metrics.heartbeats.remove(self.cfg.name, r)
        with contextlib.suppress(KeyError):
            metrics.heartbeat_last.remove(self.cfg.name)


class ProbeScheduler:
    """The one ``probes`` component."""

    name = "probes"
    stage: Stage = "source"

    def __init__(self, config: Config, ctx: Context) -> None:
        self.ctx = ctx
        self.metrics = ctx.metrics(ProbeMetrics)
        self.defaults = config.probe_defaults
        self.configs = {p.name: p for p in config.probes}
        self.heartbeat_configs = list(config.heartbeats)
        # Compile now: a config that cannot be compiled is rejected at load/reload, not while running.
        for p in config.probes:
            PROBERS[p.type].compile(p)
        self.jobs: dict[str, ProbeJob] = {}
        self.heartbeats: dict[str, HeartbeatJob] = {}
        self.canaries = Canaries(self.defaults.canaries)
        self.semaphore = asyncio.Semaphore(self.defaults.max_concurrency)
        self.env: Env | None = None
        self._running = False

    # -- lifecycle -----------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self.env = Env()
        self._running = True
        self.ctx.routes["/api/probes"] = self.api
        try:
            for cfg in self.configs.values():
                self._add(cfg)
            for hb in self.heartbeat_configs:
                self._add_heartbeat(hb)
            log.info("probing", probes=len(self.jobs), heartbeats=len(self.heartbeats),
                     canaries=len(self.canaries.targets))
            await stop.wait()
        finally:
            self._running = False
            if self.ctx.routes.get("/api/probes") == self.api:
                del self.ctx.routes["/api/probes"]
            tasks = [j.task for j in self.jobs.values() if j.task is not None]
            tasks += [h.task for h in self.heartbeats.values() if h.task is not None]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for j in self.jobs.values():
                j.series.remove()
            for h in self.heartbeats.values():
                h.remove(self.metrics)
            self.jobs.clear()
            self.heartbeats.clear()
            await self.env.close()

    def healthcheck(self) -> bool:
        return all(j.task is None or not j.task.done() for j in self.jobs.values())

    def reconfigure(self, new: ProbeScheduler) -> bool:
        self.configs = new.configs
        self.heartbeat_configs = new.heartbeat_configs
        if new.defaults.canaries != self.defaults.canaries:
            self.canaries = new.canaries
        if new.defaults.max_concurrency != self.defaults.max_concurrency:
            self.semaphore = new.semaphore
        self.defaults = new.defaults
        if not self._running:
            return True
        added, changed, removed = [], [], []
        for name in [n for n in self.jobs if n not in self.configs]:
            self._remove(name)
            removed.append(name)
        for name, cfg in self.configs.items():
            job = self.jobs.get(name)
            if job is None:
                self._add(cfg)
                added.append(name)
            elif job.cfg != cfg:
                if job.update(cfg, self.metrics, self.defaults.history) and job.task is not None:
                    job.task.cancel()
                    job.task = asyncio.create_task(self._loop(job), name=f"probe:{name}")
                changed.append(name)
            elif job.history.maxlen != self.defaults.history:
                job.history = collections.deque(job.history, maxlen=self.defaults.history)
        wanted = {h.name: h for h in self.heartbeat_configs}
        for name, hjob in list(self.heartbeats.items()):
            if wanted.get(name) != hjob.cfg:
                self._remove_heartbeat(name)
        for name, hb in wanted.items():
            if name not in self.heartbeats:
                self._add_heartbeat(hb)
        log.info("probes reconfigured", added=added, changed=changed, removed=removed,
                 unchanged=len(self.jobs) - len(added) - len(changed))
        return True

    def _add(self, cfg: ProbeConfig) -> None:
        job = ProbeJob(cfg, self.metrics, self.defaults.history)
        self.jobs[cfg.name] = job
        job.task = asyncio.create_task(self._loop(job), name=f"probe:{cfg.name}")

    def _remove(self, name: str) -> None:
        job = self.jobs.pop(name)
        if job.task is not None:
            job.task.cancel()
        job.series.remove()

    def _add_heartbeat(self, cfg: HeartbeatConfig) -> None:
        job = HeartbeatJob(cfg, self.metrics)
        self.heartbeats[cfg.name] = job
        job.task = asyncio.create_task(self._heartbeat_loop(job), name=f"heartbeat:{cfg.name}")

    def _remove_heartbeat(self, name: str) -> None:
        job = self.heartbeats.pop(name)
        if job.task is not None:
            job.task.cancel()
        job.remove(self.metrics)

    # -- the hot path ----------------------------------------------------------

    async def _loop(self, job: ProbeJob) -> None:
        loop = asyncio.get_running_loop()
        interval = float(job.cfg.interval)
        next_tick = job.first_tick(loop.time())
        delay = self.metrics.delay
        env = self.env
        assert env is not None
        while True:
            await asyncio.sleep(next_tick - loop.time())
            delay.observe(loop.time() - next_tick)
            async with self.semaphore:
                r = await run_once(job.prober, job.plan, env)
            if r.result == "failure":
                await self._judge(job, r, env)
            job.record(r, time.time())
            next_tick += interval
            now = loop.time()
            if next_tick <= now:
                missed = int((now - next_tick) // interval) + 1
                next_tick += missed * interval
                job.skipped += missed
                job.series.skipped.inc(missed)

    async def _judge(self, job: ProbeJob, r: Result, env: Env) -> None:
        """Turn a failure into an inconclusive one when the prober, not the target, was at fault."""
        timeout = float(job.cfg.timeout)
        lag = self.ctx.loop_monitor.max_lag_between(r.started, r.finished)
        if lag > timeout / 4:
            r.detail = f"{r.reason}: {r.detail} (event loop stalled {lag:.2f}s)"
            r.result, r.reason = "inconclusive", "prober_stalled"
            return
        if self.canaries and await self.canaries.offline(env, r.started, timeout):
            r.detail = f"{r.reason}: {r.detail} (every canary failed too)"
            r.result, r.reason = "inconclusive", "prober_offline"

    async def _heartbeat_loop(self, job: HeartbeatJob) -> None:
        loop = asyncio.get_running_loop()
        interval = float(job.cfg.interval)
        env = self.env
        assert env is not None
        next_tick = loop.time()
        while True:
            await asyncio.sleep(next_tick - loop.time())
            held = self._held_back(job)
            if held is None:
                r = await run_once(PROBERS["http"], job.plan, env)
                if r.result == "success":
                    job.counters["success"].inc()
                    job.last_success.set(time.time())
                    job.last_reason = ""
                else:
                    job.counters["failure"].inc()
                    if r.reason != job.last_reason:
                        log.warning("heartbeat ping failed", heartbeat=job.cfg.name, reason=r.reason,
                                    detail=r.detail)
                    job.last_reason = r.reason
            else:
                job.counters["skipped"].inc()
                if held != job.last_reason:
                    log.warning("heartbeat held back", heartbeat=job.cfg.name, reason=held)
                job.last_reason = held
            next_tick += interval
            now = loop.time()
            if next_tick <= now:
                next_tick += (int((now - next_tick) // interval) + 1) * interval

    def _held_back(self, job: HeartbeatJob) -> str | None:
        """Why this heartbeat must not ping now (None: it may)."""
        if not self._healthy(job.cfg.require_probes):
            return "unhealthy"
        window = float(job.cfg.require_watchdog)
        if window > 0 and self.ctx.shared(Watchdog).age(time.time()) > window:
            return "no_watchdog"  # alerting is broken somewhere between Prometheus and the relay
        return None

    def _healthy(self, required: list[str]) -> bool:
        if self.ctx.loop_monitor.max_lag_between(clock() - 60.0, clock()) > 5.0:
            return False
        for name in required:
            job = self.jobs.get(name)
            if job is None or job.up is not True:
                return False
        return True

    # -- /api/probes -------------------------------------------------------------

    async def api(self, request: web.Request) -> web.Response:
        name = request.query.get("probe")
        jobs = [j for j in self.jobs.values() if name is None or j.cfg.name == name]
        doc = {"probes": [j.as_dict() for j in jobs],
               "heartbeats": [{"name": h.cfg.name, "host": h.plan.first.endpoint.host,
                               "last_error": h.last_reason or None}
                              for h in self.heartbeats.values()],
               "canaries": [display_url(t) if "://" in t else t for t in self.canaries.targets]}
        return web.Response(body=orjson.dumps(doc, option=orjson.OPT_INDENT_2), content_type="application/json")
