"""The systemd journal source: follows ``journalctl --output=json --follow``.

https://www.freedesktop.org/software/systemd/man/journalctl.html (``--output=json``:
one object per entry, ``__CURSOR`` names the entry, ``--after-cursor`` resumes
after it). The cursor of the last entry of a batch travels in the delivery's
ack and reaches the checkpointer (``logs/checkpoint.py``, the same file as
the file sources' positions) only once the batch is durable in the spool, so a
crash re-sends at most the batch in flight, with the same timestamps
(``__REALTIME_TIMESTAMP``) and lines (``MESSAGE``): Loki discards the replay.
Cursor files of earlier versions (``journal-<source>.cursor``) are read once,
when the checkpoint has no cursor for the source yet.

journalctl's stderr is read while it runs: a stream nobody reads is buffered up
to twice its limit (8 MiB here), then the pipe fills and journalctl blocks. Only
its last ``STDERR_KEEP`` bytes are kept, and logged when it exits.

Everything between reading and the sinks is the file sources' machinery: the
pipeline (``JournalParser``, the transforms, each sink's encoder) and the
delivery of ``sources/base.py``. ``journal_command`` is the program to run (``journalctl``;
tests substitute a script that replays recorded output).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import orjson

from ...telemetry import get_logger
from .base import SourceComponent

if TYPE_CHECKING:
    from ...component import Context
    from ..config import JournalSource, LogsConfig

#: For the cursor files of earlier versions, read before the source runs.
log = get_logger("logs.source")

#: How long a partial batch waits for more entries before it is shipped.
BATCH_WAIT = 0.25
#: While journalctl is quiet, how often the delivery in flight is settled and the checkpoint written.
IDLE_PERSIST = 1.0
RESTART_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
#: Bytes of journalctl's stderr kept (the newest) for the log line when it exits.
STDERR_KEEP = 2000
CURSOR_VERSION = 1  # of the cursor files of earlier versions


class _CursorFile(msgspec.Struct):
    version: int
    cursor: str


def cursor_path(state_dir: Path, source: str) -> Path:
    return state_dir / "logs" / f"journal-{source}.cursor"


def read_cursor(path: Path) -> str:
    """The saved cursor, or "" (none yet, or a damaged file: moved aside, the source starts afresh)."""
    try:
        raw = path.read_bytes().strip()
    except FileNotFoundError:
        return ""
    except OSError as e:
        log.error("cannot read the journal cursor; starting without it", path=str(path), error=e.strerror or str(e))
        return ""
    try:
        if not raw.startswith(b"{"):
            return raw.decode("utf-8")  # the bare cursor written by earlier versions
        doc = msgspec.json.decode(raw, type=_CursorFile)
        if doc.version != CURSOR_VERSION:
            raise ValueError(f"unsupported version {doc.version}")
        return doc.cursor
    except (msgspec.DecodeError, UnicodeDecodeError, ValueError) as e:
        bad = path.with_name(path.name + ".corrupt")
        with contextlib.suppress(OSError):
            os.replace(path, bad)
        log.error("journal cursor file unreadable; moved aside, starting without it", path=str(path),
                  moved_to=str(bad), error=str(e))
        return ""


async def _drain(stream: asyncio.StreamReader) -> bytes:
    """Read ``stream`` to its end, keeping only the newest ``STDERR_KEEP`` bytes."""
    tail = b""
    while chunk := await stream.read(65536):
        tail = (tail + chunk)[-STDERR_KEEP:]
    return tail


def journal_args(source: JournalSource, cursor: str) -> list[str]:
    args = [*source.journal_command, "--output=json", "--follow", "--no-pager", "--all"]
    if cursor:
        args.append(f"--after-cursor={cursor}")
    elif source.start_at == "end":
        args.append("--lines=0")
    else:
        # First start: the recent past (Loki refuses samples older than its max age anyway).
        args.append("--since=-1h")
    for unit in source.journal_units:
        args.append(f"--unit={unit}")
    return args


class JournalSourceComponent(SourceComponent):
    source: JournalSource

    def __init__(self, source: JournalSource, logs: LogsConfig, ctx: Context) -> None:
        super().__init__(source, logs, ctx)
        self.legacy_cursor_file = cursor_path(ctx.state_dir, source.name)
        self._stop = asyncio.Event()

    def reconfigure(self, new: object) -> bool:
        if not isinstance(new, JournalSourceComponent) or new.name != self.name:
            return False
        if (new.source.journal_command, new.source.journal_units) != \
                (self.source.journal_command, self.source.journal_units):
            return False  # another command line: restart from the cursor
        self.take_settings(new)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        cp = await self.checkpointer(stop)
        if cp is None:
            return
        self._stop = stop
        if not cp.cursor(self.source.name):
            legacy = await asyncio.to_thread(read_cursor, self.legacy_cursor_file)
            if legacy:
                cp.cursors[self.source.name] = legacy
        attempt = 0
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self._follow(stop)
            except OSError as e:
                self.log.error("cannot run journalctl", source=self.source.name,
                               command=self.source.journal_command[0], error=e.strerror or str(e))
            if stop.is_set():
                return
            self.m.file_errors.labels(self.source.name, "journalctl_exit").inc()
            attempt = 0 if time.monotonic() - started > 60 else attempt + 1
            delay = RESTART_BACKOFF[min(attempt, len(RESTART_BACKOFF) - 1)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    async def _follow(self, stop: asyncio.Event) -> None:
        cp = self.topo.checkpointer(self.ctx.state_dir)
        cursor = cp.cursor(self.source.name)
        proc = await asyncio.create_subprocess_exec(
            *journal_args(self.source, cursor), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, limit=4 * 1024 * 1024)
        assert proc.stdout is not None and proc.stderr is not None
        stderr = asyncio.create_task(_drain(proc.stderr))
        stopper = asyncio.create_task(stop.wait())
        pending = b""
        reader: asyncio.Task[bytes] | None = None
        try:
            while True:
                if reader is None:
                    reader = asyncio.create_task(proc.stdout.read(256 * 1024))
                done, _ = await asyncio.wait({reader, stopper}, timeout=IDLE_PERSIST,
                                             return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    # Quiet: the delivery in flight is kept, then its cursor written (nothing else would).
                    await self.settle()
                    await cp.maybe_persist(float(self.logs.checkpoint_interval))
                    continue
                if reader not in done:
                    return
                data, reader = reader.result(), None
                if not data:
                    break
                buf = pending + data
                # Gather what arrives within BATCH_WAIT into one batch.
                while len(buf) < 1024 * 1024:
                    try:
                        more = await asyncio.wait_for(proc.stdout.read(256 * 1024), BATCH_WAIT)
                    except TimeoutError:
                        break
                    if not more:
                        break
                    buf += more
                cut = buf.rfind(b"\n")
                if cut < 0:
                    pending = buf
                    continue
                pending = buf[cut + 1:]
                lines = [x for x in buf[:cut].split(b"\n") if x]
                if lines:
                    await self._ship(lines)
            code = await proc.wait()
            try:  # EOF once journalctl is gone (unless a child of it still holds the pipe)
                tail = await asyncio.wait_for(asyncio.shield(stderr), 2.0)
            except TimeoutError:
                tail = b""
            err = tail.decode("utf-8", "replace").strip()
            self.log.warning("journalctl exited; restarting after the last shipped entry", source=self.source.name,
                        code=code, stderr=err[-500:])
        finally:
            if reader is not None:
                reader.cancel()
            await self.settle_quietly()
            with contextlib.suppress(Exception):
                await cp.persist()
            stopper.cancel()
            stderr.cancel()
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 5)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    await proc.wait()

    async def _ship(self, lines: list[bytes]) -> None:
        read_ns = time.time_ns()
        self.m.read_lines.labels(self.source.name).inc(len(lines))
        self.m.read_bytes.labels(self.source.name).inc(sum(map(len, lines)) + len(lines))
        cursor = None
        for raw in reversed(lines):
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("__CURSOR"), str):
                cursor = obj["__CURSOR"]
                break
        encoded = self.pipeline.process(lines, read_ns)
        await self.settle()
        cp = self.topo.checkpointer(self.ctx.state_dir)
        self.start_delivery(encoded, cp.begin(self.source.name, [], cursor), self._stop)
        await cp.maybe_persist(float(self.logs.checkpoint_interval))
