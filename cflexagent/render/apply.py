"""``cflexagent apply``: swap the rendered set into the live locations safely, then reload what changed.

Order: render into a staging directory, validate it there with the real tools
(nothing is touched when a check fails), then per target: back up the live
files it replaces, stage every new file next to its live path, write a
journal, rename each staged file over its live path, record what was written,
mark the journal "swapped", reload, check the reload took, and only then
delete the journal. A reload that fails restores the backup the same way and
reloads again.

Crash safety: the journal is written (atomically) only once every staged file
is complete and fsynced, so any interrupted run is finished by the next one
("recovered"): a kill -9 at any step leaves, after the next `apply`, a
complete old or new set in every location, never a mix, and the recovered
target is reloaded and checked (its files are "unchanged" by then, so the plan
alone would never reload it). Staged files of a run
killed before its journal are removed.

Hand edits: the applied manifest records the sha256 of every file apply wrote.
A live file whose content is neither that nor the new content was edited by
hand (or never written by cflexagent) and is only replaced with ``--force``.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..statefile import atomic_write
from .files import sha256

if TYPE_CHECKING:
    from ..config import Config

STAGED_SUFFIX = ".cflexagent-new"
#: Files apply never installs (a fragment to merge by hand).
NOT_APPLIED = {"grafana/grafana.ini"}


class ApplyError(Exception):
    """A run-time failure, already one line naming the step and the path."""


@dataclass(frozen=True)
class Op:
    live: Path
    #: New content, or None to remove the live file.
    data: bytes | None
    #: For a symlink: where it points (data is None then).
    link: str | None = None


@dataclass
class Plan:
    target: str
    ops: list[Op] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)


def pause(step: str) -> None:
    """Test hook: stop here (waiting to be killed) when CFLEXAGENT_APPLY_PAUSE names this step."""
    if os.environ.get("CFLEXAGENT_APPLY_PAUSE") == step:
        print(f"paused at {step}", flush=True)
        time.sleep(3600)


class Paths:
    """Where each rendered file goes, and where apply keeps its state."""

    def __init__(self, config: Config) -> None:
        self.config = config
        r = config.render
        self.p = r.paths
        state = Path(config.agent.state_dir) / "apply"
        self.state = state
        self.backups = Path(r.apply.backup_dir) if r.apply.backup_dir else state / "backups"
        self.journal = state / "journal.json"
        self.manifest = state / "applied.json"

    def live(self, rel: str) -> Path | None:
        p = self.p
        if rel in NOT_APPLIED:
            return None
        top, _, rest = rel.partition("/")
        if rel == "default/prometheus":
            return Path(p.prometheus_defaults)
        if rel == "default/prometheus-alertmanager":
            return Path(p.alertmanager_defaults)
        if top == "systemd":
            return Path(p.systemd_dir) / rest
        if top == "prometheus":
            return Path(p.prometheus_dir) / rest
        if top == "alertmanager":
            return Path(p.alertmanager_dir) / rest
        if top == "loki":
            return Path(p.loki_dir) / rest
        if rel.startswith("grafana/provisioning/"):
            return Path(p.grafana_provisioning_dir) / rel.removeprefix("grafana/provisioning/")
        if rel.startswith("grafana/dashboards/"):
            return Path(p.grafana_dashboards_dir) / rel.removeprefix("grafana/dashboards/")
        if top == "nginx":
            return Path(p.nginx_sites_available) / rest
        raise ValueError(f"no live location for {rel}")

    def enabled_link(self) -> tuple[Path, str]:
        ng = self.config.render.nginx
        return Path(self.p.nginx_sites_enabled) / ng.site_name, str(Path(self.p.nginx_sites_available) / ng.site_name)


# -- applied manifest ------------------------------------------------------------


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ApplyError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode(), mode=0o600)


def read_live(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ApplyError(f"{path}: is a directory, expected a file") from None
    except PermissionError:
        raise ApplyError(f"{path}: permission denied (run as root or a user that can read it)") from None


# -- planning --------------------------------------------------------------------


def plan(paths: Paths, files: dict[str, bytes], targets: list[str], force: bool) -> list[Plan]:
    from . import target_of

    applied: dict[str, Any] = read_json(paths.manifest)
    plans = {t: Plan(t) for t in targets}
    wanted: set[str] = set()
    for rel, data in files.items():
        live = paths.live(rel)
        t = target_of(rel)
        if live is None or t not in plans:
            continue
        wanted.add(str(live))
        current = read_live(live)
        if current == data:
            plans[t].unchanged.append(live)
            continue
        recorded = (applied.get(str(live)) or {}).get("sha256")
        if current is not None and recorded != sha256(current) and not force:
            why = "edited by hand since cflexagent wrote it" if recorded else "not written by cflexagent"
            plans[t].refused.append((live, why))
            continue
        plans[t].ops.append(Op(live, data))
    # Files apply wrote earlier for these targets that the new set no longer has.
    for live_s, info in sorted(applied.items()):
        owner = (info or {}).get("target")
        if owner in plans and live_s not in wanted and not (info or {}).get("link"):
            current = read_live(Path(live_s))
            if current is None:
                continue
            if sha256(current) != info.get("sha256") and not force:
                plans[owner].refused.append((Path(live_s), "edited by hand since cflexagent wrote it (to be removed)"))
                continue
            plans[owner].ops.append(Op(Path(live_s), None))
    if "nginx" in plans and paths.config.render.nginx.enabled:
        link, to = paths.enabled_link()
        try:
            ok = os.readlink(link) == to
        except OSError:
            ok = False
        if not ok:
            if link.exists() and not link.is_symlink() and not force:
                plans["nginx"].refused.append((link, "is a file, not the link cflexagent makes"))
            else:
                plans["nginx"].ops.append(Op(link, None, link=to))
    return [plans[t] for t in targets]


def _writable(d: Path) -> str | None:
    """Why apply cannot create, rename and remove files in ``d`` (or the part of it that exists), or None."""
    while not d.exists() and d != d.parent:
        d = d.parent
    if os.access(d, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        return None
    try:
        if os.statvfs(d).f_flag & os.ST_RDONLY:
            return f"{d}: read-only file system"
    except OSError:
        pass
    return f"{d}: permission denied (run as root or a user that can write it)"


def check_writable(paths: Paths, plans: list[Plan]) -> None:
    """Every directory a swap writes into, before any target is swapped: a location apply cannot write is one
    line naming it, and no target is swapped at all (not the ones before it either)."""
    dirs = {paths.state, paths.backups} | {op.live.parent for pl in plans for op in pl.ops}
    for d in sorted(dirs):
        why = _writable(d)
        if why is not None:
            raise ApplyError(f"{why}; nothing was changed")


def diff(live: Path, new: bytes | None, secrets: list[str]) -> str:
    old = read_live(live)

    def lines(b: bytes | None) -> list[str]:
        text = (b or b"").decode("utf-8", "replace")
        for s in secrets:
            text = text.replace(s, "<secret from a *_file key>")
        return text.splitlines(keepends=True)

    out = "".join(difflib.unified_diff(lines(old), lines(new), f"{live} (live)", f"{live} (new)"))
    return out if out.endswith("\n") or not out else out + "\n"


# -- the transaction ---------------------------------------------------------------


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _staged(live: Path) -> Path:
    return live.with_name(f".{live.name}{STAGED_SUFFIX}")


def _live_mode(op: Op, target: str, groups: dict[str, str]) -> tuple[int, int | None, int | None]:
    """(mode, uid, gid) for a new live file: render's mode (0640: alertmanager.yml may hold the Watchdog URL)
    for a new file; for one it replaces, its owner, group and mode, but never looser than render's. A file
    that ends up not world-readable and owned by group root gets its service's group from ``groups``
    ([render.apply] groups; root writing 0640 root:root would lock Prometheus, running as user prometheus, out
    of its own config)."""
    from .files import FILE_MODE

    uid = gid = None
    try:
        st = op.live.stat()
        mode, uid, gid = st.st_mode & 0o7777 & (FILE_MODE | 0o7000), st.st_uid, st.st_gid
    except FileNotFoundError:
        mode = FILE_MODE
    if os.geteuid() == 0 and not mode & 0o004 and gid in (None, 0) and target in groups:
        import grp

        try:
            gid = grp.getgrnam(groups[target]).gr_gid
        except KeyError:
            pass
    return mode, uid, gid


def _write_staged(op: Op, target: str, groups: dict[str, str]) -> None:
    assert op.data is not None
    mode, uid, gid = _live_mode(op, target, groups)
    op.live.parent.mkdir(parents=True, exist_ok=True)
    staged = _staged(op.live)
    atomic_write(staged, op.data, mode=mode)
    if os.geteuid() == 0 and (uid, gid) != (None, None):
        os.chown(staged, -1 if uid is None else uid, -1 if gid is None else gid)
    os.chmod(staged, mode)  # after the umask, and after chown (which clears set-id bits)


def _backup(paths: Paths, target: str, ops: list[Op], stamp: str) -> Path:
    """Copy every live file the ops replace into a timestamped directory (with what did not exist)."""
    d = paths.backups / f"{stamp}-{target}"
    paths.backups.mkdir(parents=True, exist_ok=True, mode=0o700)
    n = 1
    while True:
        try:
            d.mkdir(mode=0o700)
            break
        except FileExistsError:
            n += 1
            d = paths.backups / f"{stamp}-{n}-{target}"
    index: dict[str, Any] = {}
    for op in ops:
        if op.link is not None:
            try:
                index[str(op.live)] = {"link": os.readlink(op.live)}
            except OSError:
                index[str(op.live)] = {"absent": True}
            continue
        data = read_live(op.live)
        if data is None:
            index[str(op.live)] = {"absent": True}
            continue
        copy = d / "files" / str(op.live).lstrip("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(copy, data, mode=0o600)
        index[str(op.live)] = {"sha256": sha256(data), "copy": str(copy)}
    write_json(d / "index.json", {"target": target, "files": index})
    return d


def prune_backups(paths: Paths, target: str, keep: int) -> None:
    try:
        dirs = sorted(p for p in paths.backups.iterdir() if p.name.endswith(f"-{target}") and p.is_dir())
    except FileNotFoundError:
        return
    for old in dirs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _finish(paths: Paths, journal: dict[str, Any]) -> None:
    """Do (or redo) the renames a journal lists, record them, mark the journal swapped. Idempotent."""
    for e in journal["ops"]:
        live = Path(e["live"])
        if e.get("link") is not None:
            tmp = live.with_name(f".{live.name}{STAGED_SUFFIX}")
            if not (live.is_symlink() and os.readlink(live) == e["link"]):
                live.parent.mkdir(parents=True, exist_ok=True)
                if tmp.is_symlink() or tmp.exists():
                    tmp.unlink()
                os.symlink(e["link"], tmp)
                os.replace(tmp, live)
        elif e.get("remove"):
            if live.exists() or live.is_symlink():
                live.unlink()
        else:
            staged = _staged(live)
            if staged.exists():
                os.replace(staged, live)
        _fsync_dir(live.parent)
        if e is journal["ops"][0]:
            pause("swapping")
    applied = read_json(paths.manifest)
    for e in journal["ops"]:
        if e.get("remove"):
            applied.pop(e["live"], None)
        else:
            applied[e["live"]] = {"sha256": e.get("sha256"), "target": journal["target"],
                                  **({"link": e["link"]} if e.get("link") is not None else {})}
    write_json(paths.manifest, applied)
    # The journal stays until the reload is checked: a crash before that leaves the swap done but not loaded.
    write_json(paths.journal, {**journal, "swapped": True})


def end_journal(paths: Paths) -> None:
    """The swapped set is loaded (or rolled back and reloaded): nothing is left to recover."""
    try:
        paths.journal.unlink()
    except FileNotFoundError:
        return
    _fsync_dir(paths.journal.parent)


def transaction(paths: Paths, target: str, ops: list[Op], stamp: str, rollback: bool = False) -> Path:
    """Swap ``ops`` in; returns the backup directory of what they replaced. The journal is left "swapped"
    (`end_journal` once the reload is checked)."""
    backup = _backup(paths, target, ops, stamp)
    pause("backed-up")
    for op in ops:
        if op.data is not None:
            _write_staged(op, target, paths.config.render.apply.groups)
    pause("staged")
    journal = {"target": target, "backup": str(backup), "rollback": rollback, "ops": [
        {"live": str(op.live), "remove": op.data is None and op.link is None, "link": op.link,
         "sha256": sha256(op.data) if op.data is not None else None} for op in ops]}
    write_json(paths.journal, journal)
    pause("journal")
    _finish(paths, journal)
    pause("swapped")
    return backup


@dataclass(frozen=True)
class Pending:
    """A swap a crashed run made (or the next run finished) that nobody has reloaded yet."""

    target: str
    backup: Path
    ops: list[Op]
    #: The swap was itself a rollback: on a failed reload there is nothing older to go back to.
    rollback: bool


def recover(paths: Paths, say: Callable[[str], None]) -> Pending | None:
    """Finish an apply a crash interrupted after its journal was written; the caller reloads what it returns."""
    if not paths.journal.exists():
        return None
    journal = read_json(paths.journal)
    if not journal.get("ops"):
        paths.journal.unlink()
        return None
    swapped = bool(journal.get("swapped"))
    _finish(paths, journal)
    say(f"recovered  {journal['target']}: " + ("the swap of an interrupted apply was done but not reloaded"
                                               if swapped else "finished the swap an interrupted apply had started"))
    ops = [Op(Path(e["live"]), None, link=e.get("link")) for e in journal["ops"]]
    return Pending(journal["target"], Path(journal["backup"]), ops, bool(journal.get("rollback")))


def remove_stale_staged(ops_lives: list[Path]) -> None:
    for live in ops_lives:
        staged = _staged(live)
        if staged.exists() or staged.is_symlink():
            staged.unlink()


def rollback_ops(backup: Path, ops: list[Op]) -> list[Op]:
    index = read_json(backup / "index.json").get("files", {})
    out = []
    for op in ops:
        e = index.get(str(op.live), {"absent": True})
        if e.get("absent"):
            out.append(Op(op.live, None))
        elif "link" in e:
            out.append(Op(op.live, None, link=e["link"]))
        else:
            out.append(Op(op.live, Path(e["copy"]).read_bytes()))
    return out


# -- reloads ----------------------------------------------------------------------


@dataclass(frozen=True)
class RestartNeed:
    """A change a reload does not load: command-line flags (``/etc/default/...``) or a systemd unit file."""

    unit: str
    file: Path
    kind: str  # "flags" or "unit"

    def advice(self) -> str:
        cmd = f"systemctl restart {self.unit}"
        return f"`systemctl daemon-reload && {cmd}`" if self.kind == "unit" else f"`{cmd}`"

    def line(self, how: str = "changed") -> str:
        """The report line when the restart is left to ops."""
        return f"restart needed: {self.unit} ({self.kind} {how} in {self.file}); run {self.advice()}"


def failure_text(e: ApplyError | OSError) -> str:
    """One line for a failed reload or restart: apply's own message, or the OS error with its path."""
    return str(e) if isinstance(e, ApplyError) else f"{e.filename or ''}: {e.strerror or e}"


