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


def contract_names() -> set[str]:
    """Backticked metric names in the first columns of configs/APP-METRICS.md's tables (histogram rows
    with their _bucket, _count and _sum series)."""
    text = (ROOT / "configs" / "APP-METRICS.md").read_text()
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = line.split("|")[1:-1]
            found = set()
            for cell in cells[:2]:
                found.update(re.findall(r"`([a-zA-Z_:][a-zA-Z0-9_:]*)`", cell))
            hist = len(cells) > 1 and cells[1].strip() == "histogram"
            names.update(f"{n}{s}" for n in found for s in (("_bucket", "_count", "_sum") if hist else ("",)))
    return names


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


CONFIGS = {"example": example_config, "nginx-metrics": lambda: parse('[render]\nhttp_metrics = "nginx"\n', "n.toml")}


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
    known_external = contract_names()
    for name, make in CONFIGS.items():
        cfg: Config = make()
        files = render_all(cfg, "x.toml")
        allowed = live_names | known_external | recorded(files)
        unknown = {}
        for where, expr in rule_exprs(files) + dashboard_exprs(files):
            for metric in selectors(expr) - allowed:
                unknown.setdefault(metric, where)
        assert not unknown, f"{name}: metric names neither exposed by the agent nor documented: {unknown}"
    # The agent's own names must come from the agent, not from the contract doc.
    documented_agent = {n for n in known_external if n.startswith("cflexagent_")}
    assert documented_agent <= live_names, documented_agent - live_names
