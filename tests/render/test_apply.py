"""`cflexagent apply` against a temporary tree standing in for /etc and /var/lib, and against a real Prometheus
and a real Alertmanager started from the swapped files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cflexagent.cli import main
from tests.conftest import free_port, wait_http

from .conftest import tool

ROOT = Path(__file__).resolve().parents[2]


class Tree:
    """A config whose every live path is under one temporary root."""

    def __init__(self, root: Path, extra: str = "", prom_port: int = 0, am_port: int = 0) -> None:
        self.root = root
        self.prom_port = prom_port or free_port()
        self.am_port = am_port or free_port()
        root.mkdir(parents=True, exist_ok=True)
        self.conf = root / "cflexagent.toml"
        self.extra = extra
        #: Extra keys of [render.apply] (pid files, a shorter reload_timeout).
        self.apply_keys = 'reload_timeout = "10s"\n'
        self.write()

    def write(self, extra: str | None = None) -> None:
        if extra is not None:
            self.extra = extra
        r = self.root
        self.conf.write_text(f"""
[agent]
state_dir = "{r}/var/lib/cflexagent"
[render.prometheus]
listen = "127.0.0.1:{self.prom_port}"
scrape_interval = "1s"
evaluation_interval = "1s"
scrape_timeout = "1s"
[render.alertmanager]
listen = "127.0.0.1:{self.am_port}"
[render.nginx]
enabled = false
[render.apply]
keep_backups = 2
{self.apply_keys}prometheus_unit = "cflex-test-no-such-unit"
alertmanager_unit = "cflex-test-no-such-unit"
nginx_unit = "cflex-test-no-such-unit"
loki_unit = "cflex-test-no-such-unit"
[render.paths]
prometheus_dir = "{r}/etc/prometheus"
prometheus_defaults = "{r}/etc/default/prometheus"
alertmanager_dir = "{r}/etc/prometheus"
alertmanager_defaults = "{r}/etc/default/prometheus-alertmanager"
loki_dir = "{r}/etc/loki"
grafana_provisioning_dir = "{r}/etc/grafana/provisioning"
grafana_dashboards_dir = "{r}/var/lib/grafana/dashboards/cflex"
nginx_sites_available = "{r}/etc/nginx/sites-available"
nginx_sites_enabled = "{r}/etc/nginx/sites-enabled"
systemd_dir = "{r}/etc/systemd/system"
""" + self.extra)

    def live(self) -> dict[str, bytes]:
        out = {}
        for base in ("etc", "var/lib/grafana"):
            for p in sorted((self.root / base).rglob("*")):
                if p.name.endswith(".cflexagent-new"):
                    continue  # staged next to the live file; no reader's glob matches it (a dot file)
                if p.is_file() or p.is_symlink():
                    out[str(p.relative_to(self.root))] = p.read_bytes() if p.is_file() else b"->" + os.readlink(
                        p).encode()
        return out

    def mtimes(self) -> dict[str, int]:
        return {str(p): p.stat().st_mtime_ns for p in (self.root / "etc").rglob("*") if p.is_file()}

    def apply(self, *args: str) -> int:
        return main(["apply", "-c", str(self.conf), *args])


def without_warnings(err: str) -> str:
    """stderr without the config's warnings (this config derives no cflex_* series the rules read)."""
    return "".join(line for line in err.splitlines(keepends=True) if ": warning: " not in line)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    tool("promtool")
    tool("amtool")
    return Tree(tmp_path / "root")


def test_valid_set_is_swapped_into_every_location(tree: Tree, capsys: Any) -> None:
    assert tree.apply() == 0
    out = capsys.readouterr().out
    live = tree.live()
    for rel in ("etc/prometheus/prometheus.yml", "etc/prometheus/rules/cflex-alerts.yml",
                "etc/prometheus/alertmanager.yml", "etc/prometheus/cflex-templates/cflex.tmpl",
                "etc/default/prometheus", "etc/default/prometheus-alertmanager", "etc/loki/config.yml",
                "etc/grafana/provisioning/datasources/cflex.yml", "var/lib/grafana/dashboards/cflex/cflex-infra.json"):
        assert rel in live, rel
    assert "etc/grafana/grafana.ini" not in live  # a fragment, merged by hand
    for line in ("validated  promtool check config prometheus/prometheus.yml", "swapped    prometheus:",
                 "reloaded   prometheus: not running", "swapped    alertmanager:", "swapped    loki:",
                 "reloaded   loki: changed: Loki reads its config only at start", "swapped    grafana:"):
        assert line in out, (line, out)
    assert not list(tree.root.rglob("*.cflexagent-new"))


