"""Daily snapshots: rollover across days with an injected clock, retention, growth, the HTTP API."""

from __future__ import annotations

from pathlib import Path

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from cflexagent.component import Context
from cflexagent.storage.config import AreaConfig, SFTPConfig, StorageConfig
from cflexagent.storage.metrics import GROWTH_WINDOWS
from cflexagent.storage.sftp import StorageScanner
from cflexagent.storage.snapshots import SnapshotStore
from cflexagent.storage.walk import AreaResult, Tally

DAY = 86400.0
T0 = 1_780_000_000.0  # a fixed UTC instant


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def result(files: int, nbytes: int, at: float, groups: dict[str, int] | None = None) -> AreaResult:
    g = {k: Tally(files=1, bytes=v, directories=1, size_counts=[1, 0], older_counts=[0]) for k, v in
         (groups or {}).items()}
    return AreaResult("previews", Tally(files=files, bytes=nbytes, directories=3, oldest_mtime=at - 5,
                                        newest_mtime=at - 1, size_counts=[files, 0], older_counts=[0]),
                      g, {"symlink": 0}, 1.5, at)


def test_snapshot_rollover_retention_and_growth(tmp_path: Path) -> None:
    clock = Clock(T0)
    store = SnapshotStore(tmp_path / "s.sqlite3", retention=40 * DAY, clock=clock)
    store.record([result(10, 1000, clock.t, {"a": 600, "b": 400})])
    clock.t += 3600
    # A later scan the same day replaces that day's rows, groups included (b dropped out).
    store.record([result(12, 1200, clock.t, {"a": 1200})])
    rows = store.query(days=1)
    assert [(r.group, r.bytes) for r in rows] == [("", 1200), ("a", 1200)]
    for day in range(1, 31):
        clock.t = T0 + day * DAY
        store.record([result(12 + day, 1200 + 10 * day, clock.t, {"a": 1200 + 10 * day})])
    totals = store.query(days=365, groups=False)
    assert len(totals) == 31 and len({r.day for r in totals}) == 31
    growth = store.growth(clock.t, GROWTH_WINDOWS)
    assert growth[("previews", "", "1d")] == (10, 1)
    assert growth[("previews", "", "7d")] == (70, 7)
    assert growth[("previews", "", "30d")] == (300, 30)
    assert growth[("previews", "a", "30d")] == (300, 0)
    # Retention: 45 days later only the last 40 days survive the next write.
    clock.t = T0 + 75 * DAY
    store.record([result(1, 1, clock.t)])
    days = sorted({r.day for r in store.query()})
    assert len(days) == 1 + sum(1 for d in range(31) if T0 + d * DAY >= clock.t - 40 * DAY - DAY)
    assert store.growth(clock.t, {"1d": 1}) == {}


async def test_snapshots_api_json_and_csv(tmp_path: Path) -> None:
    clock = Clock(T0)
    ctx = Context(registry=CollectorRegistry(auto_describe=True), state_dir=tmp_path)
    sftp = SFTPConfig(host="h", username="u", key_file="/k", known_hosts="/kh",
                      areas=[AreaConfig(name="previews", path="p")])
    scanner = StorageScanner(StorageConfig(sftp=sftp), ctx, clock=clock)
    scanner.store.record([result(10, 1000, T0, {"x": 1000})])
    app = web.Application()
    app.router.add_get("/api/storage/snapshots", scanner.handle_snapshots)
    async with TestClient(TestServer(app)) as client:
        r = await client.get("/api/storage/snapshots?days=7")
        doc = orjson.loads(await r.read())
        assert r.status == 200
        assert doc["snapshots"][0] == {"day": "2026-05-28", "area": "previews", "group": None, "scanned_at": T0,
                                       "files": 10, "bytes": 1000, "directories": 3}
        r = await client.get("/api/storage/snapshots?format=csv&groups=0")
        assert r.headers["Content-Type"].startswith("text/csv")
        assert (await r.text()).splitlines() == ["day,area,group,files,bytes,directories,scanned_at",
                                                 f"2026-05-28,previews,,10,1000,3,{T0:.3f}"]
        r = await client.get("/api/storage/snapshots?days=abc")
        assert r.status == 400
