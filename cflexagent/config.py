"""Load the one TOML file into frozen, validated, typed sections.

Every table is a ``Section`` (a frozen msgspec Struct). The loader walks the
schema (``msgspec.inspect``) alongside the TOML document and reports **every**
problem of a file, each as one line naming the file and the key path, e.g.
``x.toml: server.listen: expected host:port, got "9465"``; an unknown key gets
the nearest valid one. Values are converted by the loader itself (strings to
``Duration``, ``Size``, ``HostPort``, regexes, ...; see ``configtypes.py``), so
the messages do not depend on msgspec's wording, and each struct is built by
its constructor, whose ``__post_init__`` checks the rules that span keys
(raising ``ValueError("key: message")``). Section types live next to the
component that uses them (``probes/config.py``, ``logs/config.py``, ...) and
import nothing heavy.

Kinds of a thing with their own keys (``[[probes]]`` of ``type`` http or tcp,
``[[logs.sources]]`` of each ``format``) are tagged unions: one struct per
kind, so a key of another kind is an unknown key of that kind.
"""

from __future__ import annotations

import difflib
import os
import re
import socket
import stat
import tomllib
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec
import msgspec.inspect as mi

from .alerts.config import AlertsConfig
from .backup.config import BackupConfig
from .configtypes import BCRYPT_RE, EXPECTED, PARSERS, Duration, HostPort, ReadableFile, Section, Size
from .logs.config import LogsConfig
from .probes.config import HeartbeatConfig, ProbeConfig, ProbeDefaults, apply_probe_defaults
from .render.config import RenderConfig
from .storage.config import StorageConfig

DEFAULT_CONFIG_PATH = "/etc/cflexagent/cflexagent.toml"
#: Outside the 9100-9999 range of Prometheus' default port allocations and
#: clear of 9090-9094 (Prometheus, Pushgateway, Alertmanager).
DEFAULT_PORT = 9087



class ConfigError(Exception):
    """Config problems, each already formatted as one line for the user (``errors``; ``str()`` joins them)."""

    def __init__(self, errors: str | list[str]) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


class AgentSection(Section):
    instance: str = ""
    state_dir: str = "/var/lib/cflexagent"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    shutdown_grace: Duration = Duration(10.0)

    def __post_init__(self) -> None:
        if not self.state_dir:
            raise ValueError("state_dir: must not be empty")

    @property
    def instance_name(self) -> str:
        return self.instance or socket.gethostname()


class ServerTLS(Section):
    cert_file: ReadableFile
    key_file: ReadableFile
    min_version: Literal["TLS12", "TLS13"] = "TLS12"

    def __post_init__(self) -> None:
        for key in ("cert_file", "key_file"):
            if not getattr(self, key):
                raise ValueError(f"{key}: must not be empty")


class BasicAuth(Section):
    users: dict[str, str] = {}

    def __post_init__(self) -> None:
        for user, hashed in self.users.items():
            if not BCRYPT_RE.fullmatch(hashed):
                raise ValueError(f"users.{user}: not a bcrypt hash (expected $2b$<cost>$<53 chars>); "
                                 "make one with: cflexagent hash-password")


class ServerSection(Section):
    listen: HostPort = HostPort("127.0.0.1", DEFAULT_PORT)
    tls: ServerTLS | None = None
    basic_auth: BasicAuth | None = None
    max_connections: int = 256
    read_header_timeout: Duration = Duration(10.0)
    idle_timeout: Duration = Duration(60.0)
    request_timeout: Duration = Duration(30.0)

    def __post_init__(self) -> None:
        if not 1 <= self.max_connections <= 100_000:
            raise ValueError("max_connections: must be between 1 and 100000")
        for key in ("read_header_timeout", "idle_timeout", "request_timeout"):
            if getattr(self, key) <= 0:
                raise ValueError(f"{key}: must be greater than 0s")


