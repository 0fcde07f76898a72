"""The relay's durable outbox: accepted notifications and their delivery jobs, in SQLite.

File: ``<state_dir>/alerts/alerts.sqlite3``, WAL mode with ``synchronous=FULL``:
every commit is fsynced before it returns, so a webhook is answered 2xx only
once its notification and jobs are on disk. SQLite rather than the atomic
state-file helper because the outbox is many small records updated one by one
(one attempt result at a time, thousands queued while a gateway is away): a
rewrite of the whole file per update would cost O(outbox) per attempt, and the
dedup lookup, the insert and each result need to be one transaction. The same
database holds the alert history (``history.py``), so a delivery result and its
history row are committed together.

A notification is one Alertmanager webhook (one alert group at one moment).
A job is one delivery duty for it: the route's fallback chain (``role="route"``),
one ``also`` channel, one escalation level's channel, or (``escalated``) the
resolve sent to a channel an escalation of the group reached. A job's ``channel`` is
the chain member being tried; ``done_to`` the recipients already reached
there, so a retry never re-sends to them.

Everything here is synchronous and runs on the relay's single database thread
(``AsyncOutbox``); the clock is injectable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson


def outbox_path(state_dir: Path) -> Path:
    """The outbox (and alert history) database under the state dir."""
    return Path(state_dir) / "alerts" / "alerts.sqlite3"

T = TypeVar("T")

SCHEMA_VERSION = 1
#: Payload bytes one ``due`` call loads at most.
DUE_MAX_BYTES = 16 * 1024 * 1024
_SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,
    dedup_key TEXT NOT NULL,
    group_key TEXT NOT NULL,
    status TEXT NOT NULL,               -- firing | resolved
    severity TEXT NOT NULL,
    route INTEGER NOT NULL,             -- index of the matching [[alerts.relay.routes]]
    payload BLOB NOT NULL,              -- the validated webhook, JSON
    done INTEGER NOT NULL DEFAULT 0,    -- every job delivered, failed or cancelled
    group_id INTEGER                    -- the alert group's firing episode (history.py)
);
CREATE INDEX IF NOT EXISTS notifications_dedup ON notifications (dedup_key, received_at);
CREATE INDEX IF NOT EXISTS notifications_done ON notifications (done, received_at);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    role TEXT NOT NULL,                 -- route | also | escalation | escalated | test
    chain TEXT NOT NULL,                -- JSON list of channel names, tried in order
    pos INTEGER NOT NULL DEFAULT 0,
    channel TEXT NOT NULL,              -- chain[pos]
    state TEXT NOT NULL,                -- pending | delivered | failed | cancelled
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    pos_since REAL,                     -- first attempt on the current channel
    round_transient INTEGER NOT NULL DEFAULT 0,
    done_to TEXT NOT NULL DEFAULT '[]', -- recipients of the current channel already reached
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at REAL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, channel, next_at);
CREATE INDEX IF NOT EXISTS jobs_notification ON jobs (notification_id);
"""


class OutboxFull(Exception):
    """The outbox holds ``outbox_max`` undelivered notifications (or the disk is nearly full)."""


@dataclass(frozen=True)
class JobPlan:
    role: str
    chain: tuple[str, ...]
    not_before: float = 0.0


@dataclass
class Job:
    id: int
    notification_id: int
    role: str
    chain: list[str]
    pos: int
    channel: str
    attempts: int
    pos_since: float | None
    round_transient: bool
    done_to: list[str]
    received_at: float
    severity: str
    status: str
    route: int
    payload: bytes
    group_id: int | None = None

    @property
    def key(self) -> tuple[int, str]:
        return (self.id, self.channel)


@dataclass(frozen=True)
class Accepted:
    notification_id: int | None   # None: a duplicate within the dedup window
    duplicate_of: int | None = None
    #: The channels its jobs start on (those to wake).
    channels: tuple[str, ...] = ()


_JOB_COLS = ("j.id, j.notification_id, j.role, j.chain, j.pos, j.channel, j.attempts, j.pos_since, "
             "j.round_transient, j.done_to, n.received_at, n.severity, n.status, n.route, n.payload, n.group_id")


def _job(row: tuple[Any, ...]) -> Job:
    (jid, nid, role, chain, pos, channel, attempts, pos_since, rt, done_to, received, sev, status, route,
     payload, group_id) = row
    return Job(jid, nid, role, orjson.loads(chain), pos, channel, attempts, pos_since, bool(rt),
               orjson.loads(done_to), received, sev, status, route, bytes(payload), group_id)


