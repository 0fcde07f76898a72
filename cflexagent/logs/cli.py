"""``cflexagent logs preview``: show what the agent would ship for the first lines of a file.

For each entry: the Loki labels, the timestamp, the structured metadata and the
line after redaction. It runs the pipeline's own functions -- the tailer (line
splitting, ``max_line_bytes`` / ``long_lines``, UTF-8 repair, multiline
joining), the source's parser, the redaction transform, the stream encoder --
and prints the decoded push request, so preview and shipping cannot diverge.
The tool to tune ``[logs.redact]`` with. Reads at most ``PREVIEW_MAX_BYTES`` of
the file, so a huge file or one endless line cannot hang it.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
from typing import Any

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
#: Bytes of the file preview reads at most (a 10 MB line in truncate mode is read to its end to be skipped).
PREVIEW_MAX_BYTES = 64 * 1024 * 1024


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    logs = subparsers.add_parser("logs", parents=[common], help="log pipeline tools (preview)")
    sub = logs.add_subparsers(dest="logs_command", metavar="COMMAND", required=True)
    p = sub.add_parser(
        "preview", parents=[common], help="print labels, timestamp, metadata and the redacted line as shipped",
        description="Print, for the first lines of a file, the labels, timestamp, structured metadata and the "
                    "redacted line exactly as the agent would ship them to Loki. Uses the source settings and "
                    "[logs.redact] of the config (-c) when there is one, else the defaults.")
    p.add_argument("path", nargs="?", metavar="PATH",
                   help="the file (default: the first file of --source, else of the first source with one)")
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
    if args.path is None:
        # No PATH: the first file source with a file to show (else the first, which says so).
        files = [s for s in sources if s.paths]
        if not files:
            raise ConfigError("no PATH given and the config has no [[logs.sources]] reading files: give a PATH")
        return next((s for s in files if _files_of(s)), files[0])
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


def _files_of(source: Any) -> list[str]:
    from prometheus_client import CollectorRegistry

    from .metrics import LogMetrics
    from .tail import Tailer

    return Tailer(source, LogMetrics(CollectorRegistry()), {}, fresh=False).matching_paths()


def read_lines(path: str, n: int, source: Any, metrics: Any,
               max_bytes: int = PREVIEW_MAX_BYTES) -> tuple[list[bytes], int]:
    """The first ``n`` entries of ``path`` exactly as the source's tailer hands them out, and the
    bytes read; reads at most about ``max_bytes``. Raises OSError / ValueError (not a regular file)."""
    from .tail import Tailer

    tailer = Tailer(source, metrics, {}, fresh=False)
    tailer.follow(path)
    out: list[bytes] = []
    total = 0
    try:
        while len(out) < n and total < max_bytes:
            lines, _, consumed = tailer.read(int(source.read_chunk))
            out.extend(lines)
            total += consumed
            if not consumed:
                break
        if len(out) < n:  # the end of the file: its last line needs no newline to be shown
            out.extend(tailer.flush())
    finally:
        tailer.close_all()
    return out[:n], total


def cmd_preview(args: argparse.Namespace) -> int:
    import time

    from prometheus_client import CollectorRegistry

    from ..sinks.console import format_ts
    from ..sinks.protobuf import decode_push
    from .accel import redaction
    from .metrics import LogMetrics
    from .parse import apply_transforms, build_parser
    from .redact import key_path
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
        files = _files_of(source)
        if not files:
            print(f"cflexagent: source {source.name}: no file matches {', '.join(source.paths) or '(none)'}; "
                  "give a PATH", file=sys.stderr)
            return EXIT_USAGE
        path = files[0]
    registry = CollectorRegistry()
    metrics = LogMetrics(registry)
    try:
        lines, read = read_lines(path, args.lines, source, metrics)
    except OSError as e:
        print(f"cflexagent: {path}: {e.strerror or e}", file=sys.stderr)
        return EXIT_RUNTIME
    except ValueError as e:
        print(f"cflexagent: {path}: {e}", file=sys.stderr)
        return EXIT_USAGE

    rcfg = config.logs.redact if config is not None else RedactConfig()
    key = b""
    note = ""
    if uses_hash(rcfg):
        kp = key_path(rcfg, config.agent.state_dir if config is not None else "/var/lib/cflexagent")
        try:
            key = kp.read_bytes()
        except OSError:
            note = f"(hash key {kp} not readable: hashes below differ from the agent's)"
    redactor = redaction.Redactor(rcfg, key=key)
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
    cut = [f"{action} {int(v)}" for action in ("truncated", "split")
           if (v := registry.get_sample_value("cflexagent_log_long_lines_total",
                                              {"source": source.name, "action": action}))]
    if cut:
        out.write(f"# lines over max_line_bytes ({int(source.max_line_bytes)}): {', '.join(cut)}\n")
    if len(lines) < args.lines and read >= PREVIEW_MAX_BYTES:
        out.write(f"# stopped after reading {read} bytes (at most {PREVIEW_MAX_BYTES})\n")
    return EXIT_OK
