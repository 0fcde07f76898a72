"""``cflexagent render [-c FILE] --out DIR [--check] [--only T,...]``.

Exit codes: 0 ok, 1 a check failed or a file could not be written, 2 bad config or usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

#: What ``apply --restart`` may restart (systemctl restart, checked like a reload).
RESTARTABLE = ("prometheus", "alertmanager", "loki")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from . import TARGETS

    p = sub.add_parser("render", parents=[common], help="write the Prometheus, Alertmanager, Loki, Grafana and "
                       "nginx files for this config")
    p.add_argument("--out", metavar="DIR", required=True, help="directory to write the set into")
    p.add_argument("--check", action="store_true",
                   help="validate with promtool, amtool, nginx -t (and loki -verify-config) when found on PATH")
    p.add_argument("--only", metavar="T,...", type=_targets(TARGETS),
                   help=f"only these targets ({', '.join(TARGETS)})")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("apply", parents=[common], help="render, validate and swap the set into the live "
                       "Prometheus/Alertmanager/Loki/Grafana/nginx locations, then reload what changed")
    p.add_argument("--dry-run", action="store_true", help="print a diff against what is live; change nothing")
    p.add_argument("--only", metavar="T,...", type=_targets(TARGETS),
                   help=f"only these targets ({', '.join(TARGETS)})")
    p.add_argument("--force", action="store_true", help="overwrite live files that were edited by hand")
    p.add_argument("--restart", metavar="T,...", action="extend", default=[],
                   type=_targets(dict.fromkeys(RESTARTABLE)),
                   help="restart these when their files changed (prometheus, alertmanager: command-line flags "
                        "in /etc/default and units; loki reads its config only at start)")
    p.set_defaults(func=cmd_apply)


def _targets(valid: dict[str, Any]) -> Any:
    def parse(text: str) -> list[str]:
        names = [t.strip() for t in text.split(",") if t.strip()]
        bad = [n for n in names if n not in valid]
        if bad or not names:
            raise argparse.ArgumentTypeError(f"unknown target {', '.join(bad) or '(none)'}; "
                                             f"choose from {', '.join(valid)}")
        return names

    return parse


def step(message: str) -> None:
    print(message, flush=True)


def render_files(args: argparse.Namespace) -> tuple[Any, str, dict[str, bytes]] | int:
    """(config, its path, the rendered files), or an exit code after printing why."""
    from ..cli import EXIT_CONFIG, fail, load_config
    from . import render_all
    from .alertmanager import SecretFileError

    config, path = load_config(args)
    try:
        return config, path, render_all(config, path, args.only)
    except SecretFileError as e:
        return fail(f"{path}: {e}", EXIT_CONFIG, names_file=True)


def warn_missing_series(args: argparse.Namespace, config: Any, path: str) -> None:
    """One stderr line per rendered rule over series no [[logs.metrics]] derives (render and apply alike)."""
    if args.only is None or "prometheus" in args.only:
        from .common import RenderContext
        from .logseries import missing_series_warnings

        for line in missing_series_warnings(RenderContext(config, path)):
            print(f"{path}: warning: {line}", file=sys.stderr)


def cmd_render(args: argparse.Namespace) -> int:
    from ..cli import EXIT_OK, EXIT_RUNTIME, fail
    from .common import RenderContext
    from .files import os_error_text, write_tree
    from .validate import run_checks

    got = render_files(args)
    if isinstance(got, int):
        return got
    config, path, files = got
    warn_missing_series(args, config, path)
    out = Path(args.out)
    t0 = time.monotonic()
    try:
        written, unchanged, removed = write_tree(out, files)
    except OSError as e:
        return fail(f"render: cannot write {os_error_text(e)}", EXIT_RUNTIME)
    step(f"rendered {len(files)} files into {out} from {path} ({len(written)} written, {len(unchanged)} unchanged"
         f"{f', {len(removed)} removed' if removed else ''}) in {time.monotonic() - t0:.2f}s")
    if not args.check:
        return EXIT_OK
    checks = run_checks(RenderContext(config, path), out, set(files), lambda c: step(c.line()))
    failed = [c for c in checks if c.result == "failed"]
    if failed:
        print(f"render: {len(failed)} check(s) failed", file=sys.stderr)
        return EXIT_RUNTIME
    skipped = sum(c.result == "skipped" for c in checks)
    step(f"checked: {len(checks) - skipped} passed" + (f", {skipped} skipped" if skipped else ""))
    return EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    from . import TARGETS
    from .apply import run_apply

    got = render_files(args)
    if isinstance(got, int):
        return got
    config, path, files = got
    warn_missing_series(args, config, path)
    targets = [t for t in TARGETS if args.only is None or t in args.only]
    return run_apply(config, path, files, targets, dry_run=args.dry_run, force=args.force,
                     restart=set(args.restart), say=step)
