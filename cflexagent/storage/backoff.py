"""Login backoff kept on disk, so restarts and the CLI never hammer a cPanel login.

cPanel hosts run CSF/LFD, which bans an IP (sometimes for good) after a few
failed logins. After an authentication failure the agent waits
``auth_backoff``, doubling per further failure up to ``auth_backoff_max``; the
state lives in ``<state_dir>/storage/login-backoff.json`` (a versioned JSON
document written atomically: temp file, fsync, rename, fsync of the directory)
so the agent after a restart, ``storage scan`` and ``storage trust`` all honour
it unless ``--force`` is given. A successful login clears it. The state is keyed
by ``user@host:port``: pointing the config at another account starts clean.

Failing safe: a state file that exists but cannot be read counts as a failure
at the file's modification time (no login for ``auth_backoff`` after it was
last written; a damaged file neither unlocks logins nor blocks them forever).
A state file that cannot be written does not stop the backoff either: it is
also kept in this process's memory (``save_error`` tells the caller to log and
count it), so a restarted component still waits.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..statefile import atomic_write

FORMAT_VERSION = 1


@dataclass
class LoginBackoff:
    target: str = ""
    failures: int = 0
    until: float = 0.0
    last_error: str = ""
    last_failure: float = 0.0
    #: Why the last change could not be written to disk ("" when it was).
    save_error: str = ""

    def active(self, now: float) -> bool:
        return self.failures > 0 and now < self.until


#: Backoffs recorded by this process, by (state file, target): the fallback when the file cannot be written.
_memory: dict[tuple[str, str], LoginBackoff] = {}


def path_for(state_dir: Path) -> Path:
    return Path(state_dir) / "storage" / "login-backoff.json"


def target_of(username: str, host: str, port: int) -> str:
    return f"{username}@{host}:{port}"


def _key(state_dir: Path, target: str) -> tuple[str, str]:
    return (str(path_for(state_dir).absolute()), target)


def load(state_dir: Path, target: str, base: float) -> LoginBackoff:
    """The backoff for ``target`` (``base``: the configured ``auth_backoff``).

    A missing or foreign file means none; an unreadable one means a failure at
    its modification time. A backoff this process could not save still counts.
    """
    b = _load_file(state_dir, target, base)
    mem = _memory.get(_key(state_dir, target))
    if mem is not None and mem.until > b.until:
        return LoginBackoff(mem.target, mem.failures, mem.until, mem.last_error, mem.last_failure)
    return b


def _damaged(p: Path, target: str, base: float, what: str) -> LoginBackoff:
    try:
        since = p.stat().st_mtime
    except OSError:
        since = time.time()
    return LoginBackoff(target, failures=1, until=since + base, last_error=f"{what} backoff state {p}",
                        last_failure=since)


def _load_file(state_dir: Path, target: str, base: float) -> LoginBackoff:
    p = path_for(state_dir)
    try:
        doc: Any = orjson.loads(p.read_bytes())
    except FileNotFoundError:
        return LoginBackoff(target)
    except (OSError, orjson.JSONDecodeError):
        return _damaged(p, target, base, "unreadable")
    if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
        return LoginBackoff(target)
    entry = (doc.get("targets") or {}).get(target)
    if entry is None:
        return LoginBackoff(target)
    try:
        if not isinstance(entry, dict):
            raise TypeError
        return LoginBackoff(target, int(entry.get("failures", 0)), float(entry.get("until", 0.0)),
                            str(entry.get("last_error", "")), float(entry.get("last_failure", 0.0)))
    except (TypeError, ValueError):
        return _damaged(p, target, base, "malformed")


def save(state_dir: Path, b: LoginBackoff) -> None:
    """Write ``b`` into the state file (raises OSError)."""
    p = path_for(state_dir)
    p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    targets: dict[str, Any] = {}
    with contextlib.suppress(OSError, orjson.JSONDecodeError, AttributeError):
        old = orjson.loads(p.read_bytes())
        if isinstance(old, dict) and old.get("version") == FORMAT_VERSION and isinstance(old.get("targets"), dict):
            targets = old["targets"]
    if b.failures:
        targets[b.target] = {"failures": b.failures, "until": b.until, "last_error": b.last_error,
                             "last_failure": b.last_failure}
    else:
        targets.pop(b.target, None)
    data = orjson.dumps({"version": FORMAT_VERSION, "targets": targets}, option=orjson.OPT_INDENT_2)
    atomic_write(p, data)


def _keep(state_dir: Path, b: LoginBackoff) -> None:
    """Write ``b`` to disk, or else keep it in memory: never raises; a write failure lands in ``b.save_error``."""
    key = _key(state_dir, b.target)
    try:
        save(state_dir, b)
    except OSError as e:
        b.save_error = f"cannot write {path_for(state_dir)}: {e.strerror or e}"
        if b.failures:
            _memory[key] = LoginBackoff(b.target, b.failures, b.until, b.last_error, b.last_failure)
        else:
            _memory.pop(key, None)
        return
    b.save_error = ""
    # On disk now: the file is the one truth again (so deleting it by hand still unlocks).
    _memory.pop(key, None)


def record_failure(state_dir: Path, b: LoginBackoff, base: float, maximum: float, error: str,
                   now: float | None = None) -> LoginBackoff:
    now = time.time() if now is None else now
    b.failures += 1
    b.until = now + min(maximum, base * 2 ** (b.failures - 1))
    b.last_error = error
    b.last_failure = now
    _keep(state_dir, b)
    return b


def clear(state_dir: Path, b: LoginBackoff) -> None:
    if b.failures:
        b.failures, b.until, b.last_error = 0, 0.0, ""
        _keep(state_dir, b)
