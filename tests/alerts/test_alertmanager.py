"""End to end with the real Alertmanager 0.25: an alert posted to Alertmanager's v2 API reaches
aiosmtpd through the relay; with SMTP refusing, the WhatsApp double gets it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.smtp import SMTPDouble, bodies
from tests.fakes.whatsapp import GatewayDouble

from .conftest import agent_url, am_alert, email_channel, eventually, relay_section, route, start_relay, wa_channel


async def test_alertmanager_alert_arrives_by_email(start_agent: Any, alertmanager: Any, smtp: SMTPDouble,
                                                   secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]')))
    am = alertmanager(agent_url(r) + "/alerts/webhook", secrets["relay_token"])
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("ApiDown", summary="x")]) as resp:
        assert resp.status == 200, await resp.text()
    await smtp.wait_for(lambda: len(smtp.messages) == 1, within=30)
    msg = smtp.messages[0]
    assert msg["Subject"] == "[FIRING:1] ApiDown (critical) api-1:8080"
    text, html = bodies(msg)
    assert text.startswith("🔴 [FIRING] CRITICAL ApiDown\nApiDown fired\n")
    assert "Runbook: https://monitor.example.com/runbooks/x" in text
    assert "labels: alertname=ApiDown, instance=api-1:8080, severity=critical, summary=x" in text
    assert "ApiDown fired" in html
    assert r.value("cflexagent_alert_webhooks_total", {"result": "accepted"}) == 1
    assert "Notify success" in am.log() or "notify" in am.log().lower()


async def test_alertmanager_alert_falls_back_to_whatsapp_when_smtp_refuses(
        start_agent: Any, alertmanager: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    await smtp.refuse()
    gw: GatewayDouble = await gateway("fonnte")
    r = await start_relay(start_agent, relay_section(
        secrets["relay_token"], email_channel(smtp) + wa_channel(gw, secrets["wa_token"], recipients='["08123456789"]'),
        route('["mail", "wa"]', "critical")))
    am = alertmanager(agent_url(r) + "/alerts/webhook", secrets["relay_token"])
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("DbDown")]) as resp:
        assert resp.status == 200
    await gw.wait_for(lambda: len(gw.delivered) == 1, within=30)
    to, text = gw.delivered[0]
    assert to == "628123456789"
    assert text.splitlines()[:2] == ["🔴 [FIRING] CRITICAL DbDown", "DbDown fired"]
    await eventually(lambda: r.value("cflexagent_alert_fallbacks_total",
                                     {"from_channel": "mail", "to_channel": "wa"}) == 1)


async def test_alertmanager_with_a_wrong_token_is_refused(start_agent: Any, alertmanager: Any, smtp: SMTPDouble,
                                                          secrets: dict[str, Path], tmp_path: Path,
                                                          http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]')))
    wrong = tmp_path / "wrong_token"
    wrong.write_text("not-the-token\n")
    am = alertmanager(agent_url(r) + "/alerts/webhook", wrong)
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("ApiDown")]) as resp:
        assert resp.status == 200
    await eventually(lambda: r.value("cflexagent_alert_webhooks_total", {"result": "unauthorized"}) >= 1, within=30)
    assert smtp.messages == []
