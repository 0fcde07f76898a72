"""Every PromQL expression of every rule and dashboard parses, and every metric name it reads is one that
the running agent exposes (its live /metrics, with every capability configured), a series of the app
metrics contract or the standard exporters (configs/APP-METRICS.md), or a recording rule of the set."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import promql_parser
import pytest
import yaml

from cflexagent.agent import Agent
from cflexagent.config import Config, parse
from cflexagent.render import render_all
from tests.conftest import free_port
from tests.fakes.loki import LokiDouble
from tests.storage.conftest import public_dir, scan_user, sshd  # noqa: F401 (fixtures)

from .conftest import EXAMPLE, ROOT, example_config

GRAFANA_VARS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d"}


def substitute(expr: str) -> str:
    """Grafana's interval variables and template variables, as Grafana would expand them."""
    for k, v in GRAFANA_VARS.items():
        expr = expr.replace(k, v)
    return re.sub(r"\$[A-Za-z_]\w*", ".*", expr)


def selectors(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), "")
            assert name, f"selector without a metric name in {expr!r}"
            names.add(name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def rule_exprs(files: dict[str, bytes]) -> list[tuple[str, str]]:
    out = []
    for path, data in files.items():
        if path.startswith("prometheus/rules/"):
            for group in yaml.safe_load(data)["groups"]:
                for r in group["rules"]:
                    out.append((f"{path}: {r.get('alert') or r.get('record')}", r["expr"]))
    return out


def dashboard_exprs(files: dict[str, bytes]) -> list[tuple[str, str]]:
    out = []
    for path, data in files.items():
        if not (path.startswith("grafana/dashboards/") and path.endswith(".json")):
            continue
        board = json.loads(data)
        for panel in board["panels"]:
            for t in panel.get("targets") or []:
                if (t.get("datasource") or {}).get("type") == "prometheus":
                    out.append((f"{path}: {panel['title']}", substitute(t["expr"])))
        for var in board["templating"]["list"]:
            if var["datasource"]["type"] == "prometheus":
                m = re.fullmatch(r"label_values\((\w+), *\w+\)", var["query"])
                assert m, f"{path}: variable {var['name']}: unexpected query {var['query']!r}"
                out.append((f"{path}: variable {var['name']}", m[1]))
    return out


def recorded(files: dict[str, bytes]) -> set[str]:
    return {r["record"] for path, data in files.items() if path.startswith("prometheus/rules/")
            for g in yaml.safe_load(data)["groups"] for r in g["rules"] if "record" in r}


#: The sections of configs/APP-METRICS.md that list series someone other than the agent exposes.
FOREIGN_SECTIONS = ("## Series the apps expose", "## Series from the other exporters")


def contract_names() -> set[str]:
    """The apps' own series and the standard exporters' (the backticked names of the tables under
    FOREIGN_SECTIONS of configs/APP-METRICS.md, histogram rows with their _bucket, _count and _sum series).
    The table of series the agent derives from logs grants nothing: those must come from [[logs.metrics]]."""
    text = (ROOT / "configs" / "APP-METRICS.md").read_text()
    names: set[str] = set()
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line.strip()
        if section in FOREIGN_SECTIONS and line.startswith("| ") and not line.startswith("| ---"):
            cells = line.split("|")[1:-1]
            found = set()
            for cell in cells[:2]:
                found.update(re.findall(r"`([a-zA-Z_:][a-zA-Z0-9_:]*)`", cell))
            hist = len(cells) > 1 and cells[1].strip() == "histogram"
            names.update(f"{n}{s}" for n in found for s in (("_bucket", "_count", "_sum") if hist else ("",)))
    return names


def derived_names(cfg: Config) -> set[str]:
    """What the agent's derive transform of this config exposes: its [[logs.metrics]] and the built-in
    series of every nginx_access source, read from the real collector's exposition."""
    from prometheus_client import CollectorRegistry, generate_latest

    from cflexagent.logs.transforms.derive import DerivedMetrics, deriver

    registry = CollectorRegistry()
    dm = DerivedMetrics(registry)
    dm.configure(list(cfg.logs.metrics))
    for source in cfg.logs.sources:
        deriver(source.name, source.format, list(cfg.logs.metrics), dm)
    return {n for n in family_names(generate_latest(registry).decode())
            if n.startswith("cflex_")}


def unknown_names(exprs: list[tuple[str, str]], live: set[str], derived: set[str], foreign: set[str],
                  recorded_: set[str]) -> dict[str, str]:
    """metric -> where it is read, for every name in none of: the live agent's names (cflexagent_* only from
    there; also the blackbox_exporter names it reuses, probe_*), the cflex_* series this config derives from
    logs, the apps' and exporters' series, the set's recording rules."""
    unknown: dict[str, str] = {}
    for where, expr in exprs:
        for metric in selectors(expr):
            if metric.startswith("cflexagent_"):
                ok = metric in live
            elif metric.startswith("cflex_"):
                ok = metric in derived
            else:
                ok = metric in live or metric in foreign or metric in recorded_
            if not ok:
                unknown.setdefault(metric, where)
    return unknown


def family_names(exposition: str) -> set[str]:
    """Series names of every family in a text exposition, including families without samples yet."""
    out: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", exposition, re.M):
        suffixes = {"histogram": ("_bucket", "_count", "_sum"), "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
                    "summary": ("_count", "_sum")}.get(kind, ("",))
        out.update(name + s for s in suffixes)
    out.update(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", exposition, re.M))
    return out


def full_config(state: Path, sshd_: Any, tree: Path, loki_url: str, logs_dir: Path, token: Path) -> str:
    """The example config with every capability switched on against loopback peers."""
    text = EXAMPLE.read_text()
    text = text.replace('state_dir = "/var/lib/cflexagent"', f'state_dir = "{state}"', 1)
    text = text.replace('listen = "127.0.0.1:9087"', 'listen = "127.0.0.1:0"', 1)
    text = text.replace('[backup]\nenabled = false\nout_dir = "/var/backups/cflexagent"',
                        f'[backup]\nenabled = true\nout_dir = "{state}/backups"', 1)
    assert f'out_dir = "{state}/backups"' in text
    closed = free_port()
    return text + f"""
[[heartbeats]]
name = "dms"
url = "http://127.0.0.1:{closed}/ping"
interval = "1s"
timeout = "500ms"

[logs.loki]
url = "{loki_url}/loki/api/v1/push"
batch_max_wait = "100ms"

[[logs.sources]]
name = "app"
paths = ["{logs_dir}/*.log"]
format = "json"
label_fields = ["service", "level"]

[[logs.sources]]
name = "nginx"
paths = ["{logs_dir}/access.nginx"]
format = "nginx_access"

[storage.sftp]
host = "127.0.0.1"
port = {sshd_.port}
username = "{sshd_.username}"
key_file = "{sshd_.client_key}"
known_hosts = "{sshd_.known_hosts}"
interval = "1m"

[[storage.sftp.areas]]
name = "tree"
path = "{tree}"

[storage.cpanel_quota]
url = "https://127.0.0.1:{closed}"
username = "u"
token_file = "{token}"
interval = "1m"

[alerts.relay]
[[alerts.relay.channels]]
name = "mail"
kind = "email"
host = "127.0.0.1"
port = {closed}
tls = "none"
from = "alerts@cflex.example"
to = ["ops@cflex.example"]
[[alerts.relay.routes]]
channels = ["mail"]
"""


@pytest.fixture
async def live_names(tmp_path: Path, sshd: Any) -> AsyncIterator[set[str]]:  # noqa: F811
    loki = LokiDouble()
    await loki.start()
    tree = public_dir("cflex-render-tree-")
    (tree / "f.txt").write_text("x")
    logs_dir = tmp_path / "logs"
    logs_dir.mkdir()
    (logs_dir / "app.log").write_text('{"ts":"2025-08-22T12:00:00Z","level":"INFO","service":"cflex-api",'
                                      '"action":"preview_generated","status":"success","duration_ms":1200}\n')
    (logs_dir / "access.nginx").write_text('127.0.0.1 - - [22/Aug/2025:12:00:00 +0000] "GET / HTTP/1.1" 200 5 '
                                           '"-" "curl"\n')
    token = tmp_path / "token"
    token.write_text("t")
    task = None
    try:
        text = full_config(tmp_path / "state", sshd, tree, f"http://127.0.0.1:{loki.port}", logs_dir, token)
        agent = Agent(parse(text, "full.toml"), "full.toml")
        task = asyncio.create_task(agent.run())
        await asyncio.wait_for(agent.started.wait(), 20)
        url = f"http://127.0.0.1:{agent.server.port}/metrics"
        async with aiohttp.ClientSession() as http:
            # Wait for one storage scan to publish, so its per-area series exist too.
            for _ in range(400):
                async with http.get(url) as r:
                    body = await r.text()
                if "cflexagent_storage_last_success_timestamp_seconds{" in body:
                    break
                await asyncio.sleep(0.05)
        names = family_names(body)
        for expected in ("cflexagent_storage_quota_used_bytes", "cflexagent_log_spool_bytes",
                         "cflexagent_heartbeat_total", "cflex_http_requests_total", "cflexagent_backups_total",
                         "cflex_preview_time_seconds_bucket", "cflexagent_alert_time_to_resolve_seconds_bucket",
                         "cflexagent_alert_outbox_oldest_age_seconds"):
            assert expected in names, f"the agent under test is missing {expected}: a capability is not configured"
        yield names
    finally:
        if task is not None:
            agent.stop_event.set()
            await asyncio.wait_for(task, 20)
        await loki.stop()
        import shutil

        shutil.rmtree(tree, ignore_errors=True)


def nginx_metrics_config() -> Config:
    """The example config with the HTTP rules on what the agent derives from an nginx access log."""
    text = EXAMPLE.read_text().replace('http_metrics = "app"', 'http_metrics = "nginx"', 1)
    assert 'http_metrics = "nginx"' in text
    return parse(text + '\n[logs.console]\n[[logs.sources]]\nname = "nginx"\npaths = ["/var/log/nginx/access.log"]\n'
                 'format = "nginx_access"\n', "n.toml")


CONFIGS = {"example": example_config, "nginx-metrics": nginx_metrics_config}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_expression_parses(name: str) -> None:
    files = render_all(CONFIGS[name](), "x.toml")
    exprs = rule_exprs(files) + dashboard_exprs(files)
    assert len(exprs) > 100
    for where, expr in exprs:
        try:
            selectors(expr)
        except (ValueError, RuntimeError) as e:
            raise AssertionError(f"{where}: {expr!r} does not parse: {e}") from None


async def test_every_metric_name_is_exposed_or_documented(live_names: set[str]) -> None:
    foreign = contract_names()
    assert not {n for n in foreign if n.startswith("cflex")}, "the agent's series are not the apps' contract"
    for name, make in CONFIGS.items():
        cfg: Config = make()
        files = render_all(cfg, "x.toml")
        derived = derived_names(cfg)
        assert "cflex_preview_time_seconds_bucket" in derived, derived
        unknown = unknown_names(rule_exprs(files) + dashboard_exprs(files), live_names, derived, foreign,
                                recorded(files))
        assert not unknown, f"{name}: metric names neither exposed by the agent, derived from its logs nor " \
                            f"documented for the apps: {unknown}"


def test_a_name_nobody_exposes_is_caught() -> None:
    """The check above rejects a name in none of the three sources, and a cflex_* series the config's
    [[logs.metrics]] do not derive even though APP-METRICS.md mentions it."""
    cfg = example_config()
    files = render_all(cfg, "x.toml")
    live = {"cflexagent_probe_up"}
    exprs = [("extra", "cflex_nobody_total + cflexagent_nobody + nobody_seconds_count + cflexagent_probe_up")]
    unknown = unknown_names(exprs, live, derived_names(cfg), contract_names(), recorded(files))
    assert unknown == {"cflex_nobody_total": "extra", "cflexagent_nobody": "extra", "nobody_seconds_count": "extra"}
    # The example config without its backups definition: the backup alerts read a series nobody derives.
    text = EXAMPLE.read_text()
    start = text.index('[[logs.metrics]]\nname = "cflex_backups_total"')
    end = text.index("[[logs.metrics]]", start + 1)
    without = parse(text[:start] + text[end:], "x.toml")
    unknown = unknown_names(rule_exprs(files), set(), derived_names(without), contract_names(), recorded(files))
    assert "cflex_backups_total" in unknown and unknown["cflex_backups_total"].endswith("BackupCompleted")
    assert "cflex_preview_time_seconds_bucket" not in unknown
