"""The new sources end to end through the real agent and the Loki double: journal (recorded
journalctl output), nginx access with redaction and derived metrics, multiline events."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import eventually, loki, loki_section, source_section, start_agent
from tests.fakes.loki import LokiDouble, by_stream

__all__ = ["loki", "start_agent"]

REPLAY = Path(__file__).with_name("journal_replay.py")


def journal_entries(n: int, start: int = 0) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(start, start + n):
        e: dict[str, object] = {
            "__CURSOR": f"s=0123;i={i:x};b=boot;m={i:x};t={i:x};x={i:x}",
            "__REALTIME_TIMESTAMP": str(1_795_000_000_000_000 + i * 1000),
            "PRIORITY": "3" if i % 10 == 0 else "6",
            "_SYSTEMD_UNIT": "cflex-api.service" if i % 2 else "nginx.service",
            "SYSLOG_IDENTIFIER": "cflex-api", "_PID": "42",
            "MESSAGE": f"entry {i} for budi@example.co.id",
        }
        if i == 3:
            e["MESSAGE"] = list(b"binary \xff message")
        out.append(e)
    return out


async def test_journal_source_cursor_checkpoint_and_restart(tmp_path: Path, loki: LokiDouble, start_agent) -> None:
    # Timestamps must be recent, or the encoder drops them as too old for Loki.
    import time

    base_us = time.time_ns() // 1000 - 60_000_000
    rec = tmp_path / "journal.json"
    entries = journal_entries(50)
    for e in entries:
        e["__REALTIME_TIMESTAMP"] = str(base_us + int(str(e["__REALTIME_TIMESTAMP"])) % 10**9)
    rec.write_text("".join(json.dumps(e) + "\n" for e in entries))
    cmd = json.dumps([sys.executable, str(REPLAY), str(rec)])
    text = (loki_section(loki.url) +
            f'[[logs.sources]]\nname = "journal"\nformat = "journal"\njournal_command = {cmd}\n'
            f'label_fields = ["unit", "level"]\nmetadata_fields = ["pid"]\n')
    state = tmp_path / "state"
    agent = await start_agent(text, state)
    await loki.wait_for(lambda: loki.accepted >= 50, within=60)
    streams = by_stream(loki)
    lines = [x for v in streams.values() for x in v]
    assert len(lines) == 50
    assert "entry 1 for <redacted:email>" in lines and "binary \ufffd message" in lines
    assert any('level="error"' in k and 'unit="nginx.service"' in k for k in streams)
    checkpoints = state / "logs" / "checkpoints.json"
    await eventually(lambda: checkpoints.exists()
                     and json.loads(checkpoints.read_text())["sources"].get("journal", {}).get("cursor", "")
                     .startswith("s=0123;i=31;"))
    await agent.stop()

    # New entries recorded while the agent was down; a restart resumes after the cursor.
    more = journal_entries(10, start=50)
    for e in more:
        e["__REALTIME_TIMESTAMP"] = str(base_us + int(str(e["__REALTIME_TIMESTAMP"])) % 10**9)
    with rec.open("a") as f:
        f.write("".join(json.dumps(e) + "\n" for e in more))
    agent = await start_agent(text, state)
    await loki.wait_for(lambda: loki.accepted >= 60, within=60)
    assert loki.replays == 0
    args = (tmp_path / "journal.json.args").read_text().splitlines()
    assert "--since=-1h" in args[0] and "--after-cursor=s=0123;i=31" in args[1]
    await agent.stop()


async def test_journal_units_and_crash_restart(tmp_path: Path, loki: LokiDouble, start_agent) -> None:
    import time

    base_us = time.time_ns() // 1000 - 60_000_000
    rec = tmp_path / "j.json"
    entries = journal_entries(20)
    for e in entries:
        e["__REALTIME_TIMESTAMP"] = str(base_us + int(str(e["__REALTIME_TIMESTAMP"])) % 10**9)
    rec.write_text("".join(json.dumps(e) + "\n" for e in entries))
    cmd = json.dumps([sys.executable, str(REPLAY), str(rec)])
    text = (loki_section(loki.url) + f'[[logs.sources]]\nname = "j"\nformat = "journal"\n'
            f'journal_command = {cmd}\njournal_units = ["cflex-api.service"]\n')
    agent = await start_agent(text)
    await loki.wait_for(lambda: loki.accepted >= 10, within=60)
    (tmp_path / "j.json.die").touch()  # journalctl dies; the source restarts it after the cursor
    await eventually(lambda: len((tmp_path / "j.json.args").read_text().splitlines()) >= 2)
    (tmp_path / "j.json.die").unlink()
    args = (tmp_path / "j.json.args").read_text().splitlines()
    assert "--unit=cflex-api.service" in args[0] and "--after-cursor=" in args[1]
    assert loki.accepted == 10 and loki.replays == 0
    assert agent.value("cflexagent_log_file_errors_total", {"source": "j", "reason": "journalctl_exit"}) >= 1
    await agent.stop()


async def test_journalctl_stderr_is_drained_and_its_end_logged(tmp_path: Path, loki: LokiDouble, start_agent,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    import time

    base_us = time.time_ns() // 1000 - 60_000_000
    rec = tmp_path / "j.json"
    entries = journal_entries(20)
    for e in entries:
        e["__REALTIME_TIMESTAMP"] = str(base_us + int(str(e["__REALTIME_TIMESTAMP"])) % 10**9)
    rec.write_text("".join(json.dumps(e) + "\n" for e in entries))
    # 12 MiB of warnings before the first entry: more than asyncio buffers for a stream nobody reads
    # (twice its 4 MiB limit) plus the pipe (64 KiB); past that, an unread stderr blocks journalctl.
    cmd = json.dumps([sys.executable, str(REPLAY), str(rec), f"--stderr-bytes={12 * 1024 * 1024}"])
    text = loki_section(loki.url) + f'[[logs.sources]]\nname = "j"\nformat = "journal"\njournal_command = {cmd}\n'
    with caplog.at_level(logging.WARNING, logger="cflexagent.logs.source.j"):
        agent = await start_agent(text)
        await loki.wait_for(lambda: loki.accepted >= 20, within=60)
        (tmp_path / "j.json.die").touch()
        await eventually(lambda: any(r.getMessage().startswith("journalctl exited") for r in caplog.records))
        await agent.stop()
    exited = next(r for r in caplog.records if r.getMessage().startswith("journalctl exited"))
    fields = exited.fields  # type: ignore[attr-defined]
    assert fields["code"] == 1 and fields["stderr"].endswith("journal_replay: last warning")
    assert len(fields["stderr"]) <= 500


def test_cursor_files_of_earlier_versions_are_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from cflexagent.logs.sources.journal import read_cursor

    path = tmp_path / "logs" / "journal-j.cursor"
    path.parent.mkdir()
    path.write_text(json.dumps({"version": 1, "cursor": "s=1;i=2"}))
    assert read_cursor(path) == "s=1;i=2"
    path.write_text("s=0123;i=31;b=boot\n")  # the bare cursor of earlier versions
    assert read_cursor(path) == "s=0123;i=31;b=boot"
    path.write_text('{"version": 99, "cursor": "x"}')
    with caplog.at_level(logging.ERROR):
        assert read_cursor(path) == ""
    assert not path.exists() and path.with_name(path.name + ".corrupt").exists()
    assert any("unsupported version 99" in str(getattr(r, "fields", {})) for r in caplog.records)
    assert read_cursor(tmp_path / "none.cursor") == ""


def nginx_line(i: int, path: str, status: int, rt: float, user: str = "-") -> str:
    import time

    t = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    return (f'203.0.113.{i % 250} - {user} [{t}] "GET {path} HTTP/1.1" {status} 512 "-" "curl/8.0" {rt:.3f}\n')


async def test_nginx_source_redacts_and_derives(tmp_path: Path, loki: LokiDouble, start_agent) -> None:
    log = tmp_path / "access.log"
    lines = [nginx_line(i, p, s, rt) for i, (p, s, rt) in enumerate([
        ("/api/orders?name=Budi+Santoso&email=budi%40example.com&phone=081234567890", 200, 0.120),
        ("/dl/F-1.pdf?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIA1", 200, 0.050),
        ("/api/approvals", 502, 3.500),
        ("/health", 404, 0.001),
    ])] + [nginx_line(9, "/u/alice.w/files", 200, 0.010, user="alice.w")]
    log.write_text("".join(lines))
    fmt = ('$remote_addr - $remote_user [$time_local] \\"$request\\" $status $body_bytes_sent '
           '\\"$http_referer\\" \\"$http_user_agent\\" $request_time')
    text = loki_section(loki.url) + source_section(
        "nginx", str(log), format='"nginx_access"', nginx_log_format=f'"{fmt}"', label_fields='["status_class"]',
        labels='{ job = "nginx" }') + '[logs.redact]\nfield_actions = { remote_user = "hash" }\n'
    agent = await start_agent(text)
    await loki.wait_for(lambda: loki.accepted >= 5, within=60)
    shipped = [x for v in by_stream(loki).values() for x in v]
    joined = "\n".join(shipped)
    assert "081234567890" not in joined and "abcdef0123" not in joined and "AKIA1" not in joined
    assert "phone=<redacted:phone>" in joined and "X-Amz-Signature=<redacted:secret>" in joined
    assert "Budi" not in joined and "budi%40example.com" not in joined  # query strings: fields and %-encoding
    assert "?name=<redacted:name>&email=<redacted:email>&" in joined
    assert "/api/approvals" in joined and "203.0.113.2" in joined  # IPs kept by default
    # A field action on a parsed field (the HTTP auth user) masks it in the shipped line too.
    assert "alice" not in joined and len(re.findall(r"<remote_user:[0-9a-f]{16}>", joined)) == 2
    assert any('status_class="5xx"' in k for k in by_stream(loki))
    v = agent.value
    assert v("cflex_http_requests_total", {"source": "nginx", "status_class": "2xx"}) == 3
    assert v("cflex_http_request_duration_seconds_bucket", {"source": "nginx", "le": "3.0"}) == 4
    assert v("cflex_http_request_duration_seconds_count", {"source": "nginx"}) == 5
    assert v("cflexagent_log_redactions_total", {"source": "nginx", "rule": "secret"}) == 2
    await agent.stop()


async def test_multiline_tracebacks_joined(tmp_path: Path, loki: LokiDouble, start_agent) -> None:
    log = tmp_path / "worker.log"
    text = loki_section(loki.url) + source_section(
        "worker", str(log), multiline='{ start = "^\\\\d{4}-\\\\d\\\\d-\\\\d\\\\d ", flush_after = "300ms" }')
    log.write_text("2026-11-26 10:00:00 INFO start\n"
                   "2026-11-26 10:00:01 ERROR failed for budi@example.com\n"
                   "Traceback (most recent call last):\n"
                   '  File "w.py", line 3, in run\n'
                   "ValueError: bad\n")
    agent = await start_agent(text)
    # The traceback is the last event: it waits for flush_after, then ships whole.
    await loki.wait_for(lambda: loki.accepted >= 2, within=60)
    shipped = [x for v in by_stream(loki).values() for x in v]
    assert shipped == ["2026-11-26 10:00:00 INFO start",
                       "2026-11-26 10:00:01 ERROR failed for <redacted:email>\nTraceback (most recent call last):\n"
                       '  File "w.py", line 3, in run\nValueError: bad']
    with log.open("a") as f:
        f.write("2026-11-26 10:00:02 INFO next\n  continued\n2026-11-26 10:00:03 INFO last\n")
    await loki.wait_for(lambda: loki.accepted >= 4, within=60)
    shipped = [x for v in by_stream(loki).values() for x in v]
    assert shipped[2:] == ["2026-11-26 10:00:02 INFO next\n  continued", "2026-11-26 10:00:03 INFO last"]
    await agent.stop()


async def test_reload_keeps_unchanged_metric_series(tmp_path: Path, loki: LokiDouble) -> None:
    import asyncio

    from cflexagent.agent import Agent
    from cflexagent.config import load

    log = tmp_path / "app.log"
    cfg = tmp_path / "agent.toml"

    def write(approvals_match: str) -> None:
        cfg.write_text(
            f'[agent]\nstate_dir = "{tmp_path / "state"}"\n[server]\nlisten = "127.0.0.1:0"\n'
            + loki_section(loki.url) + source_section("app", str(log), format='"json"')
            + '[[logs.metrics]]\nname = "cflex_orders_processed_total"\ntype = "counter"\n'
              'match.equals = { action = "order_processed" }\n'
            + f'[[logs.metrics]]\nname = "cflex_order_approvals_total"\ntype = "counter"\n'
              f'match.equals = {{ action = "{approvals_match}" }}\n')

    def lines(n: int, action: str) -> str:
        return "".join(json.dumps({"action": action, "customer_name": "Budi"}) + "\n" for _ in range(n))

    write("order_approved")
    log.write_text(lines(3, "order_processed") + lines(2, "order_approved"))
    agent = Agent(load(str(cfg)), str(cfg), lambda: load(str(cfg)))
    task = asyncio.create_task(agent.run())
    try:
        await loki.wait_for(lambda: loki.accepted >= 5, within=60)
        value = agent.registry.get_sample_value
        await eventually(lambda: value("cflex_order_approvals_total", {}) == 2)
        assert value("cflex_orders_processed_total", {}) == 3
        write("order_accepted")  # one definition changes, the other does not
        assert await agent.reload()
        with log.open("a") as f:
            f.write(lines(1, "order_processed") + lines(1, "order_approved") + lines(4, "order_accepted"))
        await loki.wait_for(lambda: loki.accepted >= 11, within=60)
        await eventually(lambda: value("cflex_orders_processed_total", {}) == 4)
        assert value("cflex_order_approvals_total", {}) == 4  # reset by the change, then 4 new matches
        assert all("Budi" not in x for x in loki.lines())
    finally:
        agent.stop_event.set()
        await asyncio.wait_for(task, 30)
