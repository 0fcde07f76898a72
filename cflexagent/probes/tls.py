"""TLS for the probers: client contexts, failure reasons and certificate expiry.

Contexts are built once per distinct setting (verify, CA file, client cert) and
shared by every probe that uses it: creating one loads the system trust store,
which costs milliseconds and a few hundred KiB each time.

The chain a server presented is reachable in Python 3.11 only through the
private ``_ssl._SSLSocket.get_verified_chain()`` / ``get_unverified_chain()``
(public on ``SSLObject`` from 3.13). :func:`chain_expiries` is the one place that
touches it; when it is missing we fall back to the leaf from ``getpeercert()``.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .base import ProbeFailed, Result, clock

T = TypeVar("T")

#: OpenSSL X509_V_ERR_* codes that have their own reason.
_EXPIRED = {10}  # X509_V_ERR_CERT_HAS_EXPIRED
_HOSTNAME = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH

_TLS_VERSION_NAMES = {"TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1", "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3"}

#: OpenSSL's handshake failure reasons as a person would say them; the code stays in brackets
#: so it can still be searched for. Others read as their code in words.
_HANDSHAKE_REASONS = {
    "WRONG_VERSION_NUMBER": "the server did not answer with TLS (is this port plain HTTP?)",
    "HTTP_REQUEST": "the server did not answer with TLS (is this port plain HTTP?)",
    "UNKNOWN_PROTOCOL": "the server did not answer with TLS",
    "RECORD_LAYER_FAILURE": "the server did not answer with TLS",
    "PACKET_LENGTH_TOO_LONG": "the server did not answer with TLS",
    "UNSUPPORTED_PROTOCOL": "the server offers only TLS versions this agent refuses (older than TLS 1.2)",
    "TLSV1_ALERT_PROTOCOL_VERSION": "the server refused every TLS version this agent offers",
    "NO_PROTOCOLS_AVAILABLE": "no TLS version is both allowed here and offered by the server",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server refused the handshake (no cipher or option in common)",
    "NO_SHARED_CIPHER": "no cipher in common with the server",
    "DH_KEY_TOO_SMALL": "the server's Diffie-Hellman key is too small",
    "TLSV1_ALERT_INTERNAL_ERROR": "the server reported an internal error during the handshake",
    "TLSV1_UNRECOGNIZED_NAME": "the server does not know the name sent (SNI); set server_name?",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server requires a client certificate (client_cert_file)",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the server rejected the client certificate",
    "TLSV1_ALERT_UNKNOWN_CA": "the server does not trust the client certificate's CA",
    "UNEXPECTED_EOF_WHILE_READING": "the server closed the connection during the handshake",
}

_contexts: dict[tuple[bool, str, str, str], ssl.SSLContext] = {}


def client_context(verify: bool = True, ca_file: str = "", cert_file: str = "", key_file: str = "") -> ssl.SSLContext:
    """A shared client context; raises OSError/ssl.SSLError when a named file cannot be used."""
    key = (verify, ca_file, cert_file, key_file)
    ctx = _contexts.get(key)
    if ctx is None:
        ctx = ssl.create_default_context(cafile=ca_file or None)
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if cert_file:
            ctx.load_cert_chain(cert_file, key_file or None)
        ctx.set_alpn_protocols(["http/1.1"])
        _contexts[key] = ctx
    return ctx


def classify(exc: BaseException) -> tuple[str, str]:
    """(reason, detail) for an exception raised by the TLS handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", 0)
        message = getattr(exc, "verify_message", "") or str(exc)
        if code in _EXPIRED:
            return "cert_expired", message
        if code in _HOSTNAME:
            return "tls_hostname", message
        return "tls_untrusted", message
    if isinstance(exc, ssl.SSLEOFError):
        return "tls_handshake", "the server closed the connection during the handshake"
    if isinstance(exc, ssl.SSLError):
        code = getattr(exc, "reason", None)
        if not code:
            return "tls_handshake", f"handshake failed: {exc}"
        said = _HANDSHAKE_REASONS.get(code) or code.replace("_", " ").lower()
        return "tls_handshake", f"{said} [{code}]"
    if isinstance(exc, ConnectionResetError):
        return "tls_handshake", "the server reset the connection during the handshake"
    if isinstance(exc, (EOFError, ConnectionAbortedError)):
        return "tls_handshake", "the server closed the connection during the handshake"
    return "tls_handshake", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def tls_version_name(sslobj: Any) -> str:
    """blackbox_exporter's spelling: ``TLS 1.3``."""
    v = sslobj.version() or ""
    return _TLS_VERSION_NAMES.get(v, v)


