"""`cflexagent render --check` through the command line: one line per check, exit 0 when every check passes,
1 with the FAILED line when one fails."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import trustme

from .conftest import EXAMPLE, tool

CHECKS = ["promtool check config prometheus/prometheus.yml",
          "promtool check rules prometheus/rules/cflex-alerts.yml",
          "promtool check rules prometheus/rules/cflex-recording.yml",
          "promtool check rules prometheus/rules/cflex-slos.yml",
          "amtool check-config alertmanager/alertmanager.yml",
          "nginx -t nginx/cflex-monitoring"]


def config(tmp_path: Path, extra: str = "") -> Path:
    """The example config with a trustme certificate for the nginx site."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    crt, key = tmp_path / "site.crt", tmp_path / "site.key"
    cert.private_key_and_cert_chain_pem.write_to_path(str(crt))
    cert.private_key_pem.write_to_path(str(key))
    text = EXAMPLE.read_text()
    for old, new in (("/etc/ssl/certs/ssl-cert-snakeoil.pem", crt), ("/etc/ssl/private/ssl-cert-snakeoil.key", key)):
        assert f'"{old}"' in text
        text = text.replace(f'"{old}"', f'"{new}"', 1)
    conf = tmp_path / "c.toml"
    conf.write_text(text + extra)
    return conf


def render_check(conf: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cflexagent", "render", "-c", str(conf), "--out", str(out),
                           "--check"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def check_lines(stdout: str) -> list[str]:
    return [ln for ln in stdout.splitlines() if not ln.startswith(("rendered ", "checked: "))]


def test_every_check_passes_exit_0_one_line_each(tmp_path: Path) -> None:
    for t in ("promtool", "amtool", "nginx"):
        tool(t)
    r = render_check(config(tmp_path), tmp_path / "set")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"rendered \d+ files into .*/set from .*/c\.toml \(\d+ written, 0 unchanged\) in "
                        r"\d+\.\d\ds", lines[0]), lines[0]
    assert check_lines(r.stdout) == [f"ok      {c}" for c in CHECKS]
    assert lines[-1] == f"checked: {len(CHECKS)} passed"


def test_a_failing_check_exits_1_with_its_failed_line(tmp_path: Path) -> None:
    # A certificate file nginx cannot load: only nginx -t fails; every other check still runs and passes.
    conf = config(tmp_path)
    (tmp_path / "site.crt").write_text("not a certificate\n")
    r = render_check(conf, tmp_path / "set")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr == "render: 1 check(s) failed\n"
    lines = check_lines(r.stdout)
    assert [ln.split(":")[0] for ln in lines] == [f"ok      {c}" for c in CHECKS[:-1]] + [
        "FAILED  nginx -t nginx/cflex-monitoring"], lines
    assert "site.crt" in lines[-1] and "PEM" in lines[-1], lines[-1]
    assert not any(ln.startswith("checked: ") for ln in r.stdout.splitlines())
