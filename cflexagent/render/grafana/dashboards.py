"""The design's dashboards: Infra, App, File processing, Business, Uptime, cPanel storage, Logs.

Series names: configs/METRICS-*.md (the agent), configs/APP-METRICS.md (the
apps), node_exporter, mysqld_exporter, redis_exporter, Prometheus, Alertmanager.
"""

from __future__ import annotations

from ...alerts.config import RelayConfig
from ..common import RenderContext, duration, number
from ..rules import http_series
from .builder import Board, P, Q, Var

RI = "$__rate_interval"


def infra(ctx: RenderContext) -> Board:
    inst = '{instance=~"$instance"}'
    fs = '{instance=~"$instance",fstype!~"tmpfs|ramfs|squashfs|overlay",mountpoint!~"/run.*"}'
    return Board("cflex-infra", "CFlex / Infra", "Host CPU, memory, disk, network and the health of every process "
                 "of the monitoring stack.", (
        ("Host", (
            P("timeseries", "CPU usage", (Q(f"instance:node_cpu_utilisation:rate5m{inst}", "{{instance}}"),),
              "percentunit", min=0, max=1),
            P("timeseries", "Memory usage", (Q(f"instance:node_memory_utilisation:ratio{inst}", "{{instance}}"),),
              "percentunit", min=0, max=1),
            P("bargauge", "Disk usage", (Q(f"1 - node_filesystem_avail_bytes{fs} / node_filesystem_size_bytes{fs}",
                                           "{{mountpoint}}", instant=True),), "percentunit", min=0, max=1),
            P("timeseries", "Network", (
                Q(f"instance:node_network_receive_bytes_excluding_lo:rate5m{inst}", "in {{instance}}"),
                Q(f"instance:node_network_transmit_bytes_excluding_lo:rate5m{inst}", "out {{instance}}")), "Bps"),
            P("timeseries", "Load average", (Q(f"node_load1{inst}", "1m"), Q(f"node_load5{inst}", "5m"),
                                             Q(f"node_load15{inst}", "15m")), w=12),
            P("timeseries", "Disk I/O time", (Q(f"rate(node_disk_io_time_seconds_total{inst}[{RI}])",
                                                "{{device}}"),), "percentunit"),
        )),
        ("Process health", (
            P("state", "Scrape targets up", (Q("up", "{{job}}"),), w=24, h=6),
            P("stat", "MySQL", (Q("mysql_up", "{{instance}}"),), w=6, h=4),
            P("stat", "Redis", (Q("redis_up", "{{instance}}"),), w=6, h=4),
            P("stat", "Prometheus config reload", (Q("prometheus_config_last_reload_successful"),), w=6, h=4),
            P("stat", "Alertmanager config reload", (Q("alertmanager_config_last_reload_successful"),), w=6, h=4),
            P("state", "Agent components", (Q("cflexagent_component_up", "{{component}}"),)),
            P("timeseries", "Agent CPU and memory", (
                Q(f'rate(process_cpu_seconds_total{{job="cflexagent"}}[{RI}])', "CPU (cores)"),
                Q('process_resident_memory_bytes{job="cflexagent"} / 1073741824', "RSS (GiB)"))),
            P("timeseries", "Agent event-loop lag", (Q("cflexagent_event_loop_lag_seconds", "lag"),), "s"),
            P("timeseries", "Notifications sent / failed", (
                Q(f"sum by (integration) (rate(alertmanager_notifications_total[{RI}]))", "sent {{integration}}"),
                Q(f"sum by (integration) (rate(alertmanager_notifications_failed_total[{RI}]))",
                  "failed {{integration}}")), "ops"),
        )),
        alerting_quality(ctx),
    ), variables=(Var("instance", "label_values(node_uname_info, instance)"),))


#: The window of the alerting-quality figures: one on-call week (Prometheus keeps 15 days).
QUALITY_WINDOW = "7d"


