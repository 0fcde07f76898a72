"""Streams stage: a ``ParsedBatch`` -> one Loki ``PushRequest`` (protobuf bytes).

Labels are the source's static labels plus the values of ``label_fields``;
each distinct label set is one Loki stream. Bounds (Loki indexes every label
set, so cardinality must be capped):

- a label value longer than ``label_value_max_bytes`` is cut (counted);
- at most ``max_streams`` label sets per source; a line that would open one
  more is shipped in the source's *overflow stream*, whose label fields are
  all ``"__overflow__"`` (counted as ``cflexagent_log_stream_overflow_lines_total``);
  the static labels stay, so nothing is lost and the overflow is queryable.

``metadata_fields`` become Loki structured metadata (entry field 3), never labels.
Lines Loki would refuse anyway are dropped here and counted under Loki's own
reason: older than ``max_sample_age``, more than ``max_behind`` behind the
newest entry this source sent to the same stream, or more than 10 minutes in
the future (Loki's creation grace period).
"""

from __future__ import annotations

import time
from operator import itemgetter
from typing import Any

import orjson

from ..sinks.protobuf import _UV_LOW14 as LOW14
from ..sinks.protobuf import _UV_TABLE as UV
from ..sinks.protobuf import uvarint
from .config import LokiSink, SourceConfig
from .metrics import LogMetrics
from .parse import ParsedBatch

OVERFLOW = "__overflow__"
UNKNOWN_LEVEL = "unknown"
FUTURE_GRACE_NS = 600 * 1_000_000_000


