"""Config of ``[alerts]``: the Alertmanager webhook relay to WhatsApp proxy and email."""

from __future__ import annotations

from ..configtypes import Section


class AlertsConfig(Section):
    pass
