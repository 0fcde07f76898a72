"""The agent's own logs (JSON lines on stderr) and its own health metrics.

Log records are ``{"ts", "level", "component", "message", **fields}``; fields
are passed as keyword arguments (``log.info("probe failed", probe=name)``).
Secrets are never passed to a logger: config holds file paths, not contents.

Every line on stderr is one JSON object, whoever logs it: the libraries'
loggers (asyncio, aiohttp, asyncssh), asyncio's loop exception handler,
uncaught exceptions in threads and "exception ignored" reports all go through
the same formatter, with a traceback as the ``traceback`` field. An error that
can repeat in a flood (``accept()`` failing with EMFILE, a malformed request
per connection) is written at most once per interval per key, and the next
line of that key says how many were held back (``suppressed``):
:meth:`Log.limited` for our own code, the same limit for the libraries.
``cflexagent_agent_log_lines_suppressed_total`` counts what was held back.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator
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
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from . import __version__

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


#: How often one key of :meth:`Log.limited` (and of a library's repeated error) may be written.
LIMIT_INTERVAL = 60.0
#: A traceback longer than this is cut (its innermost frames are kept): the line stays bounded.
_TRACEBACK_MAX = 8192
#: Exceptions whose text repeats what a peer sent (aiohttp's request parser quotes the bad bytes):
#: logged by class and status only.
_PEER_TEXT_MODULES = ("aiohttp.http_exceptions",)


class Throttle:
    """Admits one event per key per interval and counts the ones it holds back.

    The number of keys is bounded: past ``max_keys`` the oldest key is forgotten
    (its next event is written again), so a flood of distinct keys costs at most
    ``max_keys`` small entries. Thread-safe: threads log too.
    """

    def __init__(self, interval: float = LIMIT_INTERVAL, max_keys: int = 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._max_keys = max_keys
        self._keys: dict[Hashable, list[float]] = {}  # key -> [last written at, held back since then]
        self._lock = threading.Lock()
        #: Events held back so far, by component (logger name): the suppressed-lines counter.
        self.suppressed: dict[str, int] = {}

    def admit(self, key: Hashable, component: str, interval: float | None = None) -> int | None:
        """None: hold this event back. An int: write it, noting that many were held back before it."""
        now = self.clock()
        with self._lock:
            state = self._keys.get(key)
            if state is not None and now - state[0] < (self.interval if interval is None else interval):
                state[1] += 1
                self.suppressed[component] = self.suppressed.get(component, 0) + 1
                return None
            if state is None:
                if len(self._keys) >= self._max_keys:
                    del self._keys[next(iter(self._keys))]
                self._keys[key] = [now, 0]
                return 0
            held = int(state[1])
            state[0], state[1] = now, 0
            return held


#: The process's one throttle: every limited line of every component and library goes through it.
THROTTLE = Throttle()


def _component(name: str) -> str:
    return name.removeprefix("cflexagent.") if name != "cflexagent" else "agent"


def _traceback(formatter: logging.Formatter, exc_info: Any) -> str:
    text = formatter.formatException(exc_info)
    return text if len(text) <= _TRACEBACK_MAX else "...\n" + text[-_TRACEBACK_MAX:]


def _from_peer(exc: BaseException | None) -> bool:
    return exc is not None and type(exc).__module__ in _PEER_TEXT_MODULES


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format arguments must not cost the line
            message = str(record.msg)
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "component": _component(record.name),
            "message": message,
        }
        fields = getattr(record, "fields", None)
        if fields:
            doc.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            exc = record.exc_info[1]
            if _from_peer(exc):
                # The parser's message quotes the request bytes: the class and status say enough.
                doc["error"] = record.exc_info[0].__name__
                code = getattr(exc, "code", None)
                if code:
                    doc["status"] = code
            else:
                doc["error"] = f"{record.exc_info[0].__name__}: {exc}"
                doc["traceback"] = _traceback(self, record.exc_info)
        return orjson.dumps(doc, default=str).decode()


def _exc_info(exc: BaseException | bool | None) -> Any:
    if isinstance(exc, BaseException):
        return (type(exc), exc, exc.__traceback__)
    return bool(exc)


class Log:
    """A component's logger: ``log.warning("message", key=value, ...)``."""

    __slots__ = ("_logger",)

    def __init__(self, component: str) -> None:
        self._logger = logging.getLogger(f"cflexagent.{component}")

    def _log(self, level: int, msg: str, exc: BaseException | bool | None, fields: dict[str, Any]) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, msg, extra={"fields": fields}, exc_info=_exc_info(exc), stacklevel=3)

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

    def limited(self, level: str, msg: str, *, key: Hashable = None, exc: BaseException | None = None,
                interval: float | None = None, **fields: Any) -> bool:
        """Log ``msg`` at most once per ``interval`` (default :data:`LIMIT_INTERVAL`) per ``key``
        (default: the message itself) for this component; True if it was written.

        A written line carries ``suppressed=N`` when N lines of its key were held
        back since the previous one; ``exc`` adds ``error`` and ``traceback``::

            log.limited("error", "accept failed", key=("accept", e.errno), exc=e, port=port)
        """
        lvl = _LEVELS[level]
        if not self._logger.isEnabledFor(lvl):
            return False
        held = THROTTLE.admit((self._logger.name, msg if key is None else key), _component(self._logger.name),
                              interval)
        if held is None:
            return False
        if held:
            fields["suppressed"] = held
        self._log(lvl, msg, exc, fields)
        return True


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
    # Libraries log through their own loggers: same JSON lines, warnings and up, each
    # message template at most once per interval. A logger with no handler of its
    # own (any other library) falls back to logging.lastResort: the same handler.
    foreign = logging.StreamHandler(stream or sys.stderr)
    foreign.setFormatter(JSONFormatter())
    foreign.addFilter(LibraryLimit())
    foreign.setLevel(logging.WARNING)
    for name in ("asyncio", "aiohttp", "asyncssh"):
        lib = logging.getLogger(name)
        lib.handlers = [foreign]
        lib.setLevel(logging.WARNING)
        lib.propagate = False
    logging.lastResort = foreign
    # A handler that fails (stderr closed) must not print "--- Logging error ---" tracebacks.
    logging.raiseExceptions = False
    threading.excepthook = _thread_exception
    sys.unraisablehook = _unraisable


