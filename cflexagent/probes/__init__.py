"""Uptime probes: HTTP(S) and TCP checks scheduled by the agent, plus dead-man's-switch heartbeats.

``scheduler.py`` holds the component and the prober registry (a plain dict,
type name -> prober); ``http.py`` and ``tcp.py`` are the probers, ``tls.py``
the certificate handling. This module stays import-light: the agent imports
it with the config, and loads the rest only when probes are configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..component import Component, Context, Problem
    from ..config import Config


def build(config: Config, ctx: Context) -> list[Component]:
    if not config.probes and not config.heartbeats:
        return []
    from .scheduler import ProbeScheduler

    return [ProbeScheduler(config, ctx)]


def summary(config: Config) -> list[str]:
    out: list[str] = []
    if config.probes:
        kinds: dict[str, int] = {}
        for p in config.probes:
            kinds[p.type] = kinds.get(p.type, 0) + 1
        what = ", ".join(f"{n} {t}" for t, n in sorted(kinds.items()))
        canaries = len(config.probe_defaults.canaries)
        out.append(f"probes     {len(config.probes)} ({what}); {canaries} canaries; "
                   f"at most {config.probe_defaults.max_concurrency} at once")
    if config.heartbeats:
        out.append(f"heartbeats {len(config.heartbeats)}")
    return out


def check(config: Config) -> list[Problem]:
    return []
