"""Durable spool: the Loki sink's on-disk queue under ``<state_dir>/logs/spool/``.

Layout: segment files ``seg-<first seq>.spool`` holding records appended in
sequence order, plus ``ack.json`` (atomic, versioned) naming what Loki has
accepted (``acked_through``) and what was dropped out of order
(``spool_when_full = "drop_oldest"``). A record::

    header  <4s B B H I I I Q Q>  magic "CFSP", version, flags, 0, meta_len, payload_len,
                                   crc32(meta + payload), seq, created (Unix ns)
    meta    JSON: line count, the writer's acknowledgement state (``ack``: opaque here; the
            checkpointer's id, source and positions) and ``raw_bytes`` (the payload's
            uncompressed size, when compressed). Records of earlier versions carry
            ``source`` and ``positions`` at the top and their sequence number as ack id.
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
below ``min_free`` free space on the spool's file system (whoever uses it) the
spool counts as full too, even when it holds nothing itself. Full means
``block`` (``append`` waits: the sources stop reading and the files wait) or
``drop_oldest`` (the oldest records not being pushed are dropped, counted as
``dropped_lines_total{reason="spool_full"}``; with nothing to drop it blocks
too). ``cflexagent_log_spool_full`` is 1 while full, and one log line (per
minute at most) says why.

A segment file is deleted as soon as all its records are acked or dropped --
the one being written to as well, once nothing in it waits and it holds
``RECLAIM_BYTES`` (at once while the disk is low) -- after ``before_delete``
made the writer's checkpoints hold the acks stored in it. Disk use exceeds
``max_bytes`` by at most about one segment.

A failed write of ``ack.json`` (disk full) is counted and retried with the next
ack; the records acked meanwhile may be pushed again after a crash, as they are
(byte-identical). ``close`` fails the appends still waiting with ``SinkClosed``,
so their writers hand the data to the sink's next run.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import re
import struct
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec
import orjson

from ...logs.batch import SinkClosed
from ...logs.metrics import LogMetrics
from ...statefile import atomic_write
from ...telemetry import get_logger

log = get_logger("logs.sink.loki.spool")

MAGIC = b"CFSP"
RECORD_VERSION = 2
READABLE_VERSIONS = (1, 2)
#: Record flag: the payload is snappy block-compressed; ``raw_len`` (meta ``raw_bytes``) is its size before.
FLAG_SNAPPY = 1
#: Default bound of the payloads kept in memory for the pusher.
CACHE_BYTES = 4 * 1024 * 1024
ACK_VERSION = 1
#: An acknowledged segment still being written is deleted once it is this big (or when the disk is low).
RECLAIM_BYTES = 1024 * 1024
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
    max_ack: int = 0             # newest ack id stored in it
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
    ack_id: int
    future: asyncio.Future[int] = field(repr=False)


class Spool:
    def __init__(self, directory: Path, max_bytes: int, min_free: float,
                 when_full: Literal["block", "drop_oldest"], metrics: LogMetrics,
                 before_delete: Callable[[int], Awaitable[object]] | None = None,
                 segment_bytes: int | None = None, cache_bytes: int = CACHE_BYTES) -> None:
        self.dir = directory
        self.max_bytes = max_bytes
        self.min_free = min_free
        self.when_full = when_full
        self.m = metrics
        self._stuck = metrics.sink_stuck.labels("loki")
        #: Called with the newest ack id of a segment before it is deleted.
        self.before_delete = before_delete
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
        self._closed = False
        self._gc_task: asyncio.Task[None] | None = None

    # -- recovery --------------------------------------------------------------------

    def open(self) -> list[dict[str, Any]]:
        """Load the spool from disk; the ack state of every intact record, for the writer's recovery."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        ack = self._load_ack()
        self.acked_through, self.dropped = ack.acked_through, [tuple(r) for r in ack.dropped]  # type: ignore[misc]
        metas: list[dict[str, Any]] = []
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

    def _scan_segment(self, seg: Segment, last: bool, metas: list[dict[str, Any]]) -> None:
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
            if not isinstance(meta, dict):
                meta = {}
            state = meta.get("ack")
            if not isinstance(state, dict):  # version 1 and early version 2 records
                state = {"id": seq, "source": meta.get("source"), "positions": meta.get("positions", [])}
            metas.append(state)
            ack_id = state.get("id")
            if isinstance(ack_id, int):
                seg.max_ack = max(seg.max_ack, ack_id)
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

    def _over(self, extra: int) -> bool:
        return self.live_bytes + self._queued_bytes + extra > self.max_bytes

    def _full(self, extra: int) -> bool:
        return self._over(extra) or self._disk_low()

    async def append(self, payload: bytes, meta: dict[str, Any], lines: int, flags: int = 0,
                     raw_len: int = 0, ack_id: int = 0) -> int:
        """Add a record; returns its sequence number once it is on disk (fsync).

        ``flags``: ``FLAG_SNAPPY`` when ``payload`` is compressed (``raw_len`` bytes before).
        ``ack_id``: the newest acknowledgement its meta carries (see ``before_delete``).
        Raises ``SinkClosed`` when the spool is closed before the record is on disk.
        """
        if flags & FLAG_SNAPPY:
            meta = {**meta, "raw_bytes": raw_len}
        else:
            raw_len = len(payload)
        meta_b = orjson.dumps(meta)
        size = HEADER.size + len(meta_b) + len(payload)
        # A record bigger than the whole bound is taken once the spool is empty (never blocks forever).
        while self._full(size) and (self.records or self._queue or self._disk_low()):
            if self._closed:
                raise SinkClosed("spool closed")
            self._blocked(size)
            if self.when_full == "drop_oldest" and self._drop_oldest(size):
                break
            self._room.clear()
            try:
                # The disk may recover without any ack of ours: look again every second.
                await asyncio.wait_for(self._room.wait(), 1.0)
            except TimeoutError:
                pass
        if self._closed:
            raise SinkClosed("spool closed")
        self.m.spool_full.set(0)
        self._stuck.set(0)
        seq = self._next_seq
        self._next_seq += 1
        crc = zlib.crc32(payload, zlib.crc32(meta_b))
        created = time.time_ns()
        head = HEADER.pack(MAGIC, RECORD_VERSION, flags, 0, len(meta_b), len(payload), crc, seq, created)
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(seq, head, meta_b, payload, crc, lines, created, flags, raw_len, ack_id, fut))
        self._queued_bytes += size
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_loop(), name="spool-commit")
        return await asyncio.shield(fut)

    def _blocked(self, need: int) -> None:
        """Say (metric, one line a minute) that appends wait, and why."""
        self.m.spool_full.set(1)
        self._stuck.set(1)
        why = "spool_max_bytes reached" if self._over(need) else "disk below spool_min_free_disk"
        log.limited("warning", "spool full; sources wait until Loki takes records or the disk has room",
                    key=("spool_full", why), reason=why, spool_bytes=self.live_bytes, max_bytes=self.max_bytes,
                    min_free=self.min_free, dir=str(self.dir))

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
            log.limited("warning", "spool full; dropped the oldest records", lines=dropped_lines)
            self._try_write_ack()
            self._schedule_gc()
        return not self._full(need)

    def _add_dropped(self, seq: int) -> None:
        if self.dropped and self.dropped[-1][1] == seq - 1:
            self.dropped[-1] = (self.dropped[-1][0], seq)
        else:
            self.dropped.append((seq, seq))

    async def _commit_loop(self) -> None:
        while self._queue and not self._closed:
            batch, self._queue = self._queue, []
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
                    seg.max_ack = max(seg.max_ack, p.ack_id)
                    placed.append((p, seg, off))
                # A segment the group filled was fsynced when the next one was started (_segment_for):
                # only the one written last is left. (Never a descriptor closed meanwhile: its number
                # may be another file's by now.)
                if placed:
                    await asyncio.to_thread(os.fsync, self._write_fd)
            except OSError as e:
                # Nothing of the group is acknowledged: cut what reached the files (whole or torn
                # records) so the retry writes each record exactly once.
                self.m.spool_write_errors.inc()
                self._stuck.set(1)
                log.limited("error", "spool write failed; sources wait, retrying every second",
                            key=("write", e.errno), error=e.strerror or str(e), dir=str(self.dir))
                self._rewind(marks)
                self._queue = batch + self._queue
                if self._closed:
                    break
                await asyncio.sleep(1.0)
                continue
            self._stuck.set(0)
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
        """Loki accepted (or definitively refused) these head records: retire them, free their disk."""
        done = {r.seq for r in records}
        while self.records and self.records[0].seq in done:
            rec = self.records.popleft()
            self._retire(rec)
            self.acked_through = max(self.acked_through, rec.seq)
        self.inflight = 0
        # absorb dropped ranges that now touch the acked prefix
        while self.dropped and self.dropped[0][0] <= self.acked_through + 1:
            self.acked_through = max(self.acked_through, self.dropped.pop(0)[1])
        # Space first (a disk that is full needs it for the ack file's temp copy), then the ack file.
        await self.gc()
        async with self._ack_lock:
            await asyncio.to_thread(self._try_write_ack)
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

    def _try_write_ack(self) -> None:
        try:
            self._write_ack()
        except OSError as e:
            self.m.spool_write_errors.inc()
            log.limited("error", "cannot write the spool's ack file; retried with the next ack (after a crash "
                        "the records acked meanwhile are pushed again)", key=("ack", e.errno),
                        error=e.strerror or str(e), dir=str(self.dir))

    def _schedule_gc(self) -> None:
        if self._gc_task is None or self._gc_task.done():
            self._gc_task = asyncio.get_running_loop().create_task(self.gc(), name="spool-gc")

    async def gc(self) -> None:
        """Delete the segments whose records are all retired (sealing the current one when it is so),
        once the writer's checkpoints hold the acks stored in them."""
        last = self.segments[-1] if self.segments else None
        # The segment being written, all acked: sealed (and so deleted) once it holds RECLAIM_BYTES, or at
        # once when the disk is low; below that it goes on taking records (no new file per push).
        if last is not None and self._write_fd >= 0 and last.live <= 0 and not self._queue \
                and last.size > 0 and self._committer_idle() and (last.size >= RECLAIM_BYTES or self._disk_low()):
            self._seal()
        dead = [seg for i, seg in enumerate(self.segments)
                if seg.live <= 0 and not (i == len(self.segments) - 1 and self._write_fd >= 0)]
        if not dead:
            return
        if self.before_delete is not None:
            await self.before_delete(max(seg.max_ack for seg in dead))
        for seg in dead:
            seg.close()
            try:
                os.unlink(seg.path)
            except FileNotFoundError:
                pass
            except OSError as e:
                log.limited("error", "cannot delete a spool segment", segment=seg.path.name,
                            error=e.strerror or str(e))
                continue
            if seg in self.segments:
                self.segments.remove(seg)
        self._room.set()
        self._update_metrics()

    def _committer_idle(self) -> bool:
        return self._committer is None or self._committer.done()

    def _seal(self) -> None:
        """Stop writing to the current segment (the next record starts a new one), so it can go."""
        try:
            os.close(self._write_fd)
        except OSError:
            pass
        self._write_fd = -1

    def _update_metrics(self) -> None:
        m = self.m
        m.spool_bytes.set(self.live_bytes)
        m.spool_records.set(len(self.records))
        m.spool_disk_bytes.set(sum(s.size for s in self.segments))
        m.spool_oldest.set(self.records[0].created_ns / 1e9 if self.records else 0)

    async def aclose(self) -> None:
        """Stop: the group being written finishes (its appends return), the appends still waiting
        raise ``SinkClosed`` (their writers write again to the sink's next run)."""
        self._closed = True
        self._room.set()
        for task in (self._committer, self._gc_task):
            if task is not None and not task.done():
                try:
                    await asyncio.shield(task)
                except Exception as e:  # an error of its own is logged there; closing goes on
                    log.limited("error", "spool task failed while closing", error=f"{type(e).__name__}: {e}")
        for p in self._queue:
            if not p.future.done():
                p.future.set_exception(SinkClosed("spool closed"))
        self._queue = []
        self._queued_bytes = 0
        self.close()

    def close(self) -> None:
        """Close the files (``aclose`` first, when a loop runs)."""
        self._closed = True
        if self._write_fd >= 0:
            with contextlib.suppress(OSError):
                os.fsync(self._write_fd)
            with contextlib.suppress(OSError):
                os.close(self._write_fd)
            self._write_fd = -1
        for seg in self.segments:
            with contextlib.suppress(OSError):
                seg.close()


def _write_all(fd: int, parts: list[bytes]) -> None:
    """Write the parts in order (one writev, no joined copy, unless the kernel takes less)."""
    n = os.writev(fd, parts)
    total = sum(map(len, parts))
    if n < total:
        view = memoryview(b"".join(parts))[n:]
        while view:
            view = view[os.write(fd, view):]

