"""Console sink: print what would be shipped to Loki, one entry per line.

For debugging a source's labels, timestamps and structured metadata, and for
the demo. Each entry is printed as::

    2025-08-22T12:00:00.000000000Z {job="cflex", level="INFO"} {"ts":...} request_id=req-1

Not durable: when it is the only sink, checkpoints advance once the lines are
printed.
"""

from __future__ import annotations

import asyncio
import sys
import time

from ..component import Stage
from ..logs.config import ConsoleSink
from ..logs.pipeline import Delivery, LogsRuntime
from .protobuf import decode_push


def format_ts(ns: int) -> str:
    sec, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac:09d}Z"


class ConsoleSinkComponent:
    stage: Stage = "sink"
    durable = False

    def __init__(self, cfg: ConsoleSink, rt: LogsRuntime) -> None:
        self.name = "logs.console"
        self.cfg = cfg
        self.rt = rt

    def reconfigure(self, new: object) -> bool:
        if not isinstance(new, ConsoleSinkComponent):
            return False
        self.cfg = new.cfg
        return True

    async def write(self, d: Delivery) -> int:
        out = sys.stdout if self.cfg.stream == "stdout" else sys.stderr
        parts = []
        n = 0
        for labels, entries in decode_push(d.payload):
            lab = labels.decode() + " " if self.cfg.show_labels else ""
            for ts, line, meta in entries:
                extra = "".join(f" {k.decode()}={v.decode('utf-8', 'replace')}" for k, v in meta)
                parts.append(f"{format_ts(ts)} {lab}{line.decode('utf-8', 'replace')}{extra}\n")
                n += 1
        out.write("".join(parts))
        out.flush()
        self.rt.metrics.shipped_lines.labels("console").inc(n)
        return 0

    async def run(self, stop: asyncio.Event) -> None:
        self.rt.sinks["console"] = self
        try:
            await stop.wait()
        finally:
            if self.rt.sinks.get("console") is self:
                del self.rt.sinks["console"]
