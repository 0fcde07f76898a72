"""Config of ``[logs]``: Loki sink, console sink, sources (filled in by the logs component)."""

from __future__ import annotations

from ..configtypes import Section


class LogsConfig(Section):
    pass
