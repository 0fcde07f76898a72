"""Fixtures for the alert relay tests: aiosmtpd, the gateway doubles, a real Alertmanager, webhook payloads."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any

import aiohttp
import msgspec
import pytest
import yaml

from cflexagent.configtypes import HostPort, ReadableFile
from cflexagent.render import render_all
from cflexagent.render.files import write_tree
from tests.conftest import Running, eventually, free_port, wait_http
from tests.fakes.smtp import SMTPDouble
from tests.fakes.whatsapp import GatewayDouble

__all__ = ["eventually"]

TOKEN = "relay-bearer-token-0123456789"


@pytest.fixture
async def smtp() -> AsyncIterator[SMTPDouble]:
    d = SMTPDouble()
    await d.start()
    yield d
    await d.stop()


@pytest.fixture
async def gateway() -> AsyncIterator[Callable[..., Any]]:
    made: list[GatewayDouble] = []

    async def make(kind: str, **kw: Any) -> GatewayDouble:
        d = GatewayDouble(kind, **kw)
        await d.start()
        made.append(d)
        return d

    yield make
    for d in made:
        await d.stop()


@pytest.fixture
def secrets(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, value in (("relay_token", TOKEN), ("wa_token", "gw-secret-token")):
        p = tmp_path / name
        p.write_text(value + "\n")
        p.chmod(0o600)
        out[name] = p
    return out


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def email_channel(smtp: SMTPDouble, name: str = "mail", to: str = "ops@cflex.example", **extra: str) -> str:
    opts = {"timeout": '"3s"', "rate_limit": '""', **extra}
    return (f'[[alerts.relay.channels]]\nname = "{name}"\nkind = "email"\nhost = "127.0.0.1"\n'
            f'port = {smtp.port}\ntls = "none"\nfrom = "alerts@cflex.example"\nto = ["{to}"]\n'
            + "".join(f"{k} = {v}\n" for k, v in opts.items()))


def wa_channel(gw: GatewayDouble, token_file: Path, name: str = "wa", recipients: str = '["+62 812-3456-789"]',
               **extra: str) -> str:
    opts = {"timeout": '"2s"', "rate_limit": '""', **extra}
    head = (f'[[alerts.relay.channels]]\nname = "{name}"\nkind = "whatsapp"\ngateway = "{gw.kind}"\n'
            f'url = "{gw.url}"\ntoken_file = "{token_file}"\nrecipients = {recipients}\n')
    if gw.kind == "cloud_api":
        head += f'phone_number_id = "{gw.phone_number_id}"\n'
    if gw.kind == "generic":
        head += 'headers = { Authorization = "Bearer {token}" }\nbody = { to = "{to}", text = "{text}" }\n'
    return head + "".join(f"{k} = {v}\n" for k, v in opts.items())


def relay_section(token_file: Path | None, channels: str, routes: str, **extra: str) -> str:
    opts = {"min_backoff": '"50ms"', "max_backoff": '"300ms"', "public_url": '"https://monitor.example.com"',
            **extra}
    tok = f'bearer_token_file = "{token_file}"\n' if token_file else ""
    return ("[alerts.relay]\n" + tok + "".join(f"{k} = {v}\n" for k, v in opts.items()) + channels + routes)


def route(channels: str, severity: str = "", **extra: str) -> str:
    opts = {"retry_for": '"1s"', **extra}
    sev = f'severity = "{severity}"\n' if severity else ""
    return (f"[[alerts.relay.routes]]\n{sev}channels = {channels}\n"
            + "".join(f"{k} = {v}\n" for k, v in opts.items()))


def payload(alertname: str = "HighErrorRate", severity: str = "critical", status: str = "firing",
            fingerprint: str = "c0ffee0000000001", instance: str = "api-1:8080", group: str = "",
            n_alerts: int = 1) -> dict[str, Any]:
    labels = {"alertname": alertname, "severity": severity, "instance": instance, "job": "api"}
    ann = {"summary": f"{alertname} on {instance}", "description": "Error rate above 1% for 5m",
           "runbook_url": "/runbooks/high-error-rate"}
    alerts = [{"status": status, "labels": {**labels, "n": str(i)} if i else labels, "annotations": ann,
               "startsAt": "2026-08-22T12:00:00.123456789Z",
               "endsAt": "2026-08-22T12:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
               "generatorURL": "http://prometheus:9090/graph?g0.expr=x",
               "fingerprint": fingerprint if not i else f"{fingerprint[:-2]}{i:02d}"} for i in range(n_alerts)]
    return {"version": "4", "groupKey": group or f'{{}}:{{alertname="{alertname}"}}', "truncatedAlerts": 0,
            "status": status, "receiver": "cflexagent", "groupLabels": {"alertname": alertname},
            "commonLabels": labels, "commonAnnotations": ann, "externalURL": "http://alertmanager:9093",
            "alerts": alerts}


async def until(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    """Poll an async condition nothing signals (another process's state) every 100 ms."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.1)


def spawn_agent(cfg: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """``cflexagent run -c cfg`` as its own process; its JSON log (stderr) goes to ``log``."""
    return subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(cfg)],
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL, stderr=log)


