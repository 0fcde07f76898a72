"""Console sink: print each entry, one per line, for debugging a source and for the demo.

Each entry is printed as::

    2025-08-22T12:00:00.000000000Z {job="cflex", level="INFO"} {"ts":...} request_id=req-1

with the source's stream labels (its static labels and label fields, as the
Loki sink builds them, without Loki's stream cap) and structured metadata. Its
encoder formats the text straight from the records.

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
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from ..component import Stage
from ..configtypes import Section
from ..logs.batch import Encoded, LogBatch
from ..telemetry import get_logger

if TYPE_CHECKING:
    from ..logs.checkpoint import Ack
    from ..logs.config import SourceBase
    from ..logs.metrics import LogMetrics
    from ..logs.topology import SinkSlot

log = get_logger("logs.sink.console")

#: Text waiting for the writer thread at most; beyond it deliveries are dropped (counted).
MAX_PENDING_BYTES = 4 * 1024 * 1024
#: How long shutdown waits for the queued text to be printed.
DRAIN_ON_STOP = 2.0


class ConsoleConfig(Section):
    """``[logs.console]``: print every entry (labels, timestamp, line, metadata) on stdout or stderr."""

    stream: Literal["stdout", "stderr"] = "stdout"
    show_labels: bool = True


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


def _text(v: Any) -> str:
    return v if isinstance(v, str) else msgspec.json.encode(v).decode()


class ConsoleEncoder:
    """Entries of one source as the console prints them."""

    def __init__(self, source: SourceBase, show_labels: bool) -> None:
        self._parts: list[str] = []
        self._lines = 0
        self.configure(source, self, show_labels)

    def configure(self, source: SourceBase, new: Any, show_labels: bool | None = None) -> None:
        self.static = source.static_labels
        self.label_fields = list(source.label_fields)
        self.meta_fields = list(source.metadata_fields)
        self.show_labels = new.show_labels if show_labels is None else show_labels

    def _labels(self, rec: dict[str, Any] | None) -> str:
        labels = dict(self.static)
        for f in self.label_fields:
            v = rec.get(f) if rec is not None else None
            if v is None and f == "level":
                v = "unknown"
            if v is not None and v != "":
                labels[f] = _text(v)
        return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"

    def add(self, batch: LogBatch, now_ns: int) -> None:
        for line, rec, ts in zip(batch.lines, batch.records, batch.timestamps, strict=True):
            lab = self._labels(rec) + " " if self.show_labels else ""
            extra = "" if rec is None else "".join(
                f" {k}={_text(rec[k])}" for k in self.meta_fields if rec.get(k) is not None)
            self._parts.append(f"{format_ts(ts)} {lab}{line.decode('utf-8', 'replace')}{extra}\n")
        self._lines += len(batch.lines)

    def finish(self) -> Encoded:
        text, n = "".join(self._parts), self._lines
        self._parts, self._lines = [], 0
        return Encoded(text, n)


class ConsoleSinkComponent:
    name = "logs.sink.console"
    stage: Stage = "sink"
    durable = False

    def __init__(self, cfg: ConsoleConfig, metrics: LogMetrics, slot: SinkSlot) -> None:
        self.cfg = cfg
        self.m = metrics
        self.slot = slot
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

    def encoder(self, source: SourceBase) -> ConsoleEncoder:
        return ConsoleEncoder(source, self.cfg.show_labels)

    async def write(self, encoded: Encoded, ack: Ack) -> None:
        text, n = encoded.data, encoded.lines
        with self._lock:
            room = self._pending + len(text) <= MAX_PENDING_BYTES or self._pending == 0
            if room:
                self._pending += len(text)
        if not room:
            self.m.dropped_lines.labels("console_backlog").inc(n)
            now = time.monotonic()
            if now - self._last_drop_log >= 60.0:
                self._last_drop_log = now
                log.warning("console output is not being read; lines not printed (counted)",
                            stream=self.cfg.stream, lines=n)
            return
        self._start_writer()
        self._queue.put((text, n))

    def _start_writer(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._writer, args=(self._queue,), name="console-sink",
                                            daemon=True)
            self._thread.start()

    def _writer(self, q: queue.SimpleQueue[tuple[str, int] | None]) -> None:
        """The writer thread: blocks on the stream as long as it must, the loop never does."""
        shipped = self.m.shipped_lines.labels("console")
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
                self.m.dropped_lines.labels("console_backlog").inc(n)
            finally:
                with self._lock:
                    self._pending -= len(text)

    async def run(self, stop: asyncio.Event) -> None:
        self.slot.attach(self)
        try:
            await stop.wait()
        finally:
            self.slot.detach(self)
            thread = self._thread
            if thread is not None and thread.is_alive():
                # Print what is queued, but never wait on a stream nobody reads for long.
                self._queue.put(None)
                await asyncio.to_thread(thread.join, DRAIN_ON_STOP)
                # Still blocked: it ends after its own queue; a restarted sink gets a new one.
                self._queue = queue.SimpleQueue()
                self._thread = None
