"""The command line as users run it: a real subprocess, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cflexagent.cli import build_parser
from cflexagent.components import NOTHING_TO_RUN

from ..conftest import free_port, wait_http

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "cflexagent.example.toml"


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("CFLEXAGENT_CONFIG", None) if env is None or "CFLEXAGENT_CONFIG" not in env else None
    return subprocess.run([sys.executable, "-m", "cflexagent", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def write_config(tmp_path: Path, extra: str = "", port: int = 0) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\nshutdown_grace = "5s"\n'
                    f'[server]\nlisten = "127.0.0.1:{port}"\n{extra}')
    return path


def test_version() -> None:
    for args in (["--version"], ["version"]):
        r = cli(*args)
        assert r.returncode == 0
        assert r.stdout.startswith("cflexagent 0.")


def test_every_command_has_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    names = list(sub.choices)  # type: ignore[union-attr]
    assert {"run", "check", "init", "version"} <= set(names)
    for name in names:
        r = cli(name, "--help")
        assert r.returncode == 0, name
        assert "usage: cflexagent" in r.stdout


def test_check_valid_example_and_config_position(tmp_path: Path) -> None:
    r = cli("check", "-c", str(EXAMPLE))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout and "127.0.0.1:9087" in r.stdout
    r2 = cli("-c", str(EXAMPLE), "check")
    assert r2.returncode == 0
    r3 = cli("check", env={"CFLEXAGENT_CONFIG": str(EXAMPLE)})
    assert r3.returncode == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[server]\nlisten = "9465"\n', 'server.listen: expected host:port, got "9465"'),
        ('[server]\nlistn = "1"\n', 'server.listn: unknown key; did you mean "listen"?'),
        ("[server\n", "invalid TOML: Expected ']'"),
    ],
)
def test_check_bad_config_exit_2_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "x.toml"
    path.write_text(text)
    r = cli("check", "-c", str(path))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"{path}: ")
    assert expected in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_config_is_exit_2_never_a_default(tmp_path: Path) -> None:
    r = cli("run", "-c", str(tmp_path / "missing.toml"))
    assert r.returncode == 2
    assert "config file not found" in r.stderr
    r = cli("check", env={"CFLEXAGENT_CONFIG": str(tmp_path / "env-missing.toml")})
    assert r.returncode == 2 and "env-missing.toml" in r.stderr


def test_state_dir_that_cannot_be_created_fails_check(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    path = tmp_path / "a.toml"
    path.write_text(f'[agent]\nstate_dir = "{tmp_path}/file/state"\n')
    r = cli("check", "-c", str(path))
    assert r.returncode == 2
    assert f"agent.state_dir: {tmp_path}/file is not a directory" in r.stderr
    r = cli("run", "-c", str(path))
    assert r.returncode == 2 and "agent.state_dir: cannot create" in r.stderr


def test_unreadable_tls_key_is_exit_2(tmp_path: Path) -> None:
    path = write_config(tmp_path, f'[server.tls]\ncert_file = "{tmp_path}/c.pem"\nkey_file = "{tmp_path}/k.pem"\n')
    r = cli("check", "-c", str(path))
    assert r.returncode == 2
    # check names every unreadable file (and that the config runs nothing), each on its own line
    assert r.stderr.splitlines() == [f"{path}: error: server.tls.cert_file: file not found: {tmp_path}/c.pem",
                                     f"{path}: error: server.tls.key_file: file not found: {tmp_path}/k.pem",
                                     f"{path}: warning: {NOTHING_TO_RUN}"]
    (tmp_path / "c.pem").mkdir()
    r = cli("run", "-c", str(path))
    assert r.returncode == 2
    assert r.stderr == f"{path}: server.tls.cert_file: is a directory, expected a file: {tmp_path}/c.pem\n"
    (tmp_path / "c.pem").rmdir()
    (tmp_path / "c.pem").write_text("not a cert")
    (tmp_path / "k.pem").write_text("not a key")
    r = cli("run", "-c", str(path))
    assert r.returncode == 2
    assert "server.tls: cannot use cert_file/key_file" in r.stderr


def test_init_writes_example_and_refuses_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "cflexagent.toml"
    r = cli("init", str(target))
    assert r.returncode == 0, r.stderr
    assert target.read_text() == EXAMPLE.read_text()
    assert cli("check", "-c", str(target)).returncode == 0
    r = cli("init", str(target))
    assert r.returncode == 2 and "already exists" in r.stderr
    assert cli("init", str(target), "--force").returncode == 0


def test_port_in_use_is_exit_1(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = cli("run", "-c", str(write_config(tmp_path, port=port)))
    assert r.returncode == 1
    assert r.stderr.strip().endswith(f"server.listen: 127.0.0.1:{port} is already in use")


def test_run_serves_and_sigterm_exits_0(tmp_path: Path) -> None:
    port = free_port()
    with subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(write_config(tmp_path, port=port))],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        try:
            body = wait_http(f"http://127.0.0.1:{port}/metrics", proc)
            assert b"cflexagent_build_info" in body
            assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGTERM)  # a duplicate at once must not force exit
            _, err_bytes = proc.communicate(timeout=20)
            assert proc.returncode == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    err = err_bytes.decode()
    import json

    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {"ts", "level", "component", "message"} <= set(records[0])
    assert any(r["message"] == "stopped" for r in records)


def test_demo_runs(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CFLEXAGENT_DEMO_DIR": str(tmp_path / "demo")}
    with subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "--demo", "--listen", f"127.0.0.1:{port}"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        try:
            body = wait_http(f"http://127.0.0.1:{port}/metrics", proc)
            assert b"cflexagent_build_info" in body
            # Every capability's series, as the demo exposes them, pass Prometheus' own linter.
            deadline = time.monotonic() + 30
            while b"probe_success{" not in body or b"cflexagent_log_read_lines_total{" not in body:
                assert time.monotonic() < deadline, "demo series did not appear"
                time.sleep(0.5)
                body = wait_http(f"http://127.0.0.1:{port}/metrics", proc)
            lint = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
            assert lint.returncode == 0, lint.stdout + lint.stderr
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
        finally:
            if proc.poll() is None:
                proc.kill()
    assert f"open http://127.0.0.1:{port}/".encode() in err


def test_demo_without_sshd_says_what_is_missing_and_the_api_explains(tmp_path: Path) -> None:
    """The README's demo on a machine without OpenSSH's sshd: one line says the storage part is skipped and how
    to get it, and /api/storage/snapshots answers with that reason as JSON (not a bare 404)."""
    port = free_port()
    env = {**os.environ, "CFLEXAGENT_DEMO_DIR": str(tmp_path / "demo"), "CFLEXAGENT_DEMO_SSHD": "/nonexistent/sshd"}
    with subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "--demo", "--listen", f"127.0.0.1:{port}"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        try:
            wait_http(f"http://127.0.0.1:{port}/metrics", proc)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/storage/snapshots", timeout=5)
                raise AssertionError("expected 404")
            except urllib.error.HTTPError as e:
                assert e.code == 404 and e.headers["Content-Type"].startswith("application/json")
                doc = json.loads(e.read())
            assert "openssh-server" in doc["error"]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/nosuch", timeout=5)
            except urllib.error.HTTPError as e:
                assert e.code == 404 and "/api/probes" in json.loads(e.read())["endpoints"]
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert "storage scan demo skipped" in err.decode() and "openssh-server" in err.decode()
