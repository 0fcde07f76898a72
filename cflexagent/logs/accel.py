"""Picks the implementation of the logs hot path: mypyc-compiled when present and current, else pure Python.

``hotpath.py`` is the source of truth. ``setup.py`` compiles a copy of it with
mypyc into ``_hotpath_compiled`` (an extension module, no ``.py`` left behind),
stamped with the SHA-256 of the ``hotpath.py`` it was built from. The compiled
module is used only when

- it imports (it was built, for this Python),
- its stamp matches the ``hotpath.py`` next to it (an edited source with a stale
  build falls back to the source; a frozen binary ships no source and trusts its
  build, which ``packaging/build.sh`` makes fresh), and
- ``CFLEXAGENT_PURE_PYTHON`` is not set (tests and comparisons of the two).

``IMPLEMENTATION`` says which one runs ("mypyc" or "python").
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from . import hotpath as _pure

COMPILED_NAME = f"{__package__}._hotpath_compiled"


def source_digest() -> str | None:
    """SHA-256 of ``hotpath.py``'s source, or None where the source is not shipped (a frozen binary)."""
    try:
        return hashlib.sha256(Path(_pure.__file__).read_bytes()).hexdigest()
    except (OSError, TypeError):
        return None


def compiled_module() -> ModuleType | None:
    """The compiled hot path if it exists and was built from the current source."""
    try:
        mod = importlib.import_module(COMPILED_NAME)
    except ImportError:
        return None
    digest = source_digest()
    if digest is None and not getattr(sys, "frozen", False):
        return None
    if digest is not None and getattr(mod, "SOURCE_SHA256", None) != digest:
        return None
    return mod


def _select() -> ModuleType:
    if os.environ.get("CFLEXAGENT_PURE_PYTHON"):
        return _pure
    return compiled_module() or _pure


if TYPE_CHECKING:
    hot = _pure  # both implementations have exactly hotpath.py's interface
else:
    hot = _select()
IMPLEMENTATION = "python" if hot is _pure else "mypyc"
