"""Alertmanager's Watchdog as the agent sees it: the proof that alerting works end to end.

The rendered rules hold ``Watchdog``, an alert that always fires; the rendered
Alertmanager routes it to the relay's webhook (and to an external dead-man's
switch when ``[render.alertmanager] watchdog_url_file`` is set) every
``watchdog_repeat_interval``. The relay does not deliver it: it records when
it came (``seen``). A ``[[heartbeats]]`` with ``require_watchdog`` pings its
dead-man's switch only while that is recent, so the switch also fires when
Prometheus, its rules, Alertmanager or Alertmanager's way to the agent stop
working, not only when the machine or the agent do.

The time is kept in ``<state_dir>/alerts/watchdog.json`` so a restart of the
agent does not hold the heartbeat back until the next Watchdog.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import msgspec
from prometheus_client import CollectorRegistry, Gauge

from .statefile import atomic_write

#: Written at most this often (a Watchdog every minute costs one small fsync at most every 5 minutes).
PERSIST_EVERY = 300.0


class _File(msgspec.Struct):
    last_seen: float


def state_path(state_dir: Path) -> Path:
    return state_dir / "alerts" / "watchdog.json"


class Watchdog:
    """The one per agent (``Context.shared``): the relay records, heartbeats read."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.last_seen = 0.0
        self._persisted = 0.0
        self._loaded = False
        self.gauge = Gauge("cflexagent_alert_watchdog_last_seen_timestamp_seconds",
                           "When the relay last received Alertmanager's always-firing Watchdog (0: never); "
                           "[[heartbeats]] require_watchdog pings only while it is recent.", registry=registry)

    def load(self, state_dir: Path) -> None:
        """The time a previous run recorded (once; a damaged or missing file means never)."""
        if self._loaded:
            return
        self._loaded = True
        with contextlib.suppress(OSError, msgspec.DecodeError, msgspec.ValidationError):
            doc = msgspec.json.decode(state_path(state_dir).read_bytes(), type=_File)
            if math.isfinite(doc.last_seen) and doc.last_seen > self.last_seen:
                self.last_seen = self._persisted = doc.last_seen
                self.gauge.set(doc.last_seen)

    def seen(self, now: float, state_dir: Path | None = None) -> None:
        """A Watchdog notification arrived. Raises OSError when the state file cannot be written (the time
        is kept in memory all the same)."""
        self.last_seen = max(self.last_seen, now)
        self.gauge.set(self.last_seen)
        if state_dir is not None and now - self._persisted >= PERSIST_EVERY:
            self._persisted = now
            path = state_path(state_dir)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, msgspec.json.encode(_File(self.last_seen)))

    def age(self, now: float) -> float:
        """Seconds since the last Watchdog (infinite: never seen)."""
        return now - self.last_seen if self.last_seen > 0 else math.inf
