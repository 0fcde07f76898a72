"""The HTTP(S) prober: one fresh connection per probe, each step timed.

Steps are driven one by one so each phase is measured as blackbox_exporter
names them: ``resolve`` (c-ares), ``connect`` (``sock_connect``), ``tls``
(``create_connection(sock=..., ssl=...)`` runs only the handshake),
``processing`` (request written -> first response byte) and ``transfer``
(first byte -> end of the bounded body read). Redirect hops add up.

Responses are parsed by httptools (the Node.js llhttp parser, also behind
uvicorn): a maintained, strict HTTP/1.1 parser with a callback API that fits an
``asyncio.Protocol`` without copies, so this module never parses HTTP itself.
Requests are HTTP/1.1 with ``Connection: close``; at most ``body_limit`` bytes
of body are read, the rest is dropped with the connection.

A target can be hostile, and one target must never freeze or bloat the agent:
the response headers may take at most 64 KiB (httptools keeps them in memory
until each one ends) and 256 of them, the bytes read after the headers at most
twice ``body_limit`` plus 64 KiB (chunk framing, trailers), and the read loop
gives the event loop a turn after every read, so the probe's timeout fires even
against a peer that sends without pause (``sock_recv`` returns without
suspending while data is waiting).
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httptools

from .. import __version__
from .base import Endpoint, Env, ProbeFailed, Result, clock, connect, resolve
from .config import HttpProbe, display_url
from .tls import client_context, handshake, record_tls

_REDIRECTS = frozenset((301, 302, 303, 307, 308))
_MAX_HEADERS = 256
_MAX_HEADER_BYTES = 64 * 1024
#: Bytes on the wire after the headers, beyond body_limit, that may be framing or trailers.
_FRAMING_SLACK = 64 * 1024
_USER_AGENT = f"cflexagent/{__version__}"


@dataclass(frozen=True, slots=True)
class Hop:
    """One request target: where to connect and the exact bytes to send."""

    url: str
    endpoint: Endpoint
    https: bool
    sni: str | None
    request: bytes


@dataclass(frozen=True, slots=True)
class HTTPPlan:
    name: str
    target: str
    timeout: float
    max_duration: float
    first: Hop
    method: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    ip_family: Any
    server_name: str
    ssl_context: ssl.SSLContext | None
    ssl_error: str
    statuses: frozenset[int]
    expect_body: re.Pattern[str] | None
    fail_if_body: re.Pattern[str] | None
    expect_header: tuple[tuple[bytes, re.Pattern[str]], ...]
    follow_redirects: bool
    max_redirects: int
    body_limit: int
    keep_body: bool
    head: bool
    #: False for heartbeats: their URL is the secret, so failure details name no URL at all.
    show_urls: bool = True


def _statuses(spec: list[int | str]) -> frozenset[int]:
    out: set[int] = set()
    for s in spec:
        if isinstance(s, int):
            out.add(s)
        else:
            base = int(s[0]) * 100
            out.update(range(base, base + 100))
    return frozenset(out)


def _request(method: str, url: str, headers: tuple[tuple[str, str], ...], body: bytes) -> tuple[bytes, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    host_header = f"[{host}]" if ":" in host else host
    default_port = 443 if parts.scheme == "https" else 80
    if parts.port and parts.port != default_port:
        host_header += f":{parts.port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    mine = {k.lower() for k, _ in headers}
    lines = [f"{method} {path} HTTP/1.1"]
    for k, v in (("Host", host_header), ("User-Agent", _USER_AGENT), ("Accept", "*/*")):
        if k.lower() not in mine:
            lines.append(f"{k}: {v}")
    lines.extend(f"{k}: {v}" for k, v in headers if k.lower() != "connection")
    lines.append("Connection: close")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body, host


def _hop(url: str, method: str, headers: tuple[tuple[str, str], ...], body: bytes, ip_family: Any,
         server_name: str) -> Hop:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    request, host = _request(method, url, headers, body)
    port = parts.port or (443 if https else 80)
    return Hop(url, Endpoint.make(host, port, ip_family), https, (server_name or host) if https else None, request)


def compile_plan(cfg: HttpProbe) -> HTTPPlan:
    """Everything the prober needs, computed once: request bytes, status set, TLS context."""
    headers = tuple(cfg.headers.items())
    body = cfg.body.encode()
    ctx: ssl.SSLContext | None = None
    ssl_error = ""
    try:
        ctx = client_context(cfg.tls_verify, cfg.ca_file, cfg.client_cert_file, cfg.client_key_file)
    except (OSError, ssl.SSLError) as e:
        ssl_error = f"cannot set up TLS: {getattr(e, 'strerror', None) or e}"
    return HTTPPlan(
        name=cfg.name, target=display_url(cfg.url), timeout=float(cfg.timeout),
        max_duration=float(cfg.max_duration or 0.0),
        first=_hop(cfg.url, cfg.method, headers, body, cfg.ip_family, cfg.server_name),
        method=cfg.method, headers=headers, body=body, ip_family=cfg.ip_family, server_name=cfg.server_name,
        ssl_context=ctx, ssl_error=ssl_error, statuses=_statuses(cfg.expect_status),
        expect_body=cfg.expect_body, fail_if_body=cfg.fail_if_body,
        expect_header=tuple((k.lower().encode(), v) for k, v in cfg.expect_header.items()),
        follow_redirects=cfg.follow_redirects, max_redirects=cfg.max_redirects, body_limit=int(cfg.body_limit),
        keep_body=cfg.expect_body is not None or cfg.fail_if_body is not None, head=cfg.method == "HEAD",
    )


class _Client(asyncio.Protocol):
    """Feeds received bytes to llhttp and resolves ``done`` at the end of the (bounded) response."""

    __slots__ = ("body", "body_bytes", "done", "first_byte", "framed", "head_wire", "headers", "keep_body",
                 "last_byte", "limit", "parser", "status", "stop_at_headers", "transport", "truncated", "wire",
                 "wire_limit")

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int, keep_body: bool, head: bool) -> None:
        self.done: asyncio.Future[None] = loop.create_future()
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.body_bytes = 0
        self.limit = limit
        self.wire = self.head_wire = 0  # bytes received; bytes received when the headers ended
        self.wire_limit = 2 * limit + _FRAMING_SLACK
        self.keep_body = keep_body
        self.stop_at_headers = head
        self.first_byte = self.last_byte = 0.0
        self.status = 0
        self.truncated = False
        self.framed = False  # Content-Length or chunked: the body does not end with the connection
        self.transport: asyncio.Transport | None = None

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        if not self.first_byte:
            self.first_byte = clock()
        self.wire += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            pass  # raised by our own early finish (below); done is already set
        except httptools.HttpParserUpgrade:
            self._finish(None)
        except httptools.HttpParserError as e:
            self._finish(ProbeFailed("protocol", f"malformed HTTP response: {e}"))
        if self.done.done():
            return
        if not self.status:
            if self.wire > _MAX_HEADER_BYTES:
                self._finish(ProbeFailed("protocol", f"response headers longer than {_MAX_HEADER_BYTES // 1024} KiB"))
        elif self.wire - self.head_wire > self.wire_limit:
            # Tiny chunks or endless trailers: the body read so far is what the probe judges.
            self.truncated = True
            self._finish(None)

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done.done():
            return
        if self.status and exc is None and not self.framed:
            # No Content-Length and not chunked: the body ends with the connection.
            self._finish(None)
        elif exc is not None:
            self._finish(ProbeFailed("reset", f"connection lost: {exc}"))
        else:
            what = "during the response" if self.first_byte else "before any response"
            self._finish(ProbeFailed("reset", f"connection closed by the server {what}"))

    # llhttp callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= _MAX_HEADERS:
            self._finish(ProbeFailed("protocol", f"more than {_MAX_HEADERS} response headers"))
            raise _Stop
        name = name.lower()
        if name == b"content-length" or name == b"transfer-encoding":
            self.framed = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.head_wire = self.wire
        if self.stop_at_headers:
            self._finish(None)
            raise _Stop

    def on_body(self, body: bytes) -> None:
        n = len(body)
        room = self.limit - self.body_bytes
        if n >= room:
            if self.keep_body:
                self.body += body[:room]
            self.body_bytes += room
            self.truncated = True
            self._finish(None)
            raise _Stop
        if self.keep_body:
            self.body += body
        self.body_bytes += n

    def on_message_complete(self) -> None:
        self._finish(None)

    def _finish(self, exc: ProbeFailed | None) -> None:
        if self.done.done():
            return
        self.last_byte = clock()
        if exc is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(exc)


class _Stop(Exception):
    """Stops llhttp mid-buffer (turned into HttpParserCallbackError by httptools)."""


async def _exchange(plan: HTTPPlan, hop: Hop, env: Env, result: Result) -> _Client:
    addrs = await resolve(env, hop.endpoint, result)
    sock = await connect(env, addrs, result)
    loop = env.loop
    client = _Client(loop, plan.body_limit, plan.keep_body, plan.head)
    if not hop.https:
        # Plain HTTP talks to the socket directly: no transport object, and about
        # half the event-loop iterations per probe (this is the hot path).
        try:
            result.phase = "processing"
            sent = clock()
            try:
                await loop.sock_sendall(sock, hop.request)
                done = client.done
                while not done.done():
                    data = await loop.sock_recv(sock, 65536)
                    if data:
                        client.data_received(data)
                    else:
                        client.connection_lost(None)
                    if not done.done():
                        # sock_recv returns without suspending while data is waiting: without
                        # this turn, a peer that never stops sending would own the event loop.
                        await asyncio.sleep(0)
            except OSError as e:
                client.connection_lost(e)
            finally:
                _timing(client, sent, result)
        finally:
            sock.close()
        client.done.result()  # raises the ProbeFailed the parser or the connection produced
        return client
    transport: asyncio.Transport | None = None
    try:
        opened: tuple[asyncio.Transport, _Client] = await handshake(
            result, plan.ssl_context, plan.ssl_error, lambda: loop.create_connection(
                lambda: client, sock=sock, ssl=plan.ssl_context, server_hostname=hop.sni,
                ssl_handshake_timeout=plan.timeout))
        transport = opened[0]
        record_tls(result, transport.get_extra_info("ssl_object"))
        result.phase = "processing"
        sent = clock()
        transport.write(hop.request)
        try:
            await client.done
        finally:
            _timing(client, sent, result)
    except BaseException:
        if transport is not None:
            transport.abort()
        else:
            sock.close()
        raise
    if client.truncated:
        transport.abort()
    else:
        transport.close()
    return client


def _timing(client: _Client, sent: float, result: Result) -> None:
    if client.first_byte:
        result.processing += client.first_byte - sent
        result.transfer += (client.last_byte or clock()) - client.first_byte
    else:
        result.processing += clock() - sent


def _header(client: _Client, name: bytes) -> bytes | None:
    for k, v in client.headers:
        if k == name:
            return v
    return None


def _where(plan: HTTPPlan, url: str) -> str:
    """A redirect target for a failure detail: without query or userinfo, and for heartbeats not at all."""
    if not plan.show_urls:
        return ""
    try:
        return f" {display_url(url)[:200]}"
    except ValueError:
        return " (a malformed URL)"


async def probe(plan: HTTPPlan, env: Env, result: Result) -> None:
    hop = plan.first
    while True:
        client = await _exchange(plan, hop, env, result)
        status = client.status
        if plan.follow_redirects and status in _REDIRECTS:
            location = _header(client, b"location")
            if location:
                url = urljoin(hop.url, location.decode("latin-1"))
                where = _where(plan, url)
                if result.redirects >= plan.max_redirects:
                    raise ProbeFailed("redirects", f"more than {plan.max_redirects} redirects (the last to{where})")
                result.redirects += 1
                if urlsplit(url).scheme not in ("http", "https"):
                    raise ProbeFailed("redirects", f"redirect to a non-HTTP URL{where}")
                method, body = plan.method, plan.body
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, body = "GET", b""
                hop = _hop(url, method, plan.headers, body, plan.ip_family, plan.server_name)
                continue
        break
    result.status_code = status
    version = client.parser.get_http_version()
    result.http_version = 1.1 if version == "1.1" else float(version or 0)
    length = _header(client, b"content-length")
    result.content_length = int(length) if length and length.isdigit() else client.body_bytes
    result.body_bytes = client.body_bytes
    if status not in plan.statuses:
        raise ProbeFailed("status", f"status {status} not expected")
    for name, pattern in plan.expect_header:
        value = _header(client, name)
        if value is None or not pattern.search(value.decode("latin-1")):
            raise ProbeFailed("header", f"header {name.decode()} missing or not matching {pattern.pattern!r}")
    if plan.keep_body:
        text = client.body.decode("utf-8", "replace")
        if plan.expect_body is not None and not plan.expect_body.search(text):
            result.regex_failed = True
            raise ProbeFailed("body", f"body does not match {plan.expect_body.pattern!r}")
        if plan.fail_if_body is not None and plan.fail_if_body.search(text):
            result.regex_failed = True
            raise ProbeFailed("body", f"body matches fail_if_body {plan.fail_if_body.pattern!r}")
