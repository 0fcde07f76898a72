"""The component contract and the context every component is built with.

A component is a small object with ``name``, ``stage`` and
``async def run(self, stop: asyncio.Event) -> None``. Names are dotted,
``capability.part[.name]``: ``probes``, ``logs.source.<source>``,
``logs.sink.loki``, ``logs.sink.console``, ``storage.sftp``, ``storage.quota``,
``alerts.relay``, ``backup`` (and ``demo.*`` in ``run --demo``). The name is the
``component`` label of ``cflexagent_component_*`` and, through the component's
logger, the ``component`` field of its log lines. Optional methods:

- ``healthcheck() -> bool``: False makes ``/ready`` answer 503.
- ``reconfigure(new) -> bool``: absorb the config of ``new`` (a freshly built
  instance of the same name) in place on SIGHUP and return True, keeping state
  (probe history, log checkpoints, spool). Returning False, or lacking the
  method, makes the supervisor stop the old instance and start the new one.

Stop order on shutdown follows ``stage``: sources first, then sinks (which
flush), then services (HTTP API users such as the alert relay). Transforms are
no components: they run inside each source's pipeline (``logs/pipeline.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from aiohttp import web
from prometheus_client import CollectorRegistry

from .telemetry import LoopMonitor

Stage = Literal["source", "sink", "service"]
STAGE_ORDER: tuple[Stage, ...] = ("source", "sink", "service")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """What ``cflexagent check`` reports about a config beyond its syntax (a file it cannot read, ...)."""

    severity: Literal["error", "warning"]
    message: str


@runtime_checkable
class Component(Protocol):
    name: str
    stage: Stage

    async def run(self, stop: asyncio.Event) -> None: ...


@dataclass
class Context:
    """What components share: the metrics registry, the state dir, HTTP routes, the loop monitor."""

    registry: CollectorRegistry
    state_dir: Path
    loop_monitor: LoopMonitor = field(default_factory=LoopMonitor)
    #: Extra HTTP routes served by the agent's server, path -> handler (e.g. "/api/probes").
    #: Components add and remove entries at run time; the server looks them up per request.
    routes: dict[str, Handler] = field(default_factory=dict)
    #: Routes with a variable tail, prefix (ending in "/") -> handler, e.g. "/alerts/ack/" for
    #: "/alerts/ack/<token>"; an exact entry in ``routes`` wins, then the longest prefix.
    prefix_routes: dict[str, Handler] = field(default_factory=dict)
    #: Paths, and prefixes ending in "/", whose handlers check credentials themselves (a bearer
    #: token, a signed link): the server's basic auth does not apply to them.
    self_authenticating: set[str] = field(default_factory=set)
    _shared: dict[type, Any] = field(default_factory=dict)

    def handler_for(self, path: str) -> Handler | None:
        handler = self.routes.get(path)
        if handler is None:
            for prefix in sorted(self.prefix_routes, key=len, reverse=True):
                if path.startswith(prefix) and len(path) > len(prefix):
                    return self.prefix_routes.get(prefix)
        return handler

    def authenticates_itself(self, path: str) -> bool:
        return path in self.self_authenticating or any(
            p.endswith("/") and path.startswith(p) for p in self.self_authenticating)

    def shared(self, cls: type[T]) -> T:
        """The one instance of ``cls`` for this agent, built from the registry on first use.

        For what outlives components across reloads: metrics holders (a reload never
        re-registers a family) and the wiring of a capability (``logs.topology.LogsTopology``).
        """
        inst = self._shared.get(cls)
        if inst is None:
            factory: Any = cls
            inst = self._shared[cls] = factory(self.registry)
        return inst  # type: ignore[no-any-return]

    #: The same, under the name metrics holders are asked for by.
    metrics = shared
