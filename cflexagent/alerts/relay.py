"""The alert relay component: Alertmanager webhook in -> durable outbox -> per-channel senders.

- ``POST {path}`` (default ``/alerts/webhook``) takes Alertmanager's webhook. The
  answer is 2xx only once the notification and its delivery jobs are committed
  (fsynced) to the outbox; 400 for a payload we cannot use (with the reason),
  401 for a missing or wrong bearer token (constant-time compare), 413 for a
  body over ``max_body``, 503 when the outbox is full, the disk nearly full or
  the outbox cannot be written (Alertmanager retries 5xx). A webhook identical to
  one accepted within ``dedup_window`` (Alertmanager retrying) answers 200 and
  is not delivered again.
- One worker task per channel takes that channel's due jobs oldest first, so
  a hung gateway delays only its own channel. Each attempt is bounded by the
  channel's ``timeout``. Transient failures are retried with exponential
  backoff (full jitter) for the route's ``retry_for``, then the route's next
  channel takes over; a permanent failure moves on at once. When every channel
  of a chain failed and some failure was transient, the chain starts again
  after ``max_backoff``, until ``give_up_after``.
- Rate limits: a channel whose bucket cannot cover every waiting notification
  sends one summary message for all of them when the next tokens arrive.
- At least once: a crash after a channel accepted a message but before the
  outbox recorded it repeats that one message after the restart.

``GET /api/alerts`` lists the outbox (pending jobs) and the recent deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec
import orjson
from aiohttp import web

from ..component import Context, Stage
from ..telemetry import get_logger
from ..watchdog import Watchdog
from .ack import PAGE_HEADERS, AlertmanagerAPI, InvalidToken, Signer, load_key, page, utc
from .channels import REASONS, Channel, Delivered, Permanent, Result, Transient, build_channel, read_secret
from .config import AlertsConfig, RateLimit, RelayConfig, RouteConfig
from .history import AlertStore, HistoryMetrics
from .message import Message, Notification
from .metrics import AlertMetrics, severity_label
from .outbox import AsyncOutbox, Job, JobPlan, OutboxFull, outbox_path
from .ratelimit import TokenBucket
from .webhook import BadPayload, Payload, decode, dedup_key, is_watchdog, route_for, severity

if TYPE_CHECKING:
    from ..config import Config

log = get_logger("alerts.relay")

#: Webhooks waiting for the database at once; more get 503 (Alertmanager retries).
MAX_PENDING_ACCEPTS = 64
#: A webhook body must arrive within this time (a peer that stalls mid-body gets 408).
BODY_TIMEOUT = 10.0
#: Finished notifications are kept this long past the dedup window for /api/alerts.
KEEP_DONE = 86400.0
#: Connection-level failures: the rest of a batch is not tried against the same dead peer.
_UNREACHABLE = ("timeout", "refused", "connect")


def html_escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def plan_jobs(route: RouteConfig) -> list[JobPlan]:
    plans = [JobPlan("route", tuple(route.channels))]
    plans += [JobPlan("also", (name,)) for name in route.also if name not in route.channels]
    return plans


def to_notification(job: Job) -> Notification:
    return Notification(job.notification_id, msgspec.json.decode(job.payload, type=Payload), job.severity,
                        job.received_at)


class AlertRelay:
    stage: Stage = "service"

    def __init__(self, config: Config, ctx: Context) -> None:
        assert config.alerts.relay is not None
        self.name = "alerts.relay"
        self.ctx = ctx
        self.alerts: AlertsConfig = config.alerts
        self.relay: RelayConfig = config.alerts.relay
        self.state_dir = Path(config.agent.state_dir)
        self.m = ctx.metrics(AlertMetrics)
        self.clock: Callable[[], float] = time.time
        self.hm = ctx.metrics(HistoryMetrics)
        self.watchdog = ctx.shared(Watchdog)
        self.db: AsyncOutbox | None = None
        self.signer: Signer | None = None
        self.ack_bucket = TokenBucket(RateLimit.parse(self.alerts.ack.rate_limit))
        self.ack_valid_bucket = TokenBucket(RateLimit.parse(self.alerts.ack.rate_limit))
        self._last_poll = 0.0
        self._last_tick_error = 0.0
        self.channels: dict[str, Channel] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.wake: dict[str, asyncio.Event] = {}
        self.workers: dict[str, asyncio.Task[None]] = {}
        self._pending_accepts = 0
        self._closing: set[asyncio.Future[None]] = set()
        self._stopping = False
        self._ready = False

    # -- acknowledgment, escalation, history ------------------------------------------------

    @property
    def store(self) -> AlertStore:
        assert self.db is not None
        store = self.db.outbox
        assert isinstance(store, AlertStore)
        return store

    def make_store(self) -> AlertStore:
        return AlertStore(outbox_path(self.state_dir), self.alerts.history, self.hm, clock=lambda: self.clock())

    def ack_url(self, job: Job, n: Notification) -> Callable[[str], str | None]:
        signer, gid = self.signer, job.group_id
        if signer is None or gid is None or n.status != "firing" or not self.relay.public_url \
                or not self.alerts.ack.enabled:
            return lambda recipient: None
        base = self.relay.public_url.rstrip("/") + "/alerts/ack/"
        ttl = float(self.alerts.ack.token_ttl)
        return lambda recipient: base + signer.token(gid, f"{job.channel}:{recipient}", ttl, self.clock())

    def extra_routes(self) -> dict[str, Any]:
        return {"/alerts/ack/": self.handle_ack} if self.alerts.ack.enabled else {}

    async def tick(self) -> None:
        """About once a second: acknowledgments made from the shell, due escalation levels; every
        poll_interval, the silences."""
        if await self.db_call(self.store.count_other_acks):
            log.info("acknowledgments made from the shell counted")
        levels = {i: [(float(lv.after), tuple(lv.channels)) for lv in r.levels]
                  for i, r in enumerate(self.relay.routes) if r.levels}
        if levels:
            for gid, level, channels in await self.db_call(self.store.escalate, levels):
                log.warning("alert group not acknowledged in time; escalating", group=gid, level=level,
                            channels=channels)
                for name in channels:
                    if name in self.wake:
                        self.wake[name].set()
        if self.alerts.ack.silence and self.clock() - self._last_poll >= float(self.alerts.ack.poll_interval):
            self._last_poll = self.clock()
            await self._poll_silences()

    async def db_call(self, fn: Callable[..., Any], *args: Any) -> Any:
        assert self.db is not None
        return await self.db.call(fn, *args)

    async def _poll_silences(self) -> None:
        am = AlertmanagerAPI(self.alerts.ack)
        for g in await self.db_call(self.store.silenced_groups):
            try:
                if g.resolved_at is None:
                    if g.acked_at is not None and self.clock() > g.acked_at + float(self.alerts.ack.silence_max):
                        await self.db_call(self.store.set_silence, g.id, None, "expired")
                        continue
                    if await am.active_alerts(g.labels):
                        continue
                    # Silenced alerts send no resolve: Alertmanager no longer lists them, so they resolved.
                    await self.db_call(self.store.resolve_silenced, g.id)
                if g.silence_id:
                    await am.expire_silence(g.silence_id)
                await self.db_call(self.store.set_silence, g.id, None, "expired")
                self.hm.silences.labels("expired").inc()
                log.info("alert group resolved; its silence expired", group=g.id, silence=g.silence_id)
            except (aiohttp.ClientError, TimeoutError, RuntimeError, OSError) as e:
                self.hm.silences.labels("error").inc()
                log.warning("cannot check or expire an Alertmanager silence", group=g.id, error=str(e)[:200])

    async def silence(self, gid: int, who: str) -> None:
        g = await self.db_call(self.store.group, gid)
        if g is None or not g.labels:
            return
        try:
            sid = await AlertmanagerAPI(self.alerts.ack).create_silence(g.labels, who, self.clock())
        except (aiohttp.ClientError, TimeoutError, RuntimeError, OSError, ValueError) as e:
            self.hm.silences.labels("error").inc()
            await self.db_call(self.store.set_silence, gid, None, "error")
            log.error("cannot create the Alertmanager silence for an acknowledged group", group=gid,
                      error=str(e)[:200])
            return
        await self.db_call(self.store.set_silence, gid, sid, "active")
        self.hm.silences.labels("created").inc()
        log.info("Alertmanager silence created for an acknowledged group", group=gid, silence=sid)

    def _page(self, status: int, title: str, body: str, result: str) -> web.Response:
        self.hm.ack_requests.labels(result).inc()
        return web.Response(status=status, text=page(title, body), content_type="text/html",
                            headers=PAGE_HEADERS)

    async def handle_ack(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "POST", "HEAD"):
            return web.Response(status=405, headers={"Allow": "GET, POST"})
        if self.db is None or self.signer is None:
            return self._page(503, "Not available", "<p>The alert relay is starting. Try again shortly.</p>",
                              "error")
        token = request.path.rsplit("/", 1)[-1]
        try:
            claims = self.signer.verify(token, self.clock())
        except InvalidToken as e:
            # Requests without a valid token share one bucket, so guessing is slow; valid links have their
            # own, so a flood of garbage cannot lock out the person acknowledging.
            if not self.ack_bucket.try_take():
                return self._page(429, "Too many requests", "<p>Try again in a minute.</p>", "rate_limited")
            expired = e.reason == "expired"
            return self._page(410 if expired else 403, "Link expired" if expired else "Invalid link",
                              "<p>" + ("This acknowledge link has expired." if expired else
                                       "This acknowledge link is not valid.") +
                              " Nothing was changed.</p>", "expired" if expired else "invalid")
        if not self.ack_valid_bucket.try_take():
            return self._page(429, "Too many requests", "<p>Try again in a minute.</p>", "rate_limited")
        try:
            if request.method == "POST":
                return await self._ack_post(request, claims)
            return await self._ack_get(claims)
        except (sqlite3.Error, OSError) as e:
            log.error("acknowledge page failed", error=str(e))
            return self._page(503, "Not available", "<p>Try again shortly.</p>", "error")

    async def _ack_get(self, claims: Any) -> web.Response:
        g = await self.db_call(self.store.group, claims.group)
        if g is None:
            return self._page(404, "Unknown alert", "<p>Nothing was changed.</p>", "invalid")
        if await self.db_call(self.store.token_used, claims.nonce):
            return self._page(409, "Link already used", "<p>This link was used already. Nothing was changed.</p>",
                              "used")
        on_call = self.alerts.ack.on_call or ", ".join(g.delivered_to) or "—"
        state = (f"<p><b>Acknowledged</b> by {html_escape(g.acked_by or '')} at {utc(g.acked_at)}.</p>"
                 if g.acked_at else f"<p><b>Resolved</b> at {utc(g.resolved_at)}.</p>" if g.resolved_at else
                 f'<form method="post"><input type="hidden" name="group" value="{g.id}">'
                 f'<button type="submit">Acknowledge</button></form>')
        body = (f"<p><b>{html_escape(g.severity.upper())}</b> {html_escape(g.alertname)}</p>"
                f"<p>Firing since {utc(g.opened_at)}; notified {utc(g.first_delivered_at)}.</p>"
                f"<p>On call: {html_escape(on_call)}</p>"
                f"<p class=\"muted\">You: {html_escape(claims.who)}</p>{state}")
        return self._page(200, f"Acknowledge {g.alertname}", body, "page")

    async def _ack_post(self, request: web.Request, claims: Any) -> web.Response:
        try:
            async with asyncio.timeout(5):
                form = await request.post()
        except (TimeoutError, ValueError):
            form = {}  # type: ignore[assignment]
        if str(form.get("group", "")) != str(claims.group):
            return self._page(400, "Link does not match", "<p>This link belongs to another alert. Nothing was "
                              "changed.</p>", "mismatch")
        outcome = await self.db_call(self.store.acknowledge, claims.group, claims.who, claims.nonce)
        g = outcome.group
        if outcome.result == "used":
            return self._page(409, "Link already used", "<p>This link was used already. Nothing was changed.</p>",
                              "used")
        if outcome.result == "unknown" or g is None:
            return self._page(404, "Unknown alert", "<p>Nothing was changed.</p>", "invalid")
        if outcome.result == "already":
            return self._page(200, "Already acknowledged", f"<p>{html_escape(g.alertname)} was acknowledged by "
                              f"{html_escape(g.acked_by or '')} at {utc(g.acked_at)}.</p>", "already")
        if outcome.result == "resolved":
            return self._page(200, "Already resolved", f"<p>{html_escape(g.alertname)} resolved at "
                              f"{utc(g.resolved_at)}.</p>", "already")
        log.info("alert group acknowledged", group=g.id, by=claims.who, alertname=g.alertname)
        if self.alerts.ack.silence:
            await self.silence(g.id, claims.who)
        return self._page(200, "Acknowledged", f"<p>{html_escape(g.alertname)}: acknowledged by "
                          f"{html_escape(claims.who)} at {utc(g.acked_at)}. Escalation stopped.</p>", "acknowledged")

    # -- lifecycle -------------------------------------------------------------------

    def healthcheck(self) -> bool:
        return self._ready and all(not t.done() for t in self.workers.values())

    def reconfigure(self, new: object) -> bool:
        if not isinstance(new, AlertRelay) or new.state_dir != self.state_dir or type(new) is not type(self):
            return False
        old_path = self.relay.path
        self.alerts, self.relay = new.alerts, new.relay
        self.ack_bucket, self.ack_valid_bucket = new.ack_bucket, new.ack_valid_bucket
        if self.db is not None:
            self._unregister(old_path)
            self._register()
            self._start_channels()
        log.info("alert relay reconfigured", channels=sorted(self.channels))
        return True

    def _register(self) -> None:
        self.ctx.routes[self.relay.path] = self.handle_webhook
        if self.relay.bearer_token_file:
            self.ctx.self_authenticating.add(self.relay.path)
        self.ctx.routes["/api/alerts"] = self.handle_api
        for path, handler in self.extra_routes().items():
            if path.endswith("/"):
                self.ctx.prefix_routes[path] = handler
                self.ctx.self_authenticating.add(path)
            else:
                self.ctx.routes[path] = handler

    def _unregister(self, path: str) -> None:
        for p in (path, "/api/alerts", *self.extra_routes()):
            self.ctx.routes.pop(p, None)
            self.ctx.prefix_routes.pop(p, None)
            self.ctx.self_authenticating.discard(p)

    async def run(self, stop: asyncio.Event) -> None:
        self._stopping = False
        # Registered before the outbox is open: a webhook in between gets 503 (retried), never 404 (dropped).
        self._register()
        await asyncio.to_thread(self.watchdog.load, self.state_dir)
        db = AsyncOutbox(self.make_store())
        try:
            await db.call(lambda: db.outbox.db)
            if self.alerts.ack.enabled:
                try:
                    self.signer = Signer(await db.call(load_key, outbox_path(self.state_dir).parent / "ack.key"))
                except (OSError, ValueError) as e:
                    log.error("cannot read or create the acknowledge key; messages carry no acknowledge links",
                              error=str(e))
        except (sqlite3.Error, OSError, RuntimeError) as e:
            self.m.outbox_errors.labels("read").inc()
            await db.close()
            self._unregister(self.relay.path)
            raise RuntimeError(f"cannot open the alert outbox {outbox_path(self.state_dir)}: {e}") from None
        self.db = db
        self._start_channels()
        self._ready = True
        log.info("alert relay ready", path=self.relay.path, channels=sorted(self.channels),
                 routes=len(self.relay.routes), bearer_token=bool(self.relay.bearer_token_file))
        try:
            last_prune = 0.0
            while not stop.is_set():
                await self._update_gauges()
                try:
                    await self.tick()
                except (sqlite3.Error, OSError, RuntimeError, aiohttp.ClientError) as e:
                    self.m.outbox_errors.labels("update").inc()
                    if self.clock() - self._last_tick_error >= 60:
                        self._last_tick_error = self.clock()
                        log.error("escalation or silence check failed; retried every second",
                                  error=str(e)[:300])
                if self.clock() - last_prune > 600:
                    last_prune = self.clock()
                    await self._prune()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        finally:
            self._ready = False
            self._stopping = True
            self._unregister(self.relay.path)
            for ev in self.wake.values():
                ev.set()
            tasks = list(self.workers.values())
            if tasks:
                # Sends in flight get a moment to finish and be recorded (no repeat after the restart).
                _, late = await asyncio.wait(tasks, timeout=5.0)
                for t in late:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            self.workers.clear()
            for ch in self.channels.values():
                with contextlib.suppress(Exception):
                    await ch.close()
            self.channels.clear()
            if self.db is not None:
                await self.db.close()
                self.db = None

    def _start_channels(self) -> None:
        wanted = {c.name: c for c in self.relay.channels}
        for name in [n for n in self.channels if n not in wanted or self.channels[n].cfg != wanted[n]]:
            task = self.workers.pop(name, None)
            if task is not None:
                task.cancel()
            ch = self.channels.pop(name)
            closing = asyncio.ensure_future(ch.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        for name, cfg in wanted.items():
            if name in self.channels:
                continue
            self.channels[name] = build_channel(cfg)
            rate = cfg.rate
            if rate is None:
                self.buckets.pop(name, None)
            else:
                self.buckets[name] = TokenBucket(rate)
            ev = self.wake.setdefault(name, asyncio.Event())
            ev.set()
            self.workers[name] = asyncio.create_task(self._worker(name), name=f"alerts:{name}")

    async def _update_gauges(self) -> None:
        assert self.db is not None
        try:
            n, oldest = await self.db.call(self.db.outbox.stats, self.clock())
        except (sqlite3.Error, OSError):
            self.m.outbox_errors.labels("read").inc()
            return
        self.m.outbox_size.set(n)
        self.m.outbox_oldest.set(oldest)
        # Jobs left on a channel a reload removed move on (or fail) instead of waiting forever.
        try:
            orphaned = await self.db.call(self.db.outbox.pending_channels)
        except (sqlite3.Error, OSError):
            return
        for name in orphaned - set(self.channels):
            await self._orphans(name)

    async def _orphans(self, name: str) -> None:
        assert self.db is not None
        jobs = await self.db.call(self.db.outbox.due, name, float("inf"), 1000)
        for job in jobs:
            await self._record(job, Permanent("internal", f'channel "{name}" is no longer configured'))

    async def _prune(self) -> None:
        assert self.db is not None
        try:
            await self.db.call(self.db.outbox.prune, float(self.relay.dedup_window) + KEEP_DONE, self.clock())
            await self.db.call(self.store.prune_history, self.clock())
        except (sqlite3.Error, OSError) as e:
            self.m.outbox_errors.labels("update").inc()
            log.warning("cannot prune the alert outbox", error=str(e))

    # -- webhook ---------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool | None:
        """True/False; None when the token file cannot be read (our problem, not the caller's)."""
        if not self.relay.bearer_token_file:
            return True
        try:
            token = read_secret(self.relay.bearer_token_file)
        except OSError as e:
            log.error("cannot read alerts.relay.bearer_token_file; webhooks get 503", error=e.strerror or str(e))
            return None
        got = request.headers.get("Authorization", "")
        return bool(token) and hmac.compare_digest(got.encode(), f"Bearer {token}".encode())

    def _answer(self, result: str, status: int, reason: str = "", **extra: Any) -> web.Response:
        self.m.webhooks.labels(result).inc()
        doc: dict[str, Any] = {"status": result, **extra}
        if reason:
            doc["reason"] = reason
        headers = {"WWW-Authenticate": 'Bearer realm="cflexagent"'} if status == 401 else None
        return web.Response(status=status, body=orjson.dumps(doc), content_type="application/json",
                            headers=headers)

    async def _read_body(self, request: web.Request) -> bytes | web.Response:
        limit = int(self.relay.max_body)
        if request.content_length is not None and request.content_length > limit:
            return self._answer("too_large", 413, f"body over the {limit}-byte limit")
        buf = bytearray()
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                while True:
                    chunk = await request.content.read(65536)
                    if not chunk:
                        break
                    buf += chunk
                    if len(buf) > limit:
                        return self._answer("too_large", 413, f"body over the {limit}-byte limit")
        except TimeoutError:
            return self._answer("bad_request", 408, "body not received in time")
        return bytes(buf)

    def _disk_full(self) -> bool:
        try:
            st = os.statvfs(outbox_path(self.state_dir).parent)
        except OSError:
            return False
        return st.f_blocks > 0 and st.f_bavail / st.f_blocks < float(self.relay.outbox_min_free_disk)

    async def handle_webhook(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"}, text="use POST\n")
        ok = self._authorized(request)
        if ok is None:
            return self._answer("error", 503, "the relay cannot read its token file")
        if not ok:
            return self._answer("unauthorized", 401, "missing or wrong bearer token")
        body = await self._read_body(request)
        if isinstance(body, web.Response):
            return body
        try:
            payload = decode(body)
        except BadPayload as e:
            log.warning("webhook refused", reason=str(e)[:300])
            return self._answer("bad_request", 400, str(e)[:500])
        return await self.accept(payload)

    async def accept(self, payload: Payload) -> web.Response:
        if is_watchdog(payload):
            return await self._watchdog(payload)
        if self.db is None:
            return self._answer("error", 503, "the relay is starting")
        sev = severity(payload)
        found = route_for(self.relay, payload)
        unrouted = found is None
        idx, route = found or self._fallback_route()
        jobs = plan_jobs(route) if payload.status == "firing" or self.relay.send_resolved else []
        if self._disk_full():
            return self._answer("outbox_full", 503, "less free disk space than outbox_min_free_disk")
        if self._pending_accepts >= MAX_PENDING_ACCEPTS:
            return self._answer("outbox_full", 503, "too many webhooks at once")
        self._pending_accepts += 1
        try:
            res = await self.db.call(
                self.db.outbox.accept, dedup_key=dedup_key(payload), group_key=payload.groupKey,
                status=payload.status, severity=sev, route=idx, payload=msgspec.json.encode(payload), jobs=jobs,
                dedup_window=float(self.relay.dedup_window), outbox_max=self.relay.outbox_max)
        except OutboxFull as e:
            log.error("alert outbox full; webhook refused with 503", detail=str(e))
            return self._answer("outbox_full", 503, "outbox full")
        except (sqlite3.Error, OSError) as e:
            self.m.outbox_errors.labels("accept").inc()
            log.error("cannot write the alert outbox; webhook refused with 503", error=str(e))
            return self._answer("error", 503, "the outbox cannot be written")
        finally:
            self._pending_accepts -= 1
        if res.notification_id is None:
            log.info("duplicate webhook ignored", group=payload.groupKey[:200], duplicate_of=res.duplicate_of)
            return self._answer("duplicate", 200, duplicate_of=res.duplicate_of)
        for name in res.channels:
            ev = self.wake.get(name)
            if ev is not None:
                ev.set()
        if unrouted:
            log.warning("no route matches this notification; delivered on the fallback channels",
                        id=res.notification_id, group=payload.groupKey[:200], severity=sev,
                        channels=list(route.channels))
            return self._answer("unrouted", 200, "no [[alerts.relay.routes]] matches; sent to the fallback channels",
                                id=res.notification_id)
        log.info("webhook accepted", id=res.notification_id, status=payload.status, severity=sev,
                 alerts=len(payload.alerts), route=idx, channels=list(res.channels))
        return self._answer("accepted", 200, id=res.notification_id)

    async def _watchdog(self, payload: Payload) -> web.Response:
        """Alertmanager's always-firing Watchdog: recorded for the heartbeats (``watchdog.py``), never delivered."""
        if payload.status == "firing":
            try:
                await asyncio.to_thread(self.watchdog.seen, self.clock(), self.state_dir)
            except OSError as e:
                log.limited("warning", "cannot write the Watchdog's time; kept in memory", key=("watchdog",),
                            error=e.strerror or str(e))
        return self._answer("watchdog", 200, "Watchdog recorded, not delivered")

    def _fallback_route(self) -> tuple[int, RouteConfig]:
        """Where a notification no route matches goes (Alertmanager does not retry a 200): ``default_channels``
        as a route of its own (index -1: default retry_for, no escalation), else the first route."""
        if self.relay.default_channels:
            return -1, RouteConfig(channels=list(self.relay.default_channels))
        return 0, self.relay.routes[0]

    # -- API -------------------------------------------------------------------------

    async def handle_api(self, request: web.Request) -> web.Response:
        if self.db is None:
            return web.json_response({"error": "starting"}, status=503)
        try:
            doc = await self.db.call(self.db.outbox.listing, 50)
            doc["groups"] = await self.db.call(self.store.groups_listing, 50)
        except (sqlite3.Error, OSError) as e:
            return web.json_response({"error": str(e)}, status=503)
        doc["channels"] = {name: {"kind": ch.cfg.kind, "recipients": len(ch.recipients)}
                           for name, ch in self.channels.items()}
        return web.Response(body=orjson.dumps(doc), content_type="application/json")

    # -- delivery --------------------------------------------------------------------

    async def _worker(self, name: str) -> None:
        wake = self.wake[name]
        while not self._stopping:
            wake.clear()
            assert self.db is not None
            try:
                jobs = await self.db.call(self.db.outbox.due, name, self.clock(), 200)
                nxt = None if jobs else await self.db.call(self.db.outbox.next_due, name)
            except (sqlite3.Error, OSError) as e:
                self.m.outbox_errors.labels("read").inc()
                log.error("cannot read the alert outbox", channel=name, error=str(e))
                await asyncio.sleep(1.0)
                continue
            if not jobs:
                timeout = 60.0 if nxt is None else min(60.0, max(0.0, nxt - self.clock()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout)
                continue
            try:
                await self._deliver(name, jobs)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a bug must not stop the channel: count, log, carry on
                self.m.failures.labels(name, "internal").inc()
                log.exception("alert delivery failed unexpectedly", channel=name, error=f"{type(e).__name__}: {e}")
                await asyncio.sleep(1.0)

    def message(self, jobs: list[Job]) -> Message:
        ns = [to_notification(j) for j in jobs]
        ack = self.ack_url(jobs[0], ns[0]) if len(jobs) == 1 else (lambda recipient: None)
        return Message(ns, public_url=self.relay.public_url, ack_url=ack,
                       escalation=len(jobs) == 1 and jobs[0].role == "escalation")

    async def _deliver(self, name: str, jobs: list[Job]) -> None:
        ch = self.channels.get(name)
        if ch is None:
            return
        bucket = self.buckets.get(name)
        per_message = max(1, len(ch.recipients))
        if bucket is not None and len(jobs) > 1 and bucket.tokens < per_message * len(jobs):
            # Not enough tokens for each on its own: one summary for everything waiting once tokens arrive.
            await bucket.take(per_message)
            if self._stopping:
                return
            assert self.db is not None
            jobs = await self.db.call(self.db.outbox.due, name, self.clock(), 200) or jobs
            if len(jobs) > 1:
                done = frozenset.intersection(*(frozenset(j.done_to) for j in jobs))
                ns = [to_notification(j) for j in jobs]
                # Each group summarised keeps its own acknowledge link (escalation stops only by acknowledging).
                acks = {n.id: self.ack_url(j, n) for j, n in zip(jobs, ns, strict=True)}
                result = await self._send(ch, Message(ns, public_url=self.relay.public_url, ack_urls=acks), done)
                if isinstance(result, Delivered):
                    self.m.summaries.labels(name).inc()
                    self.m.summarized.labels(name).inc(len(jobs))
                log.info("rate limit: notifications sent as one summary", channel=name, notifications=len(jobs),
                         result=type(result).__name__.lower())
                for job in jobs:
                    await self._record(job, result)
                return
            taken = True
        else:
            taken = False
        for i, job in enumerate(jobs):
            if self._stopping:
                return
            if bucket is not None and not taken:
                await bucket.take(per_message)
            taken = False
            result = await self._send(ch, self.message([job]), frozenset(job.done_to))
            await self._record(job, result)
            if isinstance(result, Transient) and result.reason in _UNREACHABLE:
                for rest in jobs[i + 1:]:
                    await self._record(rest, Transient(result.reason, f"not tried: {result.detail}",
                                                       tuple(rest.done_to)), attempted=False)
                return

    async def _send(self, ch: Channel, msg: Message, done: frozenset[str]) -> Result:
        limit = float(ch.cfg.timeout) * (len(ch.recipients) + 2)
        try:
            async with asyncio.timeout(limit):
                return await ch.send(msg, done)
        except TimeoutError:
            return Transient("timeout", f"no answer within {limit:g}s", tuple(sorted(done)))

    def _route(self, job: Job) -> RouteConfig | None:
        return self.relay.routes[job.route] if 0 <= job.route < len(self.relay.routes) else None

    def _backoff(self, attempts: int) -> float:
        lo, hi = float(self.relay.min_backoff), float(self.relay.max_backoff)
        return random.uniform(lo, min(hi, lo * 2 ** min(attempts, 20)))

    async def _record(self, job: Job, result: Result, attempted: bool = True) -> None:
        """Apply one attempt's result to the job (one transaction) and count it."""
        assert self.db is not None
        store = self.db.outbox
        now = self.clock()
        sev = severity_label(job.severity)
        name = job.channel
        if attempted:
            kind = "delivered" if isinstance(result, Delivered) else \
                "transient" if isinstance(result, Transient) else "permanent"
            self.m.attempts.labels(name, kind).inc()
            if not isinstance(result, Delivered):
                self.m.failures.labels(name, result.reason if result.reason in REASONS else "internal").inc()
        try:
            if isinstance(result, Delivered):
                await self.db.call(store.delivered, job, list(result.done), now)
                self.m.notifications.labels(name, sev, "delivered").inc()
                self.m.latency.labels(name, sev).observe(max(0.0, now - job.received_at))
                log.info("notification delivered", id=job.notification_id, job=job.id, channel=name,
                         role=job.role, attempts=job.attempts + 1, seconds=round(now - job.received_at, 3),
                         **({"detail": result.detail} if result.detail else {}))
                return
            route = self._route(job)
            retry_for = float(route.retry_for) if route is not None else 120.0
            since = job.pos_since if job.pos_since is not None else now
            if isinstance(result, Transient) and now - since < retry_for:
                delay = self._backoff(job.attempts)
                await self.db.call(store.retry, job, list(result.done), f"{result.reason}: {result.detail}",
                                   now + delay, now)
                if attempted:
                    log.warning("delivery failed; will retry", id=job.notification_id, job=job.id, channel=name,
                                reason=result.reason, detail=result.detail, retry_in=round(delay, 2))
                return
            gave_up = now - job.received_at >= float(self.relay.give_up_after)
            restart = None if gave_up else now + float(self.relay.max_backoff)
            nxt = await self.db.call(store.advance, job, f"{result.reason}: {result.detail}",
                                     isinstance(result, Transient), now, restart)
            self.m.notifications.labels(name, sev, "failed").inc()
            if nxt is None:
                self.m.undeliverable.labels(sev).inc()
                log.error("notification could not be delivered on any channel of its route", id=job.notification_id,
                          job=job.id, channel=name, reason=result.reason, detail=result.detail, gave_up=gave_up)
                return
            if nxt != name:
                self.m.fallbacks.labels(name, nxt).inc()
            log.warning("channel failed; trying the next channel of the route", id=job.notification_id, job=job.id,
                        channel=name, next_channel=nxt, reason=result.reason, detail=result.detail)
            ev = self.wake.get(nxt)
            if ev is not None:
                ev.set()
        except (sqlite3.Error, OSError) as e:
            # The job stays as it was on disk: retried later (a delivered message may repeat once).
            self.m.outbox_errors.labels("update").inc()
            log.error("cannot record a delivery result in the alert outbox", id=job.notification_id,
                      channel=name, error=str(e))
            await asyncio.sleep(1.0)
