"""The relay in-process: webhook answers, delivery by email, fallback to each WhatsApp gateway,
permanent vs transient failures, hung gateways and SMTP servers, slow webhook bodies, rate-limit
summaries, duplicates, a full outbox."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.fakes.smtp import SMTPDouble, bodies
from tests.fakes.whatsapp import GatewayDouble

from .conftest import (
    TOKEN,
    agent_url,
    email_channel,
    eventually,
    payload,
    post,
    relay_section,
    route,
    start_relay,
    wa_channel,
)


async def test_webhook_is_delivered_by_email_with_subject_and_bodies(
        start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]')))
    status, doc = await post(http, r, payload(n_alerts=2))
    assert (status, doc["status"]) == (200, "accepted")
    await smtp.wait_for(lambda: len(smtp.messages) == 1)
    msg = smtp.messages[0]
    assert msg["Subject"] == "[FIRING:2] HighErrorRate (critical) api-1:8080"
    assert msg["To"] == "ops@cflex.example" and msg["From"] == "alerts@cflex.example"
    text, html = bodies(msg)
    assert "HighErrorRate on api-1:8080" in text
    assert "Runbook: https://monitor.example.com/runbooks/high-error-rate" in text
    assert text.count("- FIRING HighErrorRate since 2026-08-22 12:00 UTC") == 2
    assert "labels: alertname=HighErrorRate, instance=api-1:8080, job=api, severity=critical" in text
    assert "<table" in html and "Error rate above 1% for 5m" in html
    await eventually(lambda: r.value("cflexagent_alert_notifications_total",
                                     {"channel": "mail", "severity": "critical", "result": "delivered"}) == 1)
    assert r.value("cflexagent_alert_webhooks_total", {"result": "accepted"}) == 1
    assert r.value("cflexagent_alert_delivery_latency_seconds_count", {"channel": "mail", "severity": "critical"}) == 1
    await eventually(lambda: r.value("cflexagent_alert_outbox_notifications") == 0)
    async with http.get(agent_url(r) + "/api/alerts") as resp:
        api = await resp.json()
    assert api["pending"] == [] and api["recent"][0]["state"] == "delivered"
    assert api["recent"][0]["channel"] == "mail"
    assert TOKEN not in orjson.dumps(api).decode()


@pytest.mark.parametrize(("body", "status", "reason"), [
    (b"{not json", 400, "invalid JSON"),
    (b'{"version": "3", "groupKey": "g", "status": "firing", "alerts": []}', 400, "unsupported payload version"),
    (b'{"version": "4", "groupKey": "g", "status": "sleeping", "alerts": []}', 400, "not an Alertmanager webhook"),
    (b'{"version": "4", "groupKey": "g", "status": "firing", "alerts": []}', 400, "no alerts"),
    (b"[1, 2]", 400, "expected a JSON object"),
])
async def test_bad_payloads_get_400_with_the_reason(start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path],
                                                    http: aiohttp.ClientSession, body: bytes, status: int,
                                                    reason: str) -> None:
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]')))
    got, doc = await post(http, r, body)
    assert got == status and reason in doc["reason"]
    assert r.value("cflexagent_alert_webhooks_total", {"result": "bad_request"}) == 1
    assert r.value("cflexagent_alert_outbox_notifications") == 0


async def test_wrong_or_missing_token_401_oversize_413_and_get_405(
        start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]'),
                                        max_body='"2KiB"'))
    for token in (None, "nope", TOKEN + "x", TOKEN[:-1]):
        status, doc = await post(http, r, payload(), token=token)
        assert status == 401 and doc["status"] == "unauthorized"
    status, doc = await post(http, r, payload(n_alerts=20))
    assert status == 413
    # Without a Content-Length (chunked): still cut at the limit.
    async def chunks() -> Any:
        for _ in range(10):
            yield b" " * 1024
    async with http.post(agent_url(r) + "/alerts/webhook", data=chunks(),
                         headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
        assert resp.status == 413
    async with http.get(agent_url(r) + "/alerts/webhook") as resp:
        assert resp.status == 405
    assert r.value("cflexagent_alert_webhooks_total", {"result": "unauthorized"}) == 4
    assert r.value("cflexagent_alert_webhooks_total", {"result": "too_large"}) == 2
    assert smtp.messages == []


async def test_retried_webhook_is_delivered_once(start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path],
                                                 http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]')))
    first = await post(http, r, payload())
    again = await post(http, r, payload())
    assert first[1]["status"] == "accepted" and again == (200, {"status": "duplicate",
                                                                "duplicate_of": first[1]["id"]})
    # The resolve of the same group is a different notification.
    resolved = await post(http, r, payload(status="resolved"))
    assert resolved[1]["status"] == "accepted"
    await smtp.wait_for(lambda: len(smtp.messages) == 2)
    await eventually(lambda: r.value("cflexagent_alert_outbox_notifications") == 0)
    assert [m["Subject"].split("]")[0] for m in smtp.messages] == ["[FIRING:1", "[RESOLVED:1"]


@pytest.mark.parametrize("kind", ["waha", "fonnte", "cloud_api", "generic"])
@pytest.mark.parametrize("smtp_failure", ["refused", "421", "554"])
async def test_smtp_failing_falls_back_to_each_whatsapp_gateway(
        start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path], http: aiohttp.ClientSession,
        kind: str, smtp_failure: str) -> None:
    gw: GatewayDouble = await gateway(kind, templates={"alert_notification": ("en", 4)})
    extra = {"template": '"alert_notification"'} if kind == "cloud_api" else {}
    if smtp_failure == "refused":
        await smtp.refuse()
    else:
        smtp.set_mode(smtp_failure)
    r = await start_relay(start_agent, relay_section(secrets["relay_token"],
                                        email_channel(smtp) + wa_channel(gw, secrets["wa_token"], **extra),
                                        route('["mail", "wa"]', "critical")))
    assert (await post(http, r, payload()))[1]["status"] == "accepted"
    await gw.wait_for(lambda: len(gw.delivered) == 1)
    to, text = gw.delivered[0]
    assert to == "628123456789"
    if kind == "cloud_api":
        assert text == ("template:alert_notification:critical | HighErrorRate | HighErrorRate on api-1:8080 | "
                        "https://monitor.example.com/runbooks/high-error-rate")
    else:
        assert text.splitlines()[:3] == ["🔴 [FIRING] CRITICAL HighErrorRate", "HighErrorRate on api-1:8080",
                                         text.splitlines()[2]]
        assert text.splitlines()[2].startswith("since 2026-08-22 12:00 UTC (") and "· api-1:8080" in text
        assert "Runbook: https://monitor.example.com/runbooks/high-error-rate" in text
    await eventually(lambda: r.value("cflexagent_alert_fallbacks_total",
                                     {"from_channel": "mail", "to_channel": "wa"}) == 1)
    reason = {"refused": "refused", "421": "smtp_4xx", "554": "smtp_5xx"}[smtp_failure]
    assert r.value("cflexagent_alert_send_failures_total", {"channel": "mail", "reason": reason}) >= 1
    attempts = r.value("cflexagent_alert_send_attempts_total",
                       {"channel": "mail", "result": "permanent" if smtp_failure == "554" else "transient"})
    if smtp_failure == "554":
        assert attempts == 1   # permanent: never retried, fallback at once
    else:
        assert attempts >= 2   # transient: retried within retry_for, then fallback
    assert smtp.messages == []


@pytest.mark.parametrize("kind", ["waha", "fonnte", "cloud_api", "generic"])
async def test_gateway_4xx_is_not_retried_and_fonnte_status_false_is_a_failure(
        start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path], http: aiohttp.ClientSession,
        kind: str) -> None:
    gw: GatewayDouble = await gateway(kind, open_windows={"628123456789"})
    gw.set_mode("4xx")
    r = await start_relay(start_agent, relay_section(secrets["relay_token"],
                                        wa_channel(gw, secrets["wa_token"]) + email_channel(smtp),
                                        route('["wa", "mail"]')))
    await post(http, r, payload())
    await smtp.wait_for(lambda: len(smtp.messages) == 1)
    assert gw.requests == 1 and gw.delivered == []
    assert r.value("cflexagent_alert_send_attempts_total", {"channel": "wa", "result": "permanent"}) == 1
    if kind == "fonnte":
        assert gw.statuses == {200: 1}   # an HTTP 200 that says status false
        assert r.value("cflexagent_alert_send_failures_total", {"channel": "wa", "reason": "gateway_error"}) == 1


async def test_gateway_5xx_is_retried_then_delivered(start_agent: Any, gateway: Any, secrets: dict[str, Path],
                                                     http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    gw.set_mode("5xx")
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], wa_channel(gw, secrets["wa_token"]),
                                        route('["wa"]', retry_for='"30s"')))
    await post(http, r, payload())
    await gw.wait_for(lambda: gw.requests >= 3)
    gw.set_mode("ok")
    await gw.wait_for(lambda: len(gw.delivered) == 1)
    assert gw.statuses[503] >= 3


async def test_cloud_api_text_outside_the_24h_window_is_not_delivered(
        start_agent: Any, gateway: Any, secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("cloud_api")
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], wa_channel(gw, secrets["wa_token"]),
                                        route('["wa"]')))
    await post(http, r, payload())
    await gw.wait_for(lambda: gw.failed_async == [("628123456789", 131047)])
    assert gw.delivered == []   # the API said 200; the phone never got it: templates are needed


async def test_hung_gateway_blocks_nothing_else(start_agent: Any, smtp: SMTPDouble, gateway: Any,
                                                secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    gw.set_mode("hang")
    r = await start_relay(start_agent, relay_section(secrets["relay_token"],
                                        wa_channel(gw, secrets["wa_token"], timeout='"1s"') + email_channel(smtp),
                                        route('["wa"]', "critical", retry_for='"2s"', also='["mail"]')
                                        + route('["mail"]')))
    await post(http, r, payload())
    # Other notifications (and the also channel) go out while the gateway hangs; webhooks answer at once.
    for i in range(3):
        _status, doc = await post(http, r, payload(alertname=f"DiskFull{i}", severity="warning",
                                                  fingerprint=f"d15c{i:012d}"))
        assert doc["status"] == "accepted"
    await smtp.wait_for(lambda: len(smtp.messages) == 4)
    async with http.get(agent_url(r) + "/healthz") as resp:
        assert resp.status == 200
    await eventually(lambda: r.value("cflexagent_alert_send_failures_total", {"channel": "wa", "reason": "timeout"})
                     >= 1)
    await eventually(lambda: r.value("cflexagent_alert_undeliverable_total", {"severity": "critical"}) == 0
                     and r.value("cflexagent_alert_notifications_total",
                                 {"channel": "wa", "severity": "critical", "result": "failed"}) >= 1, within=20)


async def test_hung_smtp_server_blocks_nothing_else(start_agent: Any, smtp: SMTPDouble, gateway: Any,
                                                    secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    """An SMTP server that accepts the connection and never says a word (no greeting): while the mail
    channel waits on it, webhooks are answered, the other channel delivers and /healthz answers; then the
    attempt times out and the critical alert falls back to WhatsApp."""
    smtp.set_mode("silent")
    gw: GatewayDouble = await gateway("waha")
    r = await start_relay(start_agent, relay_section(
        secrets["relay_token"], email_channel(smtp, timeout='"3s"') + wa_channel(gw, secrets["wa_token"]),
        route('["mail", "wa"]', "critical") + route('["wa"]')))
    status, doc = await post(http, r, payload())
    assert (status, doc["status"]) == (200, "accepted")
    await eventually(lambda: smtp.open == 1)   # the mail channel is connected, waiting for a greeting
    for i in range(3):
        status, doc = await post(http, r, payload(alertname=f"DiskFull{i}", severity="warning",
                                                  fingerprint=f"d15c{i:012d}"))
        assert (status, doc["status"]) == (200, "accepted")
    await gw.wait_for(lambda: len(gw.delivered) == 3, within=10)
    async with http.get(agent_url(r) + "/healthz") as resp:
        assert resp.status == 200
    async with http.get(agent_url(r) + "/api/alerts") as resp:
        assert resp.status == 200
    assert smtp.open == 1, "the SMTP attempt ended before the rest was checked: the test proves nothing"
    await gw.wait_for(lambda: len(gw.delivered) == 4, within=20)
    assert gw.delivered[3][1].startswith("🔴 [FIRING] CRITICAL HighErrorRate")
    assert r.value("cflexagent_alert_send_failures_total", {"channel": "mail", "reason": "timeout"}) >= 1
    assert r.value("cflexagent_alert_fallbacks_total", {"from_channel": "mail", "to_channel": "wa"}) == 1
    assert smtp.messages == []


async def test_slow_body_webhook_gets_408_and_blocks_nothing_else(
        start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path], http: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A peer that trickles its body (one byte every 50 ms, slowloris-style) is cut off with 408 once the
    body is not complete within the body timeout; meanwhile other webhooks and /healthz are answered."""
    from cflexagent.alerts import relay as relay_module

    monkeypatch.setattr(relay_module, "BODY_TIMEOUT", 3.0)
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]')))
    loop = asyncio.get_running_loop()
    started = loop.time()
    reader, writer = await asyncio.open_connection("127.0.0.1", r.agent.server.port)
    writer.write(b"POST /alerts/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + f"Authorization: Bearer {TOKEN}\r\nContent-Length: 100000\r\n\r\n".encode())
    await writer.drain()

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)   # the behaviour under test: bytes keep coming, slowly

    dribbler = asyncio.create_task(trickle())
    try:
        status, doc = await post(http, r, payload())
        assert (status, doc["status"]) == (200, "accepted")
        await smtp.wait_for(lambda: len(smtp.messages) == 1)
        async with http.get(agent_url(r) + "/healthz") as resp:
            assert resp.status == 200
        others_answered = loop.time()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        cut_off = loop.time()
        assert head.startswith(b"HTTP/1.1 408 "), head
        # Everything else was answered while the slow body was still arriving.
        assert others_answered < cut_off and cut_off - started >= 3.0
    finally:
        dribbler.cancel()
        await asyncio.gather(dribbler, return_exceptions=True)
        writer.close()
    assert r.value("cflexagent_alert_webhooks_total", {"result": "bad_request"}) == 1
    assert r.value("cflexagent_alert_webhooks_total", {"result": "accepted"}) == 1


