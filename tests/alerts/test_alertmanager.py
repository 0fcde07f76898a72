"""End to end with the real Alertmanager 0.25, started from the alertmanager.yml `cflexagent render`
makes for the agent's config: an alert posted to Alertmanager's v2 API reaches aiosmtpd through the
relay; with SMTP refusing, the WhatsApp double gets it; a wrong token is refused; an agent behind TLS
and basic auth, without a relay token, gets it over https with the agent's basic auth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import trustme

from tests.fakes.smtp import SMTPDouble, bodies
from tests.fakes.whatsapp import GatewayDouble

from .conftest import agent_url, am_alert, email_channel, eventually, relay_section, route, start_relay, wa_channel


async def test_alertmanager_alert_arrives_by_email(start_agent: Any, alertmanager: Any, smtp: SMTPDouble,
                                                   secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    am = alertmanager()
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]'))
                          + am.render_section())
    am.start(r)
    # The rendered receiver of critical alerts: the relay's webhook on the agent's own address (not
    # public_url), with the bearer token from its file.
    critical = {x["name"]: x for x in am.config()["receivers"]}["critical"]
    assert critical["webhook_configs"] == [{
        "url": agent_url(r) + "/alerts/webhook", "send_resolved": True,
        "http_config": {"authorization": {"type": "Bearer", "credentials_file": str(secrets["relay_token"])}}}]
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
    await eventually(lambda: "Notify success" in am.log(), within=10)


async def test_alertmanager_alert_falls_back_to_whatsapp_when_smtp_refuses(
        start_agent: Any, alertmanager: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    await smtp.refuse()
    gw: GatewayDouble = await gateway("fonnte")
    am = alertmanager()
    r = await start_relay(start_agent, relay_section(
        secrets["relay_token"], email_channel(smtp) + wa_channel(gw, secrets["wa_token"], recipients='["08123456789"]'),
        route('["mail", "wa"]', "critical")) + am.render_section())
    am.start(r)
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
    am = alertmanager()
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]'))
                          + am.render_section())
    wrong = tmp_path / "wrong_token"
    wrong.write_text("not-the-token\n")
    am.start(r, token_file=wrong)
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("ApiDown")]) as resp:
        assert resp.status == 200
    await eventually(lambda: r.value("cflexagent_alert_webhooks_total", {"result": "unauthorized"}) >= 1, within=30)
    assert smtp.messages == []


async def test_alertmanager_reaches_a_relay_behind_tls_and_basic_auth(
        start_agent: Any, alertmanager: Any, smtp: SMTPDouble, tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """No bearer token: the rendered webhook sends the agent's basic auth ([render.prometheus]
    agent_username / agent_password_file) over https, trusting agent_ca_file."""
    ca = trustme.CA()
    crt, key, ca_pem = tmp_path / "agent.crt", tmp_path / "agent.key", tmp_path / "ca.pem"
    issued = ca.issue_cert("127.0.0.1")
    issued.private_key_and_cert_chain_pem.write_to_path(str(crt))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_pem))
    password = tmp_path / "agent.password"
    password.write_text("scrape-password\n")
    hashed = bcrypt.hashpw(b"scrape-password", bcrypt.gensalt(4)).decode()
    am = alertmanager()
    r = await start_relay(start_agent, (
        f'[server.tls]\ncert_file = "{crt}"\nkey_file = "{key}"\n'
        f'[server.basic_auth]\nusers = {{ prometheus = "{hashed}" }}\n'
        f'[render.prometheus]\nagent_password_file = "{password}"\nagent_ca_file = "{ca_pem}"\n'
        + relay_section(None, email_channel(smtp), route('["mail"]')) + am.render_section()))
    am.start(r)
    hook = {x["name"]: x for x in am.config()["receivers"]}["critical"]["webhook_configs"][0]
    assert hook["url"] == f"https://127.0.0.1:{r.agent.server.port}/alerts/webhook"
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("ApiDown")]) as resp:
        assert resp.status == 200
    await smtp.wait_for(lambda: len(smtp.messages) == 1, within=30)
    assert r.value("cflexagent_alert_webhooks_total", {"result": "accepted"}) == 1
