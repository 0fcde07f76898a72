"""Daily storage snapshots in SQLite: the last complete scan of each day per area and group.

File: ``<state_dir>/storage/snapshots.sqlite3`` (stdlib ``sqlite3``, WAL mode).
One row per (UTC day, area, group); the area's own total is the group ``""``.
A newer complete scan of the same day replaces that day's rows of its area in
one transaction, so a day never mixes two scans. Rows older than the retention
are deleted on write. Every call is synchronous: async callers go through
``asyncio.to_thread``. The clock is injectable (tests roll days forward).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .walk import AreaResult, Tally

SCHEMA_VERSION = 1
TOTAL = ""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    day TEXT NOT NULL,          -- YYYY-MM-DD (UTC) of the scan
    area TEXT NOT NULL,
    grp TEXT NOT NULL,          -- '' for the area's total
    scanned_at REAL NOT NULL,   -- Unix time the scan finished
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    directories INTEGER NOT NULL,
    detail TEXT NOT NULL,       -- JSON: oldest/newest mtime, size counts, older-than counts, skipped, duration
    PRIMARY KEY (day, area, grp)
);
CREATE INDEX IF NOT EXISTS snapshots_area_day ON snapshots (area, day);
"""


def utc_day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


@dataclass(frozen=True)
class Row:
    day: str
    area: str
    group: str
    scanned_at: float
    files: int
    bytes: int
    directories: int
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, "area": self.area, "group": self.group or None, "scanned_at": self.scanned_at,
                "files": self.files, "bytes": self.bytes, "directories": self.directories}


def _detail(t: Tally, extra: dict[str, Any] | None = None) -> bytes:
    doc: dict[str, Any] = {"oldest_mtime": t.oldest_mtime, "newest_mtime": t.newest_mtime,
                           "size_counts": t.size_counts, "older_counts": t.older_counts}
    if extra:
        doc.update(extra)
    return orjson.dumps(doc)


def tally_from_row(row: Row) -> Tally:
    d = row.detail
    return Tally(files=row.files, bytes=row.bytes, directories=row.directories,
                 oldest_mtime=d.get("oldest_mtime"), newest_mtime=d.get("newest_mtime"),
                 size_counts=list(d.get("size_counts") or []), older_counts=list(d.get("older_counts") or []))


class SnapshotStore:
    def __init__(self, path: Path, retention: float, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.retention = retention
        self.clock = clock

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif version != SCHEMA_VERSION:
            db.close()
            raise RuntimeError(f"{self.path}: snapshot schema version {version}, this agent knows {SCHEMA_VERSION}")
        return db

    def record(self, results: Iterable[AreaResult]) -> None:
        """Store complete area results as the snapshot of the day they finished on."""
        db = self._connect()
        try:
            with db:
                for r in results:
                    day = utc_day(r.finished_at)
                    db.execute("DELETE FROM snapshots WHERE day = ? AND area = ?", (day, r.name))
                    rows = [(day, r.name, TOTAL, r.finished_at, r.total.files, r.total.bytes, r.total.directories,
                             _detail(r.total, {"skipped": r.skipped, "duration": r.duration}))]
                    rows += [(day, r.name, g, r.finished_at, t.files, t.bytes, t.directories, _detail(t))
                             for g, t in r.groups.items()]
                    db.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
                cutoff = utc_day(self.clock() - self.retention)
                db.execute("DELETE FROM snapshots WHERE day < ?", (cutoff,))
        finally:
            db.close()

    def query(self, days: int | None = None, area: str | None = None, groups: bool = True) -> list[Row]:
        """Rows of the last ``days`` days (all when None), oldest first."""
        if not self.path.exists():
            return []
        db = self._connect()
        try:
            sql = "SELECT day, area, grp, scanned_at, files, bytes, directories, detail FROM snapshots WHERE 1=1"
            args: list[Any] = []
            if days is not None:
                sql += " AND day > ?"
                args.append(utc_day(self.clock() - days * 86400.0))
            if area is not None:
                sql += " AND area = ?"
                args.append(area)
            if not groups:
                sql += " AND grp = ''"
            sql += " ORDER BY day, area, grp"
            return [Row(d, a, g, s, f, b, n, orjson.loads(det)) for d, a, g, s, f, b, n, det in db.execute(sql, args)]
        finally:
            db.close()

    def latest(self) -> dict[str, list[Row]]:
        """The most recent day's rows of each area (to show the last scan again after a restart)."""
        if not self.path.exists():
            return {}
        db = self._connect()
        try:
            out: dict[str, list[Row]] = {}
            for (area, day) in db.execute("SELECT area, MAX(day) FROM snapshots GROUP BY area").fetchall():
                cur = db.execute("SELECT day, area, grp, scanned_at, files, bytes, directories, detail "
                                 "FROM snapshots WHERE area = ? AND day = ? ORDER BY grp", (area, day))
                out[area] = [Row(d, a, g, s, f, b, n, orjson.loads(det)) for d, a, g, s, f, b, n, det in cur]
            return out
        finally:
            db.close()

    def growth(self, now: float, windows: dict[str, int]) -> dict[tuple[str, str, str], tuple[int, int]]:
        """(area, group, window) -> (bytes, files) change between the newest snapshot and the newest one
        at least ``days`` days older; pairs without such an older snapshot are absent."""
        if not self.path.exists():
            return {}
        db = self._connect()
        try:
            out: dict[tuple[str, str, str], tuple[int, int]] = {}
            today = utc_day(now)
            current = {(a, g): (b, f) for a, g, b, f in db.execute(
                "SELECT area, grp, bytes, files FROM snapshots WHERE day = ?", (today,))}
            for window, days in windows.items():
                before = utc_day(now - days * 86400.0)
                cur = db.execute(
                    "SELECT s.area, s.grp, s.bytes, s.files FROM snapshots s JOIN "
                    "(SELECT area, grp, MAX(day) AS day FROM snapshots WHERE day <= ? GROUP BY area, grp) m "
                    "ON s.area = m.area AND s.grp = m.grp AND s.day = m.day", (before,))
                for a, g, b, f in cur:
                    if (a, g) in current:
                        cb, cf = current[(a, g)]
                        out[(a, g, window)] = (cb - b, cf - f)
            return out
        finally:
            db.close()
