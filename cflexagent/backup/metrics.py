"""Metric families of the scheduled backup."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class BackupMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.last_success = Gauge("cflexagent_backup_last_success_timestamp_seconds",
                                  "Unix time the last backup archive was completed.", registry=registry)
        self.runs = Counter("cflexagent_backups", "Backups of the monitoring stack by result (success, failure).",
                            ["result"], registry=registry)
        self.size = Gauge("cflexagent_backup_last_size_bytes", "Size of the last completed backup archive.",
                          registry=registry)
        self.duration = Gauge("cflexagent_backup_duration_seconds", "How long the last backup run took.",
                              registry=registry)
        for result in ("success", "failure"):  # both series exist from the start, so increase() sees the first run
            self.runs.labels(result)
