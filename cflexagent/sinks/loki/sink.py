"""Loki sink: encode each delivery (``encode.py``), spool it durably (``spool.py``), push the spool
to Loki oldest first.

Protocol: ``POST /loki/api/v1/push`` (https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs)
with either ``logproto.PushRequest`` protobuf, snappy block-compressed
(``Content-Type: application/x-protobuf``, the default), or the JSON body
``{"streams":[{"stream":{...},"values":[["<ns>","line",{metadata}]]}]}``,
optionally gzip. ``X-Scope-OrgID`` carries the tenant.

Delivery rules:

- every delivery is snappy-compressed once, when it is spooled: the spool
  holds (and fsyncs, and checksums) about a quarter of the bytes, and a push
  of one record sends the spooled bytes as they are;
- one push in flight at a time (so one per stream, and the order within a
  stream is the spool's order); a push is the concatenation of the oldest
  spool records up to ``batch_max_bytes`` (uncompressed), sent once
  ``batch_max_wait`` passed since the oldest was spooled or the batch is full;
  several records are decompressed, joined and compressed again;
- 2xx: the records are acked (removed from the spool);
- 429, 5xx, timeouts, refused or dropped connections: retried with
  exponential backoff (``min_backoff`` .. ``max_backoff``, full jitter)
  forever; the spool absorbs the incoming lines up to its bound;
- 400: never retried. The batch is dropped and its lines counted under
  Loki's reason (parsed from Loki's error text), the error logged at most
  once a minute per reason, and the next batch goes out;
- a re-send after a timeout or a crash is byte-identical (the spool stores
  the encoded batch with the timestamps fixed at read time), so Loki
  discards what it already has.

``GET /ready`` is asked once at start (``check_ready``): the answer is logged
and exported as ``cflexagent_log_loki_ready``; pushing starts either way.

The spool is opened when the sink starts; a spool directory that cannot be
opened (read-only, gone, out of descriptors) is retried in place with backoff
-- ``cflexagent_log_sink_stuck{sink="loki"}`` says so, sources wait -- rather
than crash-looping the component.

Credentials (``basic_auth_password_file``, ``bearer_token_file``) are read
when the first request needs them and again after a reload. A file that
cannot be read is a retryable failure (``status_code="credentials_error"``):
nothing is sent without the credentials the config asks for, and the next
attempt reads the file again. Logs name the URL without user info or query
string (``LokiConfig.safe_url``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import random
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import cramjam

from ...component import Stage
from ...logs.batch import Encoded, SinkClosed
from ...logs.topology import LogsTopology
from ...telemetry import get_logger
from .config import LokiConfig
from .encode import StreamEncoder
from .protobuf import push_to_json
from .spool import FLAG_SNAPPY, Record, Spool

if TYPE_CHECKING:
    from ...logs.checkpoint import Ack
    from ...logs.config import SourceBase

#: Backoff of the spool's opening when its directory cannot be used.
OPEN_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)

log = get_logger("logs.sink.loki")

#: Loki's 400 messages (pkg/validation/validate.go) -> reason names.
_REASONS = (
    ("max entry size", "line_too_long"),
    ("line too long", "line_too_long"),
    ("timestamp too old", "greater_than_max_sample_age"),
    ("timestamp too new", "too_far_in_future"),
    ("too far behind", "too_far_behind"),
    ("out of order", "too_far_behind"),
    ("label names; limit", "max_label_names_per_series"),
    ("duplicate label name", "duplicate_label_names"),
    ("label name too long", "label_name_too_long"),
    ("label value too long", "label_value_too_long"),
    ("at least one label pair", "missing_labels"),
    ("error parsing labels", "invalid_labels"),
    ("invalid labels", "invalid_labels"),
)


def reason_of(body: str) -> str:
    low = body.lower()
    for needle, reason in _REASONS:
        if needle in low:
            return reason
    return "rejected_other"


class LokiSinkComponent:
    name = "logs.sink.loki"
    stage: Stage = "sink"
    durable = True

    def __init__(self, cfg: LokiConfig, state_dir: Path, topo: LogsTopology) -> None:
        self.cfg = cfg
        self.state_dir = state_dir
        self.topo = topo
        self.slot = topo.slot("loki")
        self.m = topo.metrics
        self.spool: Spool | None = None
        self._session: aiohttp.ClientSession | None = None
        self._session_key: tuple[Any, ...] | None = None
        self._headers: dict[str, str] = {}
        self._last_400_log: dict[str, float] = {}
        self._stage = {s: self.m.stage_seconds.labels(s) for s in ("spool", "compress", "push")}

    # -- configuration ---------------------------------------------------------------

    def reconfigure(self, new: object) -> bool:
        if not isinstance(new, LokiSinkComponent) or new.state_dir != self.state_dir:
            return False
        self.cfg = new.cfg
        if self.spool is not None:
            self.spool.max_bytes = int(new.cfg.spool_max_bytes)
            self.spool.min_free = float(new.cfg.spool_min_free_disk)
            self.spool.when_full = new.cfg.spool_when_full
        self._headers = {}
        return True

    def _build_headers(self) -> dict[str, str]:
        """Every header of a push; raises OSError when a credentials file cannot be read."""
        c = self.cfg
        h = {"Content-Type": "application/x-protobuf" if c.encoding == "protobuf" else "application/json",
             "User-Agent": "cflexagent"}
        if c.gzip:
            h["Content-Encoding"] = "gzip"
        if c.tenant:
            h["X-Scope-OrgID"] = c.tenant
        if c.basic_auth_user:
            pw = Path(c.basic_auth_password_file).read_text().strip() if c.basic_auth_password_file else ""
            h["Authorization"] = "Basic " + base64.b64encode(f"{c.basic_auth_user}:{pw}".encode()).decode()
        elif c.bearer_token_file:
            token = Path(c.bearer_token_file).read_text().strip()
            if not token:  # an empty file (being rewritten?) is no token: do not send "Bearer "
                raise OSError(f"{c.bearer_token_file} is empty")
            h["Authorization"] = "Bearer " + token
        return h

    async def _client(self) -> aiohttp.ClientSession:
        key = (self.cfg.ca_file, float(self.cfg.timeout))
        if self._session is None or self._session.closed or key != self._session_key:
            if self._session is not None:
                await self._session.close()
            ctx: ssl.SSLContext | bool = True
            if self.cfg.ca_file:
                ctx = ssl.create_default_context(cafile=self.cfg.ca_file)
            t = float(self.cfg.timeout)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=2, ssl=ctx),
                timeout=aiohttp.ClientTimeout(total=t, sock_connect=min(t, 5.0)))
            self._session_key = key
        return self._session

    # -- the sink interface ------------------------------------------------------------

    def encoder(self, source: SourceBase) -> StreamEncoder:
        return StreamEncoder(source, self.cfg, self.m)

    async def write(self, encoded: Encoded, ack: Ack) -> None:
        """Spool the delivery with its ack state; returns once it is on disk (fsync)."""
        spool = self.spool
        if spool is None:
            raise SinkClosed("the Loki sink is not running")
        payload: bytes = encoded.data
        t0 = time.perf_counter()
        packed = bytes(cramjam.snappy.compress_raw(payload))
        t1 = time.perf_counter()
        self._stage["compress"].inc(t1 - t0)
        await spool.append(packed, {"lines": encoded.lines, "ack": ack.state}, encoded.lines, flags=FLAG_SNAPPY,
                           raw_len=len(payload), ack_id=ack.id)
        self._stage["spool"].inc(time.perf_counter() - t1)

    def healthcheck(self) -> bool:
        return self.spool is not None

    # -- lifecycle ----------------------------------------------------------------------

    async def _open_spool(self, stop: asyncio.Event) -> Spool | None:
        """The spool, opened (retried in place while its directory cannot be used); None on stop."""
        stuck = self.m.sink_stuck.labels("loki")
        attempt = 0
        while not stop.is_set():
            try:
                cp = self.topo.checkpointer(self.state_dir)  # on the loop: one instance for sinks and sources
                spool = Spool(self.state_dir / "logs" / "spool", int(self.cfg.spool_max_bytes),
                              float(self.cfg.spool_min_free_disk), self.cfg.spool_when_full, self.m,
                              before_delete=cp.persist_through)
                states = await asyncio.to_thread(spool.open)
            except OSError as e:
                stuck.set(1)
                self.m.spool_write_errors.inc()
                delay = OPEN_BACKOFF[min(attempt, len(OPEN_BACKOFF) - 1)]
                attempt += 1
                log.limited("error", "cannot open the spool; sources wait, retrying", key=("open", e.errno),
                            dir=str(self.state_dir / "logs" / "spool"), error=e.strerror or str(e),
                            retry_seconds=delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            stuck.set(0)
            applied = cp.recovered("loki", states)
            if applied:
                log.info("file positions recovered from the spool", records=applied)
            await spool.gc()
            return spool
        return None

    async def run(self, stop: asyncio.Event) -> None:
        spool = await self._open_spool(stop)
        if spool is None:
            return
        self.spool = spool
        self.slot.attach(self)
        try:
            if self.cfg.check_ready:
                await self._check_ready()
            await self._push_loop(stop)
        finally:
            self.slot.detach(self)
            self.spool = None
            await spool.aclose()
            if self._session is not None:
                await self._session.close()
                self._session = None

    async def _check_ready(self) -> None:
        url = self.cfg.url.split("/loki/api/", 1)[0].rstrip("/") + "/ready"
        shown = self.cfg.safe_url.split("/loki/api/", 1)[0].rstrip("/") + "/ready"
        try:
            headers = self._hdrs()
            session = await self._client()
            async with session.get(url, headers={k: v for k, v in headers.items()
                                                 if k in ("Authorization", "X-Scope-OrgID")}) as r:
                ok = r.status == 200
                text = (await r.text())[:200]
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            ok, text = False, f"{type(e).__name__}: {e}"
        self.m.loki_ready.set(1 if ok else 0)
        if ok:
            log.info("Loki is ready", url=shown)
        else:
            log.warning("Loki is not ready; lines are spooled and pushed once it answers", url=shown,
                        answer=text.strip())

    def _hdrs(self) -> dict[str, str]:
        """The push headers, built once per config; raises OSError while a credentials file is unreadable
        (not cached: the next attempt reads it again)."""
        if not self._headers:
            self._headers = self._build_headers()
        return self._headers

    async def _push_loop(self, stop: asyncio.Event) -> None:
        assert self.spool is not None
        spool = self.spool
        backoff = float(self.cfg.min_backoff)
        while True:
            if not spool.records:
                if stop.is_set():
                    return
                await spool.wait_data(0.5)
                continue
            # Wait for a full batch or batch_max_wait since the oldest record was spooled.
            if not stop.is_set():
                age = time.time() - spool.records[0].created_ns / 1e9
                wait = float(self.cfg.batch_max_wait) - age
                pending = sum(r.raw_len for r in spool.records)
                if wait > 0 and pending < self.cfg.batch_max_bytes:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), min(wait, 0.1))
                    continue
            records = spool.take(int(self.cfg.batch_max_bytes))
            payloads = []
            good = []
            for rec in records:
                p = spool.read_payload(rec)
                if p is not None:
                    payloads.append(p)
                    good.append(rec)
            if not good:
                await spool.ack(records)
                continue
            body, lines = self._body(payloads, good)
            while True:
                outcome = await self._post(body)
                if outcome == "ok":
                    self.m.shipped_lines.labels("loki").inc(lines)
                    self.m.shipped_bytes.inc(sum(r.raw_len for r in good))
                    await spool.ack(records)
                    backoff = float(self.cfg.min_backoff)
                    break
                if outcome.startswith("drop:"):
                    reason = outcome[5:]
                    self.m.dropped_lines.labels(reason).inc(lines)
                    await spool.ack(records)
                    break
                self.m.push_retries.inc()
                if stop.is_set():
                    spool.release_inflight()
                    return  # the rest goes out after the restart
                delay = random.uniform(backoff / 2, backoff)
                backoff = min(backoff * 2, float(self.cfg.max_backoff))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)

    def _body(self, payloads: list[bytes], records: list[Record]) -> tuple[bytes, int]:
        """The request body of these records' payloads (spooled snappy-compressed or, from older
        versions, raw): one compressed record is sent as it is."""
        t0 = time.perf_counter()
        lines = sum(r.lines for r in records)
        if self.cfg.encoding == "protobuf" and len(payloads) == 1 and records[0].flags & FLAG_SNAPPY:
            return payloads[0], lines
        raw = b"".join(bytes(cramjam.snappy.decompress_raw(p)) if r.flags & FLAG_SNAPPY else p
                       for p, r in zip(payloads, records, strict=True))
        if self.cfg.encoding == "protobuf":
            body = bytes(cramjam.snappy.compress_raw(raw))
        else:
            body = push_to_json(raw)
            if self.cfg.gzip:
                body = gzip.compress(body, 1)
        self._stage["compress"].inc(time.perf_counter() - t0)
        return body, lines

    async def _post(self, body: bytes) -> str:
        """One attempt: "ok", "retry" or "drop:<reason>"."""
        try:
            headers = self._hdrs()
        except OSError as e:
            # Never push without the credentials the config asks for (and never with half the
            # headers: no tenant or gzip header means the wrong tenant or a 400): retry later.
            self.m.push_requests.labels("credentials_error").inc()
            log.limited("error", "cannot read the Loki credentials file; retrying", url=self.cfg.safe_url,
                      error=e.strerror or str(e), file=getattr(e, "filename", None) or "")
            return "retry"
        t0 = time.perf_counter()
        try:
            session = await self._client()
            async with session.post(self.cfg.url, data=body, headers=headers) as r:
                status = r.status
                text = await r.text(errors="replace") if status >= 300 else ""
        except TimeoutError:
            self.m.push_requests.labels("timeout").inc()
            log.limited("warning", "Loki push timed out; retrying", url=self.cfg.safe_url)
            return "retry"
        except (aiohttp.ClientError, OSError) as e:
            self.m.push_requests.labels("connection_error").inc()
            log.limited("warning", "Loki push failed; retrying", key=("connect", type(e).__name__),
                        url=self.cfg.safe_url, error=f"{type(e).__name__}: {e}")
            return "retry"
        finally:
            self._stage["push"].inc(time.perf_counter() - t0)
        self.m.push_requests.labels(str(status)).inc()
        if 200 <= status < 300:
            return "ok"
        if status == 400:
            reason = reason_of(text)
            now = time.monotonic()
            if now - self._last_400_log.get(reason, -1e9) >= 60.0:
                self._last_400_log[reason] = now
                log.error("Loki refused a batch (400); dropped, not retried", reason=reason,
                          answer=text.strip()[:300])
            return f"drop:{reason}"
        if status == 413:
            log.error("Loki refused a batch as too large (413); dropped", answer=text.strip()[:200])
            return "drop:rejected_other"
        if status in (401, 403, 404, 405):
            log.limited("error", "Loki push refused; retrying (check url and credentials)", key=("refused", status),
                        status=status, answer=text.strip()[:200])
            return "retry"
        log.limited("warning", "Loki push failed; retrying", key=("status", status), status=status,
                    answer=text.strip()[:200])
        return "retry"
