"""Console sink: print what would be shipped to Loki, one entry per line.

For debugging a source's labels, timestamps and structured metadata, and for
the demo. Each entry is printed as::

    2025-08-22T12:00:00.000000000Z {job="cflex", level="INFO"} {"ts":...} request_id=req-1

Not durable: when it is the only sink, checkpoints advance once the lines are
handed to the printer.

The printing happens on a writer thread fed by a queue bounded to
``MAX_PENDING_BYTES``: a terminal or pipe that stops reading (a paused ``less``,
a full pipe) blocks that thread, never the event loop. While the queue is full,
deliveries are not printed and their lines are counted as
``cflexagent_log_dropped_lines_total{reason="console_backlog"}``.
"""

from __future__ import annotations

import asyncio
import os
import queue
import select
import sys
import threading
import time

from ..component import Stage
from ..logs.config import ConsoleSink
from ..logs.pipeline import Delivery, LogsRuntime
from ..telemetry import get_logger
from .protobuf import decode_push

log = get_logger("logs.console")

#: Text waiting for the writer thread at most; beyond it deliveries are dropped (counted).
MAX_PENDING_BYTES = 4 * 1024 * 1024
#: How long shutdown waits for the queued text to be printed.
DRAIN_ON_STOP = 2.0


def format_ts(ns: int) -> str:
    sec, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:09d}Z"


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:  # a non-blocking terminal or pipe: wait until it takes more
            select.select([], [fd], [])


class ConsoleSinkComponent:
    stage: Stage = "sink"
    durable = False

    def __init__(self, cfg: ConsoleSink, rt: LogsRuntime) -> None:
        self.name = "logs.console"
        self.cfg = cfg
        self.rt = rt
        self._queue: queue.SimpleQueue[tuple[str, int] | None] = queue.SimpleQueue()
        self._pending = 0                  # bytes queued, not yet printed
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_drop_log = -1e9

    def reconfigure(self, new: object) -> bool:
        if not isinstance(new, ConsoleSinkComponent):
            return False
        self.cfg = new.cfg
        return True

    async def write(self, d: Delivery) -> int:
        parts = []
        n = 0
        for labels, entries in decode_push(d.payload):
            lab = labels.decode() + " " if self.cfg.show_labels else ""
            for ts, line, meta in entries:
                extra = "".join(f" {k.decode()}={v.decode('utf-8', 'replace')}" for k, v in meta)
                parts.append(f"{format_ts(ts)} {lab}{line.decode('utf-8', 'replace')}{extra}\n")
                n += 1
        text = "".join(parts)
        with self._lock:
            room = self._pending + len(text) <= MAX_PENDING_BYTES or self._pending == 0
            if room:
                self._pending += len(text)
        if not room:
            self.rt.metrics.dropped_lines.labels("console_backlog").inc(n)
            now = time.monotonic()
            if now - self._last_drop_log >= 60.0:
                self._last_drop_log = now
                log.warning("console output is not being read; lines not printed (counted)",
                            stream=self.cfg.stream, lines=n)
            return 0
        self._start_writer()
        self._queue.put((text, n))
        return 0

    def _start_writer(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._writer, args=(self._queue,), name="console-sink",
                                            daemon=True)
            self._thread.start()

    def _writer(self, q: queue.SimpleQueue[tuple[str, int] | None]) -> None:
        """The writer thread: blocks on the stream as long as it must, the loop never does."""
        shipped = self.rt.metrics.shipped_lines.labels("console")
        while (item := q.get()) is not None:
            text, n = item
            try:
                out = sys.stdout if self.cfg.stream == "stdout" else sys.stderr
                try:
                    fd = out.fileno()
                except (OSError, ValueError, AttributeError):  # not a file (a test's StringIO)
                    out.write(text)
                    out.flush()
                else:
                    # Straight to the descriptor: a thread blocked inside sys.stdout's buffer would
                    # hold its lock, and the interpreter aborts at exit when it cannot flush it.
                    _write_fd(fd, text.encode("utf-8", "replace"))
                shipped.inc(n)
            except (OSError, ValueError):  # closed or broken stream: the lines are gone
                self.rt.metrics.dropped_lines.labels("console_backlog").inc(n)
            finally:
                with self._lock:
                    self._pending -= len(text)

    async def run(self, stop: asyncio.Event) -> None:
        self.rt.sinks["console"] = self
        try:
            await stop.wait()
        finally:
            if self.rt.sinks.get("console") is self:
                del self.rt.sinks["console"]
            thread = self._thread
            if thread is not None and thread.is_alive():
                # Print what is queued, but never wait on a stream nobody reads for long.
                self._queue.put(None)
                await asyncio.to_thread(thread.join, DRAIN_ON_STOP)
                # Still blocked: it ends after its own queue; a restarted sink gets a new one.
                self._queue = queue.SimpleQueue()
                self._thread = None
