"""Housekeeping for the PyInstaller one-file binary.

The bootloader unpacks into ``$TMPDIR/_MEIxxxxxx`` (the systemd unit points
TMPDIR at ``/var/lib/cflexagent/.runtime`` because /tmp may be noexec and
ProtectSystem=strict makes most paths read-only). A process killed with
SIGKILL leaves its folder behind; at start we hold a lock on our own folder
and remove siblings whose lock nobody holds. Only folders that hold our own
bundle (``cflexagent/data``) are touched: $TMPDIR may be shared with other
PyInstaller programs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import time
from pathlib import Path

_LOCK_NAME = ".cflexagent.lock"
#: Present in every extraction of our binary (the spec bundles cflexagent/data).
_MARKER = "cflexagent/data"
#: A folder without a lock file may belong to a process that is still starting.
_UNLOCKED_GRACE = 300.0
_held: list[int] = []


def clean_stale_extractions() -> list[Path]:
    """Lock our extraction folder and delete stale siblings; returns what was removed."""
    meipass = getattr(sys, "_MEIPASS", None)
    if not meipass or not getattr(sys, "frozen", False):
        return []
    own = Path(meipass)
    with contextlib.suppress(OSError):
        fd = os.open(own / _LOCK_NAME, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _held.append(fd)
    return remove_stale(own.parent, keep=own)


def remove_stale(parent: Path, keep: Path | None = None, now: float | None = None) -> list[Path]:
    removed = []
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        for d in parent.glob("_MEI*"):
            if d == keep or not d.is_dir() or d.is_symlink() or not (d / _MARKER).is_dir():
                continue
            lock = d / _LOCK_NAME
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                with contextlib.suppress(OSError):
                    if now - d.stat().st_mtime > _UNLOCKED_GRACE:
                        shutil.rmtree(d, ignore_errors=True)
                        removed.append(d)
                continue
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)  # in use by a running process
                continue
            shutil.rmtree(d, ignore_errors=True)
            os.close(fd)
            removed.append(d)
    return removed