def test_unchanged_files_are_not_touched(tree: Tree, capsys: Any) -> None:
    assert tree.apply() == 0
    before = tree.mtimes()
    capsys.readouterr()
    assert tree.apply() == 0
    assert tree.mtimes() == before
    out = capsys.readouterr().out
    assert "unchanged  prometheus" in out and "swapped" not in out


def test_an_invalid_render_swaps_nothing(tree: Tree, capsys: Any) -> None:
    assert tree.apply() == 0
    good = tree.live()
    # A selector Prometheus cannot parse: promtool rejects the rule file in the staging directory.
    tree.write('[[render.slos]]\nname = "api"\ntype = "errors"\nobjective = "99%"\nmetric = "x_total"\n'
               "error_selector = 'code=~\"(\"'\n")
    capsys.readouterr()
    assert tree.apply() == 1
    out = capsys.readouterr().out
    assert "FAILED     promtool check rules prometheus/rules/cflex-slos.yml" in out
    assert "nothing was changed" in out
    assert tree.live() == good


def test_changed_threshold_swaps_and_keeps_backups(tree: Tree, capsys: Any) -> None:
    assert tree.apply() == 0
    old_alerts = (tree.root / "etc/prometheus/rules/cflex-alerts.yml").read_bytes()
    for n, cpu in enumerate(("90%", "91%", "92%")):
        tree.write(f'[render.thresholds]\ncpu = "{cpu}"\n')
        assert tree.apply("--only", "prometheus") == 0
        assert f"> {0.9 + n / 100:g}" in (tree.root / "etc/prometheus/rules/cflex-alerts.yml").read_text()
    backups = sorted((tree.root / "var/lib/cflexagent/apply/backups").glob("*-prometheus"))
    assert len(backups) == 2  # keep_backups = 2: the first apply's backup is gone
    index = json.loads((backups[0] / "index.json").read_text())["files"]
    first = index[str(tree.root / "etc/prometheus/rules/cflex-alerts.yml")]
    assert Path(first["copy"]).read_bytes() != old_alerts  # the oldest kept is the 90% one
    assert "0.9" in Path(first["copy"]).read_text()


def test_hand_edited_file_is_refused_without_force(tree: Tree, capsys: Any) -> None:
    assert tree.apply() == 0
    target = tree.root / "etc/prometheus/prometheus.yml"
    target.write_text(target.read_text() + "# tuned by hand\n")
    tree.write('[render.thresholds]\ncpu = "90%"\n')
    capsys.readouterr()
    assert tree.apply() == 1
    out = capsys.readouterr().out
    assert f"refused    prometheus: {target}: edited by hand since cflexagent wrote it" in out
    assert "-# tuned by hand" in out  # the diff
    assert target.read_text().endswith("# tuned by hand\n")
    assert "> 0.85" in (tree.root / "etc/prometheus/rules/cflex-alerts.yml").read_text()  # nothing swapped
    assert tree.apply("--force") == 0
    assert not target.read_text().endswith("# tuned by hand\n")


def test_a_file_cflexagent_never_wrote_is_refused_without_force(tree: Tree, capsys: Any) -> None:
    debian = tree.root / "etc/prometheus/prometheus.yml"
    debian.parent.mkdir(parents=True)
    debian.write_text("# Debian's sample config\nglobal: {}\n")
    assert tree.apply() == 1
    assert "not written by cflexagent" in capsys.readouterr().out
    assert tree.apply("--force") == 0
    backups = list((tree.root / "var/lib/cflexagent/apply/backups").glob("*-prometheus/files/**/prometheus.yml"))
    assert [b.read_text() for b in backups] == ["# Debian's sample config\nglobal: {}\n"]


def test_dry_run_changes_nothing_and_prints_the_diff(tree: Tree, capsys: Any) -> None:
    assert tree.apply() == 0
    before, mtimes = tree.live(), tree.mtimes()
    tree.write('[render.thresholds]\ncpu = "90%"\n')
    capsys.readouterr()
    assert tree.apply("--dry-run") == 0
    out = capsys.readouterr().out
    assert "-    expr: instance:node_cpu_utilisation:rate5m > 0.85" in out
    assert "+    expr: instance:node_cpu_utilisation:rate5m > 0.9" in out
    assert "dry run: nothing was changed" in out
    assert tree.live() == before and tree.mtimes() == mtimes


