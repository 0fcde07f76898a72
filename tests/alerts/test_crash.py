"""The agent killed with SIGKILL between accepting a webhook and delivering it: after the restart
the notification is delivered, exactly once, and Alertmanager's retry of it is a duplicate."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import aiohttp

from tests.conftest import free_port
from tests.fakes.smtp import SMTPDouble

from .conftest import TOKEN, email_channel, payload, relay_section, route, spawn_agent, wait_ready


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
