"""Build hook: compile the logs hot path (``cflexagent/logs/hotpath.py``) with mypyc when possible.

Everything else about the package is in ``pyproject.toml``. The compiled module
is optional: without mypyc or a C compiler, or with ``CFLEXAGENT_NO_MYPYC=1``,
the package installs as pure Python and runs the same code, slower.

mypyc compiles a copy of ``hotpath.py`` named ``_hotpath_compiled.py``, stamped
with the SHA-256 of the source it came from; the copy is deleted once the C
code is generated, so only the extension module remains and the pure module is
never shadowed. ``cflexagent/logs/accel.py`` uses the extension only while its
stamp matches ``hotpath.py`` (an edit without a rebuild falls back to the source).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

from setuptools import setup  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent
SOURCE = Path("cflexagent", "logs", "hotpath.py")
COPY = SOURCE.with_name("_hotpath_compiled.py")
#: mypy settings for the compile: strict, and only the modules the hot path really uses are
#: analysed (the rest of the package is mypy's job in CI; following it costs ~30 s here).
MYPY_CONFIG = """\
[mypy]
strict = True
follow_imports = skip
[mypy-msgspec.*]
follow_imports = normal
[mypy-cflexagent.sinks.protobuf]
follow_imports = normal
"""


def _warn(msg: str) -> None:
    print(f"cflexagent setup: {msg}; the logs hot path stays pure Python", file=sys.stderr)


def compiled_extensions() -> list[object]:
    if os.environ.get("CFLEXAGENT_NO_MYPYC"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not installed")
        return []
    os.chdir(ROOT)
    src = SOURCE.read_bytes()
    digest = hashlib.sha256(src).hexdigest()
    stamp = f'\n#: SHA-256 of the hotpath.py this was compiled from (see accel.py).\nSOURCE_SHA256 = "{digest}"\n'
    COPY.write_bytes(src + stamp.encode())
    with tempfile.NamedTemporaryFile("w", suffix=".ini") as cfg:
        cfg.write(MYPY_CONFIG)
        cfg.flush()
        try:
            exts = mypycify(["--config-file", cfg.name, str(COPY)], opt_level="3", debug_level="0")
        except (Exception, SystemExit) as e:  # mypy reports type errors by exiting
            _warn(f"mypyc failed ({e})")
            return []
        finally:
            COPY.unlink(missing_ok=True)
    for ext in exts:
        ext.optional = True  # a failing C compiler must not fail the install
    return list(exts)


setup(ext_modules=compiled_extensions())
