"""The rendered nginx site in front of a real agent: the acknowledge links of messages
(``{public_url}/alerts/ack/...``) reach the relay through it, over http or https to the agent, and no
other path of the agent is published."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
import trustme

from cflexagent.configtypes import HostPort
from cflexagent.render import render_all
from cflexagent.render.files import write_tree
from tests.conftest import Upstream, free_port, https_request, nginx_serving
from tests.fakes.smtp import SMTPDouble, bodies

from .conftest import TOKEN, email_channel, payload, relay_section, route, start_relay


def render_site(r: Any, out: Path) -> Path:
    """The nginx site rendered from the running agent's config (its listen port resolved)."""
    config = r.agent.config
    server = msgspec.structs.replace(config.server, listen=HostPort("127.0.0.1", r.agent.server.port))
    write_tree(out, render_all(msgspec.structs.replace(config, server=server), "test.toml", only=["nginx"]))
    return out / "nginx/cflex-monitoring"


@pytest.mark.parametrize("agent_tls", ["http", "https", "https-verified"])
async def test_ack_link_reaches_the_relay_through_nginx_and_nothing_else_of_the_agent(
        agent_tls: str, start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path], tmp_path: Path) -> None:
    ca = trustme.CA()
    site_crt, site_key, agent_crt, agent_key, ca_pem = (tmp_path / n for n in
                                                        ("site.crt", "site.key", "agent.crt", "agent.key", "ca.pem"))
    for issued, crt, key in ((ca.issue_cert("localhost", "127.0.0.1"), site_crt, site_key),
                             (ca.issue_cert("localhost", "127.0.0.1"), agent_crt, agent_key)):
        issued.private_key_and_cert_chain_pem.write_to_path(str(crt))
        issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_pem))
    port = free_port()
    public = f"https://127.0.0.1:{port}"
    text = ""
    if agent_tls != "http":
        text += f'[server.tls]\ncert_file = "{agent_crt}"\nkey_file = "{agent_key}"\n'
    if agent_tls == "https-verified":
        # nginx checks DNS names only: the agent's certificate is checked for "localhost".
        text += f'[render.prometheus]\nagent_ca_file = "{ca_pem}"\n'
    with Upstream() as grafana:
        text += (f'[render.grafana]\nlisten = "{grafana.address}"\n[render.nginx]\nlisten_port = {port}\n'
                 f'redirect_http = false\ncert_file = "{site_crt}"\nkey_file = "{site_key}"\n'
                 + ('agent_ssl_name = "localhost"\n' if agent_tls == "https-verified" else ""))
        r = await start_relay(start_agent, text + relay_section(secrets["relay_token"], email_channel(smtp),
                                                                route('["mail"]'), public_url=f'"{public}"'))
        site = render_site(r, tmp_path / "set")
        agent = f"{'https' if agent_tls != 'http' else 'http'}://127.0.0.1:{r.agent.server.port}"
        async with aiohttp.ClientSession() as http:
            async with http.post(agent + "/alerts/webhook", json=payload(), ssl=False,
                                 headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                assert resp.status == 200
            async with http.get(agent + "/metrics", ssl=False) as resp:
                assert resp.status == 200 and "cflexagent_" in await resp.text()
        await smtp.wait_for(lambda: len(smtp.messages) == 1, within=30)
        text = bodies(smtp.messages[0])[0]
        m = re.search(r"Acknowledge: " + re.escape(public) + r"(/alerts/ack/[A-Za-z0-9_.-]+)", text)
        assert m, text
        link = m[1]
        with nginx_serving(site, tmp_path, port) as url:
            status, page = await asyncio.to_thread(https_request, url, link)
            assert status == 200, page
            assert "CRITICAL</b> HighErrorRate" in page and '<button type="submit">Acknowledge</button>' in page
            gid = re.search(r'name="group" value="(\d+)"', page)[1]  # type: ignore[index]
            status, page = await asyncio.to_thread(
                https_request, url, link, "POST", f"group={gid}".encode(),
                {"Content-Type": "application/x-www-form-urlencoded"})
            assert status == 200 and "acknowledged by mail:ops@cflex.example" in page, page
            # Everything else goes to Grafana, whatever the spelling: nginx matches the normalised path
            # and sends that one to the agent.
            for path in ("/metrics", "/api/alerts", "/alerts/webhook", "/alerts/ack/../../metrics",
                         "/alerts/ack/%2e%2e/%2e%2e/metrics", "/alerts/ack/..%2F..%2Fmetrics",
                         "/metrics/../alerts/ack/x/../../../metrics", "/"):
                status, body = await asyncio.to_thread(https_request, url, path)
                assert "cflexagent_" not in body and "/alerts/webhook" not in body.replace(f"{path}", ""), (path, body)
            # The runbooks the alerts link to are published too (the only other prefix).
            status, page = await asyncio.to_thread(https_request, url, "/runbooks/")
            assert status == 200 and '<h2 id="probedown">ProbeDown</h2>' in page, page[:300]
            status, body = await asyncio.to_thread(https_request, url, "/runbooks/../metrics")
            assert "cflexagent_" not in body, body
            # A path that normalises into the prefix reaches the relay as that normalised path.
            status, body = await asyncio.to_thread(https_request, url, "/metrics/../alerts/ack/forged")
            assert status == 403 and "not valid" in body, body
