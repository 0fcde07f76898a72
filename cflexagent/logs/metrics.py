"""The ``cflexagent_log_*`` series: one instance per registry (``ctx.shared(LogMetrics)``).

Label cardinality is bounded: ``source`` takes the configured source names,
``reason`` and ``status_code`` fixed vocabularies, ``stage`` the pipeline stages.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

#: Reasons a line is dropped (never shipped). Loki's own 400 reasons keep Loki's names.
DROP_REASONS = (
    "empty_line", "spool_full", "greater_than_max_sample_age", "too_far_behind", "too_far_in_future",
    "line_too_long", "invalid_labels", "max_label_names_per_series", "duplicate_label_names",
    "label_name_too_long", "label_value_too_long", "missing_labels", "rejected_other", "console_backlog",
    "unprocessable",
)
STAGES = ("read", "parse", "transform", "encode", "spool", "compress", "push")


class LogMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.read_lines = Counter("cflexagent_log_read_lines_total", "Lines read from files, per source.",
                                  ["source"], registry=r)
        self.read_bytes = Counter("cflexagent_log_read_bytes_total", "Bytes read from files, per source.",
                                  ["source"], registry=r)
        self.shipped_lines = Counter("cflexagent_log_shipped_lines_total",
                                     "Lines delivered: accepted by Loki (204), or printed by the console sink.",
                                     ["sink"], registry=r)
        self.shipped_bytes = Counter("cflexagent_log_shipped_bytes_total",
                                     "Uncompressed protobuf bytes of the batches Loki accepted.", registry=r)
        self.push_requests = Counter("cflexagent_log_push_requests_total",
                                     "Push requests to Loki by HTTP status code, or timeout / connection_error / "
                                     "credentials_error (a credentials file unreadable: nothing sent, retried).",
                                     ["status_code"], registry=r)
        self.push_retries = Counter("cflexagent_log_push_retries_total",
                                    "Push attempts that failed with a retryable outcome (429, 5xx, timeout, "
                                    "refused) and were retried after a backoff.", registry=r)
        self.dropped_lines = Counter("cflexagent_log_dropped_lines_total",
                                     "Lines never shipped, by reason (Loki's reason names for its 400s; "
                                     "lines of a batch Loki answered 400 count under its reason).",
                                     ["reason"], registry=r)
        for reason in DROP_REASONS:
            self.dropped_lines.labels(reason)
        self.long_lines = Counter("cflexagent_log_long_lines_total",
                                  "Lines longer than max_line_bytes, truncated or split (see long_lines).",
                                  ["source", "action"], registry=r)
        self.invalid_utf8 = Counter("cflexagent_log_invalid_utf8_lines_total",
                                    "Lines that were not valid UTF-8; shipped with U+FFFD replacement characters.",
                                    ["source"], registry=r)
        self.unparsed_lines = Counter("cflexagent_log_unparsed_lines_total",
                                      "Lines a structured source could not parse (e.g. not a JSON object); "
                                      "shipped raw with level=unknown.", ["source"], registry=r)
        self.unprocessable_lines = Counter("cflexagent_log_unprocessable_lines_total",
                                           "Lines whose parsing, transforms or encoding raised (hostile input such "
                                           "as a JSON object nested a thousand levels deep); shipped as raw lines "
                                           "without fields, redacted as text.", ["source"], registry=r)
        self.timestamp_fallback = Counter("cflexagent_log_timestamp_fallback_total",
                                          "Lines whose timestamp field was missing or unparsable; stamped "
                                          "with the time they were read.", ["source"], registry=r)
        self.label_truncated = Counter("cflexagent_log_label_values_truncated_total",
                                       "Label values cut to label_value_max_bytes.", ["source"], registry=r)
        self.stream_overflow = Counter("cflexagent_log_stream_overflow_lines_total",
                                       "Lines that would have opened a stream beyond max_streams; shipped in "
                                       "the source's overflow stream (its label fields read __overflow__).",
                                       ["source"], registry=r)
        self.streams = Gauge("cflexagent_log_streams", "Distinct Loki streams (label sets) a source has used.",
                             ["source"], registry=r)
        self.files_open = Gauge("cflexagent_log_files_open", "Files a source has open.", ["source"], registry=r)
        self.lag_bytes = Gauge("cflexagent_log_lag_bytes",
                               "Bytes not yet read: sum over open files of size minus offset.", ["source"],
                               registry=r)
        self.rotations = Counter("cflexagent_log_rotations_total",
                                 "Files that left their path (renamed or deleted) while open; read to their end.",
                                 ["source"], registry=r)
        self.truncations = Counter("cflexagent_log_truncations_total",
                                   "Files truncated or rewritten in place (copytruncate); read again from 0.",
                                   ["source"], registry=r)
        self.file_errors = Counter("cflexagent_log_file_errors_total",
                                   "Files that could not be opened or read, by reason.", ["source", "reason"],
                                   registry=r)
        self.checkpoint_write_errors = Counter("cflexagent_log_checkpoint_write_errors_total",
                                               "Checkpoint file writes that failed (disk full, read-only); the "
                                               "positions stay in memory and the write is retried.", registry=r)
        self.backpressure_seconds = Counter("cflexagent_log_backpressure_seconds_total",
                                            "Time a source waited for its sinks (a sink down or restarting, the "
                                            "spool full or its disk low) instead of reading on.", ["source"],
                                            registry=r)
        self.sink_stuck = Gauge("cflexagent_log_sink_stuck",
                                "1 while a sink cannot take deliveries (spool full, disk full or read-only, "
                                "write errors); sources wait and their lag grows.", ["sink"], registry=r)
        self.last_checkpoint = Gauge("cflexagent_log_last_checkpoint_timestamp_seconds",
                                     "Unix time the checkpoint file was last written.", registry=r)
        self.spool_bytes = Gauge("cflexagent_log_spool_bytes", "Bytes of records in the spool not yet accepted "
                                 "by Loki (the quantity spool_max_bytes bounds).", registry=r)
        self.spool_disk_bytes = Gauge("cflexagent_log_spool_disk_bytes",
                                      "Bytes the spool's segment files take on disk.", registry=r)
        self.spool_records = Gauge("cflexagent_log_spool_records", "Records waiting in the spool.", registry=r)
        self.spool_oldest = Gauge("cflexagent_log_spool_oldest_record_timestamp_seconds",
                                  "Unix time the oldest waiting spool record was written (0 when empty).",
                                  registry=r)
        self.spool_corrupt = Counter("cflexagent_log_spool_corrupt_records_total",
                                     "Spool records found torn or failing their checksum; skipped.", registry=r)
        self.spool_write_errors = Counter("cflexagent_log_spool_write_errors_total",
                                          "Spool group writes that failed (disk full, I/O error); cut back and "
                                          "written again a second later.", registry=r)
        self.spool_full = Gauge("cflexagent_log_spool_full",
                                "1 while the spool is at spool_max_bytes or the disk below spool_min_free_disk.",
                                registry=r)
        self.loki_ready = Gauge("cflexagent_log_loki_ready",
                                "1 if Loki's GET /ready answered 200 at the sink's start, 0 otherwise.", registry=r)
        self.stage_seconds = Counter("cflexagent_log_stage_seconds_total",
                                     "Time spent per pipeline stage (profile of the hot path).", ["stage"],
                                     registry=r)
        for s in STAGES:
            self.stage_seconds.labels(s)
        CodeInfo(r)  # registers itself


class CodeInfo(Collector):
    """``cflexagent_log_code_info{module, build}``: which build of each per-line module runs (``compiled.py``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        registry.register(self)

    def describe(self) -> Iterator[Metric]:
        yield self._family()

    def collect(self) -> Iterator[Metric]:
        from ..compiled import BUILDS

        fam = self._family()
        for module, build in sorted(BUILDS.items()):
            fam.add_metric([module, build], 1)
        yield fam

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "cflexagent_log_code_info",
            "Always 1 per per-line module in use (jsonlines: parse, entries: Loki encode, redact and its name "
            "finder names): build mypyc "
            "(compiled) or python (the pure fallback, about half as fast: the compiled module is missing or stale).",
            labels=["module", "build"])
