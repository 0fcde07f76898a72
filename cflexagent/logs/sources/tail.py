"""Tail stage: discover files by glob, follow them across rotations, hand out complete lines.

Identity: a file is its device + inode, confirmed by a fingerprint of its first
bytes (``checkpoint.fingerprint``), never its path. Consequences:

- **rename rotation** (``app.log`` -> ``app.log.1`` + new ``app.log``): the
  open descriptor keeps reading the renamed file to its end; the new file is
  new (read from byte 0). If the rotated name still matches the glob it is the
  same file, not re-read. A file renamed out of the glob *before any scan saw
  it* cannot be read (scan often, or let the glob match rotated names and
  ``exclude`` the compressed ones).
- **copytruncate**: the size drops below our offset, or the fingerprint of the
  first bytes changes (truncated and regrown past our offset between two
  checks): counted, read again from 0. The lines written after our last read
  and before the truncation live only in the copy, so the tailer looks for it:
  a file new to this scan (the copy matched by the glob) or, outside the glob,
  a file next to the original whose name starts with the original's, that
  begins with the original's fingerprint and holds at least our offset. The
  copy is read from our old offset to its end, then released: nothing is lost
  but what was written between logrotate's copy and its truncation (its own
  race, microseconds). A copy that cannot be found (compressed at once, moved
  elsewhere) costs the lines written since our last read: at most one poll
  interval, which is ``HOT_POLL`` while a file is growing
  (``benchmarks/rotation.py`` measures both).
- **deleted while open**: read to the end through the open descriptor, then released.
- A gone file (renamed out of the glob or deleted) is released once it was
  read to its end and did not grow for ``rotate_wait``.

Lines: data is read in ``read_chunk`` pieces and split on ``\\n``. A last line
without newline waits ``partial_line_grace`` for the rest, then ships as is
(also when its file is released). A line longer than ``max_line_bytes`` is
truncated (the rest skipped up to the next newline) or split into pieces
(``long_lines``), counted either way. Invalid UTF-8 is replaced with U+FFFD
and counted. Empty lines are dropped and counted.
"""

from __future__ import annotations

import errno
import fnmatch
import glob
import os
import time
from dataclasses import dataclass, field

from ...telemetry import get_logger
from ...utf8 import cut_utf8, split_utf8
from ..checkpoint import FP_BYTES, FilePos, fingerprint
from ..config import FileSource
from ..metrics import LogMetrics
from .multiline import MultilineSplitter

#: Files read to their end and idle this long are closed (and reopened when they grow).
IDLE_CLOSE = 300.0
#: While a file grew within ``HOT_FOR`` seconds, it is polled (read, and checked for truncation)
#: every ``HOT_POLL`` seconds instead of every ``read_interval``.
HOT_POLL = 0.05
HOT_FOR = 2.0
#: Names of compressed rotations, never a copytruncate copy we can read.
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip")
#: At most this many directory entries are looked at when searching a truncated file's copy.
_COPY_SEARCH_MAX = 2000


@dataclass(eq=False)
class TailedFile:
    dev: int
    ino: int
    path: str
    fd: int
    offset: int                  # bytes handed out as lines (the checkpoint)
    read_pos: int                # bytes read from the file (offset + len(pending))
    fp_len: int = 0
    fp_crc: int = 0
    pending: bytes = b""
    pending_since: float = 0.0
    skipping: bool = False       # discarding the rest of an over-long, truncated line
    splitting: bool = False      # shipping an over-long line in pieces (counted once)
    last_growth: float = field(default_factory=time.monotonic)
    gone_since: float | None = None
    size: int = 0

    @property
    def key(self) -> str:
        return f"{self.dev}:{self.ino}"

    def position(self, closed: bool = False) -> FilePos:
        return FilePos(self.dev, self.ino, self.offset, self.fp_len, self.fp_crc, self.path, time.time(), closed)


