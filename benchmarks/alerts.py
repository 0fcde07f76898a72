"""Alert relay figures: webhook accept latency (fsynced to the outbox), webhooks per second,
webhook-to-SMTP delivery time, and the agent's CPU per notification.

    python benchmarks/alerts.py [--webhooks 300] [--concurrency 8]

Runs the agent as a subprocess with the relay pointed at an aiosmtpd server in
this process, posts distinct webhooks, and waits until every one was delivered.
There is no peer relay on this machine to compare with; Alertmanager's own
webhook timeout (10 s by default) is the bar the accept latency must stay far under.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402
from tests.fakes.smtp import SMTPDouble  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
TOKEN = "bench-token-0123456789"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def body(i: int) -> dict[str, object]:
    labels = {"alertname": f"Bench{i}", "severity": "critical", "instance": f"api-{i}:8080"}
    return {"version": "4", "groupKey": f'{{}}:{{alertname="Bench{i}"}}', "status": "firing", "receiver": "r",
            "groupLabels": {"alertname": f"Bench{i}"}, "commonLabels": labels,
            "commonAnnotations": {"summary": f"bench {i}"}, "externalURL": "http://am",
            "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": f"bench {i}"},
                        "startsAt": "2026-08-22T12:00:00Z", "fingerprint": f"{i:016x}"}]}


async def main(n: int, concurrency: int) -> None:
    smtp = SMTPDouble()
    await smtp.start()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "token").write_text(TOKEN)
        cfg = t / "a.toml"
        cfg.write_text(f'[agent]\nstate_dir = "{t / "state"}"\nlog_level = "warning"\n'
                       f'[server]\nlisten = "127.0.0.1:{port}"\n[alerts.relay]\nbearer_token_file = "{t / "token"}"\n'
                       f'[[alerts.relay.channels]]\nname = "mail"\nkind = "email"\nhost = "127.0.0.1"\n'
                       f'port = {smtp.port}\ntls = "none"\nrate_limit = ""\nfrom = "a@b.example"\n'
                       f'to = ["o@b.example"]\n[[alerts.relay.routes]]\nchannels = ["mail"]\n')
        proc = subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(cfg)],  # noqa: ASYNC220
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(300):
                    try:
                        async with http.get(url + "/ready") as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
                cpu0 = cpu_seconds(proc.pid)
                latencies: list[float] = []
                sem = asyncio.Semaphore(concurrency)
                started = time.perf_counter()

                async def one(i: int) -> None:
                    async with sem:
                        t0 = time.perf_counter()
                        async with http.post(url + "/alerts/webhook", json=body(i),
                                             headers={"Authorization": f"Bearer {TOKEN}"}) as r:
                            assert r.status == 200, await r.text()
                        latencies.append(time.perf_counter() - t0)

                await asyncio.gather(*(one(i) for i in range(n)))
                accepted = time.perf_counter() - started
                await smtp.wait_for(lambda: len(smtp.messages) >= n, within=600)
                delivered = time.perf_counter() - started
                cpu = cpu_seconds(proc.pid) - cpu0
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            await smtp.stop()
    q = statistics.quantiles(latencies, n=100)
    print(f"webhooks: {n} at concurrency {concurrency}")
    print(f"accept latency (fsynced): p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms")
    print(f"accepted {n / accepted:.0f} webhooks/s; all {n} delivered by SMTP after {delivered:.2f} s "
          f"({n / delivered:.0f} notifications/s)")
    print(f"agent CPU: {cpu * 1e3 / n:.2f} ms per notification (accept + outbox + SMTP + history)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--webhooks", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=8)
    a = ap.parse_args()
    asyncio.run(main(a.webhooks, a.concurrency))
