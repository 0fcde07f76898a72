"""Login backoff kept on disk, so restarts and the CLI never hammer a cPanel login.

cPanel hosts run CSF/LFD, which bans an IP (sometimes for good) after a few
failed logins. After an authentication failure the agent waits
``auth_backoff``, doubling per further failure up to ``auth_backoff_max``; the
state lives in ``<state_dir>/storage/login-backoff.json`` (a versioned JSON
document written atomically: temp file, fsync, rename, fsync of the directory)
so the agent after a restart, ``storage scan`` and ``storage trust`` all honour
it unless ``--force`` is given. A successful login clears it. The state is keyed
by ``user@host:port``: pointing the config at another account starts clean.
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

    def active(self, now: float) -> bool:
        return self.failures > 0 and now < self.until


def path_for(state_dir: Path) -> Path:
    return Path(state_dir) / "storage" / "login-backoff.json"


def target_of(username: str, host: str, port: int) -> str:
    return f"{username}@{host}:{port}"


def load(state_dir: Path, target: str) -> LoginBackoff:
    """The backoff for ``target``; a missing, foreign or unreadable file means none."""
    p = path_for(state_dir)
    try:
        doc: Any = orjson.loads(p.read_bytes())
    except FileNotFoundError:
        return LoginBackoff(target)
    except (OSError, orjson.JSONDecodeError):
        # A damaged file must not unlock logins forever, nor block them forever:
        # treat it as one recent failure so the next attempt waits the base backoff.
        return LoginBackoff(target, failures=1, until=0.0, last_error="unreadable backoff state")
    if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
        return LoginBackoff(target)
    entry = (doc.get("targets") or {}).get(target)
    if not isinstance(entry, dict):
        return LoginBackoff(target)
    try:
        return LoginBackoff(target, int(entry.get("failures", 0)), float(entry.get("until", 0.0)),
                            str(entry.get("last_error", "")), float(entry.get("last_failure", 0.0)))
    except (TypeError, ValueError):
        return LoginBackoff(target, failures=1)


def save(state_dir: Path, b: LoginBackoff) -> None:
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


def record_failure(state_dir: Path, b: LoginBackoff, base: float, maximum: float, error: str,
                   now: float | None = None) -> LoginBackoff:
    now = time.time() if now is None else now
    b.failures += 1
    b.until = now + min(maximum, base * 2 ** (b.failures - 1))
    b.last_error = error
    b.last_failure = now
    save(state_dir, b)
    return b


def clear(state_dir: Path, b: LoginBackoff) -> None:
    if b.failures:
        b.failures, b.until, b.last_error = 0, 0.0, ""
        save(state_dir, b)