def alerting_quality(ctx: RenderContext) -> tuple[str, tuple[P, ...]]:
    """The design's success metrics from the agent's alert relay (configs/METRICS-alerts.md), each panel
    against its target from ``[alerts.history]`` (the design's MTTR < 4 h, acknowledgment < 15 min,
    noise < 5 %): green under it, red from it on."""
    h = ctx.config.alerts.history
    relay = ctx.config.alerts.relay
    outbox_max = (relay or RelayConfig(enabled=False)).outbox_max
    w = QUALITY_WINDOW
    mttr, ack, noise = float(h.target_mttr), float(h.target_ack), float(h.target_noise)
    ttr, tta = "cflexagent_alert_time_to_resolve_seconds_bucket", "cflexagent_alert_time_to_acknowledge_seconds_bucket"
    fired = f"sum(increase(cflexagent_alerts_fired_total[{w}]))"
    target = (f"Targets ([alerts.history]): MTTR < {duration(mttr)}, acknowledgment < {duration(ack)}, "
              f"noise < {number(noise * 100)} %.")

    def pct(q: float, bucket: str, by: str = "", rng: str = w) -> str:
        return f"histogram_quantile({q}, sum by ({by + ', ' if by else ''}le) (increase({bucket}[{rng}])))"

    return ("Alerting quality", (
        P("stat", f"MTTR P50 / P95 ({w})", (Q(pct(0.5, ttr), "P50"), Q(pct(0.95, ttr), "P95")), "s", w=6, h=5,
          thresholds=((mttr, "red"),), description="Time from an alert's start to its resolution. " + target),
        P("stat", f"Time to acknowledge P50 / P95 ({w})", (Q(pct(0.5, tta), "P50"), Q(pct(0.95, tta), "P95")), "s",
          w=6, h=5, thresholds=((ack, "red"),),
          description="Time from the first successful delivery to the acknowledgment. " + target),
        P("stat", f"Alert noise ({w})", (Q(f"sum(increase(cflexagent_alerts_noise_total[{w}])) / {fired}"),),
          "percentunit", w=6, h=5, min=0, max=1, thresholds=((noise, "red"),),
          description="Firings that resolved by themselves within noise_resolved_within, or flapped, per "
                      "firing. " + target),
        P("stat", f"Undeliverable notifications ({w})", (
            Q(f"sum(increase(cflexagent_alert_undeliverable_total[{w}])) or vector(0)"),), w=6, h=5,
          thresholds=((1, "red"),), description="Notifications no channel of their route could deliver: nobody "
                                                 "was told, so no target can be met."),
        P("timeseries", "Time to resolve P95 by severity (1d windows)", (
            Q(pct(0.95, ttr, "severity", "1d"), "{{severity}}"),), "s", thresholds=((mttr, "red"),),
          description="MTTR's trend; the dashed line is the target."),
        P("timeseries", "Time to acknowledge P95 by severity (1d windows)", (
            Q(pct(0.95, tta, "severity", "1d"), "{{severity}}"),), "s", thresholds=((ack, "red"),),
          description="The dashed line is the target; escalation (escalate_after) exists for the groups above it."),
        P("timeseries", "Alert firings per day", (
            Q("sum(increase(cflexagent_alerts_fired_total[1d]))", "fired"),
            Q("sum(increase(cflexagent_alerts_acknowledged_total[1d]))", "acknowledged"),
            Q("sum(increase(cflexagent_alerts_auto_resolved_total[1d]))", "resolved by itself"),
            Q("sum by (reason) (increase(cflexagent_alerts_noise_total[1d]))", "noise ({{reason}})"))),
        P("timeseries", "Noise ratio (1d windows)", (
            Q("sum(increase(cflexagent_alerts_noise_total[1d])) / sum(increase(cflexagent_alerts_fired_total[1d]))",
              "noise"),), "percentunit", min=0, thresholds=((noise, "red"),)),
        P("table", f"Noisiest alerts ({w})", (
            Q(f"topk(10, sum by (alertname, reason) (increase(cflexagent_alerts_noise_total[{w}])) > 0)",
              instant=True),), description="Tune or remove these first: each one counts against the noise target."),
        P("timeseries", "Notifications per channel (per hour)", (
            Q("sum by (channel, result) (increase(cflexagent_alert_notifications_total[1h]))",
              "{{channel}} {{result}}"),)),
        P("timeseries", "Delivery failures and fallbacks (per hour)", (
            Q("sum by (channel, reason) (increase(cflexagent_alert_send_failures_total[1h]))",
              "failed {{channel}} {{reason}}"),
            Q("sum by (from_channel, to_channel) (increase(cflexagent_alert_fallbacks_total[1h]))",
              "fallback {{from_channel}} to {{to_channel}}"))),
        P("timeseries", "Delivery latency P95 by channel", (
            Q(pct(0.95, "cflexagent_alert_delivery_latency_seconds_bucket", "channel", "1h"), "{{channel}}"),), "s",
          thresholds=((ack, "red"),), description="From accepting the webhook to the channel's delivery; a "
                                                   "notification later than the acknowledgment target has missed it."),
        P("timeseries", "Outbox: notifications waiting", (Q("cflexagent_alert_outbox_notifications", "waiting"),),
          min=0, thresholds=((outbox_max, "red"),),
          description="At outbox_max, webhooks get 503 (Alertmanager retries them)."),
        P("timeseries", "Outbox: oldest waiting notification", (
            Q("cflexagent_alert_outbox_oldest_age_seconds", "age"),), "s", min=0, thresholds=((ack, "red"),),
          description="Still undelivered after the acknowledgment target: that alert has missed it."),
    ))


