"""The per-line loops of the logs pipeline: JSON lines -> records + timestamps -> protobuf entries.

The parse and encode loops that run once per shipped line live here (the other
per-line code, redaction, is ``redact.py``), as plain typed
functions over lists, dicts, ``str``/``bytes`` and ``int``; the callers
(``parse.JSONParser``, ``streams.StreamEncoder``) keep the configuration, the
metrics and the stream table, and hand this module only plain values.

The module is pure Python and correct as is. ``setup.py`` also compiles it
with mypyc (as ``cflexagent.logs._hotpath_compiled``) when it can; the
compiled copy runs the same code about twice as fast, and ``accel.py`` picks
it only when it was built from exactly this source. Hence the style: no
closures or dynamic tricks, precise annotations (mypyc checks them at run
time), and locals rather than attribute lookups.

Wire format written here (Loki ``logproto``, see ``sinks/protobuf.py``): one
``StreamAdapter.entries`` element per line::

    0x12 len  EntryAdapter{ 0x0a len Timestamp{0x08 seconds, 0x10 nanos}
                            0x12 len line
                            (0x1a len LabelPairAdapter{0x0a len name, 0x12 len value})* }
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from ..sinks.protobuf import _UV_TABLE, uvarint

#: msgspec's JSON codec: on CFlex lines it decodes about twice as fast as orjson once the
#: lines vary (benchmarks/logs.py), keeps integers of any size, and encodes what it decodes.
#: ``parse.JSONParser`` passes its decoder (every field, or only the fields it ships).
decode_any: Callable[[bytes], Any] = msgspec.json.Decoder().decode
_ENCODE: Callable[[Any], bytes] = msgspec.json.Encoder().encode

#: ``0x12`` + varint(n) for n < 16384: the tag and length of an entry or of its line, in one lookup.
_TAG12: list[bytes] = [b"\x12" + v for v in _UV_TABLE]
#: A varint's 7-bit group with the continuation bit set.
_MORE7: list[bytes] = [bytes((0x80 | n,)) for n in range(128)]
#: ``0x0a`` + the length of a Timestamp message (always < 128 bytes).
_TAG0A: list[bytes] = [bytes((0x0A, n)) for n in range(128)]


def parse_json_lines(lines: list[bytes], read_ns: int, ts_field: str, second_cache: dict[str, int],
                     ts_slow: Callable[[Any], int | None], decode: Callable[[bytes], Any]) \
        -> tuple[list[dict[str, Any] | None], list[int], int, int]:
    """One JSON object per line -> (records, timestamps in Unix ns, lines not an object, timestamps
    that fell back to the read time).

    ``decode`` is a msgspec decoder's ``decode``: a line it refuses (``msgspec.DecodeError``,
    or not an object) gets no record.

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
        except (msgspec.DecodeError, UnicodeDecodeError):
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


