"""The ``json`` format: one JSON object per line (msgspec), the timestamp from ``timestamp_field``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict

import msgspec

from ...compiled import select
from ..batch import LogBatch
from . import jsonlines as _jsonlines
from .timestamps import SECOND_CACHE, timestamp_ns

if TYPE_CHECKING:
    from ..config import JsonSource
    from ..metrics import LogMetrics

    jsonlines = _jsonlines
else:
    jsonlines = select(_jsonlines)


class JSONParser:
    """One JSON object per line (msgspec); the timestamp from ``timestamp_field`` (RFC 3339 or epoch).

    A line that is not a JSON object is kept raw (``records[i] is None``) and counted.
    ``full_records=False`` (no transform reads the records): each record holds only the fields
    shipped as labels, metadata and timestamp; the decoder skips the rest without building it,
    which saves about a tenth of the parse time.
    """

    def __init__(self, source: JsonSource, metrics: LogMetrics, full_records: bool = True) -> None:
        self.name = source.name
        self.ts_field = source.timestamp_field
        self.decode = jsonlines.decode_any if full_records else shipped_fields_decoder(source)
        self._unparsed = metrics.unparsed_lines.labels(source.name)
        self._ts_fallback = metrics.timestamp_fallback.labels(source.name)

    def parse(self, lines: list[bytes], read_ns: int) -> LogBatch:
        records, stamps, bad, fallback = jsonlines.parse_json_lines(lines, read_ns, self.ts_field, SECOND_CACHE,
                                                              timestamp_ns, self.decode)
        if bad:
            self._unparsed.inc(bad)
        if fallback:
            self._ts_fallback.inc(fallback)
        return LogBatch(self.name, lines, records, stamps, json_lines=True)


def shipped_fields_decoder(source: JsonSource) -> Callable[[bytes], Any]:
    """A decoder of JSON objects into dicts of only the fields the stream encoder reads."""
    names = dict.fromkeys([*source.label_fields, *source.metadata_fields,
                           *([source.timestamp_field] if source.timestamp_field else [])])
    shape = TypedDict("ShippedFields", {n: Any for n in names}, total=False)  # type: ignore[misc]
    return msgspec.json.Decoder(shape).decode
