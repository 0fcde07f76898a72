"""The alert history and the acknowledgment/escalation state, in the outbox's SQLite database.

Tables (next to the outbox's, so a delivery and its history row commit together):

- ``groups``: one firing episode of an Alertmanager group (from its first
  firing notification to its resolve): first delivery, acknowledgment (when,
  by whom), resolution, the Alertmanager silence, escalation levels sent;
- ``alerts``: one firing of one alert (fingerprint + startsAt): first seen,
  first notified, acknowledged, resolved, and whether it was noise;
- ``events``: what happened, in order (fired, notified, acked, escalated,
  resolved, silenced, unsilenced), for ``/api/alerts`` and audits;
- ``used_tokens``: acknowledge links already used (single use).

The success metrics are defined here:

- time to acknowledge = acknowledgment - the group's first successful delivery
  (the moment someone could react), per alert of the group;
- time to resolve (MTTR) = resolution (``endsAt``) - ``startsAt``;
- noise = an alert that resolved by itself (never acknowledged) within
  ``noise_resolved_within`` of starting (``short``), or a firing of a
  fingerprint that already fired ``flapping_per_day`` times in the 24 h
  before (``flapping``).

Metrics are observed after the transaction that recorded them committed.
"""

from __future__ import annotations

import functools
import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram

from .config import USED_TOKENS_KEPT, HistoryConfig
from .outbox import _SCHEMA, Job, JobPlan, Outbox
from .webhook import Payload, fingerprint

_HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY,
    group_key TEXT NOT NULL,
    route INTEGER NOT NULL,
    severity TEXT NOT NULL,
    alertname TEXT NOT NULL,
    labels TEXT NOT NULL,               -- groupLabels (the silence's matchers), JSON
    opened_at REAL NOT NULL,
    first_delivered_at REAL,
    delivered_to TEXT NOT NULL DEFAULT '[]',
    acked_at REAL,
    acked_by TEXT,
    resolved_at REAL,
    silence_id TEXT,
    silence_state TEXT NOT NULL DEFAULT '',   -- '' | active | expired | error
    escalated INTEGER NOT NULL DEFAULT 0,     -- escalation levels already sent
    last_notification INTEGER
);
CREATE INDEX IF NOT EXISTS groups_key ON groups (group_key, resolved_at);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    starts_at REAL NOT NULL,
    alertname TEXT NOT NULL,
    severity TEXT NOT NULL,
    group_id INTEGER,
    first_seen REAL NOT NULL,
    notified_at REAL,
    acked_at REAL,
    acked_by TEXT,
    resolved_at REAL,
    noise TEXT NOT NULL DEFAULT '',           -- '' | short | flapping
    UNIQUE (fingerprint, starts_at)
);
CREATE INDEX IF NOT EXISTS alerts_seen ON alerts (first_seen);
CREATE INDEX IF NOT EXISTS alerts_group ON alerts (group_id);
CREATE TABLE IF NOT EXISTS events (
    ts REAL NOT NULL,
    group_id INTEGER,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_group ON events (group_id, ts);
CREATE INDEX IF NOT EXISTS events_uncounted ON events (kind) WHERE channel = 'uncounted';
CREATE TABLE IF NOT EXISTS used_tokens (
    nonce TEXT PRIMARY KEY,
    used_at REAL NOT NULL
);
"""

TTA_BUCKETS = (60, 180, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)
TTR_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800)


class HistoryMetrics:
    """Created once per registry; ``alertname`` is bounded by ``max_alertnames`` (the rest: "other")."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["severity", "alertname"]
        self.tta = Histogram("cflexagent_alert_time_to_acknowledge_seconds",
                             "Time from the group's first successful delivery to its acknowledgment, per alert.",
                             labels, buckets=TTA_BUCKETS, registry=registry)
        self.ttr = Histogram("cflexagent_alert_time_to_resolve_seconds",
                             "Time from an alert's startsAt to its resolution (MTTR's distribution).", labels,
                             buckets=TTR_BUCKETS, registry=registry)
        self.fired = Counter("cflexagent_alerts_fired_total", "Alert firings (fingerprint + startsAt) relayed.",
                             labels, registry=registry)
        self.acked = Counter("cflexagent_alerts_acknowledged_total", "Alert firings acknowledged.", labels,
                             registry=registry)
        self.auto_resolved = Counter("cflexagent_alerts_auto_resolved_total",
                                     "Alert firings that resolved without being acknowledged.", labels,
                                     registry=registry)
        self.noise = Counter("cflexagent_alerts_noise_total",
                             "Alert firings counted as noise, by reason: short (resolved by itself within "
                             "noise_resolved_within) or flapping (more than flapping_per_day firings in 24 h).",
                             [*labels, "reason"], registry=registry)
        self.escalations = Counter("cflexagent_alert_escalations_total",
                                   "Escalation levels sent because a group was not acknowledged in time.",
                                   ["level"], registry=registry)
        self.ack_requests = Counter("cflexagent_alert_ack_requests_total",
                                    "Requests to the acknowledge pages by result (page, acknowledged, already, "
                                    "invalid, expired, used, mismatch, rate_limited, error).", ["result"],
                                    registry=registry)
        self.silences = Counter("cflexagent_alert_silences_total",
                                "Alertmanager silences by result (created, expired, error).", ["result"],
                                registry=registry)
        self._names: set[str] = set()
        self.max_names = 50

    def name(self, alertname: str) -> str:
        if alertname in self._names:
            return alertname
        if len(self._names) < self.max_names:
            self._names.add(alertname)
            return alertname
        return "other"


@dataclass(frozen=True)
class Group:
    id: int
    group_key: str
    route: int
    severity: str
    alertname: str
    labels: dict[str, str]
    opened_at: float
    first_delivered_at: float | None
    delivered_to: list[str]
    acked_at: float | None
    acked_by: str | None
    resolved_at: float | None
    silence_id: str | None
    silence_state: str
    escalated: int
    last_notification: int | None

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d.pop("group_key")
        return d


_GROUP_COLS = ("id, group_key, route, severity, alertname, labels, opened_at, first_delivered_at, delivered_to, "
               "acked_at, acked_by, resolved_at, silence_id, silence_state, escalated, last_notification")


def _group(row: tuple[Any, ...]) -> Group:
    r = list(row)
    r[5] = orjson.loads(r[5])
    r[8] = orjson.loads(r[8])
    return Group(*r)


@dataclass(frozen=True)
class AckOutcome:
    result: str             # acknowledged | already | resolved | used | unknown
    group: Group | None


class AlertStore(Outbox):
    def __init__(self, path: Path, history: HistoryConfig, metrics: HistoryMetrics | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(path, clock)
        self.history = history
        self.hm = metrics
        if metrics is not None:
            metrics.max_names = history.max_alertnames

    def schema(self) -> str:
        return _SCHEMA + _HISTORY_SCHEMA

    def _observe(self, fn: Callable[[HistoryMetrics], None]) -> None:
        if self.hm is not None:
            hm = self.hm
            self.after_commit.append(lambda: fn(hm))

    def _labels(self, severity: str, alertname: str) -> tuple[str, str]:
        from .metrics import severity_label

        return severity_label(severity), self.hm.name(alertname) if self.hm else alertname

    def event(self, group_id: int | None, kind: str, now: float, channel: str = "", detail: str = "") -> None:
        self.db.execute("INSERT INTO events (ts, group_id, kind, channel, detail) VALUES (?, ?, ?, ?, ?)",
                        (now, group_id, kind, channel, detail[:500]))

    # -- hooks of the outbox ----------------------------------------------------------

    def after_accept(self, notification_id: int, now: float) -> None:
        db = self.db
        row = db.execute("SELECT group_key, status, severity, route, payload FROM notifications WHERE id = ?",
                         (notification_id,)).fetchone()
        group_key, status, severity, route, raw = row
        p = msgspec.json.decode(raw, type=Payload)
        grp = db.execute("SELECT id FROM groups WHERE group_key = ? AND resolved_at IS NULL ORDER BY id DESC LIMIT 1",
                         (group_key,)).fetchone()
        gid: int | None = grp[0] if grp else None
        alertname = p.commonLabels.get("alertname") or p.groupLabels.get("alertname") or p.alerts[0].name or "alert"
        if gid is None and status == "firing":
            labels = dict(p.groupLabels) or dict(p.commonLabels)
            cur = db.execute("INSERT INTO groups (group_key, route, severity, alertname, labels, opened_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (group_key, route, severity, alertname,
                                                           orjson.dumps(labels), now))
            gid = int(cur.lastrowid or 0)
        if gid is None:
            return  # a resolve for a group we never saw fire
        db.execute("UPDATE notifications SET group_id = ? WHERE id = ?", (gid, notification_id))
        if status == "firing":
            db.execute("UPDATE groups SET last_notification = ? WHERE id = ?", (notification_id, gid))
        for a in p.alerts:
            fp, starts = fingerprint(a), a.starts or now
            sev = a.labels.get("severity", severity)
            name = a.name or alertname
            if a.status == "firing":
                cur = db.execute("INSERT OR IGNORE INTO alerts (fingerprint, starts_at, alertname, severity, "
                                 "group_id, first_seen) VALUES (?, ?, ?, ?, ?, ?)",
                                 (fp, starts, name, sev, gid, now))
                if cur.rowcount:
                    self._fired(fp, starts, name, sev, gid, now)
            else:
                self._resolved(fp, starts, a.ends or now, now)
        if status == "resolved":
            self.resolve_group(gid, now, "resolved")
            self._resolve_to_escalated(notification_id, gid, now)

    def _resolve_to_escalated(self, nid: int, gid: int, now: float) -> None:
        """A resolve also goes to every channel an escalation of the episode reached: whoever was paged
        learns that it is over. Only when resolves are sent at all (the notification has jobs), and not to
        a channel one of its jobs starts on already. (Should that channel fail and the route fall back to
        an escalation channel, that one gets the resolve twice.)"""
        first = {r[0] for r in self.db.execute("SELECT channel FROM jobs WHERE notification_id = ?", (nid,))}
        if not first:
            return
        reached = self.db.execute("SELECT DISTINCT channel FROM events WHERE group_id = ? AND kind = 'notified' "
                                  "AND detail = 'escalation' ORDER BY channel", (gid,)).fetchall()
        for (name,) in reached:
            if name not in first:
                self._insert_job(nid, JobPlan("escalated", (name,)), now)

    def _fired(self, fp: str, starts: float, name: str, sev: str, gid: int, now: float) -> None:
        self.event(gid, "fired", now, detail=f"{name} {fp}")
        before = self.db.execute("SELECT COUNT(*) FROM alerts WHERE fingerprint = ? AND first_seen > ? "
                                 "AND starts_at != ?", (fp, now - 86400, starts)).fetchone()[0]
        labels = self._labels(sev, name)
        self._observe(lambda hm: hm.fired.labels(*labels).inc())
        if before >= self.history.flapping_per_day:
            self.db.execute("UPDATE alerts SET noise = 'flapping' WHERE fingerprint = ? AND starts_at = ?",
                            (fp, starts))
            self._observe(lambda hm: hm.noise.labels(*labels, "flapping").inc())

    def _resolved(self, fp: str, starts: float, ends: float, now: float) -> None:
        row = self.db.execute("SELECT id, alertname, severity, acked_at, noise, resolved_at FROM alerts "
                              "WHERE fingerprint = ? AND starts_at = ?", (fp, starts)).fetchone()
        if row is None or row[5] is not None:
            return
        aid, name, sev, acked, noise = row[:5]
        labels = self._labels(sev, name)
        short = acked is None and ends - starts <= float(self.history.noise_resolved_within) and not noise
        self.db.execute("UPDATE alerts SET resolved_at = ?, noise = ? WHERE id = ?",
                        (ends, "short" if short else noise, aid))
        ttr = max(0.0, ends - starts)
        self._observe(lambda hm: hm.ttr.labels(*labels).observe(ttr))
        if acked is None:
            self._observe(lambda hm: hm.auto_resolved.labels(*labels).inc())
        if short:
            self._observe(lambda hm: hm.noise.labels(*labels, "short").inc())

    def resolve_group(self, gid: int, now: float, how: str) -> None:
        """The episode is over: remaining alerts resolved now, pending escalations cancelled."""
        db = self.db
        for fp, starts in db.execute("SELECT fingerprint, starts_at FROM alerts WHERE group_id = ? "
                                     "AND resolved_at IS NULL", (gid,)).fetchall():
            self._resolved(fp, starts, now, now)
        db.execute("UPDATE groups SET resolved_at = COALESCE(resolved_at, ?) WHERE id = ?", (now, gid))
        self.cancel_escalations(gid, now)
        self.event(gid, how, now)

    def cancel_escalations(self, gid: int, now: float) -> None:
        ids = [r[0] for r in self.db.execute(
            "SELECT DISTINCT j.notification_id FROM jobs j JOIN notifications n ON n.id = j.notification_id "
            "WHERE n.group_id = ? AND j.role = 'escalation' AND j.state = 'pending'", (gid,))]
        self.db.execute("UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE role = 'escalation' AND "
                        "state = 'pending' AND notification_id IN (SELECT id FROM notifications WHERE group_id = ?)",
                        (now, gid))
        for nid in ids:
            self._finish(nid)

    def after_delivered(self, job: Job, now: float) -> None:
        if job.group_id is None or job.status != "firing":
            return
        db = self.db
        db.execute("UPDATE groups SET first_delivered_at = COALESCE(first_delivered_at, ?) WHERE id = ?",
                   (now, job.group_id))
        row = db.execute("SELECT delivered_to FROM groups WHERE id = ?", (job.group_id,)).fetchone()
        to = orjson.loads(row[0])
        if job.channel not in to:
            db.execute("UPDATE groups SET delivered_to = ? WHERE id = ?", (orjson.dumps([*to, job.channel]),
                                                                           job.group_id))
        db.execute("UPDATE alerts SET notified_at = ? WHERE group_id = ? AND notified_at IS NULL",
                   (now, job.group_id))
        self.event(job.group_id, "notified", now, job.channel, job.role)

    # -- acknowledgment -----------------------------------------------------------------

    def group(self, gid: int) -> Group | None:
        row = self.db.execute(f"SELECT {_GROUP_COLS} FROM groups WHERE id = ?", (gid,)).fetchone()
        return _group(row) if row else None

    def token_used(self, nonce: str) -> bool:
        return self.db.execute("SELECT 1 FROM used_tokens WHERE nonce = ?", (nonce,)).fetchone() is not None

    def acknowledge(self, gid: int, who: str, nonce: str | None = None) -> AckOutcome:
        now = self.clock()
        with self.tx():
            if nonce is not None and self.token_used(nonce):
                return AckOutcome("used", self.group(gid))
            g = self.group(gid)
            if g is None:
                return AckOutcome("unknown", None)
            if g.acked_at is not None:
                return AckOutcome("already", g)
            if g.resolved_at is not None:
                return AckOutcome("resolved", g)
            if nonce is not None:
                self.db.execute("INSERT INTO used_tokens (nonce, used_at) VALUES (?, ?)", (nonce, now))
            self.db.execute("UPDATE groups SET acked_at = ?, acked_by = ? WHERE id = ?", (now, who[:200], gid))
            base = g.first_delivered_at if g.first_delivered_at is not None else g.opened_at
            rows = self.db.execute("SELECT id, alertname, severity, notified_at, first_seen FROM alerts "
                                   "WHERE group_id = ? AND acked_at IS NULL AND resolved_at IS NULL",
                                   (gid,)).fetchall()
            for aid, name, sev, notified, seen in rows:
                self.db.execute("UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ?", (now, who[:200], aid))
                self._observe(functools.partial(_observe_ack, labels=self._labels(sev, name),
                                                tta=_tta(now, notified, base, seen)))
            self.cancel_escalations(gid, now)
            # A process without the agent's metrics (`cflexagent alerts ack`) leaves them to the agent.
            self.event(gid, "acked", now, channel="" if self.hm is not None else UNCOUNTED, detail=who)
            return AckOutcome("acknowledged", self.group(gid))

    def count_other_acks(self) -> int:
        """Acknowledgments made by another process (``cflexagent alerts ack`` has no metrics of the agent's):
        observed in this process's time-to-acknowledge and acknowledged counts once, then marked counted."""
        query = "SELECT rowid, group_id, ts FROM events WHERE kind = 'acked' AND channel = 'uncounted'"
        if not self.db.execute(query).fetchone():  # the usual case, every second: no write transaction
            return 0
        with self.tx():
            rows = self.db.execute(query).fetchall()
            for rowid, gid, ts in rows:
                g = self.group(gid)
                if g is not None:
                    base = g.first_delivered_at if g.first_delivered_at is not None else g.opened_at
                    for name, sev, notified, seen in self.db.execute(
                            "SELECT alertname, severity, notified_at, first_seen FROM alerts WHERE group_id = ? "
                            "AND acked_at = ?", (gid, ts)).fetchall():
                        self._observe(functools.partial(_observe_ack, labels=self._labels(sev, name),
                                                        tta=_tta(ts, notified, base, seen)))
                self.db.execute("UPDATE events SET channel = '' WHERE rowid = ?", (rowid,))
        return len(rows)

    def set_silence(self, gid: int, silence_id: str | None, state: str) -> None:
        with self.tx():
            self.db.execute("UPDATE groups SET silence_id = COALESCE(?, silence_id), silence_state = ? WHERE id = ?",
                            (silence_id, state, gid))
            self.event(gid, "silenced" if state == "active" else f"silence_{state}", self.clock(),
                       detail=silence_id or "")

    def silenced_groups(self) -> list[Group]:
        rows = self.db.execute(f"SELECT {_GROUP_COLS} FROM groups WHERE silence_state = 'active'").fetchall()
        return [_group(r) for r in rows]

    def resolve_silenced(self, gid: int) -> None:
        with self.tx():
            self.resolve_group(gid, self.clock(), "resolved")

    # -- escalation --------------------------------------------------------------------

    def escalate(self, levels: dict[int, list[tuple[float, tuple[str, ...]]]]) -> list[tuple[int, int, list[str]]]:
        """Send every escalation level that is due; returns (group, level, channels) of those created.
        Each group's level and its jobs are one transaction: after a crash a level is sent or not, never twice."""
        now = self.clock()
        out: list[tuple[int, int, list[str]]] = []
        rows = self.db.execute(f"SELECT {_GROUP_COLS} FROM groups WHERE resolved_at IS NULL AND acked_at IS NULL "
                               "AND first_delivered_at IS NOT NULL").fetchall()
        for g in map(_group, rows):
            route_levels = levels.get(g.route, [])
            if g.escalated >= len(route_levels) or g.last_notification is None or g.first_delivered_at is None:
                continue
            after, channels = route_levels[g.escalated]
            if g.first_delivered_at + after > now:
                continue
            with self.tx():
                cur = self.db.execute("UPDATE groups SET escalated = escalated + 1 WHERE id = ? AND escalated = ? "
                                      "AND acked_at IS NULL AND resolved_at IS NULL", (g.id, g.escalated))
                if not cur.rowcount:
                    continue
                for name in channels:
                    self._insert_job(g.last_notification, JobPlan("escalation", (name,)), now)
                self.db.execute("UPDATE notifications SET done = 0 WHERE id = ?", (g.last_notification,))
                level = g.escalated + 1
                self.event(g.id, "escalated", now, ",".join(channels), f"level {level}")
                self._observe(functools.partial(_observe_escalation, level=level))
            out.append((g.id, g.escalated + 1, list(channels)))
        return out

    # -- API, report, retention --------------------------------------------------------------

    def groups_listing(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.db.execute(f"SELECT {_GROUP_COLS} FROM groups ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [_group(r).as_dict() for r in rows]

    def prune(self, keep: float, now: float) -> int:
        """As the outbox's, but the newest notification of an open group stays (escalations resend it)."""
        with self.tx():
            cur = self.db.execute("DELETE FROM notifications WHERE done = 1 AND received_at < ? AND id NOT IN "
                                  "(SELECT last_notification FROM groups WHERE resolved_at IS NULL AND "
                                  "last_notification IS NOT NULL)", (now - keep,))
        return cur.rowcount

    def prune_history(self, now: float) -> None:
        """Episodes over and begun before the retention go. One still open stays whole, however old: its
        alerts' resolve or acknowledgment still has to find their rows (MTTR, time to acknowledge)."""
        cutoff = now - float(self.history.retention)
        with self.tx():
            self.db.execute("DELETE FROM alerts WHERE first_seen < ? AND resolved_at IS NOT NULL", (cutoff,))
            self.db.execute("DELETE FROM events WHERE ts < ? AND (group_id IS NULL OR group_id NOT IN "
                            "(SELECT id FROM groups WHERE resolved_at IS NULL))", (cutoff,))
            self.db.execute("DELETE FROM groups WHERE opened_at < ? AND resolved_at IS NOT NULL", (cutoff,))
            self.db.execute("DELETE FROM used_tokens WHERE used_at < ?", (now - USED_TOKENS_KEPT,))

    def alert_rows(self, since: float) -> list[tuple[str, str, float, float | None, float | None, float | None,
                                                      float, str]]:
        """(alertname, severity, starts_at, resolved_at, acked_at, notified_at, first_seen, noise)."""
        return self.db.execute("SELECT alertname, severity, starts_at, resolved_at, acked_at, notified_at, "
                               "first_seen, noise FROM alerts WHERE first_seen >= ? ORDER BY alertname, severity",
                               (since,)).fetchall()


def _observe_escalation(hm: HistoryMetrics, level: int) -> None:
    hm.escalations.labels(str(level)).inc()


#: The ``channel`` of an "acked" event whose metrics the agent has not observed yet (``count_other_acks``).
UNCOUNTED = "uncounted"


def _tta(acked: float, notified: float | None, base: float, seen: float) -> float:
    """Time to acknowledge: from the alert's first notification (else the group's first delivery, or the
    alert's first sighting when later)."""
    return max(0.0, acked - (notified if notified is not None else max(base, seen)))


def _observe_ack(hm: HistoryMetrics, labels: tuple[str, str], tta: float) -> None:
    hm.tta.labels(*labels).observe(tta)
    hm.acked.labels(*labels).inc()


def nearest_rank(values: list[float], q: float) -> float | None:
    """The q-quantile by the nearest-rank method: the value at rank ceil(q * n) of the sorted values."""
    if not values:
        return None
    s = sorted(values)
    return s[max(1, math.ceil(q * len(s))) - 1]


@dataclass
class ReportRow:
    alertname: str
    severity: str
    count: int
    resolved: int
    acked: int
    noise: int
    mttr_p50: float | None
    mttr_p95: float | None
    tta_p50: float | None
    tta_p95: float | None

    @property
    def noise_ratio(self) -> float:
        return self.noise / self.count if self.count else 0.0


def report(store: AlertStore, days: int, now: float) -> list[ReportRow]:
    """Per alert name and severity over the last ``days`` days, plus a total row ("*", "*") at the end."""
    groups: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    rows = store.alert_rows(now - days * 86400.0)
    for r in rows:
        groups.setdefault((r[0], r[1]), []).append(r)
    out = [_row(name, sev, rs) for (name, sev), rs in sorted(groups.items())]
    out.append(_row("*", "*", list(rows)))
    return out


def _row(name: str, sev: str, rs: list[tuple[Any, ...]]) -> ReportRow:
    ttr = [r[3] - r[2] for r in rs if r[3] is not None]
    tta = [r[4] - (r[5] if r[5] is not None else r[6]) for r in rs if r[4] is not None]
    return ReportRow(name, sev, len(rs), len(ttr), len(tta), sum(1 for r in rs if r[7]),
                     nearest_rank(ttr, 0.5), nearest_rank(ttr, 0.95), nearest_rank(tta, 0.5), nearest_rank(tta, 0.95))


def open_store(state_dir: Path, history: HistoryConfig, metrics: HistoryMetrics | None = None,
               clock: Callable[[], float] = time.time) -> AlertStore:
    from .outbox import outbox_path

    store = AlertStore(outbox_path(state_dir), history, metrics, clock)
    try:
        _ = store.db
    except sqlite3.Error:
        store.close()
        raise
    return store
