"""Rate limiters on the simulator clock (§13)."""

from __future__ import annotations

import math
from collections import deque

from .clock import Clock

LINE_BURST_PER_SECOND = 10
MESSAGES_API_REQUESTS = 100
MESSAGES_API_WINDOW_S = 10.0


class TokenBucket:
    """A bucket of capacity tokens refilled at rate tokens per second."""

    def __init__(self, clock: Clock, capacity: float, rate: float) -> None:
        """Start full."""
        self._clock = clock
        self.capacity = capacity
        self.rate = rate
        self._tokens = capacity
        self._stamp = clock.monotonic()

    def _refill(self) -> None:
        """Add the tokens earned since the last call."""
        now = self._clock.monotonic()
        self._tokens = min(
            self.capacity, self._tokens + (now - self._stamp) * self.rate
        )
        self._stamp = now

    def take(self) -> float | None:
        """Take a token; return None on success, else the seconds until one is free."""
        self._refill()
        # Allow for float rounding: a client pacing at exactly the rate must pass.
        if self._tokens >= 1 - 1e-9:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / self.rate


class SlidingWindow:
    """At most `limit` events within any `window` seconds."""

    def __init__(self, clock: Clock, limit: int, window: float) -> None:
        """Start empty."""
        self._clock = clock
        self.limit = limit
        self.window = window
        self._events: deque[float] = deque()

    def take(self) -> float | None:
        """Record one event; return None if allowed, else the seconds to wait."""
        now = self._clock.monotonic()
        while self._events and self._events[0] <= now - self.window:
            self._events.popleft()
        if len(self._events) < self.limit:
            self._events.append(now)
            return None
        return self._events[0] + self.window - now


def retry_after_header(seconds: float) -> str:
    """Format a Retry-After value (whole seconds, at least 1)."""
    return str(max(1, math.ceil(seconds)))


class RateLimits:
    """Per-line send bursts and the /api/v2/messages account window."""

    def __init__(self, clock: Clock) -> None:
        """Create empty limiters."""
        self._clock = clock
        self.enabled = True
        self._lines: dict[str, TokenBucket] = {}
        self._messages_api = SlidingWindow(
            clock, MESSAGES_API_REQUESTS, MESSAGES_API_WINDOW_S
        )

    def reset(self) -> None:
        """Forget all usage."""
        self._lines.clear()
        self._messages_api = SlidingWindow(
            clock=self._clock, limit=MESSAGES_API_REQUESTS, window=MESSAGES_API_WINDOW_S
        )

    def take_line(self, line: str) -> float | None:
        """Take a send token for line; seconds to wait when limited."""
        if not self.enabled:
            return None
        bucket = self._lines.get(line)
        if bucket is None:
            bucket = self._lines[line] = TokenBucket(
                self._clock, LINE_BURST_PER_SECOND, LINE_BURST_PER_SECOND
            )
        return bucket.take()

    def take_messages_api(self) -> float | None:
        """Count one /api/v2/messages request; seconds to wait when limited."""
        if not self.enabled:
            return None
        return self._messages_api.take()
