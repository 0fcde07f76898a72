"""``cflexagent storage scan|report|trust``: one scan now, the snapshot trend, host-key pinning.

``scan`` and ``trust`` honour the persisted login backoff (``--force`` overrides).
``trust`` performs a key exchange only (no login) and writes the server's key
to ``known_hosts`` after confirmation: trust on first use, made explicit.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from ..statefile import atomic_write


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("storage", parents=[common], help="cPanel storage over SFTP: scan, report, trust")
    ssub = p.add_subparsers(dest="storage_command", metavar="SUBCOMMAND", required=True)

    s = ssub.add_parser("scan", parents=[common], help="scan every area now, show progress, print the totals")
    s.add_argument("--json", action="store_true", help="print a machine-readable summary instead")
    s.add_argument("--force", action="store_true", help="log in even during an authentication backoff")
    s.set_defaults(func=cmd_scan)

    r = ssub.add_parser("report", parents=[common], help="print the daily snapshot trend")
    r.add_argument("--days", type=int, default=30, help="how many days back (default 30)")
    r.add_argument("--area", help="only this area")
    r.add_argument("--groups", action="store_true", help="include per-group rows")
    r.add_argument("--format", choices=("table", "csv", "json"), default="table")
    r.set_defaults(func=cmd_report)

    t = ssub.add_parser("trust", parents=[common],
                        help="show the server's host key fingerprint and pin it in known_hosts")
    t.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    t.add_argument("--force", action="store_true", help="proceed even during an authentication backoff")
    t.set_defaults(func=cmd_trust)


def _sftp_config(args: argparse.Namespace) -> tuple[Any, Any, str]:
    from ..cli import load_config
    from ..config import ConfigError

    config, path = load_config(args)
    if config.storage.sftp is None:
        raise ConfigError(f"{path}: storage.sftp: not configured (see the [storage.sftp] section of the example "
                          "config: cflexagent init)")
    return config, config.storage.sftp, path


def cmd_scan(args: argparse.Namespace) -> int:
    from ..cli import EXIT_OK, EXIT_RUNTIME, fail
    from .report import human_bytes
    from .sftp import ScanError, scan, snapshot_store
    from .walk import Progress

    config, cfg, _ = _sftp_config(args)
    state_dir = Path(config.agent.state_dir)
    progress = Progress()
    tty = sys.stderr.isatty()

    async def show(done: asyncio.Event) -> None:
        last = 0.0
        while not done.is_set():
            try:
                await asyncio.wait_for(done.wait(), 0.5 if tty else 5.0)
            except TimeoutError:
                pass
            el = max(1e-6, time.monotonic() - progress.started)
            line = (f"{progress.directories:,} dirs  {progress.files:,} files  {human_bytes(progress.bytes)}  "
                    f"{progress.directories / el:,.0f} dirs/s  {el:.1f}s")
            if tty:
                print("\r" + line.ljust(79), end="", file=sys.stderr, flush=True)
            elif time.monotonic() - last >= 5.0 and not done.is_set():
                print(line, file=sys.stderr, flush=True)
                last = time.monotonic()
        if tty:
            print(file=sys.stderr)

    async def main() -> Any:
        done = asyncio.Event()
        shower = asyncio.ensure_future(show(done)) if not args.json else None
        try:
            return await scan(cfg, state_dir, force=args.force, progress=progress)
        finally:
            done.set()
            if shower:
                await shower

    try:
        outcome = asyncio.run(main())
    except ScanError as e:
        return fail(f"storage scan failed ({e.reason}): {e}", EXIT_RUNTIME)
    try:
        snapshot_store(state_dir, config.storage).record(outcome.results.values())
    except Exception as e:
        print(f"cflexagent: warning: snapshot not stored: {e}", file=sys.stderr)
    if args.json:
        import orjson

        doc = {"duration": round(outcome.duration, 3), "areas": {
            n: {"files": r.total.files, "bytes": r.total.bytes, "directories": r.total.directories,
                "skipped": r.skipped, "duration": round(r.duration, 3),
                "groups": {g: {"files": t.files, "bytes": t.bytes, "directories": t.directories}
                           for g, t in r.groups.items()}}
            for n, r in outcome.results.items()}, "errors": outcome.area_errors}
        print(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    else:
        print(f"{'area':<16}  {'files':>12}  {'bytes':>12}  {'dirs':>9}  {'skipped':>8}  {'seconds':>8}")
        for n, r in outcome.results.items():
            print(f"{n:<16}  {r.total.files:>12,}  {human_bytes(r.total.bytes):>12}  {r.total.directories:>9,}  "
                  f"{sum(r.skipped.values()):>8,}  {r.duration:>8.2f}")
        for n, msg in outcome.area_errors.items():
            print(f"{n:<16}  not scanned: {msg}")
    return EXIT_RUNTIME if outcome.area_errors else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ..cli import EXIT_CONFIG, EXIT_OK, fail, load_config
    from ..config import ConfigError
    from .report import render
    from .sftp import snapshot_store

    if not 1 <= args.days <= 10000:
        return fail("--days: expected 1..10000", EXIT_CONFIG)
    config, path = load_config(args)
    if config.storage.sftp is None:
        raise ConfigError(f"{path}: storage.sftp: not configured")
    areas = [a.name for a in config.storage.sftp.areas]
    if args.area is not None and args.area not in areas:
        return fail(f'--area: no area named "{args.area}" in [[storage.sftp.areas]] (areas: {", ".join(areas)})',
                    EXIT_CONFIG)
    rows = snapshot_store(Path(config.agent.state_dir), config.storage).query(args.days, args.area, args.groups)
    sys.stdout.write(render(rows, args.format))
    return EXIT_OK


def write_known_hosts(path: Path, host: str, port: int, key: Any) -> None:
    """Replace the entries for host:port with ``key`` (atomically: temp, fsync, rename)."""
    name = host if port == 22 else f"[{host}]:{port}"
    kept: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            first = line.split(" ", 1)[0] if line and not line.startswith("#") else ""
            if name not in first.split(","):
                kept.append(line)
    kept.append(f"{name} {key.export_public_key('openssh').decode().strip()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, ("\n".join(kept) + "\n").encode(), mode=0o644)


def cmd_trust(args: argparse.Namespace) -> int:
    from ..cli import EXIT_OK, EXIT_RUNTIME, fail
    from .sftp import ScanError, check_backoff, server_host_key

    config, cfg, _ = _sftp_config(args)
    try:
        check_backoff(cfg, Path(config.agent.state_dir), args.force)
        key = asyncio.run(server_host_key(cfg))
    except ScanError as e:
        return fail(f"storage trust: {e}", EXIT_RUNTIME)
    if key is None:
        return fail("storage trust: the server presented no host key", EXIT_RUNTIME)
    print(f"{cfg.host}:{cfg.port} presents {key.get_algorithm()} key {key.get_fingerprint('sha256')}")
    print("Compare it with the fingerprint your hosting provider shows (cPanel: SSH Access > Manage SSH Keys, "
          "or ask support).")
    if not args.yes:
        if not sys.stdin.isatty():
            return fail("storage trust: not confirmed (no terminal); re-run with --yes to accept this key", 1)
        answer = input(f"Trust this key and write it to {cfg.known_hosts}? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("not trusted; nothing written")
            return EXIT_RUNTIME
    try:
        write_known_hosts(Path(cfg.known_hosts), cfg.host, cfg.port, key)
    except OSError as e:
        return fail(f"storage trust: cannot write {cfg.known_hosts}: {e.strerror or e}", EXIT_RUNTIME)
    print(f"wrote {cfg.known_hosts}")
    return EXIT_OK
