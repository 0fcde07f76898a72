"""Shared test helpers: every server listens on 127.0.0.1 with a port from the kernel."""

from __future__ import annotations

import socket

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def state_dir(tmp_path):
    d = tmp_path / "state"
    return d
