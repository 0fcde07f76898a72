"""sd_notify against a real datagram socket, as systemd provides it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ..conftest import free_port


def _recv_until(sock: socket.socket, want: str, timeout: float = 20) -> list[str]:
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            msg = sock.recv(4096).decode()
        except TimeoutError:
            break
        got.append(msg)
        if want in msg:
            return got
    raise AssertionError(f"{want!r} not received; got {got}")


def test_notify_ready_reload_watchdog_stopping(tmp_path: Path) -> None:
    sock_path = str(tmp_path / "notify.sock")
    port = free_port()
    cfg = tmp_path / "a.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path}/state"\n[server]\nlisten = "127.0.0.1:{port}"\n')
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(sock_path)
        env = {**os.environ, "NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "400000"}
        with subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(cfg)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
            try:
                msgs = _recv_until(sock, "READY=1")
                watchdog = _recv_until(sock, "WATCHDOG=1")
                assert watchdog
                # Keep getting pings while alive (every WATCHDOG_USEC/2).
                _recv_until(sock, "WATCHDOG=1", timeout=5)
                proc.send_signal(signal.SIGHUP)
                msgs = _recv_until(sock, "RELOADING=1")
                assert "MONOTONIC_USEC=" in msgs[-1]
                _recv_until(sock, "READY=1")
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    assert b"cflexagent_config_last_reload_successful 1.0" in r.read()
                proc.send_signal(signal.SIGTERM)
                _recv_until(sock, "STOPPING=1")
                assert proc.wait(timeout=20) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()


def test_notify_socket_not_inherited(monkeypatch: object) -> None:
    from cflexagent.systemd import Notifier

    os.environ["NOTIFY_SOCKET"] = "/nonexistent/sock"
    try:
        n = Notifier()
        assert n.enabled
        assert "NOTIFY_SOCKET" not in os.environ
        out = subprocess.run(["env"], capture_output=True, text=True).stdout
        assert "NOTIFY_SOCKET" not in out
    finally:
        os.environ.pop("NOTIFY_SOCKET", None)
