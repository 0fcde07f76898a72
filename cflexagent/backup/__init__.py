"""Backups of the monitoring stack: ``cflexagent backup`` and the daily ``[backup]`` component.

``archive.py`` writes and restores the archives; ``component.py`` schedules them
inside the agent; ``metrics.py`` has the ``cflexagent_backup_*`` families;
``cli.py`` the ``backup`` command. Import-light: nothing heavy loads unless
``[backup] enabled`` or the command runs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..component import Component, Context, Problem
    from ..config import Config


def build(config: Config, ctx: Context) -> list[Component]:
    if not config.backup.enabled:
        return []
    from .component import BackupScheduler

    return [BackupScheduler(config, ctx)]


def summary(config: Config) -> list[str]:
    b = config.backup
    if not b.enabled:
        return []
    return [f"backup     daily at {b.daily_at}{' ' + b.timezone if b.timezone else ''} into {b.out_dir} "
            f"(keep {b.keep})"]


def check(config: Config) -> list[Problem]:
    from ..component import Problem

    b = config.backup
    out: list[Problem] = []
    if b.enabled and b.grafana_token_file and not os.access(b.grafana_token_file, os.R_OK):
        out.append(Problem("warning", f"backup.grafana_token_file: cannot read {b.grafana_token_file}; "
                                      "the provisioned dashboards are archived instead"))
    return out
