"""The daily backup inside the agent: ``[backup] enabled``, at ``daily_at`` like the storage scans.

Each run is one archive (``archive.create``) in a worker thread with a
timeout; a run past it is cancelled (``archive.Cancel``), so it keeps no
archive and prunes nothing, as its "failure" says. The result is a metric
and one structured log event, never a dead agent: a failed run is counted
and the next day's run goes ahead.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..component import Context, Stage
from ..schedule import next_daily
from ..telemetry import get_logger
from .archive import BackupError, Cancel, Result, create
from .metrics import BackupMetrics

if TYPE_CHECKING:
    from ..config import Config

log = get_logger("backup")


class BackupScheduler:
    name = "backup"
    stage: Stage = "service"

    def __init__(self, config: Config, ctx: Context, source: str = "config") -> None:
        self.config = config
        self.source = source
        self.metrics = ctx.metrics(BackupMetrics)
        self.clock = time.time

    def reconfigure(self, new: object) -> bool:
        if not isinstance(new, BackupScheduler):
            return False
        self.config = new.config
        return True

    def due(self, now: float) -> float:
        b = self.config.backup
        return next_daily(b.daily_at, b.timezone, now)

    async def run_once(self) -> Result | None:
        b = self.config.backup
        started = time.monotonic()
        cancel = Cancel()
        work = asyncio.ensure_future(asyncio.to_thread(create, self.config, self.source, Path(b.out_dir), b.keep,
                                                       cancel=cancel))
        work.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved even when abandoned
        try:
            try:
                result = await asyncio.wait_for(asyncio.shield(work), float(b.timeout))
            except TimeoutError:
                # The thread cannot be interrupted: tell it to stop at its next file (or before the rename).
                # If it had renamed already, the archive is complete: wait the pruning out and count it.
                if cancel.cancel():
                    raise
                result = await work
        except (BackupError, OSError, TimeoutError) as e:
            reason = f"timed out after {float(b.timeout):g}s" if isinstance(e, TimeoutError) else str(e)
            self.metrics.runs.labels("failure").inc()
            self.metrics.duration.set(time.monotonic() - started)
            log.error("backup failed", reason=reason, out_dir=b.out_dir)
            return None
        self.metrics.runs.labels("success").inc()
        self.metrics.last_success.set(time.time())
        self.metrics.size.set(result.size)
        self.metrics.duration.set(time.monotonic() - started)
        log.info("backup completed", archive=str(result.path), bytes=result.size, files=result.files,
                 dashboards=result.dashboards_from, pruned=len(result.pruned))
        return result

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wait = max(0.0, self.due(self.clock()) - self.clock())
            try:
                await asyncio.wait_for(stop.wait(), wait)
                return
            except TimeoutError:
                pass
            await self.run_once()
