"""The rendered set passes the real tools: promtool check config/rules/web-config, amtool check-config and
routes, nginx -t; a real Alertmanager starts from it and inhibits; a real Prometheus scrapes the agent with it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml

from cflexagent.agent import Agent
from cflexagent.config import Config, parse
from cflexagent.render.common import RenderContext
from cflexagent.render.validate import nginx_check, run_checks
from tests.conftest import Upstream, free_port, https_request, nginx_serving, wait_http

from .conftest import render_to, run, tool

#: The relay's email channel of the configs below.
MAIL = """[[alerts.relay.channels]]
name = "mail"
kind = "email"
host = "127.0.0.1"
port = 25
tls = "none"
from = "alerts@cflex.example"
to = ["ops@cflex.example"]
"""

WEB = """
[render.prometheus]
web_config = true
web_users = { admin = "$2b$10$kq92gpPKADbWQcAAiYV/a.5YbglV/NcqQ3zKeUB1e2rpeL6DWqg2m" }
self_username = "admin"
self_password_file = "/etc/prometheus/self.password"
[render.longterm]
enabled = true
[render.remote_write]
url = "https://mimir.example.com/api/v1/push"
bearer_token_file = "/etc/prometheus/mimir.token"
[[render.apps]]
name = "cflex-api"
targets = ["127.0.0.1:8000"]
[alerts.relay]
enabled = true
bearer_token_file = "/etc/cflexagent/relay.token"
public_url = "https://monitor.example.com"
""" + MAIL + """[[alerts.relay.routes]]
severity = "critical"
channels = ["mail"]
[[render.alertmanager.maintenance]]
name = "patching"
times = ["01:00-03:00"]
weekdays = ["sunday"]
location = "Asia/Jakarta"
severities = ["warning", "info"]
"""


@pytest.fixture
def certs(tmp_path: Path) -> tuple[Path, Path]:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    crt, key = tmp_path / "site.crt", tmp_path / "site.key"
    cert.private_key_and_cert_chain_pem.write_to_path(str(crt))
    cert.private_key_pem.write_to_path(str(key))
    return crt, key


def with_certs(text: str, certs: tuple[Path, Path]) -> str:
    return text + f'\n[render.nginx]\ncert_file = "{certs[0]}"\nkey_file = "{certs[1]}"\n'


@pytest.mark.parametrize("variant", ["example", "no-render", "everything"])
def test_rendered_set_passes_promtool_amtool_nginx(variant: str, tmp_path: Path, certs: tuple[Path, Path],
                                                    example: Config) -> None:
    for t in ("promtool", "amtool", "nginx"):
        tool(t)
    if variant == "example":
        from .conftest import EXAMPLE

        text = EXAMPLE.read_text().replace('cert_file = "/etc/ssl/certs/ssl-cert-snakeoil.pem"',
                                           f'cert_file = "{certs[0]}"')
        text = text.replace('key_file = "/etc/ssl/private/ssl-cert-snakeoil.key"', f'key_file = "{certs[1]}"')
        cfg = parse(text, "example.toml")
    elif variant == "no-render":
        cfg = parse("", "bare.toml")
    else:
        cfg = parse(with_certs(WEB, certs), "everything.toml")
    out = tmp_path / "set"
    files = render_to(out, cfg)
    checks = run_checks(RenderContext(cfg, "x.toml"), out, set(files))
    by_file = {c.file: c for c in checks}
    if variant == "no-render":
        # Debian's snakeoil certificate is the default; this machine may not have it: nginx -t says so.
        nginx = by_file.pop("nginx/cflex-monitoring")
        if Path("/etc/ssl/certs/ssl-cert-snakeoil.pem").exists():
            assert nginx.result == "ok", nginx
        else:  # named by its key, with the way out, before nginx's OpenSSL words
            assert nginx.line() == ("FAILED  nginx -t nginx/cflex-monitoring: render.nginx.cert_file = "
                                    "'/etc/ssl/certs/ssl-cert-snakeoil.pem' does not exist (Debian's ssl-cert "
                                    "package creates that snakeoil pair; set your own certificate)"), nginx
    failed = [c.line() for c in by_file.values() if c.result != "ok"]
    assert not failed, failed
    expected = {"prometheus/prometheus.yml", "prometheus/rules/cflex-alerts.yml", "prometheus/rules/cflex-slos.yml",
                "prometheus/rules/cflex-recording.yml", "alertmanager/alertmanager.yml"}
    if variant == "everything":
        expected |= {"prometheus/web-config.yml", "prometheus/longterm.yml"}
    assert expected <= set(by_file)


def test_longterm_federation_over_tls_trusts_the_certificate_prometheus_serves(
        tmp_path: Path, certs: tuple[Path, Path]) -> None:
    """With web_tls_cert_file, the long-term instance federates over https verifying the same certificate
    as the self-scrape job (not the system's CAs, which do not know a self-signed one)."""
    pw = tmp_path / "self.password"
    pw.write_text("secret\n")
    tls = f'web_config = true\nweb_tls_cert_file = "{certs[0]}"\nweb_tls_key_file = "{certs[1]}"\n'
    text = WEB.replace("/etc/prometheus/self.password", str(pw)).replace("web_config = true\n", tls)
    cfg = parse(with_certs(text, certs), "x.toml")
    out = tmp_path / "set"
    render_to(out, cfg)
    prom = yaml.safe_load((out / "prometheus/prometheus.yml").read_text())
    self_job = next(j for j in prom["scrape_configs"] if j["job_name"] == "prometheus")
    fed = yaml.safe_load((out / "prometheus/longterm.yml").read_text())["scrape_configs"][0]
    assert fed["scheme"] == self_job["scheme"] == "https"
    assert fed["tls_config"] == self_job["tls_config"] == {"ca_file": str(certs[0])}
    assert fed["basic_auth"] == self_job["basic_auth"] == {"username": "admin", "password_file": str(pw)}
    for name in ("prometheus.yml", "longterm.yml"):
        r = run([tool("promtool"), "check", "config", str(out / "prometheus" / name)])
        assert r.returncode == 0, r.stdout + r.stderr


def test_a_broken_file_fails_its_check_naming_file_and_reason(tmp_path: Path, example: Config) -> None:
    tool("promtool")
    out = tmp_path / "set"
    files = render_to(out, example)
    broken = "groups:\n- name: x\n  rules:\n  - alert: A\n    expr: 'up =='\n"
    (out / "prometheus/rules/cflex-alerts.yml").write_text(broken)
    checks = run_checks(RenderContext(example, "x.toml"), out, set(files))
    bad = [c for c in checks if c.result == "failed"]
    assert {c.file for c in bad} >= {"prometheus/rules/cflex-alerts.yml"}
    assert any("parse error" in c.message or "unexpected" in c.message for c in bad), [c.line() for c in bad]


def test_nginx_t_rejects_a_missing_certificate(tmp_path: Path) -> None:
    tool("nginx")
    cfg = parse(f'[render.nginx]\ncert_file = "{tmp_path}/none.crt"\nkey_file = "{tmp_path}/none.key"\n', "x.toml")
    out = tmp_path / "set"
    render_to(out, cfg)
    c = nginx_check(out, "nginx/cflex-monitoring")
    assert c.result == "failed" and "none.crt" in c.message


def test_real_nginx_keeps_grafana_admin_paths_and_admin_api_to_the_allowlist(
        tmp_path: Path, certs: tuple[Path, Path]) -> None:
    tool("nginx")
    port = free_port()
    with Upstream() as grafana:
        text = (f'[render.grafana]\nlisten = "{grafana.address}"\n[render.nginx]\nlisten_port = {port}\n'
                f'redirect_http = false\nadmin_allow = ["192.0.2.1"]\ncert_file = "{certs[0]}"\n'
                f'key_file = "{certs[1]}"\n')
        out = tmp_path / "set"
        render_to(out, parse(text, "x.toml"))
        with nginx_serving(out / "nginx/cflex-monitoring", tmp_path, port) as url:
            for path in ("/admin/users", "/api/admin/settings", "/api/admin/users/1/password", "/prometheus/"):
                assert https_request(url, path)[0] == 403, path
            assert https_request(url, "/api/dashboards/home") == (200, "upstream GET /api/dashboards/home")
            assert https_request(url, "/api/adminx") == (200, "upstream GET /api/adminx")
        assert not [p for p in grafana.seen if "/admin" in p and p != "/api/adminx"], grafana.seen


def _route(am_yml: Path, *labels: str) -> str:
    r = run([tool("amtool"), "config", "routes", "test", f"--config.file={am_yml}", *labels])
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.strip()


def test_amtool_routes_per_severity(tmp_path: Path, certs: tuple[Path, Path]) -> None:
    cfg = parse(with_certs(WEB, certs), "x.toml")
    out = tmp_path / "set"
    render_to(out, cfg)
    am = out / "alertmanager/alertmanager.yml"
    assert _route(am, "severity=critical", "alertname=ProbeDown") == "critical"
    assert _route(am, "severity=warning", "alertname=NodeCPUHighUsage") == "email"
    assert _route(am, "severity=info", "alertname=BackupCompleted") == "digest"
    assert _route(am, "severity=info", "alertname=Watchdog") == "watchdog"
    data = yaml.safe_load(am.read_text())
    receivers = {r["name"]: r for r in data["receivers"]}
    hook = receivers["critical"]["webhook_configs"][0]
    assert hook["url"] == f"http://127.0.0.1:{cfg.server.listen.port}/alerts/webhook"
    assert hook["http_config"]["authorization"] == {"type": "Bearer",
                                                    "credentials_file": "/etc/cflexagent/relay.token"}
    routes = {r["receiver"]: r for r in data["route"]["routes"]}
    assert "mute_time_intervals" not in routes["critical"]
    assert routes["email"]["mute_time_intervals"] == ["patching"]
    assert routes["digest"]["group_interval"] == "1d" and routes["digest"]["repeat_interval"] == "1d"
    assert data["time_intervals"][0]["time_intervals"][0] == {
        "times": [{"start_time": "01:00", "end_time": "03:00"}], "weekdays": ["sunday"], "location": "Asia/Jakarta"}


RELAY = '\n[alerts.relay]\nenabled = true\n{token}' + MAIL + '[[alerts.relay.routes]]\nchannels = ["mail"]\n'


@pytest.mark.parametrize("token", [False, True], ids=["no-token", "token"])
def test_relay_webhook_reaches_an_agent_with_tls_and_basic_auth(token: bool, tmp_path: Path,
                                                                certs: tuple[Path, Path]) -> None:
    """[server.tls] and [server.basic_auth]: the webhook is https and trusts agent_ca_file, as the scrape
    job of the agent does; without a relay token it sends the agent's basic auth, with one only the token
    (Alertmanager takes one of the two); amtool check-config accepts the result."""
    tok = tmp_path / "relay.token"
    tok.write_text("t0ken\n")
    pw = tmp_path / "agent.password"
    pw.write_text("secret\n")
    hashed = "$2b$10$kq92gpPKADbWQcAAiYV/a.5YbglV/NcqQ3zKeUB1e2rpeL6DWqg2m"
    text = (f'[server.tls]\ncert_file = "{certs[0]}"\nkey_file = "{certs[1]}"\n'
            f'[server.basic_auth]\nusers = {{ prometheus = "{hashed}" }}\n'
            f'[render.prometheus]\nagent_password_file = "{pw}"\nagent_ca_file = "{certs[0]}"\n'
            + RELAY.format(token=f'bearer_token_file = "{tok}"\n' if token else ""))
    cfg = parse(with_certs(text, certs), "x.toml")
    out = tmp_path / "set"
    render_to(out, cfg)
    r = run([tool("amtool"), "check-config", str(out / "alertmanager/alertmanager.yml")])
    assert r.returncode == 0, r.stdout + r.stderr
    data = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())
    hook = {x["name"]: x for x in data["receivers"]}["critical"]["webhook_configs"][0]
    assert hook["url"] == f"https://127.0.0.1:{cfg.server.listen.port}/alerts/webhook"
    tls = {"ca_file": str(certs[0])}
    basic = {"username": "prometheus", "password_file": str(pw)}
    if token:
        assert hook["http_config"] == {"authorization": {"type": "Bearer", "credentials_file": str(tok)},
                                       "tls_config": tls}
    else:
        assert hook["http_config"] == {"basic_auth": basic, "tls_config": tls}
    prom = yaml.safe_load((out / "prometheus/prometheus.yml").read_text())
    job = next(j for j in prom["scrape_configs"] if j["job_name"] == "cflexagent")
    assert (job["scheme"], job["basic_auth"], job["tls_config"]) == ("https", basic, tls)


