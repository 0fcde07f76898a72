"""The spool when the disk refuses a write: nothing torn or doubled on disk, the byte accounting exact."""

from __future__ import annotations

import asyncio
import fcntl
import os
import resource
import signal
import time
import zlib
from pathlib import Path
from typing import Any

import cramjam
import orjson
import pytest
from prometheus_client import CollectorRegistry

from cflexagent.logs.metrics import LogMetrics
from cflexagent.sinks.loki.spool import FLAG_SNAPPY, HEADER, MAGIC, Spool
from tests.conftest import eventually

META = {"source": "app", "lines": 1, "positions": []}


def record_size(payload: bytes) -> int:
    import orjson

    return HEADER.size + len(orjson.dumps(META)) + len(payload)


async def test_a_failed_group_write_is_cut_back_and_written_once(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    s = Spool(tmp_path / "spool", 10**7, 0.0, "block", LogMetrics(registry))
    s.open()
    payloads = [bytes([65 + i]) * 1000 for i in range(4)]
    assert await s.append(payloads[0], META, 1) == 1
    seg = s.segments[-1].path
    before = seg.stat().st_size
    # The kernel refuses to grow files past one more record and a half: the group of three
    # below writes record 2 whole, record 3 in part, then fails with EFBIG (as ENOSPC would).
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (before + record_size(payloads[1]) + 500, old_limit[1]))
    try:
        group = [asyncio.create_task(s.append(p, META, 1)) for p in payloads[1:]]
        await eventually(lambda: registry.get_sample_value("cflexagent_log_spool_write_errors_total") == 1,
                         within=30)
        assert not any(t.done() for t in group)  # nothing acknowledged while it is not on disk
        assert seg.stat().st_size == before      # cut back: no torn record 3, no first copy of record 2
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert await asyncio.wait_for(asyncio.gather(*group), 30) == [2, 3, 4]  # the retry, a second later
    total = sum(record_size(p) for p in payloads)
    assert s._queued_bytes == 0 and s.live_bytes == total
    assert registry.get_sample_value("cflexagent_log_spool_bytes") == total
    assert seg.stat().st_size == total
    s.close()

    again = Spool(tmp_path / "spool", 10**7, 0.0, "block", LogMetrics(CollectorRegistry()))
    again.open()
    assert [r.seq for r in again.records] == [1, 2, 3, 4]
    assert [again.read_payload(r) for r in again.records] == payloads
    again.close()


