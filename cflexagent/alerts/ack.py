"""Acknowledge links, the acknowledge pages, and Alertmanager silences.

Token: ``base64url(claims) "." base64url(HMAC-SHA256(key, claims)[:16])``; the
claims are packed binary (group id u64, expiry u32, 6-byte nonce, who as
UTF-8) to keep WhatsApp links short. The key (32 random bytes) lives in
``<state_dir>/alerts/ack.key``, mode 0600, made at the relay's first start.
A token names one group's firing episode and one recipient, expires after
``token_ttl``, and works once (its nonce is recorded when used).

``GET /alerts/ack/<token>`` shows a confirmation page (alert, since when, who
is on call, the acknowledge button) and never changes anything: chat apps
fetch links for previews. ``POST`` (the button, with the group id it showed)
acknowledges. A forged, expired, reused or mismatched token gets a page that
says so and reveals nothing about any alert. All ack pages share one rate
limit (``[alerts.ack] rate_limit``) and are served with ``no-store``,
``no-referrer`` (the token must not leak) and a strict CSP.

Silences: Alertmanager v2 API, ``POST /api/v2/silences`` (matchers from the
group labels, until ``silence_max``), ``DELETE /api/v2/silence/{id}`` when the
group resolves; silenced alerts send no resolve, so acknowledged, silenced
groups are polled (``GET /api/v2/alerts?filter=...``) for resolution.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import os
import secrets
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from ..telemetry import get_logger
from .config import AckConfig

log = get_logger("alerts.ack")

KEY_BYTES = 32
SIG_BYTES = 16
_CLAIMS = struct.Struct(">QI6s")
MAX_TOKEN = 400


class InvalidToken(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason   # malformed | signature | expired


@dataclass(frozen=True)
class Claims:
    group: int
    expires: int
    nonce: str
    who: str


def load_key(path: Path) -> bytes:
    """The signing key, created (0600, never overwritten) when missing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) < KEY_BYTES:
            raise ValueError(f"{path}: too short to be an ack key ({len(key)} bytes)") from None
        return key
    try:
        key = secrets.token_bytes(KEY_BYTES)
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sig(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:SIG_BYTES]

    def token(self, group: int, who: str, ttl: float, now: float | None = None) -> str:
        now = time.time() if now is None else now
        claims = _CLAIMS.pack(group, int(now + ttl), secrets.token_bytes(6)) + who.encode()[:120]
        body = _b64(claims)
        return f"{body}.{_b64(self._sig(body))}"

    def verify(self, token: str, now: float | None = None) -> Claims:
        now = time.time() if now is None else now
        if len(token) > MAX_TOKEN or token.count(".") != 1:
            raise InvalidToken("malformed")
        body, sig = token.split(".")
        try:
            got = _unb64(sig)
            raw = _unb64(body)
        except (ValueError, TypeError):
            raise InvalidToken("malformed") from None
        if not hmac.compare_digest(got, self._sig(body)):
            raise InvalidToken("signature")
        if len(raw) < _CLAIMS.size:
            raise InvalidToken("malformed")
        group, expires, nonce = _CLAIMS.unpack_from(raw)
        if expires < now:
            raise InvalidToken("expired")
        return Claims(group, expires, nonce.hex(), raw[_CLAIMS.size:].decode("utf-8", "replace"))


# -- pages -----------------------------------------------------------------------------

PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


def page(title: str, body: str) -> str:
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\">"
            f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:36em;margin:2em auto;"
            "padding:0 1em}button{font-size:1.2em;padding:.5em 1.5em}.muted{color:#666}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>")


def utc(ts: float | None) -> str:
    return "—" if ts is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


# -- Alertmanager v2 API ---------------------------------------------------------------------


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


class AlertmanagerAPI:
    def __init__(self, cfg: AckConfig, timeout: float = 10.0) -> None:
        self.base = cfg.alertmanager_url.rstrip("/")
        self.cfg = cfg
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    @staticmethod
    def matchers(labels: dict[str, str]) -> list[dict[str, Any]]:
        return [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in sorted(labels.items())]

    async def create_silence(self, labels: dict[str, str], who: str, now: float) -> str:
        doc = {"matchers": self.matchers(labels), "startsAt": _iso(now),
               "endsAt": _iso(now + float(self.cfg.silence_max)), "createdBy": "cflexagent",
               "comment": f"Acknowledged by {who} via cflexagent; expired when the alerts resolve."}
        async with aiohttp.ClientSession(timeout=self.timeout) as s, \
                s.post(self.base + "/api/v2/silences", json=doc) as r:
            body = await r.json(content_type=None)
            if r.status != 200 or not isinstance(body, dict) or not body.get("silenceID"):
                raise RuntimeError(f"HTTP {r.status}: {str(body)[:200]}")
            return str(body["silenceID"])

    async def expire_silence(self, silence_id: str) -> None:
        async with aiohttp.ClientSession(timeout=self.timeout) as s, \
                s.delete(f"{self.base}/api/v2/silence/{silence_id}") as r:
            if r.status not in (200, 404):  # 404: already gone
                raise RuntimeError(f"HTTP {r.status}: {(await r.text())[:200]}")

    async def active_alerts(self, labels: dict[str, str]) -> int:
        """How many alerts matching the group labels Alertmanager still holds (resolved ones are not listed)."""
        params = [("filter", '{}="{}"'.format(k, v.replace("\\", "\\\\").replace('"', '\\"')))
                  for k, v in sorted(labels.items())]
        params += [("silenced", "true"), ("inhibited", "true"), ("active", "true")]
        async with aiohttp.ClientSession(timeout=self.timeout) as s, \
                s.get(self.base + "/api/v2/alerts", params=params) as r:
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}")
            doc = await r.json(content_type=None)
            return len(doc) if isinstance(doc, list) else 0
