"""The agent's own logs (JSON lines on stderr) and its own health metrics.

Log records are ``{"ts", "level", "component", "message", **fields}``; fields
are passed as keyword arguments (``log.info("probe failed", probe=name)``).
Secrets are never passed to a logger: config holds file paths, not contents.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
import time
from typing import Any

import orjson
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

from . import __version__

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "component": record.name.removeprefix("cflexagent.") if record.name != "cflexagent" else "agent",
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            doc.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            doc["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
            doc["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


class Log:
    """A component's logger: ``log.warning("message", key=value, ...)``."""

    __slots__ = ("_logger",)

    def __init__(self, component: str) -> None:
        self._logger = logging.getLogger(f"cflexagent.{component}")

    def _log(self, level: int, msg: str, exc: bool, fields: dict[str, Any]) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, msg, extra={"fields": fields}, exc_info=exc, stacklevel=3)

    def debug(self, msg: str, **fields: Any) -> None:
        self._log(logging.DEBUG, msg, False, fields)

    def info(self, msg: str, **fields: Any) -> None:
        self._log(logging.INFO, msg, False, fields)

    def warning(self, msg: str, **fields: Any) -> None:
        self._log(logging.WARNING, msg, False, fields)

    def error(self, msg: str, **fields: Any) -> None:
        self._log(logging.ERROR, msg, False, fields)

    def exception(self, msg: str, **fields: Any) -> None:
        self._log(logging.ERROR, msg, True, fields)


def get_logger(component: str) -> Log:
    return Log(component)


def setup_logging(level: str = "info", stream: Any = None) -> None:
    root = logging.getLogger("cflexagent")
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter())
    root.addHandler(handler)
    root.setLevel(_LEVELS.get(level, logging.INFO))
    root.propagate = False
    # Third-party libraries log through their own loggers; keep them quiet but structured.
    for name in ("asyncssh", "aiohttp.access"):
        lib = logging.getLogger(name)
        lib.handlers = [handler]
        lib.setLevel(logging.WARNING)
        lib.propagate = False


class AgentMetrics:
    """The agent's own health series, created once per registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        # ``*_created`` samples double the exposition of every counter and no
        # dashboard of ours reads them (Prometheus 2.42 ignores them in text format).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        self.build_info = Gauge("cflexagent_build_info", "Always 1; the agent's version and Python version.",
                                ["version", "python"], registry=registry)
        self.build_info.labels(__version__, ".".join(map(str, sys.version_info[:3]))).set(1)
        self.start_time = Gauge("cflexagent_start_time_seconds", "Unix time the agent process started.",
                                registry=registry)
        self.start_time.set(time.time())
        self.component_up = Gauge("cflexagent_component_up",
                                  "1 while the component is running, 0 while it is failed and backing off.",
                                  ["component"], registry=registry)
        self.component_errors = Counter("cflexagent_component_errors_total",
                                        "Errors a component reported or crashed with.", ["component"],
                                        registry=registry)
        self.component_restarts = Counter("cflexagent_component_restarts_total",
                                          "Times the supervisor restarted a crashed component.", ["component"],
                                          registry=registry)
        self.reload_ok = Gauge("cflexagent_config_last_reload_successful",
                               "1 if the last config load (start or SIGHUP) succeeded, 0 if it was rejected.",
                               registry=registry)
        self.reload_ts = Gauge("cflexagent_config_last_reload_success_timestamp_seconds",
                               "Unix time of the last successful config load.", registry=registry)
        self.loop_lag = Gauge("cflexagent_event_loop_lag_seconds",
                              "Largest event-loop delay seen over the last second.", registry=registry)
        self.loop_lag_hist = Histogram("cflexagent_event_loop_lag_distribution_seconds",
                                       "Event-loop delay of each 250 ms tick.",
                                       buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
                                       registry=registry)
        self.scrape_duration = Histogram("cflexagent_metrics_scrape_duration_seconds",
                                         "Time spent rendering /metrics.",
                                         buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
                                         registry=registry)


class LoopMonitor:
    """Measures event-loop lag; probes ask it whether the loop stalled during their window."""

    TICK = 0.25

    def __init__(self, metrics: AgentMetrics | None = None, history: float = 600.0) -> None:
        self._metrics = metrics
        self._samples: collections.deque[tuple[float, float]] = collections.deque(maxlen=int(history / self.TICK))
        self.last_tick = time.monotonic()

    def max_lag_between(self, start: float, end: float) -> float:
        """Largest lag (seconds) of ticks that ended within [start, end + one tick] (monotonic clock)."""
        worst = 0.0
        for t, lag in reversed(self._samples):
            if t < start:
                break
            if t <= end + self.TICK + lag and lag > worst:
                worst = lag
        # A stall still in progress has no sample yet.
        pending = time.monotonic() - self.last_tick - self.TICK
        return max(worst, pending if self.last_tick <= end else 0.0)

    async def run(self, stop: asyncio.Event) -> None:
        window_max, window_start = 0.0, time.monotonic()
        while not stop.is_set():
            before = time.monotonic()
            await asyncio.sleep(self.TICK)
            now = time.monotonic()
            lag = max(0.0, now - before - self.TICK)
            self.last_tick = now
            self._samples.append((now, lag))
            window_max = max(window_max, lag)
            if self._metrics is not None:
                self._metrics.loop_lag_hist.observe(lag)
                if now - window_start >= 1.0:
                    self._metrics.loop_lag.set(window_max)
                    window_max, window_start = 0.0, now
