"""The agent killed with SIGKILL between accepting a webhook and delivering it: after the restart
the notification is delivered, exactly once, and Alertmanager's retry of it is a duplicate; a pending
escalation killed with it still fires, once, on time."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import free_port
from tests.fakes.smtp import SMTPDouble
from tests.fakes.whatsapp import GatewayDouble

from .conftest import TOKEN, email_channel, payload, relay_section, route, spawn_agent, until, wa_channel, wait_ready


async def test_kill_9_after_accept_delivers_once_after_restart(tmp_path: Path, smtp: SMTPDouble,
                                                               secrets: dict[str, Path]) -> None:
    port = free_port()
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n[server]\nlisten = "127.0.0.1:{port}"\n'
                   + relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]', retry_for='"1h"')))
    await smtp.refuse()
    url = f"http://127.0.0.1:{port}"
    logf = (tmp_path / "agent.log").open("ab")

    def spawn() -> subprocess.Popen[bytes]:
        return spawn_agent(cfg, logf)

    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http:
        proc = spawn()
        try:
            await wait_ready(http, url, proc)
            async with http.post(url + "/alerts/webhook", json=payload(), headers=headers) as r:
                assert r.status == 200 and (await r.json())["status"] == "accepted"
            # SMTP refuses: the notification waits in the outbox. Kill without any chance to flush.
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert smtp.messages == []
        await smtp.accept()
        proc = spawn()
        try:
            await wait_ready(http, url, proc)
            await smtp.wait_for(lambda: len(smtp.messages) == 1, within=30)
            # Alertmanager retrying the webhook it never got an answer to is recognised.
            async with http.post(url + "/alerts/webhook", json=payload(), headers=headers) as r:
                assert (await r.json())["status"] == "duplicate"
            for _ in range(100):
                async with http.get(url + "/api/alerts") as r:
                    api = await r.json()
                if not api["pending"]:
                    break
                await asyncio.sleep(0.1)
            assert api["pending"] == [] and [j["state"] for j in api["recent"]] == ["delivered"]
            async with http.get(url + "/metrics") as r:
                metrics = await r.text()
            assert 'cflexagent_alert_notifications_total{channel="mail",result="delivered",severity="critical"} 1.0' \
                in metrics
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    logf.close()
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"].startswith("[FIRING:1] HighErrorRate")


async def test_kill_9_with_a_pending_escalation_and_an_undelivered_notification(
        tmp_path: Path, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path]) -> None:
    """Killed (SIGKILL) while one group waits for its escalation (delivered by mail, due 4 s after) and
    another notification waits for a refusing gateway: after the restart the waiting one is delivered
    once, the escalation fires once, not before its time, and the mail is not sent again."""
    gw: GatewayDouble = await gateway("waha")
    await gw.refuse()
    port = free_port()
    cfg = tmp_path / "agent.toml"
    routes = (route('["wa"]', match='{ alertname = "Pending" }', retry_for='"1h"')
              + route('["mail"]', "critical", escalate_after='"4s"', escalate_to='["wa"]'))
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n[server]\nlisten = "127.0.0.1:{port}"\n'
                   + relay_section(secrets["relay_token"], email_channel(smtp) + wa_channel(gw, secrets["wa_token"]),
                                   routes))
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    logf = (tmp_path / "agent.log").open("ab")
    async with aiohttp.ClientSession() as http:

        async def api() -> dict[str, Any]:
            async with http.get(url + "/api/alerts") as r:
                return await r.json()  # type: ignore[no-any-return]

        proc = spawn_agent(cfg, logf)
        try:
            await wait_ready(http, url, proc)
            for doc in (payload(), payload(alertname="Pending", fingerprint="9e9d000000000001")):
                async with http.post(url + "/alerts/webhook", json=doc, headers=headers) as r:
                    assert (await r.json())["status"] == "accepted"
            await smtp.wait_for(lambda: len(smtp.messages) == 1)

            async def waiting() -> bool:
                doc = await api()
                mail_done = any(j["channel"] == "mail" and j["state"] == "delivered" for j in doc["recent"])
                wa_tried = any(j["channel"] == "wa" and j["attempts"] >= 1 for j in doc["pending"])
                return mail_done and wa_tried

            await until(waiting, within=10)
            doc = await api()
            (group,) = [g for g in doc["groups"] if g["alertname"] == "HighErrorRate"]
            due = group["first_delivered_at"] + 4.0
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            assert time.time() < due, "killed after the escalation was due: the test proves nothing"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert gw.requests == 0   # refused: nothing reached the gateway
        await gw.accept()
        proc = spawn_agent(cfg, logf)
        try:
            await wait_ready(http, url, proc)
            ready = time.time()
            await gw.wait_for(lambda: any("CRITICAL Pending" in t for _, t in gw.delivered), within=10)
            await gw.wait_for(lambda: any(t.startswith("⏫ NOT ACKNOWLEDGED") for _, t in gw.delivered), within=10)
            escalated = time.time()
            assert due <= escalated < max(due, ready) + 4.0
            with pytest.raises(TimeoutError):
                await gw.wait_for(lambda: len(gw.delivered) > 2, within=2.0)
            texts = [t.splitlines()[0] for _, t in gw.delivered]
            assert sorted(texts) == ["⏫ NOT ACKNOWLEDGED: 🔴 [FIRING] CRITICAL HighErrorRate",
                                     "🔴 [FIRING] CRITICAL Pending"]
            assert len(smtp.messages) == 1
            async with http.get(url + "/metrics") as r:
                metrics = await r.text()
            assert 'cflexagent_alert_escalations_total{level="1"} 1.0' in metrics
            assert (await api())["pending"] == []
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    logf.close()