async def test_flood_over_the_rate_limit_is_grouped_into_a_summary(
        start_agent: Any, gateway: Any, secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    r = await start_relay(start_agent, relay_section(secrets["relay_token"],
                                        wa_channel(gw, secrets["wa_token"], rate_limit='"2/2s"'),
                                        route('["wa"]')))
    for i in range(12):
        status, doc = await post(http, r, payload(alertname=f"Flood{i}", fingerprint=f"f100d{i:011d}"))
        assert status == 200 and doc["status"] == "accepted"
    await eventually(lambda: r.value("cflexagent_alert_notifications_total",
                                     {"channel": "wa", "severity": "critical", "result": "delivered"}) == 12,
                     within=20)
    texts = [t for _, t in gw.delivered]
    summaries = [t for t in texts if "held back by the rate limit" in t]
    assert summaries, texts
    names = {f"Flood{i}" for i in range(12)}
    shown = {n for n in names if any(f" {n} " in t or t.endswith(f" {n}") or f"{n}\n" in t or f" {n}:" in t
                                     for t in texts)}
    assert shown == names, texts  # nothing dropped
    assert len(texts) <= 2 + 4                # the bucket: 2 at once, then 1 per second
    # A summary keeps an acknowledge link per group it summarises (as many as the message's length allows).
    for t in summaries:
        assert t.count("Acknowledge: https://monitor.example.com/alerts/ack/") >= min(t.count("• FIRING"), 5), t
    assert r.value("cflexagent_alert_rate_limited_notifications_total", {"channel": "wa"}) >= 2


async def test_outbox_full_answers_503(start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path],
                                       http: aiohttp.ClientSession) -> None:
    await smtp.refuse()
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]'),
                                        outbox_max="2"))
    for i in range(2):
        assert (await post(http, r, payload(fingerprint=f"a{i:015d}")))[0] == 200
    status, doc = await post(http, r, payload(fingerprint="b000000000000000"))
    assert (status, doc["status"]) == (503, "outbox_full")
    await smtp.accept()
    await smtp.wait_for(lambda: len(smtp.messages) == 2)
    await eventually(lambda: r.value("cflexagent_alert_outbox_notifications") == 0)
    assert (await post(http, r, payload(fingerprint="b000000000000000")))[0] == 200


