"""Concurrent SFTP tree walk: totals per area and group from READDIR answers alone.

Protocol: SFTP v3 (draft-ietf-secsh-filexfer-02) as spoken by OpenSSH's
``sftp-server``/``internal-sftp``. Each SSH_FXP_NAME answer to SSH_FXP_READDIR
carries up to 100 names *with their lstat attributes*, so no per-file STAT is
ever sent and symlinks are never followed. A directory costs OPENDIR, READDIR
until SSH_FX_EOF, and CLOSE. asyncssh's ``scandir`` sends these one after the
other (4 round trips for a small directory); here two READDIRs are sent
back to back (the server answers requests on one handle in order, so the
second one returns either the next batch or EOF) and CLOSE is sent without
waiting for its answer, so a small directory costs 2 round trips. Many
directories are in flight at once over the one SFTP channel, bounded by
``max_concurrency``.

Paths are bytes end to end: non-UTF-8 names are listed and counted like any
other. The accounting (``Tally``) is plain synchronous code over the listed
attributes.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: SFTP v3 packet types (draft-ietf-secsh-filexfer-02, section 3).
_FXP_READDIR, _FXP_STATUS, _FXP_NAME = 12, 101, 104
#: Reasons an entry was skipped (the ``reason`` label; a fixed set keeps cardinality bounded).
SKIP_REASONS = ("symlink", "special", "vanished", "permission_denied", "error")
_U32 = struct.Struct(">I").unpack_from
_U64 = struct.Struct(">Q").unpack_from
_S_IFMT, _S_IFREG, _S_IFDIR, _S_IFLNK = 0o170000, 0o100000, 0o040000, 0o120000
#: One listed name: (filename, st_mode or None, size, mtime or None).
Entry = tuple[bytes, int | None, int, int | None]
ROOT_GROUP = "."
OTHER_GROUP = "other"


class ScanAborted(Exception):
    """The connection broke or the server misbehaved: the whole scan is void."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Tally:
    """Totals of one group (or a whole area)."""

    files: int = 0
    bytes: int = 0
    directories: int = 0
    oldest_mtime: float | None = None
    newest_mtime: float | None = None
    #: Count of files per size bucket (non-cumulative; the last slot is +Inf).
    size_counts: list[int] = field(default_factory=list)
    #: Count of files whose mtime is older than each configured age.
    older_counts: list[int] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.files += other.files
        self.bytes += other.bytes
        self.directories += other.directories
        if other.oldest_mtime is not None and (self.oldest_mtime is None or other.oldest_mtime < self.oldest_mtime):
            self.oldest_mtime = other.oldest_mtime
        if other.newest_mtime is not None and (self.newest_mtime is None or other.newest_mtime > self.newest_mtime):
            self.newest_mtime = other.newest_mtime
        if not self.size_counts:
            self.size_counts = [0] * len(other.size_counts)
            self.older_counts = [0] * len(other.older_counts)
        for i, c in enumerate(other.size_counts):
            self.size_counts[i] += c
        for i, c in enumerate(other.older_counts):
            self.older_counts[i] += c


@dataclass
class AreaResult:
    """One complete scan of one area."""

    name: str
    total: Tally
    groups: dict[str, Tally]
    skipped: dict[str, int]
    duration: float
    finished_at: float


@dataclass
class Progress:
    """Live counters for ``storage scan`` (updated as listings arrive)."""

    directories: int = 0
    files: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)


