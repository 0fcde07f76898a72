"""SIGHUP with log sources: sources are added and removed without re-reading what was shipped; derived
metrics whose definition did not change keep their series."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cflexagent.agent import Agent
from cflexagent.config import load
from tests.conftest import eventually, loki_section, source_section
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


async def test_reload_keeps_unchanged_metric_series(tmp_path: Path, loki: LokiDouble) -> None:
    log = tmp_path / "app.log"
    cfg = tmp_path / "agent.toml"

    def write(approvals_match: str) -> None:
        cfg.write_text(
            f'[agent]\nstate_dir = "{tmp_path / "state"}"\n[server]\nlisten = "127.0.0.1:0"\n'
            + loki_section(loki.url) + source_section("app", str(log), format='"json"')
            + '[[logs.metrics]]\nname = "cflex_orders_processed_total"\ntype = "counter"\n'
              'match.equals = { action = "order_processed" }\n'
            + f'[[logs.metrics]]\nname = "cflex_order_approvals_total"\ntype = "counter"\n'
              f'match.equals = {{ action = "{approvals_match}" }}\n')

    def lines(n: int, action: str) -> str:
        return "".join(json.dumps({"action": action, "customer_name": "Budi"}) + "\n" for _ in range(n))

    write("order_approved")
    log.write_text(lines(3, "order_processed") + lines(2, "order_approved"))
    agent = Agent(load(str(cfg)), str(cfg), lambda: load(str(cfg)))
    task = asyncio.create_task(agent.run())
    try:
        await loki.wait_for(lambda: loki.accepted >= 5, within=60)
        value = agent.registry.get_sample_value
        await eventually(lambda: value("cflex_order_approvals_total", {}) == 2)
        assert value("cflex_orders_processed_total", {}) == 3
        write("order_accepted")  # one definition changes, the other does not
        assert await agent.reload()
        with log.open("a") as f:
            f.write(lines(1, "order_processed") + lines(1, "order_approved") + lines(4, "order_accepted"))
        await loki.wait_for(lambda: loki.accepted >= 11, within=60)
        await eventually(lambda: value("cflex_orders_processed_total", {}) == 4)
        assert value("cflex_order_approvals_total", {}) == 4  # reset by the change, then 4 new matches
        assert all("Budi" not in x for x in loki.lines())
    finally:
        agent.stop_event.set()
        await asyncio.wait_for(task, 30)
