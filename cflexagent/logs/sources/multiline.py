"""Multiline events: join continuation lines (tracebacks, stack traces) into one entry.

The tailer (``tail.py``) splits a file's complete lines into events with a
``MultilineSplitter`` and holds the last event back like a partial line.
"""

from __future__ import annotations

import re


class MultilineSplitter:
    """Group lines into events: a line matching ``start`` begins an event, others continue it.

    ``split`` returns the complete events and the lines of the last event, which
    may still grow (held back by the tailer like a partial line, and shipped
    after ``flush_after`` without growth). An event reaching ``max_lines`` is complete.
    """

    def __init__(self, start: re.Pattern[str], max_lines: int) -> None:
        self.start = re.compile(start.pattern.encode(), start.flags & ~re.UNICODE) if isinstance(start.pattern, str) \
            else start
        self.max_lines = max_lines

    def split(self, lines: list[bytes]) -> tuple[list[bytes], list[bytes]]:
        events: list[bytes] = []
        cur: list[bytes] = []
        match = self.start.match
        for line in lines:
            if cur and (match(line) is not None or len(cur) >= self.max_lines):
                events.append(b"\n".join(cur))
                cur = []
            cur.append(line)
        if len(cur) >= self.max_lines:
            events.append(b"\n".join(cur))
            cur = []
        return events, cur
