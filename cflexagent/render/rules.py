"""Prometheus alerting and recording rules for every alert policy of the design.

Modelled on the monitoring mixins (node-mixin, loki-mixin, kube-prometheus):
CamelCase alert names, ``severity`` critical / warning / info, annotations
``summary``, ``description``, ``runbook_url`` (a section of OPERATIONS.md) and
``dashboard``; recording rules named ``level:metric:operations``. Annotations
template only ``$labels`` so their text is stable and testable. Emits only
what Prometheus 2.42 accepts (no ``keep_firing_for``, no ``query_offset``).

Series come from the agent (``configs/METRICS-*.md``), node_exporter,
mysqld_exporter, redis_exporter, Alertmanager, and the apps' own ``/metrics``
(``configs/APP-METRICS.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .common import Files, RenderContext, duration, number, to_yaml
from .slos import slo_groups

RULES_DIR = "prometheus/rules"


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    severity: str
    summary: str
    description: str
    dashboard: str
    for_: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)


def rule(ctx: RenderContext, a: Alert) -> dict[str, Any]:
    out: dict[str, Any] = {"alert": a.name, "expr": a.expr}
    if a.for_:
        out["for"] = duration(a.for_)
    out["labels"] = {"severity": a.severity, **a.labels}
    out["annotations"] = {
        "summary": a.summary,
        "description": a.description,
        "runbook_url": ctx.runbook_url(a.name),
        "dashboard": ctx.dashboard_url(a.dashboard),
    }
    return out


def http_series(ctx: RenderContext) -> tuple[str, str, str]:
    """(request counter, 5xx selector, grouping labels) of the HTTP series the rules read."""
    if ctx.render.http_metrics == "nginx":
        return "cflex_http_requests_total", 'status_class="5xx"', "job, source"
    return "http_request_duration_seconds_count", 'code=~"5.."', "job, service"


def storage_interval(ctx: RenderContext) -> float:
    """Seconds between two cPanel scans: [storage.sftp] interval, or a day with daily_at."""
    import msgspec

    from ..storage.config import SFTPConfig

    sftp = ctx.config.storage.sftp
    if sftp is None:  # not configured: the schema's default interval
        return next(float(f.default) for f in msgspec.structs.fields(SFTPConfig) if f.name == "interval")
    return 86400.0 if sftp.daily_at else float(sftp.interval)


def mib(size: float) -> str:
    """Bytes as the description says them: "16 MiB" (whole MiB), else bytes."""
    n = int(size)
    return f"{n // 1048576} MiB" if n % 1048576 == 0 else f"{n} bytes"


def pct(fraction: float) -> str:
    return f"{number(round(float(fraction) * 100, 4))}%"


def alert_groups(ctx: RenderContext) -> list[tuple[str, list[Alert]]]:
    t = ctx.render.thresholds
    counter, errors, by = http_series(ctx)
    w = duration(t.http_error_window)
    scan = storage_interval(ctx)
    return [
        ("cflex-uptime", [
            Alert("ProbeDown", "cflexagent_probe_up == 0", "critical",
                  "Probe {{ $labels.probe }} is down",
                  "{{ $labels.target }} failed its last consecutive checks (failure_threshold in a row; "
                  "cflexagent_probe_up is 0). The failure reason is in cflexagent_probe_failures_total.",
                  "cflex-uptime", t.probe_down_for),
            Alert("TLSCertificateExpiringSoon",
                  f"probe_ssl_earliest_cert_expiry - time() < {number(t.cert_expiry)}", "warning",
                  "TLS certificate of {{ $labels.probe }} expires soon",
                  f"A certificate in the chain served by {{{{ $labels.target }}}} expires within "
                  f"{duration(t.cert_expiry)}.", "cflex-uptime", t.cert_expiry_for),
        ]),
        ("cflex-databases", [
            Alert("MySQLDown", "mysql_up == 0", "critical", "MySQL is down on {{ $labels.instance }}",
                  "mysqld_exporter cannot reach MySQL (mysql_up is 0).", "cflex-infra", t.db_down_for),
            Alert("RedisDown", "redis_up == 0", "critical", "Redis is down on {{ $labels.instance }}",
                  "redis_exporter cannot reach Redis (redis_up is 0).", "cflex-infra", t.db_down_for),
        ]),
        ("cflex-app", [
            Alert("HTTPErrorRateHigh",
                  f"(sum by ({by}) (rate({counter}{{{errors}}}[{w}])) / sum by ({by}) (rate({counter}[{w}])) "
                  f"> {number(t.http_error_rate)}) and sum by ({by}) (increase({counter}[{w}])) "
                  f">= {t.http_min_requests}",
                  "critical", "HTTP error rate of {{ $labels.job }} is high",
                  f"More than {pct(t.http_error_rate)} of the requests of {{{{ $labels.job }}}} failed with a "
                  f"5xx over {w} (at least {t.http_min_requests} requests).", "cflex-app", t.http_error_for),
            Alert("QueueBacklogHigh", f"backlog_size > {number(t.queue_backlog)}", "critical",
                  "Queue {{ $labels.queue }} of {{ $labels.job }} is backing up",
                  f"More than {number(t.queue_backlog)} jobs have waited in queue {{{{ $labels.queue }}}} for "
                  f"{duration(t.queue_backlog_for)}.", "cflex-app", t.queue_backlog_for),
        ]),
        ("cflex-host", [
            Alert("NodeCPUHighUsage", f"instance:node_cpu_utilisation:rate5m > {number(t.cpu)}", "warning",
                  "CPU usage on {{ $labels.instance }} is high",
                  f"CPU usage has been above {pct(t.cpu)} for {duration(t.cpu_for)}.", "cflex-infra", t.cpu_for),
            Alert("NodeMemoryHighUtilization", f"instance:node_memory_utilisation:ratio > {number(t.memory)}",
                  "warning", "Memory usage on {{ $labels.instance }} is high",
                  f"Memory usage has been above {pct(t.memory)} for {duration(t.memory_for)}.",
                  "cflex-infra", t.memory_for),
            Alert("NodeFilesystemAlmostFull",
                  '(1 - node_filesystem_avail_bytes{fstype!~"tmpfs|ramfs|squashfs|overlay",mountpoint!~"/run.*"}'
                  ' / node_filesystem_size_bytes) > ' + number(t.disk)
                  + ' and node_filesystem_readonly == 0', "warning",
                  "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is almost full",
                  f"More than {pct(t.disk)} of {{{{ $labels.mountpoint }}}} ({{{{ $labels.device }}}}) is used.",
                  "cflex-infra", t.disk_for),
        ]),
        ("cflex-files", [
            Alert("PreviewSlow",
                  "histogram_quantile(0.95, sum by (job, le) (rate(cflex_preview_time_seconds_bucket[5m]))) > "
                  + number(t.preview_p95), "warning", "File previews are slow",
                  f"The 95th percentile of preview generation has been above {number(t.preview_p95)} s for "
                  f"{duration(t.preview_for)}.", "cflex-files", t.preview_for),
            Alert("MoverBacklogHigh", f"mover_backlog_files >= {number(t.mover_backlog)}", "warning",
                  "The file mover of {{ $labels.job }} is behind",
                  f"At least {number(t.mover_backlog)} files are waiting to be moved to cPanel storage.",
                  "cflex-files", t.mover_backlog_for),
            Alert("MoverFailRateHigh",
                  f'sum by (job) (rate(mover_operations_total{{result="failure"}}[{duration(t.mover_fail_window)}]))'
                  f" / sum by (job) (rate(mover_operations_total[{duration(t.mover_fail_window)}])) > "
                  f"{number(t.mover_fail_rate)}", "warning", "The file mover of {{ $labels.job }} is failing",
                  f"More than {pct(t.mover_fail_rate)} of file moves failed over "
                  f"{duration(t.mover_fail_window)}.", "cflex-files", t.mover_fail_for),
        ]),
        ("cflex-logs", [
            Alert("LogShippingStalled",
                  "cflexagent_log_spool_oldest_record_timestamp_seconds > 0 and time() - "
                  f"cflexagent_log_spool_oldest_record_timestamp_seconds > {number(t.log_stall)}", "warning",
                  "Log shipping to Loki is stalled",
                  f"The oldest log batch in the agent's spool has waited more than {duration(t.log_stall)} "
                  "for Loki to accept it.", "cflex-logs"),
            Alert("LogSpoolGrowing", f"delta(cflexagent_log_spool_bytes[{duration(t.log_spool_growth_window)}]) > 0 "
                  f"and cflexagent_log_spool_bytes > {int(t.log_spool_growth_bytes)}", "warning",
                  "The agent's log spool keeps growing",
                  f"More than {mib(t.log_spool_growth_bytes)} of logs wait in the spool and it has grown for "
                  f"{duration(t.log_spool_growth_for)}: Loki accepts less than the agent reads.",
                  "cflex-logs", t.log_spool_growth_for),
            Alert("LogSpoolFull", "cflexagent_log_spool_full == 1", "warning", "The agent's log spool is full",
                  "The spool reached spool_max_bytes or the disk's spool_min_free_disk: reading pauses "
                  "(when_full = block) or the oldest batches are dropped.", "cflex-logs", t.log_spool_full_for),
            Alert("LogLinesDropped",
                  f"increase(cflexagent_log_dropped_lines_total[{duration(t.log_dropped_window)}]) > 0", "warning",
                  "Log lines were dropped ({{ $labels.reason }})",
                  f"The agent dropped log lines in the last {duration(t.log_dropped_window)} with reason "
                  "{{ $labels.reason }}.",
                  "cflex-logs"),
        ]),
        ("cflex-storage", [
            Alert("CPanelScanFailing",
                  f'increase(cflexagent_storage_scans_total{{result="failure"}}[{duration(2 * scan)}]) > 0 '
                  f'unless on (job, instance) increase(cflexagent_storage_scans_total{{result="success"}}'
                  f"[{duration(2 * scan)}]) > 0", "warning", "cPanel storage scans are failing",
                  f"No cPanel scan succeeded in the last {duration(2 * scan)} and at least one failed; "
                  "the reason is in cflexagent_storage_scan_errors_total.", "cflex-storage"),
            Alert("CPanelScanStale",
                  f"time() - cflexagent_storage_last_success_timestamp_seconds > {number(2 * scan)}", "warning",
                  "cPanel storage figures of {{ $labels.area }} are stale",
                  f"The last complete scan of area {{{{ $labels.area }}}} is older than twice the scan "
                  f"interval ({duration(2 * scan)}).", "cflex-storage"),
            Alert("CPanelQuotaHigh",
                  "cflexagent_storage_quota_used_bytes / cflexagent_storage_quota_limit_bytes > "
                  f"{number(t.cpanel_quota)} and cflexagent_storage_quota_limit_bytes > 0", "warning",
                  "The cPanel account is near its disk quota",
                  f"More than {pct(t.cpanel_quota)} of the cPanel disk quota is used.", "cflex-storage",
                  t.cpanel_quota_for),
        ]),
        ("cflex-monitoring", [
            Alert("TargetDown", "up == 0", "warning", "Prometheus cannot scrape {{ $labels.job }}",
                  f"The target {{{{ $labels.instance }}}} of job {{{{ $labels.job }}}} has been down for "
                  f"{duration(t.target_down_for)}.", "cflex-infra", t.target_down_for),
            Alert("CflexagentComponentDown", "cflexagent_component_up == 0", "warning",
                  "Agent component {{ $labels.component }} is down",
                  f"The agent's component {{{{ $labels.component }}}} has been failing and restarting for "
                  f"{duration(t.component_down_for)}.", "cflex-infra", t.component_down_for),
            Alert("CflexagentConfigReloadFailed", "cflexagent_config_last_reload_successful == 0", "warning",
                  "The agent rejected its new config",
                  "The last reload (SIGHUP) of the agent's config failed; the previous config stays in force.",
                  "cflex-infra", t.config_reload_failed_for),
            Alert("AlertmanagerFailedToSendAlerts",
                  "sum by (instance, integration) (rate(alertmanager_notifications_failed_total[5m])) / "
                  "sum by (instance, integration) (rate(alertmanager_notifications_total[5m])) > "
                  f"{number(t.alertmanager_failed_ratio)}", "warning",
                  "Alertmanager fails to send {{ $labels.integration }} notifications",
                  f"More than {pct(t.alertmanager_failed_ratio)} of {{{{ $labels.integration }}}} notifications "
                  "failed over 5m.", "cflex-infra", t.alertmanager_failed_for),
            Alert("Watchdog", "vector(1)", "info", "Alerting pipeline heartbeat (always firing)",
                  "This alert always fires. It is routed to a dead-man's switch that pages when it stops "
                  "arriving: then Prometheus, Alertmanager or the network between them is broken.",
                  "cflex-infra"),
        ]),
        ("cflex-info", [
            Alert("BackupCompleted",
                  'increase(cflex_backups_total{action="backup_completed"}[1h]) > 0 or '
                  'increase(cflexagent_backups_total{result="success"}[1h]) > 0', "info",
                  "A backup completed", "A backup finished successfully within the last hour.", "cflex-infra"),
            Alert("BackupFailed",
                  'increase(cflex_backups_total{action="backup_failed"}[1h]) > 0 or '
                  'increase(cflexagent_backups_total{result="failure"}[1h]) > 0', "info",
                  "A backup failed", "A backup failed within the last hour; see the runbook to retry.",
                  "cflex-infra"),
            Alert("DeployFinished", "increase(cflex_deploys_total[1h]) > 0", "info",
                  "{{ $labels.service }} was deployed", "A deploy of {{ $labels.service }} finished within the "
                  "last hour.", "cflex-app"),
        ]),
    ]


RECORDING_RULES: list[tuple[str, str]] = [
    # node-mixin's names and expressions.
    ("instance:node_cpu_utilisation:rate5m",
     '1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{mode=~"idle|iowait|steal"}[5m])))'),
    ("instance:node_memory_utilisation:ratio",
     "1 - (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)"),
    ("instance:node_network_receive_bytes_excluding_lo:rate5m",
     'sum without (device) (rate(node_network_receive_bytes_total{device!="lo"}[5m]))'),
    ("instance:node_network_transmit_bytes_excluding_lo:rate5m",
     'sum without (device) (rate(node_network_transmit_bytes_total{device!="lo"}[5m]))'),
    ("job:cflexagent_probe_success:avg_over_time1d", "avg by (job, probe) (avg_over_time(probe_success[1d]))"),
]


def render(ctx: RenderContext) -> Files:
    alerts = {"groups": [{"name": name, "rules": [rule(ctx, a) for a in group]}
                         for name, group in alert_groups(ctx)]}
    recording = {"groups": [{"name": "cflex-recording", "rules": [{"record": r, "expr": e}
                                                                   for r, e in RECORDING_RULES]}]}
    files: Files = {
        f"{RULES_DIR}/cflex-alerts.yml": to_yaml(ctx, alerts),
        f"{RULES_DIR}/cflex-recording.yml": to_yaml(ctx, recording),
    }
    slo = slo_groups(ctx)
    if slo:
        files[f"{RULES_DIR}/cflex-slos.yml"] = to_yaml(ctx, {"groups": slo}, note=(
            "SLOs: Sloth-style recording rules slo:sli_error:ratio_rate<window> and multi-window\n"
            "multi-burn-rate alerts (page 1h/5m at 14.4x and 6h/30m at 6x; ticket 1d/2h at 3x and 3d/6h at 1x).\n"
            "An alert also needs min_events events in its long window (low-traffic guard)."))
    return files
