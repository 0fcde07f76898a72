"""The logs capability as the agent sees it: the topology to run, ``check`` summary and file checks.

``build`` wires the topology (cheap, no I/O): the sink components first, each
filling its slot's encoder factory, then one source component per
``[[logs.sources]]`` delivering to the slots of ``[logs]``'s sinks.
``prepare`` does the I/O the pipeline needs before anything runs (the
redaction hash key). Imported lazily by ``components.py`` only when
``[logs]`` is configured.
"""

from __future__ import annotations

import glob
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..component import Component, Context, Problem
    from ..config import Config


def build(config: Config, ctx: Context) -> list[Component]:
    logs = config.logs
    if not logs.sources and logs.loki is None:
        return []
    from .config import JournalSource
    from .sources.file import FileSourceComponent
    from .sources.journal import JournalSourceComponent
    from .topology import LogsTopology

    topo = ctx.shared(LogsTopology)
    sinks: list[Component] = []
    if logs.loki is not None:
        from ..sinks.loki.sink import LokiSinkComponent

        loki = LokiSinkComponent(logs.loki, ctx.state_dir, topo)
        topo.slot("loki").encoder = loki.encoder
        sinks.append(loki)
    if logs.console is not None:
        from ..sinks.console import ConsoleSinkComponent

        console = ConsoleSinkComponent(logs.console, topo.metrics, topo.slot("console"))
        topo.slot("console").encoder = console.encoder
        sinks.append(console)
    topo.durable = {name for name in logs.sink_names if name == "loki"}
    sources: list[Component] = [JournalSourceComponent(s, logs, ctx) if isinstance(s, JournalSource)
                                else FileSourceComponent(s, logs, ctx) for s in logs.sources]
    return sinks + sources


def prepare(config: Config, ctx: Context) -> None:
    """Before the components run (start, reload): read or create the redaction hash key."""
    from .topology import LogsTopology
    from .transforms import prepare as prepare_transforms

    ctx.shared(LogsTopology).redact_key = prepare_transforms(config)


def summary(config: Config) -> list[str]:
    logs = config.logs
    lines = []
    sinks = []
    if logs.loki is not None:
        sinks.append(f"loki {logs.loki.safe_url} ({logs.loki.encoding})")
    if logs.console is not None:
        sinks.append("console")
    from .config import JournalSource

    for s in logs.sources:
        if isinstance(s, JournalSource):
            units = ", ".join(s.journal_units) or "all units"
            lines.append(f"logs       {s.name} (journal: {units}) -> {' + '.join(sinks)}")
            continue
        n = len({p for pat in s.paths for p in glob.glob(pat)})
        lines.append(f"logs       {s.name} ({s.format}, {n} file{'s' if n != 1 else ''} now): "
                     f"{', '.join(s.paths)} -> {' + '.join(sinks)}")
    if not logs.sources and logs.loki is not None:
        lines.append(f"logs       no sources; spool drains to {sinks[0]}")
    if logs.sources:
        r = logs.redact
        lines.append(f"logs       redaction {'on' if r.enabled else 'OFF'}: {len(r.fields)} fields ({r.field_action}), "
                     f"patterns {', '.join(r.patterns) or 'none'} ({r.pattern_action})"
                     + (f", {len(r.rules)} extra rules" if r.rules else "")
                     + (f"; {len(logs.metrics)} metrics from log events" if logs.metrics else ""))
    return lines


def check(config: Config) -> list[Problem]:
    from ..component import Problem
    from .config import JournalSource

    logs = config.logs
    out: list[Problem] = []
    for s in logs.sources:
        if isinstance(s, JournalSource):
            import shutil

            if shutil.which(s.journal_command[0]) is None:
                out.append(Problem("warning", f"logs.sources {s.name}: {s.journal_command[0]} not found; "
                                              "the journal source will retry until it is installed"))
            continue
        matched = False
        for pat in s.paths:
            for p in glob.glob(pat):
                matched = True
                if os.path.isfile(p) and not os.access(p, os.R_OK):
                    out.append(Problem("warning", f"logs.sources {s.name}: {p} is not readable by this user "
                                                  f"(uid {os.getuid()}); it will be skipped and counted"))
            parent = os.path.dirname(pat)
            if not glob.has_magic(parent) and os.path.isdir(parent) and not os.access(parent, os.R_OK | os.X_OK):
                out.append(Problem("warning", f"logs.sources {s.name}: directory {parent} is not readable"))
        if not matched:
            out.append(Problem("warning", f"logs.sources {s.name}: no file matches {', '.join(s.paths)} yet"))
    key_problem = _hash_key_problem(config)
    if key_problem:
        out.append(Problem("error", f"logs.redact.hash_key_file: {key_problem}"))
    return out


def _hash_key_problem(config: Config) -> str | None:
    """Why the agent could not read or create the redaction hash key, or None (without creating it)."""
    import tempfile
    from pathlib import Path

    from .transforms import key_path, uses_hash

    r = config.logs.redact
    if not (config.logs.sources and r.enabled and uses_hash(r) and r.hash_key_file):
        return None  # the default key lives in agent.state_dir, checked on its own
    path = key_path(r, config.agent.state_dir)
    if path.exists():
        if not path.is_file():
            return f"{path} is not a file"
        return None if os.access(path, os.R_OK) else f"{path} is not readable by this user (uid {os.getuid()})"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot create {path}: {parent} is not a directory"
    # Write access as the kernel sees it (root passes os.access on /proc, yet cannot create files there).
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".cflexagent-check-")
        os.close(fd)
        Path(probe).unlink()
    except OSError as e:
        return f"cannot create {path}: {e.strerror or e}"
    return None
