"""Escalation: an unacknowledged group goes to the escalation channel once; an acknowledgment
(link or `cflexagent alerts ack`) or a resolve in time cancels it; a restart keeps a pending one;
several levels fire in order at their times, and an acknowledgment between them stops the rest."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakes.smtp import SMTPDouble
from tests.fakes.whatsapp import GatewayDouble

from .conftest import agent_url, email_channel, eventually, payload, post, relay_section, route, start_relay, wa_channel


def relay(smtp: SMTPDouble, gw: GatewayDouble, token: Path, wa_token: Path, after: str) -> str:
    return relay_section(token, email_channel(smtp) + wa_channel(gw, wa_token),
                         route('["mail"]', escalate_after=f'"{after}"', escalate_to='["wa"]'))


async def no_more(gw: GatewayDouble, count: int, within: float) -> None:
    """Nothing beyond ``count`` deliveries arrives within ``within`` seconds."""
    with pytest.raises(TimeoutError):
        await gw.wait_for(lambda: len(gw.delivered) > count, within=within)


async def test_unacknowledged_group_escalates_once(start_agent: Any, smtp: SMTPDouble, gateway: Any,
                                                   secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    r = await start_relay(start_agent, relay(smtp, gw, secrets["relay_token"], secrets["wa_token"], "1s"))
    await post(http, r, payload())
    await smtp.wait_for(lambda: len(smtp.messages) == 1)
    await gw.wait_for(lambda: len(gw.delivered) == 1, within=10)
    text = gw.delivered[0][1]
    assert text.startswith("⏫ NOT ACKNOWLEDGED: 🔴 [FIRING] CRITICAL HighErrorRate")
    assert "Acknowledge: https://monitor.example.com/alerts/ack/" in text
    # A reminder from Alertmanager (same group, new content) does not escalate the same level again.
    await post(http, r, payload(n_alerts=2))
    await smtp.wait_for(lambda: len(smtp.messages) == 2)
    await no_more(gw, 1, within=2.5)
    assert r.value("cflexagent_alert_escalations_total", {"level": "1"}) == 1


async def test_ack_in_time_or_resolve_cancels_escalation(start_agent: Any, smtp: SMTPDouble, gateway: Any,
                                                         secrets: dict[str, Path], tmp_path: Path,
                                                         http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    r = await start_relay(start_agent, relay(smtp, gw, secrets["relay_token"], secrets["wa_token"], "3s"))
    await post(http, r, payload(alertname="A", fingerprint="a" * 16))
    await post(http, r, payload(alertname="B", fingerprint="b" * 16))
    await smtp.wait_for(lambda: len(smtp.messages) == 2)
    relay_ = r.agent.supervisor.components["alerts.relay"]
    groups = {g["alertname"]: g["id"] for g in await relay_.db_call(relay_.store.groups_listing, 10)}
    # A: acknowledged from a shell.
    cfg = tmp_path / "cli.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n')
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "cflexagent", "alerts", "ack",
                                                str(groups["A"]), "-c", str(cfg), "--by", "budi",
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err
    assert out.decode().strip() == f"group {groups['A']} (A, critical) acknowledged by budi; escalation stopped"
    # B: resolved.
    await post(http, r, payload(alertname="B", fingerprint="b" * 16, status="resolved"))
    await smtp.wait_for(lambda: len(smtp.messages) == 3)
    await no_more(gw, 0, within=4.5)
    assert r.value("cflexagent_alert_escalations_total", {"level": "1"}) == 0
    g = await relay_.db_call(relay_.store.group, groups["A"])
    assert g.acked_by == "budi"


async def test_pending_escalation_survives_a_restart_and_happens_once(
        start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path], tmp_path: Path,
        http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    text = relay(smtp, gw, secrets["relay_token"], secrets["wa_token"], "2s")
    r = await start_relay(start_agent, text)
    await post(http, r, payload())
    await smtp.wait_for(lambda: len(smtp.messages) == 1)
    await eventually(lambda: r.value("cflexagent_alert_notifications_total",
                                     {"channel": "mail", "severity": "critical", "result": "delivered"}) == 1)
    await r.stop()
    assert gw.delivered == []
    r2 = await start_relay(start_agent, text)
    await gw.wait_for(lambda: len(gw.delivered) == 1, within=10)
    await no_more(gw, 1, within=2.5)
    assert r2.value("cflexagent_alert_escalations_total", {"level": "1"}) == 1


async def test_resolve_of_an_escalated_group_also_goes_to_the_escalation_channels(
        start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    r = await start_relay(start_agent, relay(smtp, gw, secrets["relay_token"], secrets["wa_token"], "1s"))
    await post(http, r, payload(alertname="Escalated", fingerprint="e" * 16))
    await post(http, r, payload(alertname="Quiet", fingerprint="f" * 16))
    await gw.wait_for(lambda: len(gw.delivered) == 2, within=10)
    assert sorted(t.splitlines()[0] for _, t in gw.delivered) == [
        "⏫ NOT ACKNOWLEDGED: 🔴 [FIRING] CRITICAL Escalated", "⏫ NOT ACKNOWLEDGED: 🔴 [FIRING] CRITICAL Quiet"]
    # The whatsapp recipient who was paged hears that it is over, as a plain resolve (no escalation mark).
    await post(http, r, payload(alertname="Escalated", fingerprint="e" * 16, status="resolved"))
    await gw.wait_for(lambda: len(gw.delivered) == 3, within=10)
    to, text = gw.delivered[2]
    assert to == "628123456789" and text.splitlines()[0] == "✅ [RESOLVED] CRITICAL Escalated"
    await smtp.wait_for(lambda: len(smtp.messages) == 3)
    assert smtp.messages[2]["Subject"].startswith("[RESOLVED:1] Escalated")
    await no_more(gw, 3, within=1.5)
    relay_ = r.agent.supervisor.components["alerts.relay"]
    doc = await relay_.db_call(relay_.db.outbox.listing, 50)
    assert {(d["channel"], d["role"]) for d in doc["recent"] if d["status"] == "resolved"} == \
        {("mail", "route"), ("wa", "escalated")}, doc["recent"]


async def test_without_send_resolved_an_escalated_group_sends_no_resolve(
        start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    """(A group resolved before it escalated sends its resolve by the route alone: the test above that
    cancels escalations.)"""
    gw: GatewayDouble = await gateway("waha")
    text = relay(smtp, gw, secrets["relay_token"], secrets["wa_token"], "1s")
    r = await start_relay(start_agent, text.replace("[alerts.relay]\n", "[alerts.relay]\nsend_resolved = false\n"))
    await post(http, r, payload(alertname="Escalated", fingerprint="e" * 16))
    await gw.wait_for(lambda: len(gw.delivered) == 1, within=10)
    await post(http, r, payload(alertname="Escalated", fingerprint="e" * 16, status="resolved"))
    await eventually(lambda: r.value("cflexagent_alert_webhooks_total", {"result": "accepted"}) == 2)
    await no_more(gw, 1, within=1.5)
    assert len(smtp.messages) == 1


def two_levels(smtp: SMTPDouble, gw: GatewayDouble, pager: GatewayDouble, token: Path, wa_token: Path) -> str:
    """Level 1 to wa 1 s after the first delivery, level 2 to pager at 3 s."""
    return relay_section(token, email_channel(smtp) + wa_channel(gw, wa_token) + wa_channel(pager, wa_token, "pager"),
                         route('["mail"]', escalate_after='"1s"', escalate_to='["wa"]',
                               escalations='[{ after = "3s", channels = ["pager"] }]'))


async def first_delivered(r: Any) -> tuple[int, float]:
    relay_ = r.agent.supervisor.components["alerts.relay"]
    await eventually(lambda: r.value("cflexagent_alert_notifications_total",
                                     {"channel": "mail", "severity": "critical", "result": "delivered"}) == 1)
    (g,) = await relay_.db_call(relay_.store.groups_listing, 10)
    return g["id"], g["first_delivered_at"]


async def test_escalation_levels_fire_in_order_at_their_times(
        start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    pager: GatewayDouble = await gateway("waha")
    r = await start_relay(start_agent, two_levels(smtp, gw, pager, secrets["relay_token"], secrets["wa_token"]))
    await post(http, r, payload())
    _, delivered_at = await first_delivered(r)
    await gw.wait_for(lambda: len(gw.delivered) == 1, within=10)
    level1 = time.time()
    assert pager.delivered == []
    await pager.wait_for(lambda: len(pager.delivered) == 1, within=10)
    level2 = time.time()
    # Not before their time (after the first delivery), in order, and not long after.
    assert delivered_at + 1.0 <= level1 < delivered_at + 3.0 <= level2 < delivered_at + 8.0
    for d in (gw, pager):
        assert d.delivered[0][1].startswith("⏫ NOT ACKNOWLEDGED: 🔴 [FIRING] CRITICAL HighErrorRate")
    await no_more(pager, 1, within=1.5)
    assert len(gw.delivered) == 1 and len(smtp.messages) == 1
    assert r.value("cflexagent_alert_escalations_total", {"level": "1"}) == 1
    assert r.value("cflexagent_alert_escalations_total", {"level": "2"}) == 1


async def test_ack_between_levels_stops_the_next_level(
        start_agent: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    gw: GatewayDouble = await gateway("waha")
    pager: GatewayDouble = await gateway("waha")
    r = await start_relay(start_agent, two_levels(smtp, gw, pager, secrets["relay_token"], secrets["wa_token"]))
    await post(http, r, payload())
    gid, delivered_at = await first_delivered(r)
    await gw.wait_for(lambda: len(gw.delivered) == 1, within=10)
    # The level-1 recipient acknowledges with the link in the escalation message.
    m = re.search(r"Acknowledge: https://monitor\.example\.com(/alerts/ack/\S+)", gw.delivered[0][1])
    assert m, gw.delivered[0][1]
    async with http.post(agent_url(r) + m[1], data={"group": str(gid)}) as resp:
        assert resp.status == 200 and "Escalation stopped" in await resp.text()
    relay_ = r.agent.supervisor.components["alerts.relay"]
    g = await relay_.db_call(relay_.store.group, gid)
    assert g.acked_by == "wa:628123456789"
    assert g.acked_at < delivered_at + 3.0, "acknowledged after level 2 was due: the test proves nothing"
    # Level 2 was due at +3 s: past it (and a tick), nothing reached the pager.
    await no_more(pager, 0, within=max(0.0, delivered_at + 5.0 - time.time()))
    assert r.value("cflexagent_alert_escalations_total", {"level": "1"}) == 1
    assert r.value("cflexagent_alert_escalations_total", {"level": "2"}) == 0
    assert len(gw.delivered) == 1
