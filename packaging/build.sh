#!/usr/bin/env bash
# Builds the one-file binary dist/cflexagent with PyInstaller and smoke-tests it.
set -euo pipefail
cd "$(dirname "$0")/.."
# The mypyc build of the logs hot path, fresh for this source (the binary ships no .py to check it against).
python3 setup.py -q build_ext --inplace
python3 -c 'import cflexagent.logs.accel as a; print("logs hot path:", a.IMPLEMENTATION)'
python3 -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/cflexagent.spec
ls -l dist/cflexagent
dist/cflexagent --version
