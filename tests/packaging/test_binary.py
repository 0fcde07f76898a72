"""The one-file binary as ops run it: built with PyInstaller, then smoke-tested.

Also checks the systemd unit with ``systemd-analyze verify`` where available,
and that the binary unpacks under $TMPDIR (the unit points it at the state
dir, since /tmp may be noexec) and removes stale extraction folders.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import free_port, wait_http

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("dist")
    work = tmp_path_factory.mktemp("build")
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(out), "--workpath", str(work), str(ROOT / "packaging" / "cflexagent.spec")],
                   check=True, cwd=ROOT, timeout=900)
    path = out / "cflexagent"
    assert path.stat().st_size < 40 * 1024 * 1024
    yield path


def test_version_and_check(binary: Path) -> None:
    r = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("cflexagent ")
    r = subprocess.run([binary, "check", "-c", ROOT / "configs" / "cflexagent.example.toml"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([binary, "check", "-c", "/nonexistent.toml"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "config file not found" in r.stderr


def test_names_are_redacted_by_the_binary(binary: Path, tmp_path: Path) -> None:
    # The name list and the model are package data inside the binary, and the compiled name finder runs frozen.
    log = tmp_path / "app.log"
    log.write_text('{"ts":"2026-11-26T10:15:00Z","msg":"approved by Budi Santoso"}\n'
                   '{"ts":"2026-11-26T10:15:01Z","msg":"Shift pagi: Sutarmi Wulandari (packing)"}\n')
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path}/state"\n')
    r = subprocess.run([binary, "logs", "preview", "-c", cfg, "--format", "json", log], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "approved by <redacted:name>" in r.stdout and "Budi" not in r.stdout
    assert "Shift pagi: <redacted:name> (packing)" in r.stdout  # the model's


def test_run_reload_and_sigterm_through_bootloader(binary: Path, tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    stale = runtime / "_MEIstale1"
    (stale / "cflexagent" / "data").mkdir(parents=True)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    port = free_port()
    cfg = tmp_path / "a.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path}/state"\n[server]\nlisten = "127.0.0.1:{port}"\n')
    env = {**os.environ, "TMPDIR": str(runtime)}
    with subprocess.Popen([binary, "run", "-c", cfg], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as proc:
        try:
            body = wait_http(f"http://127.0.0.1:{port}/metrics", proc)
            assert b"cflexagent_build_info" in body
            # The runbooks page: OPERATIONS.md is package data, markdown-it-py is frozen in.
            page = wait_http(f"http://127.0.0.1:{port}/runbooks/", proc)
            assert b'<h2 id="probedown">ProbeDown</h2>' in page
            extracted = [p for p in runtime.iterdir() if p.name.startswith("_MEI")]
            assert stale not in extracted, "stale extraction folder was not removed"
            assert len(extracted) == 1
            # Signals go to the bootloader (the unit's main PID) and must reach the agent.
            cfg.write_text(cfg.read_text() + "[server.nope]\n")
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if b"cflexagent_config_last_reload_successful 0.0" in wait_http(
                        f"http://127.0.0.1:{port}/metrics", proc):
                    break
                time.sleep(0.2)
            else:
                raise AssertionError("SIGHUP was not forwarded to the agent")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err.decode()
        finally:
            if proc.poll() is None:
                proc.kill()
    assert b'"message":"stopped"' in err
    assert not [p for p in runtime.iterdir() if p.name.startswith("_MEI")], "bootloader left its folder"


def test_systemd_unit_verifies(tmp_path: Path, binary: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is not installed; CI installs Debian's systemd (packaging/dev.sh)")
        pytest.skip("systemd-analyze is not installed")
    unit = (ROOT / "packaging" / "cflexagent.service").read_text().replace("/usr/local/bin/cflexagent", str(binary))
    path = tmp_path / "cflexagent.service"
    path.write_text(unit)
    r = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for key in ("Type=notify", "NotifyAccess=all", "KillMode=mixed", "ExecReload=/bin/kill -HUP $MAINPID",
                "WatchdogSec=", "MemoryMax=", "User=cflexagent", "ProtectSystem=strict",
                "ReadWritePaths=/var/lib/cflexagent", "NoNewPrivileges=true"):
        assert key in unit


def test_binary_renders_the_bundled_set(binary: Path, tmp_path: Path) -> None:
    """grafana-foundation-sdk and PyYAML are bundled: the one-file binary renders dashboards and YAML."""
    conf = tmp_path / "c.toml"
    conf.write_text("")
    r = subprocess.run([binary, "render", "-c", str(conf), "--out", str(tmp_path / "set")], capture_output=True,
                       text=True, timeout=120, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "set/grafana/dashboards/cflex-infra.json").stat().st_size > 1000
    assert (tmp_path / "set/prometheus/rules/cflex-alerts.yml").read_text().count("- alert: ") > 20