async def wait_ready(http: aiohttp.ClientSession, url: str, proc: subprocess.Popen[bytes]) -> None:
    """An agent run as its own process answers /ready (polled: another process's state)."""
    for _ in range(300):
        assert proc.poll() is None, f"agent exited with {proc.returncode}"
        try:
            async with http.get(url + "/ready") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("agent not ready")


async def start_relay(start_agent: Any, text: str, state: Path | None = None) -> Any:
    """An in-process agent whose relay is ready (outbox open, workers running)."""
    r = await start_agent(text, state)
    await eventually(lambda: "alerts.relay" in r.agent.supervisor.components
                     and r.agent.supervisor.components["alerts.relay"].healthcheck(), within=20)
    return r


def agent_url(r: Any) -> str:
    return f"http://127.0.0.1:{r.agent.server.port}"


async def post(http: aiohttp.ClientSession, r: Any, doc: Any, token: str | None = TOKEN,
               path: str = "/alerts/webhook", **kw: Any) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = doc if isinstance(doc, bytes) else None
    async with http.post(agent_url(r) + path, json=None if data is not None else doc, data=data,
                         headers=headers, **kw) as resp:
        return resp.status, await resp.json(content_type=None)


class Alertmanager:
    """The real Alertmanager 0.25 (Debian's prometheus-alertmanager) on loopback, started from the files
    ``cflexagent render`` makes for the test agent's own config: ``alertmanager.yml`` (webhook to the
    relay with the bearer token's ``credentials_file``), its template, and the flags of
    ``/etc/default/prometheus-alertmanager``."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tmp / "alertmanager"
        self.proc: subprocess.Popen[bytes] | None = None

    def render_section(self, group_wait: str = "1s") -> str:
        """The test config's ``[render]`` keys: where the rendered files live, the port, short waits."""
        return (f'[render.paths]\nalertmanager_dir = "{self.dir}/alertmanager"\n'
                f'[render.alertmanager]\nlisten = "127.0.0.1:{self.port}"\ndata_dir = "{self.dir}/data"\n'
                f'group_wait = "{group_wait}"\ngroup_interval = "1s"\n')

    def start(self, r: Running, token_file: Path | None = None) -> Alertmanager:
        """Render the agent's config (its listen port resolved; ``token_file`` instead of the relay's
        bearer token, to test a wrong one) and start Alertmanager with the rendered flags."""
        config = r.agent.config
        server = msgspec.structs.replace(config.server, listen=HostPort("127.0.0.1", r.agent.server.port))
        config = msgspec.structs.replace(config, server=server)
        if token_file is not None:
            assert config.alerts.relay is not None
            relay = msgspec.structs.replace(config.alerts.relay, bearer_token_file=ReadableFile(str(token_file)))
            config = msgspec.structs.replace(config, alerts=msgspec.structs.replace(config.alerts, relay=relay))
        files = render_all(config, "test.toml", only=["alertmanager"])
        write_tree(self.dir, files)
        args = dotenv_args(files["default/prometheus-alertmanager"])
        assert f"--config.file={self.dir}/alertmanager/alertmanager.yml" in args, args
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        assert binary, "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
        self._log = open(self.dir / "log", "wb")
        self.proc = subprocess.Popen([binary, *args, "--log.level=debug"],
                                     stdout=subprocess.DEVNULL, stderr=self._log)
        wait_http(self.url + "/-/ready", self.proc)
        return self

    def config(self) -> dict[str, Any]:
        return yaml.safe_load((self.dir / "alertmanager" / "alertmanager.yml").read_text())  # type: ignore[no-any-return]

    def log(self) -> str:
        return (self.dir / "log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def dotenv_args(env_file: bytes) -> list[str]:
    """The ``ARGS="..."`` of a rendered /etc/default file as the systemd unit passes them (``$ARGS``: the
    value unquoted, split at whitespace)."""
    line = next(x for x in env_file.decode().splitlines() if x.startswith("ARGS="))
    (value,) = shlex.split(line.removeprefix("ARGS="))
    return value.split()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[], Alertmanager]]:
    """``am = alertmanager()``; put ``am.render_section()`` in the agent's config, then ``am.start(agent)``."""
    made: list[Alertmanager] = []

    def make() -> Alertmanager:
        am = Alertmanager(tmp_path)
        made.append(am)
        return am

    yield make
    for am in made:
        am.stop()


def am_alert(alertname: str, severity: str = "critical", ends: float | None = None, **labels: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"labels": {"alertname": alertname, "severity": severity, "instance": "api-1:8080",
                                      **labels},
                           "annotations": {"summary": f"{alertname} fired", "runbook_url": "/runbooks/x"}}
    if ends is not None:
        doc["endsAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ends))
    return doc
