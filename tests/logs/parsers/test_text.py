"""The text parsers (``logs/parsers/text.py``): nginx access/error, syslog 3164/5424, journal JSON."""

from __future__ import annotations

import calendar
import time

import pytest

from cflexagent.logs.parsers.text import (
    NGINX_COMBINED,
    compile_nginx_format,
    local_epoch,
    parse_journal,
    parse_nginx_access,
    parse_nginx_error,
    parse_syslog,
)

NS = 1_000_000_000


def test_nginx_combined() -> None:
    rx = compile_nginx_format(NGINX_COMBINED)
    line = ('203.0.113.9 - alice [26/Nov/2026:10:15:00 +0700] "GET /api/orders?page=2 HTTP/1.1" 200 5123 '
            '"https://cflex.example/" "Mozilla/5.0 (X11; Linux x86_64)"')
    ts, rec = parse_nginx_access(rx, line)  # type: ignore[misc]
    assert ts == (calendar.timegm((2026, 11, 26, 3, 15, 0)) * NS)
    assert rec == {"remote_addr": "203.0.113.9", "remote_user": "alice", "time_local": "26/Nov/2026:10:15:00 +0700",
                   "method": "GET", "path": "/api/orders?page=2", "protocol": "HTTP/1.1", "status": 200,
                   "bytes": 5123, "referer": "https://cflex.example/", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
                   "status_class": "2xx"}


def test_nginx_custom_format_with_timings() -> None:
    fmt = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
           '"$http_user_agent" rt=$request_time urt="$upstream_response_time" $host')
    rx = compile_nginx_format(fmt)
    line = ('::1 - - [26/Nov/2026:10:15:00 +0000] "POST /api/approvals HTTP/2.0" 502 0 "-" "curl/8.0" '
            'rt=3.512 urt="0.500, 3.000" api.cflex.example')
    _ts, rec = parse_nginx_access(rx, line)  # type: ignore[misc]
    assert rec["request_time"] == 3.512 and rec["upstream_response_time"] == pytest.approx(3.5)
    assert rec["status"] == 502 and rec["status_class"] == "5xx" and rec["host"] == "api.cflex.example"
    assert rec["method"] == "POST" and rec["path"] == "/api/approvals"


@pytest.mark.parametrize("line", [
    '1.2.3.4 - - [26/Nov/2026:10:15:00 +0000] "-" 400 0 "-" "-"',
    '1.2.3.4 - - [26/Nov/2026:10:15:00 +0000] "\\x16\\x03\\x01" 400 157 "-" "-"',
])
def test_nginx_garbage_request_line(line: str) -> None:
    got = parse_nginx_access(compile_nginx_format(NGINX_COMBINED), line)
    assert got is not None and got[1]["status"] == 400 and "method" not in got[1]


def test_nginx_not_matching_and_bad_format() -> None:
    assert parse_nginx_access(compile_nginx_format(NGINX_COMBINED), "hello world") is None
    with pytest.raises(ValueError):
        compile_nginx_format("no variables here")


def test_nginx_error() -> None:
    line = ('2026/11/26 10:15:00 [error] 1234#1234: *5678 connect() failed (111: Connection refused) while '
            'connecting to upstream, client: 203.0.113.9, server: api.cflex.example, request: "GET /api HTTP/1.1", '
            'upstream: "http://127.0.0.1:8000/api", host: "api.cflex.example"')
    ts, rec = parse_nginx_error(line)  # type: ignore[misc]
    assert ts == local_epoch(2026, 11, 26, 10, 15, 0) * NS
    assert rec["level"] == "error" and rec["connection"] == 5678 and rec["client"] == "203.0.113.9"
    assert rec["request"] == "GET /api HTTP/1.1" and rec["upstream"] == "http://127.0.0.1:8000/api"
    assert parse_nginx_error("2026/11/26 10:15:00 [warn] 1#1: an upstream response is buffered")[1]["level"] \
        == "warning"  # type: ignore[index]
    assert parse_nginx_error("2026/11/26 10:15:00 [emerg] 1#1: bind() failed")[1]["level"] == "critical"  # type: ignore[index]


@pytest.mark.parametrize(("line", "level", "app", "message"), [
    ("<34>Nov 26 10:15:00 vps sshd[123]: Failed password for root", "critical", "sshd", "Failed password for root"),
    ("<86>Nov  6 01:02:03 vps CRON[99]: (root) CMD (run)", "info", "CRON", "(root) CMD (run)"),
    ("Nov 26 10:15:00 vps kernel: Out of memory", None, "kernel", "Out of memory"),
    ("<165>1 2026-11-26T10:15:00.003Z vps cflex-api 42 ID47 [ex@32473 a=\"1\"] order created", "info", "cflex-api",
     "order created"),
    ("<11>1 2026-11-26T10:15:00+07:00 vps app - - - \ufeffdisk failing", "error", "app", "disk failing"),
    ("2026-11-26T10:15:00.123456+00:00 vps systemd[1]: Started cflex-api.service.", None, "systemd",
     "Started cflex-api.service."),
])
def test_syslog(line: str, level: str | None, app: str, message: str) -> None:
    got = parse_syslog(line, now=calendar.timegm((2026, 11, 27, 0, 0, 0)))
    assert got is not None
    ts, rec = got
    assert ts is not None
    assert rec.get("level") == level and rec["app"] == app and rec["message"] == message


def test_syslog_5424_timestamp_and_3164_year_rollover() -> None:
    ts, _rec = parse_syslog("<165>1 2026-11-26T10:15:00.003Z h a - - - m")  # type: ignore[misc]
    assert ts == calendar.timegm((2026, 11, 26, 10, 15, 0)) * NS + 3_000_000
    jan = time.mktime((2027, 1, 2, 0, 0, 0, 0, 0, -1))
    ts, _ = parse_syslog("Dec 31 23:59:00 h app: m", now=jan)  # type: ignore[misc]
    assert time.localtime(ts // NS).tm_year == 2026  # type: ignore[operator]
    assert parse_syslog("not syslog at all") is None


def test_journal_record() -> None:
    obj = {"__CURSOR": "s=abc;i=1", "__REALTIME_TIMESTAMP": "1795688100123456", "PRIORITY": "3",
           "_SYSTEMD_UNIT": "cflex-api.service", "SYSLOG_IDENTIFIER": "cflex-api", "_PID": "42",
           "MESSAGE": "upstream timed out"}
    ts, msg, rec, cursor = parse_journal(obj)
    assert ts == 1795688100123456000 and msg == "upstream timed out" and cursor == "s=abc;i=1"
    assert rec["unit"] == "cflex-api.service" and rec["level"] == "error" and rec["priority"] == 3


def test_journal_binary_message() -> None:
    _, msg, rec, _ = parse_journal({"MESSAGE": [104, 105, 0xFF, 33], "__REALTIME_TIMESTAMP": "1"})
    assert msg == "hi\ufffd!" and "level" not in rec
