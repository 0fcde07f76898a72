"""Alertmanager's Watchdog through the rendered route to the relay, and a heartbeat that pings only while
it keeps coming (``cflexagent/watchdog.py``): real Alertmanager, real agent, a real HTTP dead-man's switch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.conftest import eventually
from tests.fakes.smtp import SMTPDouble

from .conftest import email_channel, relay_section, route, start_relay, until


async def test_watchdog_is_recorded_not_delivered_and_gates_the_heartbeat(
        start_agent: Any, alertmanager: Any, smtp: SMTPDouble, secrets: dict[str, Path], tmp_path: Path,
        http: aiohttp.ClientSession) -> None:
    pings: list[str] = []

    async def ping(request: web.Request) -> web.Response:
        pings.append(request.path)
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_get("/ping/uuid", ping)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        am = alertmanager()
        text = (am.render_section()
                + relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]'))
                + f'[[heartbeats]]\nname = "switch"\nurl = "http://127.0.0.1:{port}/ping/uuid"\ninterval = "1s"\n'
                  f'timeout = "800ms"\nrequire_watchdog = "1m"\n')
        r = await start_relay(start_agent, text)
        am.start(r)
        watchdog = am.config()["receivers"][-1]
        assert watchdog["name"] == "watchdog" and watchdog["webhook_configs"][0]["url"].endswith("/alerts/webhook")
        # No Watchdog yet: the heartbeat holds back (alerting is not shown to work).
        await eventually(lambda: (r.value("cflexagent_heartbeat_total", {"heartbeat": "switch", "result": "skipped"})
                                  or 0) >= 2, within=20)
        assert pings == [] and r.value("cflexagent_alert_watchdog_last_seen_timestamp_seconds") == 0
        # Prometheus' always-firing Watchdog reaches Alertmanager, which routes it to the relay.
        async with http.post(am.url + "/api/v2/alerts",
                             json=[{"labels": {"alertname": "Watchdog", "severity": "none"}}]) as resp:
            assert resp.status == 200

        async def recorded() -> bool:
            return (r.value("cflexagent_alert_watchdog_last_seen_timestamp_seconds") or 0) > 0

        await until(recorded, within=30)
        assert r.value("cflexagent_alert_webhooks_total", {"result": "watchdog"}) >= 1
        await eventually(lambda: len(pings) >= 2, within=20)
        assert set(pings) == {"/ping/uuid"}
        # Recorded, never delivered: no mail, no outbox entry.
        assert smtp.messages == []
        doc = json.loads((tmp_path / "state" / "alerts" / "watchdog.json").read_text())
        assert doc["last_seen"] == r.value("cflexagent_alert_watchdog_last_seen_timestamp_seconds")
    finally:
        await runner.cleanup()
