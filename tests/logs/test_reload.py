"""SIGHUP with log sources: sources are added and removed without re-reading what was shipped."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cflexagent.agent import Agent
from cflexagent.config import load
from tests.conftest import loki_section, source_section
from tests.fakes.loki import LokiDouble


def write_lines(path: Path, prefix: str, start: int, end: int) -> None:
    with open(path, "ab") as f:
        f.write(b"".join(f"{prefix} {i}\n".encode() for i in range(start, end)))


async def test_reload_adds_and_removes_sources_without_rereading(tmp_path: Path, loki: LokiDouble) -> None:
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    head = (f'[agent]\nstate_dir = "{tmp_path / "state"}"\nshutdown_grace = "5s"\n'
            f'[server]\nlisten = "127.0.0.1:0"\n' + loki_section(loki.url))
    src_a = source_section("a", f"{a_dir}/*.log", format='"raw"')
    src_b = source_section("b", f"{b_dir}/*.log", format='"raw"')
    cfg = tmp_path / "agent.toml"
    cfg.write_text(head + src_a)
    write_lines(a_dir / "app.log", "a", 0, 1000)
    write_lines(b_dir / "app.log", "b", 0, 500)
    agent = Agent(load(cfg), str(cfg), lambda: load(cfg))
    task = asyncio.create_task(agent.run())
    try:
        await loki.wait_for(lambda: loki.accepted == 1000, 30)
        assert not any(line.startswith("b ") for line in loki.lines())

        # Add source b: it starts; source a keeps its offsets (nothing re-read).
        cfg.write_text(head + src_a + src_b)
        assert await agent.reload()
        await loki.wait_for(lambda: loki.accepted == 1500, 30)
        write_lines(a_dir / "app.log", "a", 1000, 1200)
        await loki.wait_for(lambda: loki.accepted == 1700, 30)

        # Remove source a: its new lines are not shipped while it is gone.
        cfg.write_text(head + src_b)
        assert await agent.reload()
        write_lines(a_dir / "app.log", "a", 1200, 1300)
        write_lines(b_dir / "app.log", "b", 500, 600)
        await loki.wait_for(lambda: loki.accepted == 1800, 30)
        await asyncio.sleep(0.5)
        assert loki.accepted == 1800

        # Add it back: it resumes from its checkpoint.
        cfg.write_text(head + src_a + src_b)
        assert await agent.reload()
        await loki.wait_for(lambda: loki.accepted == 1900, 30)
    finally:
        agent.stop_event.set()
        await asyncio.wait_for(task, 30)
    lines = loki.lines()
    assert sorted(int(x.split()[1]) for x in lines if x.startswith("a ")) == list(range(1300))
    assert sorted(int(x.split()[1]) for x in lines if x.startswith("b ")) == list(range(600))
    assert loki.replays == 0
    assert agent.registry.get_sample_value("cflexagent_config_last_reload_successful") == 1
