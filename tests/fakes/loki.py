"""A faithful Loki double: ``POST /loki/api/v1/push`` and ``GET /ready`` on loopback.

Speaks Loki's wire formats: ``logproto.PushRequest`` protobuf, snappy
block-compressed (``application/x-protobuf``); JSON (``application/json``),
optionally ``Content-Encoding: gzip``. Decodes them with its own code (not the
agent's), so tests check the agent against an independent reading of the
protocol; ``encode_entry`` / ``encode_stream`` make pushes and spool records by
hand for tests.

Enforces Loki's documented validation (pkg/validation/validate.go), with
Loki's messages and status codes:

- labels: ``{name="value", ...}`` syntax, at least one pair, at most 15
  names, no duplicates, name <= 1024 and value <= 2048 bytes -> 400 (the
  whole stream);
- entries: line > 256 KiB (``max entry size``), older than 7 days
  (``timestamp too old``), more than 10 min ahead (``timestamp too new``),
  more than 1 h behind the stream's newest entry (``too far behind``) -> 400
  for those entries; the valid entries of the request are stored (Loki's
  partial acceptance);
- an entry identical in stream, timestamp and line to a stored one is
  discarded, as Loki does; the double counts these ``replays``;
- ``rate_limit`` bytes/s -> 429 for the whole request.

Fault switches (``mode``): ``ok``, ``500``, ``503``, ``429``, ``hang`` (never
answers), ``slow`` (answers after ``slow_seconds``), ``drop`` (closes the
connection mid-request), and ``refuse()`` / ``accept()`` (stop / resume
listening: connection refused). ``fail_next`` scripts the next answers;
``partial_next`` stores the first N entries of the next request and answers 500.

``id_pattern``: a regex whose group 1 is a decimal id in each line (a
benchmark's sequence number); the double keeps the set of ids it took (stored
or replayed) and counts every sighting, so loss and duplicates are counted
exactly without storing the lines (``GET /ids?below=N``).

Run standalone (benchmarks): ``python -m tests.fakes.loki --port 0`` prints
``listening <port>``; ``GET /stats`` returns the counters as JSON. With
``--control-port P`` a second listener (it stays up while the push port is
refused) takes ``POST /control {"mode": ...}`` (``down`` refuses, any other mode
accepts again) and serves ``/stats`` and ``/ids``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import cramjam
import orjson
from aiohttp import web

from cflexagent.sinks.loki.protobuf import uvarint

MAX_LINE = 256 * 1024
MAX_LABEL_NAMES = 15
MAX_NAME_LEN = 1024
MAX_VALUE_LEN = 2048
REJECT_OLD_NS = 7 * 86400 * 10**9
CREATION_GRACE_NS = 600 * 10**9
MAX_BEHIND_NS = 3600 * 10**9

_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_RECORDED_HEADERS = ("Authorization", "X-Scope-OrgID", "Content-Encoding", "Content-Type", "User-Agent")


class BadLabels(ValueError):
    pass


def parse_label_string(s: str) -> tuple[tuple[str, str], ...]:
    """Strict PromQL-style selector parser: ``{a="x", b="y"}`` -> sorted pairs."""
    s = s.strip()
    if len(s) < 2 or s[0] != "{" or s[-1] != "}":
        raise BadLabels("1:1: parse error: unexpected character, expected '{'")
    i, end = 1, len(s) - 1
    pairs: list[tuple[str, str]] = []
    while True:
        while i < end and s[i] in " \t":
            i += 1
        if i >= end:
            break
        m = _NAME_RE.match(s, i)
        if not m:
            raise BadLabels(f"1:{i + 1}: parse error: unexpected character in label name")
        name = m[0]
        i = m.end()
        while i < end and s[i] == " ":
            i += 1
        if s[i:i + 1] != "=":
            raise BadLabels(f"1:{i + 1}: parse error: unexpected character, expected '='")
        i += 1
        while i < end and s[i] == " ":
            i += 1
        if s[i:i + 1] != '"':
            raise BadLabels(f"1:{i + 1}: parse error: unexpected character, expected string")
        i += 1
        val = []
        while True:
            if i >= end:
                raise BadLabels("parse error: unterminated quoted string")
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                val.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"'}.get(nxt, nxt))
                i += 2
                continue
            if c == '"':
                i += 1
                break
            val.append(c)
            i += 1
        pairs.append((name, "".join(val)))
        while i < end and s[i] == " ":
            i += 1
        if i < end:
            if s[i] != ",":
                raise BadLabels(f"1:{i + 1}: parse error: unexpected character, expected ','")
            i += 1
    return tuple(pairs)


# -- protobuf (independent of the agent's encoder and decoder) ------------------------


def _varint(b: bytes, i: int) -> tuple[int, int]:
    x = shift = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7F) << shift
        if c < 0x80:
            return x, i
        shift += 7


def _msg(b: bytes):
    """Yield (field, wire type, value) where value is int (varint) or bytes (length-delimited)."""
    i, n = 0, len(b)
    while i < n:
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
            yield f, wt, v
        elif wt == 2:
            ln, i = _varint(b, i)
            if i + ln > n:
                raise ValueError("truncated message")
            yield f, wt, b[i:i + ln]
            i += ln
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            raise ValueError(f"bad wire type {wt}")


def encode_entry(ts_ns: int, line: bytes, metadata: list[tuple[bytes, bytes]] | None = None) -> bytes:
    """One EntryAdapter (without its tag): for tests that make pushes or spool records by hand (inputs, so
    the agent's varints serve)."""
    sec, nanos = divmod(ts_ns, 1_000_000_000)
    ts = (b"\x08" + uvarint(sec) if sec else b"") + (b"\x10" + uvarint(nanos) if nanos else b"")
    out = b"\x0a" + uvarint(len(ts)) + ts + b"\x12" + uvarint(len(line)) + line
    for name, value in metadata or ():
        pair = b"\x0a" + uvarint(len(name)) + name + b"\x12" + uvarint(len(value)) + value
        out += b"\x1a" + uvarint(len(pair)) + pair
    return out


def encode_stream(labels: bytes, entries: list[bytes]) -> bytes:
    """One PushRequest.streams element, tag included (PushRequests concatenate)."""
    body = b"\x0a" + uvarint(len(labels)) + labels + b"".join(b"\x12" + uvarint(len(e)) + e for e in entries)
    return b"\x0a" + uvarint(len(body)) + body


def decode_push_request(raw: bytes) -> list[tuple[str, list[tuple[int, str, dict[str, str]]]]]:
    streams = []
    for f, wt, v in _msg(raw):
        if f != 1 or wt != 2:
            continue
        labels = ""
        entries = []
        for f2, _w2, v2 in _msg(v):
            if f2 == 1:
                labels = v2.decode("utf-8")
            elif f2 == 2:
                sec = nanos = 0
                line = ""
                meta: dict[str, str] = {}
                for f3, _w3, v3 in _msg(v2):
                    if f3 == 1:
                        for f4, _w4, v4 in _msg(v3):
                            if f4 == 1:
                                sec = v4
                            elif f4 == 2:
                                nanos = v4
                    elif f3 == 2:
                        line = v3.decode("utf-8")
                    elif f3 == 3:
                        name = value = ""
                        for f5, _w5, v5 in _msg(v3):
                            if f5 == 1:
                                name = v5.decode()
                            elif f5 == 2:
                                value = v5.decode()
                        meta[name] = value
                entries.append((sec * 10**9 + nanos, line, meta))
        streams.append((labels, entries))
    return streams


def decode_json_push(raw: bytes) -> list[tuple[str, list[tuple[int, str, dict[str, str]]]]]:
    doc = orjson.loads(raw)
    out = []
    for st in doc["streams"]:
        labels = "{" + ", ".join(f'{k}="{_esc(v)}"' for k, v in sorted(st["stream"].items())) + "}"
        entries = []
        for v in st["values"]:
            meta = v[2] if len(v) > 2 else {}
            entries.append((int(v[0]), v[1], dict(meta)))
        out.append((labels, entries))
    return out


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class StoredEntry:
    ts: int
    line: str
    meta: dict[str, str]


@dataclass
class LokiDouble:
    max_line_bytes: int = MAX_LINE
    rate_limit: int = 0              # bytes per second, 0 = unlimited
    store: bool = True               # keep entries (tests) or only count them (benchmarks)
    mode: str = "ok"
    fail_next: list[tuple[int, str]] = field(default_factory=list)
    partial_next: int | None = None
    streams: dict[tuple[tuple[str, str], ...], list[StoredEntry]] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    newest: dict[tuple[tuple[str, str], ...], int] = field(default_factory=dict)
    replays: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    requests: int = 0
    content_types: Counter[str] = field(default_factory=Counter)
    #: The auth, tenant and encoding headers of every push request, in arrival order.
    request_headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    slow_seconds: float = 3.0
    id_pattern: re.Pattern[str] | None = None
    ids: set[int] = field(default_factory=set)
    id_sightings: int = 0

    def __post_init__(self) -> None:
        self._app = web.Application(client_max_size=512 * 1024 * 1024, middlewares=[self._answered])
        #: Requests being handled; ``refuse()`` lets them be answered before it closes connections.
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._app.router.add_post("/loki/api/v1/push", self._push)
        self._app.router.add_get("/ready", self._ready)
        self._app.router.add_get("/stats", self._stats)
        self._app.router.add_post("/control", self._control)
        self._app.router.add_get("/ids", self._ids)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._changed = asyncio.Condition()
        self._unhang = asyncio.Event()
        self._bucket = 0.0
        self._bucket_t = time.monotonic()

    # -- lifecycle -----------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._unhang.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _answered(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Counts a request in flight until its answer is written (not just returned)."""
        self._inflight += 1
        self._idle.clear()
        try:
            resp = await handler(request)
            if not resp.prepared:
                await resp.prepare(request)
                await resp.write_eof()
            return resp  # type: ignore[no-any-return]
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()

    async def refuse(self) -> None:
        """Stop listening: clients get connection refused.

        Like a Loki that is shut down, it first answers the pushes it has taken in (up to 5 s; a
        ``hang`` never answers), so a push it stored is not also refused and sent again: cutting
        a request mid-way is the ``drop`` mode's job, not this one's.
        """
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self.mode != "hang":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), 5)
        # A stopped site still serves its kept-alive connections; a down Loki does not.
        server = self._runner.server if self._runner is not None else None
        for proto in list(getattr(server, "_connections", {})):
            if proto.transport is not None:
                proto.transport.abort()

    async def accept(self) -> None:
        if self._site is None and self._runner is not None:
            self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
            await self._site.start()

    def set_mode(self, mode: str) -> None:
        assert mode in ("ok", "500", "503", "429", "hang", "slow", "drop"), mode
        self.mode = mode
        if mode != "hang":
            self._unhang.set()
        else:
            self._unhang.clear()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/loki/api/v1/push"

    # -- queries for tests ------------------------------------------------------------

    def lines(self) -> list[str]:
        return [e.line for entries in self.streams.values() for e in entries]

    def all_entries(self) -> list[tuple[dict[str, str], StoredEntry]]:
        return [(dict(k), e) for k, entries in self.streams.items() for e in entries]

    async def wait_for(self, predicate, within: float = 60.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- handlers ----------------------------------------------------------------------

    async def _ready(self, request: web.Request) -> web.Response:
        if self.mode in ("503",):
            return web.Response(status=503, text="Ingester not ready")
        return web.Response(text="ready\n")

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"accepted": self.accepted, "replays": self.replays, "requests": self.requests,
                                  "rejected": dict(self.rejected),
                                  "statuses": {str(k): v for k, v in self.statuses.items()}})

    async def _control(self, request: web.Request) -> web.Response:
        doc = await request.json()
        if "mode" in doc:
            if doc["mode"] == "down":
                await self.refuse()
            else:
                self.set_mode(doc["mode"])
                await self.accept()
        return web.json_response({"mode": self.mode, "down": self._site is None})

    async def _ids(self, request: web.Request) -> web.Response:
        """How many of the ids ``0 .. below-1`` arrived, and the first missing ones."""
        below = int(request.query.get("below", "0"))
        missing = [i for i in range(below) if i not in self.ids]
        return web.json_response({"distinct": len(self.ids), "sightings": self.id_sightings,
                                  "received_below": below - len(missing), "missing": missing[:50],
                                  "missing_count": len(missing)})

    async def _answer(self, status: int, text: str = "") -> web.Response:
        self.statuses[status] += 1
        await self._notify()
        return web.Response(status=status, text=text)

    async def _push(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        self.request_headers.append({k: v for k in _RECORDED_HEADERS if (v := request.headers.get(k)) is not None})
        body = await request.read()
        if self.mode == "hang":
            await self._unhang.wait()
        if self.mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        if self.mode == "drop":
            assert request.transport is not None
            request.transport.abort()
            self.statuses[0] += 1
            await self._notify()
            raise asyncio.CancelledError
        if self.fail_next:
            status, text = self.fail_next.pop(0)
            return await self._answer(status, text)
        if self.mode == "500":
            return await self._answer(500, "rpc error: code = Unavailable desc = ingester shutting down")
        if self.mode == "503":
            return await self._answer(503, "Ingester not ready: waiting for 15s after being ready")
        if self.mode == "429":
            return await self._answer(429, "Ingestion rate limit exceeded for user fake (limit: 4194304 "
                                      "bytes/sec) while attempting to ingest '1' lines totaling '1' bytes, "
                                      "reduce log volume or contact your Loki administrator to see if the "
                                      "limit can be increased")
        ctype = request.headers.get("Content-Type", "").split(";")[0].strip()
        self.content_types[ctype] += 1
        try:
            if ctype == "application/x-protobuf":
                streams = decode_push_request(bytes(cramjam.snappy.decompress_raw(body)))
            elif ctype == "application/json":
                # aiohttp inflates a Content-Encoding: gzip body itself; a raw one still starts with the magic.
                if request.headers.get("Content-Encoding", "") == "gzip" and body[:2] == b"\x1f\x8b":
                    body = gzip.decompress(body)
                self.content_types["gzip" if request.headers.get("Content-Encoding") == "gzip" else "plain"] += 1
                streams = decode_json_push(body)
            else:
                return await self._answer(415, f"unsupported Content-Type {ctype!r}")
        except Exception as e:
            return await self._answer(400, f"loghttp: failed to decode push request: {e}")
        total = sum(len(e[1].encode()) for _, entries in streams for e in entries)
        if self.rate_limit:
            now = time.monotonic()
            self._bucket = min(float(self.rate_limit),
                               self._bucket + (now - self._bucket_t) * self.rate_limit)
            self._bucket_t = now
            if total > self._bucket:
                n = sum(len(e) for _, e in streams)
                return await self._answer(429, f"Ingestion rate limit exceeded for user fake (limit: "
                                          f"{self.rate_limit} bytes/sec) while attempting to ingest '{n}' lines "
                                          f"totaling '{total}' bytes, reduce log volume or contact your Loki "
                                          f"administrator to see if the limit can be increased")
            self._bucket -= total
        return await self._ingest(streams)

    async def _ingest(self, streams) -> web.Response:
        errors: list[str] = []
        ignored = 0
        n_all = sum(len(e) for _, e in streams)
        budget = self.partial_next
        self.partial_next = None
        now = time.time_ns()
        stored = 0
        for labels, entries in streams:
            try:
                key = parse_label_string(labels)
            except BadLabels as e:
                errors.append(f"error parsing labels '{labels}' with error: {e}")
                self.rejected["invalid_labels"] += len(entries)
                ignored += len(entries)
                continue
            problem = self._label_problem(labels, key)
            if problem:
                reason, msg = problem
                errors.append(msg)
                self.rejected[reason] += len(entries)
                ignored += len(entries)
                continue
            key = tuple(sorted(key))
            for ts, line, meta in entries:
                if budget is not None and stored >= budget:
                    break
                size = len(line.encode())
                if size > self.max_line_bytes:
                    errors.append(f"max entry size '{self.max_line_bytes}' bytes exceeded for stream '{labels}' "
                                  f"while adding an entry with length '{size}' bytes")
                    self.rejected["line_too_long"] += 1
                    ignored += 1
                    continue
                if ts < now - REJECT_OLD_NS:
                    errors.append(f"entry for stream '{labels}' has timestamp too old: {ts}, oldest acceptable "
                                  f"timestamp is: {now - REJECT_OLD_NS}")
                    self.rejected["greater_than_max_sample_age"] += 1
                    ignored += 1
                    continue
                if ts > now + CREATION_GRACE_NS:
                    errors.append(f"entry for stream '{labels}' has timestamp too new: {ts}")
                    self.rejected["too_far_in_future"] += 1
                    ignored += 1
                    continue
                top = self.newest.get(key, 0)
                if ts < top - MAX_BEHIND_NS:
                    errors.append(f"entry too far behind, entry timestamp is: {ts}, oldest acceptable "
                                  f"timestamp is: {top - MAX_BEHIND_NS}")
                    self.rejected["too_far_behind"] += 1
                    ignored += 1
                    continue
                if self.id_pattern is not None and (m := self.id_pattern.search(line)) is not None:
                    self.ids.add(int(m[1]))
                    self.id_sightings += 1
                h = hash((key, ts, line))
                if h in self.seen:
                    self.replays += 1
                    stored += 1
                    continue
                self.seen.add(h)
                if ts > top:
                    self.newest[key] = ts
                if self.store:
                    self.streams.setdefault(key, []).append(StoredEntry(ts, line, meta))
                self.accepted += 1
                stored += 1
        if budget is not None:
            return await self._answer(500, f"partial: stored {stored} of {n_all} entries")
        if errors:
            return await self._answer(400, errors[0] + (f"\n(and {len(errors) - 1} more)" if len(errors) > 1
                                                          else "") + f"\ntotal ignored: {ignored} out of {n_all}")
        return await self._answer(204)

    @staticmethod
    def _label_problem(labels: str, pairs: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
        if not pairs:
            return "missing_labels", "error at least one label pair is required per stream"
        names = [n for n, _ in pairs]
        if len(names) > MAX_LABEL_NAMES:
            return "max_label_names_per_series", (f"entry for stream '{labels}' has {len(names)} label names; "
                                                  f"limit {MAX_LABEL_NAMES}")
        dup = [n for n, c in Counter(names).items() if c > 1]
        if dup:
            return "duplicate_label_names", f"stream '{labels}' has duplicate label name: '{dup[0]}'"
        for n, v in pairs:
            if len(n) > MAX_NAME_LEN:
                return "label_name_too_long", f"stream '{labels}' has label name too long: '{n}'"
            if len(v) > MAX_VALUE_LEN:
                return "label_value_too_long", f"stream '{labels}' has label value too long: '{v}'"
        return None


def by_stream(double: LokiDouble) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for key, entries in double.streams.items():
        out["{" + ", ".join(f'{k}="{v}"' for k, v in key) + "}"].extend(e.line for e in entries)
    return out


async def _main(port: int, store: bool, control_port: int | None, id_pattern: str) -> None:
    d = LokiDouble(store=store, id_pattern=re.compile(id_pattern) if id_pattern else None)
    await d.start(port)
    if control_port is not None:
        control = web.Application()
        control.router.add_post("/control", d._control)
        control.router.add_get("/stats", d._stats)
        control.router.add_get("/ids", d._ids)
        runner = web.AppRunner(control, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", control_port)
        await site.start()
        control_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"listening {d.port} control {control_port}", flush=True)
    else:
        print(f"listening {d.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--no-store", action="store_true", help="count entries, keep only their hashes")
    ap.add_argument("--control-port", type=int, default=None, help="a second port for /control, /stats, /ids")
    ap.add_argument("--id-pattern", default="", help="regex whose group 1 is a decimal id in each line")
    a = ap.parse_args()
    try:
        asyncio.run(_main(a.port, not a.no_store, a.control_port, a.id_pattern))
    except KeyboardInterrupt:
        sys.exit(0)
