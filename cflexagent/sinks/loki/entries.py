"""The per-line loop of the Loki encoder: records -> protobuf ``EntryAdapter``s, grouped by stream.

Wire format written here (Loki ``logproto``, see ``protobuf.py``): one
``StreamAdapter.entries`` element per line::

    0x12 len  EntryAdapter{ 0x0a len Timestamp{0x08 seconds, 0x10 nanos}
                            0x12 len line
                            (0x1a len LabelPairAdapter{0x0a len name, 0x12 len value})* }

Plain typed functions; the caller (``encode.StreamEncoder``) keeps the stream
table, the configuration and the metrics. Pure Python and correct as is;
``setup.py`` also compiles it with mypyc (``compiled.py`` picks the build).
Hence the style: no closures or dynamic tricks, precise annotations, locals
rather than attribute lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec

from .protobuf import _UV_TABLE, uvarint

_ENCODE: Final[Callable[[Any], bytes]] = msgspec.json.Encoder().encode
#: ``0x12`` + varint(n) for n < 16384: the tag and length of an entry or of its line, in one lookup.
_TAG12: Final[list[bytes]] = [b"\x12" + v for v in _UV_TABLE]
#: A varint's 7-bit group with the continuation bit set.
_MORE7: Final[list[bytes]] = [bytes((0x80 | n,)) for n in range(128)]
#: ``0x0a`` + the length of a Timestamp message (always < 128 bytes).
_TAG0A: Final[list[bytes]] = [bytes((0x0A, n)) for n in range(128)]


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


def json_text(v: Any) -> str:
    return _ENCODE(v).decode()
