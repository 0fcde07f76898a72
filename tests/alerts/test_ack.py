"""Acknowledge links: GET shows, POST acknowledges, Alertmanager silences follow the group; forged,
expired, reused and mismatched tokens change nothing; the pages are rate limited and reveal nothing
without a valid token; basic auth does not apply to them (nor to a token-protected webhook)."""

from __future__ import annotations

import asyncio
import base64
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import pytest

from tests.conftest import eventually
from tests.fakes.smtp import SMTPDouble, bodies

from .conftest import (
    agent_url,
    am_alert,
    email_channel,
    payload,
    post,
    relay_section,
    route,
    start_relay,
    until,
    wa_channel,
)

ACK_RE = re.compile(r"Acknowledge: https://monitor\.example\.com(/alerts/ack/[A-Za-z0-9_.-]+)")


def ack_path(msg: Any) -> str:
    text, _ = bodies(msg)
    m = ACK_RE.search(text)
    assert m, text
    return m[1]


def relay(tmp: Path, smtp: SMTPDouble, token: Path, ack: str = "", **extra: str) -> str:
    return relay_section(token, email_channel(smtp), route('["mail"]', **extra)) + (f"[alerts.ack]\n{ack}" if ack
                                                                                   else "")


async def group_state(r: Any, gid: int) -> Any:
    relay_ = r.agent.supervisor.components["alerts.relay"]
    return await relay_.db_call(relay_.store.group, gid)


async def test_ack_flow_with_alertmanager_silence(start_agent: Any, alertmanager: Any, smtp: SMTPDouble,
                                                  secrets: dict[str, Path], tmp_path: Path,
                                                  http: aiohttp.ClientSession) -> None:
    am = alertmanager()
    ack = f'silence = true\nalertmanager_url = "{am.url}"\npoll_interval = "1s"\n'
    r = await start_relay(start_agent, am.render_section() + relay(tmp_path, smtp, secrets["relay_token"], ack))
    am.start(r)
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("ApiDown")]) as resp:
        assert resp.status == 200
    await smtp.wait_for(lambda: len(smtp.messages) == 1, within=30)
    path = ack_path(smtp.messages[0])
    # GET (a chat app's link preview, or the person opening it): a page, nothing acknowledged.
    for _ in range(2):
        async with http.get(agent_url(r) + path) as resp:
            page = await resp.text()
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Referrer-Policy"] == "no-referrer"
    assert "CRITICAL</b> ApiDown" in page and "On call: mail" in page and "You: mail:ops@cflex.example" in page
    gid = int(re.search(r'name="group" value="(\d+)"', page)[1])  # type: ignore[index]
    assert (await group_state(r, gid)).acked_at is None
    async with http.get(am.url + "/api/v2/silences") as resp:
        assert await resp.json() == []
    # POST acknowledges and creates the silence.
    async with http.post(agent_url(r) + path, data={"group": str(gid)}) as resp:
        assert resp.status == 200 and "acknowledged by mail:ops@cflex.example" in await resp.text()
    g = await group_state(r, gid)
    assert g.acked_by == "mail:ops@cflex.example" and g.silence_state == "active"
    async with http.get(am.url + "/api/v2/silences") as resp:
        silences = await resp.json()
    assert [(s["id"], s["status"]["state"]) for s in silences] == [(g.silence_id, "active")]
    # The rendered route groups by alertname, job and instance (the alert has no job): those are the matchers.
    assert silences[0]["matchers"] == [
        {"name": "alertname", "value": "ApiDown", "isRegex": False, "isEqual": True},
        {"name": "instance", "value": "api-1:8080", "isRegex": False, "isEqual": True}]
    assert silences[0]["createdBy"] == "cflexagent"
    # The same link again: used, nothing changes.
    async with http.post(agent_url(r) + path, data={"group": str(gid)}) as resp:
        assert resp.status == 409
    # The alert resolves; the silenced alert sends no resolve, the relay notices and expires the silence.
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("ApiDown", ends=time.time() - 1)]) as resp:
        assert resp.status == 200

    async def expired() -> bool:
        # The relay expires the silence in Alertmanager first, then records it (and counts it): wait for all three.
        async with http.get(am.url + "/api/v2/silences") as resp:
            if [s["status"]["state"] for s in await resp.json()] != ["expired"]:
                return False
        return ((await group_state(r, gid)).silence_state == "expired"
                and r.value("cflexagent_alert_silences_total", {"result": "expired"}) == 1)

    await until(expired, within=30)
    g = await group_state(r, gid)
    assert g.resolved_at is not None and g.silence_state == "expired"
    assert r.value("cflexagent_alert_silences_total", {"result": "created"}) == 1
    assert r.value("cflexagent_alert_silences_total", {"result": "expired"}) == 1
    assert r.value("cflexagent_alerts_acknowledged_total", {"severity": "critical", "alertname": "ApiDown"}) == 1
    assert r.value("cflexagent_alert_time_to_acknowledge_seconds_count",
                   {"severity": "critical", "alertname": "ApiDown"}) == 1