def escape_label_value(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def labels_text(labels: dict[str, str]) -> str:
    """Loki's label string: ``{a="x", b="y"}``, names sorted (one canonical form per stream)."""
    return "{" + ", ".join(f'{k}="{escape_label_value(v)}"' for k, v in sorted(labels.items())) + "}"


def _cut_utf8(b: bytes, limit: int) -> bytes:
    """``b`` cut to at most ``limit`` bytes on a UTF-8 character boundary."""
    if len(b) <= limit:
        return b
    cut = limit
    while cut > 0 and (b[cut] & 0xC0) == 0x80:
        cut -= 1
    return b[:cut]


class StreamEncoder:
    def __init__(self, source: SourceConfig, loki: LokiSink | None, metrics: LogMetrics) -> None:
        self.configure(source, loki)
        self.m = metrics
        self._overflow = metrics.stream_overflow.labels(source.name)
        self._truncated = metrics.label_truncated.labels(source.name)
        self._streams_gauge = metrics.streams.labels(source.name)

    def configure(self, source: SourceConfig, loki: LokiSink | None) -> None:
        """(Re)load settings; the stream table is kept only if the label layout is unchanged."""
        layout = (tuple(sorted(source.static_labels.items())), tuple(source.label_fields),
                  source.label_value_max_bytes)
        if getattr(self, "_layout", None) != layout:
            self._streams: dict[tuple[Any, ...], int] = {}
            self._labels: list[bytes] = []
            self._newest: list[int] = []
        self._layout = layout
        self.source = source
        self.static = source.static_labels
        self.label_fields = tuple(source.label_fields)
        # LabelPairAdapter{name=1, value=2}: the name part is the same on every line.
        heads = [b"\x0a" + uvarint(len(f.encode())) + f.encode() + b"\x12" for f in source.metadata_fields]
        self.meta_fields = [(f, h, len(h)) for f, h in zip(source.metadata_fields, heads, strict=True)]
        self.level_idx = self.label_fields.index("level") if "level" in self.label_fields else -1
        self.max_streams = source.max_streams
        self.max_value = source.label_value_max_bytes
        self.max_age_ns = int(loki.max_sample_age * 1e9) if loki and loki.max_sample_age > 0 else 0
        self.max_behind_ns = int(loki.max_behind * 1e9) if loki and loki.max_behind > 0 else 0

    # -- streams ---------------------------------------------------------------

    def _stream_for(self, key: tuple[Any, ...]) -> int:
        idx = self._streams.get(key)
        if idx is not None:
            return idx
        if len(self._streams) >= self.max_streams:
            okey = (OVERFLOW,) * len(self.label_fields)
            idx = self._streams.get(okey)
            if idx is None:
                idx = self._new_stream(okey)
            self._overflow.inc()
            return idx
        return self._new_stream(key)

    def _new_stream(self, key: tuple[Any, ...]) -> int:
        labels = dict(self.static)
        for name, v in zip(self.label_fields, key, strict=True):
            if v is None or v == "":
                continue
            s = v if isinstance(v, str) else orjson.dumps(v).decode()
            b = s.encode()
            if len(b) > self.max_value and s != OVERFLOW:
                self._truncated.inc()
                s = _cut_utf8(b, self.max_value).decode()
            labels[name] = s
        if not labels:
            labels = {"job": self.source.name}
        idx = len(self._labels)
        self._streams[key] = idx
        self._labels.append(labels_text(labels).encode())
        self._newest.append(0)
        self._streams_gauge.set(len(self._labels))
        return idx

    def labels_of(self, idx: int) -> bytes:
        return self._labels[idx]

    # -- encoding --------------------------------------------------------------

    def encode(self, batch: ParsedBatch, now_ns: int | None = None) -> tuple[bytes, int]:
        """The batch as PushRequest bytes and the number of entries in it."""
        now_ns = now_ns or time.time_ns()
        oldest_ok = now_ns - self.max_age_ns if self.max_age_ns else 0
        newest_ok = now_ns + FUTURE_GRACE_NS
        behind = self.max_behind_ns
        fields = self.label_fields
        nf = len(fields)
        level_idx = self.level_idx
        meta_fields = self.meta_fields
        uv = uvarint
        dumps = orjson.dumps
        per_stream: dict[int, list[bytes]] = {}
        newest = self._newest
        stream_cache: dict[Any, int] = self._streams
        sec_cache: dict[int, bytes] = {}
        too_old = too_new = too_behind = 0
        entries_n = 0
        empty_key: tuple[Any, ...] = (None,) * nf
        unknown_key: tuple[Any, ...] = tuple(UNKNOWN_LEVEL if i == level_idx else None for i in range(nf))
        getter = itemgetter(*fields) if nf > 1 else None
        for line, rec, ts in zip(batch.lines, batch.records, batch.timestamps, strict=True):
            if not oldest_ok <= ts <= newest_ok:
                if ts < oldest_ok:
                    too_old += 1
                else:
                    too_new += 1
                continue
            # -- stream
            sid: int | None
            if rec is None or not nf:
                key = unknown_key if rec is None else empty_key
                sid = stream_cache.get(key)
            else:
                try:
                    key = getter(rec) if getter is not None else (rec[fields[0]],)
                    sid = stream_cache.get(key)
                except (KeyError, TypeError):  # a field missing, or an object / list value
                    key = tuple(v if v is None or isinstance(v, str | int | float) else dumps(v).decode()
                                for v in map(rec.get, fields))
                    sid = None
                if sid is None and level_idx >= 0 and key[level_idx] is None:
                    key = (*key[:level_idx], UNKNOWN_LEVEL, *key[level_idx + 1:])
            if sid is None:
                sid = self._stream_for(key)
            if behind:
                top = newest[sid]
                if ts > top:
                    newest[sid] = ts
                elif ts < top - behind:
                    too_behind += 1
                    continue
            # -- entry: Timestamp{seconds=1, nanos=2}, line=2, structuredMetadata=3, as one
            # StreamAdapter.entries element (tag 0x12 + length) built with as few copies as possible.
            sec = ts // 1_000_000_000
            nanos = ts - sec * 1_000_000_000
            tsb = sec_cache.get(sec)
            if tsb is None:
                tsb = sec_cache[sec] = b"\x08" + uv(sec)
            if nanos:
                # uvarint(nanos) inlined: 14-bit table lookups (nanos < 2**30 always).
                if nanos < 16384:
                    nb = b"\x10" + UV[nanos]
                elif nanos < 268435456:
                    nb = b"\x10%b%b" % (LOW14[nanos & 0x3FFF], UV[nanos >> 14])
                else:
                    nb = b"\x10%b%b%b" % (LOW14[nanos & 0x3FFF], LOW14[(nanos >> 14) & 0x3FFF], UV[nanos >> 28])
            else:
                nb = b""
            tl = len(tsb) + len(nb)
            n = len(line)
            ul = UV[n] if n < 16384 else uv(n)
            if meta_fields and rec is not None:
                parts = [b"", tsb, nb, b"\x12", ul, line]
                size = 3 + tl + len(ul) + n
                for name, head, hl in meta_fields:
                    v = rec.get(name)
                    if v is None:
                        continue
                    bv = v.encode() if type(v) is str else dumps(v)
                    lv = len(bv)
                    if lv < 100:  # one-byte lengths: the common case
                        pb = b"\x1a%c%b%c%b" % (hl + 1 + lv, head, lv, bv)
                    else:
                        pb = b"\x1a%b%b%b%b" % (uv(hl + len(uv(lv)) + lv), head, uv(lv), bv)
                    parts.append(pb)
                    size += len(pb)
                parts[0] = b"\x12%b\x0a%c" % (UV[size] if size < 16384 else uv(size), tl)
                entry = b"".join(parts)
            else:
                size = 3 + tl + len(ul) + n
                entry = b"\x12%b\x0a%c%b%b\x12%b%b" % (UV[size] if size < 16384 else uv(size), tl, tsb, nb, ul,
                                                        line)
            lst = per_stream.get(sid)
            if lst is None:
                lst = per_stream[sid] = []
            lst.append(entry)
            entries_n += 1
        m = self.m.dropped_lines
        if too_old:
            m.labels("greater_than_max_sample_age").inc(too_old)
        if too_new:
            m.labels("too_far_in_future").inc(too_new)
        if too_behind:
            m.labels("too_far_behind").inc(too_behind)
        out = []
        labels = self._labels
        for sid, entries in per_stream.items():
            lb = labels[sid]
            head = b"\x0a" + uv(len(lb)) + lb
            size = len(head) + sum(map(len, entries))
            out.append(b"\x0a" + uv(size) + head)
            out.extend(entries)
        return b"".join(out), entries_n
