"""The agent process: startup -> main loop -> shutdown, plus SIGHUP reloads.

Startup creates the state dir, binds the HTTP server, starts every component
under the supervisor and tells systemd READY=1. SIGTERM/SIGINT stop sources,
let sinks flush and exit 0 within ``agent.shutdown_grace``; another signal at
least one second after the first forces exit (systemd may deliver the same
SIGTERM to the one-file bootloader and to us at once; that must not count).
SIGHUP reloads the config file: a bad file keeps the running config.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry

from .component import Component, Context
from .components import NOTHING_TO_RUN, build_components, prepare_components
from .config import Config, ConfigError
from .server import Server, build_ssl_context
from .supervisor import Supervisor
from .systemd import Notifier
from .telemetry import AgentMetrics, LoopMonitor, get_logger, install_loop_exception_handler, setup_logging

log = get_logger("agent")

FORCE_EXIT_AFTER = 1.0


class StartupError(Exception):
    """Start-up failed; ``exit_code`` is 2 for config problems, 1 for run-time ones."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def ensure_state_dir(path: str, source: str = "config") -> Path:
    p = Path(path)
    try:
        p.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{source}: agent.state_dir: cannot create {p}: {e.strerror}") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise ConfigError(f"{source}: agent.state_dir: {p} is not writable by this user (uid {os.getuid()})")
    return p


def state_dir_problem(path: str) -> str | None:
    """Why ``run`` could not create or write ``path`` (without creating it), or None."""
    p = Path(path)
    while not p.exists():
        if p.parent == p:
            return f"cannot create {path}"
        p = p.parent
    if not p.is_dir():
        return f"{p} is not a directory"
    if not os.access(p, os.W_OK | os.X_OK):
        where = "" if p == Path(path) else f" (cannot create it in {p})"
        return f"{p} is not writable by this user (uid {os.getuid()}){where}"
    return None