def test_removed_files_are_removed_and_the_nginx_site_is_linked(tree: Tree, tmp_path: Path, capsys: Any) -> None:
    import trustme

    tool("nginx")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "c.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "k.pem"))
    nginx = f'[render.nginx]\nenabled = true\ncert_file = "{tmp_path}/c.pem"\nkey_file = "{tmp_path}/k.pem"\n'
    tree.write(tree.extra.replace("[render.nginx]\nenabled = false\n", "") + "[render.longterm]\nenabled = true\n")
    text = tree.conf.read_text().replace("[render.nginx]\nenabled = false\n", nginx)
    tree.conf.write_text(text)
    assert tree.apply() == 0
    link = tree.root / "etc/nginx/sites-enabled/cflex-monitoring"
    assert os.readlink(link) == str(tree.root / "etc/nginx/sites-available/cflex-monitoring")
    assert (tree.root / "etc/prometheus/longterm.yml").exists()
    assert (tree.root / "etc/systemd/system/prometheus-longterm.service").exists()
    tree.conf.write_text(text.replace("[render.longterm]\nenabled = true\n", ""))
    assert tree.apply() == 0
    assert not (tree.root / "etc/prometheus/longterm.yml").exists()
    assert not (tree.root / "etc/systemd/system/prometheus-longterm.service").exists()


def test_an_unwritable_location_names_the_path(tree: Tree, capsys: Any) -> None:
    blocker = tree.root / "etc" / "loki"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where a directory should be")
    assert tree.apply() == 1
    err = without_warnings(capsys.readouterr().err)
    assert err.startswith("cflexagent: apply: ") and str(blocker) in err and "Traceback" not in err
    assert err.count("\n") == 1


# -- kill -9 at every step -------------------------------------------------------------------