def test_critical_goes_to_email_without_the_relay(tmp_path: Path) -> None:
    out = tmp_path / "set"
    render_to(out, parse("", "x.toml"))
    data = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())
    receivers = {r["name"]: r for r in data["receivers"]}
    assert "webhook_configs" not in receivers["critical"]
    assert receivers["critical"]["email_configs"][0]["to"] == "ops@localhost"


def test_watchdog_url_comes_from_its_file_and_is_never_printed(tmp_path: Path, capsys: Any) -> None:
    from cflexagent.cli import main

    secret = "https://hc-ping.com/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
    (tmp_path / "dms").write_text(secret + "\n")
    conf = tmp_path / "c.toml"
    conf.write_text(f'[render.alertmanager]\nwatchdog_url_file = "{tmp_path}/dms"\n')
    assert main(["render", "-c", str(conf), "--out", str(tmp_path / "set")]) == 0
    am = tmp_path / "set/alertmanager/alertmanager.yml"
    data = yaml.safe_load(am.read_text())
    assert {r["name"]: r for r in data["receivers"]}["watchdog"]["webhook_configs"][0]["url"] == secret
    assert am.stat().st_mode & 0o777 == 0o640
    (tmp_path / "dms").unlink()
    assert main(["render", "-c", str(conf), "--out", str(tmp_path / "set2")]) == 2
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err
    assert "render.alertmanager.watchdog_url_file: cannot read" in captured.err


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    out = tmp_path / "set"
    render_to(out, parse("", "x.toml"))
    port = free_port()
    with open(tmp_path / "alertmanager.log", "wb") as log:
        proc = subprocess.Popen([tool("prometheus-alertmanager"),
                                 f"--config.file={out}/alertmanager/alertmanager.yml",
                                 f"--storage.path={tmp_path}/am-data", f"--web.listen-address=127.0.0.1:{port}",
                                 "--cluster.listen-address="], stdout=log, stderr=log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/-/ready", proc)
        yield url, out
    finally:
        proc.terminate()
        proc.wait(10)


def _post(url: str, body: Any) -> None:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200


def test_real_alertmanager_is_ready_and_critical_inhibits_warning(alertmanager: tuple[str, Path]) -> None:
    url, _ = alertmanager
    with urllib.request.urlopen(url + "/-/ready", timeout=5) as r:
        assert r.status == 200
    base = {"job": "node_exporter", "instance": "127.0.0.1:9100"}
    _post(url + "/api/v2/alerts", [
        {"labels": {**base, "alertname": "TargetDown", "severity": "critical"}},
        {"labels": {**base, "alertname": "NodeCPUHighUsage", "severity": "warning"}},
        {"labels": {"job": "node_exporter", "instance": "10.0.0.2:9100", "alertname": "NodeCPUHighUsage",
                    "severity": "warning"}},
    ])
    deadline = time.monotonic() + 20
    while True:
        with urllib.request.urlopen(url + "/api/v2/alerts", timeout=5) as r:
            alerts = {(a["labels"]["alertname"], a["labels"]["instance"]): a["status"] for a in json.load(r)}
        warn = alerts.get(("NodeCPUHighUsage", "127.0.0.1:9100"))
        if warn and warn["inhibitedBy"]:
            break
        assert time.monotonic() < deadline, alerts
        time.sleep(0.2)
    assert warn["state"] == "suppressed"
    assert alerts[("NodeCPUHighUsage", "10.0.0.2:9100")]["inhibitedBy"] == []
    assert alerts[("TargetDown", "127.0.0.1:9100")]["inhibitedBy"] == []


def _statuses(url: str, want_inhibited: set[str], within: float = 20) -> dict[str, Any]:
    """alertname -> status once every alert in ``want_inhibited`` is inhibited (the inhibitor's cache
    fills asynchronously; what must stay free is checked after that)."""
    deadline = time.monotonic() + within
    while True:
        with urllib.request.urlopen(url + "/api/v2/alerts", timeout=5) as r:
            alerts = {a["labels"]["alertname"]: a["status"] for a in json.load(r)}
        if all(alerts.get(n, {}).get("inhibitedBy") for n in want_inhibited):
            return alerts
        assert time.monotonic() < deadline, alerts
        time.sleep(0.2)


def test_real_alertmanager_inhibits_only_alerts_about_the_same_thing(alertmanager: tuple[str, Path]) -> None:
    """A critical alert without instance (an SLO fast burn, HTTPErrorRateHigh) does not inhibit the
    warnings without instance of other jobs (Alertmanager counts a label missing on both sides as equal);
    a probe down still inhibits its own probe's warnings, an SLO's fast burn its own slow burn."""
    url, _ = alertmanager
    agent = {"job": "cflexagent", "instance": "127.0.0.1:9464"}
    _post(url + "/api/v2/alerts", [
        {"labels": {"alertname": "ApiErrorsErrorBudgetBurnFast", "severity": "critical", "slo": "api-errors"}},
        {"labels": {"alertname": "HTTPErrorRateHigh", "severity": "critical", "job": "cflex-api"}},
        {"labels": {**agent, "alertname": "ProbeDown", "severity": "critical", "probe": "shop",
                    "target": "https://shop.example.com/"}},
        {"labels": {"alertname": "MoverFailRateHigh", "severity": "warning", "job": "cflex-mover"}},
        {"labels": {"alertname": "PreviewSlow", "severity": "warning", "job": "cflex-preview"}},
        {"labels": {"alertname": "ApiErrorsErrorBudgetBurnSlow", "severity": "warning", "slo": "api-errors"}},
        {"labels": {"alertname": "ApiLatencyErrorBudgetBurnSlow", "severity": "warning", "slo": "api-latency"}},
        {"labels": {"alertname": "QueueJobsSlow", "severity": "warning", "job": "cflex-api"}},
        {"labels": {**agent, "alertname": "TLSCertificateExpiringSoon", "severity": "warning", "probe": "shop"}},
        {"labels": {**agent, "alertname": "LogSpoolFull", "severity": "warning"}},
        {"labels": {**agent, "alertname": "TargetDown", "severity": "warning", "probe": "blog"}},
    ])
    inhibited = {"ApiErrorsErrorBudgetBurnSlow", "QueueJobsSlow", "TLSCertificateExpiringSoon"}
    alerts = _statuses(url, inhibited)
    free = {"MoverFailRateHigh", "PreviewSlow", "ApiLatencyErrorBudgetBurnSlow", "LogSpoolFull", "TargetDown",
            "ApiErrorsErrorBudgetBurnFast", "HTTPErrorRateHigh", "ProbeDown"}
    assert {n: alerts[n]["inhibitedBy"] for n in free} == {n: [] for n in free}
    assert all(alerts[n]["state"] == "suppressed" for n in inhibited)


def test_amtool_routes_of_service_level_and_slo_alerts(tmp_path: Path) -> None:
    out = tmp_path / "set"
    render_to(out, parse("", "x.toml"))
    am = out / "alertmanager/alertmanager.yml"
    assert _route(am, "severity=critical", "alertname=ApiErrorsErrorBudgetBurnFast", "slo=api-errors") == "critical"
    assert _route(am, "severity=warning", "alertname=ApiErrorsErrorBudgetBurnSlow", "slo=api-errors") == "email"
    assert _route(am, "severity=warning", "alertname=MoverFailRateHigh", "job=cflex-mover") == "email"
    rules = yaml.safe_load(am.read_text())["inhibit_rules"]
    # Every rule's source names the label it compares, so "missing on both sides" never matches.
    for rule in rules:
        named = {m.split("=")[0] for m in rule["source_matchers"] if m.endswith('=~".+"')}
        assert named & set(rule["equal"]), rule


def start_prometheus(binary: str, config: Path, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    with open(tmp / "prometheus.log", "wb") as log:
        return subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={tmp}/tsdb",
                                 f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"],
                                stdout=log, stderr=log)


async def test_real_prometheus_scrapes_the_agent_and_loads_every_rule_group(tmp_path: Path) -> None:
    prometheus = tool("prometheus")
    agent_port, prom_port = free_port(), free_port()
    text = (f'[agent]\nstate_dir = "{tmp_path}/state"\n[server]\nlisten = "127.0.0.1:{agent_port}"\n'
            f'[render.prometheus]\nlisten = "127.0.0.1:{prom_port}"\nscrape_interval = "1s"\n'
            'scrape_timeout = "1s"\nevaluation_interval = "1s"\n')
    cfg = parse(text, "e2e.toml")
    out = tmp_path / "set"
    files = render_to(out, cfg)
    agent = Agent(cfg, "e2e.toml")
    task = asyncio.create_task(agent.run())
    await asyncio.wait_for(agent.started.wait(), 20)
    proc = start_prometheus(prometheus, out / "prometheus/prometheus.yml", tmp_path, prom_port)
    api = f"http://127.0.0.1:{prom_port}/api/v1"
    try:
        await asyncio.to_thread(wait_http, f"http://127.0.0.1:{prom_port}/-/ready", proc)
        groups_expected = {g["name"] for rel, data in files.items() if rel.startswith("prometheus/rules/")
                           for g in yaml.safe_load(data)["groups"]}

        def get(path: str) -> Any:
            with urllib.request.urlopen(api + path, timeout=5) as r:
                return json.load(r)["data"]

        deadline = time.monotonic() + 60
        while True:
            targets = {t["labels"]["job"]: t for t in get("/targets")["activeTargets"]}
            groups = get("/rules")["groups"]
            unhealthy = [(g["name"], r["name"], r["health"], r.get("lastError")) for g in groups
                         for r in g["rules"] if r["health"] != "ok"]
            if targets.get("cflexagent", {}).get("health") == "up" and not unhealthy and groups:
                break
            assert not [u for u in unhealthy if u[2] == "err"], unhealthy
            assert time.monotonic() < deadline, (targets.get("cflexagent"), unhealthy[:5])
            await asyncio.sleep(0.5)
        assert {g["name"] for g in groups} == groups_expected
        assert all(r["health"] == "ok" for g in groups for r in g["rules"])
        up = get('/query?query=up%7Bjob%3D%22cflexagent%22%7D')["result"]
        assert up and up[0]["value"][1] == "1"
    finally:
        proc.terminate()
        proc.wait(10)
        agent.stop_event.set()
        await asyncio.wait_for(task, 20)
