"""Picks the mypyc-compiled build of a per-line module when it is present and current.

Four modules run once per shipped log line: ``logs/parsers/jsonlines.py``
(JSON lines -> records and timestamps), ``logs/transforms/redact.py``
(redaction) with ``logs/transforms/names.py`` (personal names in free text),
and ``sinks/loki/entries.py`` (records -> protobuf entries). Each
is the source of truth; ``setup.py`` compiles a copy of it with mypyc into
``_<name>_compiled`` next to it (an extension module, no ``.py`` left behind),
stamped with the SHA-256 of the source it was built from. ``select(module)``
gives the compiled module only when

- it imports (it was built, for this Python),
- its stamp matches the source next to it (an edited source with a stale
  build falls back to the source; a frozen binary ships no source and trusts its
  build, which ``packaging/build.sh`` makes fresh), and
- ``CFLEXAGENT_PURE_PYTHON`` is not set (tests and comparisons of the two).

``BUILDS`` records what each selected module runs ("mypyc" or "python"), for
``cflexagent_log_code_info``.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

#: The modules setup.py compiles (paths relative to the repository root).
SOURCES = ("cflexagent/logs/parsers/jsonlines.py", "cflexagent/logs/transforms/redact.py",
           "cflexagent/logs/transforms/names.py", "cflexagent/sinks/loki/entries.py")
#: Short name of each selected module -> "mypyc" or "python".
BUILDS: dict[str, str] = {}


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


def select(pure: ModuleType) -> ModuleType:
    """The build of ``pure`` to run: compiled when current (see the module doc), else ``pure`` itself."""
    chosen = None if os.environ.get("CFLEXAGENT_PURE_PYTHON") else compiled_module(pure)
    BUILDS[pure.__name__.rpartition(".")[2]] = "python" if chosen is None else "mypyc"
    return chosen or pure
