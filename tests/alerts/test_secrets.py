"""A full run of the agent as its own process (log level debug): webhooks with the right and a wrong
bearer token, email through an SMTP server that requires STARTTLS and a login, a gateway whose error answers echo
the request (token included), retries, a permanent failure, a resolve. Neither token nor the SMTP
password (nor their base64 forms) ever appears in the agent's logs, its /metrics or /api/alerts."""

from __future__ import annotations

import base64
import signal
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest
import trustme
from aiohttp import web

from tests.conftest import free_port
from tests.fakes.smtp import SMTPDouble

from .conftest import TOKEN, payload, relay_section, route, spawn_agent, until, wait_ready

SMTP_USER = "alerts"
SMTP_PASSWORD = "smtp-Pa55word-0f-the-relay"
GW_TOKEN = "gw-secret-token"   # the `secrets` fixture's wa_token


class EchoGateway:
    """A generic WhatsApp gateway whose error answers repeat the request's headers and body, as some
    do: the relay must scrub the token from what it keeps. ``answers`` is the status of each request
    in turn (then 200)."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.seen: list[str] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(request.headers.get("Authorization", ""))
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            return web.json_response({"sent": True})
        echo = {"error": "upstream refused the request", "headers": dict(request.headers),
                "body": (await request.read()).decode()}
        return web.json_response(echo, status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/send", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/send"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    authority = trustme.CA()
    pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    return authority, pem


@pytest.fixture
async def login_smtp(ca: tuple[trustme.CA, Path]) -> AsyncIterator[SMTPDouble]:
    """aiosmtpd requiring STARTTLS and then a login (the relay trusts its certificate through ca_file)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca[0].issue_cert("127.0.0.1").configure_cert(ctx)
    d = SMTPDouble(tls_context=ctx, users={SMTP_USER: SMTP_PASSWORD})
    await d.start()
    yield d
    await d.stop()


def forms(secret: str) -> list[str]:
    """A secret as it could leak: itself, base64 (SMTP AUTH LOGIN), AUTH PLAIN's base64 of user and password."""
    out = [secret, base64.b64encode(secret.encode()).decode()]
    if secret == SMTP_PASSWORD:
        out.append(base64.b64encode(f"\0{SMTP_USER}\0{secret}".encode()).decode())
    return out


async def test_tokens_and_the_smtp_password_never_leak(tmp_path: Path, login_smtp: SMTPDouble,
                                                       ca: tuple[trustme.CA, Path], secrets: dict[str, Path]) -> None:
    gw = EchoGateway([500, 200, 400])
    await gw.start()
    password = tmp_path / "smtp_password"
    password.write_text(SMTP_PASSWORD + "\n")
    port = free_port()
    channels = (f'[[alerts.relay.channels]]\nname = "mail"\nkind = "email"\nhost = "127.0.0.1"\n'
                f'port = {login_smtp.port}\ntls = "starttls"\nca_file = "{ca[1]}"\nusername = "{SMTP_USER}"\n'
                f'password_file = "{password}"\n'
                'from = "alerts@cflex.example"\nto = ["ops@cflex.example"]\ntimeout = "3s"\nrate_limit = ""\n'
                f'[[alerts.relay.channels]]\nname = "hook"\nkind = "whatsapp"\ngateway = "generic"\n'
                f'url = "{gw.url}"\ntoken_file = "{secrets["wa_token"]}"\nrecipients = ["08123456789"]\n'
                'headers = { Authorization = "Bearer {token}" }\nbody = { to = "{to}", text = "{text}" }\n'
                'timeout = "3s"\nrate_limit = ""\n')
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\nlog_level = "debug"\n'
                   f'[server]\nlisten = "127.0.0.1:{port}"\n'
                   + relay_section(secrets["relay_token"], channels, route('["mail"]', also='["hook"]')))
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "agent.log"
    outputs: list[str] = []
    with log.open("wb") as logf:
        proc = spawn_agent(cfg, logf)
        try:
            async with aiohttp.ClientSession() as http:
                await wait_ready(http, url, proc)

                async def webhook(doc: object, token: str = TOKEN) -> int:
                    async with http.post(url + "/alerts/webhook", json=doc,
                                         headers={"Authorization": f"Bearer {token}"}) as resp:
                        return resp.status

                async def snapshot() -> None:
                    for path in ("/metrics", "/api/alerts"):
                        async with http.get(url + path) as resp:
                            assert resp.status == 200
                            outputs.append(await resp.text())

                async def hook_job(state: str) -> bool:
                    """A job of the hook channel in ``state`` is listed by /api/alerts."""
                    await snapshot()
                    recent = orjson.loads(outputs[-1])["recent"]
                    return any(j["channel"] == "hook" and j["state"] == state for j in recent)

                assert await webhook(payload(), token=TOKEN + "x") == 401
                assert await webhook(payload(), token=TOKEN[:-1]) == 401
                assert await webhook(payload()) == 200
                # The gateway's 500 (echoing the token) is retried, then delivered.
                await login_smtp.wait_for(lambda: len(login_smtp.messages) == 1)
                await until(lambda: hook_job("delivered"))
                # A second group: the gateway's 400 (echoing the token again) is a permanent failure.
                assert await webhook(payload(alertname="DbDown", fingerprint="db00000000000001")) == 200
                await login_smtp.wait_for(lambda: len(login_smtp.messages) == 2)
                await until(lambda: hook_job("failed"))
                assert await webhook(payload(status="resolved")) == 200
                await login_smtp.wait_for(lambda: len(login_smtp.messages) == 3)
                await snapshot()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            finally:
                await gw.stop()
    assert proc.returncode == 0
    # The secrets were used: the SMTP login worked (the server requires it) and the gateway got its token.
    assert gw.seen[0] == f"Bearer {GW_TOKEN}" and len(gw.seen) == 4
    logs = log.read_text()
    assert '"message":"delivery failed; will retry"' in logs and '"channel":"hook"' in logs
    assert "upstream refused the request" in logs    # the echoed answers were logged, scrubbed
    api = orjson.loads(outputs[-1])
    assert any("upstream refused" in j["last_error"] for j in api["recent"]), api["recent"]
    for secret in (TOKEN, GW_TOKEN, SMTP_PASSWORD):
        for form in forms(secret):
            assert form not in logs, f"{form!r} in the agent's log"
            for out in outputs:
                assert form not in out, f"{form!r} in /metrics or /api/alerts"
