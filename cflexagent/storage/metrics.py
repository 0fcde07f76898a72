"""Storage metric families: per-scan gauges rendered from the last complete scan, plus counters.

The per-area and per-group series come from one collector that renders the
published results at scrape time. Results are swapped in whole, per area, only
when that area's scan completed, so a scrape never sees a half-finished scan
and a failed scan leaves the previous one (and its timestamp) in place.
The file-size distribution is a Prometheus GaugeHistogram (``gaugehistogram``
type in OpenMetrics, ``_bucket``/``_gcount``/``_gsum`` series): it is a snapshot
that can go down between scans, which a counter-style histogram must not.

Cardinality: ``area`` is bounded by the config, ``group`` by each area's
``max_groups`` (+ "." and "other"), ``reason``/``age``/``window``/``le`` by fixed sets.
Every name is documented in configs/METRICS-storage.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .walk import AreaResult, Tally

GROWTH_WINDOWS = {"1d": 1, "7d": 7, "30d": 30}


def age_label(seconds: float) -> str:
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _le(v: float) -> str:
    return str(float(v)) if v != int(v) else str(int(v))


@dataclass
class Published:
    """What the collector renders; replaced per area after each complete scan."""

    areas: dict[str, AreaResult] = field(default_factory=dict)
    size_bounds: list[int] = field(default_factory=list)
    older_than: list[float] = field(default_factory=list)
    growth: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)
    quota: dict[str, float] = field(default_factory=dict)


class _ScanCollector(Collector):
    def __init__(self, published: Published) -> None:
        self.p = published

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        fams = self._families()
        p = self.p
        f: dict[str, Any] = {m.name: m for m in fams}
        ages = [age_label(a) for a in p.older_than]
        for name, r in sorted(p.areas.items()):
            self._tally(f, "cflexagent_storage", [name], r.total, ages)
            for g, t in sorted(r.groups.items()):
                self._tally(f, "cflexagent_storage_group", [name, g], t, ages)
            f["cflexagent_storage_last_success_timestamp_seconds"].add_metric([name], r.finished_at)
            f["cflexagent_storage_area_scan_duration_seconds"].add_metric([name], r.duration)
            for reason, n in sorted(r.skipped.items()):
                f["cflexagent_storage_skipped_entries"].add_metric([name, reason], n)
            counts = r.total.size_counts
            if counts and len(counts) == len(p.size_bounds) + 1:
                cum, buckets = 0, []
                for bound, c in zip([*p.size_bounds, float("inf")], counts, strict=True):
                    cum += c
                    buckets.append(("+Inf" if bound == float("inf") else _le(bound), cum))
                hist = f["cflexagent_storage_file_size_bytes"]
                assert isinstance(hist, GaugeHistogramMetricFamily)
                hist.add_metric([name], buckets, r.total.bytes)
        for (area, group, window), (nbytes, nfiles) in sorted(p.growth.items()):
            if group:
                f["cflexagent_storage_group_growth_bytes"].add_metric([area, group, window], nbytes)
                f["cflexagent_storage_group_growth_files"].add_metric([area, group, window], nfiles)
            else:
                f["cflexagent_storage_growth_bytes"].add_metric([area, window], nbytes)
                f["cflexagent_storage_growth_files"].add_metric([area, window], nfiles)
        for key, value in sorted(p.quota.items()):
            f[f"cflexagent_storage_quota_{key}"].add_metric([], value)
        yield from fams

    @staticmethod
    def _tally(f: dict[str, Any], prefix: str, labels: list[str], t: Tally, ages: Sequence[str]) -> None:
        f[f"{prefix}_files"].add_metric(labels, t.files)
        f[f"{prefix}_bytes"].add_metric(labels, t.bytes)
        f[f"{prefix}_directories"].add_metric(labels, t.directories)
        if t.oldest_mtime is not None:
            f[f"{prefix}_oldest_file_mtime_seconds"].add_metric(labels, t.oldest_mtime)
        if t.newest_mtime is not None:
            f[f"{prefix}_newest_file_mtime_seconds"].add_metric(labels, t.newest_mtime)
        for age, n in zip(ages, t.older_counts, strict=False):
            f[f"{prefix}_files_older_than"].add_metric([*labels, age], n)

    @staticmethod
    def _families() -> list[Metric]:
        a, ag = ["area"], ["area", "group"]
        out: list[Metric] = []
        for prefix, labels, what in (("cflexagent_storage", a, "the area"),
                                     ("cflexagent_storage_group", ag, "the group (a directory group_depth levels "
                                      "below the area; '.' = files above that depth, 'other' = groups past "
                                      "max_groups)")):
            out += [
                GaugeMetricFamily(f"{prefix}_files", f"Regular files in {what} at the last complete scan.",
                                  labels=labels),
                GaugeMetricFamily(f"{prefix}_bytes", f"Bytes of regular files in {what} at the last complete scan.",
                                  labels=labels),
                GaugeMetricFamily(f"{prefix}_directories",
                                  f"Directories listed below {what} at the last complete scan.", labels=labels),
                GaugeMetricFamily(f"{prefix}_oldest_file_mtime_seconds",
                                  f"Unix time of the oldest file modification in {what}.", labels=labels),
                GaugeMetricFamily(f"{prefix}_newest_file_mtime_seconds",
                                  f"Unix time of the newest file modification in {what}.", labels=labels),
                GaugeMetricFamily(f"{prefix}_files_older_than",
                                  f"Files in {what} last modified more than `age` ago (cold-tier candidates).",
                                  labels=[*labels, "age"]),
            ]
        out += [
            GaugeHistogramMetricFamily("cflexagent_storage_file_size_bytes",
                                       "File-size distribution of the area at the last complete scan.",
                                       labels=a),
            GaugeMetricFamily("cflexagent_storage_last_success_timestamp_seconds",
                              "Unix time the area's last complete scan finished.", labels=a),
            GaugeMetricFamily("cflexagent_storage_area_scan_duration_seconds",
                              "Seconds the area took to list in its last complete scan.", labels=a),
            GaugeMetricFamily("cflexagent_storage_skipped_entries",
                              "Entries not counted in the last complete scan, by reason (symlink, special, "
                              "vanished, permission_denied, error).", labels=["area", "reason"]),
            GaugeMetricFamily("cflexagent_storage_growth_bytes",
                              "Change in the area's bytes since the daily snapshot `window` ago.",
                              labels=["area", "window"]),
            GaugeMetricFamily("cflexagent_storage_growth_files",
                              "Change in the area's file count since the daily snapshot `window` ago.",
                              labels=["area", "window"]),
            GaugeMetricFamily("cflexagent_storage_group_growth_bytes",
                              "Change in the group's bytes since the daily snapshot `window` ago.",
                              labels=["area", "group", "window"]),
            GaugeMetricFamily("cflexagent_storage_group_growth_files",
                              "Change in the group's file count since the daily snapshot `window` ago.",
                              labels=["area", "group", "window"]),
            GaugeMetricFamily("cflexagent_storage_quota_used_bytes", "Disk space the cPanel account uses (UAPI).",
                              labels=[]),
            GaugeMetricFamily("cflexagent_storage_quota_limit_bytes",
                              "Disk quota of the cPanel account; 0 means unlimited.", labels=[]),
            GaugeMetricFamily("cflexagent_storage_quota_used_inodes", "Inodes the cPanel account uses.", labels=[]),
            GaugeMetricFamily("cflexagent_storage_quota_limit_inodes",
                              "Inode quota of the cPanel account; 0 means unlimited.", labels=[]),
            GaugeMetricFamily("cflexagent_storage_quota_last_success_timestamp_seconds",
                              "Unix time of the last successful quota query.", labels=[]),
        ]
        return out


class StorageMetrics:
    """Created once per registry (``ctx.metrics(StorageMetrics)``) so families survive reloads."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.published = Published()
        registry.register(_ScanCollector(self.published))
        self.scans = Counter("cflexagent_storage_scans_total", "Scans finished, by result (success, failure).",
                             ["result"], registry=registry)
        self.scan_errors = Counter("cflexagent_storage_scan_errors_total",
                                   "Failed scans and unlistable area paths by reason (auth, auth_backoff, host_key, "
                                   "connect, timeout, disconnected, protocol, config, internal, area_path).",
                                   ["reason"], registry=registry)
        self.scans_skipped = Counter("cflexagent_storage_scans_skipped_total",
                                     "Scheduled scans not started, by reason (auth_backoff, overlap).",
                                     ["reason"], registry=registry)
        self.scan_duration = Gauge("cflexagent_storage_scan_duration_seconds",
                                   "Seconds the last scan took, complete or failed (login included).",
                                   registry=registry)
        self.in_progress = Gauge("cflexagent_storage_scan_in_progress", "1 while a scan runs.", registry=registry)
        self.auth_failures = Gauge("cflexagent_storage_auth_failures",
                                   "Consecutive authentication failures of the SFTP login (0 after a success).",
                                   registry=registry)
        self.backoff_until = Gauge("cflexagent_storage_login_backoff_until_timestamp_seconds",
                                   "Unix time before which no SFTP login is attempted after an authentication "
                                   "failure; 0 when none.", registry=registry)
        self.backoff_write_errors = Counter("cflexagent_storage_backoff_write_errors_total",
                                            "Login backoff changes that could not be written to the state dir "
                                            "(kept in memory instead).", registry=registry)
        self.quota_errors = Counter("cflexagent_storage_quota_errors_total",
                                    "Failed cPanel UAPI quota queries by reason (http, auth, api, parse, "
                                    "connect, timeout, token_file, config).", ["reason"], registry=registry)
        for r in ("success", "failure"):
            self.scans.labels(r)
