"""The spool when the disk refuses a write: nothing torn or doubled on disk, the byte accounting exact."""

from __future__ import annotations

import asyncio
import resource
import signal
from pathlib import Path

from prometheus_client import CollectorRegistry

from cflexagent.logs.metrics import LogMetrics
from cflexagent.sinks.spool import HEADER, Spool
from tests.logs.conftest import eventually

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
