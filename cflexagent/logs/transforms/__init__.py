"""The transform chain of a source, between parsing and the sinks: redact, then derive.

Each transform is ``Callable[[LogBatch], LogBatch]``, pure and synchronous; it
may change ``lines`` (what is shipped), ``records`` (the fields labels and
metadata come from) and drop lines (by rebuilding the three lists).
Redaction comes first so nothing unredacted reaches labels, structured
metadata, derived-metric labels, the spool or a sink; derived metrics read the
redacted records.

A record that redaction changed is re-serialised (msgspec) when the shipped
line is the record's JSON text; otherwise the original bytes are shipped
untouched. Text lines (nginx, syslog, raw, and JSON lines that did not parse)
are redacted as text.

The hash key (``[logs.redact] hash_key_file``, default ``<state_dir>/redact.key``)
is the one file this needs: ``prepare`` reads or creates it when the agent
starts or reloads (a key that cannot be made is a config error there, one
line), never while components are built.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ...compiled import select
from ..batch import LogBatch
from ..parsers.jsonlines import json_bytes
from . import names as _names
from . import redact as _redact
from .config import RedactConfig
from .derive import DerivedMetrics, deriver
from .redact import RedactMetrics

if TYPE_CHECKING:
    from ...component import Context
    from ...config import Config
    from ..config import LogsConfig, SourceBase

    redaction = _redact
    name_finding = _names
else:
    redaction = select(_redact)
    name_finding = select(_names)

Transform = Callable[[LogBatch], LogBatch]
KEY_FILE_NAME = "redact.key"
_KEY_BYTES = 32


def uses_hash(cfg: RedactConfig) -> bool:
    return cfg.field_action == "hash" or cfg.pattern_action == "hash" or "hash" in cfg.field_actions.values()


def key_path(cfg: RedactConfig, state_dir: str | os.PathLike[str]) -> Path:
    return Path(cfg.hash_key_file) if cfg.hash_key_file else Path(state_dir) / KEY_FILE_NAME


def load_or_create_key(path: str | os.PathLike[str]) -> bytes:
    """The HMAC key in ``path``, created (random, mode 0600) when missing."""
    p = Path(path)
    try:
        data = p.read_bytes()
        if len(data) >= 16:
            return data
    except FileNotFoundError:
        pass
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(_KEY_BYTES)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # Two processes racing: the first rename wins, both then read the same key.
        os.link(tmp, p)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return p.read_bytes()


def prepare(config: Config) -> bytes:
    """The redaction hash key the config asks for (read or created), b"" when nothing hashes.

    Raises ConfigError (one line naming the key) when it cannot be read or created.
    """
    r = config.logs.redact
    if not (config.logs.sources and r.enabled and uses_hash(r)):
        return b""
    path = key_path(r, config.agent.state_dir)
    try:
        return load_or_create_key(path)
    except OSError as e:
        from ...config import ConfigError

        raise ConfigError(f"logs.redact.hash_key_file: cannot create or read {path}: {e.strerror or e}") from None


#: Text formats whose parsed fields say where personal names can stand: the ``names`` pattern reads
#: only these fields (as user names) and the values of query strings (request path, referer), never
#: the rest of the line (nginx's request line, status and user agent hold no names, and reading a
#: browser's user agent for names costs more than all the other patterns together).
NAME_FIELDS: dict[str, frozenset[str]] = {"nginx_access": frozenset({"remote_user"})}


def build_redactor(source: str, cfg: RedactConfig, ctx: Context | None, key: bytes,
                   fmt: str = "") -> _redact.Redactor:
    counts = ctx.shared(RedactMetrics).counts_for(source) if ctx is not None else None
    finder = (name_finding.NameFinder(name_finding.shipped_names(), cfg.names_allow, cfg.names_extra,
                                      use_model=cfg.names_model)
              if "names" in cfg.patterns else None)
    return redaction.Redactor(cfg, key=key, counts=counts, names=finder, name_fields=NAME_FIELDS.get(fmt))


def redact_transform(redactor: _redact.Redactor) -> Transform:
    redact_batch = redactor.redact_batch
    dumps = json_bytes

    def redact(batch: LogBatch) -> LogBatch:
        out = redact_batch(batch.lines, batch.records, batch.json_lines, dumps)
        if out is None:
            return batch
        return LogBatch(batch.source, out[0], out[1], batch.timestamps, batch.json_lines)

    return redact


def build_chain(source: SourceBase, logs: LogsConfig, ctx: Context | None, key: bytes = b"") -> list[Transform]:
    """``ctx`` None: no derived metrics (``logs preview``); ``key``: the hash key from ``prepare``."""
    chain: list[Transform] = []
    if logs.redact.enabled:
        chain.append(redact_transform(build_redactor(source.name, logs.redact, ctx, key, source.format)))
    if ctx is not None:
        derive = deriver(source.name, source.format, logs.metrics, ctx.shared(DerivedMetrics))
        if derive is not None:
            chain.append(derive)
    return chain


def apply(chain: list[Transform], batch: LogBatch) -> LogBatch:
    for t in chain:
        batch = t(batch)
    return batch
