"""End to end: files -> in-process agent -> the Loki double, through outages, rotations and bad input."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import LineWriter, eventually, loki_section, source_section
from tests.fakes.loki import LokiDouble


def iso_now() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1e6) % 1_000_000:06d}Z"


def jline(seq: int, **extra: Any) -> bytes:
    return orjson.dumps({"ts": iso_now(), "level": "INFO", "service": "svc", "seq": seq, **extra}) + b"\n"


def seqs(loki: LokiDouble) -> list[int]:
    return [orjson.loads(e.line)["seq"] for _, e in loki.all_entries()]


JSON_SOURCE = dict(format='"json"', labels='{ job = "cflex" }', label_fields='["service", "level"]',
                   metadata_fields='["seq"]', timestamp_field='"ts"')


async def test_outage_refused_503_429_then_back_nothing_lost_order_kept(tmp_path: Path, loki: LokiDouble,
                                                                         start_agent: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    a = await start_agent(loki_section(loki.url) + source_section("app", f"{logs}/*.log", **JSON_SOURCE))
    with LineWriter(logs / "app.log", jline, per_tick=50) as w:
        await loki.wait_for(lambda: loki.accepted > 500, 30)
        await loki.refuse()
        await asyncio.sleep(1.5)
        await loki.accept()
        loki.set_mode("503")
        await loki.wait_for(lambda: loki.statuses[503] >= 3, 30)
        loki.set_mode("429")
        await loki.wait_for(lambda: loki.statuses[429] >= 5, 30)
        loki.set_mode("ok")
    total = w.total
    await loki.wait_for(lambda: loki.accepted >= total, 60)
    got = seqs(loki)
    assert got == list(range(total))          # everything, once, in order (one stream)
    assert a.value("cflexagent_log_push_retries_total") >= 8
    assert a.value("cflexagent_log_push_requests_total", {"status_code": "connection_error"}) >= 1
    assert a.value("cflexagent_log_spool_records") == 0 or loki.accepted == total


async def test_a_400_drops_one_batch_and_never_blocks_the_rest(tmp_path: Path, loki: LokiDouble,
                                                               start_agent: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_bytes(b"".join(jline(i) for i in range(100)))
    loki.fail_next.append((400, "entry for stream '{job=\"cflex\"}' has timestamp too old: 1, oldest acceptable "
                                "timestamp is: 2"))
    a = await start_agent(loki_section(loki.url) + source_section("app", f"{logs}/*.log", **JSON_SOURCE))
    await loki.wait_for(lambda: loki.statuses[400] == 1, 30)
    with open(logs / "app.log", "ab") as f:
        f.write(b"".join(jline(i) for i in range(100, 200)))
    await loki.wait_for(lambda: loki.accepted >= 100, 30)
    assert seqs(loki) == list(range(100, 200))
    assert a.value("cflexagent_log_dropped_lines_total", {"reason": "greater_than_max_sample_age"}) == 100
    assert a.value("cflexagent_log_push_requests_total", {"status_code": "400"}) == 1


@pytest.mark.parametrize("long_lines", ["truncate", "split"])
async def test_malformed_corpus_is_shipped_or_counted(tmp_path: Path, loki: LokiDouble, start_agent: Any,
                                                      long_lines: str) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    corpus = (b'{"level":"INFO","service":"svc","msg":"fine"}\n'
              + bytes(range(256)).replace(b"\n", b"") + b"\n"       # binary garbage
              + b'{"level":"INFO","msg":"caf\xe9 \xff\xfe"}\n'        # invalid UTF-8
              + b"\n\n\n"                                            # empty lines
              + b"A" * (10 * 1024 * 1024) + b"\n"                    # a 10 MB line
              + b'["a json array, not an object"]\n'
              + b'{"level":"WARN","msg":"no trailing newline"}')
    (logs / "app.log").write_bytes(corpus)
    a = await start_agent(loki_section(loki.url) + source_section(
        "app", f"{logs}/*.log", long_lines=f'"{long_lines}"', format='"json"', label_fields='["level"]'))
    pieces = 1 if long_lines == "truncate" else 40
    await loki.wait_for(lambda: loki.accepted >= 5 + pieces, 60)
    lines = loki.lines()
    assert lines[0] == '{"level":"INFO","service":"svc","msg":"fine"}'
    assert any("\ufffd" in x for x in lines)
    assert lines[-1] == '{"level":"WARN","msg":"no trailing newline"}'   # flushed after the grace period
    big = [x for x in lines if x.startswith("AAAA")]
    assert len(big) == pieces and all(len(x) <= 256 * 1024 for x in big)
    assert sum(map(len, big)) == (256 * 1024 if pieces == 1 else 10 * 1024 * 1024)
    assert not loki.rejected                                            # nothing Loki would refuse was sent
    assert a.value("cflexagent_log_invalid_utf8_lines_total", {"source": "app"}) >= 2
    assert a.value("cflexagent_log_dropped_lines_total", {"reason": "empty_line"}) == 3
    assert a.value("cflexagent_log_unparsed_lines_total", {"source": "app"}) >= 3
    assert a.value("cflexagent_log_long_lines_total", {"source": "app", "action": f"{long_lines}d"
                   if long_lines == "truncate" else "split"}) == 1
    unknown = [e for labels, e in loki.all_entries() if labels.get("level") == "unknown"]
    assert len(unknown) >= 3 and a.value("cflexagent_component_errors_total", {"component": "logs.source.app"}) == 0


async def test_protobuf_and_json_give_the_same_entries(tmp_path: Path, start_agent: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_bytes(b"".join(jline(i, request_id=f"req-{i}", note="caf\u00e9 \"q\" \\ \n")
                                            for i in range(300)))
    results = []
    for encoding, gz in (("protobuf", "false"), ("json", "false"), ("json", "true")):
        d = LokiDouble()
        await d.start()
        try:
            src = dict(JSON_SOURCE, metadata_fields='["seq", "request_id"]')
            a = await start_agent(loki_section(d.url, encoding=f'"{encoding}"', gzip=gz) +
                                  source_section("app", f"{logs}/*.log", **src), state=tmp_path / encoding / gz)
            await d.wait_for(lambda d=d: d.accepted >= 300, 30)
            await a.stop()
            results.append(sorted((tuple(sorted(lab.items())), e.ts, e.line, tuple(sorted(e.meta.items())))
                                  for lab, e in d.all_entries()))
            assert d.content_types["application/json" if encoding == "json" else "application/x-protobuf"] >= 1
        finally:
            await d.stop()
    assert results[0] == results[1] == results[2] and len(results[0]) == 300


async def test_rename_rotation_under_full_speed_writer_with_two_rotations_while_down(
        tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    a = await start_agent(loki_section(loki.url) + source_section(
        "app", f"{logs}/app.log*", exclude='["*.gz"]', **JSON_SOURCE))
    total, every, rotations = 60_000, 3_000, 0
    down_at = {6, 7}      # rotations that happen while Loki refuses connections
    loop = asyncio.get_running_loop()
    went_down, came_back = asyncio.Event(), asyncio.Event()

    def writer() -> None:
        nonlocal rotations
        f = open(logs / "app.log", "ab")
        for i in range(total):
            f.write(jline(i))
            if (i + 1) % every == 0:
                f.close()
                rotations += 1
                if rotations in down_at and rotations == min(down_at):
                    loop.call_soon_threadsafe(went_down.set)
                os.rename(logs / "app.log", logs / f"app.log.{rotations}")
                if rotations == max(down_at):
                    loop.call_soon_threadsafe(came_back.set)
                f = open(logs / "app.log", "ab")
        f.close()

    async def outage() -> None:
        await went_down.wait()
        await loki.refuse()
        await came_back.wait()
        await asyncio.sleep(0.5)
        await loki.accept()

    o = asyncio.create_task(outage())
    await asyncio.to_thread(writer)
    await o
    await loki.wait_for(lambda: loki.accepted >= total, 120)
    await asyncio.sleep(0.5)
    got = seqs(loki)
    assert sorted(got) == list(range(total))                 # nothing lost, nothing duplicated
    assert loki.replays == 0
    assert a.value("cflexagent_log_truncations_total", {"source": "app"}) == 0


async def test_deleted_while_open_is_drained(tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    a = await start_agent(loki_section(loki.url) + source_section("app", f"{logs}/*.log", **JSON_SOURCE))
    with open(logs / "app.log", "ab", buffering=0) as f:
        f.write(jline(0))
        await loki.wait_for(lambda: loki.accepted == 1, 30)
        f.write(b"".join(jline(i) for i in range(1, 5000)))
        os.unlink(logs / "app.log")
        f.write(b"".join(jline(i) for i in range(5000, 6000)))
    await loki.wait_for(lambda: loki.accepted >= 6000, 30)
    assert seqs(loki) == list(range(6000))
    await asyncio.sleep(1.0)
    assert a.value("cflexagent_log_files_open", {"source": "app"}) == 0


@pytest.mark.parametrize("glob", ["app.log", "app.log*"], ids=["copy-outside-glob", "copy-in-glob"])
async def test_copytruncate_loses_nothing_when_the_copy_is_readable(tmp_path: Path, loki: LokiDouble,
                                                                    start_agent: Any, glob: str) -> None:
    """logrotate's copytruncate: the lines written between our last read and the truncation live only in the
    copy. Found next to the original (outside the glob) or in the glob, it is read from where the original
    stood: nothing lost, nothing read twice (the writer here never writes between copy and truncation,
    logrotate's own race). 20 lines every 10 ms."""
    logs = tmp_path / "logs"
    logs.mkdir()
    a = await start_agent(loki_section(loki.url) + source_section("app", f"{logs}/{glob}", **JSON_SOURCE))
    total, truncations = 0, 5
    path = logs / "app.log"
    with open(path, "ab", buffering=0) as f:  # O_APPEND, as loggers open their files
        for r in range(truncations):
            for _ in range(50):
                f.write(b"".join(jline(total + i) for i in range(20)))
                total += 20
                await asyncio.sleep(0.01)
            shutil.copyfile(path, logs / f"app.log.{r}")
            os.truncate(path, 0)
        for _ in range(20):
            f.write(b"".join(jline(total + i) for i in range(20)))
            total += 20
            await asyncio.sleep(0.01)
    await loki.wait_for(lambda: len(seqs(loki)) >= total, 30)
    await asyncio.sleep(0.5)
    got = seqs(loki)
    assert sorted(got) == list(range(total)), (total - len(set(got)), len(got) - len(set(got)))
    assert loki.replays == 0
    assert a.value("cflexagent_log_truncations_total", {"source": "app"}) >= truncations


async def spool_full_while_down(tmp_path: Path, loki: LokiDouble, start_agent: Any, glob: str) -> tuple[Any, Path]:
    """An agent whose 4 KiB spool is full and whose source waits, Loki refusing connections."""
    logs = tmp_path / "logs"
    logs.mkdir()
    await loki.refuse()
    a = await start_agent(loki_section(loki.url, batch_max_bytes='"1KiB"', spool_max_bytes='"4KiB"')
                          + source_section("app", glob, **JSON_SOURCE))
    with open(logs / "app.log", "ab") as f:
        f.write(b"".join(jline(i, pad=os.urandom(40).hex()) for i in range(300)))
    await eventually(lambda: a.value("cflexagent_log_spool_full") == 1, within=30)
    return a, logs


async def test_rename_rotations_while_the_source_waits_on_a_full_spool_lose_nothing(
        tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    """A file that appears and is rotated out of the glob during an outage: the source, waiting on
    back-pressure, still scans and opens it, and its descriptor keeps the lines (they were lost when the
    source stopped scanning while it waited)."""
    a, logs = await spool_full_while_down(tmp_path, loki, start_agent, f"{tmp_path}/logs/app.log")
    seq = 300
    for _ in range(2):  # two rotations, the second renames the first rotated file away as well
        os.rename(logs / "app.log", logs / "app.log.1")
        with open(logs / "app.log", "ab") as f:
            f.write(b"".join(jline(i) for i in range(seq, seq + 100)))
        seq += 100
        await eventually(lambda: a.value("cflexagent_log_files_open", {"source": "app"}) == 2, within=10)
    (logs / "app.log.1").unlink()  # the middle file is only readable through the agent's descriptor now
    await loki.accept()
    await loki.wait_for(lambda: loki.accepted >= seq, 60)
    assert sorted(set(seqs(loki))) == list(range(seq))


async def test_backpressure_seconds_move_while_the_source_waits(tmp_path: Path, loki: LokiDouble,
                                                                start_agent: Any) -> None:
    """The counter shows an outage while it lasts (it moved only once the wait was over), also when the sink
    runs and its spool is full (it counted only a sink that was down)."""
    a, _ = await spool_full_while_down(tmp_path, loki, start_agent, f"{tmp_path}/logs/app.log")
    await eventually(lambda: a.value("cflexagent_log_backpressure_seconds_total", {"source": "app"}) >= 1.5,
                     within=10)
    assert a.value("cflexagent_log_spool_full") == 1  # still waiting
    await loki.accept()
    await loki.wait_for(lambda: loki.accepted >= 300, 60)
