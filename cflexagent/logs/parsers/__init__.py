"""Parsers: a source's lines (bytes) -> ``LogBatch`` (``logs/batch.py``).

Everything here is synchronous and does no I/O: lines go in, a batch of
records comes out. ``PARSERS`` maps a source ``format`` to a factory
``(SourceBase, LogMetrics) -> Parser``; a parser object is built per source
and may keep state between batches.

- ``json.py``: one JSON object per line (the per-line loop is ``jsonlines.py``,
  compiled with mypyc when possible);
- ``text.py``: raw lines, nginx access and error logs, syslog, systemd journal JSON;
- ``timestamps.py``: RFC 3339 and epoch timestamps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .json import JSONParser
from .text import JournalParser, NginxAccessParser, NginxErrorParser, RawParser, SyslogParser

if TYPE_CHECKING:
    from ..batch import LogBatch
    from ..config import SourceBase
    from ..metrics import LogMetrics


class Parser(Protocol):
    def parse(self, lines: list[bytes], read_ns: int) -> LogBatch: ...


PARSERS: dict[str, Callable[..., Parser]] = {
    "raw": RawParser,
    "json": JSONParser,
    "nginx_access": NginxAccessParser,
    "nginx_error": NginxErrorParser,
    "syslog": SyslogParser,
    "journal": JournalParser,
}


def build_parser(source: SourceBase, metrics: LogMetrics, full_records: bool = True) -> Parser:
    """The source's parser; ``full_records=False`` when nothing but the sinks' encoders read the
    records (no transforms), which lets the JSON parser skip the fields it does not ship."""
    if source.format == "json":
        return JSONParser(source, metrics, full_records)  # type: ignore[arg-type]
    return PARSERS[source.format](source, metrics)