def _not_after(info: dict[str, Any]) -> float:
    return float(ssl.cert_time_to_seconds(info["notAfter"]))


def chain_expiries(sslobj: Any) -> tuple[float, float]:
    """(leaf notAfter, earliest notAfter in the presented chain) as Unix times; 0.0 when unknown.

    Uses the verified chain when verification ran (what the client trusted),
    else the chain as sent.
    """
    inner = getattr(sslobj, "_sslobj", None)
    chain: list[Any] | None = None
    if inner is not None:
        getter = getattr(inner, "get_verified_chain", None)
        try:
            chain = getter() if getter is not None else None
            if not chain:
                getter = getattr(inner, "get_unverified_chain", None)
                chain = getter() if getter is not None else None
        except (ssl.SSLError, ValueError):
            chain = None
    if chain:
        try:
            times = [_not_after(c.get_info()) for c in chain]
        except (KeyError, ValueError, AttributeError):
            times = []
        if times:
            return times[0], min(times)
    try:
        peer = sslobj.getpeercert()
    except (ssl.SSLError, ValueError):
        peer = None
    if peer and "notAfter" in peer:
        t = _not_after(peer)
        return t, t
    return 0.0, 0.0


def chain_details(sslobj: Any) -> list[dict[str, Any]]:
    """Subject, issuer and expiry of each presented certificate (for ``cflexagent probe``)."""
    inner = getattr(sslobj, "_sslobj", None)
    getter = getattr(inner, "get_unverified_chain", None) if inner is not None else None
    out: list[dict[str, Any]] = []
    if getter is None:
        return out
    try:
        chain = getter() or []
    except (ssl.SSLError, ValueError):
        return out
    for cert in chain:
        info = cert.get_info()
        out.append({
            "subject": _name(info.get("subject", ())),
            "issuer": _name(info.get("issuer", ())),
            "not_after": _not_after(info) if "notAfter" in info else 0.0,
        })
    return out


def _name(rdns: Any) -> str:
    return ", ".join(f"{k}={v}" for rdn in rdns for k, v in rdn)


def record_tls(result: Result, sslobj: Any) -> None:
    """Copy what a finished handshake tells (version, leaf and chain expiry) into the probe result."""
    if sslobj is None:
        return
    result.tls_version = tls_version_name(sslobj)
    result.leaf_expiry, result.chain_expiry = chain_expiries(sslobj)
    if result.want_chain:
        result.chain = chain_details(sslobj)


async def handshake(result: Result, context: ssl.SSLContext | None, context_error: str,
                    open_tls: Callable[[], Awaitable[T]]) -> T:
    """Run ``open_tls`` (a TLS handshake over the connected socket), timed as the "tls" phase;
    a failure becomes a ProbeFailed with its TLS reason."""
    if context is None:
        raise ProbeFailed("tls_handshake", context_error)
    result.phase = "tls"
    result.uses_tls = True
    t0 = clock()
    try:
        return await open_tls()
    except (OSError, ssl.SSLError, EOFError) as e:
        reason, detail = classify(e)
        raise ProbeFailed(reason, detail) from None
    finally:
        result.tls += clock() - t0
