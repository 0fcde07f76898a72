"""Check a rendered set with the real tools: promtool, amtool, nginx -t and (when installed) loki.

Each check is one step with one line of result. A tool that is not on PATH is
reported as skipped, never as passed. Every tool runs with a timeout, its
output is cut to a few lines, and nothing it prints is trusted to be short.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .common import RenderContext

TIMEOUT = 120.0
_MAX_OUTPUT = 64 * 1024


@dataclass(frozen=True)
class Check:
    tool: str
    file: str
    result: Literal["ok", "failed", "skipped"]
    message: str = ""

    def line(self) -> str:
        head = {"ok": "ok     ", "failed": "FAILED ", "skipped": "skipped"}[self.result]
        tail = f": {self.message}" if self.message else ""
        return f"{head} {self.tool} {self.file}{tail}"


def _run(argv: list[str], tool: str, file: str, cwd: Path) -> Check:
    exe = shutil.which(argv[0])
    if exe is None:
        return Check(tool, file, "skipped", f"{argv[0]} not found on PATH")
    try:
        proc = subprocess.run([exe, *argv[1:]], cwd=cwd, capture_output=True, timeout=TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Check(tool, file, "failed", f"timed out after {TIMEOUT:g}s")
    except OSError as e:
        return Check(tool, file, "failed", f"cannot run {argv[0]}: {e.strerror or e}")
    if proc.returncode == 0:
        return Check(tool, file, "ok")
    out = (proc.stderr[:_MAX_OUTPUT] + b"\n" + proc.stdout[:_MAX_OUTPUT]).decode("utf-8", "replace")
    lines = [ln.strip() for ln in out.splitlines()
             if ln.strip() and not ln.startswith(("Checking ", "  SUCCESS", "Found:", " - "))]
    return Check(tool, file, "failed", " | ".join(lines[:6])[:600] or f"exit status {proc.returncode}")


def nginx_check(directory: Path, site: str, certs: dict[str, str] | None = None) -> Check:
    """``nginx -t`` on a throwaway main config that includes the site (the real one is never touched).

    ``certs`` (key path -> file): a certificate that does not exist is named by its key, with the way
    out, before nginx says the same in OpenSSL's words."""
    if shutil.which("nginx") is None:
        return Check("nginx -t", site, "skipped", "nginx not found on PATH")
    for key, file in (certs or {}).items():
        if not Path(file).exists():
            hint = ("Debian's ssl-cert package creates that snakeoil pair; set your own certificate"
                    if "snakeoil" in file else "set the certificate the site serves")
            return Check("nginx -t", site, "failed", f"{key} = {file!r} does not exist ({hint})")
    with tempfile.TemporaryDirectory(prefix="cflexagent-nginx-") as tmp:
        t = Path(tmp)
        temp_paths = "".join(f"    {k}_temp_path {t}/{k};\n" for k in
                             ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (t / "nginx.conf").write_text(
            f"pid {t}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n{temp_paths}"
            f"    access_log off;\n    include {(directory / site).resolve()};\n}}\n")
        return _run(["nginx", "-t", "-q", "-e", "stderr", "-p", str(t), "-c", str(t / "nginx.conf")],
                    "nginx -t", site, directory)


def checks(ctx: RenderContext, directory: Path, present: set[str]) -> list[Callable[[], Check]]:
    from . import alertmanager, loki, nginx, prometheus

    steps: list[Callable[[], Check]] = []

    def add(argv: list[str], tool: str, file: str) -> None:
        if file in present:
            steps.append(lambda: _run(argv, tool, file, directory))

    add(["promtool", "check", "config", prometheus.PROMETHEUS_YML], "promtool check config",
        prometheus.PROMETHEUS_YML)
    for rel in sorted(p for p in present if p.startswith("prometheus/rules/")):
        add(["promtool", "check", "rules", rel], "promtool check rules", rel)
    add(["promtool", "check", "web-config", prometheus.WEB_CONFIG], "promtool check web-config",
        prometheus.WEB_CONFIG)
    add(["promtool", "check", "config", prometheus.LONGTERM_YML], "promtool check config",
        prometheus.LONGTERM_YML)
    add(["amtool", "check-config", alertmanager.ALERTMANAGER_YML], "amtool check-config",
        alertmanager.ALERTMANAGER_YML)
    if loki.LOKI_YML in present and shutil.which("loki"):
        add(["loki", "-verify-config", f"-config.file={loki.LOKI_YML}"], "loki -verify-config", loki.LOKI_YML)
    site = nginx.site_path(ctx)
    if site in present:
        ng = ctx.render.nginx
        certs = {"render.nginx.cert_file": ng.cert_file, "render.nginx.key_file": ng.key_file}
        steps.append(lambda: nginx_check(directory, site, certs))
    return steps


def run_checks(ctx: RenderContext, directory: Path, present: set[str],
               report: Callable[[Check], None] = lambda c: None) -> list[Check]:
    out = []
    for step in checks(ctx, directory, present):
        c = step()
        report(c)
        out.append(c)
    return out
