"""The console sink when nobody reads its output: the agent stays responsive, drops are counted."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return str(r.read().decode())


def sample(text: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def test_a_stdout_nobody_reads_never_blocks_the_agent(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    n = 60_000  # about 12 MiB: far more than a pipe (64 KiB) plus the sink's backlog (4 MiB)
    log.write_text("".join(f"line {i:08d} " + "x" * 180 + "\n" for i in range(n)))
    port = free_port()
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\nshutdown_grace = "5s"\n'
                   f'[server]\nlisten = "127.0.0.1:{port}"\n[logs.console]\n'
                   f'[[logs.sources]]\nname = "app"\npaths = ["{log}"]\n')
    with open(tmp_path / "stderr", "wb") as err, \
            subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(cfg)],
                             stdout=subprocess.PIPE, stderr=err) as proc:  # stdout: never read
        try:
            deadline = time.monotonic() + 60
            metrics = ""
            while time.monotonic() < deadline:
                assert proc.poll() is None, (tmp_path / "stderr").read_text()
                try:
                    metrics = scrape(port)  # the event loop answers although stdout is stuck
                except OSError:
                    time.sleep(0.2)
                    continue
                if sample(metrics, 'cflexagent_log_read_lines_total{source="app"}') >= n:
                    break
                time.sleep(0.2)
            assert sample(metrics, 'cflexagent_log_read_lines_total{source="app"}') == n
            assert sample(metrics, 'cflexagent_log_dropped_lines_total{reason="console_backlog"}') > 0
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0  # and it stops, still without anyone reading
        finally:
            if proc.poll() is None:
                proc.kill()