class AreaWalk:
    """Accounting for one area: which group an entry belongs to, and its totals."""

    def __init__(self, name: str, group_depth: int, max_groups: int,
                 size_bounds: Sequence[int], older_than: Sequence[float], now: float) -> None:
        self.name = name
        self.group_depth = group_depth
        self.max_groups = max_groups
        self.size_bounds = list(size_bounds)
        # Files with mtime below these cut-offs are "older than" the matching age.
        self.cutoffs = [now - age for age in older_than]
        self.groups: dict[bytes, Tally] = {}
        self.skipped = dict.fromkeys(SKIP_REASONS, 0)

    def tally(self, group: bytes) -> Tally:
        t = self.groups.get(group)
        if t is None:
            t = self.groups[group] = Tally(size_counts=[0] * (len(self.size_bounds) + 1),
                                           older_counts=[0] * len(self.cutoffs))
        return t

    def add_listing(self, names: Sequence[Entry], path: bytes, depth: int, group: bytes,
                    progress: Progress) -> list[tuple[bytes, int, bytes]]:
        """Count one directory's entries; return its subdirectories (path, depth, group) to list."""
        subdirs: list[tuple[bytes, int, bytes]] = []
        gd = self.group_depth
        own = self.tally(group if depth >= gd else b"")
        bounds, cutoffs = self.size_bounds, self.cutoffs
        bisect_left = bisect.bisect_left
        sizes, olders = own.size_counts, own.older_counts
        files = nbytes = 0
        oldest, newest = own.oldest_mtime, own.newest_mtime
        for fn, mode, size, m in names:
            if fn == b"." or fn == b"..":
                continue
            kind = mode & _S_IFMT if mode is not None else 0
            if kind == _S_IFREG:
                files += 1
                nbytes += size
                sizes[bisect_left(bounds, size)] += 1
                if m is not None:
                    if oldest is None or m < oldest:
                        oldest = m
                    if newest is None or m > newest:
                        newest = m
                    for i, c in enumerate(cutoffs):
                        if m < c:
                            olders[i] += 1
            elif kind == _S_IFDIR:
                child_group = group
                if depth < gd:
                    child_group = fn if depth == 0 else group + b"/" + fn
                subdirs.append((path + b"/" + fn if path != b"/" else b"/" + fn, depth + 1, child_group))
            elif kind == _S_IFLNK:
                self.skipped["symlink"] += 1
            else:
                self.skipped["special"] += 1
        own.files += files
        own.bytes += nbytes
        own.oldest_mtime, own.newest_mtime = oldest, newest
        progress.files += files
        progress.bytes += nbytes
        return subdirs

    def directory_listed(self, depth: int, group: bytes) -> None:
        if depth > 0:
            self.tally(group if depth >= self.group_depth else b"").directories += 1

    def result(self, duration: float, finished_at: float) -> AreaResult:
        total = Tally(size_counts=[0] * (len(self.size_bounds) + 1), older_counts=[0] * len(self.cutoffs))
        for t in self.groups.values():
            total.merge(t)
        groups: dict[str, Tally] = {}
        if self.group_depth > 0:
            named = sorted(((k, v) for k, v in self.groups.items() if k), key=lambda kv: (-kv[1].bytes, kv[0]))
            for key, t in named[: self.max_groups]:
                groups[key.decode("utf-8", "backslashreplace")] = t
            rest = [t for _, t in named[self.max_groups:]]
            if b"" in self.groups:
                rest_root = self.groups[b""]
                groups[ROOT_GROUP] = rest_root
            if rest:
                other = Tally(size_counts=[0] * (len(self.size_bounds) + 1), older_counts=[0] * len(self.cutoffs))
                for t in rest:
                    other.merge(t)
                # A real directory called "other" keeps its own name only if it made the cut.
                groups[OTHER_GROUP if OTHER_GROUP not in groups else OTHER_GROUP + "~"] = other
        return AreaResult(self.name, total, groups, dict(self.skipped), duration, finished_at)


def parse_names(buf: bytes) -> list[Entry]:
    """Decode the payload of an SFTP v3 SSH_FXP_NAME packet (after the request id).

    Written out with ``struct`` because generic attribute decoding costs about
    as much CPU per name as the SSH transport itself on a fast link.
    Layout: uint32 count, then per name: string filename, string longname,
    ATTRS (uint32 flags; SIZE uint64; UIDGID 2*uint32; PERMISSIONS uint32;
    ACMODTIME 2*uint32; EXTENDED uint32 count + count*(string, string)).
    """
    (count,) = _U32(buf, 0)
    i = 4
    out: list[Entry] = []
    append = out.append
    for _ in range(count):
        (n,) = _U32(buf, i)
        name = buf[i + 4:i + 4 + n]
        i += 4 + n
        (n,) = _U32(buf, i)
        i += 4 + n
        (flags,) = _U32(buf, i)
        i += 4
        size, mode, mtime = 0, None, None
        if flags & 0x1:
            (size,) = _U64(buf, i)
            i += 8
        if flags & 0x2:
            i += 8
        if flags & 0x4:
            (mode,) = _U32(buf, i)
            i += 4
        if flags & 0x8:
            (mtime,) = _U32(buf, i + 4)
            i += 8
        if flags & 0x80000000:
            (ext,) = _U32(buf, i)
            i += 4
            for _e in range(2 * ext):
                (n,) = _U32(buf, i)
                i += 4 + n
        append((name, mode, size, mtime))
    if i > len(buf):
        raise ValueError("truncated SSH_FXP_NAME packet")
    return out


