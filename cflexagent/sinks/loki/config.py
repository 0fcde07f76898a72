"""Config of ``[logs.loki]``: where and how the Loki sink pushes, and its spool's bounds."""

from __future__ import annotations

import re
import urllib.parse
from typing import Literal

from ...configtypes import NO_FILE, Duration, Percent, ReadableFile, Section, Size


class LokiConfig(Section):
    url: str = "http://127.0.0.1:3100/loki/api/v1/push"
    encoding: Literal["protobuf", "json"] = "protobuf"
    gzip: bool = False
    tenant: str = ""
    basic_auth_user: str = ""
    basic_auth_password_file: ReadableFile = NO_FILE
    bearer_token_file: ReadableFile = NO_FILE
    ca_file: ReadableFile = NO_FILE
    timeout: Duration = Duration(10.0)
    batch_max_bytes: Size = Size(1024 * 1024)
    batch_max_wait: Duration = Duration(1.0)
    min_backoff: Duration = Duration(0.5)
    max_backoff: Duration = Duration(30.0)
    spool_max_bytes: Size = Size(1024**3)
    spool_min_free_disk: Percent = Percent(0.05)
    spool_when_full: Literal["block", "drop_oldest"] = "block"
    check_ready: bool = True
    max_sample_age: Duration = Duration(7 * 86400.0)
    max_behind: Duration = Duration(3600.0)

    def __post_init__(self) -> None:
        if not re.match(r"https?://[^/\s]+", self.url):
            raise ValueError(f'url: expected an http:// or https:// URL, got "{self.safe_url}"')
        if "@" in urllib.parse.urlsplit(self.url).netloc:
            # check prints the URL and every retry logs it: a password there would leak.
            raise ValueError("url: no user:password@ in the URL (it would be printed and logged); "
                             "use basic_auth_user and basic_auth_password_file")
        if self.basic_auth_password_file and not self.basic_auth_user:
            raise ValueError("basic_auth_password_file: needs basic_auth_user")
        if self.bearer_token_file and self.basic_auth_user:
            raise ValueError("bearer_token_file: use either basic auth or a bearer token, not both")
        if self.gzip and self.encoding != "json":
            raise ValueError('gzip: only for encoding = "json" (protobuf bodies are snappy-compressed)')
        if self.batch_max_bytes < 1024:
            raise ValueError("batch_max_bytes: must be at least 1KiB")
        if self.spool_max_bytes < 4 * self.batch_max_bytes:
            raise ValueError("spool_max_bytes: must be at least 4 x batch_max_bytes")
        if self.timeout <= 0:
            raise ValueError("timeout: must be positive")
        if self.min_backoff <= 0 or self.max_backoff < self.min_backoff:
            raise ValueError("max_backoff: must be >= min_backoff > 0")

    @property
    def safe_url(self) -> str:
        """The URL to print and log: without user info, query string or fragment (they may hold secrets)."""
        u = urllib.parse.urlsplit(self.url)
        return urllib.parse.urlunsplit((u.scheme, u.netloc.rpartition("@")[2], u.path, "", ""))
