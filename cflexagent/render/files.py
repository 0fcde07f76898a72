"""Writing a rendered set to a directory: only changed files are rewritten (mtime kept), each atomically,
files a previous render wrote but this one does not are removed, and a manifest records what was written.

The manifest (``.cflexagent-manifest.json``: path -> sha256, sorted, no time
stamps) tells `apply` what cflexagent itself wrote, so a hand-edited live file
can be told from one cflexagent put there.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..statefile import atomic_write
from .common import Files

MANIFEST = ".cflexagent-manifest.json"
#: Files holding secrets read from *_file keys (the Watchdog URL) are not world-readable.
FILE_MODE = 0o640


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(files: Files) -> bytes:
    return (json.dumps({p: sha256(b) for p, b in sorted(files.items())}, indent=1) + "\n").encode()


def read_manifest(directory: Path) -> dict[str, str]:
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(k, str) and ".." not in k.split("/")}


def safe_relpath(rel: str) -> str:
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a safe relative path: {rel!r}")
    return rel


def write_tree(directory: Path, files: Files) -> tuple[list[str], list[str], list[str]]:
    """Write ``files`` under ``directory``. Returns (written, unchanged, removed) relative paths.

    Raises OSError (with the path in ``filename``) when something cannot be written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(directory)
    written, unchanged, removed = [], [], []
    for rel, data in files.items():
        path = directory / safe_relpath(rel)
        try:
            if path.read_bytes() == data:
                unchanged.append(rel)
                continue
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            raise IsADirectoryError(21, "is a directory", str(path)) from None
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data, mode=FILE_MODE)
        written.append(rel)
    for rel in sorted(set(previous) - set(files)):
        path = directory / rel
        try:
            path.unlink()
            removed.append(rel)
        except FileNotFoundError:
            pass
        _prune_empty(directory, path.parent)
    man = manifest_bytes(files)
    try:
        same = (directory / MANIFEST).read_bytes() == man
    except OSError:
        same = False
    if not same:
        atomic_write(directory / MANIFEST, man, mode=0o644)
    return written, unchanged, removed


def _prune_empty(root: Path, d: Path) -> None:
    while d != root and root in d.parents:
        try:
            d.rmdir()
        except OSError:
            return
        d = d.parent


def os_error_text(e: OSError) -> str:
    where = f"{e.filename}: " if e.filename else ""
    return f"{where}{e.strerror or e}"

