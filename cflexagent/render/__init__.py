"""Bundled configs: the design's whole Prometheus, Alertmanager, Loki, Grafana and nginx set from the TOML.

Each target is a pure function from the typed config to ``{relative path: bytes}``
(``prometheus.py``, ``rules.py`` + ``slos.py``, ``alertmanager.py``, ``loki.py``,
``grafana/``, ``nginx.py``); ``files.py`` writes a set, ``validate.py`` checks it
with the real tools (promtool, amtool, nginx -t, loki -verify-config). The
targets are a plain dict, like the probers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Config
    from .common import Files, RenderContext


def _prometheus(ctx: RenderContext) -> Files:
    from . import prometheus, rules

    return {**prometheus.render(ctx), **rules.render(ctx)}


def _alertmanager(ctx: RenderContext) -> Files:
    from . import alertmanager

    return alertmanager.render(ctx)


def _loki(ctx: RenderContext) -> Files:
    from . import loki

    return loki.render(ctx)


def _grafana(ctx: RenderContext) -> Files:
    from . import grafana

    return grafana.render(ctx)


def _nginx(ctx: RenderContext) -> Files:
    from . import nginx

    return nginx.render(ctx)


TARGETS: dict[str, Callable[[RenderContext], Files]] = {
    "prometheus": _prometheus,
    "alertmanager": _alertmanager,
    "loki": _loki,
    "grafana": _grafana,
    "nginx": _nginx,
}


def render_all(config: Config, source: str, only: Iterable[str] | None = None) -> Files:
    """Every file of the set (or of the targets in ``only``), sorted by path."""
    from .common import RenderContext

    ctx = RenderContext(config, source)
    files: Files = {}
    for name, target in TARGETS.items():
        if only is None or name in only:
            files.update(target(ctx))
    return dict(sorted(files.items()))


def target_of(path: str) -> str:
    """Which target a rendered path belongs to."""
    top = path.split("/", 1)[0]
    if top == "default":
        return "alertmanager" if path.endswith("alertmanager") else "prometheus"
    if top == "systemd":
        return "prometheus"
    return top
