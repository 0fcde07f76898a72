"""A token bucket: ``count`` tokens per ``period`` seconds, holding at most ``count``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .config import RateLimit


class TokenBucket:
    def __init__(self, rate: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(rate.count)
        self.per_second = rate.count / rate.period
        self.clock = clock
        self._tokens = self.capacity
        self._at = clock()

    @property
    def tokens(self) -> float:
        now = self.clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        return self._tokens

    def try_take(self, n: float = 1.0) -> bool:
        if self.tokens >= n:
            self._tokens -= n
            return True
        return False

    def wait_time(self, n: float) -> float:
        """Seconds until ``n`` tokens are there (n is capped at the bucket's size)."""
        n = min(n, self.capacity)
        return max(0.0, (n - self.tokens) / self.per_second)

    async def take(self, n: float) -> None:
        """Wait until ``n`` tokens (at most the bucket's size) are there, then take them."""
        n = min(n, self.capacity)
        while not self.try_take(n):  # noqa: ASYNC110 - the wait is computed, nothing to signal
            await asyncio.sleep(max(0.005, self.wait_time(n)))