async def test_read_only_outbox_answers_503_and_the_agent_lives(
        start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path], http: aiohttp.ClientSession,
        tmp_path: Path) -> None:
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]')))
    assert (await post(http, r, payload(fingerprint="1" * 16)))[0] == 200
    await smtp.wait_for(lambda: len(smtp.messages) == 1)
    db = tmp_path / "state" / "alerts"
    # A read-only outbox (as on a file system remounted read-only): SQLite cannot write.
    relay = r.agent.supervisor.components["alerts.relay"]
    await relay.db.call(relay.db.outbox.db.execute, "PRAGMA query_only=ON")
    status, doc = await post(http, r, payload(fingerprint="2" * 16))
    assert (status, doc["status"]) == (503, "error")
    assert r.value("cflexagent_alert_outbox_errors_total", {"op": "accept"}) == 1
    await relay.db.call(relay.db.outbox.db.execute, "PRAGMA query_only=OFF")
    assert (await post(http, r, payload(fingerprint="2" * 16)))[0] == 200
    await smtp.wait_for(lambda: len(smtp.messages) == 2)
    assert db.is_dir()


async def test_nearly_full_disk_answers_503(start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path],
                                            http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]'),
                                                     outbox_min_free_disk='"100%"'))
    status, doc = await post(http, r, payload())
    assert (status, doc["status"]) == (503, "outbox_full") and "free disk" in doc["reason"]
    async with http.get(agent_url(r) + "/healthz") as resp:
        assert resp.status == 200


