"""promtool unit tests whose expectations are written here, not read from the rules under test.

test_alert_rules.py proves every alert fires and stays silent, but takes the expected annotations from the
rule itself. Here a few representative alerts of the example config have their labels and annotations
spelled out as the on-call reads them, and each window pair of the multi-window multi-burn-rate SLO alerts
(api-errors: 99.9 %, a budget of 0.1 %) is tripped on its own: a series that trips only that pair alerts,
and promql_expr_test shows the other pair of the same alert did not hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .conftest import example_config, render_to, run, tool

AGENT = 'job="cflexagent",instance="127.0.0.1:9087"'
API = 'job="cflex-api",instance="127.0.0.1:8000",service="cflex-api"'
ERR = f'http_request_duration_seconds_count{{{API},code="500"}}'
OK = f'http_request_duration_seconds_count{{{API},code="200"}}'
SLO = 'slo="api-errors"'


def promtool_test(tmp_path: Path, rule_file: str, tests: list[dict[str, Any]], every: str = "1m") -> None:
    out = tmp_path / "set"
    render_to(out, example_config())
    spec = {"rule_files": [str(out / "prometheus" / "rules" / rule_file)], "evaluation_interval": every,
            "tests": tests}
    f = tmp_path / "expectations.test.yml"
    f.write_text(yaml.safe_dump(spec, sort_keys=False))
    r = run([tool("promtool"), "test", "rules", str(f)], timeout=120)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]
    assert "SUCCESS" in r.stdout + r.stderr


def case(name: str, series: dict[str, str], alerts: list[dict[str, Any]],
         exprs: list[dict[str, Any]] | None = None, interval: str = "1m") -> dict[str, Any]:
    return {"name": name, "interval": interval,
            "input_series": [{"series": k, "values": v} for k, v in series.items()],
            "alert_rule_test": alerts, "promql_expr_test": exprs or []}


def holds(expr: str, at: str, value: int) -> dict[str, Any]:
    """``expr > bool limit`` of an SLO recording rule is ``value`` (1 true, 0 false) at ``at``."""
    return {"expr": expr, "eval_time": at, "exp_samples": [{"labels": f"{{{SLO}}}", "value": value}]}


def test_annotations_are_what_the_on_call_reads(tmp_path: Path) -> None:
    probe = f'{AGENT},probe="api",target="https://api.example.com/health"'
    fs = 'job="node_exporter",instance="127.0.0.1:9100",device="/dev/vda1",fstype="ext4",mountpoint="/"'
    tests = [
        case("ProbeDown", {f"cflexagent_probe_up{{{probe}}}": "1 1 0x10"}, [{
            "eval_time": "5m", "alertname": "ProbeDown", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "job": "cflexagent", "instance": "127.0.0.1:9087",
                               "probe": "api", "target": "https://api.example.com/health"},
                "exp_annotations": {
                    "summary": "Probe api is down",
                    "description": "https://api.example.com/health failed its last consecutive checks "
                                   "(failure_threshold in a row; cflexagent_probe_up is 0). The failure reason "
                                   "is in cflexagent_probe_failures_total.",
                    "runbook_url": "https://localhost/runbooks/#probedown",
                    "dashboard": "https://localhost/d/cflex-uptime"}}]}]),
        # 20 of 1000 requests a minute fail: 2 % over 5m, for more than 2m.
        case("HTTPErrorRateHigh", {ERR: "0+20x30", OK: "0+980x30"}, [{
            "eval_time": "10m", "alertname": "HTTPErrorRateHigh", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "job": "cflex-api", "service": "cflex-api"},
                "exp_annotations": {
                    "summary": "HTTP error rate of cflex-api is high",
                    "description": "More than 1% of the requests of cflex-api failed with a 5xx over 5m "
                                   "(at least 20 requests).",
                    "runbook_url": "https://localhost/runbooks/#httperrorratehigh",
                    "dashboard": "https://localhost/d/cflex-app"}}]}]),
        case("NodeFilesystemAlmostFull", {f"node_filesystem_size_bytes{{{fs}}}": "100x20",
                                          f"node_filesystem_avail_bytes{{{fs}}}": "10x20",
                                          f"node_filesystem_readonly{{{fs}}}": "0x20"}, [{
            "eval_time": "10m", "alertname": "NodeFilesystemAlmostFull", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "job": "node_exporter", "instance": "127.0.0.1:9100",
                               "device": "/dev/vda1", "fstype": "ext4", "mountpoint": "/"},
                "exp_annotations": {
                    "summary": "Filesystem / on 127.0.0.1:9100 is almost full",
                    "description": "More than 85% of / (/dev/vda1) is used.",
                    "runbook_url": "https://localhost/runbooks/#nodefilesystemalmostfull",
                    "dashboard": "https://localhost/d/cflex-infra"}}]}]),
        # The example config scans hourly: stale after 2h. The last success was at 0s; at 130m it is stale.
        case("CPanelScanStale", {f'cflexagent_storage_last_success_timestamp_seconds{{{AGENT},area="previews"}}':
                                 "0x140"}, [{
            "eval_time": "130m", "alertname": "CPanelScanStale", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "job": "cflexagent", "instance": "127.0.0.1:9087",
                               "area": "previews"},
                "exp_annotations": {
                    "summary": "cPanel storage figures of previews are stale",
                    "description": "The last complete scan of area previews is older than twice the scan "
                                   "interval (2h).",
                    "runbook_url": "https://localhost/runbooks/#cpanelscanstale",
                    "dashboard": "https://localhost/d/cflex-storage"}}]}, {
            "eval_time": "110m", "alertname": "CPanelScanStale", "exp_alerts": []}]),
    ]
    promtool_test(tmp_path, "cflex-alerts.yml", tests)


FAST = {"severity": "critical", "slo": "api-errors"}
FAST_ANNOTATIONS = {
    "summary": "SLO api-errors is burning its error budget fast",
    "description": "API requests without a server error (< 0.1 %): objective 99.9%; the error budget burns fast "
                   "(page: 1h/5m at 14.4x, 6h/30m at 6x).",
    "runbook_url": "https://localhost/runbooks/#slo-error-budget-burn-fast",
    "dashboard": "https://localhost/d/cflex-app"}
SLOW = {"severity": "warning", "slo": "api-errors"}
SLOW_ANNOTATIONS = {
    "summary": "SLO api-errors is burning its error budget steadily",
    "description": "API requests without a server error (< 0.1 %): objective 99.9%; the error budget burns "
                   "steadily (ticket: 1d/2h at 3x, 3d/6h at 1x).",
    "runbook_url": "https://localhost/runbooks/#slo-error-budget-burn-slow",
    "dashboard": "https://localhost/d/cflex-app"}


def fast(at: str, fires: bool) -> dict[str, Any]:
    return {"eval_time": at, "alertname": "ApiErrorsErrorBudgetBurnFast",
            "exp_alerts": [{"exp_labels": FAST, "exp_annotations": FAST_ANNOTATIONS}] if fires else []}


def slow(at: str, fires: bool) -> dict[str, Any]:
    return {"eval_time": at, "alertname": "ApiErrorsErrorBudgetBurnSlow",
            "exp_alerts": [{"exp_labels": SLOW, "exp_annotations": SLOW_ANNOTATIONS}] if fires else []}


def ratio(window: str, factor: str, value: int, at: str) -> dict[str, Any]:
    return holds(f"slo:sli_error:ratio_rate{window}{{{SLO}}} > bool {factor} * 0.001", at, value)


def test_each_page_pair_and_the_low_traffic_guard_on_their_own(tmp_path: Path) -> None:
    tests = [
        # 1h/5m at 14.4x only: six clean hours of 100 requests a minute, then an hour at 2 % errors
        # (20x the budget). The 6h ratio is a sixth of that (0.33 % < 6x): the 6h/30m pair does not hold.
        case("page 1h/5m only", {ERR: "0x369 2+2x59", OK: "0+100x369 36998+98x59"},
             [fast("429m", True), fast("400m", False)],
             [ratio("1h", "14.4", 1, "429m"), ratio("5m", "14.4", 1, "429m"), ratio("6h", "6", 0, "429m")]),
        # 6h/30m at 6x only: a steady 0.8 % (8x the budget) is below 14.4x in every window.
        case("page 6h/30m only", {ERR: "0+0.8x100", OK: "0+99.2x100"}, [fast("60m", True)],
             [ratio("30m", "6", 1, "60m"), ratio("6h", "6", 1, "60m"), ratio("1h", "14.4", 0, "60m"),
              ratio("5m", "14.4", 0, "60m")]),
        # Low traffic: 3 requests in the whole hour, 1 of them failed (33 %, far above 14.4x in the 5m and
        # 1h windows): fewer than min_events (20), so no page.
        case("low-traffic guard", {ERR: "0x57 1x20", OK: "0x56 1 1 2x20"}, [fast("60m", False), fast("62m", False)],
             [ratio("5m", "14.4", 1, "60m"), ratio("1h", "14.4", 1, "60m"),
              holds(f"slo:sli_events:increase1h{{{SLO}}} < bool 20", "60m", 1)]),
        # 3d/6h at 1x only: a steady 0.2 % (2x) is below 3x in the 2h window.
        case("ticket 3d/6h only", {ERR: "0+0.2x420", OK: "0+99.8x420"}, [slow("400m", True), fast("400m", False)],
             [ratio("6h", "1", 1, "400m"), ratio("3d", "1", 1, "400m"), ratio("2h", "3", 0, "400m")]),
    ]
    promtool_test(tmp_path, "cflex-slos.yml", tests)


def test_the_1d_2h_ticket_pair_on_its_own(tmp_path: Path) -> None:
    """1d/2h at 3x only: two clean days at 1000 requests a minute, then a day at 100 a minute with 0.4 % errors
    (4x). Over 3d that is 0.02 % (< 1x): the 3d/6h pair does not hold. Samples and evaluation every 5m."""
    tests = [case("ticket 1d/2h only", {ERR: "0x576 2+2x300", OK: "0+5000x576 2880498+498x300"},
                  [slow("4340m", True), fast("4340m", False)],
                  [ratio("1d", "3", 1, "4340m"), ratio("2h", "3", 1, "4340m"), ratio("3d", "1", 0, "4340m")],
                  interval="5m")]
    promtool_test(tmp_path, "cflex-slos.yml", tests, every="5m")


def test_the_preview_slo_counts_files_up_to_50_mb(tmp_path: Path) -> None:
    """The design's "preview P90 < 60 s (<= 50 MB)": previews of bigger files (size_class="gt_50mb", from
    label_bins) are out of the SLI; previews logged without a size ("unknown") stay in it."""
    base = 'job="cflexagent",instance="127.0.0.1:9087",service="cflex-file-processor"'

    def hist(size_class: str, fast: int, slow: int) -> dict[str, str]:
        sel = f'{base},size_class="{size_class}"'
        return {f'cflex_preview_time_seconds_bucket{{{sel},le="60.0"}}': f"0+{fast}x20",
                f'cflex_preview_time_seconds_bucket{{{sel},le="+Inf"}}': f"0+{fast + slow}x20",
                f"cflex_preview_time_seconds_count{{{sel}}}": f"0+{fast + slow}x20"}

    # Small files: half fast; unknown size: half fast; big files: all slow (not in the SLI).
    series = {**hist("le_50mb", 1, 1), **hist("unknown", 1, 1), **hist("gt_50mb", 0, 10)}
    sli = {"expr": 'slo:sli_error:ratio_rate5m{slo="preview-latency"}', "eval_time": "15m",
           "exp_samples": [{"labels": '{__name__="slo:sli_error:ratio_rate5m",slo="preview-latency"}',
                            "value": 0.5}]}
    events = {"expr": 'slo:sli_events:increase5m{slo="preview-latency"}', "eval_time": "15m",
              "exp_samples": [{"labels": '{__name__="slo:sli_events:increase5m",slo="preview-latency"}',
                               "value": 20}]}
    promtool_test(tmp_path, "cflex-slos.yml", [case("preview SLI up to 50 MB", series, [], [sli, events])])