def app(ctx: RenderContext) -> Board:
    counter, errors, by = http_series(ctx)
    hist = "cflex_http_request_duration_seconds" if ctx.render.http_metrics == "nginx" else \
        "http_request_duration_seconds"
    return Board("cflex-app", "CFlex / App", "API latency and errors, queues and workers, SLO error budgets.", (
        ("API", (
            P("timeseries", "Request latency P95", (
                Q(f"histogram_quantile(0.95, sum by (job, le) (rate({hist}_bucket[{RI}])))", "{{job}}"),), "s"),
            P("timeseries", "Error rate (5xx)", (
                Q(f"sum by ({by}) (rate({counter}{{{errors}}}[{RI}])) / sum by ({by}) (rate({counter}[{RI}]))",
                  "{{job}}"),), "percentunit"),
            P("timeseries", "Requests per second", (Q(f"sum by ({by}) (rate({counter}[{RI}]))", "{{job}}"),),
              "reqps"),
        )),
        ("Queues and workers", (
            P("timeseries", "Queue depth", (Q("sum by (job, queue) (backlog_size)", "{{queue}}"),)),
            P("timeseries", "Job latency P95", (
                Q(f"histogram_quantile(0.95, sum by (queue, le) (rate(job_latency_seconds_bucket[{RI}])))",
                  "{{queue}}"),), "s"),
            P("timeseries", "Jobs in progress", (Q("sum by (job, queue) (worker_jobs_in_progress)", "{{queue}}"),)),
            P("state", "App targets up", (Q('up{job!~"prometheus|alertmanager|cflexagent|node_exporter|'
                                            'mysqld_exporter|redis_exporter|loki|grafana"}', "{{job}}"),)),
        )),
        ("SLOs", (
            P("timeseries", "SLO error ratio (1h)", (Q("slo:sli_error:ratio_rate1h", "{{slo}}"),), "percentunit"),
            P("bargauge", "Error budget left (3d)", (
                Q("1 - slo:sli_error:ratio_rate3d / on (slo) slo:error_budget:ratio", "{{slo}}", instant=True),),
              "percentunit", max=1),
        )),
    ))


def files(ctx: RenderContext) -> Board:
    h = "cflex_preview_time_seconds"
    return Board("cflex-files", "CFlex / File processing", "Preview throughput, failures and duration "
                 "percentiles; the mover's backlog and failures.", (
        ("Previews", (
            P("timeseries", "Previews per minute", (
                Q(f"sum(rate({h}_count[{RI}])) * 60", "generated"),
                Q(f"sum(rate(cflex_previews_failed_total[{RI}])) * 60", "failed")), w=8),
            P("timeseries", "Success ratio", (
                Q(f"sum(rate({h}_count[{RI}])) / (sum(rate({h}_count[{RI}])) + "
                  f"sum(rate(cflex_previews_failed_total[{RI}])))", "success"),), "percentunit", w=8, max=1),
            P("timeseries", "Duration percentiles", tuple(
                Q(f"histogram_quantile({q}, sum by (le) (rate({h}_bucket[{RI}])))", f"P{int(q * 100)}")
                for q in (0.5, 0.9, 0.95)), "s", w=8),
        )),
        ("Mover", (
            P("timeseries", "Mover backlog", (Q("sum by (job) (mover_backlog_files)", "{{job}}"),)),
            P("timeseries", "Moves by result", (
                Q(f"sum by (result) (rate(mover_operations_total[{RI}]))", "{{result}}"),), "ops"),
        )),
    ))


def business(ctx: RenderContext) -> Board:
    return Board("cflex-business", "CFlex / Business", "Orders by status, approvals, revision cycles and tickets.", (
        ("Orders", (
            P("timeseries", "Orders processed per day by status", (
                Q("sum by (status) (increase(cflex_orders_processed_total[1d]))", "{{status}}"),)),
            P("stat", "Approval rate (1d)", (
                Q("sum(increase(cflex_order_approvals_total[1d])) / (sum(increase(cflex_order_approvals_total[1d]))"
                  " + sum(increase(cflex_order_rejections_total[1d])))"),), "percentunit", w=6),
            P("stat", "Revision cycles per order (1d)", (
                Q("sum(increase(cflex_revision_cycles_total[1d])) / sum(increase(cflex_orders_processed_total[1d]))"
                  ),), w=6),
        )),
        ("Tickets and downloads", (
            P("timeseries", "Open tickets by status", (Q("sum by (status) (tickets_open)", "{{status}}"),)),
            P("timeseries", "Signed URLs issued / accessed", (
                Q(f"sum(rate(cflex_signed_urls_issued_total[{RI}])) * 3600", "issued per hour"),
                Q(f"sum by (status) (rate(cflex_signed_urls_accessed_total[{RI}])) * 3600", "accessed {{status}}"))),
        )),
    ))


