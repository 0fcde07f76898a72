"""Durable spool: the Loki sink's on-disk queue under ``<state_dir>/logs/spool/``.

Layout: segment files ``seg-<first seq>.spool`` holding records appended in
sequence order, plus ``ack.json`` (atomic, versioned) naming what Loki has
accepted (``acked_through``) and what was dropped out of order
(``spool_when_full = "drop_oldest"``). A record::

    header  <4s B B H I I I Q Q>  magic "CFSP", version, flags, 0, meta_len, payload_len,
                                   crc32(meta + payload), seq, created (Unix ns)
    meta    JSON: source name, line count, the file positions its lines end at
            (``raw_bytes``: the payload's uncompressed size, when compressed)
    payload the writer's bytes; for the Loki sink a serialized logproto.PushRequest,
            snappy block-compressed when ``flags & FLAG_SNAPPY``

Version 2 records carry flags; version 1 records (no flags, uncompressed) are
still read.

Appends are group-committed: whatever is queued while an fsync runs goes
out with the next single write + fsync, and ``append`` returns only once its
record is on disk. A failed write or fsync (ENOSPC, EIO) cuts the segment files
back to where the group began (no torn or doubled record stays behind), is
counted (``cflexagent_log_spool_write_errors_total``) and the whole group is
written again a second later; its ``append`` calls keep waiting. A torn
record (crash mid-write) or a checksum mismatch is
counted (``cflexagent_log_spool_corrupt_records_total``), skipped, and the
reader resynchronises on the next magic; a torn tail is cut off.

Payloads of records not yet pushed stay in memory too, up to ``cache_bytes``
in all, so the pusher reads the disk (and checks the CRC again) only for
records spooled while Loki was away.

Bounds: ``max_bytes`` limits the bytes of records not yet accepted by Loki;
below ``min_free`` free space on the file system the spool counts as full too.
Full means ``block`` (``append`` waits: the sources stop reading and the files
wait) or ``drop_oldest`` (the oldest records not being pushed are dropped,
counted as ``dropped_lines_total{reason="spool_full"}``). A segment file is
deleted once all its records are acked or dropped and the checkpoint file
includes its positions; disk use can exceed ``max_bytes`` by about one segment.
"""

from __future__ import annotations

import asyncio
import collections
import os
import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec
import orjson

from ..logs.metrics import LogMetrics
from ..statefile import atomic_write
from ..telemetry import get_logger

log = get_logger("logs.spool")

MAGIC = b"CFSP"
RECORD_VERSION = 2
READABLE_VERSIONS = (1, 2)
#: Record flag: the payload is snappy block-compressed; ``raw_len`` (meta ``raw_bytes``) is its size before.
FLAG_SNAPPY = 1
#: Default bound of the payloads kept in memory for the pusher.
CACHE_BYTES = 4 * 1024 * 1024
ACK_VERSION = 1
HEADER = struct.Struct("<4sBBHIIIQQ")
MAX_META = 16 * 1024 * 1024
MAX_PAYLOAD = 256 * 1024 * 1024
_SEG_RE = re.compile(r"seg-(\d{16})\.spool")


@dataclass(eq=False)
class Segment:
    first_seq: int
    path: Path
    size: int = 0
    last_seq: int = 0
    live: int = 0                # records not yet acked or dropped
    read_fd: int = -1

    def reader(self) -> int:
        if self.read_fd < 0:
            self.read_fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        return self.read_fd

    def close(self) -> None:
        if self.read_fd >= 0:
            os.close(self.read_fd)
            self.read_fd = -1


@dataclass(eq=False)
class Record:
    seq: int
    segment: Segment
    offset: int
    meta_len: int
    payload_len: int
    crc: int
    lines: int
    created_ns: int
    flags: int = 0
    raw_len: int = 0
    data: bytes | None = None    # the payload, while it is in the memory cache

    @property
    def size(self) -> int:
        return HEADER.size + self.meta_len + self.payload_len


