"""Atomic state-file writes: the old or the new content, and no temp file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from cflexagent.statefile import atomic_write


def test_replaces_atomically_with_mode(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two" * 100_000, mode=0o640)
    assert target.read_bytes() == b"two" * 100_000
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_failure_keeps_old_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state"
    target.mkdir()  # a directory where the file belongs: the rename fails
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["state"]
