"""Config of ``[probe_defaults]``, ``[[probes]]`` and ``[[heartbeats]]``.

A probe is one struct per type (``HttpProbe``, ``TcpProbe``, a union tagged
by ``type``): a key of the other type is an unknown key. The settings shared
by all types are declared once (``ProbeSettings``); ``[probe_defaults]`` is
those plus the scheduler's own keys, and its per-probe values are copied into
every probe that does not set them. Everything is validated here; each
prober's ``compile_plan`` precompiles the rest (URL parts, request bytes,
status sets) when the scheduler is built, so nothing is parsed while probing.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

from ..configtypes import NO_FILE, Duration, HostPort, ReadableFile, Section, Size

IPFamily = Literal["auto", "ipv4", "ipv6"]
ProbeType = Literal["http", "tcp"]
_STATUS_CLASS = re.compile(r"[1-5]xx")
_NAME_MAX = 128


_USERINFO_HINT = 'send credentials with headers = { Authorization = "Basic ..." }'


def check_url(url: str, key: str, userinfo_hint: str = _USERINFO_HINT) -> None:
    """Raise ``ValueError("key: ...")`` unless ``url`` is an absolute http(s) URL with a host.

    The messages never repeat the URL: it may be a secret (a heartbeat URL is
    one), and the key path already says which one is wrong.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        what = "a malformed [IPv6] host" if "IPv6" in str(e) else "a port that is not a number 1-65535"
        raise ValueError(f"{key}: invalid URL ({what})") from None
    if parts.scheme not in ("http", "https"):
        shown = f'"{parts.scheme}://"' if parts.scheme.isalnum() and "://" in url else "none"
        raise ValueError(f"{key}: expected an http:// or https:// URL, got scheme {shown}")
    if any(c in url for c in " \r\n\t"):
        raise ValueError(f"{key}: URL must not contain spaces or line breaks")
    if "@" in parts.netloc:
        # It would end up in the `target` label, /api/probes and log lines.
        raise ValueError(f"{key}: URL must not contain user:password@; {userinfo_hint}")
    if not parts.hostname:
        raise ValueError(f"{key}: URL has no host")
    if port == 0:
        raise ValueError(f"{key}: URL port must be 1-65535")


def display_url(url: str) -> str:
    """``url`` as labels, /api/probes, logs and error details show it: no query, no fragment, no userinfo.

    Query values often carry tokens (signed URLs, ``?key=...``); dropping the
    query also keeps the ``target`` label stable.
    """
    parts = urlsplit(url)
    if not parts.netloc:
        return url.split("?", 1)[0].split("#", 1)[0]
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def check_headers(headers: dict[str, str], key: str = "headers") -> None:
    for k, v in headers.items():
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", k) or any(c in v for c in "\r\n"):
            raise ValueError(f'{key}: invalid header "{k}"')


def check_address(text: str, key: str) -> HostPort:
    try:
        hp = HostPort.parse(text)
    except ValueError as e:
        raise ValueError(f"{key}: {e}") from None
    if not hp.host or hp.port == 0:
        raise ValueError(f'{key}: expected host:port with a host and a port 1-65535, got "{text}"')
    return hp


class ProbeSettings(Section):
    """The per-probe settings ``[probe_defaults]`` can give every probe (a probe's own value wins)."""

    interval: Duration = Duration(30.0)
    timeout: Duration = Duration(10.0)
    failure_threshold: int = 2
    success_threshold: int = 1
    ip_family: IPFamily = "auto"
    tls_verify: bool = True
    body_limit: Size = Size(1024 * 1024)


class ProbeDefaults(ProbeSettings):
    """``[probe_defaults]``: the per-probe settings above plus scheduler-wide ones."""

    canaries: list[str] = []
    max_concurrency: int = 64
    history: int = 20

    def __post_init__(self) -> None:
        for i, c in enumerate(self.canaries):
            if "://" in c:
                check_url(c, f"canaries[{i}]", "a canary only needs to be reachable")
            else:
                check_address(c, f"canaries[{i}]")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency: must be at least 1")
        if not 1 <= self.history <= 1000:
            raise ValueError("history: must be between 1 and 1000")


#: ``[probe_defaults]`` keys that are per-probe settings (copied into probes).
PER_PROBE_DEFAULTS: tuple[str, ...] = ProbeSettings.__struct_fields__