def restart_needs(paths: Paths, ops: list[Op]) -> list[RestartNeed]:
    """The ops of a swap that only a restart makes live. A removed unit file is not one (nothing to start)."""
    p, a = paths.p, paths.config.render.apply
    out = []
    for op in ops:
        if op.live == Path(p.prometheus_defaults):
            out.append(RestartNeed(a.prometheus_unit, op.live, "flags"))
        elif op.live == Path(p.alertmanager_defaults):
            out.append(RestartNeed(a.alertmanager_unit, op.live, "flags"))
        elif op.live.parent == Path(p.systemd_dir) and op.data is not None:
            out.append(RestartNeed(op.live.name, op.live, "unit"))
    return out


class Reloader:
    def __init__(self, config: Config, restart: set[str]) -> None:
        self.config = config
        self.r = config.render
        self.timeout = float(self.r.apply.reload_timeout)
        self.restart = restart

    def _http(self, method: str, url: str, auth: tuple[str, str] | None = None) -> tuple[int, bytes]:
        import base64
        import ssl

        req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        ctx = None
        if url.startswith("https://"):
            ctx = ssl.create_default_context(cafile=self.r.prometheus.web_tls_cert_file or None)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=ctx) as resp:
                return resp.status, resp.read(1 << 20)
        except urllib.error.HTTPError as e:
            return e.code, e.read(1 << 16)

    def _systemctl(self, verb: str, unit: str = "") -> str | None:
        """None when done; else why not. A unit that is not active is left alone (a reload or restart would
        start it); ``daemon-reload`` takes no unit."""
        exe = shutil.which("systemctl")
        if exe is None:
            return "systemctl not found"
        try:
            if unit:
                active = subprocess.run([exe, "is-active", "--quiet", unit], timeout=self.timeout,
                                        stdin=subprocess.DEVNULL, capture_output=True).returncode == 0
                if not active:
                    return f"{unit} is not active"
            r = subprocess.run([exe, verb, *([unit] if unit else [])], timeout=self.timeout,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"systemctl {verb} {unit}: {e}"
        return None if r.returncode == 0 else f"systemctl {verb} {unit}: {r.stderr.strip()[:200]}"

    def restart_unit(self, target: str, need: RestartNeed) -> str:
        """``systemctl restart`` (after ``daemon-reload`` for a changed unit file), then the same check as a
        reload: Prometheus' runtimeinfo shows a newer lastConfigTime, Alertmanager a new uptime."""
        if need.kind == "unit":
            why = self._systemctl("daemon-reload")
            if why is not None:
                raise ApplyError(f"{target}: {why}")
        prom, auth = self._prometheus_api()
        am = f"http://{self.r.alertmanager.listen}/"

        def mark() -> Any:
            if need.unit == self.r.apply.prometheus_unit:
                return _config_time(self._runtimeinfo(prom, auth))
            if need.unit == self.r.apply.alertmanager_unit:
                try:
                    return json.loads(self._http("GET", f"{am}api/v2/status")[1])["uptime"]
                except (OSError, ValueError, KeyError, TypeError):
                    return None
            return None

        before = mark()
        if need.unit == self.r.apply.prometheus_unit:
            _next_second(before)
        why = self._systemctl("restart", need.unit)
        if why is not None:
            if why.endswith("is not active"):
                return f"{why}: it reads the new {need.kind} when it starts"
            raise ApplyError(f"{target}: restart failed: {why}")
        how = f"systemctl restart {need.unit} ({need.kind} changed in {need.file})"
        if need.unit not in (self.r.apply.prometheus_unit, self.r.apply.alertmanager_unit):
            return how
        deadline = time.monotonic() + self.timeout
        while True:
            now = mark()
            if now is not None and (before is None or now > before):
                return how + ("; runtimeinfo: lastConfigTime is newer" if need.unit == self.r.apply.prometheus_unit
                              else "; /api/v2/status: a new uptime")
            if time.monotonic() > deadline:
                raise ApplyError(f"{target}: {need.unit} did not come back with the new {need.kind} within "
                                 f"{self.timeout:g}s of `systemctl restart`")
            time.sleep(0.2)

    def _sighup(self, pid_file: str) -> str | None:
        if not pid_file:
            return "no pid file configured"
        try:
            pid = int(Path(pid_file).read_text().strip())
            os.kill(pid, signal.SIGHUP)
        except (OSError, ValueError) as e:
            return f"SIGHUP via {pid_file}: {getattr(e, 'strerror', None) or e}"
        return None

    def _lifecycle(self, name: str, base: str, auth: tuple[str, str] | None, unit: str,
                   pid_file: str) -> tuple[bool, str]:
        """POST /-/reload, else systemctl reload, else SIGHUP. (reloaded, how or why not).

        A 403 is Prometheus without ``--web.enable-lifecycle``: the reload is still possible the other ways."""
        try:
            status, body = self._http("POST", f"{base}-/reload", auth)
        except (OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            why = self._systemctl("reload", unit)
            if why is None:
                return True, f"systemctl reload {unit}"
            why2 = self._sighup(pid_file)
            if why2 is None:
                return True, f"SIGHUP ({pid_file})"
            # Not running at all: the files were validated, and it reads them when it starts.
            return False, f"not running (not reachable at {base}: {reason}; {why}; {why2}): it reads the new files " \
                          "when it starts"
        if status == 403:
            why = self._systemctl("reload", unit)
            if why is None:
                return True, f"systemctl reload {unit} (its lifecycle API is off)"
            why2 = self._sighup(pid_file)
            if why2 is None:
                return True, f"SIGHUP ({pid_file}; its lifecycle API is off)"
            raise ApplyError(f"{name}: POST /-/reload is refused (HTTP 403: started without --web.enable-lifecycle) "
                             f"and no other way reached it ({why}; {why2})")
        if status != 200:
            text = body.decode("utf-8", "replace").strip().splitlines()
            raise ApplyError(f"{name}: reload rejected (HTTP {status}): {(text or [''])[0][:300]}")
        return True, "POST /-/reload"

    def _prometheus_api(self) -> tuple[str, tuple[str, str] | None]:
        """Prometheus' base URL and the basic-auth credentials of its web config, if it has users."""
        p = self.r.prometheus
        base = f"{'https' if p.web_tls_cert_file else 'http'}://{p.listen}/"
        return base, (p.self_username, Path(p.self_password_file).read_text().strip()) if p.web_users else None

    def _runtimeinfo(self, base: str, auth: tuple[str, str] | None) -> dict[str, Any] | None:
        try:
            status, body = self._http("GET", f"{base}api/v1/status/runtimeinfo", auth)
            data = json.loads(body)["data"] if status == 200 else None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return data if isinstance(data, dict) else None

    def prometheus(self) -> str:
        """Reload, then check with Prometheus' own word that *this* reload took.

        ``/api/v1/status/runtimeinfo`` reads the live gauges: ``reloadConfigSuccess`` and ``lastConfigTime``
        (whole seconds). The reload counts only once lastConfigTime is newer than before it, so a SIGHUP that
        reached another process, or an asynchronous reload that failed, is not taken for a success (the
        ``prometheus_config_last_reload_successful`` sample in the TSDB can predate the reload)."""
        base, auth = self._prometheus_api()
        before = self._runtimeinfo(base, auth)
        before_time = _config_time(before)
        _next_second(before_time)
        since = before_time if before_time is not None else float(int(time.time())) - 1.0
        done, how = self._lifecycle("prometheus", base, auth, self.r.apply.prometheus_unit,
                                    self.r.apply.prometheus_pid_file)
        if not done:
            return how
        deadline = time.monotonic() + self.timeout
        while True:  # a SIGHUP or systemctl reload is asynchronous: wait for lastConfigTime to move
            info = self._runtimeinfo(base, auth)
            at = _config_time(info)
            if info is not None and info.get("reloadConfigSuccess") is True and at is not None and at > since:
                stamp = time.strftime("%H:%M:%SZ", time.gmtime(at))
                return f"reloaded ({how}; runtimeinfo: reloadConfigSuccess, lastConfigTime {stamp})"
            if info is not None and info.get("reloadConfigSuccess") is False and (before or {}).get(
                    "reloadConfigSuccess") is True:
                raise ApplyError(f"prometheus: the reload failed ({how}; runtimeinfo: reloadConfigSuccess = false; "
                                 "its log says why)")
            if time.monotonic() > deadline:
                raise ApplyError(f"prometheus: lastConfigTime did not advance within {self.timeout:g}s of the "
                                 f"reload ({how}): the new config is not live")
            time.sleep(0.2)

    def alertmanager(self, expected: bytes) -> str:
        base = f"http://{self.r.alertmanager.listen}/"
        done, how = self._lifecycle("alertmanager", base, None, self.r.apply.alertmanager_unit,
                                    self.r.apply.alertmanager_pid_file)
        if not done:
            return how
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _, body = self._http("GET", f"{base}api/v2/status")
                original = json.loads(body)["config"]["original"]
            except (OSError, ValueError, KeyError):
                original = None
            if original is not None and _same_yaml(original, expected):
                return f"reloaded ({how}; /api/v2/status shows the new config)"
            if time.monotonic() > deadline:
                raise ApplyError("alertmanager: /api/v2/status does not show the new config after the reload")
            time.sleep(0.2)

    def nginx(self) -> str:
        why = self._systemctl("reload", self.r.apply.nginx_unit)
        if why is None:
            return f"reloaded (systemctl reload {self.r.apply.nginx_unit})"
        exe = shutil.which("nginx")
        if exe is None:
            return f"not reloaded: nginx not found ({why})"
        r = subprocess.run([exe, "-s", "reload"], capture_output=True, text=True, timeout=self.timeout,
                           stdin=subprocess.DEVNULL)
        if r.returncode == 0:
            return "reloaded (nginx -s reload)"
        if "No such file" in r.stderr or "invalid PID" in r.stderr:
            return "not running: it reads the new site when it starts"
        raise ApplyError(f"nginx: reload failed: {r.stderr.strip()[:300]}")

    def loki(self) -> str:
        if "loki" not in self.restart:
            return "changed: Loki reads its config only at start; run `cflexagent apply --restart loki`"
        why = self._systemctl("restart", self.r.apply.loki_unit)
        if why is not None:
            raise ApplyError(f"loki: restart failed: {why}")
        return f"restarted (systemctl restart {self.r.apply.loki_unit})"

    def grafana(self) -> str:
        return ("Grafana rescans dashboards every 60 s by itself; changed datasources take effect at its next "
                "restart")

    def reload(self, target: str, files: dict[str, bytes]) -> str:
        if target == "prometheus":
            return self.prometheus()
        if target == "alertmanager":
            expected = files.get("alertmanager/alertmanager.yml")
            if expected is None:  # a recovered swap under --only: what is live is what must show
                expected = read_live(Path(self.r.paths.alertmanager_dir) / "alertmanager.yml") or b""
            return self.alertmanager(expected)
        return getattr(self, target)()  # type: ignore[no-any-return]


def _next_second(config_time: float | None) -> None:
    """lastConfigTime has whole seconds: a reload within the second of the last one would not show as newer."""
    if config_time is not None:
        time.sleep(max(0.0, config_time + 1.0 - time.time()))


def _config_time(info: dict[str, Any] | None) -> float | None:
    """runtimeinfo's lastConfigTime (RFC 3339) as Unix seconds; None when absent or never loaded."""
    import datetime

    raw = (info or {}).get("lastConfigTime")
    if not isinstance(raw, str):
        return None
    try:
        t = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    return t if t > 0 else None


def _same_yaml(text: str, expected: bytes) -> bool:
    """Alertmanager echoes its config re-serialised with every default filled in: the new config is live when
    everything the rendered file sets is in it (secrets show as <secret>; template paths are resolved)."""
    import yaml

    try:
        got, want = yaml.safe_load(text), yaml.safe_load(expected)
    except yaml.YAMLError:
        return False
    return _contains(got, want)


def _contains(got: Any, want: Any) -> bool:
    if got == "<secret>":
        return True
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k == "templates" or _contains(got.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(
            _contains(g, w) for g, w in zip(got, want, strict=True))
    return bool(got == want)


# -- the command ---------------------------------------------------------------------


def run_apply(config: Config, source: str, files: dict[str, bytes], targets: list[str], *, dry_run: bool,
              force: bool, restart: set[str], say: Callable[[str], None] = print) -> int:
    from .common import RenderContext
    from .files import write_tree
    from .validate import run_checks

    paths = Paths(config)
    reloader = Reloader(config, restart)
    ns = time.time_ns()  # sortable and unique per run, also for several runs in one process and second
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ns // 10**9)) + f".{ns % 10**9:09d}Z"
    try:
        if not dry_run:
            pending = recover(paths, say)
            if pending is not None and not _reload_or_roll_back(
                    paths, reloader, pending.target, pending.ops, pending.backup, files, stamp + "-recovered", say,
                    can_roll_back=not pending.rollback):
                return 1
        lives = [lv for rel in files if (lv := paths.live(rel)) is not None]
        if not dry_run:
            remove_stale_staged(lives)
        # Validate everything first, in a staging directory.
        paths.state.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = paths.state / f"staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            write_tree(staging, files)
            checks = run_checks(RenderContext(config, source), staging, set(files))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        failed = [c for c in checks if c.result == "failed"]
        heads = {"ok": "validated  ", "failed": "FAILED     ", "skipped": "skipped    "}
        for c in checks:
            say(heads[c.result] + f"{c.tool} {c.file}" + (f": {c.message}" if c.message else ""))
        if failed:
            say(f"apply: {len(failed)} check(s) failed; nothing was changed")
            return 1
        plans = plan(paths, files, targets, force)
        secrets = secret_values(config)
        refused = [(pl.target, live, why) for pl in plans for live, why in pl.refused]
        for t, live, why in refused:
            say(f"refused    {t}: {live}: {why}; not overwritten without --force. Diff to what apply would write:")
            new = next((d for rel, d in files.items() if paths.live(rel) == live), None)
            sys.stdout.write(diff(live, new, secrets))
        if refused:
            return 1
        if dry_run:
            for pl in plans:
                for live in pl.unchanged:
                    say(f"unchanged  {pl.target}: {live}")
                for op in pl.ops:
                    if op.link is not None:
                        say(f"would link {pl.target}: {op.live} -> {op.link}")
                    else:
                        say(f"would {'remove' if op.data is None else 'write '} {pl.target}: {op.live}")
                        sys.stdout.write(diff(op.live, op.data, secrets))
            say("dry run: nothing was changed")
            return 0
        check_writable(paths, plans)
        for pl in plans:
            if not pl.ops:
                say(f"unchanged  {pl.target} ({len(pl.unchanged)} files)")
                continue
            try:
                backup = transaction(paths, pl.target, pl.ops, stamp)
            except OSError as e:
                raise ApplyError(f"{pl.target}: cannot write {e.filename or ''}: {e.strerror or e}") from None
            say(f"swapped    {pl.target}: {len(pl.ops)} files ({len(pl.unchanged)} unchanged); "
                f"previous set in {backup}")
            prune_backups(paths, pl.target, config.render.apply.keep_backups)
            if not _reload_or_roll_back(paths, reloader, pl.target, pl.ops, backup, files, stamp, say):
                return 1
        return 0
    except ApplyError as e:
        print(f"cflexagent: apply: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`)
        return 1
    except PermissionError as e:
        print(f"cflexagent: apply: {e.filename}: permission denied (run as root or a user that can write it)",
              file=sys.stderr)
        return 1
    except OSError as e:
        print(f"cflexagent: apply: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 1


def _reload_or_roll_back(paths: Paths, reloader: Reloader, target: str, ops: list[Op], backup: Path,
                         files: dict[str, bytes], stamp: str, say: Callable[[str], None],
                         can_roll_back: bool = True) -> bool:
    """Reload a swapped target and check it took; on failure put ``backup`` back and reload that. Ends the
    journal either way (a crash before this point leaves it for the next run's `recover`). False = failed."""
    try:
        _load(paths, reloader, target, ops, files, say)
        end_journal(paths)
        return True
    except (ApplyError, OSError) as e:
        say(f"FAILED     {target}: {failure_text(e)}")
    if not can_roll_back:
        end_journal(paths)
        say(f"apply: the reload of {target}'s rolled-back files failed; fix the service, then reload it")
        return False
    transaction(paths, target, rollback_ops(backup, ops), stamp + "-rollback", rollback=True)
    say(f"rolled back {target}: the previous files are live again")
    try:
        _load(paths, reloader, target, ops, files, say)
    except (ApplyError, OSError) as e2:
        say(f"FAILED     {target}: reload of the previous set failed too: {e2}")
    end_journal(paths)
    say(f"apply: the reload of {target} failed; rolled back")
    return False


def _load(paths: Paths, reloader: Reloader, target: str, ops: list[Op], files: dict[str, bytes],
          say: Callable[[str], None]) -> None:
    """Make a swap live: a reload for config files, a restart for flags and units when ``--restart`` names the
    target, else one line saying the restart is still needed (a reload never loads flags: never claim it)."""
    needs = restart_needs(paths, ops)
    restart_class = {n.file for n in needs} | {op.live for op in ops if op.live.parent == Path(paths.p.systemd_dir)}
    restarting = target in reloader.restart and target != "loki" and bool(needs)
    # Restarting the target's own service (its flags changed) loads its config too; another unit's does not.
    main_restarted = restarting and any(n.kind == "flags" for n in needs)
    if not needs or (not main_restarted and any(op.live not in restart_class for op in ops)):
        say(f"reloaded   {target}: {reloader.reload(target, _live_view(paths, files))}")
    for need in needs:
        if restarting:
            say(f"restarted  {target}: {reloader.restart_unit(target, need)}")
        else:
            say(need.line())


def _live_view(paths: Paths, files: dict[str, bytes]) -> dict[str, bytes]:
    """The rendered-file view of what is live (for the reload check: after a rollback or a recovery the live
    files, not the new render, are what the service must show)."""
    out = dict(files)
    for rel in files:
        live = paths.live(rel)
        if live is not None:
            data = read_live(live)
            if data is not None:
                out[rel] = data
    return out


def secret_values(config: Config) -> list[str]:
    """Values read from *_file keys that end up in rendered files (masked in diffs)."""
    from .alertmanager import SecretFileError, read_secret

    am = config.render.alertmanager
    if not am.watchdog_url_file:
        return []
    try:
        return [read_secret(am.watchdog_url_file, "alertmanager.watchdog_url_file")]
    except SecretFileError:
        return []
