"""Derive Prometheus metrics from log records (``[[logs.metrics]]``), like Promtail's ``metrics``
stage or Vector's ``log_to_metric``.

A definition matches records by field equality and regexes, takes its value
from a field times ``scale``, and its labels from fields. Series per metric
are bounded (``max_series``): records that would open a new series beyond it
go to one series whose label values are all ``__other__``, and are counted.

The series live in ``DerivedMetrics`` (one per registry, a custom collector
read at scrape time), keyed by metric name: a reload that leaves a definition
unchanged keeps its series and values; a changed definition starts afresh.
Sources of ``format = "nginx_access"`` get request counts by status class and
a request-duration histogram without any definition.

Runs after redaction, so labels can never carry what redaction removed.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .config import LogMetricConfig

if TYPE_CHECKING:
    from ..batch import LogBatch

OTHER = "__other__"
#: Prometheus' default buckets, extended for the minutes-long jobs logs tell about.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
#: The API SLI is "P95 < 3 s": 3 is a bucket boundary.
NGINX_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)
NGINX_REQUESTS = "cflex_http_requests_total"
NGINX_DURATION = "cflex_http_request_duration_seconds"


def nginx_definitions() -> list[LogMetricConfig]:
    """The metrics every nginx access source derives (labelled by source)."""
    return [
        LogMetricConfig(name=NGINX_REQUESTS, type="counter", labels=["source", "status_class"], max_series=200,
                        help="HTTP requests seen in nginx access logs, by source and status class (2xx, 4xx, ...)."),
        LogMetricConfig(name=NGINX_DURATION, type="histogram", value_field="request_time",
                        labels=["source"], buckets=list(NGINX_DURATION_BUCKETS), max_series=50,
                        help="Request duration ($request_time) from nginx access logs, by source."),
    ]


def _path(field: str) -> tuple[str, ...]:
    return tuple(field.split("."))


def _get(rec: dict[str, Any], path: tuple[str, ...]) -> Any:
    v: Any = rec
    for p in path:
        if type(v) is not dict:
            return None
        v = v.get(p)
    return v


def _text(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    return v if type(v) is str else str(v)


class _Metric:
    """One definition and its series."""

    def __init__(self, cfg: LogMetricConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.kind = cfg.type
        names = [f.replace(".", "_") for f in cfg.labels]
        #: (label name, field path) of the labels copied from fields, then the label_bins' labels.
        self.fields = list(zip(names, [_path(f) for f in cfg.labels], strict=True))
        self.label_names = names + list(cfg.label_bins)
        self.bins = [(_path(b.field), [float(x) for x in b.le], list(b.names)) for b in cfg.label_bins.values()]
        self.value_path = _path(cfg.value_field) if cfg.value_field else None
        self.scale = cfg.scale
        self.buckets = tuple(cfg.buckets) if cfg.buckets else DEFAULT_BUCKETS
        self.max_series = cfg.max_series
        self.equals = [(_path(k), v) for k, v in cfg.match.equals.items()]
        self.regex = [(_path(k), rx) for k, rx in cfg.match.regex.items()]
        self.sources = frozenset(cfg.sources)
        #: labels -> value (counter, gauge) or [bucket counts..., +Inf count, sum] (histogram)
        self.series: dict[tuple[str, ...], Any] = {}
        self.overflow = 0
        self.invalid = 0

    def matches(self, rec: dict[str, Any]) -> bool:
        for path, want in self.equals:
            v = _get(rec, path)
            if v is None or _text(v) != want:
                return False
        for path, rx in self.regex:
            v = _get(rec, path)
            if v is None or rx.search(_text(v)) is None:
                return False
        return True

    def observe(self, rec: dict[str, Any], source: str) -> None:
        value = 1.0
        if self.value_path is not None:
            v = _get(rec, self.value_path)
            if type(v) is str:
                try:
                    v = float(v)
                except ValueError:
                    v = None
            if type(v) not in (int, float) or not math.isfinite(v):
                self.invalid += 1
                return
            value = float(v) * self.scale
        key = tuple(source if path == ("source",) and name == "source" and _get(rec, path) is None
                    else _label_value(_get(rec, path))
                    for name, path in self.fields)
        if self.bins:
            key += tuple(_bin(_get(rec, path), bounds, names) for path, bounds, names in self.bins)
        series = self.series
        cur: Any = series.get(key)
        if cur is None:
            if len(series) >= self.max_series:
                self.overflow += 1
                key = (OTHER,) * len(key)
                cur = series.get(key)
            if cur is None:
                cur = [0] * (len(self.buckets) + 1) + [0.0] if self.kind == "histogram" else 0.0
                series[key] = cur
        if self.kind == "counter":
            if value >= 0:
                series[key] = cur + value
        elif self.kind == "gauge":
            series[key] = value
        else:
            cur[bisect_left(self.buckets, value)] += 1
            cur[-1] += value


def _bin(v: Any, bounds: list[float], names: list[str]) -> str:
    """``label_bins``: the first bin whose bound the number does not exceed, the last above them all."""
    if type(v) is str:
        try:
            v = float(v)
        except ValueError:
            return "unknown"
    if type(v) not in (int, float) or not math.isfinite(v):
        return "unknown"
    return names[bisect_left(bounds, float(v))]


def _label_value(v: Any) -> str:
    if v is None:
        return ""
    s = _text(v)
    return s if len(s) <= 128 else s[:128]


class DerivedMetrics:
    """All derived series of one registry; a Prometheus collector read at scrape time."""

    def __init__(self, registry: Any) -> None:
        self._metrics: dict[str, _Metric] = {}
        #: Records no metric could read (a value raised: nested beyond the encoder's depth).
        self.unreadable = 0
        registry.register(self)

    def configure(self, defs: list[LogMetricConfig]) -> dict[str, _Metric]:
        """Adopt ``defs``: unchanged definitions keep their series, others start empty, removed ones go."""
        out: dict[str, _Metric] = {}
        for d in defs:
            old = self._metrics.get(d.name)
            out[d.name] = old if old is not None and old.cfg == d else _Metric(d)
        # Built-in (nginx) metrics are added by deriver(); keep them across user-config changes.
        for name, m in self._metrics.items():
            if name not in out and name in (NGINX_REQUESTS, NGINX_DURATION):
                out[name] = m
        self._metrics = out
        return out

    def ensure(self, d: LogMetricConfig) -> _Metric:
        m = self._metrics.get(d.name)
        if m is None or m.cfg != d:
            m = self._metrics[d.name] = _Metric(d)
        return m

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        overflow = CounterMetricFamily("cflexagent_log_metric_series_overflow", "Records of a derived metric "
                                       "counted in its __other__ series because max_series was reached.",
                                       labels=["metric"])
        invalid = CounterMetricFamily("cflexagent_log_metric_invalid_values", "Matching records of a derived "
                                      "metric skipped because the value field was missing or not a number.",
                                      labels=["metric"])
        for m in list(self._metrics.values()):
            help_text = m.cfg.help or f"Derived from logs by cflexagent ({m.kind})."
            series = list(m.series.items())
            if m.kind == "counter":
                fam: Any = CounterMetricFamily(m.name[: -len("_total")], help_text, labels=m.label_names)
                for key, v in series:
                    fam.add_metric(list(key), v)
            elif m.kind == "gauge":
                fam = GaugeMetricFamily(m.name, help_text, labels=m.label_names)
                for key, v in series:
                    fam.add_metric(list(key), v)
            else:
                fam = HistogramMetricFamily(m.name, help_text, labels=m.label_names)
                for key, counts in series:
                    cum, buckets = 0, []
                    for bound, c in zip([*m.buckets, math.inf], counts[:-1], strict=True):
                        cum += c
                        buckets.append((_bound(bound), cum))
                    fam.add_metric(list(key), buckets, counts[-1])
            yield fam
            overflow.add_metric([m.name], m.overflow)
            invalid.add_metric([m.name], m.invalid)
        yield overflow
        yield invalid
        yield CounterMetricFamily("cflexagent_log_metric_unreadable_records", "Records the derived metrics "
                                  "skipped because reading a field raised (hostile input).",
                                  value=self.unreadable)


def _bound(b: float) -> str:
    return "+Inf" if b == math.inf else repr(float(b))


def deriver(source: str, fmt: str, defs: list[LogMetricConfig], dm: DerivedMetrics) \
        -> Callable[[LogBatch], LogBatch] | None:
    """The transform that feeds ``source``'s records to its metrics, or None when it has none."""
    metrics = [m for m in dm.configure(defs).values()
               if m.name not in (NGINX_REQUESTS, NGINX_DURATION) and (not m.sources or source in m.sources)]
    if fmt == "nginx_access":
        metrics += [dm.ensure(d) for d in nginx_definitions()]
    if not metrics:
        return None
    # Index by the first equality condition: a record is only tested against the metrics
    # whose first condition its field satisfies (most definitions test "action").
    index: dict[tuple[str, ...], dict[str, list[_Metric]]] = {}
    always: list[_Metric] = []
    for m in metrics:
        if m.equals:
            path, want = m.equals[0]
            index.setdefault(path, {}).setdefault(want, []).append(m)
        else:
            always.append(m)
    indexed = list(index.items())

    def observe(rec: dict[str, Any]) -> None:
        for path, by_value in indexed:
            v = rec.get(path[0]) if len(path) == 1 else _get(rec, path)
            if v is None:
                continue
            cands = by_value.get(_text(v))
            if cands:
                for m in cands:
                    if m.matches(rec):
                        m.observe(rec, source)
        for m in always:
            if m.matches(rec):
                m.observe(rec, source)

    def derive(batch: LogBatch) -> LogBatch:
        for rec in batch.records:
            if rec is None:
                continue
            try:
                observe(rec)
            except Exception:  # a hostile value (nested beyond the encoder's depth): that record only
                dm.unreadable += 1
        return batch

    return derive

