"""SFTP storage scans of a cPanel account: one pinned, lockout-safe SSH login per scan.

Upstream: SSH (RFC 4251-4254) via asyncssh, SFTP v3 (draft-ietf-secsh-filexfer-02)
against OpenSSH's sftp-server / internal-sftp, which is what cPanel runs.

Connection rules: the host key must match ``known_hosts`` (no "accept any";
a mismatch names the key the server presented), only the configured key is
offered (no ssh-agent, no ``~/.ssh/config``, no GSS), only the configured auth
method is tried, once. An authentication failure starts a persisted, growing
backoff (``backoff.py``); a connection failure backs off in memory.
A scan that fails midway publishes nothing; the last complete one stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from ..component import Context, Stage
from ..schedule import next_daily
from ..telemetry import get_logger
from . import backoff
from .config import SFTPConfig, StorageConfig
from .metrics import GROWTH_WINDOWS, Published, StorageMetrics
from .snapshots import TOTAL, SnapshotStore, tally_from_row
from .walk import AreaResult, AreaWalk, Hook, Progress, ScanAborted, walk

log = get_logger("storage.sftp")

#: AES-GCM first: asyncssh's chacha20-poly1305 costs several cipher setups per packet.
PREFERRED_CIPHERS = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
                     "aes128-ctr", "aes256-ctr"]


class ScanError(Exception):
    """A scan that did not complete; ``reason`` is the metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ScanOutcome:
    results: dict[str, AreaResult]
    area_errors: dict[str, str]
    duration: float
    progress: Progress = field(default_factory=Progress)


def snapshot_store(state_dir: Path, storage: StorageConfig, clock: Callable[[], float] = time.time) -> SnapshotStore:
    return SnapshotStore(Path(state_dir) / "storage" / "snapshots.sqlite3", float(storage.snapshots.retention), clock)


