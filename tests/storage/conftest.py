"""Storage test fixtures: a real OpenSSH sshd on loopback serving a generated tree to an unprivileged user,
and a cPanel UAPI double over HTTPS for the quota.

CI runs as root, and root is never denied a directory, so the scans log in as
the system user ``cflexscan`` (see ``scan_user``: created only in CI or when
allowed). Trees live in /tmp directories that user can traverse.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import trustme
from aiohttp import web

from cflexagent.configtypes import Duration
from cflexagent.storage.config import AreaConfig, QuotaConfig, SFTPConfig
from cflexagent.storage.localsshd import LocalSSHD

SCAN_USER = "cflexscan"
#: Set to 1 to let the storage tests create the system user ``cflexscan`` (as root) outside CI.
ALLOW_USER_ENV = "CFLEXAGENT_TEST_CREATE_USER"


def ensure_user() -> str:
    """``cflexscan`` as it is when it exists; else created (useradd, no home, shell /bin/sh) with its
    password field set to "*" (usermod): a "!" (locked) password makes sshd without PAM refuse even key
    logins, "*" only disables passwords."""
    if subprocess.run(["id", SCAN_USER], capture_output=True).returncode == 0:
        return SCAN_USER
    r = subprocess.run(["useradd", "--no-create-home", "--home-dir", "/tmp", "--shell", "/bin/sh", SCAN_USER],
                       capture_output=True, text=True)
    # 9: created meanwhile by a concurrent test run.
    if r.returncode not in (0, 9):
        raise RuntimeError(f"useradd failed: {r.stderr.strip()}")
    subprocess.run(["usermod", "-p", "*", SCAN_USER], check=True, capture_output=True)
    return SCAN_USER


def public_dir(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(d, 0o755)
    return d


@pytest.fixture(scope="session")
def scan_user() -> str:
    """The unprivileged user the sshd tests log in as: the system user ``cflexscan``.

    An existing ``cflexscan`` is used as it is. Creating one changes this machine's user database, so it
    happens only in CI (``CI`` set; there, as root, the tests always run: a missing root fails them) or
    when ``CFLEXAGENT_TEST_CREATE_USER=1`` allows it (as root). Otherwise every test using it is skipped,
    saying how to allow it. Remove the user later with ``userdel cflexscan``.
    """
    if subprocess.run(["id", SCAN_USER], capture_output=True).returncode == 0:
        return SCAN_USER
    allowed = bool(os.environ.get("CI")) or os.environ.get(ALLOW_USER_ENV) == "1"
    if not allowed:
        pytest.skip(f"the sshd tests log in as the system user {SCAN_USER}, which does not exist; set "
                    f"{ALLOW_USER_ENV}=1 (as root) to let them create it (useradd), or create it yourself")
    if os.geteuid() != 0:
        pytest.fail(f"creating the system user {SCAN_USER} for the sshd tests needs root")
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


# -- cPanel UAPI ----------------------------------------------------------------------

DOCUMENTED = {  # UAPI Quota::get_quota_info over /execute, as in cPanel's documentation
    "messages": None, "errors": None, "status": 1, "metadata": {}, "warnings": None,
    "data": {"under_quota_overall": "1", "megabytes_remain": "0.00", "inodes_remain": "0",
             "megabyte_limit": "1024.00", "inode_limit": "250000", "inodes_used": 1035,
             "megabytes_used": "5.46", "under_inode_limit": "1", "under_megabyte_limit": "1"},
}


@dataclass
class CPanelDouble:
    """``GET /execute/Quota/get_quota_info`` over HTTPS on loopback, answering ``status`` with ``body``."""

    url: str
    ca_file: str
    token_file: Path
    status: int = 200
    body: Any = field(default_factory=lambda: DOCUMENTED)
    #: The Authorization header of every request, in order.
    seen: list[str] = field(default_factory=list)

    def config(self, **overrides: Any) -> QuotaConfig:
        kw: dict[str, Any] = dict(url=self.url, username="cflex", token_file=str(self.token_file),
                                  ca_file=self.ca_file, timeout=Duration(20.0))
        return QuotaConfig(**{**kw, **overrides})

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(request.headers.get("Authorization", ""))
        return web.Response(status=self.status, body=orjson.dumps(self.body), content_type="application/json")


@pytest.fixture
async def cpanel(tmp_path: Path) -> AsyncIterator[CPanelDouble]:
    """The UAPI double with its certificate from a trustme CA (``ca_file``) and a token file (ABCDEF123)."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    token = tmp_path / "token"
    token.write_text("ABCDEF123\n")
    app = web.Application()
    runner = web.AppRunner(app)
    double = CPanelDouble("", str(ca_file), token)
    app.router.add_get("/execute/Quota/get_quota_info", double.handle)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    double.url = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        yield double
    finally:
        await runner.cleanup()
