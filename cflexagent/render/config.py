"""Config of ``[render]``: the bundled Prometheus, Alertmanager, Loki, Grafana and nginx files.

Every table has the design's defaults, so a config without ``[render]`` renders
the complete set: exporters on their standard ports on 127.0.0.1, 15 days of
metrics, 30 days of logs, the design's alert thresholds and SLOs.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

from ..configtypes import BCRYPT_RE, Duration, HostPort, Percent, Section, Size, check_timezone

_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,62}")
_JOB_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}")
_LABEL_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TIMES_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
#: Characters that cannot appear unquoted in a systemd EnvironmentFile ARGS value or a shell word.
_UNSAFE_ARG = re.compile(r"[\s\"'\\$`]")


def _hostport_or_empty(key: str, value: str) -> None:
    if value:
        try:
            HostPort.parse(value)
        except ValueError as e:
            raise ValueError(f"{key}: {e}") from None


def _url(key: str, value: str, *, allow_empty: bool = True) -> None:
    if not value and allow_empty:
        return
    if not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s]*)?", value):
        raise ValueError(f'{key}: expected an http:// or https:// URL without user:password@, got "{value}"')


def _safe_arg(key: str, value: str) -> None:
    if _UNSAFE_ARG.search(value):
        raise ValueError(f"{key}: must not contain spaces, quotes, backslashes, $ or backticks "
                         "(it becomes a Prometheus command-line flag)")


class ScrapeTargets(Section):
    """Exporters Prometheus scrapes, as host:port; "" leaves a job out."""

    node_exporter: str = "127.0.0.1:9100"
    mysqld_exporter: str = "127.0.0.1:9104"
    redis_exporter: str = "127.0.0.1:9121"
    loki: str = "127.0.0.1:3100"
    grafana: str = "127.0.0.1:3000"

    def __post_init__(self) -> None:
        for key in ("node_exporter", "mysqld_exporter", "redis_exporter", "loki", "grafana"):
            _hostport_or_empty(key, getattr(self, key))


class PrometheusRender(Section):
    listen: HostPort = HostPort("127.0.0.1", 9090)
    #: The URL people open (links in alerts); "" = derived from [render.nginx] or listen.
    external_url: str = ""
    scrape_interval: Duration = Duration(15.0)
    scrape_timeout: Duration = Duration(10.0)
    evaluation_interval: Duration = Duration(15.0)
    retention: Duration = Duration(15 * 86400.0)
    #: Where Debian's prometheus keeps its TSDB (a flag in /etc/default/prometheus).
    data_dir: str = "/var/lib/prometheus/metrics2"
    external_labels: dict[str, str] = {}
    #: Basic auth user and password file Prometheus sends to the agent when [server.basic_auth] is set
    #: (Alertmanager too, to the relay's webhook when the relay has no bearer token).
    agent_username: str = "prometheus"
    agent_password_file: str = ""
    #: CA file Prometheus and Alertmanager verify the agent's certificate with when [server.tls] is set
    #: ("" = the system's CAs).
    agent_ca_file: str = ""
    #: Render prometheus/web-config.yml (Prometheus' own TLS / basic auth) and pass it with --web.config.file.
    web_config: bool = False
    #: web-config: user name -> bcrypt hash (`cflexagent hash-password`).
    web_users: dict[str, str] = {}
    web_tls_cert_file: str = ""
    web_tls_key_file: str = ""
    #: When web_users is set: the user and password file Prometheus (and the long-term instance) use
    #: to scrape and federate it.
    self_username: str = ""
    self_password_file: str = ""

    def __post_init__(self) -> None:
        _url("external_url", self.external_url)
        if self.scrape_timeout > self.scrape_interval:
            raise ValueError("scrape_timeout: must not exceed scrape_interval")
        for key in ("scrape_interval", "scrape_timeout", "evaluation_interval", "retention"):
            if getattr(self, key) <= 0:
                raise ValueError(f"{key}: must be positive")
        if self.retention < 3600:
            raise ValueError("retention: must be at least 1h")
        _safe_arg("data_dir", self.data_dir)
        _safe_arg("external_url", self.external_url)
        for k in self.external_labels:
            if not _LABEL_RE.fullmatch(k):
                raise ValueError(f'external_labels.{k}: not a valid label name')

        for user, hashed in self.web_users.items():
            if not BCRYPT_RE.fullmatch(hashed):
                raise ValueError(f"web_users.{user}: not a bcrypt hash; make one with: cflexagent hash-password")
        if self.web_users and not self.web_config:
            raise ValueError("web_users: needs web_config = true")
        if bool(self.web_tls_cert_file) != bool(self.web_tls_key_file):
            raise ValueError("web_tls_cert_file: set both web_tls_cert_file and web_tls_key_file, or neither")
        if self.web_tls_cert_file and not self.web_config:
            raise ValueError("web_tls_cert_file: needs web_config = true")
        if self.web_users and not (self.self_username and self.self_password_file):
            raise ValueError("self_password_file: with web_users, set self_username and self_password_file "
                             "so Prometheus can scrape itself")


class AppTarget(Section):
    """One cflex-* service's /metrics endpoint (the app metrics contract, configs/APP-METRICS.md)."""

    name: str
    targets: list[str]
    metrics_path: str = "/metrics"
    scheme: Literal["http", "https"] = "http"
    #: "0s" = the global scrape_interval.
    scrape_interval: Duration = Duration(0.0)

    def __post_init__(self) -> None:
        if not _JOB_RE.fullmatch(self.name):
            raise ValueError(f'name: "{self.name}" must be letters, digits, "_" or "-" (it is the job label)')
        if not self.targets:
            raise ValueError("targets: at least one host:port")
        for i, t in enumerate(self.targets):
            _hostport_or_empty(f"targets[{i}]", t)
            if not t:
                raise ValueError(f"targets[{i}]: must not be empty")
        if not self.metrics_path.startswith("/"):
            raise ValueError("metrics_path: must start with /")


