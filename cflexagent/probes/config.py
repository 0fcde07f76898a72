"""Config of ``[probe_defaults]``, ``[[probes]]`` and ``[[heartbeats]]`` (filled in by the probes component)."""

from __future__ import annotations

from typing import Any, Literal

from ..configtypes import Duration, Section


class ProbeDefaults(Section):
    interval: Duration = Duration(30.0)
    timeout: Duration = Duration(10.0)


class ProbeConfig(Section):
    name: str
    type: Literal["http", "tcp"]
    url: str = ""
    address: str = ""
    interval: Duration = Duration(30.0)
    timeout: Duration = Duration(10.0)


class HeartbeatConfig(Section):
    name: str
    url: str
    interval: Duration = Duration(60.0)


def apply_probe_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """Copy ``[probe_defaults]`` keys into each ``[[probes]]`` table that does not set them."""
    defaults = raw.get("probe_defaults")
    probes = raw.get("probes")
    if not isinstance(defaults, dict) or not isinstance(probes, list):
        return raw
    raw = dict(raw)
    raw["probes"] = [{**defaults, **p} if isinstance(p, dict) else p for p in probes]
    return raw
