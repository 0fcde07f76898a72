"""The contract between the stages of the log pipeline.

::

    sources (files, journal) ─► parsers ─► transforms (redact, derive) ─► sinks (Loki, console)
             lines (bytes)      LogBatch        LogBatch                   Encoder ─► Encoded ─► write(…, Ack)

- A ``LogBatch`` is what flows from the parser on: the lines as they will be
  shipped, the fields parsed from them and their timestamps, fixed once.
- A sink turns batches into its own wire format with an ``Encoder`` it makes per
  source (stateful: Loki's stream table), on the source's task, slice by slice
  while the records are still in the CPU caches. The result, ``Encoded``, is
  handed to ``Sink.write`` with the delivery's ``Ack``.
- A durable sink's ``write`` returns once the data is on disk, having stored
  ``ack.state`` with it; only then does the source commit the ack to the
  checkpointer (``logs/checkpoint.py``), which owns file positions and journal
  cursors. Non-durable sinks (the console) ignore the ack.

Sinks know nothing of files or cursors, and sources nothing of Loki.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .checkpoint import Ack
    from .config import SourceBase


@dataclass(slots=True)
class LogBatch:
    """Lines of one source after parsing.

    ``lines[i]`` is the exact line shipped (valid UTF-8, no newline),
    ``records[i]`` the fields parsed from it (``None`` when it has none: a raw
    source, or a line that is not JSON in a json source), ``timestamps[i]`` its
    time in Unix nanoseconds, fixed now and never recomputed (a re-send must be
    byte-identical). ``json_lines`` says that ``lines[i]`` is the JSON text of
    ``records[i]``: a transform that changes a record re-serialises the line.
    Columnar (parallel lists) rather than per-line objects: the hot path is
    measured in microseconds per line.
    """

    source: str
    lines: list[bytes]
    records: list[dict[str, Any] | None]
    timestamps: list[int]
    json_lines: bool = False


@dataclass(slots=True)
class Encoded:
    """One delivery in a sink's wire format: ``data`` (bytes for Loki, text for the console), ``lines`` entries."""

    data: Any
    lines: int


class Encoder(Protocol):
    """A sink's encoder for one source: pure CPU, keeps per-source state across deliveries."""

    def add(self, batch: LogBatch, now_ns: int) -> None:
        """Encode one slice of a delivery."""

    def finish(self) -> Encoded:
        """Everything added since the last ``finish``, as one delivery (``lines`` may be 0)."""

    def configure(self, source: SourceBase, new: Encoder) -> None:
        """SIGHUP: take the settings of ``new`` (built from the new config), keeping state that still applies."""


class Sink(Protocol):
    name: str
    #: True if ``write`` returns only once the data is durable (checkpoints may then advance).
    durable: bool

    def encoder(self, source: SourceBase) -> Encoder:
        """A fresh encoder for ``source``, built from this sink's config."""

    async def write(self, encoded: Encoded, ack: Ack) -> None:
        """Take a delivery. Raises ``SinkClosed`` when the sink stopped before the data was taken."""


class SinkClosed(Exception):
    """The sink stopped (restart, shutdown) before it took the delivery: write it to the next run."""