def _from_sftpname(n: Any) -> Entry:
    a = n.attrs
    mode = a.permissions
    if mode is not None and not mode & _S_IFMT:
        mode = {1: _S_IFREG, 2: _S_IFDIR, 3: _S_IFLNK}.get(a.type, 0) | mode
    return (n.filename, mode, a.size or 0, a.mtime)


class Lister:
    """Lists one directory over an asyncssh SFTP session in as few round trips as the protocol allows."""

    def __init__(self, sftp: Any) -> None:
        import asyncssh
        from asyncssh.packet import String

        self._sftp = sftp
        self._string = String
        # asyncssh's request layer (opendir, raw requests, close on handles) is
        # what its own scandir uses; going one level down lets the READDIRs be
        # pipelined and their answers decoded by parse_names. Fall back to the
        # public API should a future asyncssh rename it.
        h = getattr(sftp, "_handler", None)
        needed = ("opendir", "close", "_send_request", "_process_status", "_loop")
        self._handler = h if h is not None and all(hasattr(h, m) for m in needed) and h.version == 3 else None
        self._eof = asyncssh.SFTPEOFError
        self._closing: set[asyncio.Task[None]] = set()

    def _readdir(self, handle: bytes) -> asyncio.Future[Any]:
        h = self._handler
        assert h is not None
        waiter: asyncio.Future[Any] = h._loop.create_future()
        h._send_request(_FXP_READDIR, [self._string(handle)], waiter)
        return waiter

    def _decode(self, answer: tuple[int, Any]) -> list[Entry] | None:
        """Entries of one READDIR answer, or None at end of directory (raises other errors)."""
        kind, packet = answer
        if kind == _FXP_NAME:
            try:
                return parse_names(packet.get_remaining_payload())
            except (struct.error, ValueError) as e:
                raise ScanAborted("protocol", f"malformed directory listing from the server: {e}") from None
        if kind == _FXP_STATUS:
            try:
                self._handler._process_status(packet)  # type: ignore[union-attr]  # raises the status as SFTPError
            except self._eof:
                return None
        raise ScanAborted("protocol", f"unexpected SFTP answer type {kind} to READDIR")

    async def list(self, path: bytes) -> list[Entry]:
        h = self._handler
        if h is None:
            return [_from_sftpname(n) for n in await self._sftp.readdir(path)]
        handle = await h.opendir(path)
        names: list[Entry] = []
        pending: list[asyncio.Future[Any]] = []
        try:
            while True:
                # Sent back to back: the server answers requests on one handle in
                # order, so the second gets the next batch or EOF, one round trip later at most.
                pending = [self._readdir(handle), self._readdir(handle)]
                done = False
                for fut in pending:
                    answer = await fut
                    if done:
                        continue
                    batch = self._decode(answer)
                    if batch is None:
                        done = True
                    else:
                        names.extend(batch)
                pending = []
                if done:
                    return names
        finally:
            for fut in pending:
                fut.cancel()
            task = asyncio.ensure_future(self._close(handle))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _close(self, handle: bytes) -> None:
        with contextlib.suppress(Exception):
            await self._handler.close(handle)  # type: ignore[union-attr]

    async def drain(self) -> None:
        """Wait for outstanding CLOSEs (they are cheap; the server frees its handles)."""
        if self._closing:
            await asyncio.wait(list(self._closing), timeout=5.0)