@pytest.mark.parametrize("step", ["backed-up", "staged", "journal", "swapping", "swapped"])
def test_kill_9_at_any_step_leaves_old_or_new_after_rerun(tree: Tree, step: str) -> None:
    assert tree.apply() == 0
    old = tree.live()
    tree.write('[render.thresholds]\ncpu = "90%"\nmemory = "90%"\n[render.loki]\nretention = "40d"\n')
    env = {**os.environ, "CFLEXAGENT_APPLY_PAUSE": step}
    proc = subprocess.Popen([sys.executable, "-m", "cflexagent", "apply", "-c", str(tree.conf)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        seen.append(line.decode())
        if line.startswith(b"paused at"):
            break
        assert time.monotonic() < deadline
    assert seen and seen[-1].startswith(f"paused at {step}"), seen
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()
    middle = tree.live()
    changed = {k for k in middle if middle[k] != old.get(k)}
    if step in ("backed-up", "staged"):
        assert changed == set(), "nothing live may change before the journal exists"
    assert tree.apply() == 0
    new = tree.live()
    assert "> 0.9" in new["etc/prometheus/rules/cflex-alerts.yml"].decode()
    assert "retention_period: 40d" in new["etc/loki/config.yml"].decode()
    assert not list(tree.root.rglob("*.cflexagent-new"))
    assert not (tree.root / "var/lib/cflexagent/apply/journal.json").exists()
    # A further run finds nothing to do: every file is the one the manifest records.
    assert tree.apply() == 0 and tree.live() == new


# -- real Prometheus and Alertmanager --------------------------------------------------------


def _start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as f:
        return subprocess.Popen(argv, stdout=f, stderr=f)


@pytest.fixture
def servers(tree: Tree) -> Iterator[Tree]:
    assert tree.apply() == 0
    r = tree.root
    procs = [
        _start([tool("prometheus"), f"--config.file={r}/etc/prometheus/prometheus.yml",
                f"--storage.tsdb.path={r}/tsdb", f"--web.listen-address=127.0.0.1:{tree.prom_port}",
                "--web.enable-lifecycle"], r / "prometheus.log"),
        _start([tool("prometheus-alertmanager"), f"--config.file={r}/etc/prometheus/alertmanager.yml",
                f"--storage.path={r}/am", f"--web.listen-address=127.0.0.1:{tree.am_port}",
                "--cluster.listen-address="], r / "alertmanager.log"),
    ]
    try:
        wait_http(f"http://127.0.0.1:{tree.prom_port}/-/ready", procs[0])
        wait_http(f"http://127.0.0.1:{tree.am_port}/-/ready", procs[1])
        yield tree
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


def _cpu_rule(tree: Tree) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{tree.prom_port}/api/v1/rules", timeout=5) as r:
        groups = json.load(r)["data"]["groups"]
    return next(rule["query"] for g in groups for rule in g["rules"] if rule["name"] == "NodeCPUHighUsage")


def _kill_9_at(tree: Tree, step: str) -> None:
    """Run apply in a child that stops at ``step`` (CFLEXAGENT_APPLY_PAUSE), and kill -9 it there."""
    env = {**os.environ, "CFLEXAGENT_APPLY_PAUSE": step}
    proc = subprocess.Popen([sys.executable, "-m", "cflexagent", "apply", "-c", str(tree.conf)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line.decode())
        if line.startswith(b"paused at"):
            break
    assert seen and seen[-1].startswith(f"paused at {step}"), seen
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()


@pytest.mark.parametrize("step", ["swapping", "swapped"])
def test_a_swap_recovered_after_kill_9_is_reloaded(servers: Tree, step: str, capsys: Any) -> None:
    """The crash comes after the new rules are (being) swapped in but before Prometheus reloads: the next run
    finds every file unchanged, and must still reload and check Prometheus."""
    tree = servers
    tree.write('[render.thresholds]\ncpu = "93%"\n')
    _kill_9_at(tree, step)
    assert _cpu_rule(tree).endswith("> 0.85")  # nobody reloaded it
    capsys.readouterr()
    assert tree.apply() == 0
    out = capsys.readouterr().out
    assert "recovered  prometheus: " in out
    assert "reloaded   prometheus: reloaded (POST /-/reload; runtimeinfo: reloadConfigSuccess" in out, out
    assert "unchanged  prometheus" in out  # the plan itself has nothing left to swap
    assert _cpu_rule(tree).endswith("> 0.93")
    assert not (tree.root / "var/lib/cflexagent/apply/journal.json").exists()


def test_threshold_change_is_live_in_real_prometheus(servers: Tree, capsys: Any) -> None:
    tree = servers
    assert _cpu_rule(tree).endswith("> 0.85")
    tree.write('[render.thresholds]\ncpu = "93%"\n')
    capsys.readouterr()
    assert tree.apply() == 0
    out = capsys.readouterr().out
    assert "reloaded   prometheus: reloaded (POST /-/reload; runtimeinfo: reloadConfigSuccess, lastConfigTime " in out
    assert _cpu_rule(tree).endswith("> 0.93")


def test_alertmanager_reload_is_checked_through_its_status(servers: Tree, capsys: Any) -> None:
    tree = servers
    text = tree.conf.read_text().replace("[render.alertmanager]\n", '[render.alertmanager]\nrepeat_interval = "3h"\n')
    tree.conf.write_text(text)
    capsys.readouterr()
    assert tree.apply("--only", "alertmanager") == 0
    assert "reloaded   alertmanager: reloaded (POST /-/reload; /api/v2/status shows the new config)" in \
        capsys.readouterr().out
    with urllib.request.urlopen(f"http://127.0.0.1:{tree.am_port}/api/v2/status", timeout=5) as r:
        assert yaml.safe_load(json.load(r)["config"]["original"])["route"]["repeat_interval"] == "3h"


def test_a_reload_prometheus_rejects_is_rolled_back(servers: Tree, tmp_path: Path, capsys: Any,
                                                    monkeypatch: Any) -> None:
    """A newer promtool that accepts what this Prometheus cannot load (a version mismatch), constructed as a
    promtool that passes everything: the rule file reaches Prometheus, its reload fails, apply rolls back."""
    tree = servers
    good = tree.live()
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "promtool").write_text("#!/bin/sh\necho 'SUCCESS (a promtool newer than this Prometheus)'\n")
    (fake / "promtool").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    tree.write('[[render.slos]]\nname = "api"\ntype = "errors"\nobjective = "99%"\nmetric = "x_total"\n'
               "error_selector = 'code=~\"(\"'\n")
    capsys.readouterr()
    assert tree.apply("--only", "prometheus") == 1
    out = capsys.readouterr().out
    assert "FAILED     prometheus: prometheus: reload rejected (HTTP 500)" in out
    assert "rolled back prometheus" in out
    assert "reloaded   prometheus: reloaded (POST /-/reload" in out.split("rolled back")[1]
    assert "the reload of prometheus failed" in out
    now = tree.live()
    assert {k: v for k, v in now.items() if k.startswith("etc/prometheus/")} == \
        {k: v for k, v in good.items() if k.startswith("etc/prometheus/")}
    assert _cpu_rule(tree).endswith("> 0.85")


def test_an_error_during_the_reload_rolls_back(tree: Tree, capsys: Any, monkeypatch: Any) -> None:
    """E.g. the self_password_file Prometheus' basic auth needs is unreadable: the swap is undone."""
    from cflexagent.render import apply

    assert tree.apply() == 0
    good = tree.live()
    calls = []

    def unreadable(self: Any) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise PermissionError(13, "Permission denied", "/etc/prometheus/self.password")
        return "reloaded (test)"

    monkeypatch.setattr(apply.Reloader, "prometheus", unreadable)
    tree.write('[render.thresholds]\ncpu = "90%"\n')
    capsys.readouterr()
    assert tree.apply("--only", "prometheus") == 1
    out = capsys.readouterr().out
    assert "FAILED     prometheus: /etc/prometheus/self.password: Permission denied" in out
    assert "rolled back prometheus" in out and "reloaded   prometheus: reloaded (test)" in out
    assert tree.live() == good


# -- the reload check: Prometheus' runtimeinfo, not a TSDB sample ------------------------------


@pytest.fixture
def no_lifecycle(tree: Tree) -> Iterator[tuple[Tree, subprocess.Popen[bytes]]]:
    """A real Prometheus started without --web.enable-lifecycle: POST /-/reload is 403, a reload is a SIGHUP."""
    assert tree.apply() == 0
    r = tree.root
    proc = _start([tool("prometheus"), f"--config.file={r}/etc/prometheus/prometheus.yml",
                   f"--storage.tsdb.path={r}/tsdb", f"--web.listen-address=127.0.0.1:{tree.prom_port}"],
                  r / "prometheus.log")
    try:
        wait_http(f"http://127.0.0.1:{tree.prom_port}/-/ready", proc)
        yield tree, proc
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_sighup_reload_is_confirmed_by_runtimeinfo(no_lifecycle: tuple[Tree, Any], capsys: Any) -> None:
    tree, prom = no_lifecycle
    (tree.root / "prometheus.pid").write_text(f"{prom.pid}\n")
    tree.apply_keys = f'reload_timeout = "10s"\nprometheus_pid_file = "{tree.root}/prometheus.pid"\n'
    tree.write('[render.thresholds]\ncpu = "93%"\n')
    capsys.readouterr()
    assert tree.apply("--only", "prometheus") == 0
    out = capsys.readouterr().out
    assert f"reloaded   prometheus: reloaded (SIGHUP ({tree.root}/prometheus.pid; its lifecycle API is off); " \
           "runtimeinfo: reloadConfigSuccess, lastConfigTime " in out, out
    assert _cpu_rule(tree).endswith("> 0.93")


def test_a_reload_whose_config_time_does_not_advance_is_rolled_back(no_lifecycle: tuple[Tree, Any],
                                                                      capsys: Any) -> None:
    """The SIGHUP reaches a process that is not Prometheus (a stale pid file): Prometheus still says
    reloadConfigSuccess from its start, but lastConfigTime does not move, so the reload is not taken for done."""
    tree, _ = no_lifecycle
    good = tree.live()
    other = subprocess.Popen([sys.executable, "-c", "import signal, time\nsignal.signal(signal.SIGHUP, "
                              "signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(600)"], stdout=subprocess.PIPE)
    try:
        assert other.stdout is not None and other.stdout.readline() == b"ready\n"
        (tree.root / "prometheus.pid").write_text(f"{other.pid}\n")
        tree.apply_keys = f'reload_timeout = "2s"\nprometheus_pid_file = "{tree.root}/prometheus.pid"\n'
        tree.write('[render.thresholds]\ncpu = "93%"\n')
        capsys.readouterr()
        assert tree.apply("--only", "prometheus") == 1
    finally:
        other.kill()
        other.wait(10)
        assert other.stdout is not None
        other.stdout.close()
    out = capsys.readouterr().out
    assert "FAILED     prometheus: prometheus: lastConfigTime did not advance within 2s of the reload (SIGHUP" in out
    assert "rolled back prometheus" in out and "the reload of prometheus failed" in out
    now = tree.live()
    assert {k: v for k, v in now.items() if k.startswith("etc/prometheus/")} == \
        {k: v for k, v in good.items() if k.startswith("etc/prometheus/")}
    assert _cpu_rule(tree).endswith("> 0.85")


# -- flags and units need a restart ------------------------------------------------------------


def test_changed_flags_are_reported_as_needing_a_restart(servers: Tree, capsys: Any) -> None:
    """A longer retention changes only /etc/default/prometheus: a reload would not load it, so apply says
    the restart is needed instead of claiming "reloaded"."""
    tree = servers
    tree.conf.write_text(tree.conf.read_text().replace("[render.prometheus]\n",
                                                       '[render.prometheus]\nretention = "20d"\n'))
    capsys.readouterr()
    assert tree.apply() == 0
    out = capsys.readouterr().out
    defaults = tree.root / "etc/default/prometheus"
    assert "--storage.tsdb.retention.time=20d" in defaults.read_text()
    assert f"restart needed: cflex-test-no-such-unit (flags changed in {defaults}); run " \
           "`systemctl restart cflex-test-no-such-unit`" in out, out
    assert "reloaded   prometheus" not in out
    assert not (tree.root / "var/lib/cflexagent/apply/journal.json").exists()


def test_restart_runs_systemctl_and_is_checked(servers: Tree, tmp_path: Path, capsys: Any,
                                               monkeypatch: Any) -> None:
    """``restart={"prometheus"}``: daemon-reload for the new unit, a restart per changed unit, and the check.
    No systemd runs here: a fake systemctl records its arguments, and its "restart" of the main unit reloads
    the real Prometheus (so lastConfigTime moves as after a real restart)."""
    from cflexagent.config import load
    from cflexagent.render import render_all
    from cflexagent.render.apply import run_apply

    tree = servers
    calls = tmp_path / "systemctl.calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(f"""#!{sys.executable}
import sys, urllib.request
with open({str(calls)!r}, "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
if sys.argv[1:] == ["restart", "cflex-test-no-such-unit"]:
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:{tree.prom_port}/-/reload", method="POST"))
""")
    (bin_dir / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    tree.write("[render.longterm]\nenabled = true\n")
    tree.conf.write_text(tree.conf.read_text().replace("[render.prometheus]\n",
                                                       '[render.prometheus]\nretention = "20d"\n'))
    config = load(tree.conf)
    files = render_all(config, str(tree.conf), ["prometheus"])
    lines: list[str] = []
    assert run_apply(config, str(tree.conf), files, ["prometheus"], dry_run=False, force=False,
                     restart={"prometheus"}, say=lines.append) == 0
    out = "\n".join(lines)
    defaults, unit = tree.root / "etc/default/prometheus", tree.root / "etc/systemd/system/prometheus-longterm.service"
    assert f"restarted  prometheus: systemctl restart cflex-test-no-such-unit (flags changed in {defaults}); " \
           "runtimeinfo: lastConfigTime is newer" in out, out
    assert f"restarted  prometheus: systemctl restart prometheus-longterm.service (unit changed in {unit})" in out
    assert "reloaded   prometheus" not in out and "restart needed" not in out
    got = calls.read_text().splitlines()
    assert "daemon-reload" in got
    assert got.index("daemon-reload") < got.index("restart prometheus-longterm.service")
    assert "restart cflex-test-no-such-unit" in got


# -- modes and owners of live files ------------------------------------------------------------


def test_live_files_keep_renders_mode_and_the_replaced_files_owner(tree: Tree) -> None:
    """alertmanager.yml may hold the Watchdog URL: render writes it 0640 and so must apply. A file apply
    replaces keeps its owner, group and mode unless render's is stricter; 0640 never means root:root when the
    service (user prometheus) must read it."""
    import grp

    r = tree.root
    old_rules = r / "etc/prometheus/rules/cflex-alerts.yml"
    old_rules.parent.mkdir(parents=True)
    old_rules.write_text("groups: []\n")
    os.chown(old_rules, 4321, 1234)
    os.chmod(old_rules, 0o664)
    tight = r / "etc/prometheus/prometheus.yml"
    tight.write_text("global: {}\n")
    os.chmod(tight, 0o600)
    assert tree.apply("--force") == 0
    am = r / "etc/prometheus/alertmanager.yml"
    st = am.stat()
    assert st.st_mode & 0o7777 == 0o640
    if os.geteuid() == 0:
        assert st.st_gid == grp.getgrnam("prometheus").gr_gid  # Debian's package runs it as prometheus
    st = old_rules.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (4321, 1234, 0o640)  # kept, but not looser than 0640
    assert tight.stat().st_mode & 0o7777 == 0o600  # stricter than render's: kept
    assert (r / "etc/loki/config.yml").stat().st_mode & 0o7777 == 0o640


def test_restart_option_takes_a_list_of_restartable_targets(capsys: pytest.CaptureFixture[str]) -> None:
    from cflexagent.cli import build_parser

    args = build_parser().parse_args(["apply", "--restart", "prometheus,loki", "--restart", "alertmanager"])
    assert args.restart == ["prometheus", "loki", "alertmanager"]
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args(["apply", "--restart", "nginx"])
    assert e.value.code == 2
    assert "unknown target nginx; choose from prometheus, alertmanager, loki" in capsys.readouterr().err


def test_the_service_groups_come_from_render_apply_groups(tree: Tree) -> None:
    """[render.apply] groups: the group a 0640 live file of each target gets when apply runs as root."""
    import grp

    if os.geteuid() != 0:
        pytest.skip("only root can give files another group (CI runs as root)")
    tree.apply_keys += ('groups = { prometheus = "nogroup", alertmanager = "daemon", loki = "daemon", '
                        'grafana = "cflex-no-such-group" }\n')
    tree.write()
    assert tree.apply() == 0
    r = tree.root
    for rel, group in (("etc/prometheus/prometheus.yml", "nogroup"), ("etc/prometheus/rules/cflex-alerts.yml",
                                                                      "nogroup"),
                       ("etc/prometheus/alertmanager.yml", "daemon"), ("etc/loki/config.yml", "daemon")):
        st = (r / rel).stat()
        assert (st.st_mode & 0o7777, st.st_gid) == (0o640, grp.getgrnam(group).gr_gid), rel
    # A group the host does not have: left as it is (root's), not an error.
    assert (r / "etc/grafana/provisioning/datasources/cflex.yml").stat().st_gid == 0


def test_render_apply_groups_names_only_targets_and_groups() -> None:
    from cflexagent.config import ConfigError, parse

    with pytest.raises(ConfigError, match=r"g\.toml: render\.apply\.groups\.nginx: not a target whose files a "
                                          r"service reads; choose from prometheus, alertmanager, loki, grafana"):
        parse('[render.apply]\ngroups = { nginx = "www-data" }\n', "g.toml")
    with pytest.raises(ConfigError, match=r'render\.apply\.groups\.loki: "lo ki" is not a group name'):
        parse('[render.apply]\ngroups = { loki = "lo ki" }\n', "g.toml")
    # A table that names some targets replaces the defaults: the others get no group.
    assert parse('[render.apply]\ngroups = { loki = "loki" }\n', "g.toml").render.apply.groups == {"loki": "loki"}


def test_a_live_dir_apply_cannot_write_is_one_line_and_nothing_is_swapped() -> None:
    """A live directory apply cannot write: apply names it on one line, exits 1, and swaps no target at all,
    not even those before it. As root (CI), whose writes no mode stops, the directory is a read-only bind
    mount; as another user, a directory of mode 0555 (permission denied)."""
    import shutil
    import tempfile

    tool("promtool")
    tool("amtool")
    base = Path(tempfile.mkdtemp(prefix="cflex-apply-eacces-", dir="/tmp"))
    mounted = False
    try:
        tree = Tree(base / "root")
        assert tree.apply() == 0
        # A new threshold changes prometheus' rule file (swapped before loki) and loki's retention.
        tree.write('[render.thresholds]\ncpu = "90%"\n[render.loki]\nretention = "20d"\n')
        before = tree.live()
        loki = tree.root / "etc" / "loki"
        if os.geteuid() == 0:
            subprocess.run(["mount", "--bind", str(loki), str(loki)], check=True, capture_output=True)
            mounted = True
            subprocess.run(["mount", "-o", "remount,bind,ro", str(loki)], check=True, capture_output=True)
            why = f"{loki}: read-only file system"
        else:
            os.chmod(loki, 0o555)
            why = f"{loki}: permission denied (run as root or a user that can write it)"
        r = subprocess.run([sys.executable, "-m", "cflexagent", "apply", "-c", str(tree.conf)],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=base)
        assert r.returncode == 1, r.stdout + r.stderr
        assert without_warnings(r.stderr) == f"cflexagent: apply: {why}; nothing was changed\n", r.stderr
        assert "swapped" not in r.stdout and "validated  promtool check rules" in r.stdout
        assert tree.live() == before
        assert not list(tree.root.rglob("*.cflexagent-new"))
        assert not (tree.root / "var/lib/cflexagent/apply/journal.json").exists()
    finally:
        if mounted:
            subprocess.run(["umount", str(base / "root" / "etc" / "loki")], check=False)
        shutil.rmtree(base, ignore_errors=True)


# -- nginx, reloaded for real ------------------------------------------------------------------


def _hsts(port: int) -> str | None:
    import http.client
    import ssl

    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=ssl._create_unverified_context())
    try:
        conn.request("GET", "/")
        return conn.getresponse().getheader("Strict-Transport-Security")
    except OSError:
        return None
    finally:
        conn.close()


def test_nginx_is_reloaded_with_the_new_site_and_a_broken_site_is_never_swapped(
        tree: Tree, tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    """A throwaway nginx (master process, pid file) includes the live sites-enabled; apply swaps the site and
    reloads it through the configured unit (a fake systemctl that runs `nginx -s reload` with this nginx's
    -p/-c): the new site is what nginx serves. A site nginx -t rejects is not swapped."""
    import trustme

    tool("nginx")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "c.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "k.pem"))
    port = free_port()
    run_dir = tmp_path / "nginx-run"
    run_dir.mkdir()
    temp = "".join(f"    {k}_temp_path {run_dir}/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (run_dir / "nginx.conf").write_text(
        f"pid {run_dir}/nginx.pid;\nerror_log {run_dir}/error.log;\ndaemon off;\nevents {{}}\n"
        f"http {{\n{temp}    access_log off;\n    include {tree.root}/etc/nginx/sites-enabled/*;\n}}\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl.log"
    fake = bin_dir / "systemctl"
    fake.write_text(f"""#!/bin/sh
echo "$@" >> {calls}
case "$1 $2 $3" in
  "is-active --quiet cflex-test-nginx") exit 0 ;;
  "reload cflex-test-nginx ") exec nginx -p {run_dir} -c {run_dir}/nginx.conf -s reload ;;
esac
exit 3
""")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")

    def site(extra: str = "") -> str:
        return (f'[render.nginx]\nenabled = true\nlisten_port = {port}\nredirect_http = false\n'
                f'cert_file = "{tmp_path}/c.pem"\nkey_file = "{tmp_path}/k.pem"\n{extra}')

    def write(extra: str = "") -> None:
        tree.write("")
        text = tree.conf.read_text().replace("[render.nginx]\nenabled = false\n", site(extra))
        tree.conf.write_text(text.replace('nginx_unit = "cflex-test-no-such-unit"', 'nginx_unit = "cflex-test-nginx"'))

    def served(expected: str) -> None:
        deadline = time.monotonic() + 20
        while _hsts(port) != expected:
            assert proc.poll() is None, (run_dir / "error.log").read_text(errors="replace")
            assert time.monotonic() < deadline, f"nginx serves {_hsts(port)!r}, not {expected!r}"
            time.sleep(0.05)

    proc = subprocess.Popen(["nginx", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (run_dir / "nginx.pid").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        write()
        assert tree.apply() == 0
        out = capsys.readouterr().out
        assert "validated  nginx -t nginx/cflex-monitoring" in out and "swapped    nginx:" in out
        assert "reloaded   nginx: reloaded (systemctl reload cflex-test-nginx)" in out, out
        served("max-age=31536000; includeSubDomains")
        # A changed site: swapped, reloaded, served.
        write('hsts_max_age = "1d"\n')
        assert tree.apply() == 0
        assert "reloaded   nginx: reloaded (systemctl reload cflex-test-nginx)" in capsys.readouterr().out
        served("max-age=86400; includeSubDomains")
        assert calls.read_text().count("reload cflex-test-nginx\n") == 2
        # A site nginx -t rejects (a certificate it cannot load): not swapped, not reloaded, the old one served.
        live = tree.live()
        (tmp_path / "bad.pem").write_text("not a certificate\n")
        write('hsts_max_age = "2d"\n')
        tree.conf.write_text(tree.conf.read_text().replace(f'cert_file = "{tmp_path}/c.pem"',
                                                           f'cert_file = "{tmp_path}/bad.pem"'))
        assert tree.apply() == 1
        out = capsys.readouterr().out
        assert "FAILED     nginx -t nginx/cflex-monitoring:" in out and "nothing was changed" in out, out
        assert tree.live() == live
        assert calls.read_text().count("reload cflex-test-nginx\n") == 2
        served("max-age=86400; includeSubDomains")
    finally:
        proc.terminate()
        proc.wait(10)
