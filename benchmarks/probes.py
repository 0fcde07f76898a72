"""CPU per probe: cflexagent's probers against prometheus-blackbox-exporter, same nginx target, same run.

    python benchmarks/probes.py                  # compare: N HTTP and N TCP probes each, print µs/probe and ratios
    python benchmarks/probes.py -n 3000
    python benchmarks/probes.py schedule --probes 1000 --interval 15s --duration 60s

``compare`` starts nginx on a loopback port (its own temp dir and config) and
blackbox_exporter with an ``http_2xx`` and a ``tcp_connect`` module, drives N
``/probe?target=...&module=...`` requests and reads blackbox's CPU time
(utime+stime from /proc/PID/stat) before and after. The agent's side runs in a
separate process (so the driver's work is not counted) that runs the same N
probes through the scheduler's ``run_once`` + state/metrics update, and reports
its process CPU time. Both run with the same concurrency.

``schedule`` runs the real ProbeScheduler with many HTTP probes at one
interval against nginx and reports CPU % of one core, skipped ticks and the
scheduling delay (p50/p99/max) over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CLK_TCK = os.sysconf("SC_CLK_TCK")
CONCURRENCY = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port} within {timeout}s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15)


def start_nginx(tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type text/plain; return 200 "ok\\n"; }}
  }}
}}
""")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc, "nginx")
    return proc, port


def start_blackbox(tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    exe = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    if exe is None:
        raise SystemExit("prometheus-blackbox-exporter is not installed (apt-get install prometheus-blackbox-exporter)")
    port = free_port()
    conf = tmp / "blackbox.yml"
    conf.write_text("""modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
  tcp_connect:
    prober: tcp
    timeout: 5s
    tcp:
      preferred_ip_protocol: ip4
""")
    proc = subprocess.Popen([exe, f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc, "blackbox_exporter")
    return proc, port


async def drive_blackbox(port: int, module: str, target: str, n: int) -> None:
    import aiohttp

    url = f"http://127.0.0.1:{port}/probe"
    params = {"module": module, "target": target}
    left = n

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            async with session.get(url, params=params) as resp:
                body = await resp.text()
                if "probe_success 1" not in body:
                    raise SystemExit(f"blackbox probe failed: {body[:300]}")

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))


def blackbox_cpu_per_probe(bb_port: int, bb_pid: int, module: str, target: str, n: int) -> float:
    asyncio.run(drive_blackbox(bb_port, module, target, min(200, n)))  # warm up
    before = cpu_seconds(bb_pid)
    asyncio.run(drive_blackbox(bb_port, module, target, n))
    return (cpu_seconds(bb_pid) - before) / n


def agent_cpu_per_probe(kind: str, target: str, n: int) -> float:
    out = subprocess.run([sys.executable, __file__, "agent-worker", kind, target, str(n)],
                         check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout)["cpu_per_probe"])


async def agent_worker(kind: str, target: str, n: int) -> dict[str, Any]:
    from prometheus_client import CollectorRegistry

    from cflexagent.probes.base import Env
    from cflexagent.probes.config import HttpProbe, TcpProbe
    from cflexagent.probes.metrics import ProbeMetrics
    from cflexagent.probes.scheduler import ProbeJob, run_once

    metrics = ProbeMetrics(CollectorRegistry())
    env = Env()
    jobs = []
    for i in range(CONCURRENCY):
        cfg = (HttpProbe(name=f"bench{i}", url=target) if kind == "http"
               else TcpProbe(name=f"bench{i}", address=target))
        jobs.append(ProbeJob(cfg, metrics, 20))
    left = 0

    async def worker(job: ProbeJob) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            r = await run_once(job.prober, job.plan, env)
            if r.result != "success":
                raise SystemExit(f"agent probe failed: {r.reason} {r.detail}")
            job.record(r, time.time())

    left = min(200, n)
    await asyncio.gather(*(worker(j) for j in jobs))  # warm up
    left = n
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(j) for j in jobs))
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    await env.close()
    return {"cpu_per_probe": cpu / n, "wall": wall}


