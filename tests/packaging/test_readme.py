"""The README's two set-up commands, run the way the README writes them.

CI runs the second one (``.ci/run``); this test runs the first one, the demo, as written (plus a free port),
through the same virtualenv the tests run in.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port, wait_http

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Try it \(two commands\).*?```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no 'Try it (two commands)' block"
    return [line for line in block[1].splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_readme_has_two_commands_and_ci_runs_the_second() -> None:
    demo, tests = readme_commands()
    assert demo == "bash packaging/dev.sh demo" and tests == "bash packaging/dev.sh test"
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines()


def test_the_demo_command_as_written_runs_the_demo(tmp_path: Path) -> None:
    demo, _ = readme_commands()
    port = free_port()
    env = {**os.environ, "CFLEXAGENT_VENV": sys.prefix, "CFLEXAGENT_DEMO_DIR": str(tmp_path / "demo")}
    with subprocess.Popen([*demo.split(), "--listen", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            metrics = wait_http(f"http://127.0.0.1:{port}/metrics", proc, timeout=120).decode()
            assert "cflexagent_build_info" in metrics and "cflexagent_probe_up" in metrics
            index = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
            assert "/api/probes" in index
            assert proc.stdout is not None
            shipped = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any("<redacted:" in x for x in shipped):
                shipped.append(proc.stdout.readline().decode())  # entries printed as they would ship
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert any('{job="cflex-demo"' in x and "<redacted:" in x for x in shipped), shipped[-3:]
