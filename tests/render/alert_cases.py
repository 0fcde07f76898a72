"""promtool unit-test scenarios for every alert the renderer emits.

Each alert has scenarios of three kinds, built from the config's thresholds:
``fires`` (the condition holds longer than its ``for``: the alert fires with
the expected labels), ``before`` (the condition holds, but not yet for its
``for``: silent) and ``below`` (the input stays just on the safe side of the
threshold: silent). ``guard`` scenarios check extra silences (low traffic).
Expected labels and severities are written here by hand, not read from the
rules under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from cflexagent.config import Config

Kind = Literal["fires", "before", "below", "guard"]

J_AGENT = {"job": "cflexagent", "instance": "127.0.0.1:9087"}
J_NODE = {"job": "node_exporter", "instance": "127.0.0.1:9100"}


@dataclass(frozen=True)
class S:
    kind: Kind
    at: str
    series: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    #: Minute at which the condition starts to hold (a `before` scenario is evaluated before start + for).
    start: int = 0


def sel(name: str, labels: dict[str, str]) -> str:
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def minutes(seconds: float) -> int:
    return int(seconds // 60)


def m(n: float) -> str:
    return f"{int(n)}m"


def counter(per_min: float, n: int = 400) -> str:
    """A counter growing by per_min each minute for n minutes."""
    return f"0+{per_min:.15g}x{n}"


def const(v: float, n: int = 400) -> str:
    return f"{v:.15g}x{n}"


Cases = dict[str, tuple[str, list[S]]]


def cases(cfg: Config) -> Cases:
    """alert name -> (expected severity, scenarios)."""
    t = cfg.render.thresholds
    out: Cases = {}

    def add(name: str, severity: str, scenarios: list[S]) -> None:
        out[name] = (severity, scenarios)

    # -- uptime -------------------------------------------------------------
    probe = {**J_AGENT, "probe": "api", "target": "https://api.example.com/health"}
    add("ProbeDown", "critical", [
        S("fires", m(5 + minutes(t.probe_down_for)), {sel("cflexagent_probe_up", probe): "1 1 0x400"}, probe),
        S("below", "30m", {sel("cflexagent_probe_up", probe): const(1)}),
    ] + ([S("before", m(2 + minutes(t.probe_down_for) - 1), {sel("cflexagent_probe_up", probe): "1 1 0x400"},
            start=2)]
         if t.probe_down_for >= 120 else []))
    expiry = float(t.cert_expiry)
    add("TLSCertificateExpiringSoon", "warning", [
        # notAfter is cert_expiry + 30m away at t=0: inside the window from 30m on, firing after 10m more.
        S("fires", "60m", {sel("probe_ssl_earliest_cert_expiry", probe): const(expiry + 1800)}, probe),
        S("before", "35m", {sel("probe_ssl_earliest_cert_expiry", probe): const(expiry + 1800)}, start=30),
        # At 60m still exactly cert_expiry + 1h away.
        S("below", "60m", {sel("probe_ssl_earliest_cert_expiry", probe): const(expiry + 7200)}),
    ])

    # -- databases ----------------------------------------------------------
    for alert, metric, job in (("MySQLDown", "mysql_up", {"job": "mysqld_exporter", "instance": "127.0.0.1:9104"}),
                               ("RedisDown", "redis_up", {"job": "redis_exporter", "instance": "127.0.0.1:9121"})):
        f = minutes(t.db_down_for)
        add(alert, "critical", [
            S("fires", m(f + 3), {sel(metric, job): "1 0x400"}, job),
            S("before", m(f), {sel(metric, job): "1 0x400"}, start=1),
            S("below", "30m", {sel(metric, job): const(1)}),
        ])

    # -- app ----------------------------------------------------------------
    err, ok, http_labels = http_shape(cfg)
    per_min = 1000.0
    rate = float(t.http_error_rate)
    f = minutes(t.http_error_for)

    def http(error_share: float, total: float = per_min) -> dict[str, str]:
        return {sel(err[0], err[1]): counter(total * error_share),
                sel(ok[0], ok[1]): counter(total * (1 - error_share))}

    add("HTTPErrorRateHigh", "critical", [
        S("fires", m(f + 6), http(rate * 2), http_labels),
        S("before", m(f), http(rate * 2), start=1),
        S("below", m(f + 6), http(rate * 0.9)),
        # 1 error in 3 requests within the window: far above the rate, but too little traffic to page.
        S("guard", m(f + 6), http(1 / 3, total=3 / float(t.http_error_window / 60))),
    ])
    queue = {"job": "cflex-worker", "instance": "127.0.0.1:8001", "queue": "previews"}
    qb, qf = float(t.queue_backlog), minutes(t.queue_backlog_for)
    add("QueueBacklogHigh", "critical", [
        S("fires", m(qf + 5), {sel("backlog_size", queue): const(qb + 1)}, queue),
        S("before", m(qf - 1), {sel("backlog_size", queue): const(qb + 1)}),
        S("below", m(qf + 5), {sel("backlog_size", queue): const(qb)}),
    ])

    # -- host ---------------------------------------------------------------
    def cpu(util: float) -> dict[str, str]:
        idle = 60 * (1 - util)  # idle CPU-seconds per minute of one CPU
        return {sel("node_cpu_seconds_total", {**J_NODE, "cpu": "0", "mode": "idle"}): counter(idle),
                sel("node_cpu_seconds_total", {**J_NODE, "cpu": "0", "mode": "user"}): counter(60 - idle)}

    cf = minutes(t.cpu_for)
    add("NodeCPUHighUsage", "warning", [
        S("fires", m(cf + 6), cpu(float(t.cpu) + 0.05), J_NODE),
        S("before", m(cf - 1), cpu(float(t.cpu) + 0.05), start=1),
        S("below", m(cf + 6), cpu(float(t.cpu) - 0.01)),
    ])

    def mem(util: float) -> dict[str, str]:
        total = 8 * 2**30
        return {sel("node_memory_MemTotal_bytes", J_NODE): const(total),
                sel("node_memory_MemAvailable_bytes", J_NODE): const(round(total * (1 - util)))}

    mf = minutes(t.memory_for)
    add("NodeMemoryHighUtilization", "warning", [
        S("fires", m(mf + 5), mem(float(t.memory) + 0.01), J_NODE),
        S("before", m(mf - 1), mem(float(t.memory) + 0.01)),
        S("below", m(mf + 5), mem(float(t.memory) - 0.01)),
    ])
    fs = {**J_NODE, "device": "/dev/vda1", "fstype": "ext4", "mountpoint": "/"}

    def disk(used: float, readonly: int = 0) -> dict[str, str]:
        size = 100 * 2**30
        return {sel("node_filesystem_size_bytes", fs): const(size),
                sel("node_filesystem_avail_bytes", fs): const(round(size * (1 - used))),
                sel("node_filesystem_readonly", fs): const(readonly)}

    df = minutes(t.disk_for)
    add("NodeFilesystemAlmostFull", "warning", [
        S("fires", m(df + 5), disk(float(t.disk) + 0.01), fs),
        S("before", m(max(df - 1, 0)), disk(float(t.disk) + 0.01)),
        S("below", m(df + 5), disk(float(t.disk) - 0.01)),
        S("guard", m(df + 5), disk(float(t.disk) + 0.01, readonly=1)),
    ])

    # -- file processing ----------------------------------------------------
    bounds = ["1.0", "5.0", "10.0", "20.0", "30.0", "45.0", "60.0", "90.0", "120.0", "300.0", "+Inf"]
    svc = {**J_AGENT, "service": "cflex-file-processor"}

    def previews(upper: str) -> dict[str, str]:
        """10 previews a minute, all of them in the bucket that ends at ``upper``."""
        out: dict[str, str] = {}
        for b in bounds:
            inside = b == "+Inf" or float(b) >= float(upper)
            out[sel("cflex_preview_time_seconds_bucket", {**svc, "le": b})] = counter(10 if inside else 0)
        return out

    p95 = float(t.preview_p95)
    above = next(b for b in bounds if b == "+Inf" or float(b) > p95)
    below = [b for b in bounds if b != "+Inf" and float(b) <= p95][-1]
    pf = minutes(t.preview_for)
    add("PreviewSlow", "warning", [
        S("fires", m(pf + 5), previews(above), {"job": "cflexagent"}),
        S("before", m(pf - 1), previews(above), start=1),
        S("below", m(pf + 5), previews(below)),
    ])
    mover = {"job": "cflex-mover", "instance": "127.0.0.1:8002"}
    mb, mbf = float(t.mover_backlog), minutes(t.mover_backlog_for)
    add("MoverBacklogHigh", "warning", [
        S("fires", m(mbf + 5), {sel("mover_backlog_files", mover): const(mb)}, mover),
        S("before", m(mbf - 1), {sel("mover_backlog_files", mover): const(mb)}),
        S("below", m(mbf + 5), {sel("mover_backlog_files", mover): const(mb - 1)}),
    ])

    def moves(fail: float) -> dict[str, str]:
        return {sel("mover_operations_total", {**mover, "result": "failure"}): counter(1000 * fail),
                sel("mover_operations_total", {**mover, "result": "success"}): counter(1000 * (1 - fail))}

    mff = minutes(t.mover_fail_for)
    add("MoverFailRateHigh", "warning", [
        S("fires", m(mff + 10), moves(float(t.mover_fail_rate) * 2), {"job": "cflex-mover"}),
        S("before", m(mff - 1), moves(float(t.mover_fail_rate) * 2), start=1),
        S("below", m(mff + 10), moves(float(t.mover_fail_rate) * 0.8)),
    ])

    # -- logs ---------------------------------------------------------------
    stall = float(t.log_stall)
    oldest = "cflexagent_log_spool_oldest_record_timestamp_seconds"
    add("LogShippingStalled", "warning", [
        # The oldest record was written at t=60s and is still waiting.
        S("fires", m(minutes(stall) + 5), {sel(oldest, J_AGENT): const(60)}, J_AGENT),
        S("below", m(minutes(stall) + 5), {sel(oldest, J_AGENT): f"{-(stall - 60):.15g}+60x400"}),
        S("guard", m(minutes(stall) + 5), {sel(oldest, J_AGENT): const(0)}),  # empty spool
    ])
    spool = "cflexagent_log_spool_bytes"
    gf = minutes(t.log_spool_growth_for)
    add("LogSpoolGrowing", "warning", [
        S("fires", m(gf + 10), {sel(spool, J_AGENT): f"{20 * 2**20}+{2**20}x400"}, J_AGENT),
        S("before", m(gf - 1), {sel(spool, J_AGENT): f"{20 * 2**20}+{2**20}x400"}, start=1),
        S("below", m(gf + 10), {sel(spool, J_AGENT): const(20 * 2**20)}),
    ])
    add("LogSpoolFull", "warning", [
        S("fires", "5m", {sel("cflexagent_log_spool_full", J_AGENT): const(1)}, J_AGENT),
        S("before", "0m", {sel("cflexagent_log_spool_full", J_AGENT): const(1)}),
        S("below", "5m", {sel("cflexagent_log_spool_full", J_AGENT): const(0)}),
    ])
    dropped = {**J_AGENT, "reason": "spool_full"}
    add("LogLinesDropped", "warning", [
        S("fires", "5m", {sel("cflexagent_log_dropped_lines_total", dropped): "0 0 0 5x400"}, dropped),
        S("below", "5m", {sel("cflexagent_log_dropped_lines_total", dropped): const(0)}),
    ])

    # -- cPanel storage -----------------------------------------------------
    from cflexagent.render.common import RenderContext
    from cflexagent.render.rules import storage_interval

    scan = storage_interval(RenderContext(cfg, "test"))
    n = minutes(2 * scan) + 30
    failed = {**J_AGENT, "result": "failure"}
    succeeded = {**J_AGENT, "result": "success"}
    add("CPanelScanFailing", "warning", [
        S("fires", "30m", {sel("cflexagent_storage_scans_total", failed): counter(1, n),
                           sel("cflexagent_storage_scans_total", succeeded): const(5, n)}, failed),
        S("below", "30m", {sel("cflexagent_storage_scans_total", failed): counter(1, n),
                           sel("cflexagent_storage_scans_total", succeeded): counter(1, n)}),
    ])
    area = {**J_AGENT, "area": "previews"}
    last = "cflexagent_storage_last_success_timestamp_seconds"
    add("CPanelScanStale", "warning", [
        S("fires", m(minutes(2 * scan) + 10), {sel(last, area): const(0, n)}, area),
        # At that moment exactly twice the interval old: not yet stale.
        S("below", m(minutes(2 * scan) + 10), {sel(last, area): const(600, n)}),
    ])

    def quota(used: float) -> dict[str, str]:
        limit = 10 * 2**30
        return {sel("cflexagent_storage_quota_limit_bytes", J_AGENT): const(limit),
                sel("cflexagent_storage_quota_used_bytes", J_AGENT): const(round(limit * used))}

    qf2 = minutes(t.cpanel_quota_for)
    add("CPanelQuotaHigh", "warning", [
        S("fires", m(qf2 + 5), quota(float(t.cpanel_quota) + 0.01), J_AGENT),
        S("before", m(max(qf2 - 1, 0)), quota(float(t.cpanel_quota) + 0.01)),
        S("below", m(qf2 + 5), quota(float(t.cpanel_quota) - 0.01)),
    ])

    # -- monitoring stack ---------------------------------------------------
    tf = minutes(t.target_down_for)
    add("TargetDown", "warning", [
        S("fires", m(tf + 5), {sel("up", J_NODE): const(0)}, J_NODE),
        S("before", m(tf - 1), {sel("up", J_NODE): const(0)}),
        S("below", m(tf + 5), {sel("up", J_NODE): const(1)}),
    ])
    comp = {**J_AGENT, "component": "logs.sink.loki"}
    cdf = minutes(t.component_down_for)
    add("CflexagentComponentDown", "warning", [
        S("fires", m(cdf + 5), {sel("cflexagent_component_up", comp): const(0)}, comp),
        S("before", m(cdf - 1), {sel("cflexagent_component_up", comp): const(0)}),
        S("below", m(cdf + 5), {sel("cflexagent_component_up", comp): const(1)}),
    ])
    add("CflexagentConfigReloadFailed", "warning", [
        S("fires", "10m", {sel("cflexagent_config_last_reload_successful", J_AGENT): const(0)}, J_AGENT),
        S("before", "4m", {sel("cflexagent_config_last_reload_successful", J_AGENT): const(0)}),
        S("below", "10m", {sel("cflexagent_config_last_reload_successful", J_AGENT): const(1)}),
    ])
    am = {"job": "alertmanager", "instance": "127.0.0.1:9093", "integration": "email"}

    def notif(fail: float) -> dict[str, str]:
        return {sel("alertmanager_notifications_total", am): counter(100),
                sel("alertmanager_notifications_failed_total", am): counter(100 * fail)}

    ratio = float(t.alertmanager_failed_ratio)
    add("AlertmanagerFailedToSendAlerts", "warning", [
        S("fires", "12m", notif(ratio * 2), {"instance": am["instance"], "integration": "email"}),
        S("before", "4m", notif(ratio * 2), start=1),
        S("below", "12m", notif(ratio * 0.5)),
    ])
    add("Watchdog", "info", [S("fires", "1m", {}, {})])

    # -- info ---------------------------------------------------------------
    def once(metric: str, labels: dict[str, str]) -> list[S]:
        return [S("fires", "10m", {sel(metric, labels): "0 0 1x400"}, labels),
                S("below", "10m", {sel(metric, labels): const(1)})]

    add("BackupCompleted", "info", [*once("cflex_backups_total", {**J_AGENT, "action": "backup_completed"}),
                                    once("cflexagent_backups_total", {**J_AGENT, "result": "success"})[0]])
    add("BackupFailed", "info", [*once("cflex_backups_total", {**J_AGENT, "action": "backup_failed"}),
                                 once("cflexagent_backups_total", {**J_AGENT, "result": "failure"})[0]])
    add("DeployFinished", "info", once("cflex_deploys_total", {**J_AGENT, "service": "cflex-api"}))

    out.update(slo_cases(cfg))
    return out


def http_shape(cfg: Config) -> tuple[tuple[str, dict[str, str]], tuple[str, dict[str, str]], dict[str, str]]:
    """(5xx series, 2xx series, labels the alert keeps) of the configured HTTP metrics."""
    if cfg.render.http_metrics == "nginx":
        base = {**J_AGENT, "source": "nginx"}
        return (("cflex_http_requests_total", {**base, "status_class": "5xx"}),
                ("cflex_http_requests_total", {**base, "status_class": "2xx"}),
                {"job": "cflexagent", "source": "nginx"})
    base = {"job": "cflex-api", "instance": "127.0.0.1:8000", "service": "cflex-api"}
    return (("http_request_duration_seconds_count", {**base, "code": "500"}),
            ("http_request_duration_seconds_count", {**base, "code": "200"}),
            {"job": "cflex-api", "service": "cflex-api"})


def slo_cases(cfg: Config) -> Cases:
    """Page and ticket alerts of every SLO, with inputs written per SLO kind."""
    out: Cases = {}
    base = {"job": "cflex-app", "instance": "127.0.0.1:8000"}
    for slo in cfg.render.slo_list:
        budget = 1 - float(slo.objective)
        labels = {"slo": slo.name}
        make: Callable[[float, float], dict[str, str]]
        if slo.type == "latency":
            bucket = f"{float(slo.threshold):.1f}"

            def latency(bad: float, per_min: float = 100.0, slo_metric: str = slo.metric,
                        le: str = bucket) -> dict[str, str]:
                return {sel(f"{slo_metric}_bucket", {**base, "le": le}): counter(per_min * (1 - bad)),
                        sel(f"{slo_metric}_bucket", {**base, "le": "+Inf"}): counter(per_min),
                        sel(f"{slo_metric}_count", base): counter(per_min)}
            make = latency
        else:
            bad_l, good_l = _error_labels(slo.error_selector)
            name = slo.metric if slo.metric.endswith("_total") else f"{slo.metric}_count"

            def errors(bad: float, per_min: float = 100.0, metric: str = name, b: dict[str, str] = bad_l,
                       g: dict[str, str] = good_l) -> dict[str, str]:
                return {sel(metric, {**base, **b}): counter(per_min * bad),
                        sel(metric, {**base, **g}): counter(per_min * (1 - bad))}
            make = errors
        camel = "".join(p[:1].upper() + p[1:] for p in slo.name.split("-"))
        pf, tf = minutes(slo.page_for), minutes(slo.ticket_for)
        out[f"{camel}ErrorBudgetBurnFast"] = ("critical", [
            S("fires", m(pf + 8), make(min(1.0, budget * 20), 100.0), labels),
            S("before", m(pf), make(min(1.0, budget * 20), 100.0), start=1),
            # Below 6x: neither the 1h/5m nor the 6h/30m pair burns fast enough.
            S("below", m(pf + 8), make(budget * 5.8, 100.0)),
            # Low traffic: one bad event in three, in the whole hour.
            S("guard", m(pf + 8), make(1 / 3, 3 / 60)),
        ])
        out[f"{camel}ErrorBudgetBurnSlow"] = ("warning", [
            S("fires", m(tf + 15), make(budget * 2, 100.0), labels),
            S("before", m(tf - 1), make(budget * 2, 100.0), start=1),
            S("below", m(tf + 15), make(budget * 0.9, 100.0)),
        ])
    return out


def _error_labels(selector: str) -> tuple[dict[str, str], dict[str, str]]:
    """Label values a bad and a good event carry, for the error selectors the design uses."""
    known = {'code=~"5.."': ({"code": "500"}, {"code": "200"}),
             'status_class="5xx"': ({"status_class": "5xx"}, {"status_class": "2xx"})}
    if selector not in known:
        raise AssertionError(f"no unit-test input for error_selector {selector!r}: add it to _error_labels")
    return known[selector]
