"""Credentials and tokens in probe, heartbeat and canary URLs: userinfo is refused at load with the key
path (and without repeating the URL), query strings never reach the `target` label, /api/probes or log
lines, and no part of a heartbeat URL is ever shown. Against real loopback servers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
import pytest
from aiohttp.test_utils import make_mocked_request

from cflexagent.config import ConfigError, parse
from cflexagent.telemetry import JSONFormatter

from .conftest import Harness, wait_until
from .test_config_cli import run_cli
from .test_scheduler import http_probe

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
USERINFO = "must not contain user:password@; send credentials with headers = { Authorization = \"Basic ...\" }"


@pytest.mark.parametrize(("text", "message"), [
    ('[[probes]]\nname = "a"\ntype = "http"\nurl = "https://ops:hunter2@api.example/health"\n',
     f"x.toml: probes[0].url: URL {USERINFO}"),
    ('[[heartbeats]]\nname = "hb"\nurl = "https://ops:hunter2@hc-ping.com/hunter2-uuid"\n',
     f"x.toml: heartbeats[0].url: URL {USERINFO}"),
    ('[probe_defaults]\ncanaries = ["http://ops:hunter2@1.1.1.1/"]\n',
     "x.toml: probe_defaults.canaries[0]: URL must not contain user:password@; a canary only needs to be "
     "reachable"),
    # Other heartbeat URL errors name the key path only: the URL itself is the secret.
    ('[[heartbeats]]\nname = "hb"\nurl = "ftp://hc-ping.com/hunter2-uuid"\n',
     'x.toml: heartbeats[0].url: expected an http:// or https:// URL, got scheme "ftp://"'),
    ('[[heartbeats]]\nname = "hb"\nurl = "https://hc-ping.com:hunter2/uuid"\n',
     "x.toml: heartbeats[0].url: invalid URL (a port that is not a number 1-65535)"),
    ('[[heartbeats]]\nname = "hb"\nurl = "https://hc-ping.com/hunter2 uuid"\n',
     "x.toml: heartbeats[0].url: URL must not contain spaces or line breaks"),
    ('[[heartbeats]]\nname = "hb"\nurl = "https://hc-ping.com/x"\nheaders = { "Bad Name" = "hunter2" }\n',
     'x.toml: heartbeats[0].headers: invalid header "Bad Name"'),
])
def test_url_errors_name_the_key_path_and_never_repeat_the_url(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as ei:
        parse(text, "x.toml")
    assert str(ei.value) == message
    assert "hunter2" not in str(ei.value)


async def test_check_refuses_userinfo_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[agent]\nstate_dir = "{tmp_path}"\n'
                    '[[heartbeats]]\nname = "hb"\nurl = "https://ops:hunter2@hc-ping.com/uuid"\n')
    code, out, err = await run_cli("check", "-c", str(path))
    assert code == 2
    assert err.strip() == f"{path}: heartbeats[0].url: URL {USERINFO}"
    assert "hunter2" not in out + err


async def _http_server(raw_server: Callable[[Handler], Awaitable[int]],
                       answer: Callable[[bytes], bytes]) -> tuple[int, list[bytes]]:
    """A scripted HTTP/1.1 server: ``answer(request line)`` gives the whole response."""
    seen: list[bytes] = []

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        head = await r.readuntil(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0]
        seen.append(line)
        w.write(answer(line))
        await w.drain()

    return await raw_server(handler), seen


def _lines(caplog: pytest.LogCaptureFixture) -> str:
    fmt = JSONFormatter()
    return "\n".join(fmt.format(r) for r in caplog.records)


async def test_query_strings_stay_out_of_labels_api_and_logs(
        harness: Harness, raw_server: Callable[[Handler], Awaitable[int]], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cflexagent")
    mode = {"loop": False}

    def answer(line: bytes) -> bytes:
        if mode["loop"]:
            return b"HTTP/1.1 302 Found\r\nLocation: /again?sig=LOCSECRET\r\nContent-Length: 0\r\n\r\n"
        return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    port, seen = await _http_server(raw_server, answer)
    url = f"http://127.0.0.1:{port}/start?token=QSECRET#frag"
    target = f"http://127.0.0.1:{port}/start"
    harness.start(http_probe("signed", url, failure_threshold=1, max_redirects=2))
    await wait_until(lambda: harness.value("cflexagent_probe_up", probe="signed", target=target) == 1, what="up")
    # The request itself still carries the query.
    assert seen[0] == b"GET /start?token=QSECRET HTTP/1.1"
    mode["loop"] = True
    await wait_until(lambda: harness.value("cflexagent_probe_up", probe="signed", target=target) == 0,
                     what="down after a redirect loop")
    resp = await harness.ctx.routes["/api/probes"](make_mocked_request("GET", "/api/probes"))
    body = resp.body
    assert isinstance(body, bytes)
    doc = orjson.loads(body)
    assert doc["probes"][0]["target"] == target
    assert doc["probes"][0]["last"]["detail"] == f"more than 2 redirects (the last to http://127.0.0.1:{port}/again)"
    logs = _lines(caplog)
    assert '"message":"probe is down"' in logs and f'"target":"{target}"' in logs
    for text in (body.decode(), logs):
        assert "QSECRET" not in text and "LOCSECRET" not in text and "frag" not in text


async def test_no_part_of_a_heartbeat_url_is_shown(
        harness: Harness, raw_server: Callable[[Handler], Awaitable[int]], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cflexagent")
    port, seen = await _http_server(
        raw_server, lambda line: b"HTTP/1.1 301 Moved\r\nLocation: /ping/HB-UUID?again=1\r\nContent-Length: 0\r\n\r\n")
    harness.start(f'[[heartbeats]]\nname = "hc"\nurl = "http://127.0.0.1:{port}/ping/HB-UUID?k=HBQUERY"\n'
                  'interval = "1s"\ntimeout = "800ms"\nheaders = { Authorization = "Basic aGM6SEJQQVNT" }\n')
    await wait_until(lambda: (harness.value("cflexagent_heartbeat_total", heartbeat="hc", result="failure") or 0) >= 1,
                     what="a failed ping")
    assert seen[0] == b"GET /ping/HB-UUID?k=HBQUERY HTTP/1.1"
    resp = await harness.ctx.routes["/api/probes"](make_mocked_request("GET", "/api/probes"))
    body = resp.body
    assert isinstance(body, bytes)
    assert orjson.loads(body)["heartbeats"] == [{"name": "hc", "host": "127.0.0.1", "last_error": "redirects"}]
    logs = _lines(caplog)
    assert '"message":"heartbeat ping failed"' in logs
    assert '"detail":"more than 10 redirects (the last to)"' in logs
    for text in (body.decode(), logs):
        assert "HB-UUID" not in text and "HBQUERY" not in text and "/ping" not in text and "aGM6" not in text
