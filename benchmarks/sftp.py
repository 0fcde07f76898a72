"""Storage scan speed: the agent's SFTP walk vs ``rclone size``, same sshd, same tree, same run.

Tree: 50,000 files of 0-4 KiB in 2,000 leaf directories (20 x 100, two
levels, no symlinks since rclone follows them), served by a throwaway OpenSSH
sshd on loopback. Measured twice: through a latency-injecting TCP proxy that
adds 10 ms each way (20 ms round trip, like a remote cPanel host) and on plain
loopback. Totals must be identical; prints seconds and the ratio.

    python benchmarks/sftp.py [--delay-ms 10] [--keep-tree]
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cflexagent.storage.config import AreaConfig, SFTPConfig
from cflexagent.storage.localsshd import LocalSSHD, sshd_available
from cflexagent.storage.sftp import scan

TREE = Path(tempfile.gettempdir()) / "cflexagent-bench-sftp-tree"
MARKER = TREE / ".complete-v1"
RCLONE_TIMEOUT = 300.0


def make_tree() -> tuple[int, int]:
    if not MARKER.exists():
        shutil.rmtree(TREE, ignore_errors=True)
        rnd = random.Random(42)
        for i in range(20):
            for j in range(100):
                d = TREE / "data" / f"d{i:02d}" / f"e{j:03d}"
                d.mkdir(parents=True, exist_ok=True)
                for k in range(25):
                    (d / f"f{k:02d}.bin").write_bytes(b"\0" * rnd.randint(0, 4096))
        for p in [TREE, *TREE.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        MARKER.write_text("ok\n")
    files = size = 0
    for dirpath, _, names in os.walk(TREE / "data"):
        for n in names:
            files += 1
            size += os.lstat(os.path.join(dirpath, n)).st_size
    return files, size


class DelayProxy:
    """TCP proxy adding a fixed one-way delay in each direction (bandwidth untouched, order kept)."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            writer.close()

        out = asyncio.create_task(deliver())
        try:
            while data := await reader.read(256 * 1024):
                queue.put_nowait((time.monotonic() + self.delay, data))
        except ConnectionError:
            pass
        queue.put_nowait((0.0, b""))
        try:
            await out
        except ConnectionError:
            pass

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        a = asyncio.create_task(self._pipe(reader, up_w))
        b = asyncio.create_task(self._pipe(up_r, writer))
        self._tasks |= {a, b}
        await asyncio.gather(a, b, return_exceptions=True)

    async def stop(self) -> None:
        if self._server:
            self._server.close()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _proxy_process(target_port: int, delay: float, conn: multiprocessing.connection.Connection) -> None:
    async def serve() -> None:
        proxy = DelayProxy(target_port, delay)
        await proxy.start()
        conn.send(proxy.port)
        await asyncio.Event().wait()

    asyncio.run(serve())


def start_proxy(target_port: int, delay: float) -> tuple[multiprocessing.Process, int]:
    """The proxy runs in its own process so its CPU is not charged to the agent's event loop."""
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_proxy_process, args=(target_port, delay, child), daemon=True)
    proc.start()
    if not parent.poll(30):
        proc.kill()
        raise SystemExit("latency proxy did not start")
    return proc, int(parent.recv())


def known_hosts_for(sshd: LocalSSHD, port: int, path: Path) -> Path:
    pub = sshd.host_key.with_suffix(".pub").read_bytes().split()
    path.write_bytes(b"[127.0.0.1]:%d %s %s\n" % (port, pub[0], pub[1]))
    return path


async def agent_scan(sshd: LocalSSHD, port: int, work: Path) -> tuple[float, int, int]:
    kh = known_hosts_for(sshd, port, work / f"kh-{port}")
    cfg = SFTPConfig(host="127.0.0.1", port=port, username=sshd.username, key_file=str(sshd.client_key),
                     known_hosts=str(kh), areas=[AreaConfig(name="bench", path=str(TREE / "data"))])
    t0 = time.perf_counter()
    outcome = await scan(cfg, work / "state", force=True)
    took = time.perf_counter() - t0
    r = outcome.results["bench"]
    return took, r.total.files, r.total.bytes


async def rclone_size(sshd: LocalSSHD, port: int, work: Path) -> tuple[float, int, int]:
    kh = known_hosts_for(sshd, port, work / f"kh-rclone-{port}")
    conf = work / "rclone.conf"
    conf.write_text(f"[bench]\ntype = sftp\nhost = 127.0.0.1\nport = {port}\nuser = {sshd.username}\n"
                    f"key_file = {sshd.client_key}\nknown_hosts_file = {kh}\n"
                    # `size` needs no hashes; without these rclone runs shell commands first.
                    "shell_type = none\ndisable_hashcheck = true\n")
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "rclone", "--config", str(conf), "size", "--json", f"bench:{TREE / 'data'}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), RCLONE_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise SystemExit(f"rclone size did not finish within {RCLONE_TIMEOUT:.0f}s") from None
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"rclone size failed ({proc.returncode}): {err.decode(errors='replace')[-400:]}")
    doc = json.loads(out)
    return took, int(doc["count"]), int(doc["bytes"])


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delay-ms", type=float, default=10.0, help="one-way delay of the proxy (default 10)")
    ap.add_argument("--keep-tree", action="store_true", help="keep the generated tree for the next run")
    args = ap.parse_args()
    if not sshd_available() or not shutil.which("rclone"):
        print("needs /usr/sbin/sshd (openssh-server) and rclone", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    files, size = make_tree()
    print(f"tree: {files:,} files, {size:,} bytes, 2,000 leaf dirs ({time.perf_counter() - t0:.1f}s to prepare)")
    work = Path(tempfile.mkdtemp(prefix="cflex-bench-sftp-"))
    os.chmod(work, 0o755)
    sshd = LocalSSHD(work / "sshd", getpass.getuser(), extra_config=["MaxSessions 20"])
    sshd.prepare()
    sshd.start()
    proxy, proxy_port = start_proxy(sshd.port, args.delay_ms / 1000.0)
    failed = False
    try:
        for label, port in ((f"{2 * args.delay_ms:g} ms RTT", proxy_port), ("loopback", sshd.port)):
            a_t, a_files, a_bytes = await agent_scan(sshd, port, work)
            r_t, r_files, r_bytes = await rclone_size(sshd, port, work)
            same = (a_files, a_bytes) == (r_files, r_bytes) == (files, size)
            failed |= not same
            print(f"{label:>12}: agent {a_t:6.2f}s  rclone size {r_t:6.2f}s  ratio {r_t / a_t:5.1f}x  "
                  f"totals {'identical' if same else 'DIFFER'} ({a_files:,} files, {a_bytes:,} bytes"
                  f"{'' if same else f' vs rclone {r_files:,} / {r_bytes:,}'})", flush=True)
    finally:
        proxy.kill()
        proxy.join(10)
        sshd.stop()
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep_tree:
            shutil.rmtree(TREE, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
