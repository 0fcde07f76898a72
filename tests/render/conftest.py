"""Render-test helpers: the example config, a config without [render], and rendered sets on disk."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cflexagent.config import Config, load, parse
from cflexagent.render import render_all
from cflexagent.render.files import write_tree

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs" / "cflexagent.example.toml"
#: The name the golden files and headers use for the example config.
EXAMPLE_SOURCE = "configs/cflexagent.example.toml"


def tool(name: str) -> str:
    """The path of a real tool the test needs; a missing one FAILS the test (CI installs them all)."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.fail(f"{name} is not installed; the render tests run the real tool (apt-get install it)")
    return path


def run(argv: list[str], cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def example_config() -> Config:
    return load(EXAMPLE)


def render_to(directory: Path, config: Config, source: str = EXAMPLE_SOURCE) -> dict[str, bytes]:
    files = render_all(config, source)
    write_tree(directory, files)
    return files


@pytest.fixture
def example() -> Config:
    return example_config()


@pytest.fixture
def no_render() -> Config:
    """A config with no [render] section at all: the design's defaults."""
    return parse('[agent]\ninstance = "vps1"\n', "bare.toml")


@pytest.fixture
def example_set(tmp_path: Path, example: Config) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "set"
    return out, render_to(out, example)