async def test_bad_tokens_change_nothing_and_reveal_nothing(start_agent: Any, smtp: SMTPDouble,
                                                            secrets: dict[str, Path], tmp_path: Path,
                                                            http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, relay(tmp_path, smtp, secrets["relay_token"], 'rate_limit = "100/min"\n'))
    await post(http, r, payload(alertname="SecretProjectDown", fingerprint="aaaa000000000001"))
    await post(http, r, payload(alertname="OtherDown", fingerprint="bbbb000000000002"))
    await smtp.wait_for(lambda: len(smtp.messages) == 2)
    by_name = {m["Subject"].split()[1]: ack_path(m) for m in smtp.messages}
    path_a, path_b = by_name["SecretProjectDown"], by_name["OtherDown"]
    relay_ = r.agent.supervisor.components["alerts.relay"]
    for name in ("ack.key", "alerts.sqlite3"):   # made at start, readable by the agent only
        assert (tmp_path / "state" / "alerts" / name).stat().st_mode & 0o777 == 0o600
    claims_a = relay_.signer.verify(path_a.rsplit("/", 1)[1])
    claims_b = relay_.signer.verify(path_b.rsplit("/", 1)[1])
    body, sig = path_a.rsplit("/", 1)[1].split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[7] ^= 1  # another group id, the old signature
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode() + "." + sig
    expired = relay_.signer.token(claims_a.group, "wa:628123456789", 60, now=relay_.clock() - 3600)
    other_key = type(relay_.signer)(b"k" * 32).token(claims_a.group, "x", 3600)
    for bad, status in ((forged, 403), (expired, 410), (other_key, 403), ("garbage", 403), ("a.b.c", 403),
                        ("x" * 1000, 403)):
        for method in ("GET", "POST"):
            async with http.request(method, agent_url(r) + "/alerts/ack/" + bad,
                                    data={"group": str(claims_a.group)}) as resp:
                text = await resp.text()
                assert resp.status == status, (bad, method)
                assert "SecretProjectDown" not in text and "Nothing was changed" in text
    # A valid token posted for the other group: refused.
    async with http.post(agent_url(r) + path_a, data={"group": str(claims_b.group)}) as resp:
        assert resp.status == 400 and "SecretProjectDown" not in await resp.text()
    for gid in (claims_a.group, claims_b.group):
        assert (await group_state(r, gid)).acked_at is None
    # The real thing works once.
    async with http.post(agent_url(r) + path_a, data={"group": str(claims_a.group)}) as resp:
        assert resp.status == 200
    async with http.post(agent_url(r) + path_a, data={"group": str(claims_a.group)}) as resp:
        assert resp.status == 409
    async with http.get(agent_url(r) + path_a) as resp:
        assert resp.status == 409
    assert (await group_state(r, claims_a.group)).acked_by == "mail:ops@cflex.example"
    assert (await group_state(r, claims_b.group)).acked_at is None
    assert r.value("cflexagent_alert_ack_requests_total", {"result": "invalid"}) == 10
    assert r.value("cflexagent_alert_ack_requests_total", {"result": "expired"}) == 2


async def test_ack_pages_are_rate_limited(start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path],
                                          tmp_path: Path, http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, relay(tmp_path, smtp, secrets["relay_token"], 'rate_limit = "5/min"\n'))
    statuses = []
    for _ in range(8):
        async with http.get(agent_url(r) + "/alerts/ack/nope.nope") as resp:
            statuses.append(resp.status)
    assert statuses == [403] * 5 + [429] * 3
    # A valid link still works while garbage is being refused.
    await post(http, r, payload())
    await smtp.wait_for(lambda: len(smtp.messages) == 1)
    async with http.get(agent_url(r) + ack_path(smtp.messages[0])) as resp:
        assert resp.status == 200
    assert r.value("cflexagent_alert_ack_requests_total", {"result": "rate_limited"}) == 3


async def test_basic_auth_spares_the_ack_pages_and_the_token_webhook(start_agent: Any, smtp: SMTPDouble,
                                                                     secrets: dict[str, Path], tmp_path: Path,
                                                                     http: aiohttp.ClientSession) -> None:
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()
    text = relay(tmp_path, smtp, secrets["relay_token"]).replace(
        "[alerts.relay]", f'[server.basic_auth]\nusers = {{ prom = "{hashed}" }}\n[alerts.relay]', 1)
    r = await start_relay(start_agent, text)
    status, doc = await post(http, r, payload())
    assert (status, doc["status"]) == (200, "accepted")
    await smtp.wait_for(lambda: len(smtp.messages) == 1)
    async with http.get(agent_url(r) + ack_path(smtp.messages[0])) as resp:
        assert resp.status == 200
    async with http.get(agent_url(r) + "/api/alerts") as resp:
        assert resp.status == 401   # the API still needs basic auth
    basic = {"Authorization": "Basic " + base64.b64encode(b"prom:pw").decode()}
    async with http.get(agent_url(r) + "/api/alerts", headers=basic) as resp:
        doc = await resp.json()
    assert doc["groups"][0]["alertname"] == "HighErrorRate" and doc["groups"][0]["acked_at"] is None


