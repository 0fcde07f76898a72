"""What every prober shares: the result record, the failure type, DNS and connect.

A prober is ``async def probe(plan, env, result) -> None``: it fills ``result``
(phases, protocol facts) and raises :class:`ProbeFailed` with one reason. The
scheduler owns the timeout: when it fires, ``result.phase`` tells which step was
running (``resolve`` -> ``dns``, ``connect`` -> ``connect_timeout``, later ->
``timeout``).

DNS goes through c-ares (aiodns): it reads /etc/hosts, and a lookup is a future
that the timeout cancels, unlike ``getaddrinfo`` in a worker thread. IP
literals are recognised when the plan is compiled and never resolved.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any, Literal

#: Every failure reason (label values of ``cflexagent_probe_failures_total``).
REASONS = ("dns", "refused", "connect_timeout", "reset", "tls_handshake", "tls_untrusted", "tls_hostname",
           "cert_expired", "timeout", "protocol", "status", "body", "header", "too_slow", "expect", "redirects",
           "prober_offline", "prober_stalled", "error")

Addr = tuple[int, tuple[Any, ...]]  # (family, sockaddr)
clock = time.monotonic  # the event loop's clock; LoopMonitor uses it too


class ProbeFailed(Exception):
    """A probe failed for ``reason`` (one of REASONS); ``detail`` is for humans."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


class Result:
    """One probe run. Phases are seconds; zero means the step did not happen."""

    __slots__ = (
        "address",
        "body_bytes",
        "chain",
        "chain_expiry",
        "connect",
        "content_length",
        "detail",
        "duration",
        "finished",
        "http_version",
        "leaf_expiry",
        "phase",
        "processing",
        "reason",
        "redirects",
        "regex_failed",
        "resolve",
        "result",
        "started",
        "status_code",
        "tls",
        "tls_version",
        "transfer",
        "uses_tls",
        "want_chain",
    )

    def __init__(self) -> None:
        self.phase = "resolve"
        self.result = "success"  # success | failure | inconclusive
        self.reason = ""
        self.detail = ""
        self.started = self.finished = self.duration = 0.0
        self.resolve = self.connect = self.tls = self.processing = self.transfer = 0.0
        self.address = ""
        self.status_code = 0
        self.http_version = 0.0
        self.content_length = -1
        self.body_bytes = 0
        self.redirects = 0
        self.uses_tls = False
        self.tls_version = ""
        self.leaf_expiry = self.chain_expiry = 0.0
        self.regex_failed = False
        #: Set by ``cflexagent probe``: collect each presented certificate into ``chain``.
        self.want_chain = False
        self.chain: list[dict[str, Any]] = []

    def fail(self, reason: str, detail: str = "") -> None:
        self.result = "failure"
        self.reason = reason
        self.detail = detail

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "result": self.result, "reason": self.reason, "detail": self.detail,
            "duration_seconds": round(self.duration, 6), "address": self.address,
            "phases": {"resolve": round(self.resolve, 6), "connect": round(self.connect, 6),
                       "tls": round(self.tls, 6), "processing": round(self.processing, 6),
                       "transfer": round(self.transfer, 6)},
        }
        if self.status_code:
            d.update(status_code=self.status_code, http_version=self.http_version,
                     content_length=self.content_length, body_bytes=self.body_bytes, redirects=self.redirects)
        if self.uses_tls:
            d.update(tls_version=self.tls_version, leaf_cert_expiry=self.leaf_expiry,
                     earliest_cert_expiry=self.chain_expiry)
        return d


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to connect: the host as written, the port, and addresses if the host is an IP literal."""

    host: str
    port: int
    family: Literal["auto", "ipv4", "ipv6"]
    literal: tuple[Addr, ...] | None

    @classmethod
    def make(cls, host: str, port: int, family: Literal["auto", "ipv4", "ipv6"]) -> Endpoint:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return cls(host, port, family, None)
        addr: Addr = (socket.AF_INET6, (host, port, 0, 0)) if ip.version == 6 else (socket.AF_INET, (host, port))
        return cls(host, port, family, (addr,))


class Env:
    """What probers share at run time: the loop and one c-ares resolver."""

    def __init__(self) -> None:
        import aiodns

        self.loop = asyncio.get_running_loop()
        self.resolver = aiodns.DNSResolver(loop=self.loop)

    async def close(self) -> None:
        await self.resolver.close()


_FAMILY = {"auto": socket.AF_UNSPEC, "ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}


async def resolve(env: Env, ep: Endpoint, result: Result) -> tuple[Addr, ...]:
    if ep.literal is not None:
        return ep.literal
    import aiodns

    result.phase = "resolve"
    t0 = clock()
    try:
        res = await env.resolver.getaddrinfo(ep.host, family=_FAMILY[ep.family], port=ep.port,
                                             type=socket.SOCK_STREAM)
    except aiodns.error.DNSError as e:
        raise ProbeFailed("dns", f"cannot resolve {ep.host}: {e.args[1] if len(e.args) > 1 else e}") from None
    finally:
        result.resolve += clock() - t0
    addrs: list[Addr] = []
    for node in res.nodes:
        host = node.addr[0].decode() if isinstance(node.addr[0], bytes) else node.addr[0]
        addrs.append((node.family, (host, *node.addr[1:])))
    if not addrs:
        raise ProbeFailed("dns", f"{ep.host} has no address")
    if ep.family == "auto":
        # IPv4 first: on a VPS, IPv6 is the path more often broken or firewalled,
        # and a service listening on 127.0.0.1 only must not fail via ::1.
        addrs.sort(key=lambda a: a[0] != socket.AF_INET)
    return tuple(addrs)


async def connect(env: Env, addrs: tuple[Addr, ...], result: Result) -> socket.socket:
    """Connect to the first address that accepts; the others are tried after refusals."""
    result.phase = "connect"
    t0 = clock()
    last: ProbeFailed | None = None
    try:
        for family, sockaddr in addrs:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                await env.loop.sock_connect(sock, sockaddr)
            except BaseException as e:
                sock.close()
                if not isinstance(e, OSError):
                    raise
                last = last or connect_error(e, sockaddr)  # the first address's error is the telling one
                continue
            result.address = sockaddr[0]
            return sock
    finally:
        result.connect += clock() - t0
    assert last is not None
    raise last


def connect_error(e: OSError, sockaddr: tuple[Any, ...]) -> ProbeFailed:
    where = f"[{sockaddr[0]}]:{sockaddr[1]}" if ":" in sockaddr[0] else f"{sockaddr[0]}:{sockaddr[1]}"
    if isinstance(e, ConnectionRefusedError):
        return ProbeFailed("refused", f"connection refused by {where}")
    if isinstance(e, ConnectionResetError):
        return ProbeFailed("reset", f"connection reset by {where}")
    if e.errno == errno.ETIMEDOUT:
        return ProbeFailed("connect_timeout", f"connect to {where} timed out")
    return ProbeFailed("refused", f"cannot connect to {where}: {e.strerror or e}")


def timeout_reason(phase: str) -> str:
    return {"resolve": "dns", "connect": "connect_timeout", "expect": "expect"}.get(phase, "timeout")
