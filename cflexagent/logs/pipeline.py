"""One source's pipeline: lines -> parser -> transforms -> each sink's encoder.

The same object runs in the file source, the journal source and ``logs
preview``, so what preview shows is what is shipped. ``process`` is pure CPU:
one delivery (up to a read chunk, thousands of lines) goes through parse ->
transforms -> encode in slices of ``SLICE_LINES``, so a slice's records are
still in the CPU caches when they are encoded and freed (about 1.5x faster
than one pass per stage over the chunk; the result is byte for byte the same).

Hostile input never stops a source: when a slice raises anywhere (a JSON
object nested a thousand levels deep, a value no encoder can write), the
slice is done again line by line, and a line that still fails is shipped as a
raw line -- no fields, redacted as text -- and counted in
``cflexagent_log_unprocessable_lines_total``. A line even that fails on is
dropped and counted (``reason="unprocessable"``), never shipped unredacted.

A line the transforms made longer than the source's ``max_line_bytes``
(redaction replaces ``a@b.co`` by ``<redacted:email>``; a journal MESSAGE comes
with no limit at all) is cut to it on a UTF-8 character boundary before it is
encoded, and counted in ``cflexagent_log_long_lines_total{action="transformed"}``:
Loki refuses a longer line with a 400, and a 400 drops the whole batch.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..utf8 import cut_utf8
from .batch import Encoded, Encoder, LogBatch
from .parsers import Parser, build_parser
from .transforms import Transform, apply, build_chain

if TYPE_CHECKING:
    from ..component import Context
    from .config import LogsConfig, SourceBase
    from .metrics import LogMetrics

#: Lines parsed, transformed and encoded together.
SLICE_LINES = 256


class Pipeline:
    def __init__(self, source: SourceBase, parser: Parser, transforms: list[Transform],
                 encoders: dict[str, Encoder], metrics: LogMetrics) -> None:
        self.source = source
        self.parser = parser
        self.transforms = transforms
        self.encoders = encoders
        self.m = metrics
        self._stage = {s: metrics.stage_seconds.labels(s) for s in ("parse", "transform", "encode")}
        self._unprocessable = metrics.unprocessable_lines.labels(source.name)
        self._dropped = metrics.dropped_lines.labels("unprocessable")
        self._limit = int(source.max_line_bytes)
        self._cut = metrics.long_lines.labels(source.name, "transformed")

    @classmethod
    def build(cls, source: SourceBase, logs: LogsConfig, encoders: dict[str, Callable[[SourceBase], Encoder]],
              metrics: LogMetrics, ctx: Context | None, key: bytes = b"") -> Pipeline:
        """The pipeline of ``source``, encoding for each sink with its encoder factory (``SinkSlot.encoder``);
        ``ctx`` None: no derived metrics (preview); ``key``: the redaction hash key."""
        transforms = build_chain(source, logs, ctx, key)
        parser = build_parser(source, metrics, full_records=bool(transforms))
        return cls(source, parser, transforms, {name: make(source) for name, make in encoders.items()}, metrics)

    def take_settings(self, new: Pipeline) -> None:
        """SIGHUP: ``new``'s parser and transforms; each sink's encoder keeps its state where it applies."""
        self.source, self.parser, self.transforms = new.source, new.parser, new.transforms
        self._limit, self._cut = new._limit, new._cut
        encoders = {}
        for name, enc in new.encoders.items():
            old = self.encoders.get(name)
            if old is not None and type(old) is type(enc):
                old.configure(new.source, enc)
                enc = old
            encoders[name] = enc
        self.encoders = encoders

    def process(self, lines: list[bytes], read_ns: int) -> dict[str, Encoded]:
        """Each sink's encoding of these lines (``read_ns``: the time they were read, for raw stamps)."""
        # The batch allocates thousands of acyclic objects (records, entries): the cyclic GC
        # would scan the whole heap every 700 of them for nothing. Paused for the batch only.
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            return self._process(lines, read_ns)
        finally:
            if gc_was_on:
                gc.enable()

    def _process(self, lines: list[bytes], read_ns: int) -> dict[str, Encoded]:
        clock = time.perf_counter
        now_ns = time.time_ns()
        parse_s = transform_s = encode_s = 0.0
        t0 = clock()
        for start in range(0, len(lines), SLICE_LINES):
            part = lines[start:start + SLICE_LINES]
            try:
                batch = self.parser.parse(part, read_ns + start)
                t1 = clock()
                parse_s += t1 - t0
                if self.transforms:
                    batch = apply(self.transforms, batch)
                t2 = clock()
                transform_s += t2 - t1
            except Exception:
                batch = self._line_by_line(part, read_ns + start)
                t2 = clock()
            if batch.lines and max(map(len, batch.lines)) > self._limit:
                self._fit(batch)
            for enc in self.encoders.values():
                try:
                    enc.add(batch, now_ns)
                except Exception:
                    self._encode_line_by_line(enc, batch, now_ns)
            del batch  # freed while its records are still cached
            t0 = clock()
            encode_s += t0 - t2
        out = {name: enc.finish() for name, enc in self.encoders.items()}
        encode_s += clock() - t0
        self._stage["parse"].inc(parse_s)
        if self.transforms:
            self._stage["transform"].inc(transform_s)
        self._stage["encode"].inc(encode_s)
        return out

    def _fit(self, batch: LogBatch) -> None:
        """Cut the lines over the limit (in place: the batch is the pipeline's own by now)."""
        limit = self._limit
        lines = batch.lines
        for i, line in enumerate(lines):
            if len(line) > limit:
                lines[i] = cut_utf8(line, limit)
                self._cut.inc()

    # -- hostile input -----------------------------------------------------------

    def _one(self, line: bytes, read_ns: int) -> LogBatch:
        batch = self.parser.parse([line], read_ns)
        return apply(self.transforms, batch) if self.transforms else batch

    def _raw(self, line: bytes, read_ns: int) -> LogBatch:
        """``line`` as a line without fields (redacted as text by the chain)."""
        batch = LogBatch(self.source.name, [line], [None], [read_ns])
        return apply(self.transforms, batch) if self.transforms else batch

    def _line_by_line(self, lines: list[bytes], read_ns: int) -> LogBatch:
        out = LogBatch(self.source.name, [], [], [], json_lines=False)
        for i, line in enumerate(lines):
            try:
                one = self._one(line, read_ns + i)
            except Exception:
                self._unprocessable.inc()
                try:
                    one = self._raw(line, read_ns + i)
                except Exception:
                    self._dropped.inc()
                    continue
            out.lines += one.lines
            out.records += one.records
            out.timestamps += one.timestamps
        return out

    def _encode_line_by_line(self, enc: Encoder, batch: LogBatch, now_ns: int) -> None:
        for i in range(len(batch.lines)):
            one = LogBatch(batch.source, batch.lines[i:i + 1], batch.records[i:i + 1], batch.timestamps[i:i + 1],
                           batch.json_lines)
            try:
                enc.add(one, now_ns)
                continue
            except Exception:
                self._unprocessable.inc()
            try:  # the fields are what failed: the line alone
                enc.add(LogBatch(batch.source, one.lines, [None], one.timestamps), now_ns)
            except Exception:
                self._dropped.inc()