class RemoteWrite(Section):
    """Optional remote_write to a long-term store (Mimir, Thanos Receive, VictoriaMetrics)."""

    url: str = ""
    basic_auth_username: str = ""
    basic_auth_password_file: str = ""
    bearer_token_file: str = ""

    def __post_init__(self) -> None:
        _url("url", self.url)
        if self.basic_auth_password_file and self.bearer_token_file:
            raise ValueError("bearer_token_file: use basic auth or a bearer token, not both")
        if bool(self.basic_auth_username) != bool(self.basic_auth_password_file):
            raise ValueError("basic_auth_password_file: set both basic_auth_username and basic_auth_password_file")


class LongTerm(Section):
    """The design's "1 y downsampled (if enabled)": a second Prometheus federating the recording rules."""

    enabled: bool = False
    listen: HostPort = HostPort("127.0.0.1", 9095)
    retention: Duration = Duration(365 * 86400.0)
    #: At most 2m: Prometheus marks a series stale 5 minutes after its last sample.
    scrape_interval: Duration = Duration(60.0)
    data_dir: str = "/var/lib/prometheus/longterm"
    #: Federation selectors; the default takes every recording rule (level:metric:operations).
    match: list[str] = msgspec.field(default_factory=lambda: ['{__name__=~"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+"}'])

    def __post_init__(self) -> None:
        if not 0 < self.scrape_interval <= 120:
            raise ValueError("scrape_interval: must be at most 2m (staleness is 5m)")
        if not self.match:
            raise ValueError("match: at least one series selector")
        _safe_arg("data_dir", self.data_dir)


