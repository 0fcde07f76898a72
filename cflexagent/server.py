"""The agent's HTTP server: /metrics, /healthz, /ready, /runbooks/, / and component routes.

TLS and basic auth follow Prometheus' web config (exporter-toolkit): users map
to bcrypt hashes and every endpoint but ``/healthz`` and ``/runbooks/`` (the
packaged runbooks the alerts link to, ``runbooks.py``) needs a valid user when any
are configured (``auth.py``: verified credentials are remembered, failures are
limited per client address and counted).

Connections are accepted by ``listener.py`` (cap, header and idle timeouts);
a request has ``server.request_timeout`` from its headers to its handler's
answer (a slow body included), else 408 and the connection is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from . import __version__, runbooks
from .auth import FAILURE_REFILL, BasicAuth
from .component import Context
from .config import ConfigError, ServerSection, unreadable_file
from .listener import Limits, Listener, bind, connection_cap, raise_open_files_limit
from .telemetry import AgentMetrics, get_logger

#: Served without credentials: liveness, and the runbooks (the project's documentation, no secrets).
OPEN_PATHS = frozenset({"/healthz", runbooks.PATH})

log = get_logger("server")


def build_ssl_context(section: ServerSection, source: str = "config") -> ssl.SSLContext | None:
    tls = section.tls
    if tls is None:
        return None
    for key, path in (("cert_file", tls.cert_file), ("key_file", tls.key_file)):
        problem = unreadable_file(path)
        if problem:
            raise ConfigError(f"{source}: server.tls.{key}: {problem}")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3 if tls.min_version == "TLS13" else ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as e:
        reason = getattr(e, "reason", None) or getattr(e, "strerror", None) or str(e)
        raise ConfigError(f"{source}: server.tls: cannot use cert_file/key_file: {reason}") from None
    return ctx


#: Why an endpoint of a capability is not served: that capability is not configured.
UNSERVED = {
    "/api/probes": "no [[probes]] or [[heartbeats]] are configured",
    "/api/storage/snapshots": "the cPanel storage scan is not configured ([storage.sftp])",
    "/api/alerts": "the alert relay is not enabled ([alerts.relay] enabled = true)",
}

#: aiohttp's request-parser errors (aiohttp.http_exceptions) by class: the label of
#: cflexagent_http_bad_requests_total. Any other is "malformed".
_BAD_REQUESTS = {"LineTooLong": "too_long", "BadHttpMethod": "bad_method", "BadStatusLine": "bad_request_line"}


class _RequestErrors(logging.Logger):
    """What aiohttp's connection handler logs, as our lines: a bad request is one line with the
    client's address and the error's class (never its text, which quotes the request) and a
    count; an exception in a handler is a line with its traceback as a field."""

    def __init__(self, metrics: AgentMetrics) -> None:
        super().__init__("cflexagent.server.http", logging.DEBUG)
        self._metrics = metrics

    def handle(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            reason = _BAD_REQUESTS.get(type(exc).__name__, "malformed")
            self._metrics.http_bad_requests.labels(reason).inc()
            client = str(record.args[0]) if isinstance(record.args, tuple) and record.args else ""
            log.limited("warning", "bad HTTP request", key=("bad_request", reason), client=client, reason=reason,
                        error=type(exc).__name__, status=exc.code)
        elif record.levelno >= logging.WARNING:
            log.limited("error", str(record.msg)[:200], key=("handler", type(exc).__name__ if exc else ""),
                        exc=exc if isinstance(exc, BaseException) else None)


class Server:
    def __init__(self, section: ServerSection, ctx: Context, metrics: AgentMetrics,
                 not_ready: Callable[[], list[str]]) -> None:
        self._section = section
        self._ctx = ctx
        self._metrics = metrics
        self._not_ready = not_ready
        self._auth = BasicAuth(section.basic_auth.users if section.basic_auth else {})
        self._request_errors = _RequestErrors(metrics)
        self._runner: web.AppRunner | None = None
        self._listener: Listener | None = None
        self.port = 0

    def set_auth(self, section: ServerSection) -> None:
        users = section.basic_auth.users if section.basic_auth else {}
        if users != self._auth.users:  # unchanged users keep their verified credentials
            self._auth = BasicAuth(users)

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._request_middleware, self._auth_middleware],
                              client_max_size=16 * 1024 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_get("/metrics", self._metrics_handler)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/ready", self._ready)
        app.router.add_get(runbooks.PATH, runbooks.handle)
        app.router.add_route("*", "/{tail:.+}", self._dynamic)
        return app

    async def start(self, ssl_context: ssl.SSLContext | None) -> None:
        """Bind and serve. Raises OSError when the address is in use."""
        section = self._section
        # aiohttp's own keep-alive timer only backs the listener's timeouts up (which count why).
        backstop = max(float(section.idle_timeout), float(section.read_header_timeout)) + 2.0
        runner = web.AppRunner(self._app(), access_log=None, handle_signals=False, shutdown_timeout=2.0,
                               keepalive_timeout=backstop, logger=self._request_errors)
        await runner.setup()
        try:
            sockets = bind(section.listen.host, section.listen.port)
        except BaseException:
            await runner.cleanup()
            raise
        open_files = raise_open_files_limit()
        cap = connection_cap(section.max_connections, open_files)
        if cap < section.max_connections:
            log.warning("server.max_connections lowered to half the open-files limit",
                        configured=section.max_connections, max_connections=cap, open_files_limit=open_files)
        assert runner.server is not None
        listener = Listener(sockets, runner.server, ssl_context,
                            Limits(cap, float(section.read_header_timeout), float(section.idle_timeout)),
                            self._metrics)
        listener.start()
        self._runner, self._listener = runner, listener
        self.port = int(sockets[0].getsockname()[1])
        log.info("serving", address=str(section.listen), port=self.port, tls=ssl_context is not None,
                 basic_auth=self._auth.enabled, max_connections=cap)

    async def restart(self, section: ServerSection, ssl_context: ssl.SSLContext | None) -> None:
        """Rebind with a new section; on failure keep serving the old one and re-raise."""
        old_runner, old_section = self._runner, self._section
        old_listener = self._listener
        same_address = section.listen == old_section.listen
        if same_address and old_runner is not None:
            await self._close(old_runner, old_listener)
        self._section = section
        self.set_auth(section)
        try:
            await self.start(ssl_context)
        except BaseException:
            self._section = old_section
            self.set_auth(old_section)
            if same_address:
                await self.start(build_ssl_context(old_section))
            raise
        if not same_address and old_runner is not None:
            await self._close(old_runner, old_listener)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._close(self._runner, self._listener)
            self._runner = self._listener = None

    @staticmethod
    async def _close(runner: web.AppRunner, listener: Listener | None) -> None:
        if listener is not None:
            await listener.close()
        await runner.cleanup()

    @web.middleware
    async def _request_middleware(self, request: web.Request,
                                  handler: Callable[..., object]) -> web.StreamResponse:
        """Tells the listener a request is in a handler (never evicted, no header timeout) and
        bounds the handler's time, reading a slow body included."""
        conn = self._listener.conn(request.transport) if self._listener is not None else None
        if conn is not None:
            conn.begin()
        timeout = asyncio.timeout(float(self._section.request_timeout))
        try:
            async with timeout:
                return await handler(request)  # type: ignore[misc,no-any-return]
        except TimeoutError:
            if not timeout.expired():
                raise
            log.limited("warning", "request took longer than server.request_timeout; closing the connection",
                        client=request.remote, path=request.path[:200],
                        request_timeout_seconds=float(self._section.request_timeout))
            resp = web.Response(status=408, text="Request Timeout\n")
            resp.force_close()
            # Answer now and close: aiohttp would otherwise linger reading the rest of the body.
            with contextlib.suppress(ConnectionError):
                await resp.prepare(request)
                await resp.write_eof()
            if conn is not None:
                conn.drop("request_timeout", flush=True)
            else:
                self._metrics.http_closed.labels("request_timeout").inc()
            return resp
        finally:
            if conn is not None:
                conn.end()

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Callable[..., object]) -> web.StreamResponse:
        if self._auth.enabled and request.path not in OPEN_PATHS and not self._ctx.authenticates_itself(request.path):
            client = request.remote or ""
            reason = await self._auth.check(request.headers.get("Authorization"), client)
            if reason is not None:
                self._metrics.http_auth_failures.labels(reason).inc()
                log.limited("warning", "authentication failed", key=("auth", reason), client=client, reason=reason)
                if reason == "rate_limited":
                    return web.Response(status=429, text="Too many failed logins\n",
                                        headers={"Retry-After": str(int(FAILURE_REFILL))})
                return web.Response(status=401, text="Unauthorized\n",
                                    headers={"WWW-Authenticate": 'Basic realm="cflexagent"'})
        return await handler(request)  # type: ignore[misc,no-any-return]

    async def _index(self, request: web.Request) -> web.Response:
        links = ["/metrics", "/healthz", "/ready", runbooks.PATH, *sorted(self._ctx.routes)]
        items = "".join(f'<li><a href="{p}">{p}</a></li>' for p in links)
        body = (f"<!doctype html><html><head><title>cflexagent</title></head><body>"
                f"<h1>cflexagent {__version__}</h1><ul>{items}</ul></body></html>")
        return web.Response(text=body, content_type="text/html")

    async def _metrics_handler(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        registry: CollectorRegistry = self._ctx.registry
        body = encoder(registry)
        self._metrics.scrape_duration.observe(time.perf_counter() - started)
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _ready(self, request: web.Request) -> web.Response:
        bad = self._not_ready()
        if bad:
            return web.Response(status=503, text="not ready: " + ", ".join(sorted(bad)) + "\n")
        return web.Response(text="ready\n")

    async def _dynamic(self, request: web.Request) -> web.StreamResponse:
        handler = self._ctx.handler_for(request.path)
        if handler is None:
            if request.path.startswith("/api/"):
                # An API client gets a reason it can act on, and the endpoints there are.
                reason = UNSERVED.get(request.path, "no such endpoint")
                return web.json_response({"error": f"{request.path} is not served: {reason}",
                                          "endpoints": sorted(self._ctx.routes)}, status=404)
            raise web.HTTPNotFound()
        return await handler(request)
