"""Daily snapshots (rollover across days with an injected clock, retention, growth, the HTTP API)
and the cPanel UAPI quota client against a local HTTPS double (trustme)."""

from __future__ import annotations

import ssl
from pathlib import Path

import orjson
import pytest
import trustme
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry, generate_latest

from cflexagent.component import Context
from cflexagent.configtypes import Duration
from cflexagent.storage.config import AreaConfig, QuotaConfig, SFTPConfig, StorageConfig
from cflexagent.storage.metrics import GROWTH_WINDOWS
from cflexagent.storage.quota import QuotaError, QuotaPoller, fetch_quota, parse_quota
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


# -- quota ---------------------------------------------------------------------

DOCUMENTED = {  # UAPI Quota::get_quota_info over /execute, as in cPanel's documentation
    "messages": None, "errors": None, "status": 1, "metadata": {}, "warnings": None,
    "data": {"under_quota_overall": "1", "megabytes_remain": "0.00", "inodes_remain": "0",
             "megabyte_limit": "1024.00", "inode_limit": "250000", "inodes_used": 1035,
             "megabytes_used": "5.46", "under_inode_limit": "1", "under_megabyte_limit": "1"},
}


def test_parse_quota_shapes() -> None:
    q = parse_quota(DOCUMENTED)
    assert q == {"used_bytes": round(5.46 * 1048576), "limit_bytes": 1024 * 1048576,
                 "used_inodes": 1035.0, "limit_inodes": 250000.0}
    # The `uapi` command-line shape wraps the same object in "result", with numbers.
    wrapped = {"apiversion": 3, "func": "get_quota_info", "module": "Quota", "result": {
        "data": {"inode_limit": 0, "inodes_remain": 0, "inodes_used": 1035, "megabyte_limit": 0,
                 "megabytes_remain": 0, "megabytes_used": 5.46}, "errors": None, "status": 1}}
    assert parse_quota(wrapped)["limit_bytes"] == 0
    with pytest.raises(QuotaError) as ei:
        parse_quota({"status": 0, "errors": ["The API token is not valid."], "data": None})
    assert ei.value.reason == "api" and "token is not valid" in str(ei.value)
    with pytest.raises(QuotaError):
        parse_quota({"status": 1, "data": {"megabytes_used": "lots"}})


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, str]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server_ctx, str(ca_file)


async def test_quota_over_https(tmp_path: Path, tls: tuple[ssl.SSLContext, str]) -> None:
    server_ctx, ca_file = tls
    seen: list[str] = []
    answer: dict[str, object] = {"status": 200, "body": DOCUMENTED}

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.Response(status=int(answer["status"]),  # type: ignore[call-overload]
                            body=orjson.dumps(answer["body"]), content_type="application/json")

    app = web.Application()
    app.router.add_get("/execute/Quota/get_quota_info", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    token = tmp_path / "token"
    token.write_text("ABCDEF123\n")
    cfg = QuotaConfig(url=f"https://127.0.0.1:{port}", username="cflex", token_file=str(token), ca_file=ca_file,
                      timeout=Duration(20.0))
    try:
        q = await fetch_quota(cfg)
        assert seen == ["cpanel cflex:ABCDEF123"]
        assert q["used_inodes"] == 1035 and q["limit_bytes"] == 1024 * 1048576
        registry = CollectorRegistry(auto_describe=True)
        poller = QuotaPoller(cfg, Context(registry=registry, state_dir=tmp_path))
        assert await poller.poll_once()
        assert registry.get_sample_value("cflexagent_storage_quota_used_bytes") == round(5.46 * 1048576)
        assert registry.get_sample_value("cflexagent_storage_quota_limit_inodes") == 250000
        assert registry.get_sample_value("cflexagent_storage_quota_last_success_timestamp_seconds") > 0
        answer["status"] = 403
        assert not await poller.poll_once()
        assert registry.get_sample_value("cflexagent_storage_quota_errors_total", {"reason": "auth"}) == 1
        assert "cflexagent_storage_quota_used_bytes" in generate_latest(registry).decode()
        # Without the CA the self-signed double is not trusted.
        with pytest.raises(QuotaError) as ei:
            await fetch_quota(QuotaConfig(url=cfg.url, username="cflex", token_file=str(token)))
        assert ei.value.reason in ("connect", "http")
    finally:
        await runner.cleanup()


async def test_a_bad_ca_file_is_a_config_error_not_a_crash(tmp_path: Path, tls: tuple[ssl.SSLContext, str]) -> None:
    from cflexagent.config import parse
    from cflexagent.storage import check

    server_ctx, _ = tls
    hits: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=orjson.dumps(DOCUMENTED), content_type="application/json")

    app = web.Application()
    app.router.add_get("/execute/Quota/get_quota_info", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    token = tmp_path / "token"
    token.write_text("ABCDEF123\n")
    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("this is no certificate\n")
    registry = CollectorRegistry(auto_describe=True)
    ctx = Context(registry=registry, state_dir=tmp_path)
    try:
        for ca_file, words in ((not_pem, "no usable PEM certificate"), (tmp_path, "cannot read ca_file")):
            cfg = QuotaConfig(url=f"https://127.0.0.1:{port}", username="cflex", token_file=str(token),
                              ca_file=str(ca_file), timeout=Duration(20.0))
            with pytest.raises(QuotaError) as ei:
                await fetch_quota(cfg)
            assert ei.value.reason == "config" and words in str(ei.value)
            # The poller counts and logs it, and keeps running (it used to crash-loop with a traceback).
            poller = QuotaPoller(cfg, ctx)
            assert not await poller.poll_once()
        assert registry.get_sample_value("cflexagent_storage_quota_errors_total", {"reason": "config"}) == 2
        assert hits == []
    finally:
        await runner.cleanup()
    # `cflexagent check` reports a readable file that is no CA bundle.
    config = parse(f'[storage.cpanel_quota]\nurl = "https://127.0.0.1:{port}"\nusername = "cflex"\n'
                   f'token_file = "{token}"\nca_file = "{not_pem}"\n', "x.toml")
    problems = check(config)
    errors = [p.message for p in problems if p.severity == "error"]
    assert errors == [f"storage.cpanel_quota.ca_file: ca_file {not_pem} holds no usable PEM certificate "
                      "(NO_CERTIFICATE_OR_CRL_FOUND)"]
