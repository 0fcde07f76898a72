"""Fixtures of the source tests: recorded journalctl output that ``journal_replay.py`` plays back as
journalctl does."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPLAY = Path(__file__).with_name("journal_replay.py")


def journal_entries(n: int, start: int = 0) -> list[dict[str, object]]:
    """``journalctl --output=json`` entries ``start`` .. ``start + n``: alternating units, every tenth an
    error, an email in each message, entry 3's MESSAGE as bytes (journald's form for non-UTF-8)."""
    out: list[dict[str, object]] = []
    for i in range(start, start + n):
        e: dict[str, object] = {
            "__CURSOR": f"s=0123;i={i:x};b=boot;m={i:x};t={i:x};x={i:x}",
            "__REALTIME_TIMESTAMP": str(1_795_000_000_000_000 + i * 1000),
            "PRIORITY": "3" if i % 10 == 0 else "6",
            "_SYSTEMD_UNIT": "cflex-api.service" if i % 2 else "nginx.service",
            "SYSLOG_IDENTIFIER": "cflex-api", "_PID": "42",
            "MESSAGE": f"entry {i} for budi@example.co.id",
        }
        if i == 3:
            e["MESSAGE"] = list(b"binary \xff message")
        out.append(e)
    return out


class RecordedJournal:
    """A recording at ``path`` for ``journal_replay.py``: entries stamped a minute ago and later (older ones
    the encoder would drop as too old for Loki), the arguments of each run in ``path.args`` (one line per
    start), and ``die`` (touch it: the running replay exits 1, as a dying journalctl)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.die = path.with_name(path.name + ".die")
        self._base_us = time.time_ns() // 1000 - 60_000_000

    def record(self, n: int, start: int = 0) -> None:
        entries = journal_entries(n, start)
        for e in entries:
            e["__REALTIME_TIMESTAMP"] = str(self._base_us + int(str(e["__REALTIME_TIMESTAMP"])) % 10**9)
        with self.path.open("a") as f:
            f.write("".join(json.dumps(e) + "\n" for e in entries))

    def command(self, *extra: str) -> str:
        """The source's ``journal_command``, as a TOML array."""
        return json.dumps([sys.executable, str(REPLAY), str(self.path), *extra])

    def args(self) -> list[str]:
        return self.path.with_name(self.path.name + ".args").read_text().splitlines()


@pytest.fixture
def journal(tmp_path: Path) -> Callable[[str], RecordedJournal]:
    """``journal("j")``: an empty recording ``<tmp_path>/j.json``."""
    return lambda name: RecordedJournal(tmp_path / f"{name}.json")
