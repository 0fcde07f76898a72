"""Fixtures for the log transform tests (redaction, formats, derived metrics)."""

from __future__ import annotations

import pytest

from cflexagent.logs.accel import redaction
from cflexagent.logs.redact import Redactor
from cflexagent.logs.redact_config import RedactConfig


@pytest.fixture
def redactor() -> Redactor:
    return redaction.Redactor(RedactConfig(), key=b"k" * 32)
