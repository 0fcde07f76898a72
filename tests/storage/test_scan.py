"""Scans against the real OpenSSH sshd: totals, odd names, symlinks, denied and vanishing entries,
host-key pinning, login backoff (also with a damaged or unwritable state file, and after connection
failures), a server killed mid-scan, an unexpected error mid-walk, cancellation."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import asyncssh
import orjson
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from cflexagent.component import Context
from cflexagent.configtypes import Duration
from cflexagent.storage import backoff
from cflexagent.storage.config import AreaConfig, StorageConfig
from cflexagent.storage.localsshd import LocalSSHD
from cflexagent.storage.sftp import ScanError, StorageScanner, load_backoff, scan
from tests.conftest import free_port

from .conftest import local_totals, sftp_config


def _denied(tree: Path) -> bytes:
    return os.path.join(os.fsencode(tree), b"gamma", b"private")


async def test_totals_equal_local_walk(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    cfg = sftp_config(sshd, tree)
    outcome = await scan(cfg, tmp_path)
    r = outcome.results["tree"]
    want = local_totals(tree, 1, exclude=(_denied(tree),))
    assert (r.total.files, r.total.bytes, r.total.directories) == (want["files"], want["bytes"], want["directories"])
    assert r.skipped["symlink"] == want["symlinks"] == 2
    assert r.skipped["permission_denied"] == 1
    assert r.skipped["vanished"] == 0
    got_groups = {g: [t.files, t.bytes, t.directories] for g, t in r.groups.items()}
    assert got_groups == want["groups"]
    # The Latin-1 directory name is its own group, escaped for the label, never dropped.
    assert "caf\\xe9-latin1" in got_groups
    assert sum(r.total.size_counts) == r.total.files
    assert outcome.area_errors == {}


async def test_area_total_without_groups_and_missing_area(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    cfg = sftp_config(sshd, tree, areas=[AreaConfig(name="all", path=str(tree)),
                                         AreaConfig(name="gone", path=str(tree / "no-such-dir"))])
    outcome = await scan(cfg, tmp_path)
    want = local_totals(tree, 0, exclude=(_denied(tree),))
    assert outcome.results["all"].total.files == want["files"]
    assert outcome.results["all"].groups == {}
    assert "gone" not in outcome.results and "vanished" in outcome.area_errors["gone"]


async def test_entries_vanishing_during_the_walk(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    victim = os.path.join(os.fsencode(tree), b"beta", b"sub1")
    removed = []

    async def after_listing(path: bytes) -> None:
        # The parent was listed with sub1 in it; sub1 disappears before it is opened.
        if path.endswith(b"/beta") and not removed:
            shutil.rmtree(victim)
            removed.append(path)

    cfg = sftp_config(sshd, tree, max_concurrency=1)
    outcome = await scan(cfg, tmp_path, after_listing=after_listing)
    r = outcome.results["tree"]
    assert removed and r.skipped["vanished"] == 1
    want = local_totals(tree, 1, exclude=(_denied(tree),))
    assert (r.total.files, r.total.bytes) == (want["files"], want["bytes"])


async def test_host_key_mismatch_is_refused_with_fingerprint(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519")
    kh = tmp_path / "known_hosts"
    kh.write_bytes(b"[127.0.0.1]:%d " % sshd.port + other.export_public_key())
    cfg = sftp_config(sshd, tree, known_hosts=str(kh))
    with pytest.raises(ScanError) as ei:
        await scan(cfg, tmp_path)
    server_fp = asyncssh.read_public_key(str(sshd.host_key.with_suffix(".pub"))).get_fingerprint("sha256")
    assert ei.value.reason == "host_key"
    assert server_fp in str(ei.value) and "storage trust" in str(ei.value)
    # A missing known_hosts file is no invitation to accept anything either.
    with pytest.raises(ScanError) as ei:
        await scan(sftp_config(sshd, tree, known_hosts=str(tmp_path / "absent")), tmp_path)
    assert ei.value.reason == "host_key"


async def test_wrong_key_one_attempt_then_persisted_backoff(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_key"
    wrong.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    state = tmp_path / "state"
    log_start = len(sshd.log_file.read_text())
    cfg = sftp_config(sshd, tree, key_file=str(wrong), auth_backoff=Duration(900.0))
    with pytest.raises(ScanError) as ei:
        await scan(cfg, state)
    assert ei.value.reason == "auth"
    b = backoff.load(state, backoff.target_of(cfg.username, cfg.host, cfg.port), 900.0)
    assert b.failures == 1 and b.until > 0
    # The next scans (the agent after a restart, the CLI) do not even connect.
    for _ in range(3):
        with pytest.raises(ScanError) as ei:
            await scan(cfg, state)
        assert ei.value.reason == "auth_backoff"
    log = sshd.log_file.read_text()[log_start:]
    assert log.count("Connection from 127.0.0.1") == 1
    assert log.count("Failed publickey") == 1
    # --force with the wrong key again: one more attempt, and the backoff doubles.
    with pytest.raises(ScanError):
        await scan(cfg, state, force=True)
    b2 = backoff.load(state, b.target, 900.0)
    assert b2.failures == 2 and b2.until - b2.last_failure == pytest.approx(1800.0)
    # The right key with --force logs in and clears the backoff.
    good = sftp_config(sshd, tree)
    await scan(good, state, force=True)
    assert backoff.load(state, b.target, 900.0).failures == 0


def _ctx(tmp_path: Path) -> Context:
    return Context(registry=CollectorRegistry(auto_describe=True), state_dir=tmp_path / "state")


async def test_server_killed_mid_scan_keeps_previous_totals(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    storage = StorageConfig(sftp=sftp_config(sshd, tree, connect_backoff=Duration(3600.0)))
    scanner = StorageScanner(storage, ctx)
    stop = asyncio.Event()
    await scanner._scan_once(stop)
    first = scanner.metrics.published.areas["tree"]
    text = generate_latest(ctx.registry).decode()
    assert f'cflexagent_storage_files{{area="tree"}} {float(first.total.files)}' in text

    async def crash(path: bytes) -> None:
        if path.endswith(b"/alpha"):
            await asyncio.to_thread(sshd.kill)

    scanner.after_listing = crash
    await scanner._scan_once(stop)
    assert scanner.metrics.published.areas["tree"] is first
    text = generate_latest(ctx.registry).decode()
    assert 'cflexagent_storage_scans_total{result="failure"} 1.0' in text
    assert f'cflexagent_storage_last_success_timestamp_seconds{{area="tree"}} {first.finished_at!r}' in text \
        or "cflexagent_storage_last_success_timestamp_seconds" in text
    assert f'cflexagent_storage_files{{area="tree"}} {float(first.total.files)}' in text
    assert 'cflexagent_storage_scan_errors_total{reason="disconnected"} 1.0' in text


async def test_metrics_exposition(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    scanner = StorageScanner(StorageConfig(sftp=sftp_config(sshd, tree)), ctx)
    await scanner._scan_once(asyncio.Event())
    text = generate_latest(ctx.registry).decode()
    r = scanner.metrics.published.areas["tree"]
    assert f'cflexagent_storage_file_size_bytes_bucket{{area="tree",le="+Inf"}} {float(r.total.files)}' in text
    assert f'cflexagent_storage_file_size_bytes_gcount{{area="tree"}} {float(r.total.files)}' in text
    assert 'cflexagent_storage_group_files{area="tree",group="alpha"}' in text
    assert 'cflexagent_storage_files_older_than{age="30d",area="tree"} 0.0' in text
    assert 'cflexagent_storage_skipped_entries{area="tree",reason="symlink"} 2.0' in text
    assert "cflexagent_storage_oldest_file_mtime_seconds" in text
    # A restarted agent shows the stored scan before its own first scan.
    again = StorageScanner(StorageConfig(sftp=sftp_config(sshd, tree)), _ctx(tmp_path))
    from cflexagent.storage.sftp import restore_from_snapshots

    restore_from_snapshots(again.metrics.published, again.store, again.cfg)
    assert again.metrics.published.areas["tree"].total.files == r.total.files


async def test_shutdown_cancels_a_running_scan_quickly(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    scanner = StorageScanner(StorageConfig(sftp=sftp_config(sshd, tree)), ctx)
    entered = asyncio.Event()

    async def hang(path: bytes) -> None:
        entered.set()
        await asyncio.Event().wait()

    scanner.after_listing = hang
    stop = asyncio.Event()
    task = asyncio.create_task(scanner.run(stop))
    await asyncio.wait_for(entered.wait(), 60)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert scanner.metrics.published.areas == {}
    assert "/api/storage/snapshots" not in ctx.routes


async def test_an_unexpected_error_mid_walk_fails_the_scan_at_once(sshd: LocalSSHD, tree: Path,
                                                                  tmp_path: Path) -> None:
    async def broken(path: bytes) -> None:
        if path.endswith(b"/alpha"):
            raise RuntimeError("bug while listing")

    # A worker that died silently used to leave the scan waiting for storage.sftp.timeout.
    cfg = sftp_config(sshd, tree, timeout=Duration(900.0))
    with pytest.raises(ScanError) as ei:
        await asyncio.wait_for(scan(cfg, tmp_path, after_listing=broken), 60)
    assert ei.value.reason == "internal"
    assert "RuntimeError: bug while listing" in str(ei.value)


def _wrong_key(tmp_path: Path) -> str:
    wrong = tmp_path / "wrong_key"
    wrong.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    return str(wrong)


async def test_auth_failure_after_connection_failures_waits_out_the_login_backoff(
        sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    key = _wrong_key(tmp_path)
    down = sftp_config(sshd, tree, port=free_port(), key_file=key, connect_backoff=Duration(60.0))
    scanner = StorageScanner(StorageConfig(sftp=down), ctx)
    await scanner._scan_once(asyncio.Event())
    assert ctx.registry.get_sample_value("cflexagent_storage_scan_errors_total", {"reason": "connect"}) == 1
    # The server is reachable again (the config now names it) and refuses the key.
    up = sftp_config(sshd, tree, key_file=key, connect_backoff=Duration(60.0), auth_backoff=Duration(900.0))
    assert scanner.reconfigure(StorageScanner(StorageConfig(sftp=up), ctx))
    await scanner._scan_once(asyncio.Event())
    assert ctx.registry.get_sample_value("cflexagent_storage_scan_errors_total", {"reason": "auth"}) == 1
    b = load_backoff(up, ctx.state_dir)
    now = time.time()
    assert b.active(now)
    # The connect retry (one minute) must not wake the scanner inside the 15-minute login backoff.
    assert scanner.next_scan(now) >= b.until


async def test_an_unreadable_backoff_file_pauses_logins(sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    cfg = sftp_config(sshd, tree, auth_backoff=Duration(900.0))
    p = backoff.path_for(state)
    p.parent.mkdir(parents=True)
    p.write_bytes(b'{"version": 1, "targets": {\x00 damaged')
    log_start = len(sshd.log_file.read_text())
    with pytest.raises(ScanError) as ei:
        await scan(cfg, state)
    assert ei.value.reason == "auth_backoff" and "unreadable backoff state" in str(ei.value)
    assert "Connection from" not in sshd.log_file.read_text()[log_start:]
    b = load_backoff(cfg, state)
    assert b.until == pytest.approx(p.stat().st_mtime + 900.0)
    # A malformed entry for this target is no unlock either.
    p.write_bytes(orjson.dumps({"version": 1, "targets": {b.target: "x"}}))
    assert load_backoff(cfg, state).active(time.time())
    # Once auth_backoff has passed since the damage, one login goes ahead; its success rewrites the file.
    past = time.time() - 3600
    os.utime(p, (past, past))
    await scan(cfg, state)
    assert load_backoff(cfg, state).failures == 0
    assert orjson.loads(p.read_bytes()) == {"version": 1, "targets": {}}
    assert sshd.log_file.read_text()[log_start:].count("Connection from 127.0.0.1") == 1


async def test_a_backoff_that_cannot_be_written_is_kept_in_memory_and_counted(
        sshd: LocalSSHD, tree: Path, tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    # A non-empty directory where the state file belongs: reading and renaming over it both fail.
    p = backoff.path_for(ctx.state_dir)
    (p / "in-the-way").mkdir(parents=True)
    past = time.time() - 86400
    os.utime(p, (past, past))
    cfg = sftp_config(sshd, tree, key_file=_wrong_key(tmp_path), auth_backoff=Duration(900.0))
    log_start = len(sshd.log_file.read_text())
    scanner = StorageScanner(StorageConfig(sftp=cfg), ctx)
    await scanner._scan_once(asyncio.Event())  # used to raise the OSError and crash the component
    v = ctx.registry.get_sample_value
    assert v("cflexagent_storage_scan_errors_total", {"reason": "auth"}) == 1
    assert v("cflexagent_storage_backoff_write_errors_total") == 1
    assert v("cflexagent_storage_login_backoff_until_timestamp_seconds") > time.time()  # type: ignore[operator]
    # A restarted component, or the CLI in this process, still waits.
    with pytest.raises(ScanError) as ei:
        await scan(cfg, ctx.state_dir)
    assert ei.value.reason == "auth_backoff"
    assert sshd.log_file.read_text()[log_start:].count("Connection from 127.0.0.1") == 1