class Thresholds(Section):
    """Alert thresholds and durations of the design's alert policies."""

    probe_down_for: Duration = Duration(0.0)
    db_down_for: Duration = Duration(60.0)
    http_error_rate: Percent = Percent(0.01)
    http_error_window: Duration = Duration(300.0)
    http_error_for: Duration = Duration(120.0)
    #: Fewer requests than this within http_error_window never page (1 error in 3 requests is not an outage).
    http_min_requests: int = 20
    queue_backlog: float = 100.0
    queue_backlog_for: Duration = Duration(1800.0)
    cpu: Percent = Percent(0.85)
    cpu_for: Duration = Duration(600.0)
    memory: Percent = Percent(0.85)
    memory_for: Duration = Duration(600.0)
    disk: Percent = Percent(0.85)
    disk_for: Duration = Duration(300.0)
    preview_p95: Duration = Duration(60.0)
    preview_for: Duration = Duration(900.0)
    mover_backlog: float = 1000.0
    mover_backlog_for: Duration = Duration(900.0)
    mover_fail_rate: Percent = Percent(0.005)
    mover_fail_window: Duration = Duration(3600.0)
    mover_fail_for: Duration = Duration(900.0)
    cert_expiry: Duration = Duration(14 * 86400.0)
    cert_expiry_for: Duration = Duration(600.0)
    log_stall: Duration = Duration(600.0)
    log_spool_growth_bytes: Size = Size(16 * 1024 * 1024)
    log_spool_growth_window: Duration = Duration(1800.0)
    log_spool_growth_for: Duration = Duration(1800.0)
    log_spool_full_for: Duration = Duration(60.0)
    log_dropped_window: Duration = Duration(900.0)
    cpanel_quota: Percent = Percent(0.85)
    cpanel_quota_for: Duration = Duration(600.0)
    target_down_for: Duration = Duration(300.0)
    component_down_for: Duration = Duration(300.0)
    alertmanager_failed_ratio: Percent = Percent(0.01)
    alertmanager_failed_for: Duration = Duration(300.0)
    config_reload_failed_for: Duration = Duration(300.0)

    def __post_init__(self) -> None:
        for f in self.__struct_fields__:
            v = getattr(self, f)
            if isinstance(v, (int, float)) and v < 0:
                raise ValueError(f"{f}: must not be negative")
        if min(self.http_error_window, self.mover_fail_window, self.log_spool_growth_window,
               self.log_dropped_window) < 60:
            raise ValueError("http_error_window: windows must be at least 1m")


class SLOConfig(Section):
    """One SLO, turned into Sloth-style recording rules and multi-window multi-burn-rate alerts."""

    name: str
    #: "latency": the share of events of histogram `metric` slower than `threshold` is the error;
    #: "errors": the share of events of counter `metric` matching `error_selector`.
    type: Literal["latency", "errors"]
    objective: Percent
    metric: str
    threshold: Duration = Duration(0.0)
    #: Label matchers of every series used, e.g. 'job="cflex-api"'.
    selector: str = ""
    error_selector: str = ""
    description: str = ""
    #: Fewer events than this in an alert's long window never alert (low-traffic guard).
    min_events: int = 20
    page_for: Duration = Duration(120.0)
    ticket_for: Duration = Duration(900.0)

    def __post_init__(self) -> None:
        if not _NAME_RE.fullmatch(self.name):
            raise ValueError(f'name: "{self.name}" must be lower-case letters, digits and "-"')
        if not 0.5 <= self.objective < 1.0:
            raise ValueError("objective: must be at least 50% and below 100%")
        if not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", self.metric):
            raise ValueError(f'metric: "{self.metric}" is not a metric name')
        if self.type == "latency" and self.threshold <= 0:
            raise ValueError("threshold: a latency SLO needs a positive threshold")
        if self.type == "errors" and not self.error_selector:
            raise ValueError('error_selector: an errors SLO needs one, e.g. \'code=~"5.."\'')
        for key in ("selector", "error_selector"):
            if "{" in getattr(self, key) or "}" in getattr(self, key):
                raise ValueError(f"{key}: label matchers without braces, e.g. 'job=\"cflex-api\"'")
        if self.min_events < 0:
            raise ValueError("min_events: must not be negative")


