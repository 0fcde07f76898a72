"""The journal source end to end through the real agent and the Loki double, on recorded journalctl
output (``journal`` in conftest.py): cursor checkpoints and restarts, units, journalctl dying, its stderr."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import eventually, loki, loki_section, start_agent
from tests.fakes.loki import LokiDouble, by_stream

from .conftest import RecordedJournal

__all__ = ["loki", "start_agent"]


async def test_journal_source_cursor_checkpoint_and_restart(tmp_path: Path, loki: LokiDouble, start_agent: Any,
                                                            journal: Callable[[str], RecordedJournal]) -> None:
    rec = journal("journal")
    rec.record(50)
    text = (loki_section(loki.url) +
            f'[[logs.sources]]\nname = "journal"\nformat = "journal"\njournal_command = {rec.command()}\n'
            f'label_fields = ["unit", "level"]\nmetadata_fields = ["pid"]\n')
    state = tmp_path / "state"
    agent = await start_agent(text, state)
    await loki.wait_for(lambda: loki.accepted >= 50, within=60)
    streams = by_stream(loki)
    lines = [x for v in streams.values() for x in v]
    assert len(lines) == 50
    assert "entry 1 for <redacted:email>" in lines and "binary \ufffd message" in lines
    assert any('level="error"' in k and 'unit="nginx.service"' in k for k in streams)
    checkpoints = state / "logs" / "checkpoints.json"
    await eventually(lambda: checkpoints.exists()
                     and json.loads(checkpoints.read_text())["sources"].get("journal", {}).get("cursor", "")
                     .startswith("s=0123;i=31;"))
    await agent.stop()

    # New entries recorded while the agent was down; a restart resumes after the cursor.
    rec.record(10, start=50)
    agent = await start_agent(text, state)
    await loki.wait_for(lambda: loki.accepted >= 60, within=60)
    assert loki.replays == 0
    args = rec.args()
    assert "--since=-1h" in args[0] and "--after-cursor=s=0123;i=31" in args[1]
    await agent.stop()


async def test_journal_units_and_crash_restart(loki: LokiDouble, start_agent: Any,
                                               journal: Callable[[str], RecordedJournal]) -> None:
    rec = journal("j")
    rec.record(20)
    text = (loki_section(loki.url) + f'[[logs.sources]]\nname = "j"\nformat = "journal"\n'
            f'journal_command = {rec.command()}\njournal_units = ["cflex-api.service"]\n')
    agent = await start_agent(text)
    await loki.wait_for(lambda: loki.accepted >= 10, within=60)
    rec.die.touch()  # journalctl dies; the source restarts it after the cursor
    await eventually(lambda: len(rec.args()) >= 2)
    rec.die.unlink()
    args = rec.args()
    assert "--unit=cflex-api.service" in args[0] and "--after-cursor=" in args[1]
    assert loki.accepted == 10 and loki.replays == 0
    assert agent.value("cflexagent_log_file_errors_total", {"source": "j", "reason": "journalctl_exit"}) >= 1
    await agent.stop()


async def test_journalctl_stderr_is_drained_and_its_end_logged(loki: LokiDouble, start_agent: Any,
                                                               journal: Callable[[str], RecordedJournal],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    rec = journal("j")
    rec.record(20)
    # 12 MiB of warnings before the first entry: more than asyncio buffers for a stream nobody reads
    # (twice its 4 MiB limit) plus the pipe (64 KiB); past that, an unread stderr blocks journalctl.
    cmd = rec.command(f"--stderr-bytes={12 * 1024 * 1024}")
    text = loki_section(loki.url) + f'[[logs.sources]]\nname = "j"\nformat = "journal"\njournal_command = {cmd}\n'
    with caplog.at_level(logging.WARNING, logger="cflexagent.logs.source.j"):
        agent = await start_agent(text)
        await loki.wait_for(lambda: loki.accepted >= 20, within=60)
        rec.die.touch()
        await eventually(lambda: any(r.getMessage().startswith("journalctl exited") for r in caplog.records))
        await agent.stop()
    exited = next(r for r in caplog.records if r.getMessage().startswith("journalctl exited"))
    fields = exited.fields  # type: ignore[attr-defined]
    assert fields["code"] == 1 and fields["stderr"].endswith("journal_replay: last warning")
    assert len(fields["stderr"]) <= 500


def test_cursor_files_of_earlier_versions_are_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from cflexagent.logs.sources.journal import read_cursor

    path = tmp_path / "logs" / "journal-j.cursor"
    path.parent.mkdir()
    path.write_text(json.dumps({"version": 1, "cursor": "s=1;i=2"}))
    assert read_cursor(path) == "s=1;i=2"
    path.write_text("s=0123;i=31;b=boot\n")  # the bare cursor of earlier versions
    assert read_cursor(path) == "s=0123;i=31;b=boot"
    path.write_text('{"version": 99, "cursor": "x"}')
    with caplog.at_level(logging.ERROR):
        assert read_cursor(path) == ""
    assert not path.exists() and path.with_name(path.name + ".corrupt").exists()
    assert any("unsupported version 99" in str(getattr(r, "fields", {})) for r in caplog.records)
    assert read_cursor(tmp_path / "none.cursor") == ""
