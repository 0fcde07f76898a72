"""How the log components find each other: the sink slots and the checkpointer, one set per agent.

Built once per agent (``ctx.shared(LogsTopology)``) and kept across reloads,
so a source built by a reload meets the sinks and positions of the running
agent. Sources are wired to their sinks' **slots** when the components are
built (``logs/capability.py``): a slot holds the sink while its component runs
and is empty while it is down (crashed and backing off, restarting after a
reload). A source that finds a slot empty waits for it -- reading stops, the
lag grows -- and never moves its checkpoint past lines no durable sink took.
``cflexagent_log_backpressure_seconds_total`` counts the time a source waits
for its sinks to take a delivery (an empty slot, a full spool, a slow fsync),
as the wait goes on: an outage shows on the dashboard while it lasts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checkpoint import Checkpointer
from .metrics import LogMetrics

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from .batch import Encoder, Sink
    from .config import SourceBase


def _no_encoder(source: SourceBase) -> Encoder:
    raise RuntimeError("no sink component was built for this slot")


class SinkSlot:
    """Where sources find one sink: filled while its component runs.

    ``encoder`` makes the sink's encoder for a source: it is set when the sink
    component is built (from that build's config), so sources can encode before
    the sink runs.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.sink: Sink | None = None
        self.encoder: Callable[[SourceBase], Encoder] = _no_encoder
        self._up = asyncio.Event()

    def attach(self, sink: Sink) -> None:
        self.sink = sink
        self._up.set()

    def detach(self, sink: Sink) -> None:
        if self.sink is sink:
            self.sink = None
            self._up.clear()

    async def get(self, stop: asyncio.Event) -> Sink | None:
        """The running sink, waiting while there is none; None once ``stop`` is set."""
        while self.sink is None:
            if stop.is_set():
                return None
            up = asyncio.ensure_future(self._up.wait())
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({up, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                up.cancel()
                stopper.cancel()
        return self.sink


class LogsTopology:
    """The agent's log wiring: metrics, sink slots by name, the checkpointer."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.metrics = LogMetrics(registry)
        self.slots: dict[str, SinkSlot] = {}
        #: The durable sinks sources wait for at start (they recover their disks first): set at build.
        self.durable: set[str] = set()
        #: The redaction hash key (``transforms.prepare``, at start and reload).
        self.redact_key = b""
        self._checkpointer: Checkpointer | None = None

    def slot(self, name: str) -> SinkSlot:
        s = self.slots.get(name)
        if s is None:
            s = self.slots[name] = SinkSlot(name)
        return s

    def checkpointer(self, state_dir: Path) -> Checkpointer:
        """The checkpointer (created, with its directory, on first use: at run time, never at build)."""
        if self._checkpointer is None:
            d = state_dir / "logs"
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._checkpointer = Checkpointer(d / "checkpoints.json", self.metrics)
            self._checkpointer.expect_recovery(self.durable)
        return self._checkpointer


class Backpressure:
    """Times a source's waits on its sinks into ``cflexagent_log_backpressure_seconds_total``.

    The counter moves every ``every`` seconds of a wait, not once at its end: a wait that lasts
    the whole outage would otherwise show nothing until the outage is over.
    """

    def __init__(self, metrics: LogMetrics, source: str) -> None:
        self._seconds = metrics.backpressure_seconds.labels(source)

    async def wait(self, task: asyncio.Future[Any], every: float = 1.0,
                   meanwhile: Callable[[], object] | None = None) -> None:
        """Until ``task`` is done (its result is the caller's to take), running ``meanwhile`` every
        ``every`` seconds of the wait. Cancelled, or ``meanwhile`` raising: cancels ``task`` too, as
        awaiting it would (no delivery is left running behind a source that stopped)."""
        t = time.monotonic()
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=every)
                t = self._tick(t)
                if meanwhile is not None and not task.done():
                    meanwhile()
        except BaseException:
            task.cancel()
            raise
        finally:
            self._tick(t)

    def _tick(self, since: float) -> float:
        now = time.monotonic()
        self._seconds.inc(now - since)
        return now