class Config(Section):
    agent: AgentSection = msgspec.field(default_factory=lambda: AgentSection())
    server: ServerSection = msgspec.field(default_factory=lambda: ServerSection())
    probe_defaults: ProbeDefaults = msgspec.field(default_factory=lambda: ProbeDefaults())
    probes: list[ProbeConfig] = []
    heartbeats: list[HeartbeatConfig] = []
    logs: LogsConfig = msgspec.field(default_factory=lambda: LogsConfig())
    storage: StorageConfig = msgspec.field(default_factory=lambda: StorageConfig())
    alerts: AlertsConfig = msgspec.field(default_factory=lambda: AlertsConfig())
    render: RenderConfig = msgspec.field(default_factory=lambda: RenderConfig())
    backup: BackupConfig = msgspec.field(default_factory=lambda: BackupConfig())

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for i, p in enumerate(self.probes):
            if p.name in seen:
                raise ValueError(f'probes[{i}].name: duplicate probe name "{p.name}"')
            seen.add(p.name)
        beats: set[str] = set()
        for i, h in enumerate(self.heartbeats):
            if h.name in beats:
                raise ValueError(f'heartbeats[{i}].name: duplicate heartbeat name "{h.name}"')
            beats.add(h.name)
            for name in h.require_probes:
                if name not in seen:
                    raise ValueError(f'heartbeats[{i}].require_probes: no probe named "{name}"')



#: Files larger than this are not config files (``-c /dev/zero`` must not eat the memory).
MAX_CONFIG_BYTES = 4 * 1024 * 1024

_TOML_TYPE = {str: "a string", bool: "true or false", int: "an integer", float: "a number", list: "an array",
              dict: "a table"}


def _what(raw: Any) -> str:
    """A TOML value's kind, with a short rendering of scalars: ``an integer (10)``."""
    kind = _TOML_TYPE.get(type(raw)) or ("a date/time" if hasattr(raw, "isoformat") else type(raw).__name__)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, float)):
        return f"{kind} ({str(raw)[:40]})"
    if isinstance(raw, str):
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        return f'{kind} ("{shown}")'
    return kind


def _expected(t: Any) -> str:
    """What a schema type wants, as error messages say it."""
    if isinstance(t, mi.StrType):
        return "a string"
    if isinstance(t, mi.BoolType):
        return "true or false"
    if isinstance(t, mi.IntType):
        return "an integer"
    if isinstance(t, mi.FloatType):
        return "a number"
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        return "an array"
    if isinstance(t, (mi.DictType, mi.StructType)):
        return "a table"
    if isinstance(t, mi.LiteralType):
        return "one of " + ", ".join(f'"{v}"' for v in t.values)
    if isinstance(t, mi.CustomType):
        return EXPECTED.get(_custom_cls(t), "a value")
    if isinstance(t, mi.UnionType):
        return " or ".join(_expected(s) for s in t.types if not isinstance(s, mi.NoneType))
    return "a value"


def _custom_cls(t: mi.CustomType) -> type:
    cls = t.cls
    return re.Pattern if cls is re.Pattern or typing.get_origin(cls) is re.Pattern else cls


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Bad:
    """The value of a key that failed (its error is already recorded)."""


BAD = _Bad()


