"""A throwaway OpenSSH ``sshd`` on loopback serving SFTP (``internal-sftp``).

Used by ``cflexagent run --demo``, the storage tests and ``benchmarks/sftp.py``:
it writes a private ``sshd_config`` (own ed25519 host key, one authorized client
key, ``ListenAddress 127.0.0.1``, a kernel-chosen free port) into a directory,
starts ``/usr/sbin/sshd -D -e -f <cfg>`` and waits until the port accepts
connections. Nothing outside that directory is changed, except that ``/run/sshd``
(OpenSSH's privilege-separation directory, required when sshd runs as root) is
created when missing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

#: OpenSSH's server; ``CFLEXAGENT_DEMO_SSHD`` names another (the demo's tests use a missing one).
SSHD = os.environ.get("CFLEXAGENT_DEMO_SSHD") or "/usr/sbin/sshd"


def sshd_available() -> bool:
    return os.access(SSHD, os.X_OK)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_private(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


@dataclass
class LocalSSHD:
    """Files of one throwaway server; ``start()`` runs it, ``stop()`` ends it."""

    workdir: Path
    username: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    extra_config: list[str] = field(default_factory=list)

    @property
    def host_key(self) -> Path:
        return self.workdir / "ssh_host_ed25519_key"

    @property
    def client_key(self) -> Path:
        return self.workdir / "client_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.workdir / "known_hosts"

    @property
    def authorized_keys(self) -> Path:
        return self.workdir / "authorized_keys"

    @property
    def config_file(self) -> Path:
        return self.workdir / "sshd_config"

    @property
    def log_file(self) -> Path:
        return self.workdir / "sshd.log"

    def prepare(self) -> None:
        """Generate keys (once) and write the sshd config with a fresh free port."""
        import asyncssh

        self.workdir.mkdir(parents=True, exist_ok=True)
        # The login user reads authorized_keys as itself; the directory must be traversable.
        os.chmod(self.workdir, 0o755)
        if not self.host_key.exists():
            hk = asyncssh.generate_private_key("ssh-ed25519")
            _write_private(self.host_key, hk.export_private_key())
            _write_private(self.host_key.with_suffix(".pub"), hk.export_public_key(), 0o644)
        if not self.client_key.exists():
            ck = asyncssh.generate_private_key("ssh-ed25519", comment="cflexagent-local")
            _write_private(self.client_key, ck.export_private_key())
            _write_private(self.authorized_keys, ck.export_public_key(), 0o644)
        self.port = self.port or _free_port()
        self.write_known_hosts()
        # sshd keeps the first value of a keyword, so the caller's lines come first.
        lines = [
            *self.extra_config,
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key}",
            f"PidFile {self.workdir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.authorized_keys}",
            "AuthenticationMethods publickey",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "StrictModes no",
            "UsePAM no",
            "UseDNS no",
            f"AllowUsers {self.username}",
            "Subsystem sftp internal-sftp",
            "ForceCommand internal-sftp",
            "AllowTcpForwarding no",
            "X11Forwarding no",
            "PrintMotd no",
            "MaxStartups 50:30:100",
            "LogLevel ERROR",
        ]
        self.config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def write_known_hosts(self) -> None:
        pub = self.host_key.with_suffix(".pub").read_bytes().split()
        self.known_hosts.write_bytes(b"[127.0.0.1]:%d %s %s\n" % (self.port, pub[0], pub[1]))

    def start(self, timeout: float = 20.0) -> None:
        if os.geteuid() == 0:
            # OpenSSH refuses to start as root without its privilege-separation directory.
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        log = open(self.log_file, "ab")
        try:
            self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config_file)],
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as s:
                    s.settimeout(2.0)
                    if s.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sshd did not accept connections within {timeout:.0f}s: {self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-500:].strip()
        except OSError:
            return ""

    def _descendants(self) -> list[int]:
        """Session children of the listener (sshd puts each in its own session, out of our process group)."""
        if self.process is None:
            return []
        parent: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                parent[int(entry)] = int(stat.rpartition(")")[2].split()[1])
        found, frontier = [], [self.process.pid]
        while frontier:
            pid = frontier.pop()
            kids = [c for c, p in parent.items() if p == pid]
            found += kids
            frontier += kids
        return found

    def kill(self) -> None:
        """Kill the listener and every session child (a server crash, as far as clients can tell)."""
        if self.process is not None and self.process.poll() is None:
            for pid in [self.process.pid, *self._descendants()]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            for pid in [self.process.pid, *self._descendants()]:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None