class LibraryLimit(logging.Filter):
    """Throttles a library's records by where they come from, not by their text (which
    carries addresses and object ids), and marks the ones written after a pause."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        key = ("lib", record.name, str(record.msg)[:200], *_exc_key(exc))
        held = THROTTLE.admit(key, record.name)
        if held is None:
            return False
        if held:
            record.fields = {**getattr(record, "fields", {}), "suppressed": held}
        return True


def _exc_key(exc: BaseException | None) -> tuple[Any, ...]:
    """What makes two exceptions "the same error": type, errno and the line that raised it."""
    if exc is None:
        return ()
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else ()
    return (type(exc).__qualname__, getattr(exc, "errno", None), *where)


_loop_log = Log("asyncio")
_CONTEXT_KEYS = ("task", "future", "handle", "transport", "protocol", "socket")


def loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's "there is nowhere to send this error" (accept() failing with EMFILE, a callback
    raising, a task nobody awaited): one JSON line per kind of error per interval."""
    exc = context.get("exception")
    message = str(context.get("message") or "unhandled exception in event loop")
    fields: dict[str, Any] = {k: repr(context[k])[:200] for k in _CONTEXT_KEYS if k in context}
    key = _exc_key(exc) if isinstance(exc, BaseException) else message[:100]
    _loop_log.limited("error", message[:300], key=key, exc=exc if isinstance(exc, BaseException) else None,
                      **fields)


def install_loop_exception_handler(loop: asyncio.AbstractEventLoop | None = None) -> None:
    (loop or asyncio.get_running_loop()).set_exception_handler(loop_exception_handler)


_thread_log = Log("thread")


def _thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or isinstance(args.exc_value, SystemExit):
        return
    name = args.thread.name if args.thread is not None else "?"
    _thread_log.limited("error", "uncaught exception in a thread", key=_exc_key(args.exc_value),
                        exc=args.exc_value, thread=name)


def _unraisable(args: Any) -> None:
    exc = args.exc_value
    where = repr(args.object)[:200] if args.object is not None else ""
    _loop_log.limited("warning", str(args.err_msg or "exception ignored"),
                      key=("unraisable", *_exc_key(exc)), exc=exc, object=where)


class SuppressedLogCollector(Collector):
    """``cflexagent_agent_log_lines_suppressed_total``: what the throttle held back, by component."""

    def __init__(self, throttle: Throttle = THROTTLE) -> None:
        self._throttle = throttle

    def collect(self) -> Iterator[CounterMetricFamily]:
        fam = CounterMetricFamily("cflexagent_agent_log_lines_suppressed",
                                  "The agent's own log lines held back by rate limiting (an error repeated "
                                  "within its interval), by component or library logger.", labels=["component"])
        for component, n in sorted(self._throttle.suppressed.items()):
            fam.add_metric([component], n)
        yield fam


class AgentMetrics:
    """The agent's own health series, created once per registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        # ``*_created`` samples double the exposition of every counter and no
        # dashboard of ours reads them (Prometheus 2.42 ignores them in text format).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        registry.register(SuppressedLogCollector())
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
        self.http_connections = Gauge("cflexagent_http_connections",
                                      "Connections open to the agent's HTTP server (TLS handshakes included).",
                                      registry=registry)
        self.http_connections_max = Gauge("cflexagent_http_connections_max",
                                          "The HTTP server's connection cap in force (server.max_connections, "
                                          "at most half the process's open-files limit).", registry=registry)
        self.http_closed = Counter("cflexagent_http_connections_closed",
                                   "Connections the HTTP server closed itself, by reason: header_timeout, "
                                   "idle_timeout, request_timeout, evicted (idle longest, to admit a new one at "
                                   "the cap), rejected (at the cap with every connection in a request), "
                                   "tls_handshake (failed or too slow), shutdown.", ["reason"], registry=registry)
        self.http_accept_errors = Counter("cflexagent_http_accept_errors",
                                          "accept() failures of the HTTP server, by errno (EMFILE, ENFILE, ENOBUFS, "
                                          "ENOMEM, other); the server pauses briefly after each.", ["reason"],
                                          registry=registry)
        self.http_auth_failures = Counter("cflexagent_http_auth_failures",
                                          "Requests refused by basic auth, by reason: missing (no Basic header), "
                                          "malformed, wrong (user or password), too_long (password over bcrypt's "
                                          "72 bytes), rate_limited (the address failed too often: 429, no bcrypt), "
                                          "busy (too many bcrypt checks waiting).", ["reason"], registry=registry)
        self.http_bad_requests = Counter("cflexagent_http_bad_requests",
                                         "Requests the HTTP server could not parse (answered 400), by reason: "
                                         "too_long (request line or a header over 8 KiB), bad_method, "
                                         "bad_request_line, malformed.", ["reason"], registry=registry)
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