class Validator:
    """Converts a TOML document to a schema type, recording every error with its key path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[str] = []

    def error(self, path: str, message: str) -> _Bad:
        self.errors.append(f"{self.source}: {path}: {message}" if path else f"{self.source}: {message}")
        return BAD

    def value(self, t: Any, raw: Any, path: str) -> Any:
        if isinstance(raw, str) and "\0" in raw:
            return self.error(path, "must not contain a NUL byte")
        if isinstance(t, mi.StructType):
            return self.struct(t, raw, path)
        if isinstance(t, mi.UnionType):
            return self.union(t, raw, path)
        if isinstance(t, mi.CustomType):
            return self.custom(t, raw, path)
        if isinstance(t, (mi.ListType, mi.VarTupleType)):
            if not isinstance(raw, list):
                return self.error(path, f"expected an array, got {_what(raw)}")
            items = [self.value(t.item_type, v, f"{path}[{i}]") for i, v in enumerate(raw)]
            return BAD if any(v is BAD for v in items) else items
        if isinstance(t, mi.DictType):
            if not isinstance(raw, dict):
                return self.error(path, f"expected a table, got {_what(raw)}")
            out = {}
            for k, v in raw.items():
                if "\0" in k:
                    self.error(path, "key must not contain a NUL byte")
                    out[k] = BAD
                    continue
                out[k] = self.value(t.value_type, v, _join(path, k))
            return BAD if any(v is BAD for v in out.values()) else out
        if isinstance(t, mi.LiteralType):
            if raw in t.values and type(raw) in {type(v) for v in t.values}:
                return raw
            shown = f'"{raw}"' if isinstance(raw, str) else _what(raw)
            return self.error(path, f"expected {_expected(t)}, got {shown}")
        if isinstance(t, mi.BoolType):
            return raw if isinstance(raw, bool) else self.error(path, f"expected true or false, got {_what(raw)}")
        if isinstance(t, mi.IntType):
            if isinstance(raw, int) and not isinstance(raw, bool):
                if -(1 << 63) <= raw < (1 << 63):
                    return raw
                return self.error(path, f"integer out of range (64 bits), got {str(raw)[:40]}...")
            return self.error(path, f"expected an integer, got {_what(raw)}")
        if isinstance(t, mi.FloatType):
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                return float(raw)
            return self.error(path, f"expected a number, got {_what(raw)}")
        if isinstance(t, mi.StrType):
            return raw if isinstance(raw, str) else self.error(path, f"expected a string, got {_what(raw)}")
        if isinstance(t, mi.AnyType):
            return raw
        return self.error(path, f"unsupported value type in the schema ({type(t).__name__})")

    def custom(self, t: mi.CustomType, raw: Any, path: str) -> Any:
        cls = _custom_cls(t)
        if cls is Size and isinstance(raw, int) and not isinstance(raw, bool):
            try:
                return Size.of_int(raw)
            except ValueError as e:
                return self.error(path, str(e))
        if not isinstance(raw, str):
            return self.error(path, f"expected {EXPECTED.get(cls, 'a string')}, got {_what(raw)}")
        parser = PARSERS.get(cls)
        if parser is None:
            return self.error(path, f"unsupported value type in the schema ({cls.__name__})")
        try:
            return parser(raw)
        except ValueError as e:
            return self.error(path, str(e))

    def union(self, t: mi.UnionType, raw: Any, path: str) -> Any:
        members = [s for s in t.types if not isinstance(s, mi.NoneType)]
        structs = [s for s in members if isinstance(s, mi.StructType)]
        if len(structs) > 1:
            return self.tagged(structs, raw, path)
        if len(members) == 1:
            return self.value(members[0], raw, path)
        for m in members:  # e.g. int | str: the member whose TOML type fits
            if _fits(m, raw):
                return self.value(m, raw, path)
        return self.error(path, f"expected {_expected(t)}, got {_what(raw)}")

    def tagged(self, structs: list[mi.StructType], raw: Any, path: str) -> Any:
        if not isinstance(raw, dict):
            return self.error(path, f"expected a table, got {_what(raw)}")
        tag_field = structs[0].tag_field
        assert tag_field is not None, "a union of tables needs tagged structs"
        by_tag = {s.tag: s for s in structs}
        tag = raw.get(tag_field, getattr(structs[0].cls, "default_tag", None))
        if tag is None:
            return self.error(_join(path, tag_field), "required key is missing (one of "
                              + ", ".join(f'"{k}"' for k in by_tag) + ")")
        chosen = by_tag.get(tag)
        if chosen is None:
            shown = f'"{tag}"' if isinstance(tag, str) else _what(tag)
            return self.error(_join(path, tag_field), "expected one of " + ", ".join(f'"{k}"' for k in by_tag)
                              + f", got {shown}")
        others = {f.encode_name: s.tag for s in structs if s is not chosen for f in s.fields}
        return self.struct(chosen, {k: v for k, v in raw.items() if k != tag_field}, path,
                           kind=(tag_field, str(tag), others))

    def struct(self, t: mi.StructType, raw: Any, path: str,
               kind: tuple[str, str, dict[str, Any]] | None = None) -> Any:
        """``kind``: for a member of a tagged union, (tag field, its tag, other members' keys -> their tag)."""
        if not isinstance(raw, dict):
            return self.error(path, f"expected a table, got {_what(raw)}")
        fields = {f.encode_name: f for f in t.fields}  # by TOML key ("from" for the field from_)
        bad = False
        for key in raw:
            if key not in fields:
                bad = True
                near = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
                if kind and key in kind[2]:
                    other = kind[2][key]
                    self.error(_join(path, key), f'only for {kind[0]} = "{other}" (this is {kind[0]} = "{kind[1]}")')
                    continue
                if near:
                    hint = f'; did you mean "{near[0]}"?'
                else:
                    where = f' for {kind[0]} = "{kind[1]}"' if kind else ""
                    hint = f"; valid keys{where}: {', '.join(fields)}"
                self.error(_join(path, key), f"unknown key{hint}")
        kwargs: dict[str, Any] = {}
        for name, f in fields.items():
            if name in raw:
                v = self.value(f.type, raw[name], _join(path, name))
                bad = bad or v is BAD
                kwargs[f.name] = v
            elif f.required:
                bad = True
                self.error(_join(path, name), "required key is missing")
        if bad:
            return BAD
        try:
            return t.cls(**kwargs)
        except (ValueError, TypeError) as e:
            return self.error(*_locate(t, path, str(e)))
        except (RecursionError, OverflowError) as e:
            return self.error(path, f"value too large or too deeply nested ({type(e).__name__})")


def _fits(t: Any, raw: Any) -> bool:
    if isinstance(t, mi.IntType):
        return isinstance(raw, int) and not isinstance(raw, bool)
    if isinstance(t, (mi.StrType, mi.CustomType, mi.LiteralType)):
        return isinstance(raw, str)
    if isinstance(t, mi.FloatType):
        return isinstance(raw, (int, float)) and not isinstance(raw, bool)
    if isinstance(t, mi.BoolType):
        return isinstance(raw, bool)
    return True


def _locate(t: mi.StructType, path: str, message: str) -> tuple[str, str]:
    """A validator's ``"key: message"`` (or ``"a.b[0].c: message"``) as (full key path, message)."""
    m = re.match(r"([A-Za-z_][\w]*)((?:\[\d+\]|\.[\w-]+)*): ", message)
    if m and m[1] in {n for f in t.fields for n in (f.name, f.encode_name)}:
        return _join(path, m[0][:-2]), message[m.end():]
    return path, message


def decode(raw: Any, tp: Any, source: str = "<config>", path: str = "") -> Any:
    """``raw`` (parsed TOML) as the schema type ``tp``, or a ConfigError listing every problem."""
    v = Validator(source)
    try:
        out = v.value(mi.type_info(tp), raw, path)
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply") from None
    if v.errors:
        raise ConfigError(v.errors)
    return out


def parse(text: str, source: str = "<config>") -> Config:
    """Parse TOML text into a validated Config, or raise ConfigError (one line per problem)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: invalid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{source}: invalid TOML: arrays or tables nested too deeply") from None
    raw = apply_probe_defaults(raw)
    return decode(raw, Config, source)  # type: ignore[no-any-return]


def load(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found (create one with: cflexagent init {p})") from None
    except PermissionError:
        raise ConfigError(f"{p}: config file is not readable by this user (uid {os.getuid()})") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot open the config file: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{p}: is a directory, expected a TOML file")
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{p}: not a regular file, expected a TOML file")
        if st.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{p}: {st.st_size} bytes; a config file is at most {MAX_CONFIG_BYTES} bytes")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the config file: {e.strerror or e}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{p}: more than {MAX_CONFIG_BYTES} bytes; not a config file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return parse(text, str(p))


def readable_files(value: Any, path: str = "") -> Iterator[tuple[str, ReadableFile]]:
    """Every ``ReadableFile`` of a loaded config, with its key path.

    A table switched off (``enabled = false``) reads none of its files, so they are not listed.
    """
    if isinstance(value, ReadableFile):
        if value:
            yield path, value
    elif isinstance(value, msgspec.Struct):
        if getattr(value, "enabled", True) is False:
            return
        for name in value.__struct_fields__:
            yield from readable_files(getattr(value, name), _join(path, name))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from readable_files(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from readable_files(v, _join(path, str(k)))


def unreadable_file(path: str) -> str | None:
    """Why the agent cannot read ``path`` (one phrase), or None when it can."""
    if not path:
        return "no file given"
    try:
        with open(path, "rb") as f:
            f.read(1)
    except FileNotFoundError:
        return f"file not found: {path}"
    except IsADirectoryError:
        return f"is a directory, expected a file: {path}"
    except PermissionError:
        return f"file not readable by this user (uid {os.getuid()}): {path}"
    except OSError as e:
        return f"cannot read {path}: {e.strerror or e}"
    return None


def unreadable_files(config: Config) -> list[tuple[str, str]]:
    """(key path, why) of every file the config names that the agent cannot read."""
    out = []
    for key, path in readable_files(config):
        why = unreadable_file(path)
        if why:
            out.append((key, why))
    return out


def resolve_path(cli_value: str | None) -> str:
    """``-c`` wins, then ``$CFLEXAGENT_CONFIG``, then the system path."""
    return cli_value or os.environ.get("CFLEXAGENT_CONFIG") or DEFAULT_CONFIG_PATH