class Agent:
    def __init__(self, config: Config, source: str = "config",
                 loader: Callable[[], Config] | None = None,
                 registry: CollectorRegistry | None = None,
                 extra_components: Callable[[Context], Iterable[Component]] | None = None) -> None:
        self.config = config
        self.source = source
        self._loader = loader
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.metrics = AgentMetrics(self.registry)
        self.ctx = Context(registry=self.registry, state_dir=Path(config.agent.state_dir),
                           loop_monitor=LoopMonitor(self.metrics))
        self.supervisor = Supervisor(self.metrics)
        self.server = Server(config.server, self.ctx, self.metrics, self._not_ready)
        self.notifier = Notifier()
        self.stop_event = asyncio.Event()
        self.started = asyncio.Event()
        #: Components outside the config (the demo's), made with the agent's context.
        self._extra = list(extra_components(self.ctx)) if extra_components is not None else []
        self._first_signal: float | None = None
        self._reload_lock = asyncio.Lock()
        self._helpers: list[asyncio.Task[object]] = []
        self._helper_stop = asyncio.Event()
        self.clock = time.monotonic

    # -- lifecycle ----------------------------------------------------------

    async def run(self) -> int:
        await self.startup()
        try:
            await self.stop_event.wait()
        finally:
            await self.shutdown()
        return 0

    async def startup(self) -> None:
        # asyncio's own errors (accept() out of file descriptors, a failing callback) become
        # rate-limited JSON lines instead of a traceback per occurrence.
        install_loop_exception_handler()
        ensure_state_dir(self.config.agent.state_dir, self.source)
        ssl_context = build_ssl_context(self.config.server, self.source)
        try:
            prepare_components(self.config, self.ctx)
            components = build_components(self.config, self.ctx) + self._extra
        except ConfigError as e:  # a file the config names cannot be used: one line naming the config
            raise ConfigError(f"{self.source}: {e}") from None
        try:
            await self.server.start(ssl_context)
        except OSError as e:
            what = "is already in use" if e.errno == errno.EADDRINUSE else f"cannot be bound: {e.strerror or e}"
            raise StartupError(f"{self.source}: server.listen: {self.config.server.listen} {what}", 1) from None
        self._install_signals()
        self._helpers = [asyncio.create_task(self.ctx.loop_monitor.run(self._helper_stop), name="loop-monitor"),
                         asyncio.create_task(self.notifier.watchdog(self._helper_stop), name="watchdog")]
        for comp in components:
            self.supervisor.start(comp)
        self.metrics.reload_ok.set(1)
        self.metrics.reload_ts.set(time.time())
        self.notifier.ready()
        self.started.set()
        if not self.supervisor.components:
            log.warning(NOTHING_TO_RUN)
        log.info("agent started", config=self.source, instance=self.config.agent.instance_name,
                 components=sorted(self.supervisor.components), listen=str(self.config.server.listen),
                 port=self.server.port)

    async def shutdown(self) -> None:
        self.notifier.stopping()
        grace = float(self.config.agent.shutdown_grace)
        log.info("stopping", grace_seconds=grace)
        await self.supervisor.stop_all(grace)
        await self.server.stop()
        self._helper_stop.set()
        for t in self._helpers:
            t.cancel()
        await asyncio.gather(*self._helpers, return_exceptions=True)
        self._remove_signals()
        log.info("stopped")

    def _not_ready(self) -> list[str]:
        if not self.started.is_set():
            return ["agent"]
        return self.supervisor.not_ready()

    # -- signals ------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload_signal)

    def _remove_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        if self._first_signal is not None:
            # Stopped by a signal and about to exit: a duplicate arriving now (systemd signals the one-file
            # bootloader and us at once) must not kill the process with the signal's status instead of 0.
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(Exception):
                    signal.signal(sig, signal.SIG_IGN)

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        now = self.clock()
        if self._first_signal is None:
            self._first_signal = now
            log.info("stop requested", signal=sig.name)
            self.stop_event.set()
        elif now - self._first_signal >= FORCE_EXIT_AFTER:
            log.error("second stop signal; exiting now without flushing", signal=sig.name)
            os._exit(1)

    def _on_reload_signal(self) -> None:
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(self.reload(), name="reload")
        self._helpers.append(task)
        task.add_done_callback(self._helpers.remove)

    # -- reload -------------------------------------------------------------

    async def reload(self) -> bool:
        """Load the config file again and apply it; a bad config keeps the running one."""
        if self._loader is None:
            log.warning("reload requested but the agent runs an embedded config; nothing to reload")
            return False
        async with self._reload_lock:
            self.notifier.reloading()
            try:
                ok = await self._reload()
            finally:
                self.notifier.ready()
            return ok

    async def _reload(self) -> bool:
        assert self._loader is not None
        try:
            new = await asyncio.to_thread(self._loader)
            ssl_context = build_ssl_context(new.server, self.source)
            await asyncio.to_thread(prepare_components, new, self.ctx)
            fresh = build_components(new, self.ctx) + self._extra
        except (ConfigError, ValueError) as e:
            self.metrics.reload_ok.set(0)
            log.error("config reload rejected; still running the previous config", error=str(e))
            return False
        except Exception as e:  # a bug or an I/O error while building: still one reason, never silent
            self.metrics.reload_ok.set(0)
            log.exception("config reload failed; still running the previous config",
                          error=f"{type(e).__name__}: {e}")
            return False
        old = self.config
        if new.server != old.server:
            try:
                await self.server.restart(new.server, ssl_context)
            except OSError as e:
                self.metrics.reload_ok.set(0)
                log.error("config reload rejected: cannot bind server.listen; still running the previous config",
                          listen=str(new.server.listen), error=e.strerror or str(e))
                return False
        if new.agent.state_dir != old.agent.state_dir:
            log.warning("agent.state_dir changes take effect at the next restart", running=old.agent.state_dir)
        if new.agent.log_level != old.agent.log_level:
            setup_logging(new.agent.log_level)
        running = self.supervisor.components
        wanted = {c.name: c for c in fresh}
        removed = [n for n in running if n not in wanted]
        restarted, kept, added = [], [], []
        for name, comp in wanted.items():
            cur = running.get(name)
            if cur is None:
                added.append(name)
                continue
            reconfigure = getattr(cur, "reconfigure", None)
            if cur is comp or (reconfigure is not None and reconfigure(comp)):
                kept.append(name)
            else:
                restarted.append(name)
        deadline = time.monotonic() + float(new.agent.shutdown_grace)
        await self.supervisor.stop(removed, deadline, forget=True)
        await self.supervisor.stop(restarted, deadline)
        for name in restarted + added:
            self.supervisor.start(wanted[name])
        self.config = new
        self.metrics.reload_ok.set(1)
        self.metrics.reload_ts.set(time.time())
        log.info("config reloaded", kept=kept, restarted=restarted, added=added, removed=removed)
        return True
