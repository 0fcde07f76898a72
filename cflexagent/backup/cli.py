"""``cflexagent backup [-c FILE] --out DIR [--keep N]`` and ``cflexagent backup restore ARCHIVE [--dry-run]``.

Exit codes: 0 ok, 1 the backup or restore failed (one line saying which step and path), 2 bad config or usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="archive the monitoring stack (rendered set, live files, "
                       "rules, Grafana dashboards, Loki index); `backup restore ARCHIVE` puts it back")
    p.add_argument("action", nargs="?", choices=["restore"], help="restore ARCHIVE instead of making one")
    p.add_argument("archive", nargs="?", help="with restore: the archive to restore")
    p.add_argument("--out", metavar="DIR", help="directory of the archives (default: [backup] out_dir)")
    p.add_argument("--keep", type=int, metavar="N", help="archives to keep (default: [backup] keep)")
    p.add_argument("--dry-run", action="store_true", help="with restore: list what would be written where")
    p.add_argument("--loki-index", action="store_true", help="with restore: also write the Loki index (stop Loki)")
    p.set_defaults(func=cmd_backup)


def cmd_backup(args: argparse.Namespace) -> int:
    from ..cli import EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME, fail, load_config
    from .archive import BackupError, create, restore

    config, path = load_config(args)
    if args.action == "restore":
        if not args.archive:
            return fail("backup restore: name the ARCHIVE to restore", EXIT_CONFIG)
        try:
            return restore(config, Path(args.archive), args.dry_run, args.loki_index,
                           say=lambda s: print(s, flush=True))
        except BackupError as e:
            return fail(f"backup restore: {e}", EXIT_RUNTIME)
        except OSError as e:
            return fail(f"backup restore: {e.filename or ''}: {e.strerror or e}", EXIT_RUNTIME)
    if args.archive or args.dry_run or args.loki_index:
        return fail("backup: ARCHIVE, --dry-run and --loki-index go with `backup restore`", EXIT_CONFIG)
    keep = args.keep if args.keep is not None else config.backup.keep
    if keep < 1:
        return fail("backup: --keep must be at least 1", EXIT_CONFIG)
    out = Path(args.out or config.backup.out_dir)
    try:
        r = create(config, path, out, keep, say=lambda s: print(s, flush=True))
    except BackupError as e:
        return fail(f"backup failed: {e}", EXIT_RUNTIME)
    print(f"wrote {r.path} ({r.size} bytes, {r.files} files)" + (f"; removed {len(r.pruned)} old" if r.pruned
                                                                  else ""))
    sys.stdout.flush()
    return EXIT_OK