def default_slos(http_metrics: str = "app") -> list[SLOConfig]:
    """The design's SLIs (configs/APP-METRICS.md names the series)."""
    if http_metrics == "nginx":  # what the agent derives from nginx access logs
        http_hist, http_count, err = ("cflex_http_request_duration_seconds", "cflex_http_requests_total",
                                      'status_class="5xx"')
    else:
        http_hist, http_count, err = ("http_request_duration_seconds", "http_request_duration_seconds",
                                      'code=~"5.."')
    return [
        SLOConfig(name="api-latency", type="latency", objective=Percent(0.95), metric=http_hist,
                  threshold=Duration(3.0), description="API requests answered within 3 s (P95 < 3 s)"),
        SLOConfig(name="api-errors", type="errors", objective=Percent(0.999), metric=http_count,
                  error_selector=err, description="API requests without a server error (< 0.1 %)"),
        SLOConfig(name="job-latency", type="latency", objective=Percent(0.95), metric="job_latency_seconds",
                  threshold=Duration(30.0), description="Queue jobs started within 30 s (P95 < 30 s)"),
        # Files up to 50 MB: the example's derived histogram bins the event's file_size_bytes into a
        # size_class label; a preview logged without a size ("unknown", or no such label) counts too.
        SLOConfig(name="preview-latency", type="latency", objective=Percent(0.90),
                  metric="cflex_preview_time_seconds", threshold=Duration(60.0), selector='size_class!="gt_50mb"',
                  description="File previews up to 50 MB generated within 60 s (P90 < 60 s)"),
    ]


class Maintenance(Section):
    """A recurring maintenance window (Alertmanager time_interval) during which alerts are muted."""

    name: str
    #: "HH:MM-HH:MM" ranges in `location`; empty = all day.
    times: list[str] = []
    weekdays: list[str] = []
    days_of_month: list[str] = []
    months: list[str] = []
    years: list[str] = []
    #: IANA time zone of times; "" = UTC.
    location: str = ""
    #: Severities muted during the window (the Watchdog is never muted).
    severities: list[Literal["critical", "warning", "info"]] = msgspec.field(
        default_factory=lambda: ["critical", "warning", "info"])

    def __post_init__(self) -> None:
        if not _NAME_RE.fullmatch(self.name):
            raise ValueError(f'name: "{self.name}" must be lower-case letters, digits and "-"')
        for i, t in enumerate(self.times):
            if not _TIMES_RE.fullmatch(t):
                raise ValueError(f'times[{i}]: expected "HH:MM-HH:MM", got "{t}"')
            if t[:5] >= t[6:]:
                raise ValueError(f'times[{i}]: the end must be after the start, got "{t}"')
        for key, names in (("weekdays", _WEEKDAYS), ("months", _MONTHS)):
            for i, v in enumerate(getattr(self, key)):
                parts = v.lower().split(":")
                if len(parts) > 2 or not all(p in names or p.isdigit() for p in parts):
                    raise ValueError(f'{key}[{i}]: expected a name like "{names[0]}" or a range '
                                     f'"{names[0]}:{names[4]}", got "{v}"')
        for key in ("days_of_month", "years"):
            for i, v in enumerate(getattr(self, key)):
                if not re.fullmatch(r"-?\d+(:-?\d+)?", v):
                    raise ValueError(f'{key}[{i}]: expected a number or range like "1:7", got "{v}"')
        if self.location:
            check_timezone("location", self.location)
        if not (self.times or self.weekdays or self.days_of_month or self.months or self.years):
            raise ValueError("times: a window needs at least one of times, weekdays, days_of_month, months, years")


