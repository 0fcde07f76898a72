"""Pure pieces of the logs pipeline: timestamps, protobuf, streams, checkpoint and spool files."""

from __future__ import annotations

import asyncio
import os
import time
import zlib
from pathlib import Path

import cramjam
import orjson
import pytest
from prometheus_client import CollectorRegistry

from cflexagent.logs.checkpoint import CheckpointStore, FilePos
from cflexagent.logs.config import LokiSink, SourceConfig
from cflexagent.logs.metrics import LogMetrics
from cflexagent.logs.parse import JSONParser, ParsedBatch, rfc3339_ns
from cflexagent.logs.streams import StreamEncoder
from cflexagent.sinks.protobuf import decode_push, encode_entry, encode_stream, push_to_json, uvarint
from cflexagent.sinks.spool import FLAG_SNAPPY, HEADER, MAGIC, Spool
from tests.fakes.test_loki import FIXTURE, FIXTURE_TS


@pytest.mark.parametrize("text,ns", [
    ("2025-08-22T12:00:00Z", 1755864000 * 10**9),
    ("2025-08-22T12:00:00.5Z", 1755864000_500000000),
    ("2025-08-22T12:00:00.123456Z", 1755864000_123456000),
    ("2025-08-22T12:00:00.123456789Z", 1755864000_123456789),
    ("2025-08-22t12:00:00z", 1755864000 * 10**9),
    ("2025-08-22 12:00:00Z", 1755864000 * 10**9),
    ("2025-08-22T19:00:00+07:00", 1755864000 * 10**9),
    ("2025-08-22T10:30:00.25-0130", 1755864000_250000000),
    ("2025-08-22T12:00:00", None), ("2025-13-22T12:00:00Z", None), ("2025-08-22T12:00:0xZ", None),
    ("2025-08-22T12:00:00.Z", None), ("2025-08-22T12:00:00.1²Z", None), ("not a time at all, no", None), ("", None),
])
def test_rfc3339(text: str, ns: int | None) -> None:
    assert rfc3339_ns(text) == ns
    assert rfc3339_ns(text) == ns  # second call goes through the caches


def test_protobuf_encoder_matches_the_hand_written_fixture() -> None:
    entry = encode_entry(FIXTURE_TS, b"hello", [(b"request_id", b"req-1")])
    assert encode_stream(b'{job="cflex"}', [entry]) == FIXTURE
    assert decode_push(FIXTURE) == [(b'{job="cflex"}', [(FIXTURE_TS, b"hello", [(b"request_id", b"req-1")])])]
    assert b'"values":[["1755864000500000000","hello",{"request_id":"req-1"}]]' in push_to_json(FIXTURE)
    for n in (0, 1, 127, 128, 16383, 16384, 2**28 - 1, 2**28, 2**35, 2**42 + 5, 2**63):
        v, shift, out = n, 0, 0
        for b in uvarint(n):
            out |= (b & 0x7F) << shift
            shift += 7
        assert out == v


def make(meta: list[str] | None = None, **kw: object) -> tuple[JSONParser, StreamEncoder, LogMetrics]:
    m = LogMetrics(CollectorRegistry())
    src = SourceConfig(name="app", paths=["/x/*.log"], format="json", labels={"job": "cflex"},
                       label_fields=["service", "level"], metadata_fields=meta or ["request_id"],
                       timestamp_field="ts", **kw)  # type: ignore[arg-type]
    return JSONParser(src, m), StreamEncoder(src, LokiSink(), m), m


def test_streams_labels_metadata_and_bounds() -> None:
    p, e, m = make(max_streams=4, label_value_max_bytes=8)
    now = time.time_ns()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000001Z"
    lines = [
        b'{"ts":"%s","level":"INFO","service":"api","request_id":"req-1"}' % ts.encode(),
        b"not json at all",
        b'{"ts":"%s","level":"INFO","service":"a-very-long-service-name"}' % ts.encode(),
        b'{"ts":"%s","level":"WARN","service":"x"}' % ts.encode(),
        b'{"ts":"%s","level":"ERROR","service":"y"}' % ts.encode(),   # 5th label set: overflow stream
        b'{"ts":"2001-01-01T00:00:00Z","level":"INFO","service":"api"}',  # older than 7 days
        b'{"level":"INFO","service":"api","request_id":42}',          # no ts: read time
    ]
    batch = p.parse(lines, now)
    assert batch.records[1] is None and batch.timestamps[1] == now + 1 and batch.timestamps[6] == now + 6
    payload, n = e.encode(batch, now)
    streams = {lab.decode(): [(t, line, meta) for t, line, meta in ents] for lab, ents in decode_push(payload)}
    assert n == 6
    assert streams['{job="cflex", level="INFO", service="api"}'][0][2] == [(b"request_id", b"req-1")]
    assert streams['{job="cflex", level="INFO", service="api"}'][1][2] == [(b"request_id", b"42")]
    assert streams['{job="cflex", level="unknown"}'][0][1] == b"not json at all"
    assert '{job="cflex", level="INFO", service="a-very-l"}' in streams
    assert '{job="cflex", level="__overflow__", service="__overflow__"}' in streams
    val = m.dropped_lines.labels("greater_than_max_sample_age")._value.get()
    assert val == 1
    assert m.unparsed_lines.labels("app")._value.get() == 1
    assert m.timestamp_fallback.labels("app")._value.get() == 1
    assert m.stream_overflow.labels("app")._value.get() == 1


def test_checkpoint_file_is_atomic_versioned_and_survives_corruption(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.json"
    cps = CheckpointStore(path)
    cps.update("app", [FilePos(1, 2, 300, 256, 99, "/x/a.log")], seq=7)
    cps.persist_sync()
    again = CheckpointStore(path)
    assert again.get("app")["1:2"].offset == 300 and again.persisted_seq == 7
    assert b'"version":1' in path.read_bytes()
    # newer positions carried by spool records win over the file
    again.apply_spool([(8, {"source": "app", "positions": [[1, 2, 500, 256, 99, "/x/a.log", 0.0, False]]}),
                       (5, {"source": "app", "positions": [[1, 2, 100, 256, 99, "/x/a.log", 0.0, False]]})])
    assert again.get("app")["1:2"].offset == 500
    path.write_bytes(b"\x00" * 64)  # the Promtail positions-file failure mode
    broken = CheckpointStore(path)
    assert broken.get("app") == {} and (tmp_path / "checkpoints.json.corrupt").exists()


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
    assert [seq for seq, _ in metas] == [1, 2, 4, 5]
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


def test_parsed_batch_is_the_transform_seam() -> None:
    p, _, _ = make()
    b = p.parse([b'{"level":"INFO"}'], 5)
    assert isinstance(b, ParsedBatch) and b.json_lines and b.records == [{"level": "INFO"}]
