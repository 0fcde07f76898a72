"""The checkpointer: where every source stands, and the acknowledgements that move it.

One file, ``<state_dir>/logs/checkpoints.json`` (atomic: temp file, fsync,
rename, fsync of the directory; versioned), holds for each source the read
positions of its files and, for the journal, its cursor.

A file is known by device + inode *and* a fingerprint (CRC32 of its first
bytes, up to ``FP_BYTES``), so a recycled inode is not mistaken for the file
that used it before.

Acknowledgement (Vector's finalizers are the model): each delivery a source
hands to the sinks carries an ``Ack`` -- an id, increasing over the agent's
life, and where the source will stand once the delivery is kept. A durable
sink stores ``ack.state`` with the data and returns once it is on disk; the
source then ``commit``s the ack, and only committed positions are ever
written to the file. At most one delivery per source is in flight, so a
source's acks commit in order.

Crash recovery: the file records ``ack_id``, a watermark: every ack up to it
was committed (or abandoned by a source that stopped) when the file was
written, so their positions are in it. A durable sink that finds data on disk at start hands the states stored
with it to ``recovered``; states newer than the file win, so a batch that
reached the spool but not this file is never read and stamped a second time.
Sources wait until every durable sink has recovered (``wait_recovered``).
Before a durable sink deletes stored states (a spool segment Loki accepted),
it calls ``persist_through`` so this file holds them first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from ..statefile import atomic_write
from ..telemetry import get_logger
from .metrics import LogMetrics

log = get_logger("logs.checkpoint")

VERSION = 2
READABLE_VERSIONS = (1, 2)
FP_BYTES = 256
#: Positions of files no longer open are kept this long (a rotated file may
#: come back into a glob), and at most this many per source.
KEEP_CLOSED_SECONDS = 7 * 86400
KEEP_CLOSED_MAX = 1000


class FilePos(msgspec.Struct, array_like=True):
    dev: int
    ino: int
    offset: int
    fp_len: int
    fp_crc: int
    path: str
    seen: float = 0.0
    closed: bool = False

    @property
    def key(self) -> str:
        return f"{self.dev}:{self.ino}"


def fingerprint(fd: int, length: int) -> tuple[int, int]:
    """(bytes hashed, CRC32) of the first ``min(length, FP_BYTES)`` bytes of an open file."""
    data = os.pread(fd, min(length, FP_BYTES), 0)
    return len(data), zlib.crc32(data)


class Ack:
    """One delivery's acknowledgement: committed once every durable sink holds the delivery."""

    __slots__ = ("cursor", "id", "positions", "source")

    def __init__(self, ack_id: int, source: str, positions: list[FilePos], cursor: str | None) -> None:
        self.id = ack_id
        self.source = source
        self.positions = positions
        self.cursor = cursor

    @property
    def state(self) -> dict[str, Any]:
        """What a durable sink stores with the delivery (JSON-able), for ``Checkpointer.recovered``."""
        doc: dict[str, Any] = {"id": self.id, "source": self.source}
        if self.positions:
            doc["positions"] = [msgspec.to_builtins(p) for p in self.positions]
        if self.cursor is not None:
            doc["cursor"] = self.cursor
        return doc


class _Source(msgspec.Struct, omit_defaults=True):
    files: dict[str, FilePos] = {}
    cursor: str = ""


class _File(msgspec.Struct):
    version: int
    ack_id: int = 0
    written: float = 0.0
    sources: dict[str, _Source] = {}


class _FileV1(msgspec.Struct):
    version: int
    spool_seq: int = 0
    sources: dict[str, dict[str, FilePos]] = {}


