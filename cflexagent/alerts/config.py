"""Config of ``[alerts]``: the Alertmanager webhook relay to email and WhatsApp gateways,
acknowledgment and the alert history.

Light on purpose (msgspec + stdlib): the root config imports it even when the
relay is not configured. Phone numbers, rate limits and generic-gateway
placeholders are parsed and validated here, once, at load.

``[[alerts.relay.channels]]`` is a tagged union on ``kind``: ``ChannelBase``
holds what every channel has, ``EmailChannel`` and ``WhatsAppChannel`` their
own keys, so a key of the other kind is an unknown key of this one (the
loader names the kind it belongs to). The WhatsApp gateways share one struct;
its ``__post_init__`` refuses a key set for another gateway (``GATEWAY_ONLY``).
Every file the relay reads is a ``ReadableFile``: ``cflexagent check`` checks
them with the rest of the config's files, in one pass.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, Literal

import msgspec

from ..configtypes import NO_FILE, Duration, Percent, ReadableFile, Section, Size

_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_RATE_RE = re.compile(r"\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|[\d.]+(?:ms|s|m|h))\s*")
_RATE_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0,
               "h": 3600.0, "hour": 3600.0}
#: An address we put in a header: one @, no whitespace, no CR/LF (no header injection), no brackets.
_EMAIL_RE = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}")
#: Placeholders a generic gateway's body and headers may use.
PLACEHOLDERS = ("to", "text", "severity", "alertname", "summary", "url", "status", "token")
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")

DEFAULT_TEMPLATE_PARAMS = ("{severity}", "{alertname}", "{summary}", "{url}")
Gateway = Literal["waha", "fonnte", "cloud_api", "generic"]
ChannelKind = Literal["email", "whatsapp"]


def normalize_phone(number: str, country_code: str = "62") -> str:
    """E.164 digits without "+": ``+62 812-3456-789`` and ``0812 3456 789`` -> ``628123456789``.

    A leading ``00`` is the international prefix; a single leading ``0`` is a
    national trunk prefix replaced by ``country_code`` (Indonesia's 62 by default).
    """
    raw = number.strip()
    digits = re.sub(r"[\s().-]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = country_code + digits[1:]
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f'"{number}" is not a phone number (digits, spaces, "-", "(", ")" and a leading "+")')
    if digits[0] == "0" or not 8 <= len(digits) <= 15:
        raise ValueError(f'"{number}" is not a valid E.164 number (8 to 15 digits with the country code)')
    return digits


class RateLimit(msgspec.Struct, frozen=True):
    """``"20/min"``: at most ``count`` messages per ``period`` seconds (a token bucket of that size)."""

    count: int
    period: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        m = _RATE_RE.fullmatch(text)
        if not m:
            raise ValueError(f'expected a rate like "20/min", "5/10s" or "100/h", got "{text}"')
        unit = m[2]
        period = _RATE_UNITS[unit] if unit in _RATE_UNITS else float(Duration.parse(unit))
        count = int(m[1])
        if count < 1 or period <= 0:
            raise ValueError(f'expected a positive rate, got "{text}"')
        return cls(count, period)


def _rate(text: str) -> RateLimit | None:
    return None if text in ("", "0", "none") else RateLimit.parse(text)


#: Keys only one WhatsApp gateway uses: key -> that gateway.
GATEWAY_ONLY: dict[str, Gateway] = {
    "session": "waha",
    "phone_number_id": "cloud_api", "template": "cloud_api", "template_language": "cloud_api",
    "template_params": "cloud_api",
    "method": "generic", "headers": "generic", "body": "generic",
}


class ChannelBase(Section, tag_field="kind", kw_only=True):
    """What every channel has; ``kind`` picks the struct (``EmailChannel``, ``WhatsAppChannel``)."""

    #: Referenced by routes; the ``channel`` label of the relay's metrics.
    name: str
    #: At most this many messages (one per recipient) per period; above it, waiting
    #: notifications are grouped into one summary message. "" = unlimited.
    rate_limit: str = "20/min"
    #: Time allowed for one delivery attempt (connect, TLS, request, answer).
    timeout: Duration = Duration(15.0)
    #: Extra PEM CA bundle for the server's certificate.
    ca_file: ReadableFile = NO_FILE

    @property
    def kind(self) -> ChannelKind:
        return self.__struct_config__.tag  # type: ignore[return-value]

    def __post_init__(self) -> None:
        if not _NAME_RE.fullmatch(self.name):
            raise ValueError(f'name: "{self.name}" must be 1-64 letters, digits, "_", "." or "-"')
        try:
            _rate(self.rate_limit)
        except ValueError as e:
            raise ValueError(f"rate_limit: {e}") from None
        if self.timeout <= 0:
            raise ValueError("timeout: must be positive")

    @property
    def rate(self) -> RateLimit | None:
        return _rate(self.rate_limit)


class EmailChannel(ChannelBase, tag="email", kw_only=True):
    """SMTP: one message per recipient."""

    host: str
    port: int = 587
    tls: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password_file: ReadableFile = NO_FILE
    from_: str = msgspec.field(name="from")
    to: list[str]

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.host:
            raise ValueError("host: must not be empty")
        if not 1 <= self.port <= 65535:
            raise ValueError("port: must be between 1 and 65535")
        if not _EMAIL_RE.fullmatch(self.from_):
            raise ValueError(f'from: expected an address like "alerts@example.com", got "{self.from_}"')
        if not self.to:
            raise ValueError("to: at least one address is required")
        for i, addr in enumerate(self.to):
            if not _EMAIL_RE.fullmatch(addr):
                raise ValueError(f'to[{i}]: expected an address like "ops@example.com", got "{addr}"')
        if self.password_file and not self.username:
            raise ValueError("password_file: needs username")
        if self.username and self.tls == "none" and self.host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError('tls: "none" would send the SMTP password in clear text; use "starttls" or "tls"')


class WhatsAppChannel(ChannelBase, tag="whatsapp", kw_only=True):
    """An HTTP WhatsApp gateway (``gateway`` picks the preset); one request per recipient."""

    gateway: Gateway = "waha"
    url: str
    token_file: ReadableFile = NO_FILE
    recipients: list[str]
    country_code: str = "62"
    # -- waha
    session: str = "default"
    # -- cloud_api
    phone_number_id: str = ""
    template: str = ""
    template_language: str = "en"
    template_params: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_TEMPLATE_PARAMS))
    # -- generic
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}

    def __post_init__(self) -> None:
        super().__post_init__()
        # The gateways share one struct (msgspec tags one key); a key of another gateway is refused here.
        for f in msgspec.structs.fields(self):
            owner = GATEWAY_ONLY.get(f.name, self.gateway)
            if owner == self.gateway:
                continue
            default = f.default_factory() if f.default is msgspec.NODEFAULT else f.default
            if getattr(self, f.name) != default:
                raise ValueError(f'{f.encode_name}: only for gateway = "{owner}" (this is gateway = "{self.gateway}")')
        if not re.match(r"https?://[^/\s?#]+", self.url):
            raise ValueError(f'url: expected the gateway\'s http:// or https:// address, got "{self.url}"')
        if "@" in urllib.parse.urlsplit(self.url).netloc:
            raise ValueError("url: no user:password@ in the URL (it would be logged); the token goes in token_file")
        if not self.recipients:
            raise ValueError("recipients: at least one phone number is required")
        if not self.country_code.isdigit() or not 1 <= len(self.country_code) <= 3:
            raise ValueError(f'country_code: expected 1-3 digits such as "62", got "{self.country_code}"')
        for i, r in enumerate(self.recipients):
            try:
                normalize_phone(r, self.country_code)
            except ValueError as e:
                raise ValueError(f"recipients[{i}]: {e}") from None
        if self.gateway != "generic" and not self.token_file:
            raise ValueError(f'token_file: required for the "{self.gateway}" gateway')
        if self.gateway == "cloud_api" and not self.phone_number_id.isdigit():
            raise ValueError("phone_number_id: required for cloud_api (the business phone number's id, digits)")
        if self.gateway == "cloud_api" and self.template:
            for i, p in enumerate(self.template_params):
                _check_placeholders(p, f"template_params[{i}]", allow_token=False)
        if self.gateway == "generic":
            if not self.body:
                raise ValueError("body: required for the generic gateway (a table, JSON-encoded after substitution)")
            _walk_placeholders(self.body, "body")
            for k, v in self.headers.items():
                _check_placeholders(v, f"headers.{k}", allow_token=True)
                if "\n" in v or "\r" in v:
                    raise ValueError(f"headers.{k}: must not contain line breaks")
            if "{token}" in str(self.body):
                raise ValueError("body: {token} may only be used in headers")

    @property
    def numbers(self) -> list[str]:
        """Recipients as E.164 digits (without "+")."""
        return [normalize_phone(r, self.country_code) for r in self.recipients]


#: A ``[[alerts.relay.channels]]`` table: its ``kind`` key picks the struct.
ChannelConfig = EmailChannel | WhatsAppChannel


def _check_placeholders(text: str, where: str, allow_token: bool) -> None:
    for name in PLACEHOLDER_RE.findall(text):
        if name not in PLACEHOLDERS or (name == "token" and not allow_token):
            valid = ", ".join("{" + p + "}" for p in PLACEHOLDERS if p != "token" or allow_token)
            raise ValueError(f"{where}: unknown placeholder {{{name}}} (valid: {valid})")


def _walk_placeholders(value: Any, where: str) -> None:
    if isinstance(value, str):
        _check_placeholders(value, where, allow_token=False)
    elif isinstance(value, dict):
        for k, v in value.items():
            _walk_placeholders(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk_placeholders(v, f"{where}[{i}]")


class EscalationLevel(Section, kw_only=True):
    #: Time after the group's first successful delivery.
    after: Duration
    channels: list[str]


class RouteConfig(Section, kw_only=True):
    #: The group's severity (``commonLabels.severity``, else its most severe alert's); "" = any.
    severity: str = ""
    #: Labels every alert of the group must carry with these values (``commonLabels``).
    match: dict[str, str] = {}
    #: In order: the next is tried when the previous failed after its retries.
    channels: list[str]
    #: Channels that always get it as well.
    also: list[str] = []
    #: How long one channel of the chain is retried before the next one is tried.
    retry_for: Duration = Duration(120.0)
    #: Not acknowledged this long after the first successful delivery: sent to ``escalate_to``.
    escalate_after: Duration = Duration(0.0)
    escalate_to: list[str] = []
    #: Further levels, each ``after`` the first delivery.
    escalations: list[EscalationLevel] = []

    def __post_init__(self) -> None:
        if not self.channels:
            raise ValueError("channels: at least one channel is required")
        for k in self.match:
            if not _LABEL_RE.fullmatch(k):
                raise ValueError(f'match.{k}: not a Prometheus label name')
        if self.retry_for < 1.0:
            raise ValueError("retry_for: must be at least 1s")
        if bool(self.escalate_to) != (self.escalate_after > 0):
            raise ValueError("escalate_after: set escalate_after and escalate_to together")
        prev = 0.0
        for i, lv in enumerate(self.levels):
            if lv.after <= prev:
                raise ValueError(f"escalations[{i}].after: each level must come later than the previous one")
            if not lv.channels:
                raise ValueError(f"escalations[{i}].channels: at least one channel is required")
            prev = lv.after

    @property
    def levels(self) -> list[EscalationLevel]:
        first = [EscalationLevel(after=self.escalate_after, channels=self.escalate_to)] if self.escalate_to else []
        return first + list(self.escalations)


class RelayConfig(Section, kw_only=True):
    enabled: bool = True
    #: Path of the webhook on the agent's HTTP server.
    path: str = "/alerts/webhook"
    #: File holding the token Alertmanager sends as ``Authorization: Bearer``.
    bearer_token_file: ReadableFile = NO_FILE
    send_resolved: bool = True
    #: Base of the links in messages (dashboards, runbooks, acknowledge pages).
    public_url: str = ""
    #: Larger webhook bodies are refused with 413.
    max_body: Size = Size(4 * 1024 * 1024)
    #: Notifications not yet delivered; above this, webhooks get 503 (Alertmanager retries).
    outbox_max: int = 10000
    #: Below this free space on the state dir's file system, webhooks get 503 too.
    outbox_min_free_disk: Percent = Percent(0.02)
    #: The same webhook again (group key, alert fingerprints and status) within this window is
    #: not delivered twice. Keep it below Alertmanager's repeat_interval.
    dedup_window: Duration = Duration(1800.0)
    min_backoff: Duration = Duration(1.0)
    max_backoff: Duration = Duration(60.0)
    #: A notification no channel could deliver for this long is given up (counted, logged).
    give_up_after: Duration = Duration(86400.0)
    channels: list[ChannelConfig] = []
    routes: list[RouteConfig] = []
    #: Channels (in order, as a route's) of a notification no route matches; [] = the first route's.
    #: Alertmanager does not retry a 200, so an unmatched notification is never dropped.
    default_channels: list[str] = []

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or any(c in self.path for c in " ?#") or len(self.path) > 200:
            raise ValueError(f'path: expected an absolute URL path such as "/alerts/webhook", got "{self.path}"')
        if self.path.startswith(("/alerts/ack/", "/api/", "/metrics")) or self.path in ("/", "/healthz", "/ready"):
            raise ValueError(f'path: "{self.path}" is taken by another endpoint')
        if self.public_url and not re.fullmatch(r"https?://[^/\s?#@]+(/[^\s?#]*)?", self.public_url):
            raise ValueError(f'public_url: expected "https://host[/prefix]", got "{self.public_url}"')
        if not 1 <= self.outbox_max <= 1_000_000:
            raise ValueError("outbox_max: must be between 1 and 1000000")
        if self.max_body < 1024:
            raise ValueError("max_body: must be at least 1KiB")
        if not 0 < self.min_backoff <= self.max_backoff:
            raise ValueError("max_backoff: must be at least min_backoff (and both positive)")
        if self.give_up_after < 60:
            raise ValueError("give_up_after: must be at least 1m")
        names: set[str] = set()
        for i, c in enumerate(self.channels):
            if c.name in names:
                raise ValueError(f'channels[{i}].name: duplicate channel name "{c.name}"')
            names.add(c.name)
        if self.enabled and not self.channels:
            raise ValueError("channels: at least one [[alerts.relay.channels]] is required")
        if self.enabled and not self.routes:
            raise ValueError("routes: at least one [[alerts.relay.routes]] is required")
        for name in self.default_channels:
            if name not in names:
                raise ValueError(f'default_channels: no channel named "{name}"')
        for i, r in enumerate(self.routes):
            for key in ("channels", "also", "escalate_to"):
                for name in getattr(r, key):
                    if name not in names:
                        raise ValueError(f'routes[{i}].{key}: no channel named "{name}"')
            for j, lv in enumerate(r.escalations):
                for name in lv.channels:
                    if name not in names:
                        raise ValueError(f'routes[{i}].escalations[{j}].channels: no channel named "{name}"')

    def channel(self, name: str) -> ChannelConfig:
        return next(c for c in self.channels if c.name == name)


#: How long a used acknowledge token is remembered (history.py), the longest token_ttl.
USED_TOKENS_KEPT = 30 * 86400.0


class AckConfig(Section, kw_only=True):
    #: Acknowledge links in firing notifications (needs relay.public_url).
    enabled: bool = True
    #: How long an acknowledge link stays valid.
    token_ttl: Duration = Duration(86400.0)
    #: Create an Alertmanager silence for the group's alerts on acknowledgment.
    silence: bool = False
    #: Alertmanager's address for its v2 API (silences, alerts).
    alertmanager_url: str = "http://127.0.0.1:9093"
    #: Longest silence; it is expired earlier when the alerts resolve.
    silence_max: Duration = Duration(86400.0)
    #: How often acknowledged, silenced groups are checked for resolution (silenced alerts send no resolve).
    poll_interval: Duration = Duration(30.0)
    #: Requests per period the acknowledge pages answer, once for invalid tokens and once for valid ones.
    rate_limit: str = "30/min"
    #: Shown on the acknowledge page (e.g. "Budi, +62 812 ..."); "" lists the route's channels.
    on_call: str = ""

    def __post_init__(self) -> None:
        if not 60 <= self.token_ttl <= USED_TOKENS_KEPT:
            # A used token is remembered USED_TOKENS_KEPT: a link valid longer could be used twice.
            raise ValueError("token_ttl: must be between 1m and 30d")
        if not re.fullmatch(r"https?://[^/\s?#@]+/?", self.alertmanager_url):
            raise ValueError(f'alertmanager_url: expected "http://host:port", got "{self.alertmanager_url}"')
        if self.silence_max < 60:
            raise ValueError("silence_max: must be at least 1m")
        if self.poll_interval < 1:
            raise ValueError("poll_interval: must be at least 1s")
        try:
            RateLimit.parse(self.rate_limit)
        except ValueError as e:
            raise ValueError(f"rate_limit: {e}") from None


class HistoryConfig(Section, kw_only=True):
    #: Alerts older than this are deleted from the history (an episode still firing is kept whole).
    retention: Duration = Duration(400 * 86400.0)
    #: Resolved by itself (not acknowledged) within this time: noise.
    noise_resolved_within: Duration = Duration(300.0)
    #: Fired more often than this in 24 h (by fingerprint): flapping, noise.
    flapping_per_day: int = 3
    #: The design's targets the report and dashboards compare against.
    target_mttr: Duration = Duration(4 * 3600.0)
    target_ack: Duration = Duration(900.0)
    target_noise: Percent = Percent(0.05)
    #: At most this many alert names get their own ``alertname`` label value; the rest are "other".
    max_alertnames: int = 50

    def __post_init__(self) -> None:
        if self.retention < 86400:
            raise ValueError("retention: must be at least 1d")
        if self.flapping_per_day < 1:
            raise ValueError("flapping_per_day: must be at least 1")
        if not 1 <= self.max_alertnames <= 1000:
            raise ValueError("max_alertnames: must be between 1 and 1000")


class AlertsConfig(Section, kw_only=True):
    relay: RelayConfig | None = None
    ack: AckConfig = msgspec.field(default_factory=lambda: AckConfig())
    history: HistoryConfig = msgspec.field(default_factory=lambda: HistoryConfig())

    @property
    def active(self) -> bool:
        return self.relay is not None and self.relay.enabled
