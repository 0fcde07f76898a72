"""kill -9 the real agent process while it ships 200,000 lines; restart it; repeat.

Every line must arrive; a line sent twice must be byte-identical (same stream, timestamp
and line, so the double, like Loki, keeps one copy and counts a replay), and replays are
bounded by what one unacknowledged push can hold per crash. The source is ``raw``: every
timestamp is the read time, the case where a re-read after a crash would betray itself.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

from tests.conftest import free_port, loki_section, source_section
from tests.fakes.loki import LokiDouble

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 200_000
KILLS = 6
BATCH = 256 * 1024


async def spawn(cfg: Path, out: Path) -> asyncio.subprocess.Process:
    fh = open(out, "ab")  # handed to the child
    try:
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "cflexagent", "run", "-c", str(cfg),
                                                    cwd=ROOT, stdout=fh, stderr=fh)
    finally:
        fh.close()


async def wait_listening(port: int) -> None:
    for _ in range(600):
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError("agent never listened")


async def test_kill_9_at_random_moments_loses_nothing_and_replays_identically(tmp_path: Path) -> None:
    loki = LokiDouble()
    await loki.start()
    logs = tmp_path / "logs"
    logs.mkdir()
    cfg = tmp_path / "agent.toml"
    port = free_port()
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\nlog_level = "warning"\n'
                   f'[server]\nlisten = "127.0.0.1:{port}"\n'
                   + loki_section(loki.url, batch_max_bytes=f'"{BATCH // 1024}KiB"', spool_max_bytes='"64MiB"')
                   + source_section("app", f"{logs}/app.log", labels='{ job = "crash" }',
                                    read_chunk='"64KiB"'))
    done = threading.Event()

    def writer() -> None:
        with open(logs / "app.log", "ab", buffering=0) as f:
            for start in range(0, TOTAL, 2000):
                f.write(b"".join(b"line-%06d %s\n" % (i, b"x" * (i % 40)) for i in range(start, start + 2000)))
                time.sleep(0.05)
        done.set()

    rnd = random.Random(int(os.environ.get("CRASH_SEED", "0")) or None)
    w = threading.Thread(target=writer)
    w.start()
    agent_log = tmp_path / "agent.out"
    proc = None
    try:
        for _ in range(KILLS):
            proc = await spawn(cfg, agent_log)
            before = loki.accepted
            # a random moment after it started shipping again
            await loki.wait_for(lambda b=before: loki.accepted > b or loki.accepted >= TOTAL, 60)
            await asyncio.sleep(rnd.uniform(0.05, 1.0))
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        proc = await spawn(cfg, agent_log)
        await asyncio.to_thread(w.join)
        await loki.wait_for(lambda: loki.accepted >= TOTAL, 180)
        await wait_listening(port)  # SIGTERM once its handlers are installed: a clean stop
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
        await loki.stop()
    lines = loki.lines()
    assert len(lines) == TOTAL, agent_log.read_text()[-3000:]             # no line stored twice with a new timestamp
    assert sorted(lines) == [f"line-{i:06d} {'x' * (i % 40)}" for i in range(TOTAL)]  # every line arrived
    # byte-identical replays: only what one unacknowledged push (<= batch_max_bytes) holds, per crash
    min_entry = len("line-000000 ") + 20
    print(f"kill -9 x{KILLS}: {TOTAL} lines, {loki.replays} byte-identical replays, "
          f"{loki.requests} push requests")
    assert loki.replays <= KILLS * (BATCH // min_entry + 1)
