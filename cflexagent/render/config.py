"""Config of ``[render]``: the bundled Prometheus, Alertmanager, Grafana and Loki files."""

from __future__ import annotations

from ..configtypes import Section


class RenderConfig(Section):
    pass
