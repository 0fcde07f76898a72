"""`cflexagent backup` and `backup restore`, and the daily [backup] component."""

from __future__ import annotations

import hashlib
import http.server
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cflexagent.backup.archive import MANIFEST, BackupError, create
from cflexagent.backup.component import BackupScheduler
from cflexagent.cli import main
from cflexagent.component import Context
from cflexagent.config import load
from tests.render.test_apply import Tree, servers, tree  # noqa: F401 (fixtures)


def loki_section(t: Tree) -> str:
    return f'[render.loki]\ndata_dir = "{t.root}/var/lib/loki"\n'


def make_loki_index(t: Tree) -> list[Path]:
    files = [t.root / "var/lib/loki/tsdb-index/uploader/index_20000/1700000000-ingester.tsdb",
             t.root / "var/lib/loki/chunks/index/index_19999/fake-compacted.tsdb.gz"]
    for i, f in enumerate(files):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(bytes([i]) * (100_000 + i))
    return files


@pytest.fixture
def applied(tree: Tree) -> Tree:  # noqa: F811
    tree.write(loki_section(tree))
    assert tree.apply() == 0
    make_loki_index(tree)
    return tree


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        out = {}
        for m in tar.getmembers():
            f = tar.extractfile(m)
            assert f is not None
            out[m.name] = f.read()
        return out


