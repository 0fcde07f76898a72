"""The agent's own logs stay one JSON object per line and bounded under floods of the same error.

Each flood is real: a process out of file descriptors with clients still
connecting, requests with oversized lines. Logging setup is process-wide, so
these run the agent (or a small asyncio server) in a subprocess and read its
stderr.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from cflexagent.telemetry import Throttle

from ..conftest import free_port, wait_http


def json_lines(err: str) -> list[dict[str, Any]]:
    """Every line of ``err`` parsed; fails on the first line that is not one JSON object."""
    out = []
    for line in err.splitlines():
        doc = json.loads(line)
        assert isinstance(doc, dict), line
        out.append(doc)
    return out


def test_throttle_admits_once_per_interval_and_counts_what_it_held_back() -> None:
    now = [100.0]
    t = Throttle(interval=60.0, max_keys=2, clock=lambda: now[0])
    assert t.admit("emfile", "server") == 0
    assert [t.admit("emfile", "server") for _ in range(5)] == [None] * 5
    assert t.admit("other", "server") == 0  # keys are independent
    now[0] += 60.0
    assert t.admit("emfile", "server") == 5  # written again, with the count held back since
    assert t.suppressed == {"server": 5}
    t.admit("third", "server")  # past max_keys the oldest key is forgotten: memory stays bounded
    assert len(t._keys) == 2


LOW_FD_SERVER = textwrap.dedent("""
    import asyncio, resource, sys
    from cflexagent.telemetry import THROTTLE, install_loop_exception_handler, setup_logging

    async def main() -> None:
        setup_logging()
        install_loop_exception_handler()
        held = []

        async def hold(r, w):
            held.append(w)
            await r.read()

        server = await asyncio.start_server(hold, "127.0.0.1", 0)
        resource.setrlimit(resource.RLIMIT_NOFILE, (32, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        print(server.sockets[0].getsockname()[1], flush=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while THROTTLE.suppressed.get("asyncio", 0) < 200 and loop.time() < deadline:
            await asyncio.sleep(0.05)
        print(THROTTLE.suppressed.get("asyncio", 0), flush=True)

    asyncio.run(main())
""")


def test_accept_out_of_file_descriptors_is_one_json_line_with_a_count(tmp_path: Path) -> None:
    """asyncio's accept() error under EMFILE (the issue's 526,713 tracebacks) is one JSON line."""
    with subprocess.Popen([sys.executable, "-c", LOW_FD_SERVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        clients = []
        try:
            for _ in range(60):  # well past the server's 32 descriptors
                clients.append(socket.create_connection(("127.0.0.1", port)))
            held_back = int(proc.stdout.readline())
            _, err = proc.communicate(timeout=30)
        finally:
            for c in clients:
                c.close()
            if proc.poll() is None:
                proc.kill()
    assert held_back >= 200
    records = json_lines(err)
    accept = [r for r in records if "accept" in r["message"]]
    assert len(accept) == 1, records
    assert accept[0]["component"] == "asyncio"
    assert accept[0]["error"].startswith("OSError: [Errno 24]")
    assert "Traceback" in accept[0]["traceback"]
    assert len(err) < 20_000


def agent_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\nshutdown_grace = "5s"\n'
                    f'[server]\nlisten = "127.0.0.1:{port}"\n{extra}')
    return path


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)  # a 400 answer closes the connection
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_oversized_request_lines_log_json_without_the_payload(tmp_path: Path) -> None:
    port = free_port()
    with subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(agent_config(tmp_path, port))],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", proc)
            answers = [
                raw_request(port, b"GET /" + b"A" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
                raw_request(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"B" * 20_000 + b"\r\n\r\n"),
            ]
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert all(a.startswith(b"HTTP/1.") and b" 400 " in a.split(b"\r\n")[0] for a in answers), answers
    records = json_lines(err)
    assert "AAAAAAAA" not in err and "BBBBBBBB" not in err
    bad = [r for r in records if r.get("error") == "LineTooLong"]
    assert bad and all("traceback" not in r and "127.0.0.1" in json.dumps(r) for r in bad), records