def _read_secret(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as e:
        raise ScanError("config", f"cannot read {what} {path}: {getattr(e, 'strerror', None) or e}") from None


def _fingerprint_line(key: Any) -> str:
    return f"{key.get_algorithm()} {key.get_fingerprint('sha256')}"


async def server_host_key(cfg: SFTPConfig) -> Any:
    """The server's host key from a key exchange only (no login attempt, nothing to lock out)."""
    import asyncssh

    try:
        async with asyncio.timeout(float(cfg.connect_timeout)):
            return await asyncssh.get_server_host_key(cfg.host, cfg.port, config=[])
    except (OSError, TimeoutError, asyncssh.Error) as e:
        raise ScanError("connect", f"cannot reach {cfg.host}:{cfg.port}: {e or type(e).__name__}") from None


async def connect(cfg: SFTPConfig) -> Any:
    """One SSH login with the pinned host key; raises ScanError (reason auth, host_key, connect, timeout)."""
    import asyncssh

    from .transport import CoalescingConnector

    kh = Path(cfg.known_hosts)
    if not kh.is_file():
        raise ScanError("host_key", f"known_hosts file {kh} not found; create it with: cflexagent storage trust")
    try:
        known_hosts = asyncssh.read_known_hosts(str(kh))
    except (OSError, ValueError, asyncssh.Error) as e:
        raise ScanError("host_key", f"cannot read known_hosts {kh}: {e}") from None
    options: dict[str, Any] = {}
    if cfg.key_file:
        passphrase = _read_secret(cfg.passphrase_file, "passphrase_file") if cfg.passphrase_file else None
        try:
            key = asyncssh.read_private_key(cfg.key_file, passphrase)
        except (OSError, ValueError, asyncssh.Error) as e:
            raise ScanError("config", f"cannot load key_file {cfg.key_file}: {getattr(e, 'strerror', None) or e}") \
                from None
        options["client_keys"] = [key]
    else:
        options["client_keys"] = None
        options["password"] = _read_secret(cfg.password_file, "password_file")
    try:
        return await asyncssh.connect(
            cfg.host, cfg.port, username=cfg.username, known_hosts=known_hosts,
            agent_path=None, agent_forwarding=False, config=[], gss_auth=False, gss_kex=False,
            host_based_auth=False, kbdint_auth=False, preferred_auth=cfg.auth_methods,
            connect_timeout=float(cfg.connect_timeout), login_timeout=float(cfg.connect_timeout),
            keepalive_interval=float(cfg.keepalive_interval), keepalive_count_max=3,
            encryption_algs=PREFERRED_CIPHERS, tunnel=CoalescingConnector(), **options)
    except asyncssh.HostKeyNotVerifiable:
        seen = ""
        with contextlib.suppress(ScanError):
            seen = f"; the server presented {_fingerprint_line(await server_host_key(cfg))}"
        raise ScanError("host_key", f"host key of {cfg.host}:{cfg.port} does not match {kh}{seen}. If the key "
                        "changed legitimately, run: cflexagent storage trust") from None
    except asyncssh.PermissionDenied as e:
        raise ScanError("auth", f"authentication as {cfg.username} failed ({e.reason or 'permission denied'})") \
            from None
    except (TimeoutError, asyncssh.ConnectionLost) as e:
        raise ScanError("timeout" if isinstance(e, TimeoutError) else "connect",
                        f"cannot connect to {cfg.host}:{cfg.port}: {e or 'timed out'}") from None
    except (OSError, asyncssh.Error) as e:
        raise ScanError("connect", f"cannot connect to {cfg.host}:{cfg.port}: "
                        f"{getattr(e, 'strerror', None) or getattr(e, 'reason', None) or e}") from None


def load_backoff(cfg: SFTPConfig, state_dir: Path) -> backoff.LoginBackoff:
    return backoff.load(state_dir, backoff.target_of(cfg.username, cfg.host, cfg.port), float(cfg.auth_backoff))


def _log_save_error(b: backoff.LoginBackoff) -> None:
    if b.save_error:
        log.error("cannot save the login backoff; it is kept in memory until the agent restarts",
                  target=b.target, error=b.save_error)


def check_backoff(cfg: SFTPConfig, state_dir: Path, force: bool) -> backoff.LoginBackoff:
    b = load_backoff(cfg, state_dir)
    if b.active(time.time()) and not force:
        until = datetime.datetime.fromtimestamp(b.until).astimezone().isoformat(timespec="seconds")
        raise ScanError("auth_backoff", f"login to {b.target} paused until {until} after {b.failures} "
                        f"authentication failure(s) ({b.last_error}); fix the credentials, then retry "
                        "with --force")
    return b


def _area_path(path: str) -> bytes:
    p = path.encode("utf-8", "surrogateescape").rstrip(b"/")
    return p or b"/"


async def scan(cfg: SFTPConfig, state_dir: Path, *, force: bool = False, progress: Progress | None = None,
               after_listing: Hook | None = None, on_login: Callable[[backoff.LoginBackoff], None] | None = None,
               clock: Callable[[], float] = time.time) -> ScanOutcome:
    """One complete scan of every area over one connection (raises ScanError)."""
    import asyncssh

    progress = progress or Progress()
    started = time.monotonic()
    b = check_backoff(cfg, state_dir, force)
    conn = None
    try:
        async with asyncio.timeout(float(cfg.timeout)):
            try:
                conn = await connect(cfg)
            except ScanError as e:
                if e.reason == "auth":
                    b = await asyncio.to_thread(backoff.record_failure, state_dir, b, float(cfg.auth_backoff),
                                                float(cfg.auth_backoff_max), str(e))
                    until = datetime.datetime.fromtimestamp(b.until).astimezone().isoformat(timespec="seconds")
                    e.args = (f"{e}; no further login before {until}",)
                    _log_save_error(b)
                    if on_login:
                        on_login(b)
                raise
            if b.failures:
                await asyncio.to_thread(backoff.clear, state_dir, b)
                _log_save_error(b)
            if on_login:
                on_login(b)
            try:
                sftp = await conn.start_sftp_client()
            except (OSError, asyncssh.Error) as e:
                raise ScanError("connect", f"the server refused the SFTP subsystem: {e}") from None
            now = clock()
            areas = [(AreaWalk(a.name, a.group_depth, a.max_groups, cfg.size_buckets,
                               [float(x) for x in cfg.older_than], now), _area_path(a.path)) for a in cfg.areas]
            try:
                results, errors = await walk(sftp, areas, cfg.max_concurrency, progress, after_listing)
            except ScanAborted as e:
                raise ScanError(e.reason, str(e)) from None
            finished = clock()
            for r in results.values():
                r.finished_at = finished
            return ScanOutcome(results, errors, time.monotonic() - started, progress)
    except TimeoutError:
        raise ScanError("timeout", f"scan did not finish within {float(cfg.timeout):g}s (storage.sftp.timeout)") \
            from None
    finally:
        if conn is not None:
            # abort, not close: on cancellation (shutdown) nothing may wait for the server.
            conn.abort()


# -- the component ------------------------------------------------------------


def publish(published: Published, cfg: SFTPConfig, results: dict[str, AreaResult]) -> None:
    published.size_bounds = [int(x) for x in cfg.size_buckets]
    published.older_than = [float(x) for x in cfg.older_than]
    for name, r in results.items():
        published.areas[name] = r
    wanted = {a.name for a in cfg.areas}
    for name in list(published.areas):
        if name not in wanted:
            del published.areas[name]


def restore_from_snapshots(published: Published, store: SnapshotStore, cfg: SFTPConfig) -> float:
    """Show the most recent stored scan after a restart; returns its time (0 when none)."""
    latest = store.latest()
    newest = 0.0
    results: dict[str, AreaResult] = {}
    for area, rows in latest.items():
        total = next((r for r in rows if r.group == TOTAL), None)
        if total is None:
            continue
        groups = {r.group: tally_from_row(r) for r in rows if r.group != TOTAL}
        results[area] = AreaResult(area, tally_from_row(total), groups, dict(total.detail.get("skipped") or {}),
                                   float(total.detail.get("duration") or 0.0), total.scanned_at)
        newest = max(newest, total.scanned_at)
    publish(published, cfg, {k: v for k, v in results.items() if k in {a.name for a in cfg.areas}})
    return newest


class StorageScanner:
    """Scans on schedule, publishes complete scans, keeps daily snapshots, serves /api/storage/snapshots."""

    name = "storage.sftp"
    stage: Stage = "source"

    def __init__(self, storage: StorageConfig, ctx: Context, clock: Callable[[], float] = time.time) -> None:
        assert storage.sftp is not None
        self.storage = storage
        self.cfg: SFTPConfig = storage.sftp
        self.ctx = ctx
        self.clock = clock
        self.metrics = ctx.metrics(StorageMetrics)
        self.store = snapshot_store(ctx.state_dir, storage, clock)
        self._last_attempt = 0.0
        self._last_success = 0.0
        self._connect_failures = 0
        self._wake = asyncio.Event()
        #: Tests only: awaited after each directory listing.
        self.after_listing: Hook | None = None

    def reconfigure(self, new: object) -> bool:
        if not isinstance(new, StorageScanner) or new.cfg.areas != self.cfg.areas:
            return False
        self.storage, self.cfg, self.store = new.storage, new.cfg, new.store
        self._wake.set()
        return True

    def healthcheck(self) -> bool:
        return True

    def _due(self, now: float) -> float:
        if self._last_success == 0.0 and self._last_attempt == 0.0:
            return now
        if self.cfg.daily_at:
            base = max(self._last_success, self._last_attempt)
            return next_daily(self.cfg.daily_at, self.cfg.timezone, base) if base else now
        return max(self._last_success, self._last_attempt) + float(self.cfg.interval)

    async def run(self, stop: asyncio.Event) -> None:
        self.ctx.routes["/api/storage/snapshots"] = self.handle_snapshots
        try:
            last = await asyncio.to_thread(restore_from_snapshots, self.metrics.published, self.store, self.cfg)
            await self._refresh_growth()
        except Exception as e:  # a damaged database must not stop scanning
            log.warning("cannot read stored snapshots", error=str(e))
            last = 0.0
        self._last_success = last
        self._show_backoff()
        try:
            while not stop.is_set():
                now = self.clock()
                due = self.next_scan(now)
                if due > now:
                    self._wake.clear()
                    wake = asyncio.ensure_future(self._wake.wait())
                    stopper = asyncio.ensure_future(stop.wait())
                    await asyncio.wait([wake, stopper], timeout=due - now, return_when=asyncio.FIRST_COMPLETED)
                    wake.cancel()
                    stopper.cancel()
                    continue
                await self._scan_once(stop)
        finally:
            self.ctx.routes.pop("/api/storage/snapshots", None)

    def next_scan(self, now: float) -> float:
        """When the next scan may start: the schedule, sooner after connection failures, never
        inside a login backoff (which wins over everything else: it protects the IP from a ban)."""
        due = self._due(now)
        if self._connect_failures:
            retry = self._last_attempt + min(3600.0, float(self.cfg.connect_backoff)
                                             * 2 ** (self._connect_failures - 1))
            due = min(due, retry)
        b = load_backoff(self.cfg, self.ctx.state_dir)
        if b.active(now):
            due = max(due, b.until)
        return due

    def _show_backoff(self) -> None:
        b = load_backoff(self.cfg, self.ctx.state_dir)
        self.metrics.auth_failures.set(b.failures)
        self.metrics.backoff_until.set(b.until if b.active(time.time()) else 0)

    def _on_login(self, b: backoff.LoginBackoff) -> None:
        if b.save_error:
            self.metrics.backoff_write_errors.inc()
        self.metrics.auth_failures.set(b.failures)
        self.metrics.backoff_until.set(b.until if b.failures else 0)

    async def _scan_once(self, stop: asyncio.Event) -> None:
        self._last_attempt = self.clock()
        m = self.metrics
        m.in_progress.set(1)
        started = time.monotonic()
        task = asyncio.ensure_future(scan(self.cfg, self.ctx.state_dir, on_login=self._on_login, clock=self.clock,
                                          after_listing=self.after_listing))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 2.0)
                log.info("scan cancelled for shutdown")
                return
            try:
                outcome = task.result()
            except ScanError as e:
                m.scans.labels("failure").inc()
                m.scan_errors.labels(e.reason).inc()
                if e.reason in ("auth", "auth_backoff"):
                    # The login backoff now decides; a connect retry must not wake the scanner inside it.
                    self._connect_failures = 0
                    if e.reason == "auth_backoff":
                        m.scans_skipped.labels("auth_backoff").inc()
                else:
                    self._connect_failures += 1
                log.error("storage scan failed; the last complete scan stays published", reason=e.reason,
                          error=str(e), duration_seconds=round(time.monotonic() - started, 3))
                return
            self._connect_failures = 0
            self._last_success = self.clock()
            publish(m.published, self.cfg, outcome.results)
            m.scans.labels("success").inc()
            for area, msg in outcome.area_errors.items():
                m.scan_errors.labels("area_path").inc()
                log.error("storage area not scanned; its previous totals stay published", area=area, error=msg)
            try:
                await asyncio.to_thread(self.store.record, outcome.results.values())
                await self._refresh_growth()
            except Exception as e:
                log.error("cannot store the storage snapshot", error=str(e))
            log.info("storage scan complete", duration_seconds=round(outcome.duration, 3),
                     **{f"{n}_files": r.total.files for n, r in outcome.results.items()},
                     **{f"{n}_bytes": r.total.bytes for n, r in outcome.results.items()})
        finally:
            stopper.cancel()
            m.in_progress.set(0)
            m.scan_duration.set(time.monotonic() - started)

    async def _refresh_growth(self) -> None:
        self.metrics.published.growth = await asyncio.to_thread(self.store.growth, self.clock(), GROWTH_WINDOWS)

    async def handle_snapshots(self, request: web.Request) -> web.Response:
        """GET /api/storage/snapshots?days=30&area=NAME&groups=0|1&format=json|csv"""
        q = request.query
        try:
            days = int(q.get("days", "30"))
            if not 1 <= days <= 10000:
                raise ValueError
        except ValueError:
            return web.Response(status=400, text="days: expected an integer between 1 and 10000\n")
        fmt = q.get("format", "json")
        if fmt not in ("json", "csv"):
            return web.Response(status=400, text='format: expected "json" or "csv"\n')
        rows = await asyncio.to_thread(self.store.query, days, q.get("area") or None, q.get("groups", "1") != "0")
        from .report import render

        body = render(rows, fmt)
        ctype = "text/csv" if fmt == "csv" else "application/json"
        return web.Response(text=body, content_type=ctype, charset="utf-8")
