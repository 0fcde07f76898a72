#!/usr/bin/env bash
# Builds the one-file binary dist/cflexagent with PyInstaller and smoke-tests it.
set -euo pipefail
cd "$(dirname "$0")/.."
# The mypyc builds of the per-line modules (cflexagent/compiled.py), fresh for this source (the binary ships no
# .py to check them against): pip builds a wheel in an isolated environment (pyproject.toml's build
# requirements) and its compiled modules go next to their sources; the installed package is left alone.
rm -rf build/wheel
python3 -m pip wheel -q --disable-pip-version-check --no-deps -w build/wheel .
python3 -c '
import glob, zipfile
with zipfile.ZipFile(glob.glob("build/wheel/cflexagent-*.whl")[0]) as whl:
    for name in whl.namelist():
        if "_compiled" in name.rpartition("/")[2] and name.endswith(".so"):
            whl.extract(name, ".")
'
PYTHONPATH=. python3 -c '
from cflexagent import compiled
from cflexagent.logs.parsers import json
from cflexagent.logs import transforms
from cflexagent.sinks.loki import encode
print("per-line modules:", compiled.BUILDS)'
python3 -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/cflexagent.spec
ls -l dist/cflexagent
dist/cflexagent --version
