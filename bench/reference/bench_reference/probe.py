"""Time the pieces of a text's way through Home Assistant, while asked to.

Each piece is wrapped where Home Assistant or the integration looks it up at call
time, and timed in CPU time of the event loop's thread (thread_time), which other
processes on the core do not inflate as they do wall time: the webhook dispatch and
handler (without the HTTP server, the same for every handler), the automation runs,
and in the Sendblue handler the body read, the typed parse and the inbound step with
its state writes and bus events. Reading the clock costs about 0.3 µs, so a piece
counts about 0.6 µs per wrapped piece inside it; the probe is off unless the
benchmark turns it on, so the throughput runs measure unwrapped code.
"""

from __future__ import annotations

import importlib
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from time import thread_time
from typing import Any

# What was timed: label -> [calls, seconds].
type Timings = defaultdict[str, list[float]]


def _argument(args: tuple[Any, ...], index: int) -> object:
    """Return a positional argument, or "?" when it was passed by keyword."""
    return args[index] if len(args) > index else "?"


# Where each timed piece is looked up: module, class (or None), name, and how a
# call is labelled from its arguments.
TIMED: tuple[tuple[str, str | None, str, Callable[..., str]], ...] = (
    (
        "homeassistant.components.webhook",
        None,
        "async_handle_webhook",
        lambda *args: f"webhook {_argument(args, 1)}",
    ),
    (
        "homeassistant.components.automation",
        "AutomationEntity",
        "async_trigger",
        lambda run, *_: f"automation {run.unique_id}",
    ),
    ("custom_components.sendblue.webhook", None, "_read_payload", lambda *_: "read"),
    ("custom_components.sendblue.webhook", None, "parse_webhook", lambda *_: "parse"),
    (
        "custom_components.sendblue.inbound",
        "SendblueInbound",
        "async_process",
        lambda *_: "inbound",
    ),
    (
        "homeassistant.helpers.entity",
        "Entity",
        "async_write_ha_state",
        lambda written, *_: f"write {written.entity_id}",
    ),
    (
        "homeassistant.core",
        "EventBus",
        "async_fire",
        lambda *args: f"fire {_argument(args, 1)}",
    ),
)


class Probe:
    """Wrap the timed pieces on start, put the originals back on stop."""

    def __init__(self) -> None:
        """Start unwrapped, with nothing timed."""
        self.timings: Timings = defaultdict(lambda: [0, 0.0])
        self._originals: list[tuple[object, str, object]] = []

    @contextmanager
    def _timed(self, label: str) -> Iterator[None]:
        """Add the time of the block to label."""
        start = thread_time()
        try:
            yield
        finally:
            entry = self.timings[label]
            entry[0] += 1
            entry[1] += thread_time() - start

    def _wrap(self, owner: object, name: str, label: Callable[..., str]) -> None:
        """Replace owner.name by a timed version; label(*args) names each call."""
        original = getattr(owner, name)
        self._originals.append((owner, name, original))
        if inspect.iscoroutinefunction(original):

            @wraps(original)
            async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
                with self._timed(label(*args)):
                    return await original(*args, **kwargs)

            setattr(owner, name, timed_coroutine)
        else:
            # wraps keeps Home Assistant's @callback mark: without it a callback
            # would be run in the executor.
            @wraps(original)
            def timed(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
                with self._timed(label(*args)):
                    return original(*args, **kwargs)

            setattr(owner, name, timed)

    def start(self) -> None:
        """Wrap every timed piece, forgetting earlier timings."""
        self.stop()
        self.timings.clear()
        for module, owner, name, label in TIMED:
            # Imported here: the integrations are loaded by the time the bench asks.
            found: object = importlib.import_module(module)
            if owner is not None:
                found = getattr(found, owner)
            self._wrap(found, name, label)

    def stop(self) -> None:
        """Put the originals back."""
        while self._originals:
            owner, name, original = self._originals.pop()
            setattr(owner, name, original)

    def report(self) -> dict[str, tuple[int, float]]:
        """Return calls and seconds by label."""
        return {label: (int(n), s) for label, (n, s) in self.timings.items()}