class Checkpointer:
    def __init__(self, path: Path, metrics: LogMetrics | None = None) -> None:
        self.path = path
        self.m = metrics
        self.files: dict[str, dict[str, FilePos]] = {}
        self.cursors: dict[str, str] = {}
        self.persisted_id = 0      # the watermark the file on disk was written with
        self._next_id = 1
        self._pending: set[int] = set()   # acks begun, neither committed nor abandoned
        self._dirty = False
        self._last_persist = 0.0
        self._lock = asyncio.Lock()
        self._waiting: set[str] = set()
        self._recovered: set[str] = set()
        self._ready = asyncio.Event()
        self._ready.set()
        self.load()

    # -- the file ------------------------------------------------------------------

    def load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as e:
            log.error("cannot read checkpoints; starting without them", path=str(self.path), error=str(e))
            return
        try:
            head = msgspec.json.decode(raw, type=dict[str, Any])
            version = head.get("version")
            if version not in READABLE_VERSIONS:
                raise ValueError(f"unsupported version {version!r}")
            if version == 1:
                v1 = msgspec.json.decode(raw, type=_FileV1)
                self.files = v1.sources
                self.persisted_id = v1.spool_seq
            else:
                doc = msgspec.json.decode(raw, type=_File)
                self.files = {name: s.files for name, s in doc.sources.items()}
                self.cursors = {name: s.cursor for name, s in doc.sources.items() if s.cursor}
                self.persisted_id = doc.ack_id
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as e:
            bad = self.path.with_name(self.path.name + ".corrupt")
            with contextlib.suppress(OSError):
                os.replace(self.path, bad)
            log.error("checkpoint file unreadable; moved aside, files are matched from scratch",
                      path=str(self.path), moved_to=str(bad), error=str(e))
            self.files, self.cursors, self.persisted_id = {}, {}, 0
            return
        self._next_id = self.persisted_id + 1

    @property
    def watermark(self) -> int:
        """The newest ack id up to which every ack is committed or abandoned."""
        return min(self._pending) - 1 if self._pending else self._next_id - 1

    def encode(self) -> tuple[bytes, int]:
        self._gc()
        names = set(self.files) | set(self.cursors)
        mark = self.watermark
        doc = _File(version=VERSION, ack_id=mark, written=time.time(),
                    sources={n: _Source(self.files.get(n, {}), self.cursors.get(n, "")) for n in sorted(names)})
        return msgspec.json.encode(doc), mark

    def _gc(self) -> None:
        now = time.time()
        for table in self.files.values():
            closed = sorted((p for p in table.values() if p.closed), key=lambda p: p.seen)
            for i, p in enumerate(closed):
                if now - p.seen > KEEP_CLOSED_SECONDS or len(closed) - i > KEEP_CLOSED_MAX:
                    table.pop(p.key, None)

    async def persist(self, force: bool = False) -> bool:
        """Write the file if anything changed; False if the write failed (logged, counted, retried later)."""
        async with self._lock:
            if not self._dirty and not force:
                return True
            data, ack_id = self.encode()
            self._dirty = False
            try:
                await asyncio.to_thread(atomic_write, self.path, data)
            except OSError as e:
                self._dirty = True
                if self.m is not None:
                    self.m.checkpoint_write_errors.inc()
                log.limited("error", "cannot write checkpoints; kept in memory, retrying", path=str(self.path),
                            error=e.strerror or str(e))
                return False
            self.persisted_id = max(self.persisted_id, ack_id)
            self._last_persist = time.monotonic()
            if self.m is not None:
                self.m.last_checkpoint.set(time.time())
            return True

    async def maybe_persist(self, interval: float) -> None:
        if self._dirty and time.monotonic() - self._last_persist >= interval:
            await self.persist()

    async def persist_through(self, ack_id: int) -> bool:
        """Make sure the file holds every committed ack up to ``ack_id`` (before a sink deletes their states)."""
        if self.persisted_id >= ack_id:
            return True
        # Acks still pending stay out of the file (their sources read those lines again after a crash).
        return await self.persist(force=True)

    # -- recovery ------------------------------------------------------------------

    def expect_recovery(self, sinks: Iterable[str]) -> None:
        """Sources wait until each of these durable sinks called ``recovered``."""
        self._waiting = set(sinks)
        if self._waiting:
            self._ready.clear()
        else:
            self._ready.set()

    def recovered(self, sink: str, states: Iterable[dict[str, Any]]) -> int:
        """States a durable sink found on its disk at its first start: those newer than the file apply
        (after a restart of the sink they are all in memory already). Returns how many applied."""
        if sink in self._recovered:
            return 0
        self._recovered.add(sink)
        applied = 0
        for st in sorted(states, key=lambda s: int(s.get("id", 0))):
            ack_id = int(st.get("id", 0))
            self._next_id = max(self._next_id, ack_id + 1)
            if ack_id <= self.persisted_id:
                continue
            source = st.get("source")
            if not isinstance(source, str):
                continue
            for p in st.get("positions", ()):
                try:
                    pos = msgspec.convert(p, FilePos)
                except msgspec.ValidationError:
                    continue
                self.files.setdefault(source, {})[pos.key] = pos
            cursor = st.get("cursor")
            if isinstance(cursor, str) and cursor:
                self.cursors[source] = cursor
            self._dirty = True
            applied += 1
        self._waiting.discard(sink)
        if not self._waiting:
            self._ready.set()
        return applied

    async def wait_recovered(self, stop: asyncio.Event) -> bool:
        """Wait until the durable sinks recovered their disks (False if ``stop`` came first)."""
        if self._ready.is_set():
            return True
        waiter = asyncio.ensure_future(self._ready.wait())
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            stopper.cancel()
        return self._ready.is_set()

    # -- what sources ask and tell ---------------------------------------------------

    def begin(self, source: str, positions: list[FilePos], cursor: str | None = None) -> Ack:
        ack = Ack(self._next_id, source, positions, cursor)
        self._next_id += 1
        self._pending.add(ack.id)
        return ack

    def commit(self, ack: Ack) -> None:
        """Every durable sink holds the delivery: the source stands where the ack says."""
        if ack.positions:
            self.update(ack.source, ack.positions)
        if ack.cursor is not None:
            self.cursors[ack.source] = ack.cursor
        self._pending.discard(ack.id)
        self._dirty = True

    def abandon(self, ack: Ack) -> None:
        """The source stopped before the delivery was kept: its lines are read again, the ack never commits."""
        self._pending.discard(ack.id)

    def update(self, source: str, positions: list[FilePos]) -> None:
        """Positions no delivery carries (files released, placed at their end)."""
        table = self.files.setdefault(source, {})
        for p in positions:
            table[p.key] = p
        self._dirty = True

    def get(self, source: str) -> dict[str, FilePos]:
        return self.files.get(source, {})

    def knows(self, source: str) -> bool:
        """Whether this source ran before (it has a table, possibly empty): ``start_at`` applies only if not."""
        return source in self.files or source in self.cursors

    def cursor(self, source: str) -> str:
        return self.cursors.get(source, "")

    def forget(self, source: str, key: str) -> None:
        if self.files.get(source, {}).pop(key, None) is not None:
            self._dirty = True
