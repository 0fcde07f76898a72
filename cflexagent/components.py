"""The agent's capabilities and what each contributes: components to run, a
summary line for ``check``, and file checks. Each entry imports its package
lazily, so a disabled capability costs no import time and no memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import alerts, backup, logs, probes, storage
from .component import Component, Context, Problem
from .config import Config, unreadable_files


@dataclass(frozen=True)
class Capability:
    #: Fresh (not yet running) component objects; cheap, no I/O.
    build: Callable[[Config, Context], list[Component]]
    #: One-line descriptions of what would run, for ``cflexagent check``.
    summary: Callable[[Config], list[str]]
    #: Files named by the config that the agent cannot read, and similar.
    check: Callable[[Config], list[Problem]]
    #: The I/O a capability needs before its components run, at start and on reload (e.g. creating a
    #: key file); raises ConfigError (one line naming the key) when it cannot be done.
    prepare: Callable[[Config, Context], None] | None = None


#: Said by ``check`` and at start when a config configures no capability.
NOTHING_TO_RUN = ("nothing to run: no [[probes]], [[heartbeats]], [[logs.sources]], [storage.*] or [alerts.*] "
                  "is configured; the agent only serves its own /metrics (see: cflexagent init)")

CAPABILITIES: dict[str, Capability] = {}
# Each entry's functions import their package's heavy parts only when that capability is configured.
CAPABILITIES["probes"] = Capability(probes.build, probes.summary, probes.check)
CAPABILITIES["logs"] = Capability(logs.build, logs.summary, logs.check, logs.prepare)
CAPABILITIES["storage"] = Capability(storage.build, storage.summary, storage.check)
CAPABILITIES["alerts"] = Capability(alerts.build, alerts.summary, alerts.check)
CAPABILITIES["backup"] = Capability(backup.build, backup.summary, backup.check)


def prepare_components(config: Config, ctx: Context) -> None:
    for cap in CAPABILITIES.values():
        if cap.prepare is not None:
            cap.prepare(config, ctx)


def build_components(config: Config, ctx: Context) -> list[Component]:
    out: list[Component] = []
    for cap in CAPABILITIES.values():
        out.extend(cap.build(config, ctx))
    names = [c.name for c in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate component names: {dupes}")
    return out


def summarize(config: Config) -> list[str]:
    return [line for cap in CAPABILITIES.values() for line in cap.summary(config)]


def check_files(config: Config) -> list[Problem]:
    """Every file the config names that the agent cannot read (one pass over its ``ReadableFile`` keys),
    then each capability's own checks."""
    out = [Problem("error", f"{key}: {why}") for key, why in unreadable_files(config)]
    return out + [p for cap in CAPABILITIES.values() for p in cap.check(config)]