async def test_cli_ack_creates_the_silence_and_stops_escalation(
        start_agent: Any, alertmanager: Any, smtp: SMTPDouble, gateway: Any, secrets: dict[str, Path],
        tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """`cflexagent alerts ack ID -c <the agent's config>` from a shell while the agent runs, with
    [alerts.ack] silence = true: the group is acknowledged in the shared state, Alertmanager holds an
    active silence for it, the pending escalation never fires, and the agent expires the silence once
    the alert resolves."""
    am = alertmanager()
    gw = await gateway("waha")
    ack = f'[alerts.ack]\nsilence = true\nalertmanager_url = "{am.url}"\npoll_interval = "1s"\n'
    text = am.render_section() + relay_section(
        secrets["relay_token"], email_channel(smtp) + wa_channel(gw, secrets["wa_token"]),
        route('["mail"]', escalate_after='"5s"', escalate_to='["wa"]')) + ack
    r = await start_relay(start_agent, text)
    am.start(r)
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("ApiDown")]) as resp:
        assert resp.status == 200
    await smtp.wait_for(lambda: len(smtp.messages) == 1, within=30)
    relay_ = r.agent.supervisor.components["alerts.relay"]
    await until(lambda: _delivered(relay_))
    (listed,) = await relay_.db_call(relay_.store.groups_listing, 10)
    gid, due = listed["id"], listed["first_delivered_at"] + 5.0
    # The agent's own config file, as an operator would pass it (-c), with its state dir.
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n' + text)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "cflexagent", "alerts", "ack", str(gid),
                                                "-c", str(cfg), "--by", "budi", stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err
    lines = out.decode().splitlines()
    assert lines[0] == f"group {gid} (ApiDown, critical) acknowledged by budi; escalation stopped"
    g = await group_state(r, gid)
    assert g.acked_by == "budi" and g.silence_state == "active"
    assert g.acked_at < due, "acknowledged after the escalation was due: the test proves nothing"
    assert lines[1] == f"Alertmanager silence {g.silence_id} created"
    async with http.get(am.url + "/api/v2/silences") as resp:
        silences = await resp.json()
    assert [(s["id"], s["status"]["state"], s["createdBy"]) for s in silences] == \
        [(g.silence_id, "active", "cflexagent")]
    assert silences[0]["matchers"] == [
        {"name": "alertname", "value": "ApiDown", "isRegex": False, "isEqual": True},
        {"name": "instance", "value": "api-1:8080", "isRegex": False, "isEqual": True}]
    assert "budi" in silences[0]["comment"]

    async def silenced() -> bool:
        async with http.get(am.url + "/api/v2/alerts", params={"filter": 'alertname="ApiDown"'}) as resp:
            return [a["status"]["silencedBy"] for a in await resp.json()] == [[g.silence_id]]

    await until(silenced)
    # Past the escalation's time (and a tick of the agent): nothing went to the escalation channel.
    with pytest.raises(TimeoutError):
        await gw.wait_for(lambda: len(gw.delivered) > 0, within=max(0.0, due + 2.0 - time.time()))
    assert r.value("cflexagent_alert_escalations_total", {"level": "1"}) == 0
    assert len(smtp.messages) == 1
    # The shell has no metrics of the agent's: the agent counts the acknowledgment once, with its time.
    labels = {"severity": "critical", "alertname": "ApiDown"}
    await eventually(lambda: r.value("cflexagent_alerts_acknowledged_total", labels) == 1)
    assert r.value("cflexagent_alert_time_to_acknowledge_seconds_count", labels) == 1
    tta = r.value("cflexagent_alert_time_to_acknowledge_seconds_sum", labels)
    assert 0 < tta == pytest.approx(g.acked_at - listed["first_delivered_at"], abs=1.0)
    # The alert resolves: the agent expires the silence the shell created.
    async with http.post(am.url + "/api/v2/alerts", json=[am_alert("ApiDown", ends=time.time() - 1)]) as resp:
        assert resp.status == 200

    async def expired() -> bool:
        async with http.get(am.url + "/api/v2/silences") as resp:
            states = [s["status"]["state"] for s in await resp.json()]
        return states == ["expired"] and (await group_state(r, gid)).silence_state == "expired"

    await until(expired, within=15)


async def _delivered(relay_: Any) -> bool:
    return bool((await relay_.db_call(relay_.store.groups_listing, 10))[0]["first_delivered_at"])
