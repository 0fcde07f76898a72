"""Alertmanager's webhook payload (version 4), decoded strictly, and what the relay derives from it.

Format: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
(``version``, ``groupKey``, ``truncatedAlerts``, ``status``, ``receiver``,
``groupLabels``, ``commonLabels``, ``commonAnnotations``, ``externalURL``,
``alerts[]`` with ``status``, ``labels``, ``annotations``, ``startsAt``,
``endsAt``, ``generatorURL``, ``fingerprint``). Alertmanager treats a 2xx as
delivered, retries 5xx and drops 4xx, so a payload we cannot use gets a 400
with the reason (Alertmanager logs it) rather than a retry loop.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

import msgspec

from .config import RelayConfig, RouteConfig

SUPPORTED_VERSIONS = ("4",)
#: Most to least severe; anything else ranks after these.
SEVERITY_ORDER = ("critical", "error", "warning", "info")
MAX_ALERTS = 1000


class Alert(msgspec.Struct, frozen=True):
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: str = ""
    endsAt: str = ""
    generatorURL: str = ""
    fingerprint: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def starts(self) -> float | None:
        return parse_time(self.startsAt)

    @property
    def ends(self) -> float | None:
        return parse_time(self.endsAt)


class Payload(msgspec.Struct, frozen=True):
    version: str
    groupKey: str
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    alerts: list[Alert] = []
    truncatedAlerts: int = 0


class BadPayload(ValueError):
    pass


def decode(body: bytes) -> Payload:
    """The payload, or ``BadPayload`` with a one-line reason."""
    try:
        probe = msgspec.json.decode(body)
    except msgspec.DecodeError as e:
        raise BadPayload(f"invalid JSON: {e}") from None
    if not isinstance(probe, dict):
        raise BadPayload("expected a JSON object")
    version = probe.get("version")
    if str(version) not in SUPPORTED_VERSIONS:
        raise BadPayload(f"unsupported payload version {version!r} (this relay speaks version 4)")
    try:
        p = msgspec.convert(probe, Payload)
    except msgspec.ValidationError as e:
        raise BadPayload(f"not an Alertmanager webhook: {e}") from None
    if not p.groupKey:
        raise BadPayload("groupKey is empty")
    if not p.alerts:
        raise BadPayload("no alerts")
    if len(p.alerts) > MAX_ALERTS:
        raise BadPayload(f"more than {MAX_ALERTS} alerts in one notification")
    return p


def parse_time(text: str) -> float | None:
    """RFC 3339 (Go's time format, nanoseconds allowed) -> Unix seconds; Go's zero time -> None."""
    if not text or text.startswith("0001-01-01"):
        return None
    t = text.replace("Z", "+00:00")
    if "." in t:  # Python takes at most 6 fractional digits
        head, _, rest = t.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        t = f"{head}.{digits[:6]}{rest[len(digits):]}"
    try:
        return datetime.fromisoformat(t).timestamp()
    except ValueError:
        return None


def dedup_key(p: Payload) -> str:
    """Same group, same alerts (by fingerprint and status), same status: the same notification."""
    h = hashlib.sha256()
    for part in (p.receiver, p.groupKey, p.status):
        h.update(part.encode() + b"\0")
    for fp, st in sorted((a.fingerprint or _fingerprint(a), a.status) for a in p.alerts):
        h.update(f"{fp}:{st}\0".encode())
    return h.hexdigest()


def _fingerprint(a: Alert) -> str:
    return hashlib.sha256(orjson_sorted(a.labels)).hexdigest()[:16]


def orjson_sorted(d: dict[str, str]) -> bytes:
    return b"\0".join(f"{k}={v}".encode() for k, v in sorted(d.items()))


def fingerprint(a: Alert) -> str:
    return a.fingerprint or _fingerprint(a)


def severity(p: Payload) -> str:
    """``commonLabels.severity``, else the most severe of the alerts' severities, else "none"."""
    common = p.commonLabels.get("severity")
    if common:
        return common
    found = [a.labels.get("severity", "") for a in p.alerts if a.labels.get("severity")]
    if not found:
        return "none"
    return min(found, key=lambda s: SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else len(SEVERITY_ORDER))


def is_watchdog(p: Payload) -> bool:
    """The rendered always-firing ``Watchdog`` alone (``watchdog.py``): recorded, not delivered."""
    return bool(p.alerts) and all(a.labels.get("alertname") == "Watchdog" for a in p.alerts)


def route_for(relay: RelayConfig, p: Payload) -> tuple[int, RouteConfig] | None:
    sev = severity(p)
    for i, r in enumerate(relay.routes):
        if r.severity and r.severity != sev:
            continue
        if any(p.commonLabels.get(k) != v for k, v in r.match.items()):
            continue
        return i, r
    return None
