"""Per-line pacing: Sendblue allows bursts of 10 messages a second per line."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

BURST = 10
# A little under Sendblue's 10 a second: requests leave at the paced times but
# arrive with network jitter, and two arriving closer together than they left
# must not add up to an eleventh message within Sendblue's second.
RATE = 9.5  # tokens per second
# Float rounding must not turn an exactly refilled token into a wait.
ROUNDING = 1e-9


@dataclass
class _Bucket:
    """Tokens left on one line and when they were counted."""

    tokens: float
    updated: float


@dataclass
class LinePacer:
    """A token bucket per sending line; waits only when a line's bucket is empty."""

    capacity: int = BURST
    rate: float = RATE
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _buckets: dict[str, _Bucket] = field(default_factory=dict, init=False, repr=False)

    async def acquire(self, line: str) -> None:
        """Take a token for line, waiting until one is free."""
        now = self.clock()
        bucket = self._buckets.setdefault(line, _Bucket(float(self.capacity), now))
        bucket.tokens = min(
            self.capacity, bucket.tokens + (now - bucket.updated) * self.rate
        )
        bucket.updated = now
        # Take the token first (possibly going negative) so that concurrent
        # callers queue up behind each other instead of all waking at once.
        bucket.tokens -= 1
        if bucket.tokens < -ROUNDING:
            await self.sleep(-bucket.tokens / self.rate)
