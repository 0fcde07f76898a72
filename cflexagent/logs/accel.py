"""Picks the implementation of the logs pipeline's per-line code: mypyc-compiled when present and current.

Three modules run once per shipped line: ``hotpath.py`` (JSON lines -> records,
timestamps, protobuf entries), ``redact.py`` (redaction) and ``names.py`` (the
name finder redaction calls on free text). Each is the source
of truth; ``setup.py`` compiles a copy of it with mypyc into
``_<name>_compiled`` (an extension module, no ``.py`` left behind), stamped
with the SHA-256 of the source it was built from. A compiled module is used
only when

- it imports (it was built, for this Python),
- its stamp matches the source next to it (an edited source with a stale
  build falls back to the source; a frozen binary ships no source and trusts its
  build, which ``packaging/build.sh`` makes fresh), and
- ``CFLEXAGENT_PURE_PYTHON`` is not set (tests and comparisons of the two).

``hot``, ``redaction`` and ``names`` are the chosen modules; ``IMPLEMENTATION``
says what runs: "mypyc" (all compiled), "python" (none) or, after a partial
build, which one is which.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from . import hotpath as _hotpath
from . import names as _names
from . import redact as _redact

#: The modules compiled by setup.py.
PURE: dict[str, ModuleType] = {"hotpath": _hotpath, "redact": _redact, "names": _names}


def compiled_name(pure: ModuleType) -> str:
    package, _, name = pure.__name__.rpartition(".")
    return f"{package}._{name}_compiled"


def source_digest(pure: ModuleType) -> str | None:
    """SHA-256 of the module's source, or None where the source is not shipped (a frozen binary)."""
    try:
        return hashlib.sha256(Path(pure.__file__ or "").read_bytes()).hexdigest()
    except OSError:
        return None


def compiled_module(pure: ModuleType) -> ModuleType | None:
    """The compiled copy of ``pure`` if it exists and was built from the current source."""
    try:
        mod = importlib.import_module(compiled_name(pure))
    except ImportError:
        return None
    digest = source_digest(pure)
    if digest is None and not getattr(sys, "frozen", False):
        return None
    if digest is not None and getattr(mod, "SOURCE_SHA256", None) != digest:
        return None
    return mod


def _select(pure: ModuleType) -> ModuleType:
    if os.environ.get("CFLEXAGENT_PURE_PYTHON"):
        return pure
    return compiled_module(pure) or pure


if TYPE_CHECKING:
    # Both implementations have exactly the source's interface.
    hot = _hotpath
    redaction = _redact
    names = _names
else:
    hot = _select(_hotpath)
    redaction = _select(_redact)
    names = _select(_names)
_CHOSEN = {"hotpath": hot, "redact": redaction, "names": names}
#: Module name -> "mypyc" or "python" (served as ``cflexagent_log_code_info``).
KINDS = {name: "python" if _CHOSEN[name] is pure else "mypyc" for name, pure in PURE.items()}
IMPLEMENTATION = (next(iter(KINDS.values())) if len(set(KINDS.values())) == 1
                  else ", ".join(f"{name}: {kind}" for name, kind in KINDS.items()))
