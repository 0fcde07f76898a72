"""Config of ``[logs]``: the sources (one struct per ``format``) and where their lines go.

Kept light (msgspec + stdlib): loaded by ``cflexagent check`` and the config
loader without importing the tailing or pushing machinery. The sinks' own
settings live with them (``sinks/loki/config.py``, ``sinks/console.py``).

``[[logs.sources]]`` is a tagged union on ``format`` (default ``raw``):
``FileSource`` holds what every file source has (paths, rotation, line
limits), ``TextFileSource`` adds multiline joining; a key of another format is
an unknown key of this one.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

import msgspec

from ..configtypes import Duration, Section, Size
from ..sinks.console import ConsoleConfig
from ..sinks.loki.config import LokiConfig
from .transforms.config import LogMetricConfig, RedactConfig, check_metric_names

#: Loki's label name syntax (Prometheus' data model).
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
#: Loki's default limits (limits_config): max_label_names_per_series, max_line_size.
LOKI_MAX_LABEL_NAMES = 15
LOKI_MAX_LINE_BYTES = 256 * 1024

SourceFormat = Literal["json", "raw", "nginx_access", "nginx_error", "syslog", "journal"]


class MultilineConfig(Section):
    """Join continuation lines (tracebacks, stack traces) into one entry."""

    #: A line matching this starts a new entry; other lines continue the current one.
    start: re.Pattern[str]
    max_lines: int = 500
    #: An entry with no new line for this long is shipped as it is.
    flush_after: Duration = Duration(2.0)

    def __post_init__(self) -> None:
        if not 2 <= self.max_lines <= 100000:
            raise ValueError(f"max_lines: expected 2..100000, got {self.max_lines}")
        if self.flush_after <= 0:
            raise ValueError("flush_after: must be positive")


class SourceBase(Section, tag_field="format", kw_only=True):
    """What every source has: its name, its line limit and how its lines become Loki streams."""

    #: The format a table without ``format`` has.
    default_tag: ClassVar[str] = "raw"

    name: str
    labels: dict[str, str] = {}
    label_fields: list[str] = []
    metadata_fields: list[str] = []
    start_at: Literal["beginning", "end"] = "beginning"
    max_streams: int = 200
    label_value_max_bytes: int = 128
    #: The longest line shipped, also once the transforms ran (redaction can lengthen a line, a
    #: journal MESSAGE has no length of its own): Loki refuses a longer one with a 400 that drops
    #: the whole batch it is in.
    max_line_bytes: Size = Size(LOKI_MAX_LINE_BYTES)

    @property
    def format(self) -> SourceFormat:
        return self.__struct_config__.tag  # type: ignore[return-value]

    @property
    def static_labels(self) -> dict[str, str]:
        """The static labels; a source without any label gets ``job = <name>`` (Loki needs one)."""
        return dict(self.labels) if self.labels or self.label_fields else {"job": self.name}

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            raise ValueError(f'name: use letters, digits, "_", "-" and "." only, got "{self.name}"')
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
        for k, v in self.labels.items():
            if not v or len(v.encode()) > 1024:
                raise ValueError(f"labels: value of {k} must be 1..1024 bytes")
        if self.max_streams < 1:
            raise ValueError("max_streams: must be at least 1")
        if not 8 <= self.label_value_max_bytes <= 1024:
            raise ValueError("label_value_max_bytes: must be between 8 and 1024")
        if not 1024 <= self.max_line_bytes <= LOKI_MAX_LINE_BYTES:
            raise ValueError(f"max_line_bytes: must be between 1KiB and Loki's limit {LOKI_MAX_LINE_BYTES}")


class FileSource(SourceBase, kw_only=True):
    """A source that tails files matched by globs."""

    paths: list[str]
    exclude: list[str] = []
    long_lines: Literal["truncate", "split"] = "truncate"
    partial_line_grace: Duration = Duration(5.0)
    rotate_wait: Duration = Duration(5.0)
    scan_interval: Duration = Duration(1.0)
    read_interval: Duration = Duration(0.25)
    read_chunk: Size = Size(1024 * 1024)

    #: Text formats override this with their ``multiline`` key.
    @property
    def multiline_events(self) -> MultilineConfig | None:
        return None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.paths:
            raise ValueError("paths: at least one glob is required")
        for p in self.paths:
            if not p.startswith("/"):
                raise ValueError(f'paths: "{p}" must be an absolute path or glob')
        if self.read_chunk < 4096:
            raise ValueError("read_chunk: must be at least 4KiB")


class TextFileSource(FileSource, kw_only=True):
    multiline: MultilineConfig | None = None

    @property
    def multiline_events(self) -> MultilineConfig | None:
        return self.multiline


class JsonSource(FileSource, tag="json", kw_only=True):
    """One JSON object per line; ``timestamp_field`` holds the entry's time (RFC 3339 or epoch)."""

    timestamp_field: str = ""


class RawSource(TextFileSource, tag="raw", kw_only=True):
    """Lines shipped as they are, stamped with the time they were read."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.label_fields or self.metadata_fields:
            raise ValueError('label_fields: field extraction needs a structured format (e.g. format = "json")')


class NginxAccessSource(TextFileSource, tag="nginx_access", kw_only=True):
    #: nginx's ``log_format`` string (default: ``combined``).
    nginx_log_format: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.nginx_log_format:
            from .parsers.text import compile_nginx_format

            try:
                compile_nginx_format(self.nginx_log_format)
            except (ValueError, re.error, RecursionError) as e:
                raise ValueError(f"nginx_log_format: {e}") from None


class NginxErrorSource(TextFileSource, tag="nginx_error", kw_only=True):
    pass


class SyslogSource(TextFileSource, tag="syslog", kw_only=True):
    pass


class JournalSource(SourceBase, tag="journal", kw_only=True):
    """The systemd journal, through ``journalctl --output=json --follow``."""

    journal_units: list[str] = []
    journal_command: list[str] = msgspec.field(default_factory=lambda: ["journalctl"])

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.journal_command or not self.journal_command[0]:
            raise ValueError("journal_command: must name the journalctl program")


#: A ``[[logs.sources]]`` table: its ``format`` key picks the struct.
SourceConfig = JsonSource | RawSource | NginxAccessSource | NginxErrorSource | SyslogSource | JournalSource


class LogsConfig(Section):
    loki: LokiConfig | None = None
    console: ConsoleConfig | None = None
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

    @property
    def sink_names(self) -> list[str]:
        """The sinks every source delivers to, in order."""
        return (["loki"] if self.loki is not None else []) + (["console"] if self.console is not None else [])