class AlertmanagerRender(Section):
    listen: HostPort = HostPort("127.0.0.1", 9093)
    external_url: str = ""
    smtp_smarthost: str = "localhost:25"
    smtp_from: str = "alertmanager@localhost"
    smtp_hello: str = "localhost"
    smtp_auth_username: str = ""
    smtp_auth_password_file: str = ""
    smtp_require_tls: bool = True
    #: Who gets critical and warning mail.
    email_to: list[str] = msgspec.field(default_factory=lambda: ["ops@localhost"])
    #: Who gets the daily info digest; empty = email_to.
    info_email_to: list[str] = []
    group_wait: Duration = Duration(30.0)
    group_interval: Duration = Duration(300.0)
    repeat_interval: Duration = Duration(4 * 3600.0)
    critical_repeat_interval: Duration = Duration(3600.0)
    #: The info digest: one mail per group per this interval.
    digest_interval: Duration = Duration(86400.0)
    #: File holding the dead-man's-switch URL the Watchdog alert is sent to (healthchecks.io, Better Stack...).
    #: Alertmanager 0.25 has no url_file, so the URL is written into alertmanager.yml (mode 0640).
    watchdog_url_file: str = ""
    watchdog_repeat_interval: Duration = Duration(60.0)
    maintenance: list[Maintenance] = []
    #: Where Alertmanager keeps its state (silences, notification log): a flag in /etc/default/prometheus-alertmanager.
    data_dir: str = "/var/lib/prometheus/alertmanager"

    def __post_init__(self) -> None:
        _url("external_url", self.external_url)
        _hostport_or_empty("smtp_smarthost", self.smtp_smarthost)
        if not self.smtp_smarthost:
            raise ValueError("smtp_smarthost: must not be empty")
        for key in ("email_to", "info_email_to"):
            for i, a in enumerate(getattr(self, key)):
                if not re.fullmatch(r"[^@\s]+@[^@\s]+", a):
                    raise ValueError(f'{key}[{i}]: expected an e-mail address, got "{a}"')
        if not self.email_to:
            raise ValueError("email_to: at least one address")
        if self.smtp_auth_password_file and not self.smtp_auth_username:
            raise ValueError("smtp_auth_username: needed with smtp_auth_password_file")
        names = [m.name for m in self.maintenance]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(f'maintenance[{i}].name: duplicate window name "{n}"')
        _safe_arg("data_dir", self.data_dir)
        _safe_arg("external_url", self.external_url)


class LokiRender(Section):
    listen: HostPort = HostPort("127.0.0.1", 3100)
    grpc_listen: HostPort = HostPort("127.0.0.1", 9096)
    data_dir: str = "/var/lib/loki"
    retention: Duration = Duration(30 * 86400.0)
    #: First day of the tsdb v13 schema (YYYY-MM-DD); keep it once data exists.
    schema_from: str = "2025-01-01"
    ingestion_rate_mb: float = 4.0
    ingestion_burst_size_mb: float = 8.0
    per_stream_rate_limit_mb: float = 3.0
    max_global_streams_per_user: int = 5000
    max_query_series: int = 1000
    reject_old_samples_max_age: Duration = Duration(7 * 86400.0)
    #: Loki 3's automatic stream sharding; off by default here (see the rendered file's header).
    shard_streams: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", self.schema_from):
            raise ValueError(f'schema_from: expected YYYY-MM-DD, got "{self.schema_from}"')
        if self.retention < 86400:
            raise ValueError("retention: must be at least 1d (the index period is 24h)")
        if not self.data_dir.startswith("/"):
            raise ValueError("data_dir: must be an absolute path")
        for key in ("ingestion_rate_mb", "ingestion_burst_size_mb", "per_stream_rate_limit_mb"):
            if getattr(self, key) <= 0:
                raise ValueError(f"{key}: must be positive")


class GrafanaRender(Section):
    listen: HostPort = HostPort("127.0.0.1", 3000)
    #: The URL people open (dashboard links in alerts); "" = https://<nginx server_name>/ or http://listen/.
    root_url: str = ""
    #: Grafana folder of the provisioned dashboards.
    folder: str = "CFlex"

    def __post_init__(self) -> None:
        _url("root_url", self.root_url)


