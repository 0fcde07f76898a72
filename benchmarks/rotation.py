"""copytruncate benchmark: lines lost per truncation while a writer logs 2,000 lines/s.

    python benchmarks/rotation.py [--rate 2000] [--truncations 6] [--every 2.0]

What logrotate's ``copytruncate`` does, run the way it runs: a writer process
appends JSON lines (O_APPEND, 20 lines every 10 ms) without pause, and a
rotator copies the file and then truncates it, ``--truncations`` times,
``--every`` seconds apart, racing the writer like logrotate does. The agent
runs as its own process (one json source on ``app.log``, the copies outside
its glob) and ships to the Loki double in another process. Two modes:

- ``copy kept``: the copy stays next to the original (``app.log.1``, as with
  ``delaycompress``): the agent finds it and reads what it had not read yet;
- ``copy compressed at once``: the copy is gzipped and removed right away (no
  ``delaycompress``), so the lines written since the agent's last read are gone.

Printed per mode: lines written, lines that reached the double, lines lost in
all and per truncation. Lines written between the copy and the truncation are
lost in both modes (logrotate's own race, the same for every reader).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from logs import free_port, idle_cpu, stop_processes

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """
[agent]
state_dir = "{state}"
log_level = "warning"
[server]
listen = "127.0.0.1:{port}"
[logs.loki]
url = "http://127.0.0.1:{loki_port}/loki/api/v1/push"
check_ready = false
[[logs.sources]]
name = "app"
paths = ["{logs}/app.log"]
format = "json"
labels = {{ job = "cflex" }}
timestamp_field = "ts"
[logs.redact]
enabled = false
"""

WRITER = r"""
import os, sys, time
path, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
per_tick = max(1, rate // 100)
n = 0
start = time.monotonic()
while time.monotonic() - start < seconds:
    t = time.time()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % (int(t * 1e6) % 1000000)
    os.write(fd, b"".join(b'{"ts":"%s","level":"INFO","seq":%d}\n' % (ts.encode(), n + i) for i in range(per_tick)))
    n += per_tick
    time.sleep(max(0.0, start + n / rate - time.monotonic()))
print(n)
"""


def stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
        return dict(json.loads(r.read()))


def run(mode: str, a: argparse.Namespace, work: Path) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    logs = work / "logs"
    logs.mkdir(parents=True)
    double = subprocess.Popen([sys.executable, "-m", "tests.fakes.loki", "--port", "0", "--no-store"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    agent = writer = None
    try:
        assert double.stdout is not None
        loki_port = int(double.stdout.readline().split()[1])
        port = free_port()
        cfg = work / "agent.toml"
        cfg.write_text(CONFIG.format(state=work / "state", port=port, loki_port=loki_port, logs=logs))
        agent = subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(cfg)], cwd=ROOT)
        idle_cpu(agent.pid, f"http://127.0.0.1:{port}/metrics")
        path = logs / "app.log"
        seconds = a.every * (a.truncations + 1)
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(a.rate), str(seconds)],
                                  stdout=subprocess.PIPE, text=True)
        for i in range(a.truncations):
            time.sleep(a.every)
            copy = logs / f"app.log.{i + 1}"
            shutil.copyfile(path, copy)   # logrotate: copy ...
            os.truncate(path, 0)          # ... then truncate, while the writer goes on
            if mode == "compressed":
                with open(copy, "rb") as src, gzip.open(str(copy) + ".gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                copy.unlink()
        out, _ = writer.communicate(timeout=seconds + 60)
        written = int(out)
        deadline = time.monotonic() + 60
        got = 0
        while time.monotonic() < deadline:
            got = stats(loki_port)["accepted"]
            if got >= written:
                break
            time.sleep(0.5)
        time.sleep(2.0)  # whatever still comes
        s = stats(loki_port)
        return {"written": written, "got": s["accepted"], "replays": s.get("replays", 0)}
    finally:
        stop_processes(writer, agent, double)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=2000, help="lines per second the writer appends")
    ap.add_argument("--truncations", type=int, default=6)
    ap.add_argument("--every", type=float, default=2.0, help="seconds between truncations")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cflexagent-bench-rotation-"))
    try:
        print(f"copytruncate every {a.every:g} s while writing {a.rate:,} lines/s, {a.truncations} truncations")
        for mode, title in (("kept", "copy kept (delaycompress)"), ("compressed", "copy compressed at once")):
            r = run(mode, a, work / mode)
            lost = r["written"] - r["got"]
            print(f"{title:28s} written {r['written']:,}  shipped {r['got']:,}  lost {lost:,} "
                  f"({lost / a.truncations:.1f} per truncation; {lost / r['written']:.3%})  "
                  f"replays {r['replays']}", flush=True)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
