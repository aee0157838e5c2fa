"""Injectable clocks and the scheduler that runs timed work (statuses, retries)."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

DEFAULT_MANUAL_START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Clock(Protocol):
    """A source of monotonic seconds and wall-clock time that tests can move forward."""

    @property
    def runs_by_itself(self) -> bool:
        """Whether time passes without calls to advance()."""
        ...

    def monotonic(self) -> float:
        """Return monotonic seconds."""
        ...

    def now(self) -> datetime:
        """Return the current aware UTC time."""
        ...

    def advance(self, seconds: float) -> None:
        """Move time forward by seconds."""
        ...


class RealClock:
    """Real monotonic time plus any offset added with advance()."""

    def __init__(self) -> None:
        """Anchor wall time to the monotonic clock."""
        self._offset = 0.0
        self._mono_start = time.monotonic()
        self._wall_start = datetime.now(UTC)

    @property
    def runs_by_itself(self) -> bool:
        """Real time passes on its own."""
        return True

    def monotonic(self) -> float:
        """Return real monotonic seconds plus the advanced offset."""
        return time.monotonic() + self._offset

    def now(self) -> datetime:
        """Return wall time consistent with monotonic()."""
        return self._wall_start + timedelta(seconds=self.monotonic() - self._mono_start)

    def advance(self, seconds: float) -> None:
        """Jump forward by seconds."""
        self._offset += max(0.0, seconds)


class ManualClock:
    """A frozen clock that only moves on advance() (reproducible timestamps)."""

    def __init__(self, start: datetime = DEFAULT_MANUAL_START) -> None:
        """Start at the given wall time."""
        self._t = 0.0
        self._start = start

    @property
    def runs_by_itself(self) -> bool:
        """Manual time never passes on its own."""
        return False

    def monotonic(self) -> float:
        """Return the simulated seconds since start."""
        return self._t

    def now(self) -> datetime:
        """Return the simulated wall time."""
        return self._start + timedelta(seconds=self._t)

    def advance(self, seconds: float) -> None:
        """Move forward by seconds."""
        self._t += max(0.0, seconds)


@dataclass(order=True)
class _Entry:
    when: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)
    background: bool = field(default=False, compare=False)


class TimerHandle:
    """A handle to cancel scheduled work."""

    def __init__(self, entry: _Entry) -> None:
        """Wrap a scheduler entry."""
        self._entry = entry

    def cancel(self) -> None:
        """Stop the callback from running."""
        self._entry.cancelled = True


class Scheduler:
    """Runs callbacks when the clock reaches their time (real time or advance())."""

    def __init__(self, clock: Clock) -> None:
        """Create an idle scheduler for clock."""
        self.clock = clock
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def call_later(
        self, delay: float, callback: Callable[[], None], *, background: bool = False
    ) -> TimerHandle:
        """Run callback after delay seconds (background: run_until_idle ignores it)."""
        entry = _Entry(
            self.clock.monotonic() + max(0.0, delay),
            next(self._seq),
            callback,
            background=background,
        )
        heapq.heappush(self._heap, entry)
        self._wake.set()
        return TimerHandle(entry)

    def next_due(self) -> float | None:
        """Return the clock time of the next pending callback."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    def next_work_due(self) -> float | None:
        """Return the clock time of the next callback that is not background work."""
        return min(
            (e.when for e in self._heap if not (e.cancelled or e.background)),
            default=None,
        )

    def has_due(self) -> bool:
        """Tell whether some callback is due now."""
        due = self.next_due()
        return due is not None and due <= self.clock.monotonic()

    def pending(self) -> int:
        """Count callbacks not yet run."""
        return sum(1 for entry in self._heap if not entry.cancelled)

    def run_due(self) -> int:
        """Run every callback whose time has come, in time order."""
        ran = 0
        while self._heap and self._heap[0].when <= self.clock.monotonic():
            entry = heapq.heappop(self._heap)
            if not entry.cancelled:
                entry.callback()
                ran += 1
        return ran

    def clear(self) -> None:
        """Drop every pending callback."""
        self._heap.clear()

    def start(self) -> None:
        """Start the background loop that runs callbacks as real time passes."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop the background loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        """Sleep until the next callback is due (or new work arrives), then run it."""
        while True:
            self._wake.clear()
            self.run_due()
            due = self.next_due()
            if due is None or not self.clock.runs_by_itself:
                await self._wake.wait()
                continue
            try:
                async with asyncio.timeout(max(0.0, due - self.clock.monotonic())):
                    await self._wake.wait()
            except TimeoutError:
                pass
