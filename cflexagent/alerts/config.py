"""Config of ``[alerts]``: the Alertmanager webhook relay to WhatsApp proxy and email."""

from __future__ import annotations

from ..configtypes import Section


class RelayConfig(Section):
    """``[alerts.relay]``: the webhook on the agent's HTTP server that Alertmanager's critical route calls.

    Minimal shape the renderer needs; the relay's own issue extends it.
    """

    enabled: bool = False
    #: Path of the webhook on the agent's [server] listen.
    path: str = "/alerts/webhook"
    #: File holding the bearer token Alertmanager must send (http_config.authorization.credentials_file).
    bearer_token_file: str = ""
    #: The URL Alertmanager uses to reach the webhook when not http(s)://<server.listen><path>.
    public_url: str = ""

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError("path: must start with /")


class AlertsConfig(Section):
    relay: RelayConfig | None = None