class ProbeBase(ProbeSettings, tag_field="type", kw_only=True):
    """What every probe type has; ``type`` picks the struct (``HttpProbe``, ``TcpProbe``)."""

    name: str
    max_duration: Duration | None = None
    # TLS (https:// URLs, or tcp with tls = true)
    ca_file: ReadableFile = NO_FILE
    client_cert_file: ReadableFile = NO_FILE
    client_key_file: ReadableFile = NO_FILE
    server_name: str = ""

    @property
    def type(self) -> ProbeType:
        return self.__struct_config__.tag  # type: ignore[return-value]

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > _NAME_MAX:
            raise ValueError(f"name: must be 1-{_NAME_MAX} characters")
        if self.timeout <= 0:
            raise ValueError("timeout: must be greater than 0s")
        if self.timeout >= self.interval:
            raise ValueError(f"timeout: must be shorter than interval ({float(self.timeout):g}s >= "
                             f"{float(self.interval):g}s)")
        if self.max_duration is not None and not 0 < self.max_duration <= self.timeout:
            raise ValueError("max_duration: must be greater than 0s and at most timeout")
        if self.failure_threshold < 1:
            raise ValueError("failure_threshold: must be at least 1")
        if self.success_threshold < 1:
            raise ValueError("success_threshold: must be at least 1")
        if bool(self.client_cert_file) != bool(self.client_key_file):
            raise ValueError("client_key_file: client_cert_file and client_key_file go together")
        if self.body_limit < 1:
            raise ValueError("body_limit: must be at least 1 byte")


class HttpProbe(ProbeBase, tag="http", kw_only=True):
    url: str
    method: str = "GET"
    headers: dict[str, str] = {}
    body: str = ""
    expect_status: list[int | str] = msgspec.field(default_factory=lambda: ["2xx"])
    expect_body: re.Pattern[str] | None = None
    fail_if_body: re.Pattern[str] | None = None
    expect_header: dict[str, re.Pattern[str]] = {}
    follow_redirects: bool = True
    max_redirects: int = 10

    def __post_init__(self) -> None:
        super().__post_init__()
        check_url(self.url, "url")
        if not re.fullmatch(r"[A-Z]+", self.method):
            raise ValueError(f'method: expected an upper-case HTTP method like "GET", got "{self.method}"')
        for i, s in enumerate(self.expect_status):
            if isinstance(s, int):
                if not 100 <= s <= 599:
                    raise ValueError(f"expect_status[{i}]: expected a status code 100-599, got {s}")
            elif not _STATUS_CLASS.fullmatch(s):
                raise ValueError(f'expect_status[{i}]: expected a code like 200 or a class like "2xx", got "{s}"')
        check_headers(self.headers)
        if not 0 <= self.max_redirects <= 100:
            raise ValueError("max_redirects: must be between 0 and 100")


class TcpProbe(ProbeBase, tag="tcp", kw_only=True):
    address: str
    send: str = ""
    expect: re.Pattern[str] | None = None
    tls: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_address(self.address, "address")
        if self.expect is not None and len(self.expect.pattern) == 0:
            raise ValueError("expect: must not be empty")


#: A ``[[probes]]`` table: its ``type`` key picks the struct.
ProbeConfig = HttpProbe | TcpProbe


class HeartbeatConfig(Section):
    """A dead-man's-switch ping (healthchecks.io style) sent while the agent is healthy."""

    name: str
    url: str
    interval: Duration = Duration(60.0)
    timeout: Duration = Duration(10.0)
    method: Literal["GET", "POST", "HEAD"] = "GET"
    #: Extra request headers, e.g. ``{ Authorization = "Basic ..." }`` (never in the URL).
    headers: dict[str, str] = {}
    #: Probes that must be up for the ping to go out (empty: the agent running is enough).
    require_probes: list[str] = []
    #: Ping only while the alert relay received Alertmanager's Watchdog within this time ("0s": not needed);
    #: the switch then also fires when Prometheus, its rules or Alertmanager stop (cflexagent/watchdog.py).
    require_watchdog: Duration = Duration(0.0)

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > _NAME_MAX:
            raise ValueError(f"name: must be 1-{_NAME_MAX} characters")
        check_url(self.url, "url")
        check_headers(self.headers)
        if self.timeout <= 0 or self.timeout >= self.interval:
            raise ValueError("timeout: must be greater than 0s and shorter than interval")
        if self.require_watchdog < 0:
            raise ValueError("require_watchdog: must not be negative")


def apply_probe_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """Copy the per-probe keys of ``[probe_defaults]`` into each ``[[probes]]`` table that does not set them."""
    defaults = raw.get("probe_defaults")
    probes = raw.get("probes")
    if not isinstance(defaults, dict) or not isinstance(probes, list):
        return raw
    shared = {k: v for k, v in defaults.items() if k in PER_PROBE_DEFAULTS}
    raw = dict(raw)
    raw["probes"] = [{**shared, **p} if isinstance(p, dict) else p for p in probes]
    return raw
