"""``cflexagent logs preview``: show what the agent would ship for the first lines of a file.

For each entry: the Loki labels, the timestamp, the structured metadata and the
line after redaction. It runs the pipeline's own functions -- the source's
parser, the redaction transform, the stream encoder -- and prints the decoded
push request, so preview and shipping cannot diverge. The tool to tune
``[logs.redact]`` with.
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import os
import sys
from typing import Any

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    logs = subparsers.add_parser("logs", parents=[common], help="log pipeline tools (preview)")
    sub = logs.add_subparsers(dest="logs_command", metavar="COMMAND", required=True)
    p = sub.add_parser(
        "preview", parents=[common], help="print labels, timestamp, metadata and the redacted line as shipped",
        description="Print, for the first lines of a file, the labels, timestamp, structured metadata and the "
                    "redacted line exactly as the agent would ship them to Loki. Uses the source settings and "
                    "[logs.redact] of the config (-c) when there is one, else the defaults.")
    p.add_argument("path", nargs="?", metavar="PATH", help="the file (default: the first file of --source)")
    p.add_argument("--source", metavar="NAME", help="use this configured source's format, labels and fields")
    p.add_argument("--lines", type=int, default=20, metavar="N", help="how many lines (default 20)")
    p.add_argument("--format", choices=("json", "raw", "nginx_access", "nginx_error", "syslog", "journal"),
                   help="format when no configured source applies (default: json if the file starts with '{')")
    p.set_defaults(func=cmd_preview)


def _config(args: argparse.Namespace) -> Any:
    """The config named by -c / $CFLEXAGENT_CONFIG / the default path, or None when there is none."""
    from ..cli import load_config
    from ..config import resolve_path

    explicit = getattr(args, "config", None) or os.environ.get("CFLEXAGENT_CONFIG")
    if not explicit and not os.path.exists(resolve_path(None)):
        return None
    config, _ = load_config(args)
    return config


def _pick_source(config: Any, args: argparse.Namespace) -> Any:
    from ..config import ConfigError
    from .config import SourceConfig

    sources = list(config.logs.sources) if config is not None else []
    if args.source:
        for s in sources:
            if s.name == args.source:
                return s
        raise ConfigError(f'no source named "{args.source}" in [[logs.sources]]')
    if args.path:
        real = os.path.abspath(args.path)
        for s in sources:
            if any(fnmatch.fnmatchcase(real, pat) for pat in s.paths):
                return s
    fmt = args.format
    if fmt is None:
        try:
            with open(args.path, "rb") as f:
                fmt = "json" if f.read(64).lstrip().startswith(b"{") else "raw"
        except OSError:
            fmt = "raw"
    if fmt == "journal":
        return SourceConfig(name="preview", format="journal")
    return SourceConfig(name="preview", paths=[os.path.abspath(args.path)], format=fmt)


def read_lines(path: str, n: int, source: Any) -> list[bytes]:
    """The first ``n`` entries of ``path`` as the tailer hands them out (multiline joined)."""
    out: list[bytes] = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\r\n") if raw.endswith(b"\r\n") else raw.rstrip(b"\n")
            if line:
                out.append(line)
            if len(out) >= n * (source.multiline.max_lines if source.multiline else 1):
                break
    if source.multiline is not None:
        from .formats import MultilineSplitter

        events, held = MultilineSplitter(source.multiline.start, source.multiline.max_lines).split(out)
        out = [*events, b"\n".join(held)] if held else events
    fixed = []
    for line in out[:n]:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            line = line.decode("utf-8", "replace").encode()
        fixed.append(line)
    return fixed


def cmd_preview(args: argparse.Namespace) -> int:
    import time

    from prometheus_client import CollectorRegistry

    from ..sinks.console import format_ts
    from ..sinks.protobuf import decode_push
    from .metrics import LogMetrics
    from .parse import apply_transforms, build_parser
    from .redact import Redactor, key_path
    from .redact_config import RedactConfig
    from .streams import StreamEncoder
    from .transforms import redact_transform, uses_hash

    if args.lines < 1:
        print("cflexagent: --lines must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    config = _config(args)
    source = _pick_source(config, args)
    path = args.path
    if path is None:
        files = sorted({p for pat in source.paths for p in glob.glob(pat)})
        if not files:
            print(f"cflexagent: source {source.name}: no file matches {', '.join(source.paths) or '(none)'}; "
                  "give a PATH", file=sys.stderr)
            return EXIT_USAGE
        path = files[0]
    try:
        lines = read_lines(path, args.lines, source)
    except OSError as e:
        print(f"cflexagent: {path}: {e.strerror or e}", file=sys.stderr)
        return EXIT_RUNTIME

    rcfg = config.logs.redact if config is not None else RedactConfig()
    key = b""
    note = ""
    if uses_hash(rcfg):
        kp = key_path(rcfg, config.agent.state_dir if config is not None else "/var/lib/cflexagent")
        try:
            key = kp.read_bytes()
        except OSError:
            note = f"(hash key {kp} not readable: hashes below differ from the agent's)"
    redactor = Redactor(rcfg, key=key)
    metrics = LogMetrics(CollectorRegistry())
    parser = build_parser(source, metrics)
    chain = [redact_transform(redactor)] if rcfg.enabled else []
    # No Loki section: no age limits, so old files preview too.
    encoder = StreamEncoder(source, None, metrics)
    out = sys.stdout
    out.write(f"# {path}: source {source.name} (format {source.format}), redaction "
              f"{'on' if rcfg.enabled else 'OFF'} {note}\n")
    now = time.time_ns()
    for i, line in enumerate(lines):
        # One entry at a time, in file order, through the same functions the agent runs.
        batch = parser.parse([line], now + i)
        batch = apply_transforms(chain, batch)
        payload, _ = encoder.encode(batch, now_ns=now)
        for labels, entries in decode_push(payload):
            for ts, shipped, meta in entries:
                out.write(f"\n#{i + 1} {format_ts(ts)} {labels.decode()}\n")
                if meta:
                    out.write("  metadata: " + " ".join(f"{k.decode()}={v.decode('utf-8', 'replace')}"
                                                       for k, v in meta) + "\n")
                out.write("  " + shipped.decode("utf-8", "replace").replace("\n", "\n  ") + "\n")
    counts = ", ".join(f"{k}={v}" for k, v in sorted(redactor.counts.items())) or "none"
    out.write(f"\n# {len(lines)} entries; redactions: {counts}\n")
    return EXIT_OK