def compare(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cflexagent-bench-") as d:
        tmp = Path(d)
        nginx, nginx_port = start_nginx(tmp)
        bb, bb_port = start_blackbox(tmp)
        try:
            url, addr = f"http://127.0.0.1:{nginx_port}/", f"127.0.0.1:{nginx_port}"
            rows = []
            for kind, module, target in (("http", "http_2xx", url), ("tcp", "tcp_connect", addr)):
                peer = blackbox_cpu_per_probe(bb_port, bb.pid, module, target, n)
                ours = agent_cpu_per_probe(kind, target, n)
                rows.append((kind, ours, peer))
        finally:
            for p in (bb, nginx):
                p.terminate()
                p.wait(10)
    print(f"probes against nginx on loopback, {n} probes per side, concurrency {CONCURRENCY}")
    print(f"{'type':<6}{'cflexagent µs/probe':>22}{'blackbox µs/probe':>20}{'ratio':>9}")
    for kind, ours, peer in rows:
        print(f"{kind:<6}{ours * 1e6:>22.0f}{peer * 1e6:>20.0f}{ours / peer:>9.2f}")
    print("target: ratio <= 0.50 (CPU-seconds per probe, agent / blackbox_exporter)")


async def schedule(probes: int, interval: float, duration: float) -> None:
    from prometheus_client import CollectorRegistry

    from cflexagent.component import Context
    from cflexagent.config import parse
    from cflexagent.probes.scheduler import ProbeScheduler
    from cflexagent.telemetry import LoopMonitor

    with tempfile.TemporaryDirectory(prefix="cflexagent-bench-") as d:
        tmp = Path(d)
        nginx, port = start_nginx(tmp)
        try:
            text = "[probe_defaults]\nmax_concurrency = 64\n" + "".join(
                f'[[probes]]\nname = "p{i}"\ntype = "http"\nurl = "http://127.0.0.1:{port}/p{i}"\n'
                f'interval = "{interval}s"\ntimeout = "{min(10.0, interval / 2)}s"\n' for i in range(probes))
            registry = CollectorRegistry()
            ctx = Context(registry=registry, state_dir=tmp, loop_monitor=LoopMonitor())
            sched = ProbeScheduler(parse(text, "bench.toml"), ctx)
            delays: list[float] = []

            class Recorder:
                def observe(self, v: float) -> None:
                    delays.append(v)

            sched.metrics.delay = Recorder()  # type: ignore[assignment]
            stop = asyncio.Event()
            tasks = [asyncio.create_task(sched.run(stop)), asyncio.create_task(ctx.loop_monitor.run(stop))]
            s0 = time.process_time()
            # Steady state: every probe has started (one interval), then measure.
            await asyncio.sleep(interval + 1.0)
            startup = time.process_time() - s0
            runs0 = sum(j.runs for j in sched.jobs.values())
            delays.clear()
            c0, t0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(duration)
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            runs = sum(j.runs for j in sched.jobs.values()) - runs0
            failed = sum(1 for j in sched.jobs.values() if j.last is not None and j.last.result != "success")
            skipped = sum(j.skipped for j in sched.jobs.values())
            stop.set()
            await asyncio.gather(*tasks)
        finally:
            nginx.terminate()
            nginx.wait(10)
    delays.sort()

    def pct(q: float) -> float:
        return delays[min(len(delays) - 1, int(q * len(delays)))] * 1000 if delays else 0.0

    print(f"{probes} HTTP probes every {interval:g}s against nginx; first interval (start-up and first runs) "
          f"{startup:.2f} CPU-s, then measured {duration:g}s: {runs} runs, {failed} probes failing at the end")
    print(f"CPU {cpu:.2f}s over {wall:.1f}s = {100 * cpu / wall:.2f}% of one core "
          f"({1e6 * cpu / max(runs, 1):.0f} µs per run, scheduler included); target < 10%")
    print(f"skipped ticks {skipped:.0f}; scheduling delay p50 {pct(0.5):.2f} ms, p99 {pct(0.99):.2f} ms, "
          f"max {pct(1.0):.2f} ms")


def parse_duration(text: str) -> float:
    from cflexagent.configtypes import Duration

    return float(Duration.parse(text))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "agent-worker":
        kind, target, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
        print(json.dumps(asyncio.run(agent_worker(kind, target, n))))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", nargs="?", default="compare", choices=("compare", "schedule"))
    ap.add_argument("-n", type=int, default=2000, help="compare: probes per type and side (default 2000)")
    ap.add_argument("--probes", type=int, default=1000, help="schedule: number of probes (default 1000)")
    ap.add_argument("--interval", default="15s", help="schedule: probe interval (default 15s)")
    ap.add_argument("--duration", default="60s", help="schedule: how long to run (default 60s)")
    args = ap.parse_args()
    if args.mode == "compare":
        compare(args.n)
    else:
        asyncio.run(schedule(args.probes, parse_duration(args.interval), parse_duration(args.duration)))


if __name__ == "__main__":
    main()
