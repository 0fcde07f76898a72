"""The Loki sink against the double: credentials, the URL in logs, /ready at start, push timeouts."""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from cflexagent.config import ConfigError, parse
from cflexagent.logs.capability import summary
from tests.conftest import eventually, free_port, loki_section, source_section
from tests.fakes.loki import LokiDouble, encode_entry, encode_stream
from tests.sinks.loki.test_spool import version_1_record


def write_lines(path: Path, prefix: str, n: int, start: int = 0) -> None:
    with open(path, "a") as f:
        f.writelines(f"{prefix} {i}\n" for i in range(start, start + n))


async def test_unreadable_credentials_send_nothing_then_every_header(tmp_path: Path, loki: LokiDouble,
                                                                    start_agent: Any) -> None:
    pw = tmp_path / "loki.pw"  # not there yet (a secret being provisioned, a typo fixed later)
    log = tmp_path / "app.log"
    write_lines(log, "line", 20)
    a = await start_agent(loki_section(loki.url, encoding='"json"', gzip="true", tenant='"acme"',
                                       basic_auth_user='"agent"', basic_auth_password_file=f'"{pw}"')
                          + source_section("app", str(log)))
    errors = {"status_code": "credentials_error"}
    await eventually(lambda: a.value("cflexagent_log_push_requests_total", errors) >= 2, within=30)
    # Nothing went out unauthenticated, nor without the tenant or the gzip header.
    assert loki.requests == 0
    assert a.value("cflexagent_log_loki_ready") == 0
    pw.write_text("s3cret\n")  # read again on the next attempt, no reload needed
    await loki.wait_for(lambda: loki.accepted >= 20, within=30)
    assert sorted(loki.lines()) == sorted(f"line {i}" for i in range(20))
    auth = "Basic " + base64.b64encode(b"agent:s3cret").decode()
    assert loki.request_headers and all(
        h.get("X-Scope-OrgID") == "acme" and h.get("Content-Encoding") == "gzip" and h.get("Authorization") == auth
        and h.get("User-Agent") == "cflexagent" for h in loki.request_headers)
    assert loki.rejected == {}
    await a.stop()


def test_url_with_user_info_is_refused_at_load() -> None:
    with pytest.raises(ConfigError) as e:
        parse('[logs.loki]\nurl = "http://agent:hunter2@127.0.0.1:3100/loki/api/v1/push"\n', "x.toml")
    msg = str(e.value)
    assert msg.startswith("x.toml: logs.loki.url: ") and "basic_auth_password_file" in msg
    assert "hunter2" not in msg


async def test_url_query_string_is_never_printed_or_logged(tmp_path: Path, start_agent: Any,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}/loki/api/v1/push?api_key=s3cr3t-in-url"  # nothing listens there
    log = tmp_path / "app.log"
    write_lines(log, "line", 3)
    text = loki_section(url) + source_section("app", str(log))
    assert not any("s3cr3t" in line for line in summary(parse("[agent]\n" + text, "x.toml")))
    with caplog.at_level(logging.INFO, logger="cflexagent"):
        a = await start_agent(text)
        failed = {"status_code": "connection_error"}
        await eventually(lambda: a.value("cflexagent_log_push_requests_total", failed) >= 2, within=30)
        await a.stop()
    logged = [(r.getMessage(), getattr(r, "fields", {})) for r in caplog.records]
    assert any(m == "Loki push failed; retrying" for m, _ in logged)
    assert not any("s3cr3t" in f"{m} {f}" for m, f in logged)


async def test_ready_is_checked_at_start_and_exported(tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    log = tmp_path / "app.log"
    write_lines(log, "line", 5)
    a = await start_agent(loki_section(loki.url) + source_section("app", str(log)))
    await eventually(lambda: a.value("cflexagent_log_loki_ready") == 1, within=30)
    await loki.wait_for(lambda: loki.accepted >= 5, within=30)
    await a.stop()


async def test_not_ready_at_start_is_reported_and_pushing_goes_on(tmp_path: Path, loki: LokiDouble,
                                                                  start_agent: Any) -> None:
    loki.set_mode("503")  # "Ingester not ready" on /ready and on pushes
    log = tmp_path / "app.log"
    write_lines(log, "line", 5)
    a = await start_agent(loki_section(loki.url) + source_section("app", str(log)))
    await eventually(lambda: a.value("cflexagent_log_push_requests_total", {"status_code": "503"}) >= 1,
                     within=30)
    assert a.value("cflexagent_log_loki_ready") == 0
    loki.set_mode("ok")
    await loki.wait_for(lambda: loki.accepted >= 5, within=30)
    assert sorted(loki.lines()) == sorted(f"line {i}" for i in range(5))
    await a.stop()


async def test_a_push_that_times_out_is_retried_and_lands_once(tmp_path: Path, loki: LokiDouble,
                                                               start_agent: Any) -> None:
    loki.set_mode("hang")  # reads the request, never answers
    log = tmp_path / "app.log"
    write_lines(log, "line", 50)
    a = await start_agent(loki_section(loki.url, timeout='"1s"') + source_section("app", str(log)))
    await eventually(lambda: a.value("cflexagent_log_push_requests_total", {"status_code": "timeout"}) >= 2,
                     within=30)
    assert loki.accepted == 0
    write_lines(log, "line", 50, start=50)  # more lines arrive during the outage
    loki.set_mode("ok")
    await loki.wait_for(lambda: loki.accepted >= 100, within=60)
    # Every line once, in order; the timed-out requests' late copies were byte-identical replays.
    assert loki.lines() == [f"line {i}" for i in range(100)]
    assert a.value("cflexagent_log_push_retries_total") >= 2
    await a.stop()


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
async def test_a_spool_left_by_an_older_version_is_pushed_with_the_new_records(
        tmp_path: Path, loki: LokiDouble, start_agent: Any, encoding: str) -> None:
    """Version 1 spool records (uncompressed, no flags) from before an upgrade go out first, then the
    new snappy records; a push of several records is decompressed, joined and compressed again."""
    spool = tmp_path / "state" / "logs" / "spool"
    spool.mkdir(parents=True)
    now = time.time_ns() - 10**9
    old = encode_stream(b'{job="old"}', [encode_entry(now + i, b"spooled %d" % i) for i in range(3)])
    (spool / f"seg-{1:016d}.spool").write_bytes(version_1_record(1, old, {"source": "old", "lines": 3}))
    log = tmp_path / "app.log"
    write_lines(log, "line", 20)
    a = await start_agent(loki_section(loki.url, encoding=f'"{encoding}"', batch_max_wait='"3s"')
                          + source_section("app", str(log)))
    await loki.wait_for(lambda: loki.accepted >= 23, within=30)
    assert loki.lines() == [f"spooled {i}" for i in range(3)] + [f"line {i}" for i in range(20)]
    await eventually(lambda: a.value("cflexagent_log_spool_records") == 0)
    assert loki.replays == 0
    assert loki.requests == 1  # one push: the old record and the new ones joined
