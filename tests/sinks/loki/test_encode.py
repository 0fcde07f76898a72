"""The Loki sink's encoding: protobuf wire format, streams, labels, metadata and Loki's bounds."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry

from cflexagent.logs.config import JsonSource
from cflexagent.logs.metrics import LogMetrics
from cflexagent.logs.parsers.json import JSONParser
from cflexagent.sinks.loki.config import LokiConfig
from cflexagent.sinks.loki.encode import StreamEncoder
from cflexagent.sinks.loki.protobuf import decode_push, push_to_json, uvarint
from tests.fakes.loki import encode_entry, encode_stream
from tests.fakes.test_loki import FIXTURE, FIXTURE_TS


def test_protobuf_decoder_and_the_test_encoder_agree_with_the_hand_written_fixture() -> None:
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
    src = JsonSource(name="app", paths=["/x/*.log"], labels={"job": "cflex"},
                     label_fields=["service", "level"], metadata_fields=meta or ["request_id"],
                     timestamp_field="ts", **kw)  # type: ignore[arg-type]
    return JSONParser(src, m), StreamEncoder(src, LokiConfig(), m), m


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
    e.add(batch, now)
    out = e.finish()
    payload, n = out.data, out.lines
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
