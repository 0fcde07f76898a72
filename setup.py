"""Build hook: compile the per-line code of the logs pipeline with mypyc when possible.

Everything else about the package is in ``pyproject.toml``. The compiled modules
are optional: without mypyc or a C compiler, or with ``CFLEXAGENT_NO_MYPYC=1``,
the package installs as pure Python and runs the same code, slower.

Three modules are compiled (``cflexagent/logs/accel.py`` lists them):
``hotpath.py`` (parse and protobuf-encode JSON lines), ``redact.py``
(redaction) and ``names.py`` (its name finder). mypyc compiles a copy of each, named ``_<module>_compiled.py`` and
stamped with the SHA-256 of the source it came from; the copies are deleted once
the C code is generated, so only the extension modules remain and the pure
modules are never shadowed. ``accel.py`` uses an extension only while its stamp
matches its source (an edit without a rebuild falls back to the source).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

from setuptools import setup  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent
LOGS = Path("cflexagent", "logs")
#: The compiled modules' sources, each compiled as ``_<name>_compiled``.
SOURCES = [LOGS / "hotpath.py", LOGS / "redact.py", LOGS / "names.py"]
#: mypy settings for the compile: strict, and only the modules the compiled code really uses are
#: analysed (the rest of the package is mypy's job in CI; following it costs ~30 s here).
MYPY_CONFIG = """\
[mypy]
strict = True
follow_imports = skip
# Not installed where the build runs (prometheus_client, imported lazily by redact.py): Any.
ignore_missing_imports = True
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
    copies = []
    for source in SOURCES:
        src = source.read_bytes()
        digest = hashlib.sha256(src).hexdigest()
        stamp = (f"\n#: SHA-256 of the {source.name} this was compiled from (see accel.py).\n"
                 f'SOURCE_SHA256 = "{digest}"\n')
        copy = source.with_name(f"_{source.stem}_compiled.py")
        copy.write_bytes(src + stamp.encode())
        copies.append(copy)
    with tempfile.NamedTemporaryFile("w", suffix=".ini") as cfg:
        cfg.write(MYPY_CONFIG)
        cfg.flush()
        try:
            # One shared library per module (``separate``), next to it in the package.
            exts = mypycify(["--config-file", cfg.name, *map(str, copies)], opt_level="3", debug_level="0",
                            separate=True)
        except (Exception, SystemExit) as e:  # mypy reports type errors by exiting
            _warn(f"mypyc failed ({e})")
            return []
        finally:
            for copy in copies:
                copy.unlink(missing_ok=True)
    for ext in exts:
        ext.optional = True  # a failing C compiler must not fail the install
    return list(exts)


setup(ext_modules=compiled_extensions())
