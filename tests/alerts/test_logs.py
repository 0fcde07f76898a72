"""One structured log line per hop (issue 13): the agent, run as its own process, logs each delivery
attempt, each fallback and the final result of a notification exactly once, as JSON with the
notification, job and channel, and never a token."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from tests.conftest import free_port
from tests.fakes.smtp import SMTPDouble
from tests.fakes.whatsapp import GatewayDouble

from .conftest import TOKEN, email_channel, payload, relay_section, route, spawn_agent, until, wa_channel, wait_ready

RETRY = "delivery failed; will retry"
FALLBACK = "channel failed; trying the next channel of the route"
DELIVERED = "notification delivered"


def metric(text: str, name: str, **labels: str) -> float:
    want = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""
    for line in text.splitlines():
        if line.startswith(name + want + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_each_attempt_fallback_and_result_is_logged_once(tmp_path: Path, smtp: SMTPDouble, gateway: Any,
                                                               secrets: dict[str, Path]) -> None:
    gw: GatewayDouble = await gateway("generic")
    gw.set_mode("5xx")
    smtp.set_mode("421")
    port = free_port()
    cfg = tmp_path / "agent.toml"
    channels = email_channel(smtp) + wa_channel(gw, secrets["wa_token"],
                                                recipients='["+62 812-3456-789", "0812 9999 0000"]')
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n[server]\nlisten = "127.0.0.1:{port}"\n'
                   + relay_section(secrets["relay_token"], channels, route('["mail", "wa"]', retry_for='"1s"')))
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "agent.log"
    with log.open("wb") as logf:
        proc = spawn_agent(cfg, logf)
        try:
            async with aiohttp.ClientSession() as http:
                await wait_ready(http, url, proc)
                async with http.post(url + "/alerts/webhook", json=payload(),
                                     headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                    nid = (await resp.json())["id"]
                # mail: 421 until retry_for is spent, then the gateway: one 503, then delivered to both.
                await gw.wait_for(lambda: gw.statuses[503] >= 1, within=15)
                gw.set_mode("ok")
                await gw.wait_for(lambda: len(gw.delivered) == 2, within=15)

                async def metrics() -> str:
                    async with http.get(url + "/metrics") as resp:
                        return await resp.text()

                async def finished() -> bool:
                    return metric(await metrics(), "cflexagent_alert_notifications_total", channel="wa",
                                  severity="critical", result="delivered") == 1

                await until(finished)
                text = await metrics()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    assert proc.returncode == 0
    raw = log.read_text()
    lines = [orjson.loads(x) for x in raw.splitlines()]   # every line is one JSON object
    hops = [x for x in lines if x.get("id") == nid and x["component"] == "alerts.relay"]
    said = Counter((x["message"], x.get("channel")) for x in hops)
    mail_attempts = metric(text, "cflexagent_alert_send_attempts_total", channel="mail", result="transient")
    wa_failed = metric(text, "cflexagent_alert_send_attempts_total", channel="wa", result="transient")
    assert mail_attempts >= 2 and wa_failed == 1
    assert metric(text, "cflexagent_alert_send_attempts_total", channel="wa", result="delivered") == 1
    # One line per attempt: each failed one says it will retry or falls back, the last one delivered.
    assert said == {("webhook accepted", None): 1, (RETRY, "mail"): mail_attempts - 1, (FALLBACK, "mail"): 1,
                    (RETRY, "wa"): 1, (DELIVERED, "wa"): 1}, hops
    assert len(hops) == 1 + mail_attempts + wa_failed + 1
    for x in hops:
        assert x["level"] in ("info", "warning") and x["ts"].endswith("Z")
        if x["message"] != "webhook accepted":
            assert isinstance(x["job"], int) and x["channel"] in ("mail", "wa")
        if x["message"] in (RETRY, FALLBACK):
            assert x["reason"] in ("smtp_4xx", "http_5xx") and x["detail"]
    fallback = next(x for x in hops if x["message"] == FALLBACK)
    assert fallback["next_channel"] == "wa" and fallback["reason"] == "smtp_4xx"
    delivered = next(x for x in hops if x["message"] == DELIVERED)
    assert delivered["attempts"] == 2 and delivered["role"] == "route"
    assert metric(text, "cflexagent_alert_fallbacks_total", from_channel="mail", to_channel="wa") == 1
    for secret in (TOKEN, gw.token):
        assert secret not in raw, f"{secret!r} in the agent's log"
