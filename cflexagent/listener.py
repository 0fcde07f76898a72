"""Accepts the HTTP server's connections: a connection cap, header and idle timeouts, bounded descriptors.

aiohttp's ``TCPSite`` hands accepting to asyncio, which has no cap, and no
deadline for a client that connects and never finishes its request: 1,100 idle
connections held every descriptor of a 1024-descriptor process, and Python
3.11's accept loop, out of descriptors, schedules one retry and one logged
traceback per pending connection per loop turn. So the agent accepts itself
(``loop.sock_accept``) and hands each socket to aiohttp's protocol with
``loop.connect_accepted_socket``, wrapped in :class:`Connection`, which sees
the bytes arrive and the connection go.

The rules (the same as nginx's reusable connections and Go's
``ReadHeaderTimeout`` / ``IdleTimeout``):

- a client has ``read_header_timeout`` from connecting (or from its first byte
  after a response) to complete a request's headers, TLS handshake included;
- a keep-alive connection with no request for ``idle_timeout`` is closed;
- at ``max_connections`` a new connection closes the connection that has been
  idle longest (waiting for headers counts as idle; a request in a handler
  never does), so a flood of idle clients cannot keep a real scraper out; when
  every connection is inside a handler, the new one is closed at once;
- ``accept()`` failing for lack of descriptors is one log line per minute and a
  counter, then a short pause, never a busy loop.

Connections the agent closes are aborted (RST): a TLS close would wait for the
peer's close_notify and keep the descriptor meanwhile.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .telemetry import AgentMetrics, get_logger

log = get_logger("server")
clock = time.monotonic

#: accept() errors that mean "no descriptor or buffer for now": wait, then try again.
_RESOURCE_ERRNOS = {errno.EMFILE: "EMFILE", errno.ENFILE: "ENFILE", errno.ENOBUFS: "ENOBUFS",
                    errno.ENOMEM: "ENOMEM"}
_ACCEPT_PAUSE = 0.25
_BACKLOG = 128


@dataclass(frozen=True, slots=True)
class Limits:
    max_connections: int
    read_header_timeout: float
    idle_timeout: float


def raise_open_files_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (systemd's default soft limit is
    1024 for compatibility with select(); asyncio uses epoll). Returns the soft limit in force."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return int(soft) if soft != resource.RLIM_INFINITY else 1 << 20


def connection_cap(configured: int, open_files: int) -> int:
    """At most half the descriptors go to HTTP clients: the rest are for log files, the Loki
    client, probes and the spool."""
    return min(configured, max(16, open_files // 2))


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for ``host`` (empty: every address, IPv4 and IPv6), as asyncio binds them.
    Raises OSError (EADDRINUSE, ...)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    seen: set[tuple[Any, ...]] = set()
    try:
        for family, kind, proto, _, addr in infos:
            if (family, addr) in seen:
                continue
            seen.add((family, addr))
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(addr)
            sock.listen(_BACKLOG)
            sock.setblocking(False)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


class Connection(asyncio.Protocol):
    """One accepted connection: forwards everything to aiohttp's protocol and keeps the times
    the timeouts and the eviction order need."""

    __slots__ = ("busy", "dropped", "first_byte", "idle_since", "inner", "listener", "opened", "requests",
                 "sock", "task", "transport")

    def __init__(self, listener: Listener, inner: asyncio.Protocol, sock: socket.socket, now: float) -> None:
        self.listener = listener
        self.inner = inner
        self.sock = sock
        self.transport: asyncio.BaseTransport | None = None
        self.task: asyncio.Task[Any] | None = None  # connect_accepted_socket (TLS handshake) while it runs
        self.opened = self.idle_since = now
        self.first_byte = 0.0  # first byte of a request whose headers are not complete yet
        self.busy = False  # inside a request handler
        self.requests = 0
        self.dropped = False

    # asyncio.Protocol, forwarded
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.listener.by_transport[transport] = self
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.busy and not self.first_byte:
            self.first_byte = clock()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.listener.forget(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # request boundaries (told by the server's middleware)
    def begin(self) -> None:
        self.busy = True
        self.requests += 1
        self.first_byte = 0.0

    def end(self) -> None:
        self.busy = False
        self.idle_since = clock()
        self.listener.idle(self)

    def expired(self, now: float, limits: Limits) -> str | None:
        if self.busy or self.dropped:
            return None
        if self.requests == 0:
            return "header_timeout" if now - self.opened > limits.read_header_timeout else None
        if self.first_byte and now - self.first_byte > limits.read_header_timeout:
            return "header_timeout"
        return "idle_timeout" if now - self.idle_since > limits.idle_timeout else None

    def drop(self, reason: str, *, flush: bool = False) -> None:
        """Close the connection, counted as ``reason``: aborted, or with ``flush`` once what was
        written so far (a last answer) is sent."""
        if self.dropped:
            return
        self.dropped = True
        self.listener.closed(reason)
        if self.transport is not None:
            if flush:
                self.transport.close()
            else:
                self.transport.abort()  # type: ignore[attr-defined]
        else:
            # Not handed to aiohttp yet (its task may not even have started, and a task cancelled
            # before its first step never runs its cleanup): the socket is ours to close.
            if self.task is not None:
                self.task.cancel()
            self.sock.close()


class Listener:
    """Accepts on ``sockets`` and hands connections to ``factory`` (aiohttp's ``web.Server``)."""

    def __init__(self, sockets: list[socket.socket], factory: Callable[[], asyncio.Protocol],
                 ssl_context: ssl.SSLContext | None, limits: Limits, metrics: AgentMetrics) -> None:
        self.sockets = sockets
        self._factory = factory
        self._ssl = ssl_context
        self.limits = limits
        self._metrics = metrics
        #: Open connections in the order they became idle (the eviction order), busy ones included.
        self.connections: dict[Connection, None] = {}
        self.by_transport: dict[asyncio.BaseTransport, Connection] = {}
        self._tasks: list[asyncio.Task[None]] = []
        metrics.http_connections_max.set(limits.max_connections)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._accept(s), name="http-accept") for s in self.sockets]
        self._tasks.append(loop.create_task(self._sweep(), name="http-timeouts"))

    async def close(self) -> None:
        """Stop accepting and stop the timers; open connections are aiohttp's to shut down."""
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for conn in list(self.connections):
            if conn.task is not None:  # still in the TLS handshake: aiohttp does not know it yet
                conn.drop("shutdown")
        for s in self.sockets:
            s.close()

    def conn(self, transport: Any) -> Connection | None:
        return self.by_transport.get(transport)

    def forget(self, conn: Connection) -> None:
        self.connections.pop(conn, None)
        if conn.transport is not None:
            self.by_transport.pop(conn.transport, None)
        self._metrics.http_connections.set(len(self.connections))

    def closed(self, reason: str) -> None:
        self._metrics.http_closed.labels(reason).inc()

    def idle(self, conn: Connection) -> None:
        """``conn`` finished a request: it is now the most recently idle (unless it is gone: a
        client may leave in the middle of a request)."""
        if self.connections.pop(conn, 0) is None:
            self.connections[conn] = None

    async def _accept(self, lsock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(lsock)
            except OSError as e:
                name = _RESOURCE_ERRNOS.get(e.errno or 0)
                if name is None and e.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EPERM):
                    continue  # the client gave up (or a firewall said no) between SYN and accept
                self._metrics.http_accept_errors.labels(name or "other").inc()
                log.limited("error", "cannot accept connections; pausing and retrying", key=("accept", e.errno),
                            error=f"{name or type(e).__name__}: {e.strerror or e}",
                            open_connections=len(self.connections))
                await asyncio.sleep(_ACCEPT_PAUSE)
                continue
            self._admit(sock, loop)
            # sock_accept returns without suspending while connections are waiting: a connect
            # flood must not keep the loop (and the connections it admitted) from running.
            await asyncio.sleep(0)

    def _admit(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        if len(self.connections) >= self.limits.max_connections:
            victim = next((c for c in self.connections if not c.busy and not c.dropped), None)
            if victim is None:
                sock.close()
                self.closed("rejected")
                log.limited("warning", "connection refused: every connection is in a request",
                            max_connections=self.limits.max_connections)
                return
            victim.drop("evicted")
            self.forget(victim)  # its descriptor is closed now; connection_lost follows
        conn = Connection(self, self._factory(), sock, clock())
        self.connections[conn] = None
        self._metrics.http_connections.set(len(self.connections))
        conn.task = loop.create_task(self._connect(conn, sock))

    async def _connect(self, conn: Connection, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self._ssl is None:
                await loop.connect_accepted_socket(lambda: conn, sock)
            else:
                await loop.connect_accepted_socket(lambda: conn, sock, ssl=self._ssl,
                                                   ssl_handshake_timeout=self.limits.read_header_timeout)
        except (OSError, TimeoutError, asyncio.CancelledError):
            # A failed or abandoned TLS handshake; asyncio closed the socket.
            if not conn.dropped:
                conn.dropped = True
                self.closed("tls_handshake")
            self.forget(conn)
            sock.close()
        finally:
            conn.task = None

    async def _sweep(self) -> None:
        tick = min(1.0, self.limits.read_header_timeout / 4)
        while True:
            await asyncio.sleep(tick)
            now = clock()
            for conn in list(self.connections):
                reason = conn.expired(now, self.limits)
                if reason is not None:
                    conn.drop(reason)
