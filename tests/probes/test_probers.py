"""Each hostile target gives its one reason, within its timeout, with bounded memory."""

from __future__ import annotations

import tracemalloc

from cflexagent.probes.base import REASONS

from .conftest import App, banner, malformed, one_byte_per_second, reset, silent


async def test_http_success_fills_phases_and_facts(probe, app: App) -> None:
    r = await probe(url=app.url("/ok"), expect_body="ok", expect_header={"content-type": "json"})
    assert (r.result, r.reason) == ("success", ""), r.detail
    assert r.status_code == 200 and r.http_version == 1.1
    assert r.content_length == len('{"status": "ok"}')
    assert r.connect > 0 and r.processing > 0 and r.resolve == 0.0  # IP literal: nothing to resolve
    assert r.duration >= r.connect + r.processing


async def test_http_resolves_through_etc_hosts(probe, app: App) -> None:
    r = await probe(url=f"http://localhost:{app.port}/ok")
    assert r.result == "success", r.detail
    assert r.resolve > 0 and r.address == "127.0.0.1"


async def test_unresolvable_name_is_dns(probe) -> None:
    r = await probe(url="http://no-such-host.invalid/")
    assert r.reason == "dns"


async def test_closed_port_is_refused(probe, free_port_factory) -> None:
    port = free_port_factory()
    assert (await probe(url=f"http://127.0.0.1:{port}/")).reason == "refused"
    assert (await probe(address=f"127.0.0.1:{port}")).reason == "refused"


async def test_silent_server_times_out_within_the_timeout(probe, raw_server) -> None:
    port = await raw_server(silent)
    r = await probe(url=f"http://127.0.0.1:{port}/", timeout="1s")
    assert r.reason == "timeout"
    assert r.duration < 5.0


async def test_one_byte_per_second_times_out(probe, raw_server) -> None:
    port = await raw_server(one_byte_per_second)
    r = await probe(url=f"http://127.0.0.1:{port}/", timeout="2s")
    assert r.reason == "timeout"
    assert r.processing > 0  # the first byte did arrive
    assert r.duration < 6.0


async def test_reset_is_reset(probe, raw_server) -> None:
    port = await raw_server(reset)
    assert (await probe(url=f"http://127.0.0.1:{port}/")).reason == "reset"


async def test_malformed_http_is_protocol(probe, raw_server) -> None:
    port = await raw_server(malformed)
    r = await probe(url=f"http://127.0.0.1:{port}/", timeout="3s")
    assert r.reason == "protocol", r.detail


async def test_redirect_loop_is_redirects(probe, app: App) -> None:
    r = await probe(url=app.url("/loop"), max_redirects=3)
    assert r.reason == "redirects"
    assert r.redirects == 3


async def test_redirect_is_followed_and_counted(probe, app: App) -> None:
    r = await probe(url=app.url("/redirect"))
    assert r.result == "success" and r.redirects == 1 and r.status_code == 200
    r = await probe(url=app.url("/redirect"), follow_redirects=False, expect_status=[301])
    assert r.result == "success" and r.redirects == 0


async def test_one_gigabyte_body_is_read_up_to_the_limit(probe, app: App) -> None:
    tracemalloc.start()
    try:
        r = await probe(url=app.url("/huge"), body_limit="256KiB", expect_body="x", timeout="10s")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.result == "success", r.detail
    assert r.body_bytes == 256 * 1024
    assert r.content_length == 1 << 30
    assert peak < 32 * 1024 * 1024


async def test_status_body_header_and_too_slow(probe, app: App) -> None:
    app.state["status"] = 503
    assert (await probe(url=app.url("/ok"))).reason == "status"
    assert (await probe(url=app.url("/ok"), expect_status=["5xx"])).result == "success"
    app.state["status"] = 200
    r = await probe(url=app.url("/ok"), expect_body="^nope")
    assert (r.reason, r.regex_failed) == ("body", True)
    assert (await probe(url=app.url("/ok"), fail_if_body="status")).reason == "body"
    assert (await probe(url=app.url("/ok"), expect_header={"content-type": "xml"})).reason == "header"
    assert (await probe(url=app.url("/ok"), expect_header={"x-missing": "."})).reason == "header"
    r = await probe(url=app.url("/slow?s=0.3"), max_duration="100ms", timeout="5s")
    assert r.reason == "too_slow"


async def test_tcp_send_expect(probe, raw_server) -> None:
    port = await raw_server(banner)
    assert (await probe(address=f"127.0.0.1:{port}", send="PING\r\n", expect="^\\+PONG")).result == "success"
    r = await probe(address=f"127.0.0.1:{port}", send="HELLO\r\n", expect="^\\+PONG")
    assert r.reason == "expect"


async def test_tcp_silent_expect_times_out(probe, raw_server) -> None:
    port = await raw_server(silent)
    assert (await probe(address=f"127.0.0.1:{port}")).result == "success"  # connecting is enough
    r = await probe(address=f"127.0.0.1:{port}", expect="^220", timeout="1s")
    assert r.reason == "timeout"


def test_reasons_are_a_closed_set() -> None:
    assert len(set(REASONS)) == len(REASONS)


async def short_body(r, w) -> None:
    await r.readuntil(b"\r\n\r\n")
    w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..")
    await w.drain()


async def unframed_body(r, w) -> None:
    await r.readuntil(b"\r\n\r\n")
    w.write(b"HTTP/1.0 200 OK\r\n\r\nbody ends with the connection")
    await w.drain()


async def test_body_cut_short_is_reset_and_unframed_body_ends_at_close(probe, raw_server) -> None:
    port = await raw_server(short_body)
    assert (await probe(url=f"http://127.0.0.1:{port}/")).reason == "reset"
    port = await raw_server(unframed_body)
    r = await probe(url=f"http://127.0.0.1:{port}/", expect_body="connection$")
    assert r.result == "success", r.detail
    assert r.http_version == 1.0
