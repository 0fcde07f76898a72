"""Read positions of tailed files: ``<state_dir>/logs/checkpoints.json``.

A file is known by device + inode *and* a fingerprint (CRC32 of its first
bytes, up to ``FP_BYTES``), so a recycled inode is not mistaken for the file
that used it before. The file is written atomically (temp file, fsync,
rename, fsync of the directory) and carries a format version.

Durability contract with the spool: every spool record also carries the
positions its lines end at, and this file records ``spool_seq``, the newest
spool record whose positions it includes. After a crash, positions of newer
records (still on disk) win, so a batch that reached the spool but not this
file is never read and stamped a second time. The spool deletes a segment
only once this file is written past its last record (``persisted_seq``).
"""

from __future__ import annotations

import asyncio
import os
import time
import zlib
from pathlib import Path
from typing import Any

import msgspec

from ..statefile import atomic_write
from ..telemetry import get_logger
from .metrics import LogMetrics

log = get_logger("logs.checkpoint")

VERSION = 1
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


class _File(msgspec.Struct):
    version: int
    spool_seq: int = 0
    written: float = 0.0
    sources: dict[str, dict[str, FilePos]] = {}


class CheckpointStore:
    def __init__(self, path: Path, metrics: LogMetrics | None = None) -> None:
        self.path = path
        self.m = metrics
        self.sources: dict[str, dict[str, FilePos]] = {}
        self.spool_seq = 0          # newest spool record whose positions are in memory
        self.persisted_seq = 0      # ... and in the file on disk
        self._dirty = False
        self._last_persist = 0.0
        self._lock = asyncio.Lock()
        self.load()

    def load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as e:
            log.error("cannot read checkpoints; starting without them", path=str(self.path), error=str(e))
            return
        try:
            doc = msgspec.json.decode(raw, type=_File)
            if doc.version != VERSION:
                raise ValueError(f"unsupported version {doc.version}")
        except (msgspec.DecodeError, ValueError) as e:
            bad = self.path.with_name(self.path.name + ".corrupt")
            os.replace(self.path, bad)
            log.error("checkpoint file unreadable; moved aside, files are matched from scratch",
                      path=str(self.path), moved_to=str(bad), error=str(e))
            return
        self.sources = doc.sources
        self.spool_seq = self.persisted_seq = doc.spool_seq

    def apply_spool(self, records: list[tuple[int, dict[str, Any]]]) -> int:
        """Positions carried by spool records newer than this file (crash recovery); returns how many applied."""
        n = 0
        for seq, meta in sorted(records, key=lambda r: r[0]):
            if seq <= self.spool_seq:
                continue
            src = meta.get("source")
            for p in meta.get("positions", ()):
                try:
                    pos = msgspec.convert(p, FilePos)
                except msgspec.ValidationError:
                    continue
                if isinstance(src, str):
                    self.sources.setdefault(src, {})[pos.key] = pos
            self.spool_seq = seq
            self._dirty = True
            n += 1
        return n

    def get(self, source: str) -> dict[str, FilePos]:
        return self.sources.get(source, {})

    def knows(self, source: str) -> bool:
        """Whether this source ran before (it has a table, possibly empty): ``start_at`` applies only if not."""
        return source in self.sources

    def update(self, source: str, positions: list[FilePos], seq: int = 0) -> None:
        table = self.sources.setdefault(source, {})
        for p in positions:
            table[p.key] = p
        if seq > self.spool_seq:
            self.spool_seq = seq
        self._dirty = True

    def forget(self, source: str, key: str) -> None:
        if self.sources.get(source, {}).pop(key, None) is not None:
            self._dirty = True

    def _gc(self) -> None:
        now = time.time()
        for table in self.sources.values():
            closed = sorted((p for p in table.values() if p.closed), key=lambda p: p.seen)
            for i, p in enumerate(closed):
                if now - p.seen > KEEP_CLOSED_SECONDS or len(closed) - i > KEEP_CLOSED_MAX:
                    table.pop(p.key, None)

    def encode(self) -> tuple[bytes, int]:
        self._gc()
        seq = self.spool_seq
        doc = _File(version=VERSION, spool_seq=seq, written=time.time(), sources=self.sources)
        return msgspec.json.encode(doc), seq

    async def persist(self, force: bool = False) -> None:
        async with self._lock:
            if not self._dirty and not force:
                return
            data, seq = self.encode()
            self._dirty = False
            try:
                await asyncio.to_thread(atomic_write, self.path, data)
            except OSError as e:
                self._dirty = True
                log.error("cannot write checkpoints", path=str(self.path), error=str(e))
                return
            self.persisted_seq = max(self.persisted_seq, seq)
            self._last_persist = time.monotonic()
            if self.m is not None:
                self.m.last_checkpoint.set(time.time())

    async def maybe_persist(self, interval: float) -> None:
        if self._dirty and time.monotonic() - self._last_persist >= interval:
            await self.persist()

    def persist_sync(self) -> None:
        """Blocking write, for shutdown paths outside a running loop."""
        data, seq = self.encode()
        atomic_write(self.path, data)
        self.persisted_seq = max(self.persisted_seq, seq)
        self._dirty = False


def dumps_positions(positions: list[FilePos]) -> list[Any]:
    return [msgspec.to_builtins(p) for p in positions]

