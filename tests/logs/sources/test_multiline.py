"""Multiline events (``logs/sources/multiline.py``): the splitter's table tests, and tracebacks joined end to
end through the real agent and the Loki double."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cflexagent.logs.sources.multiline import MultilineSplitter
from tests.conftest import loki, loki_section, source_section, start_agent
from tests.fakes.loki import LokiDouble, by_stream

__all__ = ["loki", "start_agent"]


def test_multiline_python_traceback() -> None:
    sp = MultilineSplitter(re.compile(r"\d{4}-\d\d-\d\d "), max_lines=50)
    lines = [b"2026-11-26 10:00:00 ERROR boom", b"Traceback (most recent call last):", b'  File "x.py", line 1',
             b"ValueError: x", b"2026-11-26 10:00:01 INFO next", b"  continued"]
    events, held = sp.split(lines)
    assert events == [b"2026-11-26 10:00:00 ERROR boom\nTraceback (most recent call last):\n"
                      b'  File "x.py", line 1\nValueError: x']
    assert held == [b"2026-11-26 10:00:01 INFO next", b"  continued"]


def test_multiline_java_and_max_lines() -> None:
    sp = MultilineSplitter(re.compile(r"\S"), max_lines=3)
    lines = [b"java.lang.IllegalStateException: x", b"\tat a.B.c(B.java:1)", b"\tat a.B.d(B.java:2)",
             b"\tat a.B.e(B.java:3)", b"next"]
    events, held = sp.split(lines)
    assert events == [b"java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java:2)",
                      b"\tat a.B.e(B.java:3)"]
    assert held == [b"next"]


async def test_multiline_tracebacks_joined(tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    log = tmp_path / "worker.log"
    text = loki_section(loki.url) + source_section(
        "worker", str(log), multiline='{ start = "^\\\\d{4}-\\\\d\\\\d-\\\\d\\\\d ", flush_after = "300ms" }')
    log.write_text("2026-11-26 10:00:00 INFO start\n"
                   "2026-11-26 10:00:01 ERROR failed for budi@example.com\n"
                   "Traceback (most recent call last):\n"
                   '  File "w.py", line 3, in run\n'
                   "ValueError: bad\n")
    agent = await start_agent(text)
    # The traceback is the last event: it waits for flush_after, then ships whole.
    await loki.wait_for(lambda: loki.accepted >= 2, within=60)
    shipped = [x for v in by_stream(loki).values() for x in v]
    assert shipped == ["2026-11-26 10:00:00 INFO start",
                       "2026-11-26 10:00:01 ERROR failed for <redacted:email>\nTraceback (most recent call last):\n"
                       '  File "w.py", line 3, in run\nValueError: bad']
    with log.open("a") as f:
        f.write("2026-11-26 10:00:02 INFO next\n  continued\n2026-11-26 10:00:03 INFO last\n")
    await loki.wait_for(lambda: loki.accepted >= 4, within=60)
    shipped = [x for v in by_stream(loki).values() for x in v]
    assert shipped[2:] == ["2026-11-26 10:00:02 INFO next\n  continued", "2026-11-26 10:00:03 INFO last"]
    await agent.stop()
