"""Fixtures for the log transform tests (redaction, formats, derived metrics)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from cflexagent.logs.accel import redaction
from cflexagent.logs.redact import Redactor
from cflexagent.logs.redact_config import RedactConfig


@pytest.fixture
def redactor() -> Redactor:
    return redaction.Redactor(RedactConfig(), key=b"k" * 32)


async def eventually(predicate: Callable[[], bool], within: float = 60.0) -> None:
    """Wait until ``predicate()`` holds (checked every 50 ms), for conditions nothing signals (files)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.05)
