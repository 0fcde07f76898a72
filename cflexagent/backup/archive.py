"""One dated tar.gz of what the design says to back up, with a manifest of checksums; and its restore.

Contents: ``rendered/`` (the set `cflexagent render` makes now), ``live/<path>``
(what is live in every location `apply` manages), ``prometheus-rules/`` (every
rule file Prometheus loads, cflexagent's or not), ``grafana-dashboards/`` (from
Grafana's HTTP API with a token when it answers, else the provisioned JSON) and
``loki-index/`` (the tsdb index directories of the Loki config), plus
``MANIFEST.json`` (sha256 and size of every member, and where restore writes it).

The archive is written as ``.<name>.partial`` in the output directory, fsynced
and renamed: a failed or interrupted backup never leaves a partial archive
under its final name. A run past its timeout is cancelled through ``Cancel``:
checked between files and, under a lock, at the rename, so a cancelled run
neither leaves an archive nor prunes, and a committed one is never reported
cancelled. Files are streamed (hashed while they are copied), so
memory stays bounded whatever the Loki index weighs.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import socket
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    from ..config import Config

PREFIX = "cflexagent-backup-"
SUFFIX = ".tar.gz"
MANIFEST = "MANIFEST.json"
_MAX_API_BYTES = 16 << 20
_MAX_DASHBOARDS = 1000


class BackupError(Exception):
    """A failed backup or restore, already one line naming the step and the path."""


@dataclass
class Result:
    path: Path
    size: int
    files: int
    dashboards_from: str
    pruned: list[Path] = field(default_factory=list)


class Cancel:
    """Stops an archive being written in a worker thread (which ``asyncio.wait_for`` cannot cancel)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._committed = False

    def cancel(self) -> bool:
        """True: the archive will not be committed. False: too late, it was renamed into place already."""
        with self._lock:
            if not self._committed:
                self._cancelled = True
            return self._cancelled

    def check(self) -> None:
        if self._cancelled:
            raise BackupError("cancelled (past its timeout); no archive was kept")

    @contextlib.contextmanager
    def commit(self) -> Iterator[None]:
        with self._lock:
            self.check()
            yield
            self._committed = True


class _Hashing(io.RawIOBase):
    """Reads ``size`` bytes of a file, hashing them on the way into the tar stream."""

    def __init__(self, f: IO[bytes]) -> None:
        self._f = f
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._f.read(len(b))
        self.sha.update(data)
        b[:len(data)] = data
        return len(data)


class _Writer:
    def __init__(self, tar: tarfile.TarFile, cancel: Cancel) -> None:
        self.tar = tar
        self.cancel = cancel
        self.files: dict[str, dict[str, Any]] = {}
        self.mtime = int(time.time())

    def add_bytes(self, name: str, data: bytes, restore_to: str | None = None) -> None:
        self.cancel.check()
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), self.mtime, 0o600
        self.tar.addfile(info, io.BytesIO(data))
        self.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "restore_to": restore_to}

    def add_file(self, name: str, path: Path, restore_to: str | None = None) -> None:
        self.cancel.check()
        try:
            f = open(path, "rb")  # closed below; the size is taken from the open file
        except OSError as e:
            raise BackupError(f"cannot read {path}: {e.strerror or e}") from None
        with f:
            st = os.fstat(f.fileno())
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o600
            reader = _Hashing(f)
            try:
                self.tar.addfile(info, reader)
            except OSError as e:
                raise BackupError(f"{path}: changed or unreadable while being archived: {e}") from None
        self.files[name] = {"sha256": reader.sha.hexdigest(), "size": st.st_size, "restore_to": restore_to}


def _live_files(config: Config, rendered: dict[str, bytes]) -> Iterator[Path]:
    from ..render.apply import Paths

    paths = Paths(config)
    for rel in rendered:
        live = paths.live(rel)
        if live is not None and live.is_file():
            yield live


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would resend the Authorization header to wherever a redirect points: never follow one."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def _grafana_dashboards(config: Config) -> dict[str, bytes] | None:
    """uid -> dashboard JSON from Grafana's API, or None when it cannot be asked (no token, not answering)."""
    b = config.backup
    if not b.grafana_token_file:
        return None
    try:
        token = Path(b.grafana_token_file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    base = (b.grafana_url or f"http://{config.render.grafana.listen}").rstrip("/")

    opener = urllib.request.build_opener(_NoRedirect)

    def get(path: str) -> Any:
        req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}",
                                                           "Accept": "application/json"})
        with opener.open(req, timeout=10) as r:
            data = r.read(_MAX_API_BYTES + 1)
        if len(data) > _MAX_API_BYTES:
            raise ValueError("answer too large")
        return json.loads(data)

    try:
        found = get("/api/search?type=dash-db&limit=5000")
        if not isinstance(found, list):
            return None
        out: dict[str, bytes] = {}
        for item in found[:_MAX_DASHBOARDS]:
            uid = str(item.get("uid", ""))
            if not uid or "/" in uid or uid.startswith("."):
                continue
            board = get(f"/api/dashboards/uid/{urllib.parse.quote(uid)}")["dashboard"]
            out[uid] = (json.dumps(board, indent=2, sort_keys=True) + "\n").encode()
        return out
    except (OSError, ValueError, KeyError, TypeError, TimeoutError):
        return None


