#!/usr/bin/env bash
# Builds the one-file binary dist/cflexagent with PyInstaller and smoke-tests it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/cflexagent.spec
ls -l dist/cflexagent
dist/cflexagent --version