class _AckFile(msgspec.Struct):
    version: int
    acked_through: int = 0
    dropped: list[tuple[int, int]] = []


@dataclass
class _Pending:
    seq: int
    head: bytes
    meta: bytes
    payload: bytes
    crc: int
    lines: int
    created_ns: int
    flags: int
    raw_len: int
    future: asyncio.Future[int] = field(repr=False)


class Spool:
    def __init__(self, directory: Path, max_bytes: int, min_free: float,
                 when_full: Literal["block", "drop_oldest"], metrics: LogMetrics,
                 persisted_seq: Callable[[], int] = lambda: 1 << 62,
                 segment_bytes: int | None = None, cache_bytes: int = CACHE_BYTES) -> None:
        self.dir = directory
        self.max_bytes = max_bytes
        self.min_free = min_free
        self.when_full = when_full
        self.m = metrics
        self.persisted_seq = persisted_seq
        self.segment_bytes = segment_bytes or max(256 * 1024, min(16 * 1024 * 1024, max_bytes // 8))
        self.cache_bytes = cache_bytes
        self._cached = 0
        self.segments: list[Segment] = []
        self.records: collections.deque[Record] = collections.deque()
        self.inflight = 0           # head records handed to the pusher
        self.acked_through = 0
        self.dropped: list[tuple[int, int]] = []
        self.live_bytes = 0
        self._next_seq = 1
        self._queue: list[_Pending] = []
        self._queued_bytes = 0
        self._committer: asyncio.Task[None] | None = None
        self._write_fd = -1
        self._data = asyncio.Event()
        self._room = asyncio.Event()
        self._free_checked = 0.0
        self._disk_full = False
        self._ack_lock = asyncio.Lock()

    # -- recovery --------------------------------------------------------------------

    def open(self) -> list[tuple[int, dict[str, Any]]]:
        """Load the spool from disk; (seq, meta) of every intact record, for checkpoint recovery."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        ack = self._load_ack()
        self.acked_through, self.dropped = ack.acked_through, [tuple(r) for r in ack.dropped]  # type: ignore[misc]
        metas: list[tuple[int, dict[str, Any]]] = []
        names = sorted(p for p in os.listdir(self.dir) if _SEG_RE.fullmatch(p))
        max_seq = self.acked_through
        for i, name in enumerate(names):
            seg = Segment(int(_SEG_RE.fullmatch(name)[1]), self.dir / name)  # type: ignore[index]
            self._scan_segment(seg, last=i == len(names) - 1, metas=metas)
            if seg.last_seq:
                max_seq = max(max_seq, seg.last_seq)
            self.segments.append(seg)
        self._next_seq = max_seq + 1
        self._room.set()
        self._update_metrics()
        if self.records:
            self._data.set()
            log.info("spool recovered records not yet accepted by Loki", records=len(self.records),
                     bytes=self.live_bytes, oldest_seq=self.records[0].seq)
        self.gc()
        return metas

    def _load_ack(self) -> _AckFile:
        path = self.dir / "ack.json"
        try:
            doc = msgspec.json.decode(path.read_bytes(), type=_AckFile)
            if doc.version != ACK_VERSION:
                raise ValueError(f"unsupported version {doc.version}")
            return doc
        except FileNotFoundError:
            return _AckFile(version=ACK_VERSION)
        except (OSError, msgspec.DecodeError, ValueError) as e:
            log.error("spool ack file unreadable; every spooled record will be sent again (Loki discards "
                      "the byte-identical replays)", path=str(path), error=str(e))
            return _AckFile(version=ACK_VERSION)

    def _is_done(self, seq: int) -> bool:
        return seq <= self.acked_through or any(lo <= seq <= hi for lo, hi in self.dropped)

    def _scan_segment(self, seg: Segment, last: bool, metas: list[tuple[int, dict[str, Any]]]) -> None:
        data = seg.path.read_bytes()
        pos = 0
        good_end = 0
        n = len(data)
        while pos + HEADER.size <= n:
            magic, ver, flags, _r, meta_len, payload_len, crc, seq, created = HEADER.unpack_from(data, pos)
            end = pos + HEADER.size + meta_len + payload_len
            if magic != MAGIC or ver not in READABLE_VERSIONS or meta_len > MAX_META or payload_len > MAX_PAYLOAD:
                pos = self._resync(data, pos + 1, seg)
                continue
            if end > n:
                break  # torn tail
            body = memoryview(data)[pos + HEADER.size:end]
            if zlib.crc32(body) != crc:
                self._corrupt(seg, pos, "checksum mismatch")
                pos = end
                continue
            try:
                meta = orjson.loads(body[:meta_len])
            except orjson.JSONDecodeError:
                meta = {}
            if isinstance(meta, dict):
                metas.append((seq, meta))
            else:
                meta = {}
            if not self._is_done(seq):
                flags = flags if ver >= 2 else 0
                raw_len = meta.get("raw_bytes", payload_len) if flags & FLAG_SNAPPY else payload_len
                rec = Record(seq, seg, pos, meta_len, payload_len, crc, int(meta.get("lines", 0)), created,
                             flags, int(raw_len))
                self.records.append(rec)
                seg.live += 1
                self.live_bytes += rec.size
            seg.last_seq = max(seg.last_seq, seq)
            pos = end
            good_end = end
        if good_end < n and (pos + HEADER.size > n or pos < n):
            torn = n - good_end
            if last:
                self._corrupt(seg, good_end, f"torn tail of {torn} bytes cut off")
                with open(seg.path, "r+b") as fh:
                    fh.truncate(good_end)
                    os.fsync(fh.fileno())
                n = good_end
        seg.size = n if last else len(data)

    def _resync(self, data: bytes, start: int, seg: Segment) -> int:
        nxt = data.find(MAGIC, start)
        self._corrupt(seg, start - 1, "bad record header")
        return nxt if nxt >= 0 else len(data)

    def _corrupt(self, seg: Segment, offset: int, what: str) -> None:
        self.m.spool_corrupt.inc()
        log.error("spool record damaged; skipped", segment=seg.path.name, offset=offset, problem=what)

    # -- appending --------------------------------------------------------------------

    def _disk_low(self) -> bool:
        now = time.monotonic()
        if now - self._free_checked >= 1.0:
            self._free_checked = now
            try:
                st = os.statvfs(self.dir)
                self._disk_full = st.f_blocks > 0 and st.f_bavail / st.f_blocks < self.min_free
            except OSError:
                self._disk_full = False
        return self._disk_full

    def _full(self, extra: int) -> bool:
        return self.live_bytes + self._queued_bytes + extra > self.max_bytes or self._disk_low()

    async def append(self, payload: bytes, meta: dict[str, Any], lines: int, flags: int = 0,
                     raw_len: int = 0) -> int:
        """Add a record; returns its sequence number once it is on disk (fsync).

        ``flags``: ``FLAG_SNAPPY`` when ``payload`` is compressed (``raw_len`` bytes before).
        """
        if flags & FLAG_SNAPPY:
            meta = {**meta, "raw_bytes": raw_len}
        else:
            raw_len = len(payload)
        meta_b = orjson.dumps(meta)
        size = HEADER.size + len(meta_b) + len(payload)
        while self._full(size) and (self.records or self._queue):
            self.m.spool_full.set(1)
            if self.when_full == "drop_oldest" and self._drop_oldest(size):
                break
            self._room.clear()
            await self._room.wait()
        self.m.spool_full.set(0)
        seq = self._next_seq
        self._next_seq += 1
        crc = zlib.crc32(payload, zlib.crc32(meta_b))
        created = time.time_ns()
        head = HEADER.pack(MAGIC, RECORD_VERSION, flags, 0, len(meta_b), len(payload), crc, seq, created)
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(seq, head, meta_b, payload, crc, lines, created, flags, raw_len, fut))
        self._queued_bytes += size
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_loop(), name="spool-commit")
        return await asyncio.shield(fut)

    def _drop_oldest(self, need: int) -> bool:
        """Drop the oldest records not in flight until ``need`` fits; False if nothing can go."""
        dropped_lines = 0
        while self._full(need) and len(self.records) > self.inflight:
            rec = self.records[self.inflight]
            del self.records[self.inflight]
            self._retire(rec)
            self._add_dropped(rec.seq)
            dropped_lines += rec.lines
        if dropped_lines:
            self.m.dropped_lines.labels("spool_full").inc(dropped_lines)
            log.warning("spool full; dropped the oldest records", lines=dropped_lines)
            self._write_ack()
            self.gc()
        return not self._full(need)

    def _add_dropped(self, seq: int) -> None:
        if self.dropped and self.dropped[-1][1] == seq - 1:
            self.dropped[-1] = (self.dropped[-1][0], seq)
        else:
            self.dropped.append((seq, seq))

    async def _commit_loop(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            touched: list[int] = []
            #: Each segment this group writes to, with its size and last seq before the group.
            marks: list[tuple[Segment, int, int]] = []
            try:
                placed = []
                for p in batch:
                    size = len(p.head) + len(p.meta) + len(p.payload)
                    seg = self._segment_for(size, p.seq)
                    if not marks or marks[-1][0] is not seg:
                        marks.append((seg, seg.size, seg.last_seq))
                    off = seg.size
                    _write_all(self._write_fd, [p.head, p.meta, p.payload])
                    seg.size += size
                    seg.last_seq = p.seq
                    if self._write_fd not in touched:
                        touched.append(self._write_fd)
                    placed.append((p, seg, off))
                await asyncio.to_thread(_fsync_all, touched)
            except OSError as e:
                # Nothing of the group is acknowledged: cut what reached the files (whole or torn
                # records) so the retry writes each record exactly once.
                self.m.spool_write_errors.inc()
                log.error("spool write failed; retrying", error=str(e), dir=str(self.dir))
                self._rewind(marks)
                self._queue = batch + self._queue
                await asyncio.sleep(1.0)
                continue
            self._queued_bytes -= sum(len(p.head) + len(p.meta) + len(p.payload) for p in batch)
            for p, seg, off in placed:
                rec = Record(p.seq, seg, off, len(p.meta), len(p.payload), p.crc, p.lines, p.created_ns,
                             p.flags, p.raw_len)
                if self._cached + len(p.payload) <= self.cache_bytes:
                    rec.data = p.payload
                    self._cached += len(p.payload)
                self.records.append(rec)
                seg.live += 1
                self.live_bytes += rec.size
                if not p.future.done():
                    p.future.set_result(p.seq)
            self._data.set()
            self._update_metrics()

    def _rewind(self, marks: list[tuple[Segment, int, int]]) -> None:
        for seg, size, last_seq in marks:
            try:
                os.truncate(seg.path, size)
            except OSError as e:
                log.error("cannot cut a failed spool write off its segment; the reader will skip it",
                          segment=seg.path.name, error=e.strerror or str(e))
                continue
            seg.size, seg.last_seq = size, last_seq

    def _segment_for(self, size: int, seq: int) -> Segment:
        seg = self.segments[-1] if self.segments and self._write_fd >= 0 else None
        if seg is not None and (seg.size == 0 or seg.size + size <= self.segment_bytes):
            return seg
        if self._write_fd >= 0:
            os.fsync(self._write_fd)
            os.close(self._write_fd)
            self._write_fd = -1
        # Named by the first sequence number it holds.
        path = self.dir / f"seg-{seq:016d}.spool"
        self._write_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        dfd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        seg = Segment(seq, path, size=os.fstat(self._write_fd).st_size)
        self.segments.append(seg)
        return seg

    # -- reading and acknowledging ------------------------------------------------------

    async def wait_data(self, within: float) -> None:
        if self.records:
            return
        self._data.clear()
        try:
            await asyncio.wait_for(self._data.wait(), within)
        except TimeoutError:
            pass

    def take(self, max_bytes: int) -> list[Record]:
        """The oldest records, at least one, up to ``max_bytes`` of uncompressed payload; marked in flight."""
        out: list[Record] = []
        total = 0
        for rec in self.records:
            if out and total + rec.raw_len > max_bytes:
                break
            out.append(rec)
            total += rec.raw_len
        self.inflight = len(out)
        return out

    def read_payload(self, rec: Record) -> bytes | None:
        """The record's payload as appended, or None if it no longer checks out (counted)."""
        if rec.data is not None:
            return rec.data
        fd = rec.segment.reader()
        data = os.pread(fd, rec.meta_len + rec.payload_len, rec.offset + HEADER.size)
        if len(data) != rec.meta_len + rec.payload_len or zlib.crc32(data) != rec.crc:
            self._corrupt(rec.segment, rec.offset, "checksum mismatch on read")
            return None
        return data[rec.meta_len:]

    async def ack(self, records: list[Record]) -> None:
        """Loki accepted (or definitively refused) these head records: retire them durably."""
        done = {r.seq for r in records}
        while self.records and self.records[0].seq in done:
            rec = self.records.popleft()
            self._retire(rec)
            self.acked_through = max(self.acked_through, rec.seq)
        self.inflight = 0
        # absorb dropped ranges that now touch the acked prefix
        while self.dropped and self.dropped[0][0] <= self.acked_through + 1:
            self.acked_through = max(self.acked_through, self.dropped.pop(0)[1])
        async with self._ack_lock:
            await asyncio.to_thread(self._write_ack)
        self.gc()
        self._room.set()
        self._update_metrics()

    def release_inflight(self) -> None:
        self.inflight = 0

    def _retire(self, rec: Record) -> None:
        rec.segment.live -= 1
        self.live_bytes -= rec.size
        if rec.data is not None:
            self._cached -= len(rec.data)
            rec.data = None

    def _write_ack(self) -> None:
        doc = _AckFile(version=ACK_VERSION, acked_through=self.acked_through, dropped=list(self.dropped))
        atomic_write(self.dir / "ack.json", msgspec.json.encode(doc))

    def gc(self) -> None:
        """Delete segments whose records are all retired and whose positions are checkpointed."""
        persisted = self.persisted_seq()
        keep = []
        for i, seg in enumerate(self.segments):
            current = i == len(self.segments) - 1 and self._write_fd >= 0
            if seg.live <= 0 and not current and seg.last_seq <= persisted:
                seg.close()
                try:
                    os.unlink(seg.path)
                except FileNotFoundError:
                    pass
                continue
            keep.append(seg)
        self.segments = keep
        self._room.set()
        self._update_metrics()

    def _update_metrics(self) -> None:
        m = self.m
        m.spool_bytes.set(self.live_bytes)
        m.spool_records.set(len(self.records))
        m.spool_disk_bytes.set(sum(s.size for s in self.segments))
        m.spool_oldest.set(self.records[0].created_ns / 1e9 if self.records else 0)

    def close(self) -> None:
        if self._write_fd >= 0:
            try:
                os.fsync(self._write_fd)
            finally:
                os.close(self._write_fd)
            self._write_fd = -1
        for seg in self.segments:
            seg.close()


def _write_all(fd: int, parts: list[bytes]) -> None:
    """Write the parts in order (one writev, no joined copy, unless the kernel takes less)."""
    n = os.writev(fd, parts)
    total = sum(map(len, parts))
    if n < total:
        view = memoryview(b"".join(parts))[n:]
        while view:
            view = view[os.write(fd, view):]


def _fsync_all(fds: list[int]) -> None:
    for fd in fds:
        os.fsync(fd)
