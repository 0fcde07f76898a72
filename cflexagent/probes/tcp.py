"""The TCP prober: resolve, connect, optionally TLS, optionally send a line and expect a reply.

A plain connect check (the common case: "is the port open") is a bare
``sock_connect`` and close, with no transport or stream objects. ``send`` /
``expect`` and ``tls`` use asyncio streams; the reply is read until the
``expect`` regex matches, the server closes, or 64 KiB arrived.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass

from .base import Endpoint, Env, ProbeFailed, Result, clock, connect, resolve
from .config import TcpProbe, check_address
from .tls import client_context, handshake, record_tls

_EXPECT_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class TCPPlan:
    name: str
    target: str
    timeout: float
    max_duration: float
    endpoint: Endpoint
    send: bytes
    expect: re.Pattern[str] | None
    ssl_context: ssl.SSLContext | None
    ssl_error: str
    sni: str | None
    tls: bool


def compile_plan(cfg: TcpProbe) -> TCPPlan:
    hp = check_address(cfg.address, "address")
    ctx: ssl.SSLContext | None = None
    ssl_error = ""
    if cfg.tls:
        try:
            ctx = client_context(cfg.tls_verify, cfg.ca_file, cfg.client_cert_file, cfg.client_key_file)
        except (OSError, ssl.SSLError) as e:
            ssl_error = f"cannot set up TLS: {getattr(e, 'strerror', None) or e}"
    return TCPPlan(name=cfg.name, target=cfg.address, timeout=float(cfg.timeout),
                   max_duration=float(cfg.max_duration or 0.0), endpoint=Endpoint.make(hp.host, hp.port, cfg.ip_family),
                   send=cfg.send.encode(), expect=cfg.expect, ssl_context=ctx, ssl_error=ssl_error,
                   sni=(cfg.server_name or hp.host) if cfg.tls else None, tls=cfg.tls)


async def probe(plan: TCPPlan, env: Env, result: Result) -> None:
    addrs = await resolve(env, plan.endpoint, result)
    sock = await connect(env, addrs, result)
    if not plan.tls and not plan.send and plan.expect is None:
        sock.close()
        return
    writer: asyncio.StreamWriter | None = None
    try:
        opened: tuple[asyncio.StreamReader, asyncio.StreamWriter]
        if plan.tls:
            opened = await handshake(result, plan.ssl_context, plan.ssl_error, lambda: asyncio.open_connection(
                sock=sock, ssl=plan.ssl_context, server_hostname=plan.sni, ssl_handshake_timeout=plan.timeout))
            record_tls(result, opened[1].get_extra_info("ssl_object"))
        else:
            opened = await asyncio.open_connection(sock=sock)
        reader, writer = opened
        result.phase = "processing"
        t0 = clock()
        try:
            if plan.send:
                writer.write(plan.send)
                await writer.drain()
            if plan.expect is not None:
                await _expect(reader, plan.expect, result)
        except (ConnectionResetError, BrokenPipeError) as e:
            raise ProbeFailed("reset", f"connection reset: {e}") from None
        finally:
            result.processing += clock() - t0
    finally:
        if writer is not None:
            writer.transport.abort()
        else:
            sock.close()


async def _expect(reader: asyncio.StreamReader, pattern: re.Pattern[str], result: Result) -> None:
    buf = b""
    while len(buf) < _EXPECT_LIMIT:
        chunk = await reader.read(_EXPECT_LIMIT - len(buf))
        if not chunk:
            raise ProbeFailed("expect", f"connection closed before the reply matched {pattern.pattern!r}")
        buf += chunk
        if pattern.search(buf.decode("latin-1")):
            return
        # A reply arrived and does not match: a timeout from here on is an ``expect`` failure.
        result.phase = "expect"
    raise ProbeFailed("expect", f"first {_EXPECT_LIMIT} bytes do not match {pattern.pattern!r}")
