"""Config of ``[backup]``: the daily archive of the monitoring stack (rendered set, live files, rules,
Grafana dashboards, Loki index)."""

from __future__ import annotations

import re

from ..configtypes import Duration, Section, check_timezone

_DAILY_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class BackupConfig(Section):
    #: Run the backup daily inside the agent (the `cflexagent backup` command works either way).
    enabled: bool = False
    out_dir: str = "/var/backups/cflexagent"
    #: Archives kept; older ones are deleted after a successful backup.
    keep: int = 14
    daily_at: str = "02:30"
    #: IANA zone of daily_at; "" = the host's local time.
    timezone: str = ""
    #: Grafana's HTTP API for the dashboards; "" = http://<render.grafana.listen>.
    grafana_url: str = ""
    #: File holding a Grafana service-account token (Viewer is enough). "" = use the provisioned JSON.
    grafana_token_file: str = ""
    #: Include Loki's tsdb index (the paths come from [render.loki] data_dir).
    loki_index: bool = True
    #: A backup that takes longer is abandoned (no partial archive is left).
    timeout: Duration = Duration(1800.0)

    def __post_init__(self) -> None:
        if not self.out_dir.startswith("/"):
            raise ValueError("out_dir: must be an absolute path")
        if not 1 <= self.keep <= 1000:
            raise ValueError("keep: must be between 1 and 1000")
        if not _DAILY_RE.fullmatch(self.daily_at):
            raise ValueError(f'daily_at: expected "HH:MM" (24-hour clock), got "{self.daily_at}"')
        if self.timezone:
            check_timezone("timezone", self.timezone)
        if self.grafana_url and not re.fullmatch(r"https?://[^\s/?#@]+/?", self.grafana_url):
            raise ValueError("grafana_url: expected http(s)://host:port without a path or user:password@")
        if self.timeout <= 0:
            raise ValueError("timeout: must be positive")
