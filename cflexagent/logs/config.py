"""Config of ``[logs]``: the Loki sink, the console sink and the file sources.

Kept light (msgspec + stdlib): loaded by ``cflexagent check`` and the config
loader without importing the tailing or pushing machinery.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Literal

import msgspec

from ..configtypes import NO_FILE, Duration, Percent, ReadableFile, Section, Size
from .redact_config import LogMetricConfig, MultilineConfig, RedactConfig, check_metric_names

#: Loki's label name syntax (Prometheus' data model).
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
#: Loki's default limits (limits_config): max_label_names_per_series, max_line_size.
LOKI_MAX_LABEL_NAMES = 15
LOKI_MAX_LINE_BYTES = 256 * 1024

#: Formats this package parses; the next issue's formats register in ``logs/parse.py`` ``PARSERS``
#: and add their names here.
SourceFormat = Literal["json", "raw", "nginx_access", "nginx_error", "syslog", "journal"]


class LokiSink(Section):
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


class ConsoleSink(Section):
    stream: Literal["stdout", "stderr"] = "stdout"
    show_labels: bool = True


class SourceConfig(Section):
    name: str
    paths: list[str] = []
    exclude: list[str] = []
    format: SourceFormat = "raw"
    labels: dict[str, str] = {}
    label_fields: list[str] = []
    metadata_fields: list[str] = []
    timestamp_field: str = ""
    start_at: Literal["beginning", "end"] = "beginning"
    max_line_bytes: Size = Size(LOKI_MAX_LINE_BYTES)
    long_lines: Literal["truncate", "split"] = "truncate"
    partial_line_grace: Duration = Duration(5.0)
    rotate_wait: Duration = Duration(5.0)
    scan_interval: Duration = Duration(1.0)
    read_interval: Duration = Duration(0.25)
    read_chunk: Size = Size(1024 * 1024)
    max_streams: int = 200
    label_value_max_bytes: int = 128
    # Text formats (logs/formats.py, logs/journal.py).
    nginx_log_format: str = ""
    multiline: MultilineConfig | None = None
    journal_units: list[str] = []
    journal_command: list[str] = msgspec.field(default_factory=lambda: ["journalctl"])

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            raise ValueError(f'name: use letters, digits, "_", "-" and "." only, got "{self.name}"')
        if self.format == "journal":
            if self.paths:
                raise ValueError('paths: a journal source reads journalctl, not files; remove paths')
            if not self.journal_command:
                raise ValueError("journal_command: must name the journalctl program")
        elif not self.paths:
            raise ValueError("paths: at least one glob is required")
        if self.nginx_log_format:
            if self.format != "nginx_access":
                raise ValueError('nginx_log_format: only for format = "nginx_access"')
            from .formats import compile_nginx_format

            try:
                compile_nginx_format(self.nginx_log_format)
            except (ValueError, re.error) as e:
                raise ValueError(f"nginx_log_format: {e}") from None
        if self.multiline is not None and self.format in ("json", "journal"):
            raise ValueError('multiline: only for text formats (raw, nginx_error, syslog)')
        if self.journal_units and self.format != "journal":
            raise ValueError('journal_units: only for format = "journal"')
        for p in self.paths:
            if not p.startswith("/"):
                raise ValueError(f'paths: "{p}" must be an absolute path or glob')
        names = list(self.labels) + list(self.label_fields)
        for n in names:
            if not LABEL_NAME_RE.fullmatch(n) or n.startswith("__"):
                raise ValueError(f'labels: "{n}" is not a valid Loki label name ([a-zA-Z_][a-zA-Z0-9_]*, no "__")')
        if len(set(names)) != len(names):
            raise ValueError("label_fields: a field is also a static label")
        if len(names) + (0 if self.labels or self.label_fields else 1) > LOKI_MAX_LABEL_NAMES:
            raise ValueError(f"label_fields: Loki accepts at most {LOKI_MAX_LABEL_NAMES} label names per stream")
        for n in self.metadata_fields:
            if not n:
                raise ValueError("metadata_fields: empty field name")
        if (self.label_fields or self.metadata_fields or self.timestamp_field) and self.format == "raw":
            raise ValueError('label_fields: field extraction needs a structured format (format = "json")')
        for k, v in self.labels.items():
            if not v or len(v.encode()) > 1024:
                raise ValueError(f"labels: value of {k} must be 1..1024 bytes")
        if not 1024 <= self.max_line_bytes <= LOKI_MAX_LINE_BYTES:
            raise ValueError(f"max_line_bytes: must be between 1KiB and Loki's limit {LOKI_MAX_LINE_BYTES}")
        if self.max_streams < 1:
            raise ValueError("max_streams: must be at least 1")
        if not 8 <= self.label_value_max_bytes <= 1024:
            raise ValueError("label_value_max_bytes: must be between 8 and 1024")
        if self.read_chunk < 4096:
            raise ValueError("read_chunk: must be at least 4KiB")

    @property
    def static_labels(self) -> dict[str, str]:
        """The static labels; a source without any label gets ``job = <name>`` (Loki needs one)."""
        return dict(self.labels) if self.labels or self.label_fields else {"job": self.name}


class LogsConfig(Section):
    loki: LokiSink | None = None
    console: ConsoleSink | None = None
    sources: list[SourceConfig] = []
    checkpoint_interval: Duration = Duration(1.0)
    redact: RedactConfig = msgspec.field(default_factory=lambda: RedactConfig())
    metrics: list[LogMetricConfig] = []

    def __post_init__(self) -> None:
        check_metric_names(self.metrics)
        seen: set[str] = set()
        for i, s in enumerate(self.sources):
            if s.name in seen:
                raise ValueError(f'sources[{i}].name: duplicate source name "{s.name}"')
            seen.add(s.name)
        if self.sources and self.loki is None and self.console is None:
            raise ValueError("sources: lines need somewhere to go: add [logs.loki] or [logs.console]")
