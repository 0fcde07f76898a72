"""The Loki double against byte-level fixtures of Loki's push protocol, and its rules."""

from __future__ import annotations

import gzip
import time

import aiohttp
import cramjam
import orjson
import pytest

from tests.fakes.loki import LokiDouble, decode_push_request, parse_label_string

#: logproto.PushRequest written out by hand from push.proto: one stream {job="cflex"}, one entry at
#: 1755864000.5 s (Timestamp seconds=1 varint c0b7a1c506, nanos=2 varint 80cab5ee01), line "hello",
#: structured metadata request_id=req-1.
FIXTURE = bytes.fromhex(
    "0a3b"                              # PushRequest.streams (field 1, len 59)
    "0a0d" "7b6a6f623d2263666c6578227d"  # StreamAdapter.labels (field 1): {job="cflex"}
    "122a"                              # StreamAdapter.entries (field 2, len 42)
    "0a0c" "08c0b7a1c506" "1080cab5ee01"  # EntryAdapter.timestamp (field 1): seconds, nanos
    "1205" "68656c6c6f"                 # EntryAdapter.line (field 2): hello
    "1a13" "0a0a726571756573745f6964" "12057265712d31"  # structuredMetadata (field 3): name, value
)
FIXTURE_TS = 1755864000_500000000


def test_decodes_the_protobuf_fixture() -> None:
    assert decode_push_request(FIXTURE) == [('{job="cflex"}', [(FIXTURE_TS, "hello", {"request_id": "req-1"})])]


def test_label_parser_is_strict() -> None:
    assert parse_label_string('{a="x", b="y \\"q\\""}') == (("a", "x"), ("b", 'y "q"'))
    for bad in ("a=1", '{a=x}', '{1a="x"}', '{a="x" b="y"}', '{a="x}'):
        with pytest.raises(ValueError):
            parse_label_string(bad)


@pytest.fixture
async def loki():
    d = LokiDouble()
    await d.start()
    yield d
    await d.stop()


async def post(d: LokiDouble, body: bytes, ctype: str = "application/x-protobuf", **headers: str):
    async with aiohttp.ClientSession() as s, s.post(d.url, data=body,
                                                    headers={"Content-Type": ctype, **headers}) as r:
        return r.status, await r.text()


def now_fixture(ts_ns: int, line: bytes = b"hello", labels: bytes = b'{job="cflex"}') -> bytes:
    """FIXTURE with a different timestamp / line / labels, still encoded by hand."""
    def v(n: int) -> bytes:
        out = bytearray()
        while n > 0x7F:
            out.append(n & 0x7F | 0x80)
            n >>= 7
        out.append(n)
        return bytes(out)

    sec, nanos = divmod(ts_ns, 10**9)
    tsm = b"\x08" + v(sec) + b"\x10" + v(nanos)
    entry = b"\x0a" + v(len(tsm)) + tsm + b"\x12" + v(len(line)) + line
    stream = b"\x0a" + v(len(labels)) + labels + b"\x12" + v(len(entry)) + entry
    return b"\x0a" + v(len(stream)) + stream


async def test_push_protobuf_snappy_and_replay(loki: LokiDouble) -> None:
    ts = time.time_ns()
    body = bytes(cramjam.snappy.compress_raw(now_fixture(ts)))
    assert (await post(loki, body))[0] == 204
    assert (await post(loki, body))[0] == 204      # Loki answers 204 to a replay and keeps one copy
    assert loki.accepted == 1 and loki.replays == 1
    assert loki.lines() == ["hello"]


async def test_push_json_and_gzip(loki: LokiDouble) -> None:
    ts = str(time.time_ns())
    doc = {"streams": [{"stream": {"job": "cflex"}, "values": [[ts, "a"], [ts, "b", {"request_id": "r1"}]]}]}
    assert (await post(loki, orjson.dumps(doc), "application/json"))[0] == 204
    assert (await post(loki, gzip.compress(orjson.dumps(doc)), "application/json",
                       **{"Content-Encoding": "gzip"}))[0] == 204
    assert loki.accepted == 2 and loki.replays == 2
    entries = sorted((e.line, e.meta) for _, e in loki.all_entries())
    assert entries == [("a", {}), ("b", {"request_id": "r1"})]


async def test_validation_answers_like_loki(loki: LokiDouble) -> None:
    now = time.time_ns()
    status, text = await post(loki, bytes(cramjam.snappy.compress_raw(now_fixture(now, b"x" * (256 * 1024 + 1)))))
    assert status == 400 and "max entry size" in text
    status, text = await post(loki, bytes(cramjam.snappy.compress_raw(now_fixture(now - 8 * 86400 * 10**9))))
    assert status == 400 and "timestamp too old" in text
    status, text = await post(loki, bytes(cramjam.snappy.compress_raw(now_fixture(now, labels=b"{job=cflex}"))))
    assert status == 400 and "error parsing labels" in text
    many = ("{" + ", ".join(f'l{i}="v"' for i in range(16)) + "}").encode()
    status, text = await post(loki, bytes(cramjam.snappy.compress_raw(now_fixture(now, labels=many))))
    assert status == 400 and "label names; limit 15" in text
    # partial acceptance: the valid entry of a mixed request is stored although the answer is 400
    mixed = now_fixture(now, b"good") + now_fixture(now, b"y" * (300 * 1024))
    status, _ = await post(loki, bytes(cramjam.snappy.compress_raw(mixed)))
    assert status == 400 and loki.lines() == ["good"]
    assert loki.rejected["line_too_long"] == 2 and loki.rejected["greater_than_max_sample_age"] == 1


async def test_faults_and_rate_limit(loki: LokiDouble) -> None:
    body = bytes(cramjam.snappy.compress_raw(now_fixture(time.time_ns())))
    loki.set_mode("503")
    assert (await post(loki, body))[0] == 503
    loki.set_mode("429")
    status, text = await post(loki, body)
    assert status == 429 and "rate limit" in text
    loki.set_mode("ok")
    loki.partial_next = 0
    assert (await post(loki, body))[0] == 500
    loki.fail_next.append((400, "scripted"))
    assert (await post(loki, body))[0] == 400
    loki.set_mode("drop")
    with pytest.raises(aiohttp.ClientError):
        await post(loki, body)
    loki.set_mode("ok")
    await loki.refuse()
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(loki, body)
    await loki.accept()
    assert (await post(loki, body))[0] == 204
    loki.rate_limit = 10
    status, text = await post(loki, bytes(cramjam.snappy.compress_raw(now_fixture(time.time_ns(), b"z" * 100))))
    assert status == 429 and "Ingestion rate limit exceeded" in text
