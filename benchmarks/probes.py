"""CPU per probe: cflexagent against prometheus-blackbox-exporter, same nginx targets, same run.

    python benchmarks/probes.py                     # headline: both on their real schedules (below)
    python benchmarks/probes.py --probes 200 --interval 2s --windows 5 --window 20s
    python benchmarks/probes.py hotloop -n 3000     # secondary: both driven as fast as they go
    python benchmarks/probes.py schedule --probes 1000 --interval 15s --duration 60s

``compare`` (the default) measures what users pay. It starts nginx on a loopback
port, then side by side: the whole agent process (``cflexagent run``) with N
HTTP probes every INTERVAL against N nginx paths, scraped by its own Prometheus
2.42 every 15 s as users run it; and blackbox_exporter with a real Prometheus
2.42 scraping the same N URLs as ``/probe`` targets every INTERVAL (the
relabelling of blackbox_exporter's README). After one warm-up interval, each
window reads every process's CPU time (utime+stime from /proc/PID/stat) and the
probes done in it (the agent's ``cflexagent_probe_total``, Prometheus'
``prometheus_target_interval_length_seconds_count``), and the figures are the
medians over the windows: CPU µs per probe for the agent and blackbox_exporter,
their ratio, and each Prometheus's CPU per probe. Then the hot-loop figure.

``hotloop`` drives N ``/probe?target=...&module=...`` requests at blackbox_exporter
(concurrency 8) and, in a separate process, the same N probes through the
scheduler's ``run_once`` + state/metrics update: what one probe costs without a
schedule.

``schedule`` runs the real ProbeScheduler in this process with many HTTP probes at
one interval against nginx and reports CPU % of one core, skipped ticks and the
scheduling delay (p50/p99/max) over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
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


def hotloop(n: int) -> list[tuple[str, float, float]]:
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
    return rows


def print_hotloop(n: int, rows: list[tuple[str, float, float]]) -> None:
    print(f"hot loop (secondary): {n} probes per side against nginx, concurrency {CONCURRENCY}, "
          "the agent's run_once + record against blackbox_exporter's /probe")
    print(f"{'type':<6}{'cflexagent µs/probe':>22}{'blackbox µs/probe':>20}{'ratio':>9}")
    for kind, ours, peer in rows:
        print(f"{kind:<6}{ours * 1e6:>22.0f}{peer * 1e6:>20.0f}{ours / peer:>9.2f}")


# -- the headline: both on their real schedules -------------------------------


def http_get(url: str, timeout: float = 10.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return bytes(r.read())


def wait_http_ok(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 30.0,
                 log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-1500:] if log is not None else ""
            raise SystemExit(f"{what} exited with code {proc.returncode}\n{tail}")
        try:
            http_get(url, 2.0)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer {url} within {timeout:g}s")


def sample_sum(text: str, name: str, must: str = "") -> float:
    """Sum of the samples of ``name`` (exact metric name, any labels containing ``must``)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " ") and must in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def start_prometheus(tmp: Path, name: str, scrape_configs: list[dict[str, Any]]) -> tuple[subprocess.Popen[bytes], int]:
    exe = shutil.which("prometheus") or "/usr/bin/prometheus"
    port = free_port()
    conf = tmp / f"{name}.yml"
    # JSON is YAML: no YAML library needed.
    conf.write_text(json.dumps({"global": {"scrape_interval": "15s"}, "scrape_configs": scrape_configs}))
    with open(tmp / f"{name}.log", "wb") as log:
        proc = subprocess.Popen([exe, f"--config.file={conf}", f"--storage.tsdb.path={tmp / (name + '-data')}",
                                 f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h"],
                                stdout=subprocess.DEVNULL, stderr=log)
    wait_http_ok(f"http://127.0.0.1:{port}/-/ready", proc, f"prometheus ({name})", log=tmp / f"{name}.log")
    return proc, port


def prom_duration(seconds: float) -> str:
    """Prometheus durations take no fractions: 1.5 s is "1500ms"."""
    return f"{round(seconds * 1000)}ms"


def prom_query(port: int, query: str) -> float:
    doc = json.loads(http_get(f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})))
    result = doc["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def start_agent(tmp: Path, targets: list[str], interval: float, timeout: float) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = tmp / "agent.toml"
    conf.write_text(f'[agent]\nstate_dir = "{tmp / "agent-state"}"\n[server]\nlisten = "127.0.0.1:{port}"\n'
                    "[probe_defaults]\nmax_concurrency = 64\n" + "".join(
                        f'[[probes]]\nname = "p{i}"\ntype = "http"\nurl = "{t}"\ninterval = "{interval}s"\n'
                        f'timeout = "{timeout}s"\n' for i, t in enumerate(targets)))
    with open(tmp / "agent.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(conf)],
                                stdout=subprocess.DEVNULL, stderr=log,
                                cwd=Path(__file__).resolve().parent.parent)
    wait_http_ok(f"http://127.0.0.1:{port}/healthz", proc, "cflexagent", log=tmp / "agent.log")
    return proc, port


def scheduled(probes: int, interval: float, windows: int, window: float) -> dict[str, list[float]]:
    """Per window: µs per probe of the agent, blackbox_exporter and each Prometheus."""
    timeout = min(interval * 0.75, 5.0)
    with tempfile.TemporaryDirectory(prefix="cflexagent-bench-") as d:
        tmp = Path(d)
        procs: list[subprocess.Popen[bytes]] = []
        try:
            nginx, nginx_port = start_nginx(tmp)
            procs.append(nginx)
            targets = [f"http://127.0.0.1:{nginx_port}/p{i}" for i in range(probes)]
            bb, bb_port = start_blackbox(tmp)
            procs.append(bb)
            prom_bb, prom_bb_port = start_prometheus(tmp, "prom-blackbox", [{
                "job_name": "blackbox",
                "scrape_interval": prom_duration(interval), "scrape_timeout": prom_duration(timeout),
                "metrics_path": "/probe", "params": {"module": ["http_2xx"]},
                "static_configs": [{"targets": targets}],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["__param_target"], "target_label": "instance"},
                    {"target_label": "__address__", "replacement": f"127.0.0.1:{bb_port}"},
                ]}])
            procs.append(prom_bb)
            agent, agent_port = start_agent(tmp, targets, interval, timeout)
            procs.append(agent)
            prom_agent, _ = start_prometheus(tmp, "prom-agent", [{
                "job_name": "cflexagent", "scrape_interval": "15s",
                "static_configs": [{"targets": [f"127.0.0.1:{agent_port}"]}]}])
            procs.append(prom_agent)

            def probes_done() -> tuple[float, float]:
                ours = sample_sum(http_get(f"http://127.0.0.1:{agent_port}/metrics").decode(),
                                  "cflexagent_probe_total")
                # This Prometheus has one job: every scrape it counts is one /probe.
                theirs = sample_sum(http_get(f"http://127.0.0.1:{prom_bb_port}/metrics").decode(),
                                    "prometheus_target_interval_length_seconds_count")
                return ours, theirs

            # Warm-up: every target probed successfully on both sides.
            deadline = time.monotonic() + 4 * interval + 30
            while prom_query(prom_bb_port, "count(probe_success == 1)") < probes or \
                    sample_sum(http_get(f"http://127.0.0.1:{agent_port}/metrics").decode(),
                               "cflexagent_probe_total", 'result="success"') < 2 * probes:
                if time.monotonic() > deadline:
                    raise SystemExit("warm-up did not reach every target successfully on both sides")
                time.sleep(0.5)
            time.sleep(interval)
            out: dict[str, list[float]] = {"agent": [], "blackbox": [], "prom_agent": [], "prom_blackbox": []}
            for _ in range(windows):
                cpu0 = [cpu_seconds(p.pid) for p in (agent, bb, prom_agent, prom_bb)]
                done0 = probes_done()
                time.sleep(window)
                cpu1 = [cpu_seconds(p.pid) for p in (agent, bb, prom_agent, prom_bb)]
                done1 = probes_done()
                ours, theirs = done1[0] - done0[0], done1[1] - done0[1]
                out["agent"].append(1e6 * (cpu1[0] - cpu0[0]) / ours)
                out["blackbox"].append(1e6 * (cpu1[1] - cpu0[1]) / theirs)
                out["prom_agent"].append(1e6 * (cpu1[2] - cpu0[2]) / ours)
                out["prom_blackbox"].append(1e6 * (cpu1[3] - cpu0[3]) / theirs)
            failing_ours = probes - sample_sum(http_get(f"http://127.0.0.1:{agent_port}/metrics").decode(),
                                               "probe_success")
            failing_theirs = probes - prom_query(prom_bb_port, "sum(probe_success)")
            if failing_ours or failing_theirs:
                raise SystemExit(f"probes failing at the end: agent {failing_ours:g}, blackbox {failing_theirs:g}")
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in procs:
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
    return out


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def compare(probes: int, interval: float, windows: int, window: float, n: int) -> None:
    res = scheduled(probes, interval, windows, window)
    ratios = [a / b for a, b in zip(res["agent"], res["blackbox"], strict=True)]
    print(f"scheduled: {probes} HTTP probes every {interval:g}s against nginx on loopback, each side on its own "
          f"schedule, same run; median (range) of {windows} windows of {window:g}s")
    print(f"  cflexagent (whole process, scraped every 15s)   {spread(res['agent'])} µs CPU per probe")
    print(f"  blackbox_exporter (driven by Prometheus 2.42)   {spread(res['blackbox'])} µs CPU per probe")
    print(f"  ratio cflexagent / blackbox_exporter            {statistics.median(ratios):.2f} "
          f"({min(ratios):.2f}–{max(ratios):.2f}); goal <= 0.30")
    print(f"  Prometheus scraping the agent                   {spread(res['prom_agent'])} µs CPU per probe")
    print(f"  Prometheus driving blackbox_exporter            {spread(res['prom_blackbox'])} µs CPU per probe")
    if n:
        print_hotloop(n, hotloop(n))


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
    ap.add_argument("mode", nargs="?", default="compare", choices=("compare", "hotloop", "schedule"))
    ap.add_argument("-n", type=int, default=2000,
                    help="hotloop (and the secondary line of compare; 0 skips it): probes per type and side")
    ap.add_argument("--probes", type=int, default=None, help="compare: 200 probes; schedule: 1000")
    ap.add_argument("--interval", default=None, help="compare: 2s; schedule: 15s")
    ap.add_argument("--windows", type=int, default=5, help="compare: measurement windows (default 5)")
    ap.add_argument("--window", default="20s", help="compare: length of each window (default 20s)")
    ap.add_argument("--duration", default="60s", help="schedule: how long to run (default 60s)")
    args = ap.parse_args()
    if args.mode == "compare":
        compare(args.probes or 200, parse_duration(args.interval or "2s"), args.windows,
                parse_duration(args.window), args.n)
    elif args.mode == "hotloop":
        print_hotloop(args.n, hotloop(args.n))
    else:
        asyncio.run(schedule(args.probes or 1000, parse_duration(args.interval or "15s"),
                             parse_duration(args.duration)))


if __name__ == "__main__":
    main()