class NginxRender(Section):
    enabled: bool = True
    server_name: str = "localhost"
    listen_port: int = 443
    #: Also listen on port 80 and redirect to https.
    redirect_http: bool = True
    #: Debian's ssl-cert snakeoil pair by default; use your real certificate.
    cert_file: str = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
    key_file: str = "/etc/ssl/private/ssl-cert-snakeoil.key"
    hsts_max_age: Duration = Duration(365 * 86400.0)
    #: Addresses or CIDRs allowed to reach Grafana's /admin and /api/admin/, Prometheus and Alertmanager.
    admin_allow: list[str] = msgspec.field(default_factory=lambda: ["127.0.0.1", "::1"])
    #: htpasswd file of the Prometheus (and Alertmanager) basic auth users; create it with `htpasswd -B`.
    htpasswd_file: str = "/etc/nginx/cflex-monitoring.htpasswd"
    #: File name of the site under sites-available.
    site_name: str = "cflex-monitoring"
    #: With [server.tls] and [render.prometheus] agent_ca_file: the name nginx checks in the agent's
    #: certificate when it proxies the acknowledge pages; "" = the agent's listen host. nginx matches DNS
    #: names only, never IP addresses: with an IP listen, give a DNS name the certificate has (localhost).
    agent_ssl_name: str = ""

    def __post_init__(self) -> None:
        import ipaddress

        if not re.fullmatch(r"[A-Za-z0-9.*_-]+", self.server_name):
            raise ValueError(f'server_name: "{self.server_name}" is not a host name')
        if not 1 <= self.listen_port <= 65535:
            raise ValueError("listen_port: must be between 1 and 65535")
        for i, a in enumerate(self.admin_allow):
            try:
                ipaddress.ip_network(a, strict=False)
            except ValueError:
                raise ValueError(f'admin_allow[{i}]: expected an address or CIDR, got "{a}"') from None
        for key in ("cert_file", "key_file", "htpasswd_file"):
            v = getattr(self, key)
            if not v.startswith("/") or re.search(r"[\s;{}\"'\\]", v):
                raise ValueError(f"{key}: must be an absolute path without spaces, quotes, ; or braces")
        if self.agent_ssl_name and not re.fullmatch(r"[A-Za-z0-9.-]+", self.agent_ssl_name):
            raise ValueError(f'agent_ssl_name: "{self.agent_ssl_name}" is not a host name')
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.site_name):
            raise ValueError("site_name: letters, digits, '_', '.' and '-' only")


class LivePaths(Section):
    """Where the installs read their files (Debian's packages by default); `apply` swaps into these."""

    prometheus_dir: str = "/etc/prometheus"
    prometheus_defaults: str = "/etc/default/prometheus"
    alertmanager_dir: str = "/etc/prometheus"
    alertmanager_defaults: str = "/etc/default/prometheus-alertmanager"
    loki_dir: str = "/etc/loki"
    grafana_provisioning_dir: str = "/etc/grafana/provisioning"
    grafana_dashboards_dir: str = "/var/lib/grafana/dashboards/cflex"
    nginx_sites_available: str = "/etc/nginx/sites-available"
    nginx_sites_enabled: str = "/etc/nginx/sites-enabled"
    systemd_dir: str = "/etc/systemd/system"

    def __post_init__(self) -> None:
        for f in self.__struct_fields__:
            v = getattr(self, f)
            if not v.startswith("/"):
                raise ValueError(f"{f}: must be an absolute path")
            _safe_arg(f, v)


#: The group each target's service runs as in the Debian packages.
DEFAULT_GROUPS = {"prometheus": "prometheus", "alertmanager": "prometheus", "loki": "loki", "grafana": "grafana"}


