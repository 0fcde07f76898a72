"""The tailer on its own (``logs/sources/tail.py``): truncation and copytruncate cases a waiting source
meets, driven scan by scan and read by read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry

from cflexagent.config import parse
from cflexagent.logs.config import FileSource
from cflexagent.logs.metrics import LogMetrics
from cflexagent.logs.sources.tail import Tailer


def tailer(glob: str, extra: str = "") -> Tailer:
    cfg = parse(f'[logs.console]\n[[logs.sources]]\nname = "app"\npaths = ["{glob}"]\n{extra}', "test.toml")
    source = cfg.logs.sources[0]
    assert isinstance(source, FileSource)
    return Tailer(source, LogMetrics(CollectorRegistry()), {})


def numbered(prefix: str, n: int) -> bytes:
    return b"".join(b"%s %05d\n" % (prefix.encode(), i) for i in range(n))


def read_all(t: Tailer) -> list[bytes]:
    out: list[bytes] = []
    while True:
        lines, _, consumed = t.read(1 << 20)
        out += lines
        if not consumed:
            return out


def test_a_file_copytruncated_before_its_first_read_is_read_from_its_copy(tmp_path: Path) -> None:
    """Opened by a scan while its source waits on back-pressure, not read yet, then copytruncated and written
    again past its old size: the fingerprint taken at open tells, and the copy gives the first lines."""
    app = tmp_path / "app.log"
    app.write_bytes(numbered("old", 100))
    t = tailer(str(app))
    t.scan()                                  # opened, nothing read
    shutil.copyfile(app, tmp_path / "app.log.1")
    os.truncate(app, 0)
    with open(app, "ab") as f:
        f.write(numbered("new", 300))         # past the old size: the size alone does not tell
    t.scan()
    got = read_all(t)
    assert sorted(got) == sorted(numbered("old", 100).splitlines() + numbered("new", 300).splitlines())


def test_a_file_truncated_while_closed_is_finished_from_its_copy(tmp_path: Path) -> None:
    """A file closed (idle, or the agent stopped) at its checkpoint, then appended to and copytruncated:
    reopening it finds it shorter than the checkpoint, and the lines after the checkpoint come from the copy
    (they were lost: only a truncation seen on an open file looked for the copy)."""
    app = tmp_path / "app.log"
    app.write_bytes(numbered("first", 50))
    t = tailer(str(app))
    t.scan()
    assert read_all(t) == numbered("first", 50).splitlines()
    for f in list(t.files.values()):
        t._close(f, closed=False)            # as IDLE_CLOSE does
    with open(app, "ab") as f:
        f.write(numbered("later", 20))
    shutil.copyfile(app, tmp_path / "app.log.1")
    os.truncate(app, 0)
    with open(app, "ab") as f:
        f.write(numbered("new", 5))
    t.scan()
    assert sorted(read_all(t)) == sorted(numbered("later", 20).splitlines() + numbered("new", 5).splitlines())


def test_split_long_lines_are_cut_between_characters(tmp_path: Path) -> None:
    """``long_lines = "split"``: every piece is valid UTF-8 and the pieces join to the line, whether the line
    came whole in one read or grew over the limit without its newline (both cut raw inside a character, and
    the UTF-8 repair made two U+FFFD of it)."""
    app = tmp_path / "app.log"
    text = "é" * 1000 + "中" * 1000            # 5,000 bytes, odd limits land inside characters
    t = tailer(str(app), 'max_line_bytes = "1KiB"\nlong_lines = "split"\n')
    app.write_bytes(text.encode() + b"\n")
    t.scan()
    whole = read_all(t)
    with open(app, "ab") as f:
        f.write(text.encode()[:3001])          # over the limit, no newline yet, ends inside a character
    t.scan()
    growing = read_all(t)
    with open(app, "ab") as f:
        f.write(text.encode()[3001:] + b"\n")
    growing += read_all(t)
    for pieces in (whole, growing):
        assert all(len(p) <= 1024 for p in pieces)
        assert "".join(p.decode("utf-8") for p in pieces) == text


def test_an_inode_reused_by_a_new_file_under_another_name_is_no_truncation(tmp_path: Path) -> None:
    """Rotation deleted ``app.log.2`` and the new ``app.log`` got its inode: the checkpoint of that inode is
    longer than the new file, released after its rotation (still named ``app.log``: the tailer keeps the
    name it opened) or under another name. A new file read from the start, not a truncation (the counter ran
    high in the soak); a file not released, under its name, shorter than its checkpoint still is one."""
    from cflexagent.logs.checkpoint import FilePos

    app = tmp_path / "app.log"
    app.write_bytes(numbered("new", 10))
    st = app.stat()
    for old_name, closed, truncations in ((str(app), True, 0.0), (str(tmp_path / "app.log.2"), False, 0.0),
                                          (str(app), False, 1.0)):
        known = {f"{st.st_dev}:{st.st_ino}": FilePos(st.st_dev, st.st_ino, 10_000, 256, 12345, old_name,
                                                     closed=closed)}
        registry = CollectorRegistry()
        cfg = parse(f'[logs.console]\n[[logs.sources]]\nname = "app"\npaths = ["{app}"]\n', "test.toml")
        source = cfg.logs.sources[0]
        assert isinstance(source, FileSource)
        t = Tailer(source, LogMetrics(registry), known)
        t.scan()
        assert read_all(t) == numbered("new", 10).splitlines()
        assert registry.get_sample_value("cflexagent_log_truncations_total", {"source": "app"}) == truncations