def create(config: Config, source: str, out_dir: Path, keep: int,
           say: Callable[[str], None] = lambda s: None, cancel: Cancel | None = None) -> Result:
    from ..render import render_all
    from ..render.loki import index_dirs

    cancel = cancel or Cancel()
    rendered = render_all(config, source)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BackupError(f"cannot create {out_dir}: {e.strerror or e}") from None
    loki_dirs = [Path(d) for d in index_dirs(_ctx(config, source))]
    if config.backup.loki_index and not any(d.is_dir() for d in loki_dirs):
        raise BackupError(f"Loki index not found at {' or '.join(map(str, loki_dirs))} "
                          "(render.loki.data_dir; set backup.loki_index = false if Loki does not run here)")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    final = out_dir / f"{PREFIX}{stamp}{SUFFIX}"
    n = 1
    while final.exists():
        n += 1
        final = out_dir / f"{PREFIX}{stamp}-{n}{SUFFIX}"
    partial = out_dir / f".{final.name}.partial"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise BackupError(f"cannot write {partial}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                w = _Writer(tar, cancel)
                for rel, data in rendered.items():
                    w.add_bytes(f"rendered/{rel}", data)
                say(f"rendered set: {len(rendered)} files")
                lives = list(_live_files(config, rendered))
                for live in lives:
                    w.add_file(f"live{live}", live, restore_to=str(live))
                say(f"live files: {len(lives)}")
                rules = Path(config.render.paths.prometheus_dir) / "rules"
                n_rules = 0
                if rules.is_dir():
                    for p in sorted(rules.iterdir()):
                        if p.is_file() and not p.name.startswith("."):
                            w.add_file(f"prometheus-rules/{p.name}", p, restore_to=str(p))
                            n_rules += 1
                say(f"prometheus rules: {n_rules} files")
                boards = _grafana_dashboards(config)
                source_of_boards = "api"
                if boards is None:
                    source_of_boards = "provisioned"
                    d = Path(config.render.paths.grafana_dashboards_dir)
                    boards = {p.stem: p.read_bytes() for p in sorted(d.glob("*.json"))} if d.is_dir() else {}
                for uid, data in boards.items():
                    w.add_bytes(f"grafana-dashboards/{uid}.json", data)
                say(f"grafana dashboards: {len(boards)} ({source_of_boards})")
                n_index = 0
                if config.backup.loki_index:
                    for d in loki_dirs:
                        if not d.is_dir():
                            continue
                        for p in sorted(d.rglob("*")):
                            if p.is_file() and not p.is_symlink():
                                w.add_file(f"loki-index{p}", p, restore_to=str(p))
                                n_index += 1
                    say(f"loki index: {n_index} files")
                manifest = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": __version__,
                            "host": socket.gethostname(), "config": source, "grafana_dashboards": source_of_boards,
                            "files": w.files}
                w.add_bytes(MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
            raw.flush()
            os.fsync(raw.fileno())
        with cancel.commit():
            os.replace(partial, final)
        dfd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException as e:
        with contextlib.suppress(OSError):
            partial.unlink()
        if isinstance(e, OSError):
            raise BackupError(f"cannot write {partial}: {e.strerror or e}") from None
        raise
    result = Result(final, final.stat().st_size, len(w.files), source_of_boards)
    result.pruned = prune(out_dir, keep)
    return result


def _ctx(config: Config, source: str) -> Any:
    from ..render.common import RenderContext

    return RenderContext(config, source)


def prune(out_dir: Path, keep: int) -> list[Path]:
    archives = sorted(p for p in out_dir.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())
    gone = archives[:-keep] if keep else []
    for p in gone:
        with contextlib.suppress(OSError):
            p.unlink()
    for stale in out_dir.glob(f".{PREFIX}*.partial"):  # left by a killed run
        if time.time() - stale.stat().st_mtime > 86400:
            with contextlib.suppress(OSError):
                stale.unlink()
    return gone


# -- restore ------------------------------------------------------------------------------


def allowed_roots(config: Config) -> list[Path]:
    """Where a restore may write: the live locations apply manages and Loki's data directory."""
    p = config.render.paths
    roots = [p.prometheus_dir, p.alertmanager_dir, p.loki_dir, p.grafana_provisioning_dir, p.grafana_dashboards_dir,
             p.nginx_sites_available, p.systemd_dir, config.render.loki.data_dir]
    files = [p.prometheus_defaults, p.alertmanager_defaults]
    return [Path(r) for r in roots] + [Path(f) for f in files]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def restore(config: Config, archive: Path, dry_run: bool, loki_index: bool,
            say: Callable[[str], None] = print) -> int:
    """List (dry run) or write every member that has a place to go; verify every checksum first."""
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as e:
        raise BackupError(f"cannot open {archive}: {getattr(e, 'strerror', None) or e}") from None
    with tar:
        try:
            member = tar.getmember(MANIFEST)
            f = tar.extractfile(member)
            manifest = json.loads(f.read() if f else b"{}")
            files: dict[str, Any] = manifest["files"]
        except (KeyError, ValueError, tarfile.TarError):
            raise BackupError(f"{archive}: no valid {MANIFEST}; not a cflexagent backup") from None
        roots = allowed_roots(config)
        plan: list[tuple[tarfile.TarInfo, Path]] = []
        for m in tar.getmembers():
            if m.name == MANIFEST:
                continue
            entry = files.get(m.name)
            if entry is None or not m.isfile():
                raise BackupError(f"{archive}: member {m.name} is not in the manifest")
            f = tar.extractfile(m)
            sha = hashlib.sha256()
            while f is not None and (chunk := f.read(1 << 20)):
                sha.update(chunk)
            if sha.hexdigest() != entry["sha256"]:
                raise BackupError(f"{archive}: checksum mismatch for {m.name}; nothing was restored")
            to = entry.get("restore_to")
            if not to:
                continue
            if m.name.startswith("loki-index/") and not loki_index:
                continue
            target = Path(to)
            if not target.is_absolute() or ".." in target.parts or not _inside(target, roots):
                raise BackupError(f"{archive}: {m.name} would be written to {target}, outside the configured "
                                  "locations; nothing was restored")
            plan.append((m, target))
        say(f"verified   {len(files)} files of {archive} (created {manifest.get('created', '?')})")
        written: list[tuple[Path, str]] = []
        for m, target in plan:
            if dry_run:
                say(f"would write {target} ({m.size} bytes)")
                continue
            data = tar.extractfile(m)
            assert data is not None
            _write_stream(target, data)
            written.append((target, files[m.name]["sha256"]))
            say(f"restored   {target}")
        skipped = sum(1 for n in files if n.startswith("loki-index/")) if not loki_index else 0
        if skipped:
            say(f"skipped    {skipped} Loki index files (stop Loki, then restore with --loki-index)")
        boards = sorted(n for n in files if n.startswith("grafana-dashboards/"))
        if boards and manifest.get("grafana_dashboards") == "api":
            # Made in Grafana's UI, they live in its database: written into the provisioned folder they would
            # turn read-only (provisioned) and shadow cflexagent's own. They are for import.
            say(f"for import {len(boards)} Grafana dashboards from its API (kept in Grafana's database, not "
                f"restored as files): `tar -xzf {archive} -C DIR grafana-dashboards/`, then in Grafana "
                "Dashboards > New > Import each JSON file")
        elif boards:
            say(f"skipped    {len(boards)} provisioned Grafana dashboards under grafana-dashboards/: the same "
                "files are restored from live/")
        if dry_run:
            say("dry run: nothing was written")
            return 0
    return _adopt_and_reload(config, files, written, say)


def _adopt_and_reload(config: Config, files: dict[str, Any], written: list[tuple[Path, str]],
                      say: Callable[[str], None]) -> int:
    """Record the restored files in apply's manifest as cflexagent's own (else the next `apply` refuses them as
    hand-edited, or sees them unchanged and never reloads), then reload what they belong to, as apply does."""
    from ..render import TARGETS, target_of
    from ..render.apply import ApplyError, Op, Paths, Reloader, failure_text, read_json, restart_needs, write_json

    paths = Paths(config)
    owner: dict[str, str] = {}
    for name in files:
        if name.startswith("rendered/"):
            rel = name.removeprefix("rendered/")
            live = paths.live(rel)
            if live is not None:
                owner[str(live)] = target_of(rel)
    applied = read_json(paths.manifest)
    touched: dict[str, list[Op]] = {}
    for target, sha in written:
        t = owner.get(str(target))
        if t is None:
            continue  # not a file apply manages (a rule file of someone else's, the Loki index)
        applied[str(target)] = {"sha256": sha, "target": t}
        touched.setdefault(t, []).append(Op(target, b""))
    if touched:
        write_json(paths.manifest, applied)
        say(f"recorded   {sum(map(len, touched.values()))} files in {paths.manifest} as cflexagent's own")
    reloader = Reloader(config, set())
    failed = 0
    for t in (t for t in TARGETS if t in touched):
        try:
            say(f"reloaded   {t}: {reloader.reload(t, {})}")
        except (ApplyError, OSError) as e:
            failed += 1
            say(f"FAILED     {t}: {failure_text(e)}")
        for need in restart_needs(paths, touched[t]):
            say(need.line("restored"))
    if failed:
        say(f"restore: the files are back but {failed} reload(s) failed; fix the service, then "
            "`cflexagent apply --force` puts the current render in place instead")
        return 1
    say("restored and reloaded; the next `cflexagent apply` swaps the current render in over these files")
    return 0


def _write_stream(target: Path, data: IO[bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.cflexagent-restore")
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := data.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
