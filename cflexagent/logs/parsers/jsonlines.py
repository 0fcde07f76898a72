"""The per-line loop of the JSON parser: JSON lines -> records + timestamps.

Plain typed functions over lists, dicts, ``str``/``bytes`` and ``int``; the
caller (``json.JSONParser``) keeps the configuration and the metrics and hands
this module only plain values. The module is pure Python and correct as is;
``setup.py`` also compiles it with mypyc (``compiled.py`` picks the build),
which runs the same code about twice as fast. Hence the style: no closures or
dynamic tricks, precise annotations (mypyc checks them at run time), and
locals rather than attribute lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec

#: msgspec's JSON codec: on CFlex lines it decodes about twice as fast as orjson once the
#: lines vary (benchmarks/logs.py), keeps integers of any size, and encodes what it decodes.
#: ``json.JSONParser`` passes its decoder (every field, or only the fields it ships).
decode_any: Callable[[bytes], Any] = msgspec.json.Decoder().decode
_ENCODE: Final[Callable[[Any], bytes]] = msgspec.json.Encoder().encode


def parse_json_lines(lines: list[bytes], read_ns: int, ts_field: str, second_cache: dict[str, int],
                     ts_slow: Callable[[Any], int | None], decode: Callable[[bytes], Any]) \
        -> tuple[list[dict[str, Any] | None], list[int], int, int]:
    """One JSON object per line -> (records, timestamps in Unix ns, lines not an object, timestamps
    that fell back to the read time).

    ``decode`` is a msgspec decoder's ``decode``: a line it refuses gets no record -- whatever
    it raises (``msgspec.DecodeError``, and ``RecursionError`` on an object nested a thousand
    levels deep): a hostile line is shipped raw and counted, it never stops the source.

    A line that is not a JSON object gets ``None`` and the read time. Read times are
    ``read_ns + i`` (the i-th line of the batch), which keeps the order within a stream.
    ``second_cache`` maps ``YYYY-MM-DDTHH:MM:SS`` to Unix ns (filled by ``ts_slow``), so the
    usual ``...SS.ffffffZ`` stamp costs one lookup and one ``int()``; any other value goes
    through ``ts_slow`` (RFC 3339 strings, epoch numbers; ``None`` when unusable).
    """
    loads = decode
    records: list[dict[str, Any] | None] = []
    stamps: list[int] = []
    bad = 0
    fallback = 0
    i = read_ns - 1
    last_prefix = ""
    last_base = 0
    for line in lines:
        i += 1
        try:
            parsed: Any = loads(line)
        except Exception:
            parsed = None
        if type(parsed) is not dict:
            bad += 1
            records.append(None)
            stamps.append(i)
            continue
        rec: dict[str, Any] = parsed
        records.append(rec)
        if not ts_field:
            stamps.append(i)
            continue
        v: Any = rec.get(ts_field)
        if type(v) is str:
            s: str = v
            # "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds, UTC): the second is usually the
            # previous line's, else one cache lookup.
            if len(s) == 27 and s[26] == "Z" and s[19] == ".":
                if last_prefix and s.startswith(last_prefix):
                    base: int | None = last_base
                else:
                    prefix = s[:19]
                    base = second_cache.get(prefix)
                    if base is not None:
                        last_prefix = prefix
                        last_base = base
                if base is not None:
                    frac = 0
                    for c in range(20, 26):
                        d = ord(s[c]) - 48
                        if d < 0 or d > 9:  # ASCII digits only
                            break
                        frac = frac * 10 + d
                    else:
                        stamps.append(base + frac * 1000)
                        continue
        ts = ts_slow(v) if v is not None else None
        if ts is None:
            fallback += 1
            ts = i
        stamps.append(ts)
    return records, stamps, bad, fallback


def json_bytes(v: Any) -> bytes:
    """``v`` as compact JSON (the codec the parser decodes with, so any value it produced encodes)."""
    return _ENCODE(v)


def json_text(v: Any) -> str:
    return _ENCODE(v).decode()


