"""The agent's capabilities and what each contributes: components to run, a
summary line for ``check``, and file checks. Each entry imports its package
lazily, so a disabled capability costs no import time and no memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from . import backup, logs, probes, storage
from .component import Component, Context
from .config import Config


@dataclass(frozen=True)
class Problem:
    severity: Literal["error", "warning"]
    message: str


@dataclass(frozen=True)
class Capability:
    #: Fresh (not yet running) component objects; cheap, no I/O.
    build: Callable[[Config, Context], list[Component]]
    #: One-line descriptions of what would run, for ``cflexagent check``.
    summary: Callable[[Config], list[str]]
    #: Files named by the config that the agent cannot read, and similar.
    check: Callable[[Config], list[Problem]]


CAPABILITIES: dict[str, Capability] = {}
# Each entry's functions import their package's heavy parts only when that capability is configured.
CAPABILITIES["probes"] = Capability(probes.build, probes.summary, probes.check)
CAPABILITIES["logs"] = Capability(logs.build, logs.summary, logs.check)
CAPABILITIES["storage"] = Capability(storage.build, storage.summary, storage.check)
CAPABILITIES["backup"] = Capability(backup.build, backup.summary, backup.check)


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
    return [p for cap in CAPABILITIES.values() for p in cap.check(config)]