class ApplyConfig(Section):
    """How `cflexagent apply` keeps backups of what it replaced and reloads what changed."""

    #: Previous sets kept per target (timestamped directories).
    keep_backups: int = 5
    #: Where they are kept; "" = <agent.state_dir>/apply/backups.
    backup_dir: str = ""
    #: How long one reload (and its check) may take.
    reload_timeout: Duration = Duration(30.0)
    #: systemd units, for `systemctl reload` when POST /-/reload cannot be used.
    prometheus_unit: str = "prometheus"
    alertmanager_unit: str = "prometheus-alertmanager"
    loki_unit: str = "loki"
    nginx_unit: str = "nginx"
    #: Pid files for a SIGHUP when neither HTTP nor systemd reach the process. "" = not used.
    prometheus_pid_file: str = ""
    alertmanager_pid_file: str = ""
    #: Target -> the group its service runs as. Run as root, apply gives a live file that is not world-readable
    #: (0640) and would be group root this group, so the service can read it. Defaults: Debian's packages
    #: (Grafana's and Loki's from Grafana's apt repository). A group that does not exist is left alone.
    groups: dict[str, str] = msgspec.field(default_factory=lambda: dict(DEFAULT_GROUPS))

    def __post_init__(self) -> None:
        for target, group in self.groups.items():
            if target not in DEFAULT_GROUPS:
                raise ValueError(f'groups.{target}: not a target whose files a service reads; '
                                 f"choose from {', '.join(DEFAULT_GROUPS)}")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}", group):
                raise ValueError(f'groups.{target}: "{group}" is not a group name')
        if not 1 <= self.keep_backups <= 100:
            raise ValueError("keep_backups: must be between 1 and 100")
        if self.backup_dir and not self.backup_dir.startswith("/"):
            raise ValueError("backup_dir: must be an absolute path")
        if self.reload_timeout <= 0:
            raise ValueError("reload_timeout: must be positive")
        for key in ("prometheus_unit", "alertmanager_unit", "loki_unit", "nginx_unit"):
            if not re.fullmatch(r"[A-Za-z0-9@_.:-]+", getattr(self, key)):
                raise ValueError(f"{key}: not a systemd unit name")


class RenderConfig(Section):
    #: Base of every alert's runbook_url (an anchor per alert is appended): where your team reads OPERATIONS.md.
    #: "" = the agent's own /runbooks/ page, published by the nginx site (or the agent's address without it).
    runbook_url: str = ""
    #: Which series the HTTP error-rate alert and the API SLOs read: the apps' own /metrics ("app",
    #: configs/APP-METRICS.md) or what the agent derives from nginx access logs ("nginx", cflex_http_*).
    http_metrics: Literal["app", "nginx"] = "app"
    scrape: ScrapeTargets = msgspec.field(default_factory=lambda: ScrapeTargets())
    prometheus: PrometheusRender = msgspec.field(default_factory=lambda: PrometheusRender())
    apps: list[AppTarget] = []
    remote_write: RemoteWrite = msgspec.field(default_factory=lambda: RemoteWrite())
    longterm: LongTerm = msgspec.field(default_factory=lambda: LongTerm())
    thresholds: Thresholds = msgspec.field(default_factory=lambda: Thresholds())
    #: Omitted: the design's four SLOs (default_slos); `slos = []`: none.
    slos: list[SLOConfig] | None = None
    alertmanager: AlertmanagerRender = msgspec.field(default_factory=lambda: AlertmanagerRender())
    loki: LokiRender = msgspec.field(default_factory=lambda: LokiRender())
    grafana: GrafanaRender = msgspec.field(default_factory=lambda: GrafanaRender())
    nginx: NginxRender = msgspec.field(default_factory=lambda: NginxRender())
    paths: LivePaths = msgspec.field(default_factory=lambda: LivePaths())
    apply: ApplyConfig = msgspec.field(default_factory=lambda: ApplyConfig())

    def __post_init__(self) -> None:
        if re.search(r"\s", self.runbook_url) or "#" in self.runbook_url:
            raise ValueError("runbook_url: a URL or path without spaces or #")
        names = [a.name for a in self.apps]
        reserved = {"prometheus", "alertmanager", "cflexagent", "node_exporter", "mysqld_exporter",
                    "redis_exporter", "loki", "grafana"}
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(f'apps[{i}].name: duplicate app name "{n}"')
            if n in reserved:
                raise ValueError(f'apps[{i}].name: "{n}" is the name of a built-in scrape job')
        slo_names = [s.name for s in self.slos or []]
        for i, n in enumerate(slo_names):
            if n in slo_names[:i]:
                raise ValueError(f'slos[{i}].name: duplicate SLO name "{n}"')

    @property
    def slo_list(self) -> list[SLOConfig]:
        return default_slos(self.http_metrics) if self.slos is None else list(self.slos)
