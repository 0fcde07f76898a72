"""Fixtures that start a real agent (in-process, port from the kernel) and stop it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from cflexagent.agent import Agent
from cflexagent.config import parse


class Running:
    def __init__(self, agent: Agent, task: asyncio.Task[int]) -> None:
        self.agent = agent
        self.task = task

    @property
    def url(self) -> str:
        scheme = "https" if self.agent.config.server.tls else "http"
        return f"{scheme}://127.0.0.1:{self.agent.server.port}"

    def value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        return self.agent.registry.get_sample_value(name, labels or {})


@pytest.fixture
async def start_agent(tmp_path: Path) -> AsyncIterator[Callable[..., object]]:
    running: list[Running] = []

    async def start(text: str = "", extra: list[object] | None = None, path: Path | None = None,
                    grace: str = "3s") -> Running:
        body = f'[agent]\nstate_dir = "{tmp_path / "state"}"\nshutdown_grace = "{grace}"\n' \
               f'[server]\nlisten = "127.0.0.1:0"\n' + text
        if path is not None:
            path.write_text(body)
        cfg = parse(body, "test.toml")
        loader = (lambda: __import__("cflexagent.config").config.load(path)) if path else None
        comps = list(extra or [])
        agent = Agent(cfg, "test.toml", loader, extra_components=lambda ctx: comps)
        task = asyncio.create_task(agent.run())
        started = asyncio.create_task(agent.started.wait())
        await asyncio.wait([task, started], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        assert agent.started.is_set()
        r = Running(agent, task)
        running.append(r)
        return r

    yield start
    for r in running:
        r.agent.stop_event.set()
        await asyncio.wait_for(asyncio.shield(r.task), 15)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s
