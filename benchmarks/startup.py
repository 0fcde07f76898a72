"""Foundation figures: one-file binary size, start-to-/metrics time, idle RSS, CPU per /metrics scrape.

    python benchmarks/startup.py [--binary dist/cflexagent] [--runs 5] [--scrapes 500]

Builds the binary with packaging/build.sh when it is missing. Targets: start to
/metrics < 1.5 s, size < 40 MB, idle RSS < 60 MiB on the example config.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def config(tmp: Path, port: int) -> Path:
    text = (ROOT / "configs" / "cflexagent.example.toml").read_text()
    text = text.replace('state_dir = "/var/lib/cflexagent"', f'state_dir = "{tmp / "state"}"')
    text = text.replace('listen = "127.0.0.1:9087"', f'listen = "127.0.0.1:{port}"')
    path = tmp / "bench.toml"
    path.write_text(text)
    return path


def wait_metrics(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"agent exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                r.read()
                return
        except OSError:
            time.sleep(0.005)
    raise SystemExit("agent did not answer")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(ROOT / "dist" / "cflexagent"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scrapes", type=int, default=500)
    args = ap.parse_args()
    binary = Path(args.binary)
    if not binary.exists():
        subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], check=True)
    size = binary.stat().st_size
    tmp = Path(tempfile.mkdtemp(prefix="cflex-bench-"))
    try:
        starts = []
        for _ in range(args.runs):
            port = free_port()
            cfg = config(tmp, port)
            t0 = time.perf_counter()
            with subprocess.Popen([binary, "run", "-c", cfg], stderr=subprocess.DEVNULL) as proc:
                wait_metrics(f"http://127.0.0.1:{port}/metrics", proc)
                starts.append(time.perf_counter() - t0)
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
        port = free_port()
        cfg = config(tmp, port)
        with subprocess.Popen([binary, "run", "-c", cfg], stderr=subprocess.DEVNULL) as proc:
            url = f"http://127.0.0.1:{port}/metrics"
            wait_metrics(url, proc)
            time.sleep(3.0)  # idle
            agent_pid = (children(proc.pid) or [proc.pid])[0]
            rss_agent = rss_kib(agent_pid)
            rss_boot = rss_kib(proc.pid) if agent_pid != proc.pid else 0
            cpu0 = cpu_seconds(agent_pid)
            nbytes = 0
            for _ in range(args.scrapes):
                with urllib.request.urlopen(url, timeout=5) as r:
                    nbytes = len(r.read())
            cpu_scrape = (cpu_seconds(agent_pid) - cpu0) / args.scrapes
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        print(f"binary size            {size / 1e6:8.1f} MB   (target < 40 MB)")
        print(f"start to /metrics      {statistics.median(starts):8.3f} s    median of {args.runs} "
              f"(min {min(starts):.3f}, max {max(starts):.3f}; target < 1.5 s)")
        print(f"idle RSS, agent        {rss_agent / 1024:8.1f} MiB  (target < 60 MiB; "
              f"+{rss_boot / 1024:.1f} MiB one-file bootloader)")
        print(f"CPU per /metrics scrape{cpu_scrape * 1e6:8.0f} us   ({nbytes} bytes, {args.scrapes} scrapes)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
