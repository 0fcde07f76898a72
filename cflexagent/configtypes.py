"""Value types shared by every config section: durations, sizes, host:port, regexes, files.

Each type is parsed once at load time (``config.py`` calls ``PARSERS``) so
components never parse strings at run time. A parse error names the offending
value; the loader adds the key path.

``ReadableFile`` marks a key naming a file the agent reads (certificates, keys,
password and token files): the loader checks its syntax, and one pass over the
loaded config (``config.unreadable_files``) checks that each can be read, for
``check``, start-up and reloads alike.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
    "k": 1024, "m": 1024**2, "g": 1024**3,
}
_SIZE_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


class Duration(float):
    """Seconds, written in TOML as ``"500ms"``, ``"30s"``, ``"5m"``, ``"1h30m"``, ``"7d"``."""

    @classmethod
    def parse(cls, text: str) -> Duration:
        pos, total = 0, 0.0
        text = text.strip()
        if len(text) > 64:
            raise ValueError(f'expected a duration like "30s", "5m" or "1h30m", got "{_shown(text)}"')
        while pos < len(text):
            m = _DURATION_RE.match(text, pos)
            if not m:
                raise ValueError(f'expected a duration like "30s", "5m" or "1h30m", got "{text}"')
            total += float(m[1]) * _DURATION_UNITS[m[2]]
            pos = m.end()
        if not text:
            raise ValueError('expected a duration like "30s", got ""')
        if not total <= MAX_DURATION:
            raise ValueError(f'duration too long (at most 100 years), got "{text}"')
        return cls(total)

    def __repr__(self) -> str:
        return f"Duration({float(self)}s)"


#: The largest size or duration a config may give (sizes: 2**62 bytes; durations: 100 years).
MAX_SIZE = 1 << 62
MAX_DURATION = 100 * 365 * 86400.0


class Size(int):
    """Bytes, written as ``"64MiB"``, ``"1GiB"``, ``"512KB"`` or a plain integer."""

    @classmethod
    def parse(cls, text: str) -> Size:
        m = _SIZE_RE.fullmatch(text) if len(text) <= 64 else None
        unit = m[2].lower() if m else None
        if not m or unit not in _SIZE_UNITS:
            raise ValueError(f'expected a size like "64MiB" or "1GB", got "{_shown(text)}"')
        value = float(m[1]) * _SIZE_UNITS[unit]
        if not value <= MAX_SIZE:
            raise ValueError(f'size too large (at most 4EiB), got "{_shown(text)}"')
        return cls(int(value))

    @classmethod
    def of_int(cls, n: int) -> Size:
        if not 0 <= n <= MAX_SIZE:
            raise ValueError(f"expected a size between 0 and 4EiB, got {_shown(str(n))}")
        return cls(n)


class HostPort:
    """``host:port`` (``[::1]:9087`` for IPv6). The host may be empty (all addresses)."""

    __slots__ = ("host", "port")

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    @classmethod
    def parse(cls, text: str) -> HostPort:
        host, sep, port = text.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f'expected host:port, got "{text}"')
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            raise ValueError(f'expected host:port (IPv6 hosts in brackets: "[::1]:9087"), got "{text}"')
        return cls(host, int(port))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __repr__(self) -> str:
        return f"HostPort({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HostPort) and (self.host, self.port) == (other.host, other.port)

    def __hash__(self) -> int:
        return hash((self.host, self.port))


class Percent(float):
    """A fraction written as ``"5%"`` (stored as 0.05)."""

    @classmethod
    def parse(cls, text: str) -> Percent:
        t = text.strip()
        try:
            if not t.endswith("%"):
                raise ValueError
            value = float(t[:-1]) / 100.0
        except ValueError:
            raise ValueError(f'expected a percentage like "5%", got "{text}"') from None
        if not 0.0 <= value <= 1.0:
            raise ValueError(f'expected a percentage between 0% and 100%, got "{text}"')
        return cls(value)


def check_timezone(key: str, name: str) -> None:
    """Raise ``ValueError("key: ...")`` unless ``name`` is an IANA time zone this machine knows."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ValueError(f'{key}: unknown time zone "{name}"') from None


class ReadableFile(str):
    """The path of a file the agent reads (a certificate, key, password or token file).

    Syntax is checked at load (no NUL byte, no blank-only name; ``""`` means
    "no file", for the optional keys); whether the agent can read it is checked
    for every such key in one pass (``config.unreadable_files``).
    """

    @classmethod
    def parse(cls, text: str) -> ReadableFile:
        if text and not text.strip():
            raise ValueError("expected a file path, got only blanks")
        return cls(text)


#: A bcrypt hash as ``cflexagent hash-password`` (and htpasswd -B) writes it.
BCRYPT_RE = re.compile(r"\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}")

#: The value of an optional file key that is not set.
NO_FILE = ReadableFile("")


def _shown(text: str, limit: int = 40) -> str:
    """A value as error messages quote it: long ones cut."""
    return text if len(text) <= limit else text[:limit] + "..."


def compile_regex(text: str) -> re.Pattern[str]:
    """``re.compile`` with every failure as a ValueError naming the problem (never a RecursionError)."""
    try:
        return re.compile(text)
    except re.error as e:
        raise ValueError(f"invalid regular expression {_shown(text)!r}: {e}") from None
    except (RecursionError, OverflowError, MemoryError):
        raise ValueError(f"regular expression too complex to compile: {_shown(text)!r}") from None


#: Config value types parsed from TOML strings: type -> parser (raises ValueError).
PARSERS: dict[type, Any] = {
    Duration: Duration.parse, Size: Size.parse, HostPort: HostPort.parse,
    Percent: Percent.parse, ReadableFile: ReadableFile.parse, re.Pattern: compile_regex,
}
#: What each type looks like, for "expected ..." messages.
EXPECTED: dict[type, str] = {
    Duration: 'a duration like "30s"', Size: 'a size like "64MiB"', HostPort: 'host:port like "127.0.0.1:9087"',
    Percent: 'a percentage like "5%"', ReadableFile: "a file path", re.Pattern: "a regular expression string",
}


class Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of every config table: unknown keys are errors, values are immutable."""
