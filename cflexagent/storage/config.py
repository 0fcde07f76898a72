"""Config of ``[storage]``: SFTP scans of the cPanel account, quota, snapshots.

Light on purpose (msgspec + stdlib): the root config imports it even when
storage is not configured.
"""

from __future__ import annotations

import re

import msgspec

from ..configtypes import NO_FILE, Duration, ReadableFile, Section, Size

_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_DAILY_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")

DEFAULT_SIZE_BUCKETS = ("4KiB", "64KiB", "1MiB", "16MiB", "256MiB", "1GiB")
DEFAULT_OLDER_THAN = ("30d", "90d", "365d")


def _sizes(values: tuple[str, ...]) -> list[Size]:
    return [Size.parse(v) for v in values]


def _durations(values: tuple[str, ...]) -> list[Duration]:
    return [Duration.parse(v) for v in values]


class AreaConfig(Section, kw_only=True):
    #: The ``area`` label; letters, digits, ``_ . -``.
    name: str
    #: Directory to total, relative to the SFTP login directory (or absolute).
    path: str
    #: 0: one total for the area; N: totals per directory N levels down.
    group_depth: int = 0
    #: Largest groups by bytes kept as their own series; the rest are summed as "other".
    max_groups: int = 50

    def __post_init__(self) -> None:
        if not _NAME_RE.fullmatch(self.name):
            raise ValueError(f'name: "{self.name}" must be 1-64 letters, digits, "_", "." or "-"')
        if not self.path.strip():
            raise ValueError("path: must not be empty (use \".\" for the login directory)")
        if "\0" in self.path:
            raise ValueError("path: must not contain NUL")
        if not 0 <= self.group_depth <= 8:
            raise ValueError("group_depth: must be between 0 and 8")
        if not 1 <= self.max_groups <= 500:
            raise ValueError("max_groups: must be between 1 and 500")


class SFTPConfig(Section, kw_only=True):
    host: str
    port: int = 22
    username: str
    #: Private key (OpenSSH or PEM format). Required unless password_file is set.
    key_file: ReadableFile = NO_FILE
    passphrase_file: ReadableFile = NO_FILE
    #: Discouraged: a password login. Only used when no key_file is set.
    password_file: ReadableFile = NO_FILE
    #: OpenSSH known_hosts file holding the server's key. Required: no key, no scan.
    known_hosts: str
    interval: Duration = Duration(3600.0)
    #: "HH:MM": scan once a day at that time instead of every ``interval``.
    daily_at: str = ""
    #: IANA zone for daily_at (default: the host's local time).
    timezone: str = ""
    max_concurrency: int = 64
    timeout: Duration = Duration(1800.0)
    connect_timeout: Duration = Duration(30.0)
    keepalive_interval: Duration = Duration(30.0)
    #: First wait after an authentication failure; doubles per further failure up to auth_backoff_max.
    auth_backoff: Duration = Duration(900.0)
    auth_backoff_max: Duration = Duration(86400.0)
    #: First wait after a connection failure (refused, timeout, host key mismatch); doubles up to 1h.
    connect_backoff: Duration = Duration(60.0)
    size_buckets: list[Size] = msgspec.field(default_factory=lambda: _sizes(DEFAULT_SIZE_BUCKETS))
    older_than: list[Duration] = msgspec.field(default_factory=lambda: _durations(DEFAULT_OLDER_THAN))
    areas: list[AreaConfig] = []

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("host: must not be empty")
        if not 1 <= self.port <= 65535:
            raise ValueError("port: must be between 1 and 65535")
        if not self.username:
            raise ValueError("username: must not be empty")
        if not self.known_hosts:
            raise ValueError("known_hosts: required (create it with: cflexagent storage trust)")
        if not self.key_file and not self.password_file:
            raise ValueError("key_file: required (or password_file, which is discouraged)")
        if self.daily_at and not _DAILY_RE.fullmatch(self.daily_at):
            raise ValueError(f'daily_at: expected "HH:MM" (24-hour clock), got "{self.daily_at}"')
        if self.timezone:
            if not self.daily_at:
                raise ValueError("timezone: only used with daily_at")
            try:
                import zoneinfo

                zoneinfo.ZoneInfo(self.timezone)
            except (ValueError, zoneinfo.ZoneInfoNotFoundError):
                raise ValueError(f'timezone: unknown time zone "{self.timezone}"') from None
        if self.interval < 60.0:
            raise ValueError("interval: must be at least 1m (each scan is a login on the server)")
        if not 1 <= self.max_concurrency <= 1024:
            raise ValueError("max_concurrency: must be between 1 and 1024")
        for key in ("timeout", "connect_timeout"):
            if getattr(self, key) <= 0:
                raise ValueError(f"{key}: must be positive")
        if self.auth_backoff < 60.0:
            raise ValueError("auth_backoff: must be at least 1m (cPanel bans IPs after a few failed logins)")
        if self.auth_backoff_max < self.auth_backoff:
            raise ValueError("auth_backoff_max: must not be below auth_backoff")
        if list(self.size_buckets) != sorted(set(self.size_buckets)) or not self.size_buckets:
            raise ValueError("size_buckets: must be distinct sizes in increasing order")
        if len(self.size_buckets) > 20:
            raise ValueError("size_buckets: at most 20 buckets")
        if len(self.older_than) > 10 or any(a <= 0 for a in self.older_than):
            raise ValueError("older_than: at most 10 positive durations")
        if not self.areas:
            raise ValueError("areas: at least one [[storage.sftp.areas]] is required")
        seen: set[str] = set()
        for i, a in enumerate(self.areas):
            if a.name in seen:
                raise ValueError(f'areas[{i}].name: duplicate area name "{a.name}"')
            seen.add(a.name)

    @property
    def auth_methods(self) -> list[str]:
        return ["publickey"] if self.key_file else ["password"]


class QuotaConfig(Section, kw_only=True):
    #: cPanel's HTTPS address, e.g. "https://cpanel.example.com:2083".
    url: str
    username: str
    #: File holding the cPanel API token (read at each request; never logged).
    token_file: ReadableFile
    interval: Duration = Duration(900.0)
    timeout: Duration = Duration(30.0)
    #: Extra CA bundle (PEM) to trust for the cPanel certificate, e.g. a self-signed one.
    ca_file: ReadableFile = NO_FILE

    def __post_init__(self) -> None:
        if "@" in self.url:
            # Never echoed: it would print a password. The token goes in token_file.
            raise ValueError("url: must not contain user:password@ (the API token goes in token_file)")
        if not re.fullmatch(r"https://[^/\s?#]+/?", self.url):
            raise ValueError(f'url: expected "https://host:port" (no path), got "{self.url}"')
        if not self.username:
            raise ValueError("username: must not be empty")
        if not self.token_file:
            raise ValueError("token_file: must not be empty")
        if self.interval < 60.0:
            raise ValueError("interval: must be at least 1m")


class SnapshotsConfig(Section, kw_only=True):
    retention: Duration = Duration(400 * 86400.0)

    def __post_init__(self) -> None:
        if self.retention < 86400.0:
            raise ValueError("retention: must be at least 1d")


class StorageConfig(Section, kw_only=True):
    sftp: SFTPConfig | None = None
    cpanel_quota: QuotaConfig | None = None
    snapshots: SnapshotsConfig = msgspec.field(default_factory=lambda: SnapshotsConfig())

    @property
    def enabled(self) -> bool:
        return self.sftp is not None or self.cpanel_quota is not None