def uptime(ctx: RenderContext) -> Board:
    sel = '{probe=~"$probe"}'
    return Board("cflex-uptime", "CFlex / Uptime", "Probe status over time, phase latency, failure reasons and "
                 "certificate expiry.", (
        ("Status", (
            P("state", "Up / down", (Q(f"cflexagent_probe_up{sel}", "{{probe}}"),), w=24),
            P("bargauge", "Availability (1d)", (Q(f"job:cflexagent_probe_success:avg_over_time1d{sel}", "{{probe}}",
                                                  instant=True),), "percentunit", max=1),
            P("table", "Failure reasons (time range)", (
                Q(f"sum by (probe, reason) (increase(cflexagent_probe_failures_total{sel}[$__range]))",
                  instant=True),)),
        )),
        ("Latency and certificates", (
            P("timeseries", "HTTP phase latency", (
                Q(f"probe_http_duration_seconds{sel}", "{{probe}} {{phase}}"),), "s"),
            P("timeseries", "Probe duration", (Q(f"probe_duration_seconds{sel}", "{{probe}}"),), "s"),
            P("table", "Certificate expiry (days)", (
                Q(f"(probe_ssl_earliest_cert_expiry{sel} - time()) / 86400", instant=True),), w=24),
        )),
    ), variables=(Var("probe", "label_values(cflexagent_probe_up, probe)"),))


def storage(ctx: RenderContext) -> Board:
    a = '{area=~"$area"}'
    return Board("cflex-storage", "CFlex / cPanel storage", "Bytes and files per area and group, growth, quota "
                 "and cold-tier candidates, from the agent's SFTP scans.", (
        ("Areas", (
            P("timeseries", "Bytes per area", (Q(f"cflexagent_storage_bytes{a}", "{{area}}"),), "bytes"),
            P("timeseries", "Files per area", (Q(f"cflexagent_storage_files{a}", "{{area}}"),)),
            P("bargauge", "Growth per day", (Q('cflexagent_storage_growth_bytes{area=~"$area",window="1d"}',
                                               "{{area}}", instant=True),), "bytes"),
            P("stat", "Quota used", (Q("cflexagent_storage_quota_used_bytes / cflexagent_storage_quota_limit_bytes"),),
              "percentunit", max=1),
        )),
        ("Groups and cold tier", (
            P("table", "Largest groups", (Q(f"topk(20, cflexagent_storage_group_bytes{a})", instant=True),),
              "bytes"),
            P("timeseries", "Cold-tier candidates", (Q(f"cflexagent_storage_files_older_than{a}", "{{area}} {{age}}"),
                                                     )),
            P("stat", "Last complete scan", (Q(f"time() - cflexagent_storage_last_success_timestamp_seconds{a}",
                                               "{{area}}"),), "s", w=24, h=4),
        )),
    ), variables=(Var("area", "label_values(cflexagent_storage_bytes, area)"),))


def logs_board(ctx: RenderContext) -> Board:
    return Board("cflex-logs", "CFlex / Logs", "Log lines per service (Loki) and the health of log shipping.", (
        ("Services", (
            P("logs", "Errors and warnings", (Q('{service=~"$service", level=~"ERROR|WARNING|error|warning"}'),),
              w=24, h=10),
            P("logs", "All lines", (Q('{service=~"$service"}'),), w=24, h=12),
        )),
        ("Shipping health", (
            P("timeseries", "Lines read / shipped", (
                Q(f"sum(rate(cflexagent_log_read_lines_total[{RI}]))", "read"),
                Q(f'sum(rate(cflexagent_log_shipped_lines_total{{sink="loki"}}[{RI}]))', "shipped")), "ops"),
            P("timeseries", "Spool", (Q("cflexagent_log_spool_bytes", "bytes waiting"),), "bytes"),
            P("timeseries", "Dropped lines by reason", (
                Q(f"sum by (reason) (rate(cflexagent_log_dropped_lines_total[{RI}]))", "{{reason}}"),), "ops"),
            P("timeseries", "Push requests by status", (
                Q(f"sum by (status_code) (rate(cflexagent_log_push_requests_total[{RI}]))", "{{status_code}}"),),
              "reqps"),
        )),
    ), variables=(Var("service", "label_values(service)", loki=True),))


BOARDS = (infra, app, files, business, uptime, storage, logs_board)
