"""The alert relay's metric families, created once per registry (``ctx.metrics(AlertMetrics)``).

Cardinality: ``channel``, ``from_channel`` and ``to_channel`` are channel names from the
config; ``severity`` is one of critical, error, warning, info, none, other; ``result`` and
``reason`` take the fixed sets named in each help text. Documented in configs/METRICS-alerts.md.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

SEVERITIES = ("critical", "error", "warning", "info", "none")
WEBHOOK_RESULTS = ("accepted", "duplicate", "unrouted", "bad_request", "unauthorized", "too_large",
                   "outbox_full", "error")


def severity_label(s: str) -> str:
    return s if s in SEVERITIES else "other"


class AlertMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.webhooks = Counter(
            "cflexagent_alert_webhooks_total",
            "Alertmanager webhooks received, by result (accepted, duplicate, unrouted, bad_request, unauthorized, "
            "too_large, outbox_full, error, watchdog); unrouted: no route matched, accepted for the fallback "
            "channels (default_channels, else the first route's); watchdog: Alertmanager's Watchdog, recorded, "
            "not delivered.", ["result"], registry=registry)
        self.notifications = Counter(
            "cflexagent_alert_notifications_total",
            "Notifications a channel finished with, by result: delivered, or failed (its retries spent or a "
            "permanent error; the route's next channel takes over).", ["channel", "severity", "result"],
            registry=registry)
        self.attempts = Counter(
            "cflexagent_alert_send_attempts_total",
            "Delivery attempts by channel and result (delivered, transient, permanent).", ["channel", "result"],
            registry=registry)
        self.failures = Counter(
            "cflexagent_alert_send_failures_total",
            "Failed delivery attempts by channel and reason (timeout, refused, connect, tls, http_4xx, http_5xx, "
            "rate_limited, gateway_error, smtp_4xx, smtp_5xx, auth, credentials, protocol, internal).",
            ["channel", "reason"], registry=registry)
        self.fallbacks = Counter(
            "cflexagent_alert_fallbacks_total",
            "Times a notification moved from one channel of its route to the next.",
            ["from_channel", "to_channel"], registry=registry)
        self.undeliverable = Counter(
            "cflexagent_alert_undeliverable_total",
            "Notifications no channel of the route could deliver (permanent errors everywhere, or give_up_after "
            "passed).", ["severity"], registry=registry)
        self.latency = Histogram(
            "cflexagent_alert_delivery_latency_seconds",
            "Time from accepting the webhook to the channel's delivery.", ["channel", "severity"],
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600), registry=registry)
        self.outbox_size = Gauge("cflexagent_alert_outbox_notifications",
                                 "Accepted notifications not yet delivered (or failed) on every channel.",
                                 registry=registry)
        self.outbox_oldest = Gauge("cflexagent_alert_outbox_oldest_age_seconds",
                                   "Age of the oldest notification still in the outbox; 0 when it is empty.",
                                   registry=registry)
        self.outbox_errors = Counter(
            "cflexagent_alert_outbox_errors_total",
            "Outbox operations that failed (disk full, read-only file system, I/O error), by operation "
            "(accept, update, read).", ["op"], registry=registry)
        self.summaries = Counter(
            "cflexagent_alert_rate_limited_summaries_total",
            "Summary messages sent because the channel's rate limit held several notifications back.",
            ["channel"], registry=registry)
        self.summarized = Counter(
            "cflexagent_alert_rate_limited_notifications_total",
            "Notifications delivered inside a summary message instead of on their own.", ["channel"],
            registry=registry)
        for r in WEBHOOK_RESULTS:
            self.webhooks.labels(r)
