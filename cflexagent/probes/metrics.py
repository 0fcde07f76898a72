"""Probe metric families (blackbox_exporter's names plus ours) and per-probe cached children.

Labels are ``probe`` (the probe's configured name) and ``target`` (its URL
without query string or fragment, which may carry tokens, or its address), both
from the config, so cardinality is bounded by the number of configured probes.
Extra labels are closed sets: ``phase`` (5), ``result`` (3), ``reason``
(REASONS), ``version`` (TLS versions). Children are created once per
probe (``ProbeSeries``) so the hot path does no label lookups, and removed when
a reload drops the probe.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PHASES = ("resolve", "connect", "tls", "processing", "transfer")
RESULTS = ("success", "failure", "inconclusive")


class ProbeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        pt = ["probe", "target"]

        def g(name: str, doc: str, extra: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, doc, [*pt, *extra], registry=registry)

        self.success = g("probe_success", "1 if the last probe succeeded, 0 if it failed.")
        self.duration = g("probe_duration_seconds", "How long the last probe took, in seconds.")
        self.dns = g("probe_dns_lookup_time_seconds", "How long the DNS lookup of the last probe took.")
        self.phase = g("probe_http_duration_seconds", "Duration of each phase of the last HTTP probe.", ("phase",))
        self.status = g("probe_http_status_code", "HTTP status code of the last probe's final response.")
        self.content_length = g("probe_http_content_length", "Content-Length (or bytes read) of the last response.")
        self.redirects = g("probe_http_redirects", "Redirects followed by the last probe.")
        self.ssl = g("probe_http_ssl", "1 if the last probe's final response came over TLS.")
        self.version = g("probe_http_version", "HTTP version of the last probe's final response.")
        self.earliest = g("probe_ssl_earliest_cert_expiry",
                          "Earliest notAfter (Unix time) in the certificate chain the server presented.")
        self.tls_version = g("probe_tls_version_info", "TLS version the last probe negotiated.", ("version",))
        self.regex = g("probe_failed_due_to_regex", "1 if the last probe failed on a body regex.")
        self.leaf = g("cflexagent_probe_ssl_leaf_cert_expiry_timestamp_seconds",
                      "notAfter (Unix time) of the server's own (leaf) certificate.")
        self.total = Counter("cflexagent_probe", "Probe runs by result (success, failure, inconclusive).",
                             [*pt, "result"], registry=registry)
        self.failures = Counter("cflexagent_probe_failures", "Failed or inconclusive probe runs by reason.",
                                [*pt, "reason"], registry=registry)
        self.consecutive = g("cflexagent_probe_consecutive_failures",
                             "Conclusive failures in a row (inconclusive runs do not count either way).")
        self.up = g("cflexagent_probe_up", "1 while the target is up, 0 after failure_threshold failures in a row; "
                    "back to 1 after success_threshold successes in a row.")
        self.last_success = g("cflexagent_probe_last_success_timestamp_seconds",
                              "Unix time of the last successful probe.")
        self.skipped = Counter("cflexagent_probe_skipped", "Scheduled runs skipped because the previous run of the "
                               "same probe was still going.", pt, registry=registry)
        self.delay = Histogram("cflexagent_probe_scheduling_delay_seconds",
                               "How late probe runs started compared with their schedule (all probes).",
                               buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
                               registry=registry)
        self.heartbeats = Counter("cflexagent_heartbeat", "Heartbeat pings by result (success, failure, skipped "
                                  "while unhealthy).", ["heartbeat", "result"], registry=registry)
        self.heartbeat_last = Gauge("cflexagent_heartbeat_last_success_timestamp_seconds",
                                    "Unix time of the last heartbeat ping the receiver accepted.", ["heartbeat"],
                                    registry=registry)


class ProbeSeries:
    """The label children of one probe, created once and removed together."""

    def __init__(self, m: ProbeMetrics, name: str, target: str, http: bool) -> None:
        self._m = m
        self._made: list[tuple[Any, tuple[str, ...]]] = []
        self.key = (name, target)
        self.success = self._child(m.success)
        self.duration = self._child(m.duration)
        self.dns = self._child(m.dns)
        self.consecutive = self._child(m.consecutive)
        # Created at the first conclusive result: an unknown state must not read as "down".
        self._up: Any = None
        self.last_success = self._child(m.last_success)
        self.skipped = self._child(m.skipped)
        self.total = {r: self._child(m.total, r) for r in RESULTS}
        self.failures: dict[str, Any] = {}
        self.tls_versions: dict[str, Any] = {}
        self.http = http
        if http:
            self.phases = [self._child(m.phase, p) for p in PHASES]
            self.status = self._child(m.status)
            self.content_length = self._child(m.content_length)
            self.redirects = self._child(m.redirects)
            self.ssl = self._child(m.ssl)
            self.version = self._child(m.version)
            self.regex = self._child(m.regex)
        self._earliest: Any = None
        self._leaf: Any = None

    def _child(self, family: Any, *extra: str) -> Any:
        labels = (*self.key, *extra)
        self._made.append((family, labels))
        return family.labels(*labels)

    def set_up(self, up: bool) -> None:
        if self._up is None:
            self._up = self._child(self._m.up)
        self._up.set(1 if up else 0)

    def failure(self, reason: str) -> Any:
        c = self.failures.get(reason)
        if c is None:
            c = self.failures[reason] = self._child(self._m.failures, reason)
        return c

    def tls(self, version: str, leaf: float, earliest: float) -> None:
        if self._earliest is None:
            self._earliest = self._child(self._m.earliest)
            self._leaf = self._child(self._m.leaf)
        if leaf:
            self._leaf.set(leaf)
            self._earliest.set(earliest)
        if version and version not in self.tls_versions:
            for old in self.tls_versions.values():
                old.set(0)
            self.tls_versions[version] = self._child(self._m.tls_version, version)
        for v, child in self.tls_versions.items():
            child.set(1 if v == version else 0)

    def remove(self) -> None:
        for family, labels in self._made:
            try:
                family.remove(*labels)
            except KeyError:
                pass
        self._made.clear()
