"""Hand-written protobuf for Loki's push API (``logproto.PushRequest``).

Wire schema (pkg/push/push.proto)::

    PushRequest  { repeated StreamAdapter streams = 1; }
    StreamAdapter{ string labels = 1; repeated EntryAdapter entries = 2; }
    EntryAdapter { google.protobuf.Timestamp timestamp = 1; string line = 2;
                   repeated LabelPairAdapter structuredMetadata = 3; }
    Timestamp    { int64 seconds = 1; int32 nanos = 2; }
    LabelPair    { string name = 1; string value = 2; }

Three tiny messages do not justify a protobuf runtime: the Loki sink's
encoder builds the bytes directly from the line bytes (``entries.py``, with
the varints of ``uvarint`` here), and because ``repeated`` fields concatenate, two serialized PushRequests
joined end to end are one valid PushRequest — the spool stores each batch as
a PushRequest and a push is just the concatenation of spooled records.
The decoder serves the JSON encoding and the console sink.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

#: Precomputed varints: lengths below 16 KiB (nearly every line) cost one list lookup.
_UV_TABLE: list[bytes] = []


def _uvarint_slow(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_UV_TABLE.extend([bytes((i,)) if i < 128 else bytes(((i & 0x7F) | 0x80, i >> 7)) for i in range(16384)])
#: The low 14 bits of a larger number: two 7-bit groups, both with the continuation bit.
_UV_LOW14: list[bytes] = [bytes(((i & 0x7F) | 0x80, (i >> 7) | 0x80)) for i in range(16384)]


def uvarint(n: int) -> bytes:
    """Unsigned LEB128 varint (protobuf's base-128 integer), by 14-bit table lookups."""
    if n < 16384:
        return _UV_TABLE[n]
    if n < 268435456:  # 2**28
        return _UV_LOW14[n & 0x3FFF] + _UV_TABLE[n >> 14]
    if n < 4398046511104:  # 2**42
        return _UV_LOW14[n & 0x3FFF] + _UV_LOW14[(n >> 14) & 0x3FFF] + _UV_TABLE[n >> 28]
    return _uvarint_slow(n)


# -- decoding ------------------------------------------------------------------


class DecodeError(ValueError):
    pass


def _read_uvarint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise DecodeError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError("varint too long")


_EMPTY = memoryview(b"")


def _fields(buf: bytes | memoryview) -> Iterator[tuple[int, int, int, memoryview]]:
    """(field number, wire type, varint value, length-delimited bytes) of a message."""
    mv = memoryview(buf)
    pos, end = 0, len(mv)
    while pos < end:
        key, pos = _read_uvarint(mv, pos)
        field, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _read_uvarint(mv, pos)
            yield field, wt, val, _EMPTY
        elif wt == 2:
            n, pos = _read_uvarint(mv, pos)
            if pos + n > end:
                raise DecodeError("truncated length-delimited field")
            yield field, wt, 0, mv[pos:pos + n]
            pos += n
        elif wt == 1:
            pos += 8
        elif wt == 5:
            pos += 4
        else:
            raise DecodeError(f"unsupported wire type {wt}")
        if pos > end:
            raise DecodeError("truncated field")


Entry = tuple[int, bytes, list[tuple[bytes, bytes]]]


def _decode_entry(buf: memoryview) -> Entry:
    ts = 0
    line = b""
    meta: list[tuple[bytes, bytes]] = []
    for f, w, _n, v in _fields(buf):
        if f == 1 and w == 2:
            sec = nanos = 0
            for f4, _w4, n4, _v4 in _fields(v):
                if f4 == 1:
                    sec = n4
                elif f4 == 2:
                    nanos = n4
            ts = sec * 1_000_000_000 + nanos
        elif f == 2 and w == 2:
            line = bytes(v)
        elif f == 3 and w == 2:
            name = value = b""
            for f5, _w5, _n5, v5 in _fields(v):
                if f5 == 1:
                    name = bytes(v5)
                elif f5 == 2:
                    value = bytes(v5)
            meta.append((name, value))
    return ts, line, meta


def decode_push(buf: bytes | memoryview) -> list[tuple[bytes, list[Entry]]]:
    """PushRequest -> [(labels, [(ts_ns, line, [(name, value)])])]."""
    streams: list[tuple[bytes, list[Entry]]] = []
    for field, wt, _n, val in _fields(buf):
        if field != 1 or wt != 2:
            continue
        labels = b""
        entries: list[Entry] = []
        for f2, w2, _n2, v2 in _fields(val):
            if f2 == 1 and w2 == 2:
                labels = bytes(v2)
            elif f2 == 2 and w2 == 2:
                entries.append(_decode_entry(v2))
        streams.append((labels, entries))
    return streams


def parse_labels(labels: str) -> dict[str, str]:
    """``{a="x", b="y\\"z"}`` -> dict (the label strings this package writes)."""
    out: dict[str, str] = {}
    s = labels.strip()
    if not (s.startswith("{") and s.endswith("}")):
        raise DecodeError(f"labels must be wrapped in braces: {labels!r}")
    i, end = 1, len(s) - 1
    while i < end:
        while i < end and s[i] in " ,":
            i += 1
        if i >= end:
            break
        eq = s.index("=", i)
        name = s[i:eq].strip()
        if s[eq + 1] != '"':
            raise DecodeError(f"label value must be quoted: {labels!r}")
        j = eq + 2
        val = []
        while s[j] != '"':
            if s[j] == "\\":
                j += 1
                val.append({"n": "\n", "t": "\t"}.get(s[j], s[j]))
            else:
                val.append(s[j])
            j += 1
        out[name] = "".join(val)
        i = j + 1
    return out


def push_to_json(payload: bytes | memoryview) -> bytes:
    """A PushRequest as Loki's JSON push body (metadata as the value's third element)."""
    streams = []
    for labels, entries in decode_push(payload):
        values: list[list[object]] = []
        for ts, line, meta in entries:
            v: list[object] = [str(ts), line.decode("utf-8", "replace")]
            if meta:
                v.append({n.decode(): m.decode("utf-8", "replace") for n, m in meta})
            values.append(v)
        streams.append({"stream": parse_labels(labels.decode()), "values": values})
    return orjson.dumps({"streams": streams})
