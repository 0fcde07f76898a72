"""The JSON parser and timestamps: lines -> LogBatch."""

from __future__ import annotations

import pytest

from cflexagent.logs.batch import LogBatch
from cflexagent.logs.parsers.timestamps import rfc3339_ns
from tests.sinks.loki.test_encode import make


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


def test_log_batch_is_the_stage_contract() -> None:
    p, _, _ = make()
    b = p.parse([b'{"level":"INFO"}'], 5)
    assert isinstance(b, LogBatch) and b.json_lines and b.records == [{"level": "INFO"}]
