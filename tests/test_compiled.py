"""The per-line modules: the mypyc-compiled builds give exactly what the pure Python ones give.

``setup.py`` compiles the modules ``cflexagent/compiled.py`` lists with mypyc
(``pip install -e .``); ``compiled.select`` picks a compiled build only when it was
built from the current source. These tests check that choice and compare the two
implementations of the JSON parse loop and the Loki entry encoder on a corpus of
ordinary and malformed lines, and check the PushRequest bytes against the protobuf
decoder (redaction has its own parity test in ``tests/logs/transforms``).
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

from cflexagent import compiled as selection
from cflexagent.logs.config import JsonSource
from cflexagent.logs.parsers import jsonlines
from cflexagent.logs.parsers.json import shipped_fields_decoder
from cflexagent.logs.parsers.timestamps import SECOND_CACHE, timestamp_ns
from cflexagent.logs.transforms import names, redact
from cflexagent.sinks.loki import entries
from cflexagent.sinks.loki.protobuf import decode_push

ROOT = Path(__file__).resolve().parents[1]


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


def run(parse: ModuleType, lines: list[bytes], decode: Any = None, enc: ModuleType = entries) -> tuple[Any, ...]:
    SECOND_CACHE.clear()
    records, stamps, bad, fallback = parse.parse_json_lines(lines, 1_755_864_100 * 10**9, "ts", SECOND_CACHE,
                                                            timestamp_ns, decode or parse.decode_any)
    streams: dict[tuple[Any, ...], int] = {}

    def stream_for(key: tuple[Any, ...]) -> int:
        if len(streams) >= 4:
            return streams.setdefault(("__overflow__", "__overflow__"), len(streams))
        return streams.setdefault(key, len(streams))

    newest = [0] * 8
    meta = [enc.metadata_field(f) for f in ("request_id", "order_id")]
    encoded = enc.encode_entries(lines, records, stamps, ["service", "level"], 1, meta, streams, stream_for,
                                 newest, 30 * 10**9, 1_755_864_000 * 10**9 + 1, 1_755_866_000 * 10**9)
    return records, stamps, bad, fallback, encoded, streams, newest


def test_pure_modules_entries_decode_to_lines_timestamps_and_metadata() -> None:
    lines = corpus()
    records, stamps, bad, fallback, (bodies, n, old, new, behind), *_ = run(jsonlines, lines)
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
    src = JsonSource(name="app", paths=["/x"], label_fields=["service", "level"],
                     metadata_fields=["request_id", "order_id"], timestamp_field="ts")
    lines = [line if not line.startswith(b'{"') else
             line[:-1] + b',"msg":"not shipped","extra":{"k":[1,2.5,null]},"n":12345678901234567890123}'
             for line in corpus()]
    full = run(jsonlines, lines)
    part = run(jsonlines, lines, shipped_fields_decoder(src))
    assert part[1:] == full[1:]  # timestamps, counts, entries, streams
    assert part[0] != full[0] and all((p is None) == (f is None) for p, f in zip(part[0], full[0], strict=True))


def _stream(labels: bytes, body: bytes) -> bytes:
    from cflexagent.sinks.loki.protobuf import uvarint

    inner = b"\x0a" + uvarint(len(labels)) + labels + body
    return b"\x0a" + uvarint(len(inner)) + inner


def compiled(pure: ModuleType) -> ModuleType:
    mod = selection.compiled_module(pure)
    if mod is None:
        message = f"the mypyc build of {pure.__name__} is absent or stale (pip install -e .)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI installs the package, so the build must be there")
        pytest.skip(message)
    return mod


PURE = [jsonlines, entries, redact, names]


def test_compiled_modules_give_exactly_what_the_pure_ones_give() -> None:
    lines = corpus()
    assert run(compiled(jsonlines), lines, enc=compiled(entries)) == run(jsonlines, lines)


def test_a_hostile_line_gets_no_record_in_either_build() -> None:
    """A JSON object nested beyond the decoder's depth raises RecursionError, not DecodeError."""
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    for mod in (jsonlines, compiled(jsonlines)):
        records, stamps, bad, _ = mod.parse_json_lines([deep, b'{"ts":1}'], 7, "ts", {}, timestamp_ns,
                                                       mod.decode_any)
        assert records[0] is None and bad == 1 and stamps[0] == 7 and records[1] == {"ts": 1}


@pytest.mark.parametrize("pure", PURE, ids=[m.__name__.rpartition(".")[2] for m in PURE])
def test_compiled_module_is_used_only_when_current(monkeypatch: pytest.MonkeyPatch, pure: ModuleType) -> None:
    mod = compiled(pure)
    assert mod.SOURCE_SHA256 == selection.source_digest(pure)
    # A stale build (the source edited since) is ignored: its stamp no longer matches.
    monkeypatch.setattr(selection, "source_digest", lambda pure: "0" * 64)
    assert selection.compiled_module(pure) is None


def test_every_module_setup_compiles_is_selected_somewhere() -> None:
    assert sorted(m.__file__.removeprefix(str(ROOT) + "/") for m in PURE) == sorted(selection.SOURCES)  # type: ignore[union-attr]


def test_the_build_that_runs_is_on_metrics() -> None:
    from prometheus_client import CollectorRegistry

    from cflexagent.logs.metrics import LogMetrics
    from cflexagent.logs.parsers import json  # noqa: F401  (selects jsonlines)
    from cflexagent.sinks.loki import encode  # noqa: F401  (selects entries)

    for m in PURE:
        compiled(m)
    kind = "python" if os.environ.get("CFLEXAGENT_PURE_PYTHON") else "mypyc"
    reg = CollectorRegistry()
    LogMetrics(reg)
    from cflexagent.logs import transforms  # noqa: F401  (selects redact and names)

    for module in ("jsonlines", "entries", "redact", "names"):
        assert reg.get_sample_value("cflexagent_log_code_info", {"module": module, "build": kind}) == 1


def test_pure_python_can_be_forced() -> None:
    env = dict(os.environ, CFLEXAGENT_PURE_PYTHON="1")
    code = ("from cflexagent.logs.parsers import json as j, jsonlines; from cflexagent.logs import transforms as t; "
            "from cflexagent.logs.transforms import redact; from cflexagent.sinks.loki import encode as e, entries; "
            "from prometheus_client import CollectorRegistry; from cflexagent.logs.metrics import LogMetrics; "
            "g = CollectorRegistry(); LogMetrics(g); "
            "print(j.jsonlines is jsonlines, t.redaction is redact, e.entries is entries, "
            "g.get_sample_value('cflexagent_log_code_info', {'module': 'entries', 'build': 'python'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.stdout.split() == ["True", "True", "True", "1"], out.stderr
