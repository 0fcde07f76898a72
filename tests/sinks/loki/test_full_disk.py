"""The state directory's disk full, or the spool unusable: nothing is lost, nothing crash-loops (issue #11,
items 1 and 2).

The full disk is real: a small tmpfs mounted for the test (CI runs as root). Elsewhere, without root, the
tests skip; in CI (``CI`` set) they fail instead, so they can never silently not run there.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from cflexagent.sinks.loki.spool import RECLAIM_BYTES
from tests.conftest import LineWriter, eventually, loki_section, source_section
from tests.fakes.loki import LokiDouble

JSON = dict(format='"json"', labels='{ job = "cflex" }', timestamp_field='"ts"')


def jline(seq: int) -> bytes:
    t = time.time()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1e6) % 1_000_000:06d}Z"
    return orjson.dumps({"ts": ts, "level": "INFO", "seq": seq, "msg": "x" * 60}) + b"\n"


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str) -> Iterator[Path]:
    if os.geteuid() != 0:
        message = "mounting a tmpfs needs root"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI runs as root")
        pytest.skip(message)
    path.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path) -> Path:
    """Take every free byte of the file system of ``path`` with one file."""
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as e:
                    assert e.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


def seqs(loki: LokiDouble) -> list[int]:
    return [orjson.loads(e.line)["seq"] for _, e in loki.all_entries()]


async def test_a_full_state_disk_stops_reading_and_loses_nothing(tmp_path: Path, loki: LokiDouble,
                                                                 start_agent: Any) -> None:
    """2,000 lines/s while the state directory's disk is full for several seconds: the spool cannot write,
    the sources wait (their lag grows), the sink retries in place (no crash, no restart), and once the disk
    has room every line reaches Loki, once, in order."""
    logs = tmp_path / "logs"
    logs.mkdir()
    with small_tmpfs(tmp_path / "state", "8m") as state:
        a = await start_agent(loki_section(loki.url, spool_min_free_disk='"0%"')
                              + source_section("app", f"{logs}/*.log", **JSON), state)
        with LineWriter(logs / "app.log", jline) as w:
            await loki.wait_for(lambda: loki.accepted > 1000, 30)
            await loki.refuse()  # Loki away: the spool must hold the lines, and its disk is about to fill
            await asyncio.sleep(0.5)
            filler = fill(state)
            await eventually(lambda: a.value("cflexagent_log_spool_write_errors_total") >= 1, 30)
            await eventually(lambda: a.value("cflexagent_log_sink_stuck", {"sink": "loki"}) == 1, 30)
            await eventually(lambda: a.value("cflexagent_log_lag_bytes", {"source": "app"}) > 50_000, 30)
            await asyncio.sleep(3.0)  # stays full for a while
            filler.unlink()
            await loki.accept()
        total = w.total
        await loki.wait_for(lambda: loki.accepted >= total, 90)
        assert seqs(loki) == list(range(total))
        assert loki.replays == 0
        assert a.value("cflexagent_log_dropped_lines_total", {"reason": "spool_full"}) == 0
        assert a.value("cflexagent_component_restarts_total", {"component": "logs.sink.loki"}) == 0
        assert a.value("cflexagent_log_sink_stuck", {"sink": "loki"}) == 0
        # What Loki accepted does not stay on the small disk: at most the segment being written (< 1 MiB).
        await eventually(lambda: a.value("cflexagent_log_spool_disk_bytes") <= RECLAIM_BYTES, 30)


async def test_min_free_disk_blocks_an_empty_spool_and_says_so(tmp_path: Path, loki: LokiDouble,
                                                               start_agent: Any) -> None:
    """Below spool_min_free_disk the spool counts as full even when it holds nothing (another program took
    the disk): sources wait, spool_full says so, and they go on once there is room."""
    logs = tmp_path / "logs"
    logs.mkdir()
    with small_tmpfs(tmp_path / "state", "8m") as state:
        a = await start_agent(loki_section(loki.url, spool_min_free_disk='"50%"')
                              + source_section("app", f"{logs}/*.log", **JSON), state)
        (logs / "app.log").write_bytes(b"".join(jline(i) for i in range(100)))
        await loki.wait_for(lambda: loki.accepted >= 100, 30)
        await eventually(lambda: a.value("cflexagent_log_spool_bytes") == 0, 30)  # all acked
        hog = state / "other-program.data"
        hog.write_bytes(b"\0" * (6 * 1024 * 1024))  # 75 % of the disk used by someone else
        await asyncio.sleep(1.1)  # the spool looks at the free space at most once a second
        with open(logs / "app.log", "ab") as f:
            f.write(b"".join(jline(i) for i in range(100, 200)))
        await eventually(lambda: a.value("cflexagent_log_spool_full") == 1, 30)
        await asyncio.sleep(1.0)
        assert loki.accepted == 100
        assert a.value("cflexagent_log_sink_stuck", {"sink": "loki"}) == 1
        hog.unlink()
        await loki.wait_for(lambda: loki.accepted >= 200, 30)
        assert seqs(loki) == list(range(200))
        assert a.value("cflexagent_log_spool_full") == 0


async def test_a_sink_that_cannot_open_its_spool_holds_the_sources_back(tmp_path: Path, loki: LokiDouble,
                                                                        start_agent: Any) -> None:
    """The spool directory unusable at start (here: a file where it should be; out of descriptors or a
    read-only disk are the same): the sink retries in place and says so, the sources read nothing
    (no checkpoint moves past lines no sink took), and all lines ship once it works."""
    logs = tmp_path / "logs"
    logs.mkdir()
    state = tmp_path / "state"
    (state / "logs").mkdir(parents=True)
    (state / "logs" / "spool").write_text("not a directory")
    (logs / "app.log").write_bytes(b"".join(jline(i) for i in range(500)))
    a = await start_agent(loki_section(loki.url) + source_section("app", f"{logs}/*.log", **JSON), state)
    await eventually(lambda: a.value("cflexagent_log_sink_stuck", {"sink": "loki"}) == 1, 30)
    await asyncio.sleep(1.5)
    assert loki.accepted == 0
    assert a.value("cflexagent_log_read_lines_total", {"source": "app"}) == 0
    (state / "logs" / "spool").unlink()
    await loki.wait_for(lambda: loki.accepted >= 500, 60)
    assert seqs(loki) == list(range(500))
    assert a.value("cflexagent_component_restarts_total", {"component": "logs.sink.loki"}) == 0
