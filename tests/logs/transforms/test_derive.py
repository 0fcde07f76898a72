"""Metrics derived from log records: matching, scaling, labels, bounded series, reload behaviour."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from cflexagent.config import ConfigError, decode
from cflexagent.logs.batch import LogBatch
from cflexagent.logs.transforms.config import LogMetricConfig
from cflexagent.logs.transforms.derive import DerivedMetrics, deriver


def mdef(**kw: Any) -> LogMetricConfig:
    return decode(kw, LogMetricConfig)  # type: ignore[no-any-return]


def batch(*recs: dict[str, Any] | None) -> LogBatch:
    return LogBatch("app", [b"x"] * len(recs), list(recs), [0] * len(recs))


PREVIEW = mdef(name="cflex_preview_time_seconds", type="histogram", value_field="duration_ms", scale=0.001,
               match={"equals": {"action": "preview_generated", "status": "success"}}, labels=["service"],
               buckets=[10, 30, 60, 120])
ORDERS = mdef(name="cflex_orders_processed_total", type="counter", match={"equals": {"action": "order_processed"}},
              labels=["status"])
APPROVALS = mdef(name="cflex_approvals_total", type="counter",
                 match={"regex": {"action": "^order_(approved|rejected)$"}}, labels=["action"])


def test_histogram_counter_regex_and_labels() -> None:
    reg = CollectorRegistry()
    dm = DerivedMetrics(reg)
    t = deriver("app", "json", [PREVIEW, ORDERS, APPROVALS], dm)
    assert t is not None
    t(batch(
        {"action": "preview_generated", "status": "success", "service": "fp", "duration_ms": 44231},
        {"action": "preview_generated", "status": "success", "service": "fp", "duration_ms": 61000},
        {"action": "preview_generated", "status": "failed", "service": "fp", "duration_ms": 5},
        {"action": "order_processed", "status": "success"}, {"action": "order_processed", "status": 200},
        {"action": "order_approved"}, {"action": "order_rejected"}, {"action": "order_rejected"},
        None, {"other": 1},
    ))
    g = reg.get_sample_value
    assert g("cflex_preview_time_seconds_bucket", {"service": "fp", "le": "60.0"}) == 1
    assert g("cflex_preview_time_seconds_bucket", {"service": "fp", "le": "120.0"}) == 2
    assert g("cflex_preview_time_seconds_count", {"service": "fp"}) == 2
    assert g("cflex_preview_time_seconds_sum", {"service": "fp"}) == pytest.approx(105.231)
    assert g("cflex_orders_processed_total", {"status": "success"}) == 1
    assert g("cflex_orders_processed_total", {"status": "200"}) == 1
    assert g("cflex_approvals_total", {"action": "order_rejected"}) == 2
    text = generate_latest(reg).decode()
    assert "# TYPE cflex_preview_time_seconds histogram" in text


def test_max_series_overflow_to_other_and_counted() -> None:
    reg = CollectorRegistry()
    dm = DerivedMetrics(reg)
    m = mdef(name="cflex_events_total", type="counter", labels=["user"], max_series=3)
    t = deriver("app", "json", [m], dm)
    assert t is not None
    t(batch(*({"user": f"u{i}"} for i in range(10))))
    assert reg.get_sample_value("cflex_events_total", {"user": "__other__"}) == 7
    assert reg.get_sample_value("cflexagent_log_metric_series_overflow_total", {"metric": "cflex_events_total"}) == 7


def test_invalid_values_counted_and_gauge() -> None:
    reg = CollectorRegistry()
    dm = DerivedMetrics(reg)
    g = mdef(name="cflex_queue_depth", type="gauge", value_field="depth")
    t = deriver("app", "json", [g], dm)
    assert t is not None
    t(batch({"depth": 5}, {"depth": "7"}, {"depth": "x"}, {"depth": None}, {}))
    assert reg.get_sample_value("cflex_queue_depth", {}) == 7
    assert reg.get_sample_value("cflexagent_log_metric_invalid_values_total", {"metric": "cflex_queue_depth"}) == 3


def test_reload_keeps_unchanged_and_resets_changed() -> None:
    reg = CollectorRegistry()
    dm = DerivedMetrics(reg)
    t = deriver("app", "json", [ORDERS, APPROVALS], dm)
    assert t is not None
    t(batch({"action": "order_processed", "status": "ok"}, {"action": "order_approved"}))
    changed = mdef(name="cflex_approvals_total", type="counter", match={"equals": {"action": "order_approved"}})
    t2 = deriver("app", "json", [ORDERS, changed], dm)  # a SIGHUP rebuilds the transforms
    assert t2 is not None
    assert reg.get_sample_value("cflex_orders_processed_total", {"status": "ok"}) == 1
    assert reg.get_sample_value("cflex_approvals_total", {"action": "order_approved"}) is None
    deriver("app", "json", [], dm)
    assert reg.get_sample_value("cflex_orders_processed_total", {"status": "ok"}) is None


def test_sources_filter_and_nginx_defaults() -> None:
    reg = CollectorRegistry()
    dm = DerivedMetrics(reg)
    only_web = mdef(name="cflex_web_total", type="counter", sources=["web"])
    assert deriver("app", "json", [only_web], dm) is None
    t = deriver("nginx", "nginx_access", [only_web], dm)
    assert t is not None
    t(LogBatch("nginx", [b"x"] * 3, [{"status": 200, "status_class": "2xx", "request_time": 0.2},
                                        {"status": 502, "status_class": "5xx", "request_time": 3.5},
                                        {"status": 404, "status_class": "4xx"}], [0, 0, 0]))
    g = reg.get_sample_value
    assert g("cflex_http_requests_total", {"source": "nginx", "status_class": "5xx"}) == 1
    assert g("cflex_http_request_duration_seconds_bucket", {"source": "nginx", "le": "3.0"}) == 1
    assert g("cflex_http_request_duration_seconds_count", {"source": "nginx"}) == 2


@pytest.mark.parametrize(("raw", "message"), [
    ({"name": "x_total", "type": "histogram", "value_field": "v"}, "_total"),
    ({"name": "x", "type": "counter"}, "_total"),
    ({"name": "x", "type": "gauge"}, "value_field"),
    ({"name": "x", "type": "histogram", "value_field": "v", "buckets": [2, 1]}, "increasing"),
    ({"name": "x-y_total", "type": "counter"}, "metric name"),
    ({"name": "x_total", "type": "counter", "labels": ["le"]}, "label"),
    ({"name": "x_total", "type": "counter", "match": {"regex": {"a": "("}}}, "regular expression"),
])
def test_definition_validation(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        mdef(**raw)


def test_label_bins_turn_a_number_into_a_bounded_label() -> None:
    """The design's preview SLO is for files up to 50 MB: ``size_class`` from file_size_bytes, one series per bin
    name, "unknown" for a record without a number there (strings of digits count, as JSON apps write them)."""
    binned = mdef(name="cflex_preview_time_seconds", type="histogram", value_field="duration_ms", scale=0.001,
                  labels=["service"], buckets=[60],
                  label_bins={"size_class": {"field": "file.size", "le": ["50MiB"], "names": ["le_50mb", "gt_50mb"]}})
    reg = CollectorRegistry()
    t = deriver("app", "json", [binned], DerivedMetrics(reg))
    assert t is not None
    mib = 1024 * 1024
    t(batch(*({"service": "fp", "duration_ms": 1000, "file": {"size": s}} for s in
              (1, 50 * mib, 50 * mib + 1, str(70 * mib), "big", None, float("nan")))))
    g = reg.get_sample_value
    assert g("cflex_preview_time_seconds_count", {"service": "fp", "size_class": "le_50mb"}) == 2
    assert g("cflex_preview_time_seconds_count", {"service": "fp", "size_class": "gt_50mb"}) == 2
    assert g("cflex_preview_time_seconds_count", {"service": "fp", "size_class": "unknown"}) == 3


@pytest.mark.parametrize(("bins", "message"), [
    ({"field": "f", "le": [], "names": ["a"]}, "le: one or more upper bounds, strictly increasing"),
    ({"field": "f", "le": [10, 5], "names": ["a", "b", "c"]}, "le: one or more upper bounds, strictly increasing"),
    ({"field": "f", "le": [10], "names": ["a"]}, "names: 2 names for 1 bounds"),
    ({"field": "f", "le": [10], "names": ["a", "unknown"]}, 'names: distinct, non-empty, and not "unknown"'),
    ({"field": "f", "le": ["lots"], "names": ["a", "b"]}, 'expected a size like "64MiB"'),
])
def test_bad_label_bins_name_the_key(bins: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=r"label_bins\.size_class\..*" + message.split(":")[0]) as e:
        mdef(name="m_total", type="counter", label_bins={"size_class": bins})
    assert message in str(e.value)
    with pytest.raises(ConfigError, match='label_bins: "service" is also in labels'):
        mdef(name="m_total", type="counter", labels=["service"],
             label_bins={"service": {"field": "f", "le": [1], "names": ["a", "b"]}})
