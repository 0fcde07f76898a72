"""Timestamps of log lines: RFC 3339 strings and epoch numbers -> Unix nanoseconds.

Pure functions. A log's lines share their minute (and mostly their second),
so the ``YYYY-MM-DDTHH:MM`` and ``YYYY-MM-DDTHH:MM:SS`` prefixes are cached
(bounded); the usual ``...SS.ffffffZ`` stamp costs one lookup and one ``int()``.
"""

from __future__ import annotations

import calendar
from typing import Any

_MINUTE_CACHE: dict[str, int] = {}
_DIGITS = frozenset("0123456789")


def _minute_epoch(prefix: str) -> int | None:
    """Unix seconds of ``YYYY-MM-DDTHH:MM`` (UTC); cached, since a log's lines share their minute."""
    base = _MINUTE_CACHE.get(prefix)
    if base is not None:
        return base
    if not (prefix[4] == "-" and prefix[7] == "-" and prefix[10] in "Tt " and prefix[13] == ":"):
        return None
    parts = (prefix[0:4], prefix[5:7], prefix[8:10], prefix[11:13], prefix[14:16])
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    y, mo, d, h, mi = map(int, parts)
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59):
        return None
    try:
        base = calendar.timegm((y, mo, d, h, mi, 0, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    if len(_MINUTE_CACHE) > 4096:
        _MINUTE_CACHE.clear()
    _MINUTE_CACHE[prefix] = base
    return base


#: ``YYYY-MM-DDTHH:MM:SS`` (UTC) -> Unix ns; ``jsonlines.parse_json_lines`` reads it too.
SECOND_CACHE: dict[str, int] = {}
_FRAC_SCALE = {1: 100_000_000, 2: 10_000_000, 3: 1_000_000, 4: 100_000, 5: 10_000, 6: 1_000, 7: 100, 8: 10, 9: 1}


def rfc3339_ns(s: str) -> int | None:
    """``2025-08-22T12:00:00.123Z`` / ``...+07:00`` / ``2025-08-22 12:00:00Z`` -> Unix ns, or None.

    The UTC forms logs use (``Z``, 0-9 fraction digits) take a fast path: the
    ``YYYY-MM-DDTHH:MM:SS`` prefix is looked up in a per-second cache, leaving
    one ``int()`` of the fraction per line.
    """
    n = len(s)
    if n >= 20 and s[-1] == "Z":
        base = SECOND_CACHE.get(s[:19])
        if base is not None:
            if n == 20:
                return base
            frac = s[20:-1]
            if s[19] == "." and len(frac) <= 9 and frac.isascii() and frac.isdigit():
                return base + int(frac) * _FRAC_SCALE[len(frac)]
    return _rfc3339_slow(s)


def _rfc3339_slow(s: str) -> int | None:
    if len(s) < 20 or s[16] != ":":
        return None
    base = _minute_epoch(s[:16])
    if base is None:
        return None
    sec = s[17:19]
    if not (sec[0] in _DIGITS and sec[1] in _DIGITS) or sec > "60":
        return None
    total = base + int(sec)
    if s[-1] in "Zz":
        if len(SECOND_CACHE) > 4096:
            SECOND_CACHE.clear()
        SECOND_CACHE[s[:19]] = total * 1_000_000_000
    rest = s[19:]
    nanos = 0
    if rest[0] == ".":
        i = 1
        n = len(rest)
        while i < n and rest[i] in _DIGITS:
            i += 1
        if i == 1:
            return None
        frac = rest[1:i]
        nanos = int(frac[:9].ljust(9, "0"))
        rest = rest[i:]
    if rest == "Z" or rest == "z":
        return total * 1_000_000_000 + nanos
    if len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
        hh, mm = rest[1:3], rest[4:6]
    elif len(rest) == 5 and rest[0] in "+-":
        hh, mm = rest[1:3], rest[3:5]
    else:
        return None
    if not (hh.isascii() and hh.isdigit() and mm.isascii() and mm.isdigit()):
        return None
    off = int(hh) * 3600 + int(mm) * 60
    total = total - off if rest[0] == "+" else total + off
    return total * 1_000_000_000 + nanos


def timestamp_ns(v: Any) -> int | None:
    """A timestamp field's value -> Unix ns: RFC 3339 strings, epoch numbers (s, ms, us or ns)."""
    if type(v) is str:
        return rfc3339_ns(v)
    if type(v) is int or type(v) is float:
        return _epoch_ns(v)
    return None


def _epoch_ns(v: float) -> int | None:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude."""
    if v <= 0:
        return None
    if v < 1e11:
        return int(v * 1e9)
    if v < 1e14:
        return int(v * 1e6)
    if v < 1e17:
        return int(v * 1e3)
    return int(v)
