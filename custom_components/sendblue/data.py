"""What a loaded Sendblue entry holds, and the data its coordinator polls.

This module is the bottom of the integration's layers: it imports only the
client library, the constants and Home Assistant. The parts that receive,
answer and notify hold references to these objects, never the other way round.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Context, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .api import LineState, LineStatus, LineUsage, SendblueClient, SendStyle
from .const import DEDUPE_SIZE, ReceiveMode

type SendblueConfigEntry = ConfigEntry[SendblueRuntimeData]
type SendblueDataCoordinator = DataUpdateCoordinator[SendblueData]
# An event of a line: its entity type, its data and the context of the bus event.
type LineEventTarget = Callable[[str, dict[str, Any], Context], None]


@dataclass(frozen=True, kw_only=True)
class SendblueLine:
    """One of the account's lines, with what Sendblue says about it."""

    number: str
    state: LineState | None
    usage: LineUsage | None

    @property
    def status(self) -> LineStatus:
        """Return the line's health, unknown when Sendblue does not report it."""
        return self.state.status if self.state else LineStatus.UNKNOWN


@dataclass(frozen=True, kw_only=True)
class SendblueData:
    """Everything the coordinator polls."""

    lines: dict[str, SendblueLine]
    contacts: int | None


@dataclass(kw_only=True)
class LineActivity:
    """When a line last received and sent a message, as seen by us."""

    last_received: datetime | None = None
    last_sent: datetime | None = None


@dataclass
class ActivityLog:
    """The activity of every line, seen live with its events (not polled)."""

    lines: dict[str, LineActivity] = field(default_factory=dict)

    def of(self, line: str) -> LineActivity:
        """Return the activity record of a line."""
        if (activity := self.lines.get(line)) is None:
            activity = self.lines[line] = LineActivity()
        return activity


class LineFollowers:
    """Who follows each line's events and activity: the line's entities.

    Called directly, not through the dispatcher: every text reaches them, and a
    dispatcher send costs more than the callbacks it runs.
    """

    def __init__(self) -> None:
        """Initialize with no one following."""
        self._events: dict[str, list[LineEventTarget]] = {}
        self._activity: dict[str, list[Callable[[], None]]] = {}

    @callback
    def async_follow_events(self, line: str, target: LineEventTarget) -> CALLBACK_TYPE:
        """Call target with every event of the line; return what stops that."""
        return _follow(self._events, line, target)

    @callback
    def async_follow_activity(
        self, line: str, target: Callable[[], None]
    ) -> CALLBACK_TYPE:
        """Call target whenever the line's activity changed; return what stops that."""
        return _follow(self._activity, line, target)

    @callback
    def async_event(
        self, line: str, event_type: str, data: dict[str, Any], context: Context
    ) -> None:
        """Tell the line's followers of an event."""
        for target in tuple(self._events.get(line, ())):
            target(event_type, data, context)

    @callback
    def async_activity(self, line: str) -> None:
        """Tell the line's followers that its activity changed."""
        for target in tuple(self._activity.get(line, ())):
            target()


def _follow[T](targets: dict[str, list[T]], line: str, target: T) -> CALLBACK_TYPE:
    """Add target to the line's targets; return what removes it."""
    followers = targets.setdefault(line, [])
    followers.append(target)

    @callback
    def unfollow() -> None:
        followers.remove(target)

    return unfollow


class BoundedSet[T: Hashable]:
    """Remember the most recent keys, forgetting the oldest beyond a size."""

    def __init__(self, size: int, on_add: Callable[[], None] | None = None) -> None:
        """Initialize an empty set; on_add runs after each new key (to save it)."""
        self._size = size
        self._on_add = on_add
        self._keys: OrderedDict[T, None] = OrderedDict()

    def add(self, key: T) -> bool:
        """Add a key; return False when it was already there."""
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        if self._on_add is not None:
            self._on_add()
        return True

    def load(self, keys: Iterable[T]) -> None:
        """Remember saved keys, oldest first, without calling on_add."""
        for key in keys:
            self._keys[key] = None
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        """Return whether a key is remembered."""
        return key in self._keys

    def __iter__(self) -> Iterator[T]:
        """Iterate the keys, oldest first."""
        return iter(self._keys)

    def __len__(self) -> int:
        """Return how many keys are remembered."""
        return len(self._keys)


class SentLines:
    """Which of our lines each recent message went through.

    Sendblue replies and reacts only through the line that has the chat, so a
    reply or a tapback defaults to the line its message used.
    """

    def __init__(self, size: int = DEDUPE_SIZE) -> None:
        """Initialize an empty memory of at most size messages."""
        self._size = size
        self._lines: OrderedDict[str, str] = OrderedDict()

    def remember(self, message_handle: str, line: str) -> None:
        """Remember which line a message went through."""
        self._lines[message_handle] = line
        self._lines.move_to_end(message_handle)
        if len(self._lines) > self._size:
            self._lines.popitem(last=False)

    def line_for(self, message_handle: str) -> str | None:
        """Return the line a message went through, when we saw it."""
        return self._lines.get(message_handle)

    def __len__(self) -> int:
        """Return how many messages are remembered."""
        return len(self._lines)


class Part(Protocol):
    """A running part of an entry that reports on itself in diagnostics."""

    def diagnostics(self) -> dict[str, Any]:
        """Return what diagnostics should show about this part."""


@dataclass(frozen=True, kw_only=True)
class Addressed:
    """One message from one line to one recipient, group, or group by its members."""

    line: str
    to: str | None = None
    group_id: str | None = None
    members: tuple[str, ...] = ()
    content: str | None = None
    media_url: str | None = None
    send_style: SendStyle | None = None
    reply_to: str | None = None

    @property
    def recipient(self) -> str | list[str]:
        """Return whom it goes to: the address, the group id or the members."""
        return self.to or self.group_id or list(self.members)

    @property
    def chat(self) -> tuple[str, str]:
        """Return the conversation it belongs to; messages in one go out in order."""
        if self.to:
            return ("to", self.to)
        if self.group_id:
            return ("group_id", self.group_id)
        return ("members", ",".join(sorted(self.members)))


class Outbox(Part, Protocol):
    """Where sends that failed for a reason that heals keep trying (outbox.py)."""

    @property
    def queued(self) -> int:
        """Return how many messages wait to go out."""

    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener whenever the queue changes; return what stops that."""

    async def async_stop(self) -> None:
        """Stop trying and save what is queued (the entry unloads)."""

    async def async_send(
        self, message: Addressed, *, retry_for: timedelta
    ) -> dict[str, Any]:
        """Send now, or queue when it fails for a reason that heals; say which.

        A failure that is not queued comes back under "error", as the exception.
        """


class Receiver(Part, Protocol):
    """How an entry learns what happens: by stream, webhook or polling."""

    mode: ReceiveMode


@dataclass(kw_only=True)
class SendblueRuntimeData:
    """What a loaded entry holds."""

    client: SendblueClient
    coordinator: SendblueDataCoordinator
    activity: ActivityLog
    followers: LineFollowers
    sent_lines: SentLines
    inbound: Part
    outbox: Outbox
    receiver: Receiver | None = None
    assist: Part | None = None
    legacy_notify: BaseNotificationService | None = None
