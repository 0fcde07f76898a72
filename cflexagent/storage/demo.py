"""Storage part of ``cflexagent run --demo``: a throwaway sshd on loopback serving a small generated tree.

When ``/usr/sbin/sshd`` exists, the demo starts it (own host key, a generated
client key, ``internal-sftp``, loopback only, state under the demo state
dir), adds a ``[storage.sftp]`` section pointing at it, and the normal scanner
scans it, so ``/metrics`` shows storage series on a fresh machine. Without
sshd the demo says so in one line and runs without storage.
"""

from __future__ import annotations

import asyncio
import atexit
import getpass
import os
import random
import sys
import time
from pathlib import Path

from aiohttp import web

from ..component import Component, Context, Stage
from .localsshd import SSHD, LocalSSHD, sshd_available

_server: LocalSSHD | None = None
#: Why the storage part of the demo did not run ("" when it runs).
_skipped = ""


def _make_tree(root: Path) -> None:
    if (root / ".complete").exists():
        return
    rnd = random.Random(7)
    now = time.time()
    layout = {"public_html/previews/images": 120, "public_html/previews/videos": 12,
              "public_html/previews/docs": 40, "cold/2023": 30, "cold/2024": 60}
    for rel, count in layout.items():
        d = root / rel
        d.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            p = d / f"item-{i:04d}.bin"
            p.write_bytes(b"\0" * rnd.choice([0, 900, 3000, 40_000, 300_000, 2_000_000 if "videos" in rel else 5000]))
            age = rnd.uniform(0, 400 * 86400 if rel.startswith("cold") else 20 * 86400)
            os.utime(p, (now - age, now - age))
    (root / "public_html" / "previews" / "README.txt").write_text("demo tree for cflexagent storage scans\n")
    (root / ".complete").write_text("ok\n")


def storage_demo_toml(state_dir: Path) -> str:
    """Start the demo sshd and return the config section that scans it ("" when skipped)."""
    global _server, _skipped
    if not sshd_available():
        _skipped = (f"OpenSSH's sshd ({SSHD}) is not installed, so the demo has no SFTP server to scan; "
                    "install it (sudo apt-get install openssh-server, or bash packaging/dev.sh test, which installs "
                    "it with the other test servers) and start the demo again")
        print(f"cflexagent demo: storage scan demo skipped: {_skipped}", file=sys.stderr, flush=True)
        return ""
    base = Path(state_dir) / "storage-demo"
    tree = base / "tree"
    try:
        _make_tree(tree)
        server = LocalSSHD(base / "sshd", getpass.getuser())
        server.prepare()
        server.start()
    except Exception as e:
        _skipped = f"the demo's sshd did not start ({e})"
        print(f"cflexagent demo: storage scan demo skipped: {_skipped}", file=sys.stderr, flush=True)
        return ""
    _server = server
    atexit.register(server.stop)
    return f"""
# Added by the demo: a throwaway sshd on 127.0.0.1:{server.port} serving {tree}.
[storage.sftp]
host = "127.0.0.1"
port = {server.port}
username = "{server.username}"
key_file = "{server.client_key}"
known_hosts = "{server.known_hosts}"
interval = "1m"

[[storage.sftp.areas]]
name = "previews"
path = "{tree / 'public_html' / 'previews'}"
group_depth = 1

[[storage.sftp.areas]]
name = "cold"
path = "{tree / 'cold'}"
"""


class DemoSSHD:
    """Stops the demo sshd when the agent stops (stage service: after the scanner)."""

    name = "demo.sshd"
    stage: Stage = "service"

    def __init__(self, server: LocalSSHD) -> None:
        self.server = server

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await stop.wait()
        finally:
            await asyncio.to_thread(self.server.stop)


class StorageSkipped:
    """Answers /api/storage/snapshots with why the demo has no storage part, and how to get it."""

    name = "demo.storage-skipped"
    stage: Stage = "service"

    def __init__(self, ctx: Context, reason: str) -> None:
        self.ctx = ctx
        self.reason = reason

    async def _explain(self, request: web.Request) -> web.Response:
        return web.json_response({"error": f"no storage snapshots in this demo: {self.reason}"}, status=404)

    async def run(self, stop: asyncio.Event) -> None:
        self.ctx.routes["/api/storage/snapshots"] = self._explain
        try:
            await stop.wait()
        finally:
            self.ctx.routes.pop("/api/storage/snapshots", None)


def storage_demo_components(ctx: Context) -> list[Component]:
    if _server is not None:
        return [DemoSSHD(_server)]
    return [StorageSkipped(ctx, _skipped)] if _skipped else []
