"""The pipeline's line limit: no line leaves it longer than its source's ``max_line_bytes``, also once the
transforms ran (Loki refuses a longer line with a 400, which drops the whole batch it is in)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from cflexagent.config import parse
from cflexagent.logs.batch import Encoded, LogBatch
from cflexagent.logs.config import SourceBase
from cflexagent.logs.metrics import LogMetrics
from cflexagent.logs.pipeline import Pipeline
from tests.conftest import loki_section, source_section
from tests.fakes.loki import LokiDouble
from tests.logs.test_hostile import JSON, line


class Collect:
    """An encoder that keeps the lines it is given."""

    def __init__(self, source: SourceBase) -> None:
        self.lines: list[bytes] = []

    def add(self, batch: LogBatch, now_ns: int) -> None:
        self.lines += batch.lines

    def finish(self) -> Encoded:
        return Encoded(self.lines, len(self.lines))

    def configure(self, source: SourceBase, new: Any) -> None:
        pass


def pipeline(source: str) -> tuple[Pipeline, LogMetrics]:
    logs = parse(f"[logs.console]\n[[logs.sources]]\n{source}", "test.toml").logs
    metrics = LogMetrics(CollectorRegistry())
    return Pipeline.build(logs.sources[0], logs, {"console": Collect}, metrics, None), metrics


def test_a_line_redaction_lengthens_past_the_limit_is_cut_after_it() -> None:
    """``a@b.co`` becomes ``<redacted:email>``: a line just under the limit grows past it."""
    p, m = pipeline('name = "app"\npaths = ["/x/*.log"]\nmax_line_bytes = "1KiB"\n')
    text = ("é a@b.co " * 200).encode()[:1020]
    out = p.process([text, b"short line"], 0)["console"].data
    assert len(out) == 2 and out[1] == b"short line"
    assert b"<redacted:email>" in out[0] and len(out[0]) <= 1024
    out[0].decode("utf-8")  # cut on a character boundary
    assert m.long_lines.labels("app", "transformed")._value.get() == 1


def test_a_journal_message_longer_than_the_limit_is_cut() -> None:
    """The journal source has a line limit too (journald takes messages of any length)."""
    p, _ = pipeline('name = "j"\nformat = "journal"\nmax_line_bytes = "2KiB"\n')
    entry = {"__CURSOR": "c", "__REALTIME_TIMESTAMP": "1795000000000000", "MESSAGE": "中" * 5000}
    out = p.process([json.dumps(entry).encode()], 0)["console"].data
    assert len(out) == 1 and 2048 - 3 <= len(out[0]) <= 2048 and out[0].decode() == "中" * (len(out[0]) // 3)


async def test_a_line_redaction_lengthens_past_lokis_limit_still_reaches_loki(
        tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    """End to end, default limits: the 400 for one line over 256 KiB used to drop the lines around it too."""
    logs = tmp_path / "logs"
    logs.mkdir()
    long = b"seq-long " + b"mail a@b.co " * (255 * 1024 // 12) + b"\n"
    (logs / "app.log").write_bytes(line(0) + long + line(1))
    await start_agent(loki_section(loki.url) + source_section("app", f"{logs}/*.log", **JSON))
    await loki.wait_for(lambda: loki.accepted >= 3, 30)
    lines = loki.lines()
    assert [orjson.loads(x)["seq"] for x in lines if x.startswith("{")] == [0, 1]
    assert loki.statuses[400] == 0 and any(x.startswith("seq-long mail <redacted:email>") for x in lines)