class Outbox:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self._db: sqlite3.Connection | None = None
        #: Run once the current transaction committed (metrics of what it recorded).
        self.after_commit: list[Callable[[], None]] = []

    def tx(self) -> _tx:
        return _tx(self.db, self)

    # -- connection ------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._connect()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fresh = not self.path.exists()
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        try:
            if fresh:
                os.chmod(self.path, 0o600)
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: the WAL is fsynced at every commit; a 2xx to Alertmanager means on disk.
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path}: alerts schema version {version}, this agent knows "
                                   f"{SCHEMA_VERSION}")
            if version < SCHEMA_VERSION:
                with _tx(db):
                    for stmt in self.schema().split(";"):
                        if stmt.strip():
                            db.execute(stmt)
                    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            db.close()
            raise
        return db

    def schema(self) -> str:
        return _SCHEMA

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- accept ----------------------------------------------------------------------

    def accept(self, *, dedup_key: str, group_key: str, status: str, severity: str, route: int,
               payload: bytes, jobs: list[JobPlan], dedup_window: float, outbox_max: int) -> Accepted:
        """Store a notification and its jobs in one fsynced transaction, unless it is a duplicate."""
        now = self.clock()
        db = self.db
        with self.tx():
            dup = db.execute("SELECT id FROM notifications WHERE dedup_key = ? AND received_at > ? "
                             "ORDER BY id DESC LIMIT 1", (dedup_key, now - dedup_window)).fetchone()
            if dup is not None:
                return Accepted(None, dup[0])
            pending = db.execute("SELECT COUNT(*) FROM notifications WHERE done = 0").fetchone()[0]
            if pending >= outbox_max:
                raise OutboxFull(f"{pending} notifications not yet delivered")
            cur = db.execute("INSERT INTO notifications (received_at, dedup_key, group_key, status, severity, "
                             "route, payload, done) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (now, dedup_key, group_key, status, severity, route, payload, 0 if jobs else 1))
            nid = int(cur.lastrowid or 0)
            for plan in jobs:
                self._insert_job(nid, plan, now)
            self.after_accept(nid, now)
            channels = tuple(r[0] for r in db.execute("SELECT channel FROM jobs WHERE notification_id = ? "
                                                      "ORDER BY id", (nid,)))
        return Accepted(nid, channels=channels)

    def after_accept(self, notification_id: int, now: float) -> None:
        """Hook for the history (same transaction)."""

    def _insert_job(self, nid: int, plan: JobPlan, now: float) -> None:
        self.db.execute("INSERT INTO jobs (notification_id, role, chain, pos, channel, state, next_at, updated_at) "
                        "VALUES (?, ?, ?, 0, ?, 'pending', ?, ?)",
                        (nid, plan.role, orjson.dumps(list(plan.chain)), plan.chain[0],
                         max(now, plan.not_before), now))

    # -- the senders' side -----------------------------------------------------------

    def due(self, channel: str, now: float, limit: int = 100, max_bytes: int = DUE_MAX_BYTES) -> list[Job]:
        """The channel's due jobs, oldest first: at most ``limit``, and payloads of at most ``max_bytes``
        in all (at least one), so a backlog of large groups never has to fit in memory at once."""
        cur = self.db.execute(f"SELECT {_JOB_COLS} FROM jobs j JOIN notifications n ON n.id = j.notification_id "
                              "WHERE j.state = 'pending' AND j.channel = ? AND j.next_at <= ? "
                              "ORDER BY j.next_at, j.id LIMIT ?", (channel, now, limit))
        out: list[Job] = []
        size = 0
        for row in cur:
            size += len(row[14])
            if out and size > max_bytes:
                break
            out.append(_job(row))
        cur.close()
        return out

    def next_due(self, channel: str) -> float | None:
        row = self.db.execute("SELECT MIN(next_at) FROM jobs WHERE state = 'pending' AND channel = ?",
                              (channel,)).fetchone()
        return None if row[0] is None else float(row[0])

    def pending_channels(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT channel FROM jobs WHERE state = 'pending'")}

    def job(self, job_id: int) -> Job | None:
        row = self.db.execute(f"SELECT {_JOB_COLS} FROM jobs j JOIN notifications n ON n.id = j.notification_id "
                              "WHERE j.id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def delivered(self, job: Job, done_to: list[str], now: float) -> None:
        with self.tx():
            self.db.execute("UPDATE jobs SET state = 'delivered', delivered_at = ?, done_to = ?, last_error = '', "
                            "attempts = attempts + 1, pos_since = COALESCE(pos_since, ?), updated_at = ? "
                            "WHERE id = ?", (now, orjson.dumps(done_to), now, now, job.id))
            self._finish(job.notification_id)
            self.after_delivered(job, now)

    def after_delivered(self, job: Job, now: float) -> None:
        """Hook for the history and escalation (same transaction)."""

    def retry(self, job: Job, done_to: list[str], error: str, next_at: float, now: float) -> None:
        self.db.execute("UPDATE jobs SET attempts = attempts + 1, next_at = ?, done_to = ?, last_error = ?, "
                        "round_transient = 1, pos_since = COALESCE(pos_since, ?), updated_at = ? WHERE id = ?",
                        (next_at, orjson.dumps(done_to), error[:500], now, now, job.id))

    def advance(self, job: Job, error: str, transient: bool, now: float, restart_at: float | None) -> str | None:
        """Move the job to the next channel of its chain; at the end, start the chain again at
        ``restart_at`` when some failure of this round was transient (else fail it).
        Returns the new channel, or None when the job failed."""
        with self.tx():
            round_transient = job.round_transient or transient
            if job.pos + 1 < len(job.chain):
                nxt = job.chain[job.pos + 1]
                self.db.execute("UPDATE jobs SET pos = pos + 1, channel = ?, attempts = 0, pos_since = NULL, "
                                "done_to = '[]', last_error = ?, round_transient = ?, next_at = ?, updated_at = ? "
                                "WHERE id = ?", (nxt, error[:500], int(round_transient), now, now, job.id))
                return nxt
            if round_transient and restart_at is not None:
                self.db.execute("UPDATE jobs SET pos = 0, channel = ?, attempts = 0, pos_since = NULL, "
                                "done_to = '[]', last_error = ?, round_transient = 0, next_at = ?, updated_at = ? "
                                "WHERE id = ?", (job.chain[0], error[:500], restart_at, now, job.id))
                return job.chain[0]
            self.db.execute("UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
                            (error[:500], now, job.id))
            self._finish(job.notification_id)
            return None

    def fail(self, job: Job, error: str, now: float) -> None:
        with self.tx():
            self.db.execute("UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
                            (error[:500], now, job.id))
            self._finish(job.notification_id)

    def _finish(self, nid: int) -> None:
        left = self.db.execute("SELECT COUNT(*) FROM jobs WHERE notification_id = ? AND state = 'pending'",
                               (nid,)).fetchone()[0]
        if not left:
            self.db.execute("UPDATE notifications SET done = 1 WHERE id = ?", (nid,))

    # -- housekeeping and the API ------------------------------------------------------

    def stats(self, now: float) -> tuple[int, float]:
        """(undelivered notifications, age in seconds of the oldest)."""
        n, oldest = self.db.execute("SELECT COUNT(*), MIN(received_at) FROM notifications WHERE done = 0").fetchone()
        return int(n), (now - oldest) if oldest is not None else 0.0

    def prune(self, keep: float, now: float) -> int:
        """Delete finished notifications older than ``keep`` seconds (past the dedup window)."""
        with self.tx():
            cur = self.db.execute("DELETE FROM notifications WHERE done = 1 AND received_at < ?", (now - keep,))
        return cur.rowcount

    def listing(self, limit: int = 50) -> dict[str, Any]:
        def rows(sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
            cur = self.db.execute(sql, args)
            names = [d[0] for d in cur.description]
            out = []
            for r in cur.fetchall():
                d = dict(zip(names, r, strict=True))
                d["chain"] = orjson.loads(d["chain"])
                out.append(d)
            return out

        cols = ("j.id, j.notification_id, n.group_key, n.status, n.severity, n.received_at, j.role, j.chain, "
                "j.channel, j.state, j.attempts, j.next_at, j.last_error, j.delivered_at")
        pending = rows(f"SELECT {cols} FROM jobs j JOIN notifications n ON n.id = j.notification_id "
                       "WHERE j.state = 'pending' ORDER BY j.id LIMIT ?", (limit,))
        recent = rows(f"SELECT {cols} FROM jobs j JOIN notifications n ON n.id = j.notification_id "
                      "WHERE j.state != 'pending' ORDER BY j.updated_at DESC, j.id DESC LIMIT ?", (limit,))
        return {"pending": pending, "recent": recent}


class _tx:
    """``BEGIN IMMEDIATE`` .. ``COMMIT`` (re-entrant: inner uses join the outer transaction).
    The store's ``after_commit`` callbacks run after a commit and are dropped on a rollback."""

    def __init__(self, db: sqlite3.Connection, store: Outbox | None = None) -> None:
        self.db = db
        self.store = store
        self.outer = False

    def __enter__(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.outer = True

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self.outer:
            return
        callbacks = self.store.after_commit if self.store is not None else []
        try:
            if exc_type is None:
                self.db.execute("COMMIT")
            elif self.db.in_transaction:
                self.db.execute("ROLLBACK")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            callbacks.clear()
            raise
        done = list(callbacks)
        callbacks.clear()
        if exc_type is None:
            for cb in done:
                cb()


class AsyncOutbox:
    """Runs an ``Outbox``'s calls on one dedicated thread: SQLite's fsyncs never block the event loop,
    and calls are serialised in the order they were made."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="alerts-db")

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    async def close(self) -> None:
        await self.call(self.outbox.close)
        self._pool.shutdown(wait=True)
