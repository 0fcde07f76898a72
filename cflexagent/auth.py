"""HTTP basic auth for the agent's server, as Prometheus' web config: users map to bcrypt hashes.

bcrypt is slow on purpose, so a flood of wrong passwords must not turn its
cost against the agent or lock the real scraper out:

- a credential bcrypt accepted is remembered (by its SHA-256, never the
  password), and later requests with it are answered without hashing; only
  correct passwords get there, so an attacker cannot push it out;
- a wrong credential seen recently is answered from a bounded table;
- each client address may fail ``FAILURE_BURST`` times, then one more time
  every ``FAILURE_REFILL`` seconds; beyond that it gets 429 without hashing
  (a remembered correct credential from the same address still passes);
- bcrypt runs on its own thread (never delaying the spool's fsyncs on the
  default pool), with at most ``MAX_PENDING`` checks waiting;
- passwords longer than bcrypt's 72 bytes are wrong passwords (bcrypt >= 4.1
  raises on them), not a server error.

:meth:`BasicAuth.check` returns None for an accepted request, else the
reason (the label of ``cflexagent_http_auth_failures_total``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import hashlib
import time
from collections.abc import Callable

import bcrypt

#: bcrypt reads at most this many bytes of a password (and bcrypt >= 4.1 refuses longer ones).
BCRYPT_MAX_BYTES = 72
#: A valid hash to compare against for unknown users, so their timing matches known ones.
_DUMMY_HASH = b"$2b$10$kq92gpPKADbWQcAAiYV/a.5YbglV/NcqQ3zKeUB1e2rpeL6DWqg2m"
MAX_PENDING = 32
FAILURE_BURST = 10
FAILURE_REFILL = 6.0
_VERIFIED_MAX = 64
_FAILED_MAX = 1024
_CLIENTS_MAX = 4096

#: Every failure reason: no or non-Basic header, undecodable, wrong user or password, longer than
#: 72 bytes, the client's failure budget spent, too many checks waiting.
REASONS = ("missing", "malformed", "wrong", "too_long", "rate_limited", "busy")

_executor: concurrent.futures.ThreadPoolExecutor | None = None


def _checkpw(password: bytes, hashed: bytes) -> bool:
    try:
        return bool(bcrypt.checkpw(password, hashed))
    except ValueError:  # a malformed hash or a password bcrypt refuses: not a match
        return False


class BasicAuth:
    def __init__(self, users: dict[str, str], clock: Callable[[], float] = time.monotonic) -> None:
        self.users = dict(users)
        self._hashes = {u: h.encode() for u, h in users.items()}
        self._clock = clock
        self._verified: dict[bytes, None] = {}
        self._failed: dict[bytes, None] = {}
        self._budgets: dict[str, list[float]] = {}  # client -> [failures left, refilled at]
        self._pending = 0

    @property
    def enabled(self) -> bool:
        return bool(self._hashes)

    async def check(self, header: str | None, client: str) -> str | None:
        if not header or not header.startswith("Basic "):
            return "missing"
        try:
            user, sep, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "malformed"
        if not sep:
            return "malformed"
        secret = password.encode()
        hashed = self._hashes.get(user)
        key = hashlib.sha256(b"\0".join([user.encode(), secret, hashed or b""])).digest()
        if key in self._verified:
            return None
        if not self._spend(client):
            return "rate_limited"
        if key in self._failed:
            return "wrong"
        if len(secret) > BCRYPT_MAX_BYTES:
            return "too_long"
        if self._pending >= MAX_PENDING:
            self._refund(client)  # not the client's fault
            return "busy"
        global _executor
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="bcrypt")
        self._pending += 1
        try:
            ok = await asyncio.get_running_loop().run_in_executor(_executor, _checkpw, secret,
                                                                  hashed or _DUMMY_HASH)
        finally:
            self._pending -= 1
        if ok and hashed is not None:
            self._refund(client)
            _remember(self._verified, key, _VERIFIED_MAX)
            return None
        _remember(self._failed, key, _FAILED_MAX)
        return "wrong"

    def _spend(self, client: str) -> bool:
        """Take one failure from ``client``'s budget (given back on success); False when spent."""
        now = self._clock()
        budget = self._budgets.pop(client, None)
        if budget is None:
            budget = [float(FAILURE_BURST), now]
        else:
            budget[0] = min(float(FAILURE_BURST), budget[0] + (now - budget[1]) / FAILURE_REFILL)
            budget[1] = now
        if len(self._budgets) >= _CLIENTS_MAX:
            del self._budgets[next(iter(self._budgets))]
        self._budgets[client] = budget  # most recently seen last
        if budget[0] < 1.0:
            return False
        budget[0] -= 1.0
        return True

    def _refund(self, client: str) -> None:
        budget = self._budgets.get(client)
        if budget is not None:
            budget[0] = min(float(FAILURE_BURST), budget[0] + 1.0)


def _remember(table: dict[bytes, None], key: bytes, limit: int) -> None:
    if len(table) >= limit:
        del table[next(iter(table))]
    table[key] = None
