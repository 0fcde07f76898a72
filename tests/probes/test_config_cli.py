"""Probe config errors name the key path (exit 2); the example config documents every key;
``cflexagent probe`` prints phases and the reason and exits 0/1; the demo probes itself."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from cflexagent.cli import demo_config_text, example_config_text
from cflexagent.config import ConfigError, decode, parse
from cflexagent.probes.config import HeartbeatConfig, HttpProbe, ProbeConfig, ProbeDefaults, TcpProbe

from .conftest import App, TLSTargets, silent
from .test_probers import unframed_body


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "cflexagent", *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


BAD = [
    ('name = "a"\ntype = "http"\nurl = "not a url"', "probes[0].url: expected an http:// or https:// URL"),
    ('name = "a"\ntype = "http"\nurl = "http://x/"\ninterval = "10s"\ntimeout = "10s"',
     "probes[0].timeout: must be shorter than interval"),
    ('name = "a"\ntype = "icmp"\naddress = "x:1"', 'probes[0].type: expected one of "http", "tcp"'),
    ('name = "a"\ntype = "tcp"\naddress = "nohost"', "probes[0].address: expected host:port"),
    ('name = "a"\ntype = "tcp"\naddress = "x:1"\nurl = "http://x/"',
     'probes[0].url: only for type = "http" (this is type = "tcp")'),
    ('name = "a"\ntype = "http"\nurl = "http://x/"\nexpect_body = "("', "probes[0].expect_body: invalid regular"),
    ('name = "a"\ntype = "http"\nurl = "http://x/"\ntimout = "1s"', 'probes[0].timout: unknown key; did you mean'),
]


@pytest.mark.parametrize(("table", "message"), BAD)
def test_invalid_probe_config_names_the_key_path(table: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse(f"[[probes]]\n{table}\n", "x.toml")
    assert f"x.toml: {message}" in str(e.value)


async def test_check_exits_2_with_the_key_path(tmp_path: Path) -> None:
    good = '[[probes]]\nname = "a"\ntype = "tcp"\naddress = "127.0.0.1:1"\n'
    cases = {
        "dup": (good + good, 'probes[1].name: duplicate probe name "a"'),
        "timeout": (good.replace('"127.0.0.1:1"\n', '"127.0.0.1:1"\ninterval = "5s"\ntimeout = "6s"\n'),
                    "probes[0].timeout: must be shorter than interval"),
        "canary": ('[probe_defaults]\ncanaries = ["ftp://x"]\n', "probe_defaults.canaries[0]: expected an http"),
        "heartbeat": ('[[heartbeats]]\nname = "hb"\nurl = "https://hc.example/x"\nrequire_probes = ["nope"]\n',
                      'heartbeats[0].require_probes: no probe named "nope"'),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(f'[agent]\nstate_dir = "{tmp_path}"\n' + text)
        code, _, err = await run_cli("check", "-c", str(path))
        assert code == 2, (name, err)
        assert message in err, (name, err)
        assert "Traceback" not in err


def _documented_keys(text: str, table: str) -> set[str]:
    """Keys written as `key = ...` or `# key = ...` between a `table` header and the next section rule."""
    start = re.search(rf"^(# )?\[+{re.escape(table)}\]+$", text, re.M)
    assert start, table
    section = text[start.end():].split("# -----", 1)[0]
    return set(re.findall(r"^(?:# (?:# )?)?([a-z_]+) = ", section, re.M))


def test_example_config_loads_and_documents_every_probe_key() -> None:
    text = example_config_text()
    config = parse(text, "example.toml")
    assert [p.name for p in config.probes] == ["agent-self"]
    fields = {
        "probe_defaults": set(ProbeDefaults.__struct_fields__),
        "probes": set(HttpProbe.__struct_fields__) | set(TcpProbe.__struct_fields__),
        "heartbeats": set(HeartbeatConfig.__struct_fields__),
    }
    for table, want in fields.items():
        documented = _documented_keys(text, table)
        assert want <= documented, (table, want - documented)


def test_apply_probe_defaults_copies_only_per_probe_keys() -> None:
    text = ('[probe_defaults]\ninterval = "1m"\ntimeout = "20s"\nfailure_threshold = 3\ncanaries = ["1.1.1.1:53"]\n'
            '[[probes]]\nname = "a"\ntype = "tcp"\naddress = "x:1"\n'
            '[[probes]]\nname = "b"\ntype = "tcp"\naddress = "x:1"\ntimeout = "2s"\n')
    config = parse(text)
    assert (config.probes[0].interval, config.probes[0].timeout, config.probes[0].failure_threshold) == (60, 20, 3)
    assert config.probes[1].timeout == 2
    with pytest.raises(ConfigError, match=r"probes\[0\]\.canaries: unknown key"):
        decode({"name": "a", "type": "tcp", "address": "x:1", "canaries": []}, ProbeConfig, "x.toml", "probes[0]")


async def test_cli_probe_success_and_failure(app: App, free_port_factory) -> None:
    code, out, err = await run_cli("probe", app.url("/ok"), "--expect-status", "200")
    assert code == 0, err
    assert "connect" in out and "processing" in out and "result      success" in out
    code, out, _ = await run_cli("probe", f"127.0.0.1:{free_port_factory()}")
    assert code == 1
    assert "result      failure: refused" in out
    code, out, _ = await run_cli("probe", app.url("/ok"), "--expect-status", "5xx")
    assert code == 1 and "failure: status" in out


async def test_cli_probe_prints_the_tls_chain(tls_targets: TLSTargets) -> None:
    url = f"https://127.0.0.1:{tls_targets.chain}/"
    code, out, _ = await run_cli("probe", url)
    assert code == 1 and "tls_untrusted" in out  # not in the system store
    code, out, err = await run_cli("probe", url, "--insecure")
    assert code == 0, out + err
    assert "leaf cert   expires" in out and "[1]" in out  # leaf and intermediate listed


async def test_cli_probe_bad_arguments_exit_2() -> None:
    code, _, err = await run_cli("probe", "http://x/", "--timeout", "soon")
    assert code == 2 and "timeout" in err and "Traceback" not in err
    code, _, err = await run_cli("probe", "ftp://x/")
    assert code == 2 and "cflexagent probe: URL: " in err


async def test_cli_probe_timeout_takes_plain_seconds(raw_server: Any) -> None:
    port = await raw_server(silent)
    code, out, err = await run_cli("probe", "--json", "--timeout", "1.5", f"http://127.0.0.1:{port}/")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["reason"] == "timeout" and 1.5 <= doc["duration_seconds"] < 3.0
    code, _, err = await run_cli("probe", "--timeout", "0", f"http://127.0.0.1:{port}/")
    assert (code, err) == (2, "cflexagent probe: --timeout: must be greater than 0s\n")


async def test_cli_probe_explains_tls_failures_and_prints_http_1_0(app: App, raw_server: Any) -> None:
    code, out, _ = await run_cli("probe", f"https://127.0.0.1:{app.port}/ok")
    assert code == 1
    assert "detail      the server did not answer with TLS (is this port plain HTTP?) [WRONG_VERSION_NUMBER]" in out
    port = await raw_server(unframed_body)
    code, out, _ = await run_cli("probe", f"http://127.0.0.1:{port}/")
    assert code == 0 and "status      200 (HTTP/1.0)" in out


async def test_cli_probe_runs_a_configured_probe_by_name(tmp_path: Path, app: App) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[[probes]]\nname = "mine"\ntype = "http"\nurl = "{app.url("/ok")}"\nexpect_body = "nope"\n')
    code, out, _ = await run_cli("probe", "mine", "-c", str(path))
    assert code == 1 and "failure: body" in out


def test_demo_config_probes_the_agent_and_a_closed_port() -> None:
    config = parse(demo_config_text(), "<demo>")
    by_name = {p.name: p for p in config.probes}
    assert by_name["demo-healthz"].url.endswith("/healthz")
    assert by_name["demo-port"].address == "127.0.0.1:9087"
    assert by_name["demo-closed-port"].type == "tcp"


async def test_demo_shows_probe_results_and_a_failure_reason(tmp_path: Path, free_port_factory) -> None:
    import os

    import aiohttp

    port = free_port_factory()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cflexagent", "run", "--demo", "--listen", f"127.0.0.1:{port}",
        env={**os.environ, "CFLEXAGENT_DEMO_DIR": str(tmp_path / "demo")},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as session:
            deadline = asyncio.get_running_loop().time() + 60
            probes: dict[str, dict] = {}
            while asyncio.get_running_loop().time() < deadline:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/api/probes") as resp:
                        if resp.status == 200:
                            probes = {p["name"]: p for p in (await resp.json())["probes"]}
                except aiohttp.ClientError:
                    pass
                if all(probes.get(n, {}).get("last") for n in ("demo-healthz", "demo-port", "demo-closed-port")):
                    break
                await asyncio.sleep(0.2)
            assert probes["demo-healthz"]["last"]["result"] == "success"
            assert probes["demo-port"]["last"]["result"] == "success"
            assert probes["demo-closed-port"]["last"]["reason"] == "refused"
            async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                text = await resp.text()
            assert f'probe_success{{probe="demo-healthz",target="http://127.0.0.1:{port}/healthz"}} 1.0' in text
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
