"""The per-source transform chain between parsing and spooling: redact, then derive.

``parse.build_transforms`` delegates here. Redaction comes first so nothing
unredacted reaches labels, structured metadata, derived-metric labels, the
spool or Loki; derived metrics read the redacted records.

A record that redaction changed is re-serialised (msgspec, ``hot.json_bytes``) when the
shipped line is the record's JSON text; otherwise the original bytes are
shipped untouched. Text lines (nginx, syslog, raw, and JSON lines that did not
parse) are redacted as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .accel import hot, redaction
from .derive import DerivedMetrics, deriver
from .parse import ParsedBatch, Transform
from .redact import RedactMetrics, Redactor, key_path, load_or_create_key
from .redact_config import RedactConfig

if TYPE_CHECKING:
    from ..component import Context
    from .config import LogsConfig, SourceConfig


def uses_hash(cfg: RedactConfig) -> bool:
    return cfg.field_action == "hash" or cfg.pattern_action == "hash" or "hash" in cfg.field_actions.values()


def build_redactor(source: str, cfg: RedactConfig, ctx: Context | None) -> Redactor:
    """The source's redactor; the hash key is read (or created, 0600) only when a rule hashes."""
    key = b""
    if uses_hash(cfg) and ctx is not None:
        path = key_path(cfg, ctx.state_dir)
        try:
            key = load_or_create_key(path)
        except OSError as e:
            from ..config import ConfigError

            raise ConfigError(f"logs.redact.hash_key_file: cannot create or read {path}: "
                              f"{e.strerror or e}") from None
    counts = ctx.metrics(RedactMetrics).counts_for(source) if ctx is not None else None
    return redaction.Redactor(cfg, key=key, counts=counts)


def redact_transform(redactor: Redactor) -> Transform:
    redact_batch = redactor.redact_batch
    dumps = hot.json_bytes

    def redact(batch: ParsedBatch) -> ParsedBatch:
        out = redact_batch(batch.lines, batch.records, batch.json_lines, dumps)
        if out is None:
            return batch
        return ParsedBatch(batch.source, out[0], out[1], batch.timestamps, batch.json_lines)

    return redact


def build_chain(source: SourceConfig, logs: LogsConfig, ctx: Context | None) -> list[Transform]:
    chain: list[Transform] = []
    if logs.redact.enabled:
        chain.append(redact_transform(build_redactor(source.name, logs.redact, ctx)))
    if ctx is not None:
        derive = deriver(source.name, source.format, logs.metrics, ctx.metrics(DerivedMetrics))
        if derive is not None:
            chain.append(derive)
    return chain