class Tailer:
    """The files of one source. Not thread-safe; driven by the source's loop."""

    def __init__(self, source: FileSource, metrics: LogMetrics, known: dict[str, FilePos],
                 fresh: bool = True) -> None:
        """``fresh``: the checkpoint store has never seen this source (its first run ever, or a source
        just added): only then does ``start_at = "end"`` apply, to the files of the first scan. A
        restart is not fresh: a file new to it (rotated in while the agent was down) is read from 0."""
        self.m = metrics
        self.files: dict[str, TailedFile] = {}
        self.known = dict(known)          # checkpointed positions by key (open or not)
        #: Positions to checkpoint that no delivery carries: files closed, and files placed at
        #: their end by start_at = "end" (so a restart does not read them from 0).
        self.released: list[FilePos] = []
        self._warned: set[str] = set()
        self._start_at_end = fresh and source.start_at == "end"
        self.configure(source)

    def configure(self, source: FileSource) -> None:
        self.source = source
        name = source.name
        #: The lines of a source's files name its component, as the supervisor's do.
        self.log = get_logger(f"logs.source.{name}")
        self._read_lines = self.m.read_lines.labels(name)
        self._read_bytes = self.m.read_bytes.labels(name)
        self._empty = self.m.dropped_lines.labels("empty_line")
        self._utf8 = self.m.invalid_utf8.labels(name)
        self._long_trunc = self.m.long_lines.labels(name, "truncated")
        self._long_split = self.m.long_lines.labels(name, "split")
        self._files_open = self.m.files_open.labels(name)
        # Read at scrape time from the files themselves: it must keep growing while the source waits
        # for its sinks and reads nothing.
        self.m.lag_bytes.labels(name).set_function(self.lag)
        self._rotations = self.m.rotations.labels(name)
        self._truncations = self.m.truncations.labels(name)
        # Multiline sources hold the last event back like a partial line (multiline.py).
        self._multiline = None
        self._grace = float(source.partial_line_grace)
        ml = source.multiline_events
        if ml is not None:
            self._multiline = MultilineSplitter(ml.start, ml.max_lines)
            self._grace = float(ml.flush_after)

    # -- discovery ---------------------------------------------------------------

    def matching_paths(self) -> list[str]:
        """The files the source's globs match now, minus ``exclude``, sorted."""
        seen: dict[str, None] = {}
        for pattern in self.source.paths:
            for p in glob.glob(pattern):
                base = os.path.basename(p)
                if any(fnmatch.fnmatchcase(base, x) or fnmatch.fnmatchcase(p, x) for x in self.source.exclude):
                    continue
                seen[p] = None
        return sorted(seen)

    def _file_error(self, path: str, reason: str, err: OSError) -> None:
        self.m.file_errors.labels(self.source.name, reason).inc()
        if path not in self._warned:
            self._warned.add(path)
            self.log.error("cannot read log file", source=self.source.name, path=path, reason=reason,
                           error=err.strerror or str(err), uid=os.getuid())

    def scan(self) -> None:
        """Match the globs again: open new files, notice rotated, deleted and truncated ones."""
        now = time.monotonic()
        found: list[tuple[str, os.stat_result]] = []
        for path in self.matching_paths():
            try:
                st = os.stat(path)
            except OSError:
                continue
            if _is_regular(st.st_mode):
                found.append((path, st))
        present = {f"{st.st_dev}:{st.st_ino}" for _, st in found}
        # The open files first: a file truncated now tells which new file may be its copy.
        truncated: list[_Truncated] = []
        for f in list(self.files.values()):
            t = self._check(f, f.key in present, now)
            if t is not None:
                truncated.append(t)
        for path, st in found:
            key = f"{st.st_dev}:{st.st_ino}"
            tracked = self.files.get(key)
            if tracked is not None:
                if tracked.path != path:
                    tracked.path = path
                tracked.gone_since = None
                continue
            pos = self.known.get(key)
            if pos is not None and not pos.closed and st.st_size == pos.offset and pos.path == path:
                continue  # fully read and idle: no descriptor needed until it grows
            self._open(path, st, pos, now, truncated)
        for t in truncated:
            if not t.copied:
                self._read_copy_nearby(t, now)
        self._start_at_end = False
        self._files_open.set(len(self.files))

    def follow(self, path: str) -> None:
        """Tail one named file from its start, as a file new to the source (``logs preview``).

        Raises OSError when it cannot be opened, ValueError when it is not a regular file.
        """
        st = os.stat(path)
        if not _is_regular(st.st_mode):
            raise ValueError("not a regular file (the agent tails regular files only)")
        os.close(os.open(path, os.O_RDONLY | os.O_CLOEXEC))  # the error, if any, as an exception
        self._open(path, st, None, time.monotonic())

    def _open(self, path: str, st: os.stat_result, pos: FilePos | None, now: float,
              truncated: list[_Truncated] | None = None) -> TailedFile | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            reason = "permission" if e.errno in (errno.EACCES, errno.EPERM) else "open"
            self._file_error(path, reason, e)
            return None
        self._warned.discard(path)
        fst = os.fstat(fd)
        if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):  # replaced between stat and open
            os.close(fd)
            return None
        offset = 0
        copy_of = _copy_of(fd, fst.st_size, truncated) if pos is None and truncated else None
        replaced = False
        if pos is not None and pos.fp_len <= fst.st_size and pos.offset <= fst.st_size:
            fp_len, fp_crc = fingerprint(fd, pos.fp_len)
            if (fp_len, fp_crc) == (pos.fp_len, pos.fp_crc):
                offset = pos.offset
            else:
                replaced = True
                self.log.info("inode reused by a new file (or truncated and written again); reading it from the "
                              "start", source=self.source.name, path=path)
        elif pos is not None:
            replaced = True
            if not pos.closed and pos.path == path:
                self._truncations.inc()
                self.log.info("file shorter than its checkpoint (truncated); reading it from the start",
                              source=self.source.name, path=path)
            else:  # released after its rotation, or under another name: a new file on a reused inode
                self.log.info("inode reused by a new file; reading it from the start", source=self.source.name,
                              path=path, was=pos.path)
        if replaced and pos is not None and pos.fp_len and truncated is not None:
            # Truncated while closed (idle, or the agent down): what followed the checkpoint may live in a
            # copytruncate copy, looked for once the scan has seen every file.
            truncated.append(_Truncated(path, pos.fp_len, pos.fp_crc, pos.offset, closed=True))
        elif copy_of is not None:
            offset = copy_of.offset
            copy_of.copied = True
            self.log.info("copy of a truncated file (copytruncate): reading it from where the original was",
                          source=self.source.name, path=path, original=copy_of.path, offset=offset)
        elif self._start_at_end:
            offset = fst.st_size
        f = TailedFile(fst.st_dev, fst.st_ino, path, fd, offset, offset, size=fst.st_size)
        # The first bytes as they are now, also of a file not read yet: truncated (copytruncate) or
        # replaced before the first read, it is then noticed, and its copy looked for.
        f.fp_len, f.fp_crc = fingerprint(fd, max(offset, fst.st_size))
        self.files[f.key] = f
        self.known[f.key] = f.position()
        if offset and pos is None:  # placed at its end or at the original's offset: no line will carry it
            self.released.append(self.known[f.key])
        return f

    def _read_copy_nearby(self, t: _Truncated, now: float) -> None:
        """The copy of a truncated file outside the globs: a sibling whose name starts with the original's."""
        directory, base = os.path.split(t.path)
        try:
            with os.scandir(directory or ".") as it:
                names = [e.name for _, e in zip(range(_COPY_SEARCH_MAX), it, strict=False)
                         if e.name != base and e.name.startswith(base) and not e.name.endswith(_COMPRESSED)]
        except OSError:
            return
        best: tuple[float, str, os.stat_result] | None = None
        for name in names:
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            key = f"{st.st_dev}:{st.st_ino}"
            if not _is_regular(st.st_mode) or key in self.files or st.st_size < t.offset:
                continue
            if best is None or st.st_mtime > best[0]:
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    same = fingerprint(fd, t.fp_len) == (t.fp_len, t.fp_crc)
                finally:
                    os.close(fd)
                if same:
                    best = (st.st_mtime, path, st)
        if best is None:
            if t.closed:  # as likely a new file on a reused inode, or fully read before the truncation
                self.log.info("file changed since its checkpoint; no copytruncate copy of it found",
                              source=self.source.name, path=t.path, offset=t.offset)
            else:
                self.log.warning("truncated file (copytruncate?) whose copy was not found; the lines written "
                                 "since the last read are lost", source=self.source.name, path=t.path,
                                 offset=t.offset)
            return
        f = self._open(best[1], best[2], None, now, [t])
        if f is not None:
            f.gone_since = now  # outside the globs: read to its end, then released

    def _check(self, f: TailedFile, present: bool, now: float) -> _Truncated | None:
        """Notice a file's rotation or truncation; a truncated file's old identity and offset (to find
        its copy), or None."""
        try:
            st = os.fstat(f.fd)
        except OSError:
            self._close(f, closed=True)
            return None
        f.size = st.st_size
        if not present and f.gone_since is None:
            f.gone_since = now
            self._rotations.inc()
        truncated = st.st_size < f.read_pos
        if not truncated and f.fp_len:
            truncated = fingerprint(f.fd, f.fp_len) != (f.fp_len, f.fp_crc)
        if not truncated:
            return None
        self._truncations.inc()
        self.log.info("file truncated (copytruncate?); reading it again from the start",
                      source=self.source.name, path=f.path, offset=f.offset, size=st.st_size)
        # Also at offset 0: a file opened but not read yet (its source waiting on its sinks) has its lines
        # in the copy only.
        gone = _Truncated(f.path, f.fp_len, f.fp_crc, f.offset) if f.fp_len else None
        f.offset = f.read_pos = 0
        f.pending, f.skipping = b"", False
        f.fp_len = f.fp_crc = 0
        f.last_growth = now
        return gone

    def _close(self, f: TailedFile, closed: bool) -> None:
        self.files.pop(f.key, None)
        try:
            os.close(f.fd)
        except OSError:
            pass
        pos = f.position(closed=closed)
        self.known[f.key] = pos
        self.released.append(pos)

    def take_released(self) -> list[FilePos]:
        out, self.released = self.released, []
        return out

    def close_all(self) -> None:
        self.m.lag_bytes.labels(self.source.name).set_function(lambda: 0)
        for f in list(self.files.values()):
            self.files.pop(f.key, None)
            try:
                os.close(f.fd)
            except OSError:
                pass
        self._files_open.set(0)

    def poll_interval(self) -> float:
        """How long to wait before the next read when nothing was left to read: short while a file grows
        (a truncation is then noticed soon, and little is lost if its copy cannot be found)."""
        interval = float(self.source.read_interval)
        if interval > HOT_POLL:
            now = time.monotonic()
            if any(now - f.last_growth < HOT_FOR for f in self.files.values()):
                return HOT_POLL
        return interval

    def lag(self) -> int:
        """Bytes of the open files not yet handed out as lines (their sizes now)."""
        total = 0
        for f in list(self.files.values()):
            try:
                size = os.fstat(f.fd).st_size
            except OSError:
                size = f.size
            total += max(0, size - f.offset)
        return total

    # -- reading -------------------------------------------------------------------

    def read(self, budget: int) -> tuple[list[bytes], list[FilePos], int]:
        """Up to ``budget`` bytes of complete lines from the source's files (rotated files first).

        Returns the lines, the positions the touched files end at, and the bytes consumed.
        A growing file is checked for truncation at every read, not only at scans.
        """
        now = time.monotonic()
        if any(now - f.last_growth < HOT_FOR and _shrunk(f) for f in self.files.values()):
            self.scan()  # a growing file was truncated: notice it (and find its copy) now
        lines: list[bytes] = []
        positions: list[FilePos] = []
        consumed = 0
        order = sorted(self.files.values(), key=lambda f: (f.gone_since is None, f.path))
        for f in order:
            if consumed >= budget:
                break
            got = self._read_file(f, budget - consumed, now, lines)
            if got >= 0:
                consumed += got
                positions.append(f.position())
            if f.gone_since is not None and not f.pending and f.read_pos >= f.size and \
                    now - f.last_growth >= self.source.rotate_wait and now - f.gone_since >= self.source.rotate_wait:
                self._close(f, closed=True)
            elif f.gone_since is None and not f.pending and now - f.last_growth >= IDLE_CLOSE:
                self._close(f, closed=False)
        if lines:
            self._read_lines.inc(len(lines))
        if consumed:
            self._read_bytes.inc(consumed)
        self._files_open.set(len(self.files))
        return lines, positions, consumed

    def _read_file(self, f: TailedFile, budget: int, now: float, out: list[bytes]) -> int:
        """Append f's complete lines to ``out``; bytes consumed, or -1 when nothing changed."""
        src = self.source
        try:
            data = os.pread(f.fd, min(budget, src.read_chunk), f.read_pos)
        except OSError as e:
            self._file_error(f.path, "read", e)
            return -1
        if not data:
            if f.pending and (now - f.pending_since >= self._grace or
                              (f.gone_since is not None and now - f.last_growth >= src.rotate_wait)):
                return self._flush_pending(f, out)
            return -1
        f.read_pos += len(data)
        if f.read_pos > f.size:
            f.size = f.read_pos
        f.last_growth = now
        if f.skipping:
            nl = data.find(b"\n")
            if nl < 0:
                f.offset = f.read_pos
                self._update_fp(f)
                return len(data)
            f.skipping = False
            data = data[nl + 1:]
        buf = f.pending + data if f.pending else data
        cut = buf.rfind(b"\n")
        if cut < 0:
            if not f.pending:
                f.pending_since = now
            f.pending = buf
            if len(buf) > src.max_line_bytes:
                self._overlong_pending(f, out)
            self._update_fp(f)
            return len(data)
        rest = buf[cut + 1:]
        complete = buf[:cut]
        if self._multiline is not None:
            events, held = self._multiline.split(complete.split(b"\n"))
            if held:  # the last event may still grow: it waits like a partial line
                rest = b"\n".join(held) + b"\n" + rest
            whole = None
        else:
            events = complete.split(b"\n")
            whole = complete
        f.pending = rest
        f.pending_since = now
        f.offset = f.read_pos - len(rest)
        if events:
            self._emit(events, out, len(complete), continued=f.splitting, whole=whole)
        f.splitting = False
        if len(rest) > src.max_line_bytes:
            self._overlong_pending(f, out)
        self._update_fp(f)
        return len(data)

    def _flush_pending(self, f: TailedFile, out: list[bytes]) -> int:
        """Hand out the partial last line (or held multiline event) as it is; bytes it represents."""
        line, f.pending = f.pending, b""
        if self._multiline is not None:
            line = line.rstrip(b"\n")
        f.offset = f.read_pos
        n = self._emit([line], out)
        self._update_fp(f)
        return n or len(line)

    def flush(self) -> list[bytes]:
        """Every file's partial last line now, for a reader that knows its input ended (``logs preview``)
        instead of waiting ``partial_line_grace``."""
        out: list[bytes] = []
        for f in self.files.values():
            if f.pending:
                self._flush_pending(f, out)
        return out

    def _overlong_pending(self, f: TailedFile, out: list[bytes]) -> None:
        """A partial line already over the limit: ship what the policy keeps, don't buffer more."""
        limit = self.source.max_line_bytes
        if self.source.long_lines == "split":
            # Cut between characters: the rest kept must not start inside one (both halves would
            # become U+FFFD).
            pieces, f.pending = split_utf8(f.pending, limit)
            if not f.splitting:
                self._long_split.inc()
            self._emit(pieces, out)
            f.splitting = True
        else:
            head = f.pending
            f.pending = b""
            f.skipping = True
            self._emit([head], out)
        f.offset = f.read_pos - len(f.pending)

    def _update_fp(self, f: TailedFile) -> None:
        if f.fp_len < FP_BYTES and f.offset > f.fp_len:
            f.fp_len, f.fp_crc = fingerprint(f.fd, f.offset)

    def _emit(self, lines: list[bytes], out: list[bytes], total: int = -1, continued: bool = False,
              whole: bytes | None = None) -> int:
        """Validate and append lines (UTF-8, length, empties). Returns bytes represented.

        ``whole``: the lines joined by newlines, when the caller has it (saves a copy).
        """
        if total < 0:
            total = sum(map(len, lines))
        limit = self.source.max_line_bytes
        if total > limit and max(map(len, lines)) > limit:
            lines = self._cut_long(lines, limit, continued)
            whole = None
        if whole is None:
            whole = b"\n".join(lines)
        try:
            if not whole.isascii():  # ASCII is valid UTF-8; the check needs no decoded copy
                whole.decode("utf-8")
        except UnicodeDecodeError:
            fixed = []
            bad = 0
            for line in lines:
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    line = line.decode("utf-8", "replace").encode("utf-8")
                    bad += 1
                    if len(line) > limit:  # replacement characters are 3 bytes
                        line = cut_utf8(line, limit)
                fixed.append(line)
            lines = fixed
            self._utf8.inc(bad)
        empty = lines.count(b"")
        if empty:
            self._empty.inc(empty)
            lines = [x for x in lines if x]
        out.extend(lines)
        return total

    def _cut_long(self, lines: list[bytes], limit: int, continued: bool = False) -> list[bytes]:
        """Over-long lines cut to the limit; ``continued``: the first line is the rest of one already counted."""
        out: list[bytes] = []
        split = self.source.long_lines == "split"
        for i, line in enumerate(lines):
            if len(line) <= limit:
                out.append(line)
            elif split:
                if not (continued and i == 0):
                    self._long_split.inc()
                pieces, rest = split_utf8(line, limit)
                out += pieces
                out.append(rest)
            else:
                self._long_trunc.inc()
                out.append(cut_utf8(line, limit) or line[:limit])
        return out


@dataclass(eq=False)
class _Truncated:
    """A file just found truncated: where it stood, to find and finish its copy."""

    path: str
    fp_len: int
    fp_crc: int
    offset: int
    copied: bool = False
    #: Found at reopening from a checkpoint: it may be a new file on a reused inode, not a truncation.
    closed: bool = False


def _copy_of(fd: int, size: int, truncated: list[_Truncated]) -> _Truncated | None:
    """The truncated file whose copy the open file ``fd`` is: it begins with that file's first bytes
    and holds at least its offset."""
    for t in truncated:
        if not t.copied and size >= t.offset and fingerprint(fd, t.fp_len) == (t.fp_len, t.fp_crc):
            return t
    return None


def _shrunk(f: TailedFile) -> bool:
    try:
        return os.fstat(f.fd).st_size < f.read_pos
    except OSError:
        return False


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)
