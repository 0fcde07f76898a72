"""Alerts: the Alertmanager webhook relay to email and WhatsApp gateways, acknowledgment,
escalation and the alert history behind the design's success metrics.

``relay.py`` holds the component (webhook, outbox, per-channel senders);
``outbox.py`` the SQLite outbox; ``channels/`` the senders (``CHANNEL_KINDS``)
and the WhatsApp gateway presets (``channels/whatsapp.GATEWAYS``);
``message.py`` what a notification says; ``cli.py`` the ``alerts`` subcommands.
This module stays import-light: the rest loads only when ``[alerts.relay]`` is
configured.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from .config import WhatsAppChannel

if TYPE_CHECKING:
    from ..component import Component, Context, Problem
    from ..config import Config


def loopback_only(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_problem(config: Config) -> str | None:
    relay = config.alerts.relay
    if relay is None or not relay.enabled or relay.bearer_token_file:
        return None
    if loopback_only(config.server.listen.host):
        return None
    return (f"alerts.relay.bearer_token_file: required when server.listen ({config.server.listen}) is not a "
            "loopback address (anyone who reaches the port could post alerts)")


def build(config: Config, ctx: Context) -> list[Component]:
    if not config.alerts.active:
        return []
    problem = token_problem(config)
    if problem:
        from ..config import ConfigError

        raise ConfigError(problem)
    from .relay import AlertRelay

    return [AlertRelay(config, ctx)]


def summary(config: Config) -> list[str]:
    relay = config.alerts.relay
    if relay is None:
        return []
    if not relay.enabled:
        return ["alerts     relay disabled"]
    chans = ", ".join(f"{c.name} ({c.kind}{'/' + c.gateway if isinstance(c, WhatsAppChannel) else ''})"
                      for c in relay.channels)
    auth = "bearer token" if relay.bearer_token_file else "no token (loopback only)"
    return [f"alerts     relay on {relay.path} ({auth}): {len(relay.routes)} routes, channels {chans}"]


def check(config: Config) -> list[Problem]:
    from ..component import Problem

    relay = config.alerts.relay
    if relay is None or not relay.enabled:
        return []
    out: list[Problem] = []
    problem = token_problem(config)
    if problem:
        out.append(Problem("error", problem))
    for i, c in enumerate(relay.channels):
        if isinstance(c, WhatsAppChannel) and c.gateway == "cloud_api" and not c.template:
            out.append(Problem("warning", f"alerts.relay.channels[{i}].template: without an approved template, "
                                          "Cloud API text messages reach a recipient only within 24 h of their "
                                          "last message to the business number"))
    if not any(not r.severity and not r.match for r in relay.routes):
        out.append(Problem("warning", "alerts.relay.routes: no catch-all route (no severity, no match); "
                                      "notifications that match no route are not delivered"))
    if not relay.public_url:
        out.append(Problem("warning", "alerts.relay.public_url: not set; messages carry no dashboard, runbook or "
                                      "acknowledge links"))
    return out