def encode_entries(lines: list[bytes], records: list[dict[str, Any] | None], stamps: list[int],
                   fields: list[str], level_idx: int, meta: list[tuple[str, bytes, list[bytes]]],
                   streams: dict[tuple[Any, ...], int], stream_for: Callable[[tuple[Any, ...]], int],
                   newest: list[int], behind: int, oldest_ok: int, newest_ok: int) \
        -> tuple[list[tuple[int, bytes]], int, int, int, int]:
    """Entries of a batch, grouped by stream.

    ``fields`` are the label fields (``level_idx`` the index of ``level`` among them, or -1),
    ``streams`` maps a tuple of their values to a stream id (``stream_for`` makes or finds one
    for a new tuple: bounds, overflow), ``newest`` the newest timestamp sent per stream id.
    ``meta`` is ``metadata_field(name)`` per structured-metadata field.

    Returns ((stream id, its entries' bytes) in order of first appearance; the number of
    entries; lines older than ``oldest_ok``; newer than ``newest_ok``; more than ``behind``
    ns behind their stream's newest).
    """
    uv = uvarint
    dumps = _ENCODE
    t12 = _TAG12
    uv_t = _UV_TABLE
    more7 = _MORE7
    nf = len(fields)
    f0 = fields[0] if nf else ""
    f1 = fields[1] if nf > 1 else ""
    parts_of: dict[int, list[bytes]] = {}
    t0a = _TAG0A
    # Timestamp heads of the current second, by nanos varint length (0-5): lines come in time order.
    heads_sec = -1
    heads: list[bytes] = [b""] * 6
    too_old = 0
    too_new = 0
    too_behind = 0
    entries_n = 0
    empty_key: tuple[Any, ...] = (None,) * nf
    unknown_key: tuple[Any, ...] = tuple(["unknown" if k == level_idx else None for k in range(nf)])
    last_key: tuple[Any, ...] | None = None
    last_sid = -1
    n_lines = len(lines)
    if len(records) != n_lines or len(stamps) != n_lines:
        raise ValueError("lines, records and timestamps differ in length")
    for j in range(n_lines):
        line = lines[j]
        rec = records[j]
        ts = stamps[j]
        if ts < oldest_ok:
            too_old += 1
            continue
        if ts > newest_ok:
            too_new += 1
            continue
        # -- stream
        sid = -1
        key: tuple[Any, ...]
        if rec is None or not nf:
            key = unknown_key if rec is None else empty_key
        else:
            try:
                if nf == 2:
                    key = (rec[f0], rec[f1])
                elif nf == 1:
                    key = (rec[f0],)
                else:
                    key = tuple([rec[f] for f in fields])
                if key == last_key:
                    sid = last_sid
                else:
                    found = streams.get(key)
                    if found is not None:
                        sid = found
            except (KeyError, TypeError):  # a field missing, or an object / list value
                key = tuple([_label_key(rec.get(f), dumps) for f in fields])
            if sid < 0 and level_idx >= 0 and key[level_idx] is None:
                key = (*key[:level_idx], "unknown", *key[level_idx + 1:])
        if sid < 0:
            found = streams.get(key)
            sid = found if found is not None else stream_for(key)
        last_key = key
        last_sid = sid
        if behind:
            top = newest[sid]
            if ts > top:
                newest[sid] = ts
            elif ts < top - behind:
                too_behind += 1
                continue
        parts = parts_of.get(sid)
        if parts is None:
            parts = parts_of[sid] = []
        # -- Timestamp{seconds=1, nanos=2}: everything up to the nanos varint is cached per second
        # and varint length (k bytes, nanos < 2**30); the varint is written 7 bits at a time from
        # two 128-entry tables, which stay in the CPU cache (a 16384-entry table would miss).
        sec = ts // 1_000_000_000
        nanos = ts - sec * 1_000_000_000
        if nanos == 0:
            k = 0
        elif nanos < 128:
            k = 1
        elif nanos < 16384:
            k = 2
        elif nanos < 2097152:
            k = 3
        elif nanos < 268435456:
            k = 4
        else:
            k = 5
        if sec != heads_sec:
            heads_sec = sec
            tsb = b"\x08" + uv(sec)
            heads = [t0a[len(tsb) + (1 + h if h else 0)] + tsb + (b"\x10" if h else b"") for h in range(6)]
        head = heads[k]
        n = len(line)
        ul = t12[n] if n < 16384 else b"\x12" + uv(n)
        # entry body: 0x0a tl <timestamp> 0x12 len line [metadata]
        size = len(head) + k + len(ul) + n
        start = len(parts)
        parts.append(b"")  # the entry's tag and length, known once the metadata is in
        parts.append(head)
        if k:
            while nanos >= 128:
                parts.append(more7[nanos & 0x7F])
                nanos >>= 7
            parts.append(uv_t[nanos])
        parts.append(ul)
        parts.append(line)
        if rec is not None:
            for name, name_head, prefixes in meta:
                v = rec.get(name)
                if v is None:
                    continue
                bv: bytes = v.encode() if type(v) is str else dumps(v)
                lv = len(bv)
                if lv < 100:  # one-byte lengths: the common case
                    pre = prefixes[lv]
                else:
                    lvb = uv(lv)
                    pre = b"\x1a" + uv(len(name_head) + len(lvb) + lv) + name_head + lvb
                parts.append(pre)
                parts.append(bv)
                size += len(pre) + lv
        parts[start] = t12[size] if size < 16384 else b"\x12" + uv(size)
        entries_n += 1
    bodies = [(sid, b"".join(parts)) for sid, parts in parts_of.items()]
    return bodies, entries_n, too_old, too_new, too_behind


def json_bytes(v: Any) -> bytes:
    """``v`` as compact JSON (the codec the parser decodes with, so any value it produced encodes)."""
    return _ENCODE(v)


def json_text(v: Any) -> str:
    return _ENCODE(v).decode()


def _label_key(v: Any, dumps: Callable[[Any], bytes]) -> Any:
    if v is None or isinstance(v, str | int | float):
        return v
    return dumps(v).decode()


def metadata_field(name: str) -> tuple[str, bytes, list[bytes]]:
    """``(name, head, prefixes)`` of a structured-metadata field: ``head`` is the LabelPairAdapter
    up to its value's length (``0x0a len name 0x12``), ``prefixes[n]`` all the bytes before a value
    of n < 100 bytes (the entry's field-3 tag and length, ``head``, the value's length)."""
    nb = name.encode()
    head = b"\x0a" + uvarint(len(nb)) + nb + b"\x12"
    return name, head, [b"\x1a" + uvarint(len(head) + 1 + n) + head + uvarint(n) for n in range(100)]
