"""Storage test fixtures: a real OpenSSH sshd on loopback serving a generated tree to an unprivileged user.

CI runs as root, and root is never denied a directory, so the scans log in as
``cflexscan`` (created here when missing). Trees live in /tmp directories
that user can traverse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cflexagent.configtypes import Duration
from cflexagent.storage.config import AreaConfig, SFTPConfig
from cflexagent.storage.localsshd import LocalSSHD

SCAN_USER = "cflexscan"


def ensure_user() -> str:
    if subprocess.run(["id", SCAN_USER], capture_output=True).returncode != 0:
        r = subprocess.run(["useradd", "--no-create-home", "--home-dir", "/tmp", "--shell", "/bin/sh", SCAN_USER],
                           capture_output=True, text=True)
        # 9: created meanwhile by a concurrent test run.
        if r.returncode not in (0, 9):
            raise RuntimeError(f"useradd failed: {r.stderr.strip()}")
    # A "!" (locked) password makes sshd without PAM refuse even key logins; "*" only disables passwords.
    subprocess.run(["usermod", "-p", "*", SCAN_USER], check=True, capture_output=True)
    return SCAN_USER


def public_dir(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(d, 0o755)
    return d


@pytest.fixture(scope="session")
def scan_user() -> str:
    return ensure_user()


@pytest.fixture
def sshd(scan_user: str) -> Iterator[LocalSSHD]:
    work = public_dir("cflex-sshd-")
    server = LocalSSHD(work, scan_user, extra_config=["LogLevel VERBOSE"])
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def build_tree(root: Path) -> dict[str, bytes]:
    """Nested dirs, non-UTF-8 names, a symlink loop, a symlink out of the tree, a denied directory."""
    r = os.fsencode(root)
    sizes = [0, 1, 100, 4096, 5000, 70000, 2_000_000]
    n = 0

    def put(path: bytes, size: int) -> None:
        nonlocal n
        with open(path, "wb") as f:
            f.write(b"x" * size)
        os.chmod(path, 0o644)
        n += 1

    for top in (b"alpha", b"beta", b"caf\xe9-latin1", b"gamma"):
        for sub in range(3):
            d = os.path.join(r, top, b"sub%d" % sub, b"deeper")
            os.makedirs(d, exist_ok=True)
            for k in range(4):
                put(os.path.join(r, top, b"sub%d" % sub, b"f%d.bin" % k), sizes[(k + sub) % len(sizes)])
            put(os.path.join(d, b"\xff\xfe-not-utf8.dat"), 123)
    put(os.path.join(r, b"top-level.txt"), 42)
    os.symlink(b"..", os.path.join(r, b"alpha", b"loop"))
    os.symlink(b"/etc", os.path.join(r, b"beta", b"outside"))
    denied = os.path.join(r, b"gamma", b"private")
    os.makedirs(denied)
    put(os.path.join(denied, b"secret.bin"), 999)
    for dirpath, dirnames, _ in os.walk(r):
        for dn in dirnames:
            p = os.path.join(dirpath, dn)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
    os.chmod(denied, 0o000)
    return {"denied": denied}


@pytest.fixture
def tree() -> Iterator[Path]:
    root = public_dir("cflex-tree-")
    build_tree(root)
    try:
        yield root
    finally:
        for dirpath, dirnames, _ in os.walk(root):
            for dn in dirnames:
                p = os.path.join(dirpath, dn)
                if not os.path.islink(p):
                    os.chmod(p, 0o755)
        shutil.rmtree(root, ignore_errors=True)


def local_totals(root: Path, group_depth: int = 0, exclude: tuple[bytes, ...] = ()) -> dict[str, object]:
    """What a scan must report, from a local walk with lstat (symlinks not followed)."""
    import stat

    r = os.fsencode(root)
    totals = {"files": 0, "bytes": 0, "directories": 0, "symlinks": 0}
    groups: dict[bytes, list[int]] = {}
    for dirpath, dirnames, filenames in os.walk(r, followlinks=False):
        rel = os.path.relpath(dirpath, r)
        parts = [] if rel == b"." else rel.split(b"/")
        keep = []
        for dn in dirnames:
            p = os.path.join(dirpath, dn)
            if os.path.islink(p):
                totals["symlinks"] += 1
                continue
            if p in exclude:
                continue
            keep.append(dn)
            totals["directories"] += 1
            gparts = [*parts, dn]
            g = b"/".join(gparts[:group_depth]) if len(gparts) >= group_depth else b""
            groups.setdefault(g, [0, 0, 0])[2] += 1
        dirnames[:] = keep
        for fn in filenames:
            st = os.lstat(os.path.join(dirpath, fn))
            if stat.S_ISLNK(st.st_mode):
                totals["symlinks"] += 1
            elif stat.S_ISREG(st.st_mode):
                totals["files"] += 1
                totals["bytes"] += st.st_size
                g = b"/".join(parts[:group_depth]) if len(parts) >= group_depth else b""
                t = groups.setdefault(g, [0, 0, 0])
                t[0] += 1
                t[1] += st.st_size
    totals["groups"] = {(k.decode("utf-8", "backslashreplace") if k else "."): v for k, v in groups.items()}
    return totals


def sftp_config(server: LocalSSHD, root: Path, **overrides: object) -> SFTPConfig:
    areas = overrides.pop("areas", None) or [AreaConfig(name="tree", path=str(root), group_depth=1)]
    kw: dict[str, object] = dict(host="127.0.0.1", port=server.port, username=server.username,
                                 key_file=str(server.client_key), known_hosts=str(server.known_hosts),
                                 connect_timeout=Duration(20.0), timeout=Duration(120.0), areas=areas)
    kw.update(overrides)
    return SFTPConfig(**kw)  # type: ignore[arg-type]