def test_archive_holds_everything_with_checksums(applied: Tree, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "backups"
    assert main(["backup", "-c", str(applied.conf), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    archives = sorted(out.glob("cflexagent-backup-*.tar.gz"))
    assert len(archives) == 1 and f"wrote {archives[0]}" in stdout
    got = members(archives[0])
    manifest = json.loads(got.pop(MANIFEST))
    assert set(manifest["files"]) == set(got)
    for name, data in got.items():
        assert manifest["files"][name]["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert manifest["files"][name]["size"] == len(data)
    r = applied.root
    assert f"live{r}/etc/prometheus/prometheus.yml" in got
    assert got[f"live{r}/etc/prometheus/rules/cflex-alerts.yml"] == \
        (r / "etc/prometheus/rules/cflex-alerts.yml").read_bytes()
    assert "rendered/prometheus/prometheus.yml" in got and "rendered/grafana/grafana.ini" in got
    assert {n for n in got if n.startswith("prometheus-rules/")} == {
        "prometheus-rules/cflex-alerts.yml", "prometheus-rules/cflex-recording.yml", "prometheus-rules/cflex-slos.yml"}
    assert len([n for n in got if n.startswith("grafana-dashboards/")]) == 7
    assert manifest["grafana_dashboards"] == "provisioned"
    index = [n for n in got if n.startswith("loki-index/")]
    assert len(index) == 2 and all(len(got[n]) >= 100_000 for n in index)
    assert manifest["files"][index[0]]["restore_to"].startswith(str(r / "var/lib/loki"))


class _Grafana(http.server.BaseHTTPRequestHandler):
    token = "s3cret-token"

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_response(401)
            self.end_headers()
            return
        if self.path.startswith("/api/search"):
            body: Any = [{"uid": "abc", "title": "Made in the UI", "type": "dash-db"}]
        elif self.path == "/api/dashboards/uid/abc":
            body = {"dashboard": {"uid": "abc", "title": "Made in the UI", "panels": []}, "meta": {}}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def grafana() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Grafana)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_dashboards_come_from_grafanas_api_with_a_token(applied: Tree, tmp_path: Path, grafana: int) -> None:
    (tmp_path / "token").write_text(_Grafana.token + "\n")
    applied.write(loki_section(applied) + f'[backup]\ngrafana_url = "http://127.0.0.1:{grafana}"\n'
                  f'grafana_token_file = "{tmp_path}/token"\n')
    cfg = load(applied.conf)
    r = create(cfg, "x.toml", tmp_path / "b", 3)
    got = members(r.path)
    assert r.dashboards_from == "api"
    assert json.loads(got["grafana-dashboards/abc.json"])["title"] == "Made in the UI"
    assert _Grafana.token.encode() not in b"".join(got.values())
    # A wrong token: Grafana says 401, the provisioned JSON is archived instead.
    (tmp_path / "token").write_text("wrong")
    assert create(cfg, "x.toml", tmp_path / "b", 3).dashboards_from == "provisioned"


def test_keep_n(applied: Tree, tmp_path: Path) -> None:
    out = tmp_path / "b"
    for _ in range(4):
        assert main(["backup", "-c", str(applied.conf), "--out", str(out), "--keep", "2"]) == 0
    assert len(list(out.glob("cflexagent-backup-*.tar.gz"))) == 2
    assert not list(out.glob(".*partial"))


def test_failures_are_one_line_and_leave_no_archive(applied: Tree, tmp_path: Path, capsys: Any) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    assert main(["backup", "-c", str(applied.conf), "--out", str(blocker / "b")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cflexagent: backup failed: cannot create ") and str(blocker) in err
    assert err.count("\n") == 1
    import shutil

    shutil.rmtree(applied.root / "var/lib/loki")
    assert main(["backup", "-c", str(applied.conf), "--out", str(tmp_path / "b2")]) == 1
    err = capsys.readouterr().err
    assert "Loki index not found at" in err and "render.loki.data_dir" in err
    assert not list((tmp_path / "b2").glob("*"))


def test_a_failure_midway_leaves_no_partial_archive(applied: Tree, tmp_path: Path, monkeypatch: Any) -> None:
    from cflexagent.backup import archive

    real = archive._Writer.add_file
    calls = []

    def failing(self: Any, name: str, path: Path, restore_to: str | None = None) -> None:
        calls.append(name)
        if name.startswith("loki-index/"):
            raise BackupError(f"{path}: changed or unreadable while being archived: simulated")
        real(self, name, path, restore_to)

    monkeypatch.setattr(archive._Writer, "add_file", failing)
    out = tmp_path / "b"
    with pytest.raises(BackupError):
        create(load(applied.conf), "x.toml", out, 3)
    assert calls and list(out.iterdir()) == []


def test_restore_round_trips(applied: Tree, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "b"
    assert main(["backup", "-c", str(applied.conf), "--out", str(out)]) == 0
    archive = next(out.glob("*.tar.gz"))
    before = applied.live()
    rules = applied.root / "etc/prometheus/rules/cflex-alerts.yml"
    rules.write_text("groups: []\n")
    (applied.root / "etc/loki/config.yml").unlink()
    capsys.readouterr()
    assert main(["backup", "-c", str(applied.conf), "restore", str(archive), "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert f"would write {rules} (" in dry and "dry run: nothing was written" in dry
    assert rules.read_text() == "groups: []\n"
    assert main(["backup", "-c", str(applied.conf), "restore", str(archive)]) == 0
    assert applied.live() == before
    assert "skipped    2 Loki index files" in capsys.readouterr().out


def test_restore_refuses_tampered_or_foreign_archives(applied: Tree, tmp_path: Path, capsys: Any) -> None:
    import io

    out = tmp_path / "b"
    assert main(["backup", "-c", str(applied.conf), "--out", str(out)]) == 0
    archive = next(out.glob("*.tar.gz"))
    got = members(archive)
    manifest = json.loads(got[MANIFEST])
    evil = tmp_path / "evil.tar.gz"
    # 1. content changed after the manifest was written
    with tarfile.open(evil, "w:gz") as tar:
        for name, data in got.items():
            if name.startswith("live/"):
                data += b"# tampered\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert main(["backup", "-c", str(applied.conf), "restore", str(evil)]) == 1
    assert "checksum mismatch" in capsys.readouterr().err
    # 2. a manifest that points outside the managed locations
    name = next(n for n in got if n.startswith("live/"))
    manifest["files"][name]["restore_to"] = str(tmp_path / "etc-shadow")
    got[MANIFEST] = json.dumps(manifest).encode()
    with tarfile.open(evil, "w:gz") as tar:
        for n, data in got.items():
            info = tarfile.TarInfo(n)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert main(["backup", "-c", str(applied.conf), "restore", str(evil)]) == 1
    assert "outside the configured locations" in capsys.readouterr().err
    assert not (tmp_path / "etc-shadow").exists()


async def test_scheduled_component_counts_success_and_failure(applied: Tree, tmp_path: Path) -> None:
    applied.write(loki_section(applied) + f'[backup]\nenabled = true\nout_dir = "{tmp_path}/b"\nkeep = 2\n'
                  'daily_at = "03:15"\ntimezone = "Asia/Jakarta"\n')
    cfg = load(applied.conf)
    registry = CollectorRegistry()
    ctx = Context(registry=registry, state_dir=tmp_path / "state")
    from cflexagent import backup

    [comp] = backup.build(cfg, ctx)
    assert isinstance(comp, BackupScheduler)
    value = registry.get_sample_value
    assert value("cflexagent_backups_total", {"result": "success"}) == 0
    assert value("cflexagent_backups_total", {"result": "failure"}) == 0
    # Due at the next 03:15 in Jakarta (UTC+7): 20:15 UTC.
    import datetime

    now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC).timestamp()
    assert datetime.datetime.fromtimestamp(comp.due(now), datetime.UTC).strftime("%d %H:%M") == "01 20:15"
    assert await comp.run_once() is not None
    assert value("cflexagent_backups_total", {"result": "success"}) == 1
    assert (value("cflexagent_backup_last_success_timestamp_seconds") or 0) > 0
    assert (value("cflexagent_backup_last_size_bytes") or 0) > 0
    import shutil

    shutil.rmtree(applied.root / "var/lib/loki")
    assert await comp.run_once() is None
    assert value("cflexagent_backups_total", {"result": "failure"}) == 1


def test_the_grafana_token_never_follows_a_redirect(applied: Tree, tmp_path: Path) -> None:
    seen: list[str | None] = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args: Any) -> None:
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)

    class Redirecting(Elsewhere):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{other.server_address[1]}{self.path}")
            self.end_headers()

    first = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (other, first)]
    for t in threads:
        t.start()
    try:
        (tmp_path / "token").write_text("tok")
        applied.write(loki_section(applied) + f'[backup]\ngrafana_url = "http://127.0.0.1:{first.server_address[1]}"'
                      f'\ngrafana_token_file = "{tmp_path}/token"\n')
        r = create(load(applied.conf), "x.toml", tmp_path / "b", 3)
        assert r.dashboards_from == "provisioned"
        assert seen == []
    finally:
        for s in (other, first):
            s.shutdown()
            s.server_close()


async def test_a_timed_out_backup_keeps_no_archive_and_prunes_nothing(applied: Tree, tmp_path: Path,
                                                                      monkeypatch: Any) -> None:
    """asyncio cannot stop the worker thread: without a cancel it went on, renamed its archive and pruned the
    older ones, although the run was counted as failed."""
    import asyncio

    from cflexagent.backup import archive, component

    out = tmp_path / "b"
    out.mkdir()
    older = out / "cflexagent-backup-20000101T000000Z.tar.gz"
    older.write_bytes(b"an older archive, pruned by keep = 1 after a successful run")
    applied.write(loki_section(applied) + f'[backup]\nenabled = true\nout_dir = "{out}"\nkeep = 1\ntimeout = "1s"\n')
    release, finished = threading.Event(), threading.Event()
    real_add, real_create = archive._Writer.add_file, component.create

    def slow(self: Any, name: str, path: Path, restore_to: str | None = None) -> None:
        if name.startswith("loki-index/"):
            release.wait(60)  # a large Loki index, still being read when the timeout strikes
        real_add(self, name, path, restore_to)

    def watched(*args: Any, **kw: Any) -> Any:
        try:
            return real_create(*args, **kw)
        finally:
            finished.set()

    monkeypatch.setattr(archive._Writer, "add_file", slow)
    monkeypatch.setattr(component, "create", watched)
    registry = CollectorRegistry()
    comp = BackupScheduler(load(applied.conf), Context(registry=registry, state_dir=tmp_path / "state"))
    assert await comp.run_once() is None
    assert registry.get_sample_value("cflexagent_backups_total", {"result": "failure"}) == 1
    release.set()
    assert await asyncio.to_thread(finished.wait, 60)
    assert sorted(p.name for p in out.iterdir()) == [older.name]  # no new archive, no partial, nothing pruned


def test_restore_adopts_its_files_and_reloads_prometheus(servers: Tree, tmp_path: Path,  # noqa: F811
                                                        capsys: Any) -> None:
    """Backup at 85 %, apply 93 %, restore: Prometheus is reloaded with the restored rules, the manifest
    records them (so the next apply swaps 93 % back in instead of refusing them as hand-edited)."""
    from tests.render.test_apply import _cpu_rule

    t = servers
    t.write('[backup]\nloki_index = false\n')
    out = tmp_path / "b"
    assert main(["backup", "-c", str(t.conf), "--out", str(out)]) == 0
    archive = next(out.glob("*.tar.gz"))
    t.write('[backup]\nloki_index = false\n[render.thresholds]\ncpu = "93%"\n')
    assert t.apply() == 0 and _cpu_rule(t).endswith("> 0.93")
    capsys.readouterr()
    assert main(["backup", "-c", str(t.conf), "restore", str(archive)]) == 0
    said = capsys.readouterr().out
    assert "reloaded   prometheus: reloaded (POST /-/reload; runtimeinfo: reloadConfigSuccess" in said, said
    assert "reloaded   alertmanager: reloaded (POST /-/reload; /api/v2/status shows the new config)" in said
    assert _cpu_rule(t).endswith("> 0.85")
    assert t.apply() == 0
    assert _cpu_rule(t).endswith("> 0.93")


def test_dashboards_from_the_api_are_named_for_import(applied: Tree, tmp_path: Path, grafana: int,
                                                      capsys: Any) -> None:
    (tmp_path / "token").write_text(_Grafana.token)
    applied.write(loki_section(applied) + f'[backup]\ngrafana_url = "http://127.0.0.1:{grafana}"\n'
                  f'grafana_token_file = "{tmp_path}/token"\n')
    r = create(load(applied.conf), "x.toml", tmp_path / "b", 3)
    capsys.readouterr()
    assert main(["backup", "-c", str(applied.conf), "restore", str(r.path), "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert f"for import 1 Grafana dashboards from its API (kept in Grafana's database, not restored as files): " \
           f"`tar -xzf {r.path} -C DIR grafana-dashboards/`" in said
