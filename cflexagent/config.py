"""Load the one TOML file into frozen, validated, typed sections.

Every table is a ``Section`` (msgspec Struct with ``forbid_unknown_fields``):
unknown keys, wrong types and bad values become a ``ConfigError`` whose text is
one line naming the file and the key path, e.g.
``x.toml: server.listen: expected host:port, got "9465"``, and for an unknown
key the nearest valid one. Section types live next to the component that uses
them (``probes/config.py``, ``logs/config.py``, ...) and import nothing heavy.
"""

from __future__ import annotations

import difflib
import os
import re
import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

import msgspec
import msgspec.inspect as mi

from .alerts.config import AlertsConfig
from .configtypes import Duration, HostPort, Section, dec_hook
from .logs.config import LogsConfig
from .probes.config import HeartbeatConfig, ProbeConfig, ProbeDefaults, apply_probe_defaults
from .render.config import RenderConfig
from .storage.config import StorageConfig

DEFAULT_CONFIG_PATH = "/etc/cflexagent/cflexagent.toml"
#: Outside the 9100-9999 range of Prometheus' default port allocations and
#: clear of 9090-9094 (Prometheus, Pushgateway, Alertmanager).
DEFAULT_PORT = 9087

_BCRYPT_RE = re.compile(r"\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}")


class ConfigError(Exception):
    """A config problem, already formatted as one line for the user."""


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
    cert_file: str
    key_file: str
    min_version: Literal["TLS12", "TLS13"] = "TLS12"


class BasicAuth(Section):
    users: dict[str, str] = {}

    def __post_init__(self) -> None:
        for user, hashed in self.users.items():
            if not _BCRYPT_RE.fullmatch(hashed):
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


def _path_of(msg: str) -> tuple[str, str]:
    """Split msgspec's ``"text - at `$.a.b[0]`"`` into (text, ``a.b[0]``)."""
    m = re.search(r" - at `\$(.*)`$", msg)
    if not m:
        return msg, ""
    return msg[: m.start()], m[1].lstrip(".")


def _struct_at(path: str) -> mi.StructType | None:
    """The struct type found by walking ``path`` from the root Config."""
    t: Any = mi.type_info(Config)
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        t = _unwrap(t)
        if part.startswith("["):
            if isinstance(t, (mi.ListType, mi.VarTupleType)):
                t = t.item_type
                continue
            return None
        if isinstance(t, mi.StructType):
            fields = {f.name: f.type for f in t.fields}
            if part not in fields:
                return None
            t = fields[part]
        elif isinstance(t, mi.DictType):
            t = t.value_type
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, mi.StructType) else None


def _type_at(path: str) -> Any:
    """The msgspec type info of the value at ``path`` (a.b[0].c), or None."""
    parent, _, last = path.rpartition(".")
    if "[" in last:
        return None
    st = _struct_at(parent)
    if st is None:
        return None
    for f in st.fields:
        if f.name == last:
            return f.type
    return None


def _unwrap(t: Any) -> Any:
    if isinstance(t, mi.UnionType):
        for sub in t.types:
            if isinstance(sub, (mi.StructType, mi.ListType, mi.DictType)):
                return sub
    return t


def format_error(source: str, err: msgspec.ValidationError) -> str:
    text, path = _path_of(str(err))
    unknown = re.fullmatch(r"Object contains unknown field `(.+)`", text)
    if unknown:
        key = unknown[1]
        st = _struct_at(path)
        full = f"{path}.{key}" if path else key
        if st is not None:
            valid = [f.name for f in st.fields]
            near = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
            hint = f'; did you mean "{near[0]}"?' if near else f"; valid keys: {', '.join(valid)}"
            return f"{source}: {full}: unknown key{hint}"
        return f"{source}: {full}: unknown key"
    missing = re.fullmatch(r"Object missing required field `(.+)`", text)
    if missing:
        full = f"{path}.{missing[1]}" if path else missing[1]
        return f"{source}: {full}: required key is missing"
    bad_enum = re.fullmatch(r"Invalid enum value (.+)", text)
    if bad_enum:
        t = _type_at(path)
        if isinstance(t, mi.LiteralType):
            choices = ", ".join(f'"{v}"' for v in t.values)
            return f"{source}: {path}: expected one of {choices}, got {bad_enum[1]}"
    # Validators raise "field: message" (or "a.b[0].c: message") for the struct at `path`.
    head = re.match(r"([A-Za-z_][\w.\[\]]*): ", text)
    if head and (st := _struct_at(path)) is not None and head[1].split(".")[0].split("[")[0] in {
        f.name for f in st.fields
    }:
        return f"{source}: {path + '.' if path else ''}{text}"
    if head and not path:
        return f"{source}: {text}"
    text = text[0].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text
    return f"{source}: {path}: {text}" if path else f"{source}: {text}"


def parse(text: str, source: str = "<config>") -> Config:
    """Parse TOML text into a validated Config, or raise ConfigError (one line)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: invalid TOML: {e}") from None
    try:
        raw = apply_probe_defaults(raw)
        return msgspec.convert(raw, Config, dec_hook=dec_hook, strict=True)
    except msgspec.ValidationError as e:
        raise ConfigError(format_error(source, e)) from None


def load(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found (create one with: cflexagent init {p})") from None
    except PermissionError:
        raise ConfigError(f"{p}: config file is not readable by this user (uid {os.getuid()})") from None
    except IsADirectoryError:
        raise ConfigError(f"{p}: is a directory, expected a TOML file") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    return parse(text, str(p))


def resolve_path(cli_value: str | None) -> str:
    """``-c`` wins, then ``$CFLEXAGENT_CONFIG``, then the system path."""
    return cli_value or os.environ.get("CFLEXAGENT_CONFIG") or DEFAULT_CONFIG_PATH
