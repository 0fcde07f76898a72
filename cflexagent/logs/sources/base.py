"""What every log source component shares: its pipeline, and delivering to the sinks.

A delivery goes to every sink of ``[logs]`` in order, through the sink slots
the topology wired (``logs/topology.py``). A sink that is down is waited for
(back-pressure); a sink that stops in the middle of a write (``SinkClosed``)
gets the delivery again from its next run. Once every sink took it (the
durable ones: on disk), the source commits the delivery's ack: only then do
its positions or cursor reach the checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...component import Stage
from ...telemetry import get_logger
from ..batch import Encoded, SinkClosed
from ..pipeline import Pipeline
from ..topology import Backpressure, LogsTopology

#: How long a write in progress may still take once the source is asked to stop.
STOP_GRACE = 2.0

if TYPE_CHECKING:
    from ...component import Context
    from ..batch import Sink
    from ..checkpoint import Ack, Checkpointer
    from ..config import LogsConfig, SourceBase


class SourceComponent:
    stage: Stage = "source"

    def __init__(self, source: SourceBase, logs: LogsConfig, ctx: Context) -> None:
        self.name = f"logs.source.{source.name}"
        self.log = get_logger(self.name)
        self.ctx = ctx
        self.topo = ctx.shared(LogsTopology)
        self.m = self.topo.metrics
        self.source = source
        self.logs = logs
        self._pipeline: Pipeline | None = None
        self._changed = False
        self._backpressure = Backpressure(self.m, source.name)
        self._inflight: asyncio.Task[None] | None = None

    def take_settings(self, new: SourceComponent) -> None:
        """SIGHUP: adopt ``new``'s settings; the pipeline takes them at its next delivery."""
        self.source, self.logs = new.source, new.logs
        self._changed = True

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline, built at the first delivery (not when the component is built: the redaction key
        is read at start) and after a reload, keeping each sink encoder's state."""
        if self._pipeline is None or self._changed:
            fresh = Pipeline.build(self.source, self.logs,
                                   {name: self.topo.slot(name).encoder for name in self.logs.sink_names},
                                   self.m, self.ctx, self.topo.redact_key)
            if self._pipeline is None:
                self._pipeline = fresh
            else:
                self._pipeline.take_settings(fresh)
            self._changed = False
        return self._pipeline

    async def checkpointer(self, stop: asyncio.Event) -> Checkpointer | None:
        """The checkpointer, once the durable sinks recovered their disks (None on stop)."""
        cp = self.topo.checkpointer(self.ctx.state_dir)  # on the loop: one instance, whoever asks first
        return cp if await cp.wait_recovered(stop) else None

    async def deliver(self, encoded: dict[str, Encoded], ack: Ack, stop: asyncio.Event) -> bool:
        """Hand the delivery to every sink, then commit its ack; False (ack abandoned) on stop."""
        cp = self.topo.checkpointer(self.ctx.state_dir)
        for name in self.logs.sink_names:
            enc = encoded.get(name)
            if enc is None or not enc.lines:
                continue
            slot = self.topo.slot(name)
            while True:
                sink = slot.sink
                if sink is None:
                    sink = await slot.get(stop)
                    if sink is None:
                        cp.abandon(ack)
                        return False
                try:
                    if not await self._write(sink, enc, ack, stop):
                        cp.abandon(ack)
                        return False
                    break
                except SinkClosed:
                    continue  # the sink stopped mid-write: its next run takes the delivery
        cp.commit(ack)
        return True

    @staticmethod
    async def _write(sink: Sink, enc: Encoded, ack: Ack, stop: asyncio.Event) -> bool:
        """``sink.write``; when the source is asked to stop meanwhile, the write gets ``STOP_GRACE`` to
        finish (an fsync) before it is given up (a sink that waits for room): False then."""
        write = asyncio.ensure_future(sink.write(enc, ack))
        if not stop.is_set():
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({write, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopper.cancel()
        if not write.done():
            await asyncio.wait({write}, timeout=STOP_GRACE)
        if not write.done():
            write.cancel()
            with contextlib.suppress(asyncio.CancelledError, SinkClosed):
                await write
            return False
        write.result()  # its error, if any (SinkClosed: written again to the sink's next run)
        return True

    def start_delivery(self, encoded: dict[str, Encoded], ack: Ack, stop: asyncio.Event) -> None:
        """Deliver in the background (the next chunk is read and encoded meanwhile); at most one in flight."""
        assert self._inflight is None or self._inflight.done()
        self._inflight = asyncio.create_task(self._deliver_bg(encoded, ack, stop))

    async def _deliver_bg(self, encoded: dict[str, Encoded], ack: Ack, stop: asyncio.Event) -> None:
        try:
            await self.deliver(encoded, ack, stop)
        except BaseException:
            self.topo.checkpointer(self.ctx.state_dir).abandon(ack)
            raise

    async def settle(self, meanwhile: Callable[[], object] | None = None, every: float = 1.0) -> None:
        """Wait for the delivery in flight (its errors are raised here, never lost).

        Waiting here is back-pressure (the sinks have not taken the last delivery yet), counted as
        it goes; ``meanwhile`` runs every ``every`` seconds of the wait (the file source looks for
        new and rotated files: an outage must not hide a rotation from it).
        """
        if self._inflight is not None:
            task, self._inflight = self._inflight, None
            if not task.done():
                await self._backpressure.wait(task, every, meanwhile)
            await task

    async def settle_quietly(self) -> None:
        with contextlib.suppress(Exception):
            await self.settle()
