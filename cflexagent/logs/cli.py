"""``cflexagent logs preview``: show what the agent would ship for the first lines of a file;
``cflexagent logs names``: which words of a text the ``names`` pattern takes, by rule or by model.

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
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
#: Bytes of the file preview reads at most (a 10 MB line in truncate mode is read to its end to be skipped).
PREVIEW_MAX_BYTES = 64 * 1024 * 1024


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    logs = subparsers.add_parser("logs", parents=[common], help="log pipeline tools (preview, names)")
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
    p = sub.add_parser(
        "names", parents=[common], help="show which words of a text the names pattern takes, and why",
        description="For each text (the arguments, else each line of stdin): the text as redacted, then each "
                    "personal name the names pattern finds, by its rules or by its model (with the model's "
                    "probability), and the words the model weighed and left. Uses [logs.redact] names_allow, "
                    "names_extra and names_model of the config (-c) when there is one.")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to read (default: the lines of stdin)")
    p.set_defaults(func=cmd_names)


def _config(args: argparse.Namespace) -> Any:
    """The config named by -c / $CFLEXAGENT_CONFIG / the default path, or None when there is none."""
    from ..cli import load_config
    from ..config import resolve_path

    explicit = getattr(args, "config", None) or os.environ.get("CFLEXAGENT_CONFIG")
    if not explicit and not os.path.exists(resolve_path(None)):
        return None
    config, _ = load_config(args)
    return config


#: Timestamp fields ``logs preview`` takes, without a configured source, when a file's first JSON line has one.
_TS_FIELDS = ("ts", "timestamp", "time", "@timestamp")


def _pick_source(config: Any, args: argparse.Namespace) -> Any:
    from ..config import ConfigError, decode
    from .config import FileSource, SourceConfig

    sources = list(config.logs.sources) if config is not None else []
    if args.source:
        for s in sources:
            if s.name == args.source:
                return s
        valid = ", ".join(s.name for s in sources) or "none configured"
        raise ConfigError(f'no source named "{args.source}" in [[logs.sources]] (sources: {valid})')
    files = [s for s in sources if isinstance(s, FileSource)]
    if args.path is None:
        # No PATH: the first file source with a file to show (else the first, which says so).
        if not files:
            raise ConfigError("no PATH given and the config has no [[logs.sources]] reading files: give a PATH")
        return next((s for s in files if _files_of(s)), files[0])
    real = os.path.abspath(args.path)
    for s in files:
        if any(fnmatch.fnmatchcase(real, pat) for pat in s.paths):
            return s
    fmt = args.format
    head = b""
    try:
        with open(args.path, "rb") as f:
            head = f.read(4096)
    except OSError:
        pass
    if fmt is None:
        fmt = "json" if head.lstrip().startswith(b"{") else "raw"
    raw: dict[str, Any] = {"name": "preview", "format": fmt}
    if fmt != "journal":
        raw["paths"] = [real]
    if fmt == "json":
        raw["timestamp_field"] = _guess_ts_field(head)
    return decode(raw, SourceConfig)


def _guess_ts_field(head: bytes) -> str:
    """The timestamp field of the first JSON line, among the usual names ("" when none)."""
    import msgspec

    try:
        first = msgspec.json.decode(head.split(b"\n", 1)[0])
    except (msgspec.DecodeError, RecursionError):
        return ""
    if isinstance(first, dict):
        for name in _TS_FIELDS:
            if isinstance(first.get(name), str | int | float):
                return name
    return ""


def _printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences of a binary file) as \\xNN."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\t\n" else f"\\x{ord(c):02x}" for c in text)


def _files_of(source: Any) -> list[str]:
    from prometheus_client import CollectorRegistry

    from .metrics import LogMetrics
    from .sources.tail import Tailer

    return Tailer(source, LogMetrics(CollectorRegistry()), {}, fresh=False).matching_paths()


def read_lines(path: str, n: int, source: Any, metrics: Any,
               max_bytes: int = PREVIEW_MAX_BYTES) -> tuple[list[bytes], int]:
    """The first ``n`` entries of ``path`` exactly as the source's tailer hands them out, and the
    bytes read; reads at most about ``max_bytes``. Raises OSError / ValueError (not a regular file)."""
    from ..config import decode
    from .config import FileSource, SourceConfig
    from .sources.tail import Tailer

    if not isinstance(source, FileSource):  # a file of journalctl's JSON output: read as plain lines
        source = decode({"name": source.name, "paths": [os.path.abspath(path)]}, SourceConfig)
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

    from ..component import Context
    from ..sinks.console import ConsoleConfig, format_ts
    from ..sinks.loki.encode import StreamEncoder
    from ..sinks.loki.protobuf import decode_push
    from .config import LogsConfig
    from .metrics import LogMetrics
    from .pipeline import Pipeline
    from .transforms import key_path, uses_hash
    from .transforms.redact import RedactMetrics

    if args.lines < 1:
        print("cflexagent: --lines must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    config = _config(args)
    source = _pick_source(config, args)
    path = args.path
    if path is None:
        files = _files_of(source)
        if not files:
            print(f"cflexagent: source {source.name}: no file matches {', '.join(getattr(source, 'paths', []))}; "
                  "give a PATH", file=sys.stderr)
            return EXIT_USAGE
        path = files[0]
    registry = CollectorRegistry()
    ctx = Context(registry=registry, state_dir=Path(config.agent.state_dir if config is not None else "."))
    metrics = ctx.shared(LogMetrics)
    try:
        lines, read = read_lines(path, args.lines, source, metrics)
    except OSError as e:
        print(f"cflexagent: {path}: {e.strerror or e}", file=sys.stderr)
        return EXIT_RUNTIME
    except ValueError as e:
        print(f"cflexagent: {path}: {e}", file=sys.stderr)
        return EXIT_USAGE

    logs = config.logs if config is not None else LogsConfig(console=ConsoleConfig())
    rcfg = logs.redact
    key = b""
    note = ""
    if uses_hash(rcfg):
        kp = key_path(rcfg, config.agent.state_dir if config is not None else "/var/lib/cflexagent")
        try:
            key = kp.read_bytes()
        except OSError:
            note = f"(hash key {kp} not readable: hashes below differ from the agent's)"
    # The pipeline the agent runs for this source, encoding for Loki (without Loki's age limits, so
    # old files preview too), its metrics in a registry of its own.
    pipeline = Pipeline.build(source, logs, {"preview": lambda s: StreamEncoder(s, None, metrics)}, metrics, ctx,
                              key)
    out = sys.stdout
    out.write(f"# {_printable(path)}: source {source.name} (format {source.format}), redaction "
              f"{'on' if rcfg.enabled else 'OFF'} {note}\n")
    if any(b"\0" in line for line in lines):
        out.write("# this file holds NUL bytes: it does not look like a text log (control characters shown as "
                  "\\xNN)\n")
    now = time.time_ns()
    for i, line in enumerate(lines):
        # One entry at a time, in file order, stamped like the agent stamps a read.
        payload = pipeline.process([line], now + i)["preview"].data
        for labels, entries in decode_push(payload):
            for ts, shipped, meta in entries:
                out.write(f"\n#{i + 1} {format_ts(ts)} {labels.decode()}\n")
                if meta:
                    out.write("  metadata: " + " ".join(_printable(f"{k.decode()}={v.decode('utf-8', 'replace')}")
                                                       for k, v in meta) + "\n")
                out.write("  " + _printable(shipped.decode("utf-8", "replace")).replace("\n", "\n  ") + "\n")
    counts = ", ".join(f"{k}={v}" for k, v in sorted(ctx.shared(RedactMetrics).counts_for(source.name).items()))
    out.write(f"\n# {len(lines)} {'entry' if len(lines) == 1 else 'entries'}; redactions: {counts or 'none'}\n")
    cut = [f"{action} {int(v)}" for action in ("truncated", "split")
           if (v := registry.get_sample_value("cflexagent_log_long_lines_total",
                                              {"source": source.name, "action": action}))]
    if cut:
        out.write(f"# lines over max_line_bytes ({int(source.max_line_bytes)}): {', '.join(cut)}\n")
    if len(lines) < args.lines and read >= PREVIEW_MAX_BYTES:
        out.write(f"# stopped after reading {read} bytes (at most {PREVIEW_MAX_BYTES})\n")
    return EXIT_OK


#: How ``cflexagent logs names`` shows the model's verdict on a word it weighed (``NameModel.explain``).
VERDICTS = {"model": "model", "vetoed": "vetoed by a blocker of the rules", "left": "left by the model"}
#: What ``cflexagent logs names`` says of a text the model's gate passed over (``NameModel.worth``).
NOT_READ = ("(the model did not read this text: no listed name, word that reads like one or possessive "
            "outside the rules' names)")


def cmd_names(args: argparse.Namespace) -> int:

    from .transforms import names as impl
    from .transforms.config import RedactConfig

    config = _config(args)
    rcfg = config.logs.redact if config is not None else RedactConfig()
    names = impl.shipped_names()
    rules = impl.NameFinder(names, rcfg.names_allow, rcfg.names_extra, use_model=False)
    finder = impl.NameFinder(names, rcfg.names_allow, rcfg.names_extra, use_model=rcfg.names_model)
    texts = args.texts or [line.rstrip("\r\n") for line in sys.stdin]
    out = sys.stdout
    if "names" not in rcfg.patterns:
        out.write('# the names pattern is off ([logs.redact] patterns has no "names")\n')
    for text in texts:
        spans = finder.spans(text)  # what the agent redacts
        shown = text
        for k in range(len(spans) - 2, -1, -2):
            shown = shown[:spans[k]] + "<redacted:name>" + shown[spans[k + 1]:]
        out.write(_printable(shown) + "\n")
        taken = rules.spans(text)
        why = [(taken[i], taken[i + 1], "rules") for i in range(0, len(taken), 2)]
        read = finder.model is not None and finder.model.worth(text, text.split(), taken)
        if finder.model is not None:
            for a, b, p, verdict in finder.model.explain(text, taken):
                label = VERDICTS[verdict]
                why.append((a, b, f"{label} {p:.2f}"))
        for a, b, reason in sorted(why):
            out.write(f"  {_printable(text[a:b]):<28} {reason}\n")
        if finder.model is not None and not read:
            out.write(f"  {NOT_READ}\n")
    if finder.model is None:
        out.write("# names_model = false: the rules alone\n")
    return EXIT_OK
