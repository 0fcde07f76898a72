"""Stale one-file extraction folders are removed; folders of running processes are kept."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from cflexagent.onefile import _LOCK_NAME, remove_stale


def test_remove_stale(tmp_path: Path) -> None:
    own = tmp_path / "_MEIown"
    locked = tmp_path / "_MEIlocked"
    unlocked = tmp_path / "_MEIunlocked"
    fresh = tmp_path / "_MEIfresh"
    old_nolock = tmp_path / "_MEIold"
    other = tmp_path / "unrelated"
    foreign = tmp_path / "_MEIforeign"  # another PyInstaller program's folder
    for d in (own, locked, unlocked, fresh, old_nolock, other):
        (d / "cflexagent" / "data").mkdir(parents=True)
    foreign.mkdir()
    (unlocked / _LOCK_NAME).touch()
    fd = os.open(locked / _LOCK_NAME, os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    past = time.time() - 3600
    os.utime(old_nolock, (past, past))
    os.utime(foreign, (past, past))
    try:
        removed = remove_stale(tmp_path, keep=own)
    finally:
        os.close(fd)
    assert sorted(removed) == sorted([unlocked, old_nolock])
    assert own.exists() and locked.exists() and fresh.exists() and other.exists() and foreign.exists()
