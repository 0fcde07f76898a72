"""The channels' one contract, ``await channel.send(message) -> Delivered | Transient | Permanent``.

A channel kind is an entry in ``CHANNEL_KINDS`` (a plain dict, like the
probers); WhatsApp gateway presets are entries in ``whatsapp.GATEWAYS``.
A channel sends to each of its recipients not yet reached (``message``'s
``done``) and says which it reached, so a retry never repeats a recipient.

- ``Delivered``: every remaining recipient accepted it.
- ``Transient``: worth retrying (5xx, 429, timeouts, refused connections, SMTP 4xx).
- ``Permanent``: retrying cannot help (4xx, SMTP 5xx, an unreadable token file); the
  relay moves on to the route's next channel at once.

``detail`` is for the log and ``/api/alerts``: never a secret (tokens are
scrubbed from gateway answers before they are kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..config import ChannelConfig
from ..message import Message


@dataclass(frozen=True)
class Delivered:
    done: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Transient:
    reason: str
    detail: str = ""
    done: tuple[str, ...] = ()


@dataclass(frozen=True)
class Permanent:
    reason: str
    detail: str = ""
    done: tuple[str, ...] = ()


Result = Delivered | Transient | Permanent

#: Failure reasons, the ``reason`` label of cflexagent_alert_send_failures_total (a fixed set).
REASONS = ("timeout", "refused", "connect", "tls", "http_4xx", "http_5xx", "rate_limited", "gateway_error",
           "smtp_4xx", "smtp_5xx", "auth", "credentials", "protocol", "internal")


class Channel(Protocol):
    name: str
    #: Who it reaches (E.164 digits or addresses), in order.
    recipients: list[str]

    @property
    def cfg(self) -> ChannelConfig: ...

    async def send(self, message: Message, done: frozenset[str]) -> Result: ...

    async def close(self) -> None: ...


def read_secret(path: str) -> str:
    """A token or password file's content, stripped (raises OSError)."""
    with open(path, encoding="utf-8") as f:
        return f.read(64 * 1024).strip()


def scrub(text: str, *secrets: str, limit: int = 300) -> str:
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def combine(results: list[tuple[str, Result]], done: frozenset[str]) -> Result:
    """One result for a send to several recipients: transient beats permanent beats delivered."""
    reached = tuple(r for r, res in results if isinstance(res, Delivered))
    all_done = tuple(sorted(done | set(reached)))
    for _, res in results:
        if isinstance(res, Transient):
            return Transient(res.reason, res.detail, all_done)
    for _, res in results:
        if isinstance(res, Permanent):
            if reached or done:
                # Some recipients have it: the channel delivered, the rest cannot be reached.
                return Delivered(all_done, f"not reached: {res.detail}")
            return res
    return Delivered(all_done)
