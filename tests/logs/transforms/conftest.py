"""Fixtures for the log transform tests (redaction, formats, derived metrics)."""

from __future__ import annotations

import pytest

from cflexagent.logs.transforms import redaction
from cflexagent.logs.transforms.config import RedactConfig
from cflexagent.logs.transforms.redact import Redactor


@pytest.fixture
def redactor() -> Redactor:
    return redaction.Redactor(RedactConfig(), key=b"k" * 32)