async def test_generic_gateway_substitutes_placeholders_then_json_encodes(
        start_agent: Any, secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    from aiohttp import web

    got: list[tuple[str, dict[str, str], Any]] = []

    async def handler(request: web.Request) -> web.Response:
        got.append((request.method, dict(request.headers), await request.json()))
        return web.json_response({"ok": True}, status=202)

    app = web.Application()
    app.router.add_route("PUT", "/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        chan = (f'[[alerts.relay.channels]]\nname = "hook"\nkind = "whatsapp"\ngateway = "generic"\n'
                f'url = "http://127.0.0.1:{port}/hook"\nmethod = "PUT"\ntoken_file = "{secrets["wa_token"]}"\n'
                'recipients = ["0812-3456-789"]\nrate_limit = ""\n'
                'headers = { Authorization = "Bearer {token}", X-Severity = "{severity}" }\n'
                'body = { phone = "{to}", message = "{text}", meta = { name = "{alertname}", tags = ["{status}", '
                '"x\\"{summary}\\""], n = 3 } }\n')
        r = await start_relay(start_agent, relay_section(secrets["relay_token"], chan, route('["hook"]')))
        await post(http, r, payload(instance='api "1"'))
        await eventually(lambda: len(got) == 1)
        method, headers, doc = got[0]
        assert method == "PUT"
        assert headers["Authorization"] == "Bearer gw-secret-token" and headers["X-Severity"] == "critical"
        assert doc["phone"] == "628123456789" and doc["meta"]["n"] == 3
        assert doc["meta"]["name"] == "HighErrorRate"
        assert doc["meta"]["tags"] == ["firing", 'x"HighErrorRate on api "1""']   # quotes survive: real JSON
        assert doc["message"].startswith("🔴 [FIRING] CRITICAL HighErrorRate\n")
        await eventually(lambda: r.value("cflexagent_alert_notifications_total",
                                         {"channel": "hook", "severity": "critical", "result": "delivered"}) == 1)
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("default", [False, True], ids=["first-route", "default_channels"])
async def test_a_notification_no_route_matches_goes_to_the_fallback_and_is_counted(
        default: bool, start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    """Alertmanager does not retry a 200: an unmatched notification is delivered on default_channels, else
    on the first route's channels, logged and counted as unrouted, never dropped."""
    gw: GatewayDouble = await gateway("waha")
    channels = email_channel(smtp) + wa_channel(gw, secrets["wa_token"])
    extra = {"default_channels": '["wa"]'} if default else {}
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], channels,
                                                     route('["mail"]', severity="critical"), **extra))
    status, doc = await post(http, r, payload(alertname="PreviewSlow", severity="warning"))
    assert (status, doc["status"]) == (200, "unrouted") and doc["id"] >= 1
    if default:
        await gw.wait_for(lambda: len(gw.delivered) == 1)
        assert "PreviewSlow" in gw.delivered[0][1]
        assert smtp.messages == []
    else:
        await smtp.wait_for(lambda: len(smtp.messages) == 1)
        assert "PreviewSlow" in smtp.messages[0]["Subject"]
    assert r.value("cflexagent_alert_webhooks_total", {"result": "unrouted"}) == 1
    assert r.value("cflexagent_alert_webhooks_total", {"result": "accepted"}) == 0


