"""The Loki sink's encoder: ``LogBatch``es of one source -> one Loki ``PushRequest`` (protobuf bytes).

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

A delivery is encoded slice by slice (``add``) as the source processes it, and
joined into one PushRequest by ``finish``: one StreamAdapter per stream, its
entries in line order, streams in order of first appearance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...compiled import select
from ...logs.batch import Encoded, LogBatch
from ...logs.config import SourceBase
from ...logs.metrics import LogMetrics
from ...utf8 import cut_utf8
from . import entries as _entries
from .config import LokiConfig
from .protobuf import uvarint

if TYPE_CHECKING:
    entries = _entries
else:
    entries = select(_entries)

OVERFLOW = "__overflow__"
FUTURE_GRACE_NS = 600 * 1_000_000_000


def escape_label_value(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def labels_text(labels: dict[str, str]) -> str:
    """Loki's label string: ``{a="x", b="y"}``, names sorted (one canonical form per stream)."""
    return "{" + ", ".join(f'{k}="{escape_label_value(v)}"' for k, v in sorted(labels.items())) + "}"


class StreamEncoder:
    """``loki`` None: no age rules (``logs preview`` of old files)."""

    def __init__(self, source: SourceBase, loki: LokiConfig | None, metrics: LogMetrics) -> None:
        self.loki = loki
        self._parts: list[list[tuple[int, bytes]]] = []
        self._lines = 0
        self._set(source, loki)
        self.m = metrics
        self._overflow = metrics.stream_overflow.labels(source.name)
        self._truncated = metrics.label_truncated.labels(source.name)
        self._streams_gauge = metrics.streams.labels(source.name)

    def configure(self, source: SourceBase, new: Any) -> None:
        """SIGHUP: the settings of ``new``; the stream table is kept only if the label layout is unchanged."""
        self._set(source, new.loki)

    def _set(self, source: SourceBase, loki: LokiConfig | None) -> None:
        layout = (tuple(sorted(source.static_labels.items())), tuple(source.label_fields),
                  source.label_value_max_bytes)
        if getattr(self, "_layout", None) != layout:
            self._streams: dict[tuple[Any, ...], int] = {}
            self._labels: list[bytes] = []
            self._newest: list[int] = []
        self._layout = layout
        self.source = source
        self.static = source.static_labels
        self.label_fields = list(source.label_fields)
        self.loki = loki
        # LabelPairAdapter{name=1, value=2}: the name part is the same on every line.
        self.meta_fields = [entries.metadata_field(f) for f in source.metadata_fields]
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
            s = v if isinstance(v, str) else entries.json_text(v)
            b = s.encode()
            if len(b) > self.max_value and s != OVERFLOW:
                self._truncated.inc()
                s = cut_utf8(b, self.max_value).decode()
            labels[name] = s
        if not labels:
            labels = {"job": self.source.name}
        idx = len(self._labels)
        self._streams[key] = idx
        self._labels.append(labels_text(labels).encode())
        self._newest.append(0)
        self._streams_gauge.set(len(self._labels))
        return idx

    # -- encoding --------------------------------------------------------------

    def add(self, batch: LogBatch, now_ns: int) -> None:
        """Encode one slice of a delivery."""
        bodies, n = self.encode_streams(batch, now_ns)
        self._parts.append(bodies)
        self._lines += n

    def finish(self) -> Encoded:
        """The slices added since the last ``finish`` as one PushRequest."""
        parts, lines = self._parts, self._lines
        self._parts, self._lines = [], 0
        return Encoded(self.assemble(parts) if lines else b"", lines)

    def encode_streams(self, batch: LogBatch, now_ns: int) -> tuple[list[tuple[int, bytes]], int]:
        """The batch's entries as (stream id, entries bytes) in order of first appearance, and their count.

        Parts of one delivery encoded one after the other go to ``assemble`` together.
        """
        bodies, entries_n, too_old, too_new, too_behind = entries.encode_entries(
            batch.lines, batch.records, batch.timestamps, self.label_fields, self.level_idx, self.meta_fields,
            self._streams, self._stream_for, self._newest, self.max_behind_ns,
            now_ns - self.max_age_ns if self.max_age_ns else 0, now_ns + FUTURE_GRACE_NS)
        m = self.m.dropped_lines
        if too_old:
            m.labels("greater_than_max_sample_age").inc(too_old)
        if too_new:
            m.labels("too_far_in_future").inc(too_new)
        if too_behind:
            m.labels("too_far_behind").inc(too_behind)
        return bodies, entries_n

    def assemble(self, parts: list[list[tuple[int, bytes]]]) -> bytes:
        """One PushRequest from ``encode_streams`` results: one StreamAdapter per stream, its
        entries in the order of ``parts``, streams in order of first appearance."""
        by_stream: dict[int, list[bytes]] = {}
        for bodies in parts:
            for sid, body in bodies:
                lst = by_stream.get(sid)
                if lst is None:
                    by_stream[sid] = [body]
                else:
                    lst.append(body)
        out: list[bytes] = []
        labels = self._labels
        for sid, chunks in by_stream.items():
            lb = labels[sid]
            head = b"\x0a" + uvarint(len(lb)) + lb
            out.append(b"\x0a" + uvarint(len(head) + sum(map(len, chunks))) + head)
            out.extend(chunks)
        return b"".join(out)