async def test_spool_recovers_skips_corrupt_and_cuts_torn_tail(tmp_path: Path) -> None:
    m = LogMetrics(CollectorRegistry())
    d = tmp_path / "spool"
    s = Spool(d, 10**7, 0.0, "block", m)
    s.open()
    seqs = [await s.append(b"payload-%d" % i, {"source": "app", "lines": 1, "positions": []}, 1) for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    await s.ack(s.take(len(b"payload-0")))  # Loki accepted record 1
    s.close()
    seg = sorted(d.glob("seg-*.spool"))[0]
    data = bytearray(seg.read_bytes())
    third = data.find(b"payload-2")
    data[third] ^= 0xFF                     # corrupt record 3
    seg.write_bytes(bytes(data) + b"CFSP\x01torn")  # and a torn record at the end
    s2 = Spool(d, 10**7, 0.0, "block", m)
    metas = s2.open()
    assert [r.seq for r in s2.records] == [2, 4, 5]
    assert [st["id"] for st in metas] == [1, 2, 4, 5]  # version-1-style meta: the seq is the ack id
    assert m.spool_corrupt._value.get() == 2
    assert s2.read_payload(s2.records[0]) == b"payload-1"
    assert await s2.append(b"next", {"lines": 1}, 1) == 6
    s2.close()


def version_1_record(seq: int, payload: bytes, meta: dict[str, object]) -> bytes:
    """A record as the agent wrote it before records carried flags (uncompressed payload)."""
    meta_b = orjson.dumps(meta)
    crc = zlib.crc32(payload, zlib.crc32(meta_b))
    return HEADER.pack(MAGIC, 1, 0, 0, len(meta_b), len(payload), crc, seq, time.time_ns()) + meta_b + payload


async def test_spool_compressed_records_memory_cache_and_version_1_records(tmp_path: Path) -> None:
    d = tmp_path / "spool"
    d.mkdir()
    (d / f"seg-{1:016d}.spool").write_bytes(version_1_record(1, b"old-raw", {"source": "app", "lines": 2}))
    m = LogMetrics(CollectorRegistry())
    s = Spool(d, 10**7, 0.0, "block", m, cache_bytes=100)
    s.open()
    old = s.records[0]
    assert (old.seq, old.flags, old.raw_len, old.lines) == (1, 0, 7, 2)
    assert s.read_payload(old) == b"old-raw"
    raw = b"entry " * 50
    packed = bytes(cramjam.snappy.compress_raw(raw))
    assert await s.append(packed, {"source": "app", "lines": 3}, 3, flags=FLAG_SNAPPY, raw_len=len(raw)) == 2
    assert await s.append(b"y" * 200, {"lines": 1}, 1) == 3
    new, big = s.records[1], s.records[2]
    assert new.data == packed and big.data is None   # the second one is over the cache bound
    assert s.read_payload(big) == b"y" * 200          # read back from disk, CRC checked
    assert s.take(len(raw) + 7) == [old, new]         # the batch bound counts uncompressed bytes
    s.close()
    again = Spool(d, 10**7, 0.0, "block", m)
    again.open()
    rec = again.records[1]
    assert (rec.flags, rec.raw_len, rec.lines, rec.data) == (FLAG_SNAPPY, len(raw), 3, None)
    assert bytes(cramjam.snappy.decompress_raw(again.read_payload(rec))) == raw
    await again.ack(again.take(10**6))
    assert again._cached == 0 and not again.records
    again.close()


async def test_spool_bound_block_and_drop_oldest(tmp_path: Path) -> None:
    m = LogMetrics(CollectorRegistry())
    s = Spool(tmp_path / "a", 2000, 0.0, "block", m)
    s.open()
    big = b"x" * 600
    for _ in range(3):
        await s.append(big, {}, 10)
    blocked = asyncio.create_task(s.append(big, {}, 10))
    await asyncio.sleep(0.2)
    assert not blocked.done()              # full: the writer waits
    await s.ack(s.take(1))
    assert await asyncio.wait_for(blocked, 5) == 4
    s.close()

    d = Spool(tmp_path / "b", 2000, 0.0, "drop_oldest", m)
    d.open()
    for _ in range(3):
        await d.append(big, {}, 10)
    inflight = d.take(1)                   # record 1 is being pushed: it is not dropped
    assert await d.append(big, {}, 10) == 4
    assert [r.seq for r in d.records] == [1, 3, 4]
    assert m.dropped_lines.labels("spool_full")._value.get() == 10
    await d.ack(inflight)
    d.close()
    again = Spool(tmp_path / "b", 2000, 0.0, "drop_oldest", m)
    again.open()
    assert [r.seq for r in again.records] == [3, 4]
    again.close()


def test_disk_low_counts_as_full(tmp_path: Path) -> None:
    s = Spool(tmp_path, 10**9, 1.0, "block", LogMetrics(CollectorRegistry()))
    assert s._full(1)
    s2 = Spool(tmp_path, 10**9, 0.0, "block", LogMetrics(CollectorRegistry()))
    assert not s2._full(1)
    assert os.path.isdir(tmp_path)


async def test_an_acked_segment_is_deleted_once_it_holds_a_megabyte(tmp_path: Path) -> None:
    """The segment being written is deleted when all of it is acked and it holds RECLAIM_BYTES (a smaller
    one goes on taking records: no new file per push); older, full segments go as soon as they are acked."""
    from cflexagent.sinks.loki.spool import RECLAIM_BYTES

    s = Spool(tmp_path / "spool", 10**8, 0.0, "block", LogMetrics(CollectorRegistry()))
    s.open()
    await s.append(b"x" * 1000, META, 1)
    await s.ack(s.take(10**6))
    assert [p.name for p in (tmp_path / "spool").glob("seg-*")] == ["seg-0000000000000001.spool"]
    for _ in range(RECLAIM_BYTES // 50_000 + 1):
        await s.append(b"y" * 50_000, META, 1)
    await s.ack(s.take(10**8))
    assert not list((tmp_path / "spool").glob("seg-*")) and s.live_bytes == 0
    assert await s.append(b"z", META, 1) > 0  # a new segment for the next record
    assert len(list((tmp_path / "spool").glob("seg-*"))) == 1
    s.close()


async def test_a_group_that_starts_a_new_segment_fsyncs_only_open_files(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The segment a group filled is fsynced and closed when the next one starts; the group's final fsync
    must not touch its closed descriptor. In the agent another thread often takes the freed number
    first (the alert outbox, a checkpoint), so the new segment gets another one: a false write error."""
    real_open = os.open
    numbers = iter(range(200, 300))

    def open_elsewhere(path: str | os.PathLike[str], flags: int, mode: int = 0o777, **kw: Any) -> int:
        fd = real_open(path, flags, mode, **kw)
        if str(path).endswith(".spool") and flags & os.O_WRONLY:
            moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, next(numbers))  # the freed number stays free
            os.close(fd)
            return moved
        return fd

    monkeypatch.setattr(os, "open", open_elsewhere)
    registry = CollectorRegistry()
    s = Spool(tmp_path / "spool", 10**7, 0.0, "block", LogMetrics(registry), segment_bytes=2500)
    s.open()
    assert await s.append(b"a" * 1000, META, 1) == 1
    # One group of four (queued while nothing commits): it fills the first segment and starts two more.
    seqs = await asyncio.wait_for(asyncio.gather(*(s.append(bytes([66 + i]) * 1000, META, 1) for i in range(4))), 10)
    assert seqs == [2, 3, 4, 5]
    assert registry.get_sample_value("cflexagent_log_spool_write_errors_total") == 0
    assert len(s.segments) == 3
    s.close()