def classify(exc: BaseException) -> str | None:
    """Skip reason for a per-directory SFTP error, or None when the whole scan must stop."""
    import asyncssh

    if isinstance(exc, (asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection)):
        return None
    if isinstance(exc, asyncssh.SFTPNoSuchFile):
        return "vanished"
    if isinstance(exc, asyncssh.SFTPPermissionDenied):
        return "permission_denied"
    if isinstance(exc, asyncssh.SFTPError):
        return "error"
    return None


Hook = Callable[[bytes], Awaitable[None]]


async def walk(sftp: Any, areas: Sequence[tuple[AreaWalk, bytes]], max_concurrency: int,
               progress: Progress | None = None,
               after_listing: Hook | None = None) -> tuple[dict[str, AreaResult], dict[str, str]]:
    """Walk every area's root over one SFTP session.

    Returns complete results per area, and per area whose root cannot be listed
    a message (that area has no result). A broken connection raises
    ``ScanAborted`` and nothing is returned.
    ``after_listing`` (tests only) runs after each directory is listed and
    before its subdirectories are queued.
    """
    import asyncssh

    progress = progress or Progress()
    lister = Lister(sftp)
    queue: asyncio.Queue[tuple[AreaWalk, bytes, int, bytes]] = asyncio.Queue()
    started: dict[str, float] = {}
    finished: dict[str, float] = {}
    pending: dict[str, int] = {}
    root_errors: dict[str, BaseException] = {}
    fatal: list[BaseException] = []
    all_done = asyncio.Event()
    outstanding = 0

    for area, root in areas:
        started[area.name] = time.monotonic()
        pending[area.name] = 1
        outstanding += 1
        queue.put_nowait((area, root, 0, b""))

    def finish_one(area: AreaWalk) -> None:
        nonlocal outstanding
        pending[area.name] -= 1
        outstanding -= 1
        if pending[area.name] == 0:
            finished[area.name] = time.monotonic()
        if outstanding == 0:
            all_done.set()

    async def list_one(area: AreaWalk, path: bytes, depth: int, group: bytes) -> bool:
        """List one queued directory; False when the whole scan must stop."""
        nonlocal outstanding
        try:
            names = await lister.list(path)
        except ScanAborted as e:
            fatal.append(e)
            return False
        except (asyncssh.Error, OSError) as e:
            reason = classify(e)
            if reason is None:
                fatal.append(e)
                return False
            if depth == 0:
                root_errors[area.name] = e
            else:
                area.skipped[reason] += 1
            finish_one(area)
            return True
        area.directory_listed(depth, group)
        progress.directories += 1
        subdirs = area.add_listing(names, path, depth, group, progress)
        if after_listing is not None:
            await after_listing(path)
        for sub, d, g in subdirs:
            pending[area.name] += 1
            outstanding += 1
            queue.put_nowait((area, sub, d, g))
        finish_one(area)
        return True

    async def worker() -> None:
        while True:
            item = await queue.get()
            try:
                go_on = await list_one(*item)
            except Exception as e:
                # Anything unforeseen (a bug, an odd answer) voids the scan at once: a
                # silently ended worker would leave its directory outstanding forever and
                # the scan would hang until storage.sftp.timeout.
                fatal.append(e)
                go_on = False
            if not go_on:
                all_done.set()
                return

    workers = [asyncio.create_task(worker(), name=f"sftp-lister-{i}") for i in range(max(1, max_concurrency))]
    try:
        await all_done.wait()
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    if fatal:
        e = fatal[0]
        if isinstance(e, ScanAborted):
            raise e
        if isinstance(e, (asyncssh.Error, OSError)):
            raise ScanAborted("disconnected", f"connection lost during the scan: {e}") from e
        raise ScanAborted("internal", f"scan stopped by an unexpected error: {type(e).__name__}: {e}") from e
    await lister.drain()
    now = time.time()
    results: dict[str, AreaResult] = {}
    errors: dict[str, str] = {}
    for area, root in areas:
        if area.name in root_errors:
            e = root_errors[area.name]
            errors[area.name] = f"{classify(e)}: cannot list {root.decode('utf-8', 'backslashreplace')}: {e}"
            continue
        results[area.name] = area.result(finished.get(area.name, time.monotonic()) - started[area.name], now)
    return results, errors
