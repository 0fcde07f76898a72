"""A redaction hash key the agent cannot create: `check` says so, `run` exits 2 with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CFG = """[agent]
state_dir = "{state}"
[server]
listen = "127.0.0.1:0"
[logs.console]
[[logs.sources]]
name = "app"
paths = ["{logs}/*.log"]
[logs.redact]
field_action = "hash"
hash_key_file = "{key}"
"""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cflexagent", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("key", ["/proc/nope/redact.key", "/dev/null/redact.key"])
def test_uncreatable_hash_key_is_a_config_error(tmp_path: Path, key: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(CFG.format(state=tmp_path / "state", logs=tmp_path, key=key))
    checked = cli("check", "-c", str(cfg))
    assert checked.returncode == 2
    assert f"{cfg}: error: logs.redact.hash_key_file: cannot create {key}" in checked.stderr
    ran = cli("run", "-c", str(cfg))
    assert ran.returncode == 2
    assert ran.stderr.startswith(f"{cfg}: logs.redact.hash_key_file: cannot create or read {key}: ")
    assert ran.stderr.count("\n") == 1 and "Traceback" not in ran.stderr


def test_creatable_hash_key_passes_check_without_creating_it(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "redact.key"
    cfg = tmp_path / "c.toml"
    cfg.write_text(CFG.format(state=tmp_path / "state", logs=tmp_path, key=key))
    checked = cli("check", "-c", str(cfg))
    assert "hash_key_file" not in checked.stderr
    assert not key.exists() and list(tmp_path.iterdir()) == [cfg]
