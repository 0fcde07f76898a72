"""Which ``cflex_*`` series the rendered rules read, and whether this config's ``[[logs.metrics]]`` derive them.

The agent derives ``cflex_*`` series from log events (``[[logs.metrics]]``, and
``cflex_http_*`` from every ``format = "nginx_access"`` source; see
``logs/transforms/derive.py``). A rendered rule over a series the config does
not derive sees no data and never fires: PreviewSlow and the preview SLO without
``cflex_preview_time_seconds``, the backup alerts without ``cflex_backups_total``.
``cflexagent render`` and ``check`` say so, one line per rule, for a config that
derives metrics from logs or sets ``[render]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Config
    from ..logs.transforms.config import LogMetricConfig
    from .common import RenderContext

#: A metric name of the agent's derived family inside PromQL (not cflexagent_*, not inside another name).
_DERIVED = re.compile(r"(?<![\w:])cflex_[A-Za-z0-9_]*")


def series_of(d: LogMetricConfig) -> set[str]:
    """The series names one definition exposes (a histogram's _bucket, _count and _sum)."""
    if d.type == "histogram":
        return {f"{d.name}_bucket", f"{d.name}_count", f"{d.name}_sum"}
    return {d.name}


def derived_series(config: Config) -> set[str]:
    """Every cflex_* series name the agent derives from logs with this config."""
    from ..logs.transforms.derive import nginx_definitions

    defs = list(config.logs.metrics)
    if any(s.format == "nginx_access" for s in config.logs.sources):
        defs += nginx_definitions()
    return {n for d in defs for n in series_of(d)}


def rules_reading(ctx: RenderContext) -> Iterator[tuple[str, set[str]]]:
    """(rule, the cflex_* series its expression reads) of every rendered rule that reads any. An SLO's
    recording rules and alerts are one rule here: its alerts read only its recording rules."""
    from .rules import RECORDING_RULES, alert_groups
    from .slos import slo_groups

    for _, group in alert_groups(ctx):
        for a in group:
            names = set(_DERIVED.findall(a.expr))
            if names:
                yield a.name, names
    for record, expr in RECORDING_RULES:
        names = set(_DERIVED.findall(expr))
        if names:
            yield record, names
    for g in slo_groups(ctx):
        names = {n for r in g["rules"] for n in _DERIVED.findall(r["expr"])}
        if names:
            alerts = ", ".join(r["alert"] for r in g["rules"] if "alert" in r)
            yield f"SLO {g['name'].removeprefix('cflex-slo-')} ({alerts})", names


def missing_series_warnings(ctx: RenderContext) -> list[str]:
    """One line per rendered rule that reads a cflex_* series no [[logs.metrics]] of the config derives.

    Only for a config that derives metrics from logs or changes ``[render]``: a config with neither (probes
    only, or the design's defaults rendered for another agent's logs) would get a line for every such rule."""
    from .config import RenderConfig

    if ctx.config.render == RenderConfig() and not ctx.config.logs.metrics:
        return []
    have = derived_series(ctx.config)
    out = []
    for rule, names in rules_reading(ctx):
        missing = sorted(names - have)
        if missing:
            out.append(f"rule {rule} reads {', '.join(missing)}, which no [[logs.metrics]] (or nginx_access "
                       "source) of this config derives: it sees no data there")
    return out