async def test_a_flood_of_unrouted_notifications_is_rate_limited_and_bounded(
        start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    """Notifications no route matches go to default_channels under that channel's rate_limit, as routed
    ones do: over it they are grouped into summaries (nothing dropped), and while the channel is down
    they wait in the outbox up to outbox_max (then 503), holding no task or other state in memory."""
    gw: GatewayDouble = await gateway("waha")
    r = await start_relay(start_agent, relay_section(
        secrets["relay_token"], email_channel(smtp) + wa_channel(gw, secrets["wa_token"], rate_limit='"2/2s"'),
        route('["mail"]', "critical"), default_channels='["wa"]', outbox_max="20"))
    for i in range(12):
        status, doc = await post(http, r, payload(alertname=f"Unrouted{i}", severity="warning",
                                                  fingerprint=f"0e0e{i:012d}"))
        assert (status, doc["status"]) == (200, "unrouted")
    await eventually(lambda: r.value("cflexagent_alert_notifications_total",
                                     {"channel": "wa", "severity": "warning", "result": "delivered"}) == 12,
                     within=20)
    texts = [t for _, t in gw.delivered]
    assert any("held back by the rate limit" in t for t in texts), texts
    names = {f"Unrouted{i}" for i in range(12)}
    shown = {n for n in names if any(f" {n} " in t or t.endswith(f" {n}") or f"{n}\n" in t or f" {n}:" in t
                                     for t in texts)}
    assert shown == names, texts   # nothing dropped
    assert len(texts) <= 2 + 4     # the bucket: 2 at once, then 1 per second
    assert r.value("cflexagent_alert_rate_limited_notifications_total", {"channel": "wa"}) >= 2
    assert smtp.messages == []
    # The channel down: a flood waits on disk, bounded by outbox_max; the relay's tasks do not grow with it.
    await eventually(lambda: r.value("cflexagent_alert_outbox_notifications") == 0)
    await gw.refuse()
    tasks = len(asyncio.all_tasks())
    answers = []
    for i in range(25):
        status, doc = await post(http, r, payload(alertname=f"Down{i}", severity="warning",
                                                  fingerprint=f"0d0d{i:012d}"))
        answers.append((status, doc["status"]))
    assert answers == [(200, "unrouted")] * 20 + [(503, "outbox_full")] * 5
    assert len(asyncio.all_tasks()) <= tasks + 2   # (a keep-alive connection's task may come and go)
    assert r.value("cflexagent_alert_webhooks_total", {"result": "unrouted"}) == 32
