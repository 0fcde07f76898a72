"""Runs components as tasks; a crash is logged, counted and restarted with backoff.

A bare ``asyncio.TaskGroup`` cancels every sibling when one task raises; here
each component runs inside its own guard, so one failing component never stops
the others. Shutdown stops components stage by stage (sources first, sinks
last so they can flush) and names any component still running at the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field

from .component import STAGE_ORDER, Component
from .telemetry import AgentMetrics, get_logger

log = get_logger("supervisor")

BACKOFF_MIN = 1.0
BACKOFF_MAX = 60.0
#: A component that ran this long before crashing starts over at the minimum backoff.
HEALTHY_RUN = 60.0


@dataclass
class _Running:
    component: Component
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    started: bool = False


class Supervisor:
    def __init__(self, metrics: AgentMetrics) -> None:
        self._metrics = metrics
        self._running: dict[str, _Running] = {}

    @property
    def components(self) -> dict[str, Component]:
        return {name: r.component for name, r in self._running.items()}

    def start(self, component: Component) -> None:
        if component.name in self._running:
            raise ValueError(f"component {component.name!r} is already running")
        run = _Running(component)
        self._running[component.name] = run
        run.task = asyncio.create_task(self._guard(run), name=f"component:{component.name}")

    def not_ready(self) -> list[str]:
        """Components not started yet, failed, or whose healthcheck says no."""
        bad = []
        for name, r in self._running.items():
            check = getattr(r.component, "healthcheck", None)
            if not r.started or (r.task is not None and r.task.done()) or (check is not None and not check()):
                bad.append(name)
        return bad

    async def _guard(self, run: _Running) -> None:
        name = run.component.name
        backoff = BACKOFF_MIN
        up = self._metrics.component_up.labels(name)
        errors = self._metrics.component_errors.labels(name)
        restarts = self._metrics.component_restarts.labels(name)
        while not run.stop.is_set():
            began = time.monotonic()
            up.set(1)
            run.started = True
            try:
                await run.component.run(run.stop)
                if run.stop.is_set():
                    break
                log.warning("component returned without being asked to stop; restarting", name=name)
            except asyncio.CancelledError:
                up.set(0)
                raise
            except Exception as e:
                errors.inc()
                log.exception("component crashed; restarting after backoff", name=name,
                              error=f"{type(e).__name__}: {e}", backoff_seconds=round(backoff, 2))
            up.set(0)
            if time.monotonic() - began >= HEALTHY_RUN:
                backoff = BACKOFF_MIN
            delay = backoff * random.uniform(0.8, 1.2)
            backoff = min(backoff * 2, BACKOFF_MAX)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.stop.wait(), delay)
            if run.stop.is_set():
                break
            restarts.inc()
            log.info("restarting component", name=name)
        up.set(0)

    async def stop(self, names: list[str], deadline: float, forget: bool = False) -> None:
        """Stop the named components by stage order; cancel whatever is still running at ``deadline``.

        ``forget`` drops their per-component series (a component removed by a reload).
        """
        for stage in STAGE_ORDER:
            group = [self._running[n] for n in names
                     if n in self._running and self._running[n].component.stage == stage]
            if not group:
                continue
            for r in group:
                r.stop.set()
            tasks = [r.task for r in group if r.task is not None]
            remaining = deadline - time.monotonic()
            if remaining > 0:
                await asyncio.wait(tasks, timeout=remaining)
            late = [r for r in group if r.task is not None and not r.task.done()]
            for r in late:
                log.error("component did not stop before the deadline; cancelling", name=r.component.name,
                          stage=stage)
                assert r.task is not None
                r.task.cancel()
            if late:
                await asyncio.wait([r.task for r in late if r.task is not None], timeout=2.0)
            for r in group:
                self._running.pop(r.component.name, None)
                if forget:
                    for family in (self._metrics.component_up, self._metrics.component_errors,
                                   self._metrics.component_restarts):
                        with contextlib.suppress(KeyError):
                            family.remove(r.component.name)

    async def stop_all(self, grace: float) -> None:
        await self.stop(list(self._running), time.monotonic() + grace)
