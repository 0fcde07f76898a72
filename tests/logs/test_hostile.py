"""Hostile log content: a line never stops its source, and never pins memory (issue #11, items 8 and 9)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import free_port, loki_section, source_section, wait_http
from tests.fakes.loki import LokiDouble

JSON = dict(format='"json"', labels='{ job = "cflex" }', label_fields='["level"]', timestamp_field='"ts"')


def line(seq: int, **extra: Any) -> bytes:
    t = time.time()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1e6) % 1_000_000:06d}Z"
    return orjson.dumps({"ts": ts, "level": "INFO", "seq": seq, **extra}) + b"\n"


async def test_a_json_object_nested_beyond_the_decoder_ships_raw_and_the_source_goes_on(
        tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    deep = b'{"msg":' * 5000 + b'"call Budi at 0812 3456 7890"' + b"}" * 5000 + b"\n"
    nested_list = b"[" * 100_000 + b"]" * 100_000 + b"\n"
    (logs / "app.log").write_bytes(line(0) + deep + nested_list + line(1))
    a = await start_agent(loki_section(loki.url) + source_section("app", f"{logs}/*.log", **JSON))
    await loki.wait_for(lambda: loki.accepted >= 4, 30)
    with open(logs / "app.log", "ab") as f:  # later lines still ship: the source did not stop
        f.write(line(2))
    await loki.wait_for(lambda: loki.accepted >= 5, 30)
    lines = loki.lines()
    assert [orjson.loads(x)["seq"] for x in lines if x.startswith('{"ts"')] == [0, 1, 2]
    raw = [x for x in lines if not x.startswith('{"ts"')]
    assert len(raw) == 2 and all("0812" not in x for x in raw)  # shipped raw, still redacted as text
    assert a.value("cflexagent_log_unparsed_lines_total", {"source": "app"}) == 2
    assert a.value("cflexagent_component_restarts_total", {"component": "logs.source.app"}) == 0


def test_lines_with_thousands_of_distinct_keys_do_not_pin_memory(tmp_path: Path) -> None:
    """1,100 lines of ~170 KB, each with 5,000-12,000 keys never seen before, redaction on: the agent's
    resident memory after shipping stays near its usual size (it was 2.5 GiB when the redactor cached
    every record's keys)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    with open(logs / "app.log", "wb") as f:
        for i in range(1100):
            n = 5000 + (i * 7919) % 7000
            rec = {"ts": "2026-12-01T00:00:00Z", "level": "INFO", **{f"k{i}_{j}": "v" for j in range(n)}}
            f.write(orjson.dumps(rec)[:170_000].rstrip(b",") + b"\n")
    double = subprocess.Popen([sys.executable, "-m", "tests.fakes.loki", "--port", "0", "--no-store"],
                              stdout=subprocess.PIPE, text=True)
    assert double.stdout is not None
    loki_port = int(double.stdout.readline().split()[1])
    port = free_port()
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\nlog_level = "error"\n'
                   f'[server]\nlisten = "127.0.0.1:{port}"\n'
                   + loki_section(f"http://127.0.0.1:{loki_port}/loki/api/v1/push", max_sample_age='"0s"')
                   + source_section("app", f"{logs}/*.log", **JSON))
    agent = subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(cfg)])
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", agent)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            stats = json.loads(wait_http(f"http://127.0.0.1:{loki_port}/stats", double))
            if stats["accepted"] >= 1100:
                break
            time.sleep(0.5)
        assert stats["accepted"] >= 1100, stats
        time.sleep(1.0)
        status = Path(f"/proc/{agent.pid}/status").read_text()
        rss_mib = int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]
        print(f"agent RSS after shipping: {rss_mib:.1f} MiB")
        assert rss_mib < 150, rss_mib
    finally:
        for p in (agent, double):
            p.terminate()
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        double.stdout.close()
