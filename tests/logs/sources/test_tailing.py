"""Tailing across restarts: start_at, partial last lines at rotation and after their grace period."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.conftest import eventually, loki_section, source_section
from tests.fakes.loki import LokiDouble


def write_lines(path: Path, prefix: str, n: int) -> None:
    with open(path, "a") as f:
        f.writelines(f"{prefix} {i}\n" for i in range(n))


async def test_start_at_end_applies_to_the_first_run_only(tmp_path: Path, loki: LokiDouble,
                                                          start_agent: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    write_lines(app, "old", 5)  # there before the agent ever ran: skipped
    text = loki_section(loki.url) + source_section("app", f"{logs}/*.log", start_at='"end"')

    a = await start_agent(text)
    await eventually(lambda: a.value("cflexagent_log_files_open", {"source": "app"}) == 1, within=30)
    await a.stop()  # stopped before any new line: the end position must still be kept

    a = await start_agent(text)
    write_lines(app, "new", 5)
    await loki.wait_for(lambda: loki.accepted >= 5, within=30)
    await a.stop()

    # While the agent is down the file is rotated and a new one starts: the restart must read
    # the new file from its start (it is not the first run), not skip to its end.
    os.rename(app, logs / "app.log.1")
    write_lines(app, "rotated", 5)
    a = await start_agent(text)
    await loki.wait_for(lambda: loki.accepted >= 10, within=30)
    assert loki.lines() == [f"new {i}" for i in range(5)] + [f"rotated {i}" for i in range(5)]
    await a.stop()


async def test_a_source_added_later_starts_at_the_end_of_its_files(tmp_path: Path, loki: LokiDouble,
                                                                   start_agent: Any) -> None:
    # The agent has run before (checkpoints exist for "a"), but "b" is new: start_at applies to it.
    (tmp_path / "a.log").write_text("a 0\n")
    a = await start_agent(loki_section(loki.url) + source_section("a", str(tmp_path / "a.log")))
    await loki.wait_for(lambda: loki.accepted >= 1, within=30)
    await a.stop()
    write_lines(tmp_path / "b.log", "old", 3)
    a = await start_agent(loki_section(loki.url) + source_section("a", str(tmp_path / "a.log"))
                          + source_section("b", str(tmp_path / "b.log"), start_at='"end"'))
    await eventually(lambda: a.value("cflexagent_log_files_open", {"source": "b"}) == 1, within=30)
    write_lines(tmp_path / "b.log", "new", 2)
    await loki.wait_for(lambda: loki.accepted >= 3, within=30)
    assert loki.lines() == ["a 0", "new 0", "new 1"]
    await a.stop()


async def test_partial_last_line_ships_at_rotation_before_its_grace(tmp_path: Path, loki: LokiDouble,
                                                                    start_agent: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    app = logs / "app.log"
    app.write_text("complete 0\npartial without newline")
    a = await start_agent(loki_section(loki.url) + source_section(
        "app", f"{logs}/*.log", partial_line_grace='"1h"', rotate_wait='"300ms"'))
    await loki.wait_for(lambda: loki.accepted >= 1, within=30)
    assert loki.lines() == ["complete 0"]  # the partial line waits for its newline...
    os.rename(app, logs / "app.log.1")     # ... until its file is rotated away and stays quiet
    await loki.wait_for(lambda: loki.accepted >= 2, within=30)
    assert loki.lines() == ["complete 0", "partial without newline"]
    await eventually(lambda: a.value("cflexagent_log_files_open", {"source": "app"}) == 0, within=30)
    assert a.value("cflexagent_log_rotations_total", {"source": "app"}) == 1
    await a.stop()


async def test_partial_last_line_ships_after_its_grace(tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    app = tmp_path / "app.log"
    app.write_text("first\nsecond, still being written")
    a = await start_agent(loki_section(loki.url) + source_section("app", str(app), partial_line_grace='"500ms"'))
    await loki.wait_for(lambda: loki.accepted >= 2, within=30)
    assert loki.lines() == ["first", "second, still being written"]
    await a.stop()
