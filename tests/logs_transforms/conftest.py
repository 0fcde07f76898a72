"""Fixtures for the log transform tests (redaction, formats, derived metrics)."""

from __future__ import annotations

import pytest

from cflexagent.logs.redact import Redactor
from cflexagent.logs.redact_config import RedactConfig


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(RedactConfig(), key=b"k" * 32)
