"""Value types shared by every config section: durations, sizes, host:port, regexes.

Each type is parsed once at load time (``dec_hook``) so components never parse
strings at run time. A parse error names the offending value; msgspec adds the
key path (``$.server.listen``) which ``config.format_error`` turns into
``server.listen``.
"""

from __future__ import annotations

import re
import typing
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
        while pos < len(text):
            m = _DURATION_RE.match(text, pos)
            if not m:
                raise ValueError(f'expected a duration like "30s", "5m" or "1h30m", got "{text}"')
            total += float(m[1]) * _DURATION_UNITS[m[2]]
            pos = m.end()
        if not text:
            raise ValueError('expected a duration like "30s", got ""')
        return cls(total)

    def __repr__(self) -> str:
        return f"Duration({float(self)}s)"


class Size(int):
    """Bytes, written as ``"64MiB"``, ``"1GiB"``, ``"512KB"`` or a plain integer."""

    @classmethod
    def parse(cls, text: str) -> Size:
        m = _SIZE_RE.fullmatch(text)
        unit = m[2].lower() if m else None
        if not m or unit not in _SIZE_UNITS:
            raise ValueError(f'expected a size like "64MiB" or "1GB", got "{text}"')
        return cls(int(float(m[1]) * _SIZE_UNITS[unit]))


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


_PARSERS: dict[type, Any] = {
    Duration: Duration.parse, Size: Size.parse, HostPort: HostPort.parse, Percent: Percent.parse,
}


def dec_hook(tp: Any, obj: Any) -> Any:
    """msgspec decode hook: turn TOML strings into the typed values above."""
    parser = _PARSERS.get(tp)
    if parser is not None:
        if tp is Size and isinstance(obj, int) and not isinstance(obj, bool):
            return Size(obj)
        if not isinstance(obj, str):
            raise TypeError(f"expected a string, got {type(obj).__name__} {obj!r}")
        return parser(obj)
    if tp is re.Pattern or typing.get_origin(tp) is re.Pattern:
        if not isinstance(obj, str):
            raise TypeError(f"expected a regular expression string, got {type(obj).__name__}")
        try:
            return re.compile(obj)
        except re.error as e:
            raise ValueError(f"invalid regular expression {obj!r}: {e}") from None
    raise NotImplementedError(f"no decoder for {tp!r}")


def enc_hook(obj: Any) -> Any:
    """msgspec encode hook, the inverse of ``dec_hook`` (for ``check --json`` and renderers)."""
    if isinstance(obj, HostPort):
        return str(obj)
    if isinstance(obj, re.Pattern):
        return obj.pattern
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


class Section(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base of every config table: unknown keys are errors, values are immutable."""
