"""The file source: tail a source's files (``tail.py``) and deliver their lines through the pipeline.

One component per file-reading ``[[logs.sources]]``. One loop iteration reads
up to one chunk of complete lines across the source's files, runs it through
the pipeline (parse, transforms, each sink's encoder) and hands it to the
sinks with an ack naming the file positions it ends at. While the durable
sink's fsync runs, the next chunk is read and encoded (at most one delivery in
flight, so positions advance in order). A source whose sinks are down or full
waits: it reads nothing more until they take the delivery, and its lag grows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from .base import SourceComponent
from .tail import Tailer

if TYPE_CHECKING:
    from ...component import Context
    from ..config import FileSource, LogsConfig


class FileSourceComponent(SourceComponent):
    source: FileSource

    def __init__(self, source: FileSource, logs: LogsConfig, ctx: Context) -> None:
        super().__init__(source, logs, ctx)
        self.tailer: Tailer | None = None
        self._read_seconds = self.m.stage_seconds.labels("read")

    def reconfigure(self, new: object) -> bool:
        """SIGHUP: take the new settings, keep open files, offsets and streams."""
        if not isinstance(new, FileSourceComponent) or new.name != self.name:
            return False
        self.take_settings(new)
        if self.tailer is not None:
            self.tailer.configure(new.source)
        return True

    def _budget(self) -> int:
        b = int(self.source.read_chunk)
        if self.logs.loki is not None:
            b = min(b, int(self.logs.loki.batch_max_bytes))
        return b

    async def _settle_scanning(self, tailer: Tailer) -> None:
        """``settle``, scanning every scan_interval of the wait: an outage must not hide a rotation."""
        await self.settle(tailer.scan, float(self.source.scan_interval))

    async def run(self, stop: asyncio.Event) -> None:
        cp = await self.checkpointer(stop)
        if cp is None:
            return
        name = self.source.name
        if self.tailer is None:
            self.tailer = Tailer(self.source, self.m, cp.get(name), fresh=not cp.knows(name))
            cp.update(name, [])  # known from now on, even while no file matches
        tailer = self.tailer
        next_scan = 0.0
        clock = time.perf_counter
        try:
            while not stop.is_set():
                now = time.monotonic()
                t0 = clock()
                if now >= next_scan:
                    tailer.scan()
                    next_scan = now + float(self.source.scan_interval)
                lines, positions, consumed = tailer.read(self._budget())
                read_ns = time.time_ns()
                self._read_seconds.inc(clock() - t0)
                released = tailer.take_released()
                if lines:
                    encoded = self.pipeline.process(lines, read_ns)
                    await self._settle_scanning(tailer)
                    # The scans meanwhile may have placed files (at their end, at a copy's offset).
                    released += tailer.take_released()
                    self.start_delivery(encoded, cp.begin(name, positions + released), stop)
                elif positions or released:
                    await self._settle_scanning(tailer)
                    cp.update(name, positions + released + tailer.take_released())
                if not consumed:
                    await self._settle_scanning(tailer)
                    await cp.maybe_persist(float(self.logs.checkpoint_interval))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), float(tailer.poll_interval()))
        finally:
            # Finish the delivery in flight (its fsync is short) so its positions are kept.
            await self.settle_quietly()
            with contextlib.suppress(Exception):
                await cp.persist()
            # Positions not yet durable must not survive into the next run (a crash restart):
            # reopen from the checkpoints, which only ever hold delivered positions.
            tailer.close_all()
            self.tailer = None
