"""The logs hot path: the mypyc-compiled modules give exactly what the pure Python ones give.

``setup.py`` compiles ``cflexagent/logs/hotpath.py`` with mypyc (``pip install -e .``);
``accel.py`` picks the compiled copy only when it was built from the current source.
These tests check that choice and compare the two implementations on a corpus of
ordinary and malformed lines, and check the PushRequest bytes against the
protobuf decoder.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from cflexagent.logs import accel, hotpath, names, redact
from cflexagent.logs.config import SourceConfig
from cflexagent.logs.parse import _SECOND_CACHE, shipped_fields_decoder, timestamp_ns
from cflexagent.sinks.protobuf import decode_push

ROOT = Path(__file__).resolve().parents[2]


def corpus() -> list[bytes]:
    rnd = random.Random(3)
    lines = []
    for i in range(3000):
        rec: dict[str, Any] = {
            "ts": f"2025-08-22T12:{i // 600 % 60:02d}:{i // 10 % 60:02d}.{rnd.randrange(10**6):06d}Z",
            "level": rnd.choice(["INFO", "WARN", None, 3]), "service": rnd.choice(["api", "worker", "é"]),
            "request_id": f"req-{i:06x}", "order_id": rnd.choice([f"ORD-{i}", 17, None, "x" * 150])}
        if i % 7 == 0:
            del rec["service"]
        if i % 11 == 0:
            rec["ts"] = rnd.choice([1755864000, 1755864000123, 1755864000.25, "2025-08-22T19:00:00+07:00",
                                    "2025-08-22T12:00:00.12345¹Z", "2025-08-22T12:00:00Z", "garbage", None, True])
        if i % 13 == 0:
            rec["service"] = {"nested": [1, 2]}
        lines.append(orjson.dumps(rec))
    lines += [b"not json", b"[1,2]", b'"text"', b"{}", b'{"ts":"2025-08-22T12:00:00.123456789Z"}',
              orjson.dumps({"service": "big", "level": "INFO", "request_id": "r" * 20000})]
    return lines


def run(mod: ModuleType, lines: list[bytes], decode: Any = None) -> tuple[Any, ...]:
    _SECOND_CACHE.clear()
    records, stamps, bad, fallback = mod.parse_json_lines(lines, 1_755_864_100 * 10**9, "ts", _SECOND_CACHE,
                                                          timestamp_ns, decode or mod.decode_any)
    streams: dict[tuple[Any, ...], int] = {}

    def stream_for(key: tuple[Any, ...]) -> int:
        if len(streams) >= 4:
            return streams.setdefault(("__overflow__", "__overflow__"), len(streams))
        return streams.setdefault(key, len(streams))

    newest = [0] * 8
    meta = [mod.metadata_field(f) for f in ("request_id", "order_id")]
    encoded = mod.encode_entries(lines, records, stamps, ["service", "level"], 1, meta, streams, stream_for,
                                 newest, 30 * 10**9, 1_755_864_000 * 10**9 + 1, 1_755_866_000 * 10**9)
    return records, stamps, bad, fallback, encoded, streams, newest


def test_pure_hot_path_entries_decode_to_lines_timestamps_and_metadata() -> None:
    lines = corpus()
    records, stamps, bad, fallback, (bodies, n, old, new, behind), *_ = run(hotpath, lines)
    assert bad == 3 and fallback > 0 and old > 0 and behind > 0 and n == len(lines) - old - new - behind
    index = {line: i for i, line in enumerate(lines)}
    assert len(index) == len(lines)
    shipped = set()
    assert len({sid for sid, _ in bodies}) == len(bodies) > 1
    for _sid, body in bodies:
        [(_, entries)] = decode_push(_stream(b"abc", body))
        for ts, line, meta in entries:
            i = index[line]
            assert ts == stamps[i]
            rec = records[i] or {}
            want = [(k.encode(), v.encode() if isinstance(v, str) else orjson.dumps(v))
                    for k in ("request_id", "order_id") if (v := rec.get(k)) is not None]
            assert meta == want
            shipped.add(i)
    assert len(shipped) == n


def test_decoding_only_the_shipped_fields_ships_the_same_bytes() -> None:
    """Without transforms the parser decodes only labels, metadata and timestamp: same entries."""
    src = SourceConfig(name="app", paths=["/x"], format="json", label_fields=["service", "level"],
                       metadata_fields=["request_id", "order_id"], timestamp_field="ts")
    lines = [line if not line.startswith(b'{"') else
             line[:-1] + b',"msg":"not shipped","extra":{"k":[1,2.5,null]},"n":12345678901234567890123}'
             for line in corpus()]
    full = run(hotpath, lines)
    part = run(hotpath, lines, shipped_fields_decoder(src))
    assert part[1:] == full[1:]  # timestamps, counts, entries, streams
    assert part[0] != full[0] and all((p is None) == (f is None) for p, f in zip(part[0], full[0], strict=True))


def _stream(labels: bytes, body: bytes) -> bytes:
    from cflexagent.sinks.protobuf import uvarint

    inner = b"\x0a" + uvarint(len(labels)) + labels + body
    return b"\x0a" + uvarint(len(inner)) + inner


def compiled(pure: ModuleType = hotpath) -> ModuleType:
    mod = accel.compiled_module(pure)
    if mod is None:
        message = f"the mypyc build of {pure.__name__} is absent or stale (pip install -e .)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI installs the package, so the build must be there")
        pytest.skip(message)
    return mod


def test_compiled_hot_path_gives_exactly_what_the_pure_one_gives() -> None:
    mod = compiled()
    lines = corpus()
    assert run(mod, lines) == run(hotpath, lines)


@pytest.mark.parametrize("pure", [hotpath, redact, names], ids=["hotpath", "redact", "names"])
def test_compiled_module_is_used_only_when_current(monkeypatch: pytest.MonkeyPatch, pure: ModuleType) -> None:
    mod = compiled(pure)
    assert mod.SOURCE_SHA256 == accel.source_digest(pure)
    assert accel.IMPLEMENTATION == ("python" if os.environ.get("CFLEXAGENT_PURE_PYTHON") else "mypyc")
    # A stale build (the source edited since) is ignored: its stamp no longer matches.
    monkeypatch.setattr(accel, "source_digest", lambda pure: "0" * 64)
    assert accel.compiled_module(pure) is None


def test_the_build_that_runs_is_on_metrics() -> None:
    from prometheus_client import CollectorRegistry

    from cflexagent.logs.metrics import LogMetrics

    compiled(hotpath), compiled(redact), compiled(names)
    kind = "python" if os.environ.get("CFLEXAGENT_PURE_PYTHON") else "mypyc"
    reg = CollectorRegistry()
    LogMetrics(reg)
    assert reg.get_sample_value("cflexagent_log_code_info", {"hotpath": kind, "redact": kind, "names": kind}) == 1


def test_pure_python_can_be_forced() -> None:
    env = dict(os.environ, CFLEXAGENT_PURE_PYTHON="1")
    code = ("import cflexagent.logs.accel as a, cflexagent.logs.hotpath as h, cflexagent.logs.redact as r; "
            "from prometheus_client import CollectorRegistry; from cflexagent.logs.metrics import LogMetrics; "
            "g = CollectorRegistry(); LogMetrics(g); "
            "print(a.IMPLEMENTATION, a.hot is h, a.redaction is r, "
            "g.get_sample_value('cflexagent_log_code_info', {'hotpath': 'python', 'redact': 'python', "
            "'names': 'python'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.stdout.split() == ["python", "True", "True", "1.0"], out.stderr
